package handlers

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"fedpress/models"
)

// testPassword is long enough for the password rules.
const testPassword = "correct horse battery"

// authorWithPassword creates an author who can log in with password.
func (ts *testServer) authorWithPassword(username, password string) *models.Author {
	ts.t.Helper()
	a := ts.author(username)
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		ts.t.Fatal(err)
	}
	a.PasswordHash = string(hash)
	if err := ts.Store.SaveAuthor(context.Background(), a); err != nil {
		ts.t.Fatal(err)
	}
	return a
}

// preSessionCookie is a double-submit cookie for the login and setup forms.
func preSessionCookie() (*http.Cookie, string) {
	tok := strings.Repeat("t", 43)
	return &http.Cookie{Name: csrfCookie, Value: tok}, tok
}

// postLogin posts the login form from ip.
func (ts *testServer) postLogin(username, password, next, ip string) *httptest.ResponseRecorder {
	ck, tok := preSessionCookie()
	form := url.Values{"csrf": {tok}, "username": {username}, "password": {password}}
	if next != "" {
		form.Set("next", next)
	}
	req := httptest.NewRequest(http.MethodPost, "/admin/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = ip + ":1234"
	req.AddCookie(ck)
	return ts.do(req)
}

// cookieNamed finds a cookie a response sets.
func cookieNamed(rec *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// loginAs logs in through the login form and returns the session cookie
// and the session's CSRF token.
func loginAs(t *testing.T, ts *testServer, username, password string) (*http.Cookie, string) {
	t.Helper()
	rec := ts.postLogin(username, password, "", "192.0.2.1")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("login %s: status %d\n%s", username, rec.Code, rec.Body)
	}
	ck := cookieNamed(rec, sessionCookie)
	if ck == nil || ck.Value == "" {
		t.Fatalf("login %s: no session cookie", username)
	}
	sess, _, err := ts.Store.SessionByHash(context.Background(), hashToken(ck.Value), ts.Now())
	if err != nil {
		t.Fatalf("login %s: session: %v", username, err)
	}
	return &http.Cookie{Name: sessionCookie, Value: ck.Value}, sess.CSRFToken
}

// admin is a logged-in browser.
type admin struct {
	ts     *testServer
	cookie *http.Cookie
	csrf   string
	author *models.Author
}

// newAdmin creates an author and logs them in.
func (ts *testServer) newAdmin(username string) *admin {
	ts.t.Helper()
	a := ts.authorWithPassword(username, testPassword)
	ck, csrf := loginAs(ts.t, ts, username, testPassword)
	return &admin{ts: ts, cookie: ck, csrf: csrf, author: a}
}

func (ad *admin) get(path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(ad.cookie)
	return ad.ts.do(req)
}

// post posts a form with the CSRF token added.
func (ad *admin) post(path string, form url.Values) *httptest.ResponseRecorder {
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf", ad.csrf)
	return ad.ts.postForm(path, f, ad.cookie)
}

// upload posts a multipart form with one file.
func (ad *admin) upload(path, field, filename string, data []byte, fields url.Values, headers ...string) *httptest.ResponseRecorder {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("csrf", ad.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	if field != "" {
		fw, _ := w.CreateFormFile(field, filename)
		_, _ = fw.Write(data)
	}
	_ = w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	req.AddCookie(ad.cookie)
	return ad.ts.do(req)
}

// pngBytes encodes a w×h PNG.
func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{200, 30, 30, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// mustContain fails unless body holds every want.
func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("body lacks %q", w)
		}
	}
}
