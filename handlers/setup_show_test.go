package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func (ts *testServer) setSetupToken(tok string) {
	ts.t.Helper()
	ctx := context.Background()
	st, err := ts.Store.GetSettings(ctx)
	if err != nil {
		ts.t.Fatal(err)
	}
	st.SetupToken = tok
	if err := ts.Store.SaveSettings(ctx, st); err != nil {
		ts.t.Fatal(err)
	}
}

func (ts *testServer) postSetup(form url.Values, withCSRF bool) *httptest.ResponseRecorder {
	ck, tok := preSessionCookie()
	if withCSRF {
		form.Set("csrf", tok)
	}
	return ts.postForm("/setup", form, ck)
}

func TestSetupShow(t *testing.T) {
	ts := newTestServer(t)
	ts.setSetupToken("good-token")
	tests := []struct {
		name, path string
		want       int
		body       string
	}{
		{"right token", "/setup?token=good-token", http.StatusOK, `name="token" value="good-token"`},
		{"wrong token", "/setup?token=bad", http.StatusForbidden, "not valid"},
		{"no token", "/setup", http.StatusForbidden, "not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := ts.get(tt.path)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d\n%s", rec.Code, tt.want, rec.Body)
			}
			mustContain(t, rec.Body.String(), tt.body)
			if rec.Code == http.StatusOK && cookieNamed(rec, csrfCookie) == nil {
				t.Error("setup form sets no CSRF cookie")
			}
		})
	}
}

func TestSetupCreate(t *testing.T) {
	ts := newTestServer(t)
	ts.setSetupToken("good-token")
	valid := func() url.Values {
		return url.Values{"token": {"good-token"}, "name": {"Alice Liddell"}, "username": {"alice"},
			"password": {"wonderland!!"}, "password2": {"wonderland!!"}}
	}
	refusals := []struct {
		name   string
		change func(url.Values)
		noCSRF bool
		want   int
		body   string
	}{
		{"no csrf", nil, true, http.StatusForbidden, "invalid CSRF token"},
		{"wrong token", func(f url.Values) { f.Set("token", "nope") }, false, http.StatusForbidden, "not valid"},
		{"short password", func(f url.Values) { f.Set("password", "short"); f.Set("password2", "short") }, false, http.StatusUnprocessableEntity, "at least 10 characters"},
		{"passwords differ", func(f url.Values) { f.Set("password2", "wonderland??") }, false, http.StatusUnprocessableEntity, "differ"},
		{"reserved username", func(f url.Values) { f.Set("username", "admin") }, false, http.StatusUnprocessableEntity, "reserved"},
		{"blog actor username", func(f url.Values) { f.Set("username", "blog") }, false, http.StatusUnprocessableEntity, "blog&#39;s own fediverse account"},
		{"bad characters", func(f url.Values) { f.Set("username", "al ice") }, false, http.StatusUnprocessableEntity, "lowercase letters"},
		{"too long", func(f url.Values) { f.Set("username", strings.Repeat("a", 31)) }, false, http.StatusUnprocessableEntity, "1 to 30"},
		{"no name", func(f url.Values) { f.Set("name", " ") }, false, http.StatusUnprocessableEntity, "Enter your name"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			f := valid()
			if tt.change != nil {
				tt.change(f)
			}
			rec := ts.postSetup(f, !tt.noCSRF)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d\n%s", rec.Code, tt.want, rec.Body)
			}
			mustContain(t, rec.Body.String(), tt.body)
			if n, _ := ts.Store.CountAuthors(context.Background()); n != 0 {
				t.Fatalf("%d authors after a refused setup", n)
			}
		})
	}

	rec := ts.postSetup(valid(), true)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/" {
		t.Fatalf("setup: status %d to %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	ck := cookieNamed(rec, sessionCookie)
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
		t.Fatalf("setup session cookie = %+v", ck)
	}
	a, err := ts.Store.AuthorByUsername(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte("wonderland!!")) != nil {
		t.Error("password hash does not match")
	}
	if !strings.Contains(a.PrivateKeyPEM, "PRIVATE KEY") || !strings.Contains(a.PublicKeyPEM, "PUBLIC KEY") {
		t.Error("author has no key pair")
	}
	if rec := ts.get("/admin/", "Cookie", ck.Name+"="+ck.Value); rec.Code != http.StatusOK {
		t.Errorf("dashboard after setup: %d", rec.Code)
	}

	// The token works once.
	second := valid()
	second.Set("username", "mallory")
	if rec := ts.postSetup(second, true); rec.Code != http.StatusNotFound {
		t.Errorf("second setup: status %d, want 404", rec.Code)
	}
	if rec := ts.get("/setup?token=good-token"); rec.Code != http.StatusNotFound {
		t.Errorf("setup page after use: status %d, want 404", rec.Code)
	}
	if n, _ := ts.Store.CountAuthors(context.Background()); n != 1 {
		t.Errorf("%d authors, want 1", n)
	}
}
