package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestLoginCreate(t *testing.T) {
	ts := newTestServer(t)
	ts.authorWithPassword("alice", testPassword)
	tests := []struct {
		name, username, password, next string
		want                           int
		location                       string // for redirects
		body                           string
	}{
		{"ok", "alice", testPassword, "", http.StatusSeeOther, "/admin/", ""},
		{"ok, username case ignored", " Alice ", testPassword, "", http.StatusSeeOther, "/admin/", ""},
		{"ok with next", "alice", testPassword, "/admin/media/?x=1", http.StatusSeeOther, "/admin/media/?x=1", ""},
		{"next to another host", "alice", testPassword, "//evil.example/x", http.StatusSeeOther, "/admin/", ""},
		{"next with backslash", "alice", testPassword, "/\\evil.example", http.StatusSeeOther, "/admin/", ""},
		{"next absolute", "alice", testPassword, "https://evil.example/", http.StatusSeeOther, "/admin/", ""},
		{"bad password", "alice", "wrong password!", "", http.StatusUnauthorized, "", "Wrong username or password"},
		{"unknown user", "bob", testPassword, "", http.StatusUnauthorized, "", "Wrong username or password"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := ts.postLogin(tt.username, tt.password, tt.next, "198.51.100."+string(rune('1'+i)))
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d\n%s", rec.Code, tt.want, rec.Body)
			}
			ck := cookieNamed(rec, sessionCookie)
			if tt.want == http.StatusSeeOther {
				if got := rec.Header().Get("Location"); got != tt.location {
					t.Errorf("redirect to %q, want %q", got, tt.location)
				}
				if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.MaxAge < 29*24*3600 {
					t.Errorf("session cookie = %+v", ck)
				}
				return
			}
			if ck != nil {
				t.Error("failed login set a session cookie")
			}
			mustContain(t, rec.Body.String(), tt.body, `name="csrf"`)
		})
	}
}

func TestLoginRateLimit(t *testing.T) {
	ts := newTestServer(t)
	ts.authorWithPassword("alice", testPassword)
	for i := range 5 {
		if rec := ts.postLogin("alice", "guess number "+string(rune('0'+i)), "", "203.0.113.9"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d", i+1, rec.Code)
		}
	}
	rec := ts.postLogin("alice", testPassword, "", "203.0.113.9")
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("after 5 failures: status %d, want 429", rec.Code)
	}
	mustContain(t, rec.Body.String(), "Too many failed logins", "try again in 15 minutes")
	if ra := rec.Header().Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("429 without Retry-After (%q)", ra)
	}
	if cookieNamed(rec, sessionCookie) != nil {
		t.Error("rate-limited login set a session cookie")
	}
	// Another address is not affected.
	if rec := ts.postLogin("alice", testPassword, "", "203.0.113.10"); rec.Code != http.StatusSeeOther {
		t.Errorf("other IP: status %d", rec.Code)
	}
}

func TestLoginCSRF(t *testing.T) {
	ts := newTestServer(t)
	ts.authorWithPassword("alice", testPassword)
	form := url.Values{"username": {"alice"}, "password": {testPassword}}
	ck, tok := preSessionCookie()
	cases := []struct {
		name    string
		field   string
		cookies []*http.Cookie
	}{
		{"no token, no cookie", "", nil},
		{"token without cookie", tok, nil},
		{"cookie without token", "", []*http.Cookie{ck}},
		{"token differs", strings.Repeat("x", 43), []*http.Cookie{ck}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			if c.field != "" {
				f.Set("csrf", c.field)
			}
			rec := ts.postForm("/admin/login", f, c.cookies...)
			if rec.Code != http.StatusForbidden {
				t.Fatalf("status %d, want 403", rec.Code)
			}
			mustContain(t, rec.Body.String(), "invalid CSRF token")
		})
	}
}

func TestLoginShow(t *testing.T) {
	ts := newTestServer(t)
	rec := ts.get("/admin/login?next=/admin/media/")
	// The trailing-slash middleware must skip /admin/login, or the login page
	// loops through the admin group's catch-all.
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d\n%s", rec.Code, rec.Body)
	}
	mustContain(t, rec.Body.String(), `name="next" value="/admin/media/"`, "no account yet")
	if cookieNamed(rec, csrfCookie) == nil {
		t.Error("login form sets no CSRF cookie")
	}
	if got := rec.Header().Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("X-Frame-Options = %q", got)
	}

	// Already logged in: straight on.
	ad := ts.newAdmin("alice")
	if rec := ad.get("/admin/login?next=/admin/media/"); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/media/" {
		t.Errorf("logged in: status %d to %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestLogout(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	if rec := ad.post("/admin/logout", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("logout: status %d", rec.Code)
	}
	if _, _, err := ts.Store.SessionByHash(context.Background(), hashToken(ad.cookie.Value), ts.Now()); !isNotFound(err) {
		t.Errorf("session still live after logout: %v", err)
	}
	if rec := ad.get("/admin/"); rec.Code != http.StatusSeeOther {
		t.Errorf("dashboard after logout: status %d", rec.Code)
	}
}
