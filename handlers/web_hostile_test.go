package handlers

// The web side of the hostile-input suite (issue 14): redirects that must
// stay on this site, client addresses that must not be spoofed, the
// headers every page carries, and the metrics endpoint. The inbox side is
// inbox_hostile_test.go.

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// sameOrigin reports whether a Location keeps the browser on blog.test: a
// path ("/x", never "//host" or "/\host") or an absolute URL of ours.
func sameOrigin(loc string) bool {
	if strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, `/\`) || strings.ContainsAny(loc, "\t\r\n\\") {
		return false
	}
	u, err := url.Parse(loc)
	if err != nil {
		return false
	}
	if u.Scheme == "" && u.Host == "" {
		return strings.HasPrefix(loc, "/")
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host == "blog.test"
}

func TestSameOrigin(t *testing.T) {
	for loc, want := range map[string]bool{
		"/": true, "/2020/03/x/": true, "http://blog.test/x": true, "/a//b": true,
		"//evil.example/x": false, `/\evil.example`: false, "https://evil.example/": false,
		"evil.example": false, "javascript:alert(1)": false, "///evil.example": false,
	} {
		if got := sameOrigin(loc); got != want {
			t.Errorf("sameOrigin(%q) = %v, want %v", loc, got, want)
		}
	}
}

// TestRedirectsStayOnSite: no request makes the blog redirect a browser to
// another site, whatever path, uri= or next= it carries.
func TestRedirectsStayOnSite(t *testing.T) {
	ts := newTestServer(t)
	ann := ts.newAdmin("ann")
	art := ts.article(ann.author, "on-bridges", "On bridges", "Text.", time.Date(2020, 3, 4, 10, 0, 0, 0, time.UTC))
	ai := func(uri string) string { return "/authorize_interaction?uri=" + url.QueryEscape(uri) }
	tests := []struct {
		name, path string
		loggedIn   bool
		wantLoc    string // "" = any same-origin Location, or none
	}{
		{"authorize: path with a host", ai("http://blog.test//evil.example/x"), false, "/evil.example/x"},
		{"authorize: three slashes", ai("http://blog.test///evil.example/x"), false, "/evil.example/x"},
		{"authorize: with a query", ai("http://blog.test//evil.example/x?a=1"), false, "/evil.example/x?a=1"},
		{"authorize: encoded slashes", ai("http://blog.test/%2F%2Fevil.example"), false, ""},
		{"authorize: backslash", ai(`http://blog.test/\evil.example`), false, ""},
		{"authorize: encoded backslash", ai("http://blog.test/%5Cevil.example"), false, ""},
		{"authorize: scheme-relative uri", ai("//evil.example/x"), false, ""},
		{"authorize: other site", ai("https://evil.example/"), false, ""},
		{"authorize: our article", ai("http://blog.test" + art.Permalink()), false, art.Permalink()},
		{"trailing slash: //host", "//evil.example", false, ""},
		{"trailing slash: ///host", "///evil.example", false, ""},
		{"trailing slash: /\\host", `/\evil.example`, false, ""},
		{"trailing slash: /%5Chost", "/%5Cevil.example", false, ""},
		{"trailing slash: //host/path", "//evil.example/a", false, ""},
		{"login next: //host", "/admin/login?next=" + url.QueryEscape("//evil.example/x"), true, "/admin/"},
		{"login next: /\\host", "/admin/login?next=" + url.QueryEscape(`/\evil.example`), true, "/admin/"},
		{"login next: absolute", "/admin/login?next=" + url.QueryEscape("https://evil.example/"), true, "/admin/"},
		{"login next: tab", "/admin/login?next=" + url.QueryEscape("/\t/evil.example"), true, "/admin/"},
		{"admin bounce to login", "//admin/articles/", false, ""},
		{"legacy WordPress path", "/2020/03/04/on-bridges/", false, art.Permalink()},
		{"legacy ?p=", "/?p=1", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := ts.get(tt.path)
			if tt.loggedIn {
				rec = ann.get(tt.path)
			}
			if rec.Code >= 500 {
				t.Fatalf("status %d", rec.Code)
			}
			loc := rec.Header().Get("Location")
			if loc == "" {
				if tt.wantLoc != "" {
					t.Fatalf("status %d without Location, want %q", rec.Code, tt.wantLoc)
				}
				return
			}
			if !sameOrigin(loc) {
				t.Fatalf("status %d redirects off-site: Location %q", rec.Code, loc)
			}
			if tt.wantLoc != "" && loc != tt.wantLoc {
				t.Fatalf("Location %q, want %q", loc, tt.wantLoc)
			}
		})
	}
}
