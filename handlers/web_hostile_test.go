package handlers

// The web side of the hostile-input suite (issue 14): redirects that must
// stay on this site, client addresses that must not be spoofed, the
// headers every page carries, and the metrics endpoint. The inbox side is
// inbox_hostile_test.go.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
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

// TestClientAddress: X-Forwarded-For names the client only when the
// connection comes from a configured proxy; loopback and private
// addresses are not proxies by themselves.
func TestClientAddress(t *testing.T) {
	ts := newTestServer(t)
	proxied := newTestServer(t)
	proxies, err := ParseTrustedProxies([]string{"127.0.0.1", "10.0.0.0/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	proxied.Cfg.TrustedProxies = proxies
	proxied.Echo = echo.New()
	proxied.Routes(proxied.Echo)
	tests := []struct {
		name       string
		srv        *testServer
		remote     string
		xff        []string
		wantClient string
	}{
		{"no proxies: loopback's header ignored", ts, "127.0.0.1", []string{"203.0.113.5"}, "127.0.0.1"},
		{"no proxies: private address's header ignored", ts, "10.1.2.3", []string{"203.0.113.5"}, "10.1.2.3"},
		{"no proxies: no header", ts, "198.51.100.7", nil, "198.51.100.7"},
		{"proxy: its header names the client", proxied, "127.0.0.1", []string{"203.0.113.5"}, "203.0.113.5"},
		{"proxy: IPv6 loopback proxy", proxied, "[::1]", []string{"203.0.113.5"}, "203.0.113.5"},
		{"proxy: the client's own header is not believed", proxied, "10.0.0.2", []string{"192.0.2.66, 203.0.113.5"}, "203.0.113.5"},
		{"proxy: a chain of proxies", proxied, "10.0.0.2", []string{"203.0.113.5, 10.0.0.9"}, "203.0.113.5"},
		{"proxy: header split over two lines", proxied, "10.0.0.2", []string{"192.0.2.66", "203.0.113.5"}, "203.0.113.5"},
		{"not a proxy: another private address", proxied, "192.168.1.2", []string{"203.0.113.5"}, "192.168.1.2"},
		{"not a proxy: the internet", proxied, "198.51.100.7", []string{"203.0.113.5"}, "198.51.100.7"},
		{"proxy: garbage header", proxied, "10.0.0.2", []string{"not an address"}, "10.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tt.remote + ":4711"
			for _, v := range tt.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if got := tt.srv.Echo.IPExtractor(req); got != tt.wantClient {
				t.Fatalf("client %q, want %q", got, tt.wantClient)
			}
		})
	}
	if _, err := ParseTrustedProxies([]string{"10.0.0.0/33"}); err == nil {
		t.Error("accepted a bad network")
	}
	if _, err := ParseTrustedProxies([]string{"proxy.example"}); err == nil {
		t.Error("accepted a host name")
	}
}

// TestLoginThrottleCannotBeDodged: rotating X-Forwarded-For behind no
// configured proxy, or rotating real addresses, does not give a password
// guesser fresh attempts; the refusal says how long to wait.
func TestLoginThrottleCannotBeDodged(t *testing.T) {
	t.Run("rotating X-Forwarded-For from loopback", func(t *testing.T) {
		ts := newTestServer(t)
		ts.authorWithPassword("alice", testPassword)
		try := func(i int, password string) *httptest.ResponseRecorder {
			ck, tok := preSessionCookie()
			form := url.Values{"csrf": {tok}, "username": {"alice"}, "password": {password}}
			req := httptest.NewRequest(http.MethodPost, "/admin/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.RemoteAddr = "127.0.0.1:4711"
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
			req.AddCookie(ck)
			return ts.do(req)
		}
		for i := range 5 {
			if rec := try(i, "guess"); rec.Code != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %d", i+1, rec.Code)
			}
		}
		if rec := try(99, testPassword); rec.Code != http.StatusTooManyRequests {
			t.Fatalf("a new X-Forwarded-For gave a fresh allowance: %d", rec.Code)
		}
	})
	t.Run("many addresses, one account", func(t *testing.T) {
		ts := newTestServer(t)
		ts.authorWithPassword("alice", testPassword)
		ts.authorWithPassword("bob", testPassword)
		for i := range 10 {
			if rec := ts.postLogin("alice", "guess", "", fmt.Sprintf("198.51.100.%d", i+1)); rec.Code != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %d", i+1, rec.Code)
			}
		}
		rec := ts.postLogin("Alice", testPassword, "", "198.51.100.200")
		if rec.Code != http.StatusTooManyRequests {
			t.Fatalf("11th attempt on the account from a new address: %d", rec.Code)
		}
		secs, err := strconv.Atoi(rec.Header().Get("Retry-After"))
		if err != nil || secs < 14*60 || secs > 15*60 {
			t.Fatalf("Retry-After %q, want about 15 minutes", rec.Header().Get("Retry-After"))
		}
		mustContain(t, rec.Body.String(), "try again in 15 minutes")
		if cookieNamed(rec, sessionCookie) != nil {
			t.Fatal("session cookie on a refused login")
		}
		// Another account from the same address is not locked out.
		if rec := ts.postLogin("bob", testPassword, "", "198.51.100.200"); rec.Code != http.StatusSeeOther {
			t.Fatalf("bob: %d", rec.Code)
		}
	})
}

// TestMetricsNeedTheToken: /metrics answers only the configured bearer
// token; without one nobody, loopback included, gets the metrics.
func TestMetricsNeedTheToken(t *testing.T) {
	base := newTestServer(t)
	withToken := func(tok string) *testServer {
		cfg := base.Cfg
		cfg.MetricsEnabled, cfg.MetricsToken, cfg.Registry = true, tok, prometheus.NewRegistry()
		srv := New(base.Store, base.Fed, base.Views, base.Media, cfg, base.Log)
		e := echo.New()
		srv.Routes(e)
		return &testServer{Server: srv, Echo: e, t: t}
	}
	open, locked := withToken(""), withToken("s3cret-token")
	tests := []struct {
		name   string
		srv    *testServer
		remote string
		header string
		want   int
	}{
		{"no token configured, loopback", open, "127.0.0.1", "", http.StatusUnauthorized},
		{"no token configured, empty bearer", open, "127.0.0.1", "Bearer ", http.StatusUnauthorized},
		{"no token configured, the internet", open, "203.0.113.5", "", http.StatusUnauthorized},
		{"token, none sent from loopback", locked, "127.0.0.1", "", http.StatusUnauthorized},
		{"token, none sent from ::1", locked, "[::1]", "", http.StatusUnauthorized},
		{"token, wrong", locked, "203.0.113.5", "Bearer s3cret-tokem", http.StatusUnauthorized},
		{"token, as basic auth", locked, "203.0.113.5", "Basic czNjcmV0LXRva2Vu", http.StatusUnauthorized},
		{"token, prefix only", locked, "203.0.113.5", "Bearer s3cret", http.StatusUnauthorized},
		{"token, right", locked, "203.0.113.5", "Bearer s3cret-token", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.RemoteAddr = tt.remote + ":4711"
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := tt.srv.do(req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			if has := strings.Contains(rec.Body.String(), "fedpress_queue_rows"); has != (tt.want == http.StatusOK) {
				t.Fatalf("metrics in the answer: %v", has)
			}
		})
	}
}

// inlineCode finds what a Content-Security-Policy without 'unsafe-inline'
// blocks: inline scripts, style elements and attributes, event handlers
// and javascript: URLs.
var inlineCode = regexp.MustCompile(`(?i)<script\b[^>]*>\s*[^<\s]|<script\b(?:[^>](?:[^s>]|s[^r]))*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:`)

// TestSecurityHeaders: every response says nosniff; every page carries a
// Content-Security-Policy without inline code, refuses framing and limits
// the referrer, and its HTML needs nothing the policy forbids.
func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t)
	ann := ts.newAdmin("ann")
	art := ts.article(ann.author, "on-bridges", "On bridges", "Text with *emphasis* and ![a picture](https://img.example/p.png).", time.Date(2020, 3, 4, 10, 0, 0, 0, time.UTC), "go")
	mediaRec := ann.upload("/admin/media", "file", "pic.png", pngBytes(t, 8, 8), nil, "Accept", "application/json")
	var media struct{ URL string }
	if err := json.Unmarshal(mediaRec.Body.Bytes(), &media); err != nil || media.URL == "" {
		t.Fatalf("upload: %d %s", mediaRec.Code, mediaRec.Body)
	}
	mediaPath := strings.TrimPrefix(media.URL, "http://blog.test")
	tests := []struct {
		name    string
		path    string
		admin   bool
		html    bool
		headers []string
	}{
		{"home", "/", false, true, nil},
		{"home again (page cache)", "/", false, true, nil},
		{"article", art.Permalink(), false, true, nil},
		{"article again (page cache)", art.Permalink(), false, true, nil},
		{"tag", "/tag/go/", false, true, nil},
		{"archive", "/2020/", false, true, nil},
		{"profile", "/@ann/", false, true, nil},
		{"not found page", "/2020/03/nothing-here/", false, true, nil},
		{"remote interaction page", "/authorize_interaction?uri=https%3A%2F%2Fsocial.test%2F%40bob%2F1", false, true, nil},
		{"login", "/admin/login", false, true, nil},
		{"setup", "/setup", false, true, nil},
		{"dashboard", "/admin/", true, true, nil},
		{"editor", "/admin/articles/new/", true, true, nil},
		{"media admin", "/admin/media/", true, true, nil},
		{"settings", "/admin/settings/", true, true, nil},
		{"redirect", "/2020/03/on-bridges", false, false, nil},
		{"feed", "/feed.xml", false, false, nil},
		{"stylesheet", "/static/style.css", false, false, nil},
		{"script", "/static/admin.js", false, false, nil},
		{"media", mediaPath, false, false, nil},
		{"ActivityPub actor", "/users/ann", false, false, []string{"Accept", "application/activity+json"}},
		{"health", "/healthz", false, false, nil},
		{"unrouted", "/no/such/thing.txt", false, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := ts.get(tt.path, tt.headers...)
			if tt.admin {
				rec = ann.get(tt.path)
			}
			h := rec.Header()
			if h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%d without nosniff", rec.Code)
			}
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			if !tt.html {
				return
			}
			if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
				t.Fatalf("status %d, Content-Type %q", rec.Code, h.Get("Content-Type"))
			}
			for _, want := range []string{"script-src 'self'", "style-src 'self'", "base-uri 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe") {
				t.Errorf("Content-Security-Policy %q allows unsafe code", csp)
			}
			if h.Get("X-Frame-Options") != "DENY" {
				t.Errorf("X-Frame-Options %q", h.Get("X-Frame-Options"))
			}
			if rp := h.Get("Referrer-Policy"); rp != "strict-origin-when-cross-origin" && rp != "same-origin" {
				t.Errorf("Referrer-Policy %q", rp)
			}
			if m := inlineCode.FindString(rec.Body.String()); m != "" {
				t.Errorf("the page has inline code the policy blocks: %q", m)
			}
		})
	}
}

func TestInlineCodePattern(t *testing.T) {
	for s, want := range map[string]bool{
		`<script src="/static/admin.js" defer></script>`: false,
		`<script>alert(1)</script>`:                      true,
		`<script defer>alert(1)</script>`:                true,
		`<p style="color:red">`:                          true,
		`<style>p{}</style>`:                             true,
		`<body onload="x()">`:                            true,
		`<a href="javascript:x">`:                        true,
		`<a href="/x" class="button">`:                   false,
	} {
		if got := inlineCode.MatchString(s); got != want {
			t.Errorf("%q matched %v, want %v", s, got, want)
		}
	}
}

// FuzzRedirectsStayOnSite: whatever path or uri= a request carries, a
// redirect the blog answers leads to this site. (Slow per input: each
// builds its own server.)
func FuzzRedirectsStayOnSite(f *testing.F) {
	for _, s := range []string{"http://blog.test//evil.example/x", "http://blog.test/%5C%5Cevil", "//evil.example", "/\\evil", "http://blog.test/@ann/", "acct:blog@blog.test"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, uri, path string) {
		ts := newTestServer(t) // per input: a test server lives as long as its T
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		reqs := []*http.Request{httptest.NewRequest(http.MethodGet, "/authorize_interaction?uri="+url.QueryEscape(uri), nil)}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.Path, r.URL.RawPath, r.RequestURI = path, "", path
		reqs = append(reqs, r)
		for _, req := range reqs {
			rec := ts.do(req)
			if loc := rec.Header().Get("Location"); loc != "" && !sameOrigin(loc) {
				t.Fatalf("%s %q → %d Location %q", req.URL.Path, req.URL.RawQuery, rec.Code, loc)
			}
		}
	})
}
