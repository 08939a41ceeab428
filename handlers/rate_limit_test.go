package handlers

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

func TestRateLimiter(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	type step struct {
		ip        string
		at        time.Duration // after t0
		wait      time.Duration // 0: allowed
		first     bool          // first refusal
		forgetNow bool          // forget ip instead of taking
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"under the limit", []step{{ip: "192.0.2.1"}, {ip: "192.0.2.1", at: time.Second}, {ip: "192.0.2.1", at: 2 * time.Second}}},
		{"over the limit until the oldest leaves the window", []step{
			{ip: "192.0.2.1"}, {ip: "192.0.2.1", at: 10 * time.Second}, {ip: "192.0.2.1", at: 20 * time.Second},
			{ip: "192.0.2.1", at: 30 * time.Second, wait: 30 * time.Second, first: true},
			{ip: "192.0.2.1", at: 40 * time.Second, wait: 20 * time.Second},
			{ip: "192.0.2.1", at: 60 * time.Second}, // the first left the window
			{ip: "192.0.2.1", at: 61 * time.Second, wait: 9 * time.Second, first: true},
		}},
		{"addresses are counted apart", []step{
			{ip: "192.0.2.1"}, {ip: "192.0.2.1"}, {ip: "192.0.2.1"},
			{ip: "192.0.2.1", wait: time.Minute, first: true},
			{ip: "192.0.2.2"},
		}},
		{"an IPv6 /64 is one client", []step{
			{ip: "2001:db8:1:2::1"}, {ip: "2001:db8:1:2::2"}, {ip: "2001:db8:1:2:aaaa::3"},
			{ip: "2001:db8:1:2:ffff:ffff:ffff:ffff", wait: time.Minute, first: true},
			{ip: "2001:db8:1:3::1"},
		}},
		{"forget", []step{
			{ip: "192.0.2.1"}, {ip: "192.0.2.1"}, {ip: "192.0.2.1"},
			{ip: "192.0.2.1", forgetNow: true},
			{ip: "192.0.2.1"},
		}},
		{"a wait is at least a second", []step{
			{ip: "192.0.2.1"}, {ip: "192.0.2.1"}, {ip: "192.0.2.1"},
			{ip: "192.0.2.1", at: time.Minute - time.Millisecond, wait: time.Second, first: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newRateLimiter(3, time.Minute)
			for i, st := range tt.steps {
				if st.forgetNow {
					l.forget(st.ip)
					continue
				}
				wait, first := l.take(st.ip, t0.Add(st.at))
				if wait != st.wait || first != st.first {
					t.Fatalf("step %d (%s at %s): wait %s first %v, want %s %v", i, st.ip, st.at, wait, first, st.wait, st.first)
				}
			}
		})
	}
}

func TestRateLimiterMemoryBounded(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	addr := func(i int) string { return fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255) }
	l := newRateLimiter(2, time.Minute)
	// Addresses seen once, then one at its limit shortly before they expire.
	for i := range maxLimiterKeys - 1 {
		l.take(addr(i), t0)
	}
	l.take("192.0.2.1", t0.Add(50*time.Second))
	l.take("192.0.2.1", t0.Add(50*time.Second))
	if n := len(l.seen); n != maxLimiterKeys {
		t.Fatalf("%d addresses, want %d", n, maxLimiterKeys)
	}
	// Full: a new address makes the expired ones go, the live one stays.
	later := t0.Add(time.Minute)
	l.take("192.0.2.2", later)
	if n := len(l.seen); n != 2 {
		t.Fatalf("%d addresses after the sweep, want 2", n)
	}
	if wait, _ := l.take("192.0.2.1", later); wait != 50*time.Second {
		t.Fatalf("live address forgotten: wait %s", wait)
	}
	// A flood of live addresses never passes the bound, nor do the times
	// kept for one address.
	for i := range 3 * maxLimiterKeys {
		for range 3 {
			l.take(addr(i), later)
		}
		if len(l.seen) > maxLimiterKeys {
			t.Fatalf("%d addresses remembered, bound %d", len(l.seen), maxLimiterKeys)
		}
	}
	for _, e := range l.seen {
		if len(e.times) > 2 {
			t.Fatalf("%d times kept for one address, limit 2", len(e.times))
		}
	}
}

func TestLimiterKey(t *testing.T) {
	tests := map[string]string{
		"192.0.2.1":               "192.0.2.1",
		"::ffff:192.0.2.1":        "192.0.2.1",
		"2001:db8:1:2:3:4:5:6":    "2001:db8:1:2::/64",
		"fe80::1%eth0":            "fe80::/64",
		"not an address":          "not an address",
		"2001:db8::1:2:3:4:5:6:7": "2001:db8::1:2:3:4:5:6:7", // malformed: kept as given
	}
	for in, want := range tests {
		if got := limiterKey(in); got != want {
			t.Errorf("limiterKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// limitedRoute is one rate-limited endpoint and a request to it that is
// cheap (refused or not found) but counts.
type limitedRoute struct {
	name   string
	route  string // as registered
	set    func(*RateLimits, RateLimit)
	defMax int
	req    func() *http.Request
	// refused checks the 429 answer's body.
	refused func(t *testing.T, rec *httptest.ResponseRecorder)
}

func limitedRoutes() []limitedRoute {
	form := func(path string) func() *http.Request {
		return func() *http.Request {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader("a=b"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return req
		}
	}
	page := func(heading string) func(*testing.T, *httptest.ResponseRecorder) {
		return func(t *testing.T, rec *httptest.ResponseRecorder) {
			t.Helper()
			body := rec.Body.String()
			for _, want := range []string{`<p class="error-code">429</p>`, `<h1 class="page-title">` + heading + `</h1>`, "Please try again in 60 seconds.", `content="noindex"`} {
				if !strings.Contains(body, want) {
					t.Errorf("429 page lacks %q:\n%s", want, body)
				}
			}
		}
	}
	return []limitedRoute{
		{
			name: "pingback", route: "/xmlrpc", set: func(r *RateLimits, l RateLimit) { r.Pingback = l }, defMax: 10,
			req: func() *http.Request {
				req := httptest.NewRequest(http.MethodPost, "/xmlrpc", strings.NewReader("not xml"))
				req.Header.Set("Content-Type", "text/xml")
				return req
			},
			refused: func(t *testing.T, rec *httptest.ResponseRecorder) {
				t.Helper()
				if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
					t.Errorf("Content-Type %q", ct)
				}
				if code := faultCode(rec.Body.String()); code != "49" || !strings.Contains(rec.Body.String(), "Too many pingbacks from your address; please try again in 60 seconds.") {
					t.Errorf("fault %q: %s", code, rec.Body)
				}
			},
		},
		{
			name: "webmention", route: "/webmention", set: func(r *RateLimits, l RateLimit) { r.Webmention = l }, defMax: 10,
			req: form("/webmention"),
			refused: func(t *testing.T, rec *httptest.ResponseRecorder) {
				t.Helper()
				if got := rec.Body.String(); got != "Too many webmentions from your address; please try again in 60 seconds.\n" {
					t.Errorf("body %q", got)
				}
			},
		},
		{
			name: "interact", route: "/interact", set: func(r *RateLimits, l RateLimit) { r.Interact = l }, defMax: 5,
			req: form("/interact"), refused: page("Too many tries"),
		},
		{
			name: "comment", route: "/:year/:month/:slug/comments", set: func(r *RateLimits, l RateLimit) { r.Comment = l }, defMax: 10,
			req: form("/2024/03/no-such-article/comments"), refused: page("Too many comments"),
		},
	}
}

// newLimitedServer is a test server with the given rate limits, a clock
// the test moves, and its log kept.
func newLimitedServer(t *testing.T, limits RateLimits) (ts *testServer, clock *time.Time, log *bytes.Buffer) {
	t.Helper()
	base := newTestServer(t)
	cfg := base.Cfg
	cfg.RateLimits = limits
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} // "proxy" below
	log = &bytes.Buffer{}
	srv := New(base.Store, base.Fed, base.Views, base.Media, cfg, slog.New(slog.NewTextHandler(log, nil)))
	now := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	srv.Now = func() time.Time { return now }
	e := echo.New()
	srv.Routes(e)
	return &testServer{Server: srv, Echo: e, t: t}, &now, log
}

func TestRateLimitedRoutes(t *testing.T) {
	const (
		client   = "203.0.113.7"
		other    = "203.0.113.8"
		proxy    = "10.0.0.2"     // a configured proxy: its X-Forwarded-For is trusted
		stranger = "198.51.100.9" // a public address: its X-Forwarded-For is not
	)
	for _, rt := range limitedRoutes() {
		t.Run(rt.name, func(t *testing.T) {
			var limits RateLimits
			rt.set(&limits, RateLimit{Max: 2, Window: time.Minute})
			ts, clock, log := newLimitedServer(t, limits)
			send := func(remote, xff string) *httptest.ResponseRecorder {
				req := rt.req()
				req.RemoteAddr = remote + ":4711"
				if xff != "" {
					req.Header.Set("X-Forwarded-For", xff)
				}
				return ts.do(req)
			}
			for i := range 2 {
				if rec := send(client, ""); rec.Code == http.StatusTooManyRequests {
					t.Fatalf("request %d refused", i+1)
				}
			}
			rec := send(client, "")
			if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "60" {
				t.Fatalf("third request: %d Retry-After %q, want 429 60", rec.Code, rec.Header().Get("Retry-After"))
			}
			rt.refused(t, rec)
			// The same client behind our proxy is still the same client;
			// a forwarded-for header from the internet changes nothing.
			if rec := send(proxy, client); rec.Code != http.StatusTooManyRequests {
				t.Errorf("via the proxy: %d", rec.Code)
			}
			if rec := send(client, other); rec.Code != http.StatusTooManyRequests {
				t.Errorf("with a forged X-Forwarded-For: %d", rec.Code)
			}
			// Others are not affected.
			if rec := send(other, ""); rec.Code == http.StatusTooManyRequests {
				t.Errorf("another address refused")
			}
			if rec := send(stranger, client); rec.Code == http.StatusTooManyRequests {
				t.Errorf("a stranger claiming the client's address refused")
			}
			// The refusal is logged once with address and route, not per request.
			if n := strings.Count(log.String(), "rate limited"); n != 1 {
				t.Errorf("%d log lines, want 1:\n%s", n, log)
			}
			if !strings.Contains(log.String(), "ip="+client) || !strings.Contains(log.String(), "route="+rt.route+" ") {
				t.Errorf("log lacks address or route:\n%s", log)
			}
			// The window passes.
			*clock = clock.Add(30 * time.Second)
			if rec := send(client, ""); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "30" {
				t.Errorf("half-way: %d Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
			}
			*clock = clock.Add(30 * time.Second)
			if rec := send(client, ""); rec.Code == http.StatusTooManyRequests {
				t.Errorf("after the window: still refused")
			}
		})
	}
}

// TestRateLimitDefaults: an unconfigured server applies the defaults.
func TestRateLimitDefaults(t *testing.T) {
	for _, rt := range limitedRoutes() {
		t.Run(rt.name, func(t *testing.T) {
			ts := newTestServer(t)
			for i := range rt.defMax {
				if rec := ts.do(rt.req()); rec.Code == http.StatusTooManyRequests {
					t.Fatalf("request %d of %d refused", i+1, rt.defMax)
				}
			}
			if rec := ts.do(rt.req()); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
				t.Fatalf("request %d: %d, want 429 with Retry-After", rt.defMax+1, rec.Code)
			}
		})
	}
}

// liftRateLimits lets ts take many requests from the one address test
// requests come from.
func (ts *testServer) liftRateLimits() {
	w := ts.writeLimits
	for _, l := range []*rateLimiter{w.pingback, w.webmention, w.interact, w.comment} {
		l.mu.Lock()
		l.max = 1000
		l.mu.Unlock()
	}
}
