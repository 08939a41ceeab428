package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"fedpress/models"
)

// adminPages are every admin GET page of this part of the admin area.
func adminPages(articleID uint) []string {
	return []string{
		"/admin/", "/admin/articles/", "/admin/articles/?status=drafts", "/admin/articles/?status=scheduled",
		"/admin/articles/new/", fmt.Sprintf("/admin/articles/%d/edit/", articleID),
		"/admin/media/", "/admin/comments/", "/admin/comments/?status=spam", "/admin/comments/?status=deleted",
		"/admin/settings/", "/admin/profile/",
	}
}

func TestAdminPagesNeedLogin(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	art := ts.article(ad.author, "hello", "Hello", "Hi *there*", time.Now().Add(-time.Hour), "greetings")
	for _, path := range adminPages(art.ID) {
		t.Run(path, func(t *testing.T) {
			rec := ts.get(path)
			want := "/admin/login?next=" + url.QueryEscape(path)
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != want {
				t.Errorf("logged out: status %d to %q, want 303 to %q", rec.Code, rec.Header().Get("Location"), want)
			}
			rec = ad.get(path)
			if rec.Code != http.StatusOK {
				t.Fatalf("logged in: status %d\n%s", rec.Code, rec.Body)
			}
			body := rec.Body.String()
			mustContain(t, body, `href="/admin/articles/"`, "Log out", `name="csrf" value="`+ad.csrf+`"`)
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", rec.Header().Get("Cache-Control"))
			}
		})
	}

	// An expired session is no session.
	old := &models.Session{TokenHash: hashToken("old-token"), AuthorID: ad.author.ID, CSRFToken: "c", ExpiresAt: time.Now().Add(-time.Minute)}
	if err := ts.Store.CreateSession(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	if rec := ts.get("/admin/", "Cookie", sessionCookie+"=old-token"); rec.Code != http.StatusSeeOther {
		t.Errorf("expired session: status %d", rec.Code)
	}
}

func TestLocalPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/admin/", "/admin/"},
		{"/admin/media/?uploaded=x.png", "/admin/media/?uploaded=x.png"},
		{"", "/fallback"},
		{"admin", "/fallback"},
		{"//evil.example", "/fallback"},
		{"/\\evil.example", "/fallback"},
		{"https://evil.example/", "/fallback"},
		{"/ok\r\nSet-Cookie: x", "/fallback"},
		{"javascript:alert(1)", "/fallback"},
	}
	for _, tt := range tests {
		if got := localPath(tt.in, "/fallback"); got != tt.want {
			t.Errorf("localPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
