package federation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://mastodon.social/users/Gargron", false, true},
		{"https://example.com:8443/x?y=1", false, true},
		{"https://93.184.216.34/", false, true},
		{"https://[2606:4700::1111]/", false, true},
		{"https://xn--caf-dma.example/", false, true},
		{"https://10.0.0.1/inbox", false, false},
		{"https://172.16.5.4/", false, false},
		{"https://192.168.1.1/", false, false},
		{"https://169.254.169.254/latest/meta-data/", false, false},
		{"https://127.0.0.1:9000/", false, false},
		{"https://[::1]/", false, false},
		{"https://[::]/", false, false},
		{"https://0.0.0.0/", false, false},
		{"https://0.1.2.3/", false, false},
		{"https://100.64.0.1/", false, false},
		{"https://224.0.0.1/", false, false},
		{"https://255.255.255.255/", false, false},
		{"https://[fc00::1]/", false, false},
		{"https://[fd12:3456::1]/", false, false},
		{"https://[fe80::1%25eth0]/", false, false},
		{"https://[ff02::1]/", false, false},
		{"https://[::ffff:127.0.0.1]/", false, false},
		{"https://[::ffff:10.0.0.1]/", false, false},
		{"https://[64:ff9b::a00:1]/", false, false},    // NAT64 of 10.0.0.1
		{"https://[2002:7f00:1::]/", false, false},     // 6to4 of 127.0.0.1
		{"https://[64:ff9b::5db8:d822]/", false, true}, // NAT64 of a public address
		{"https://localhost/", false, false},
		{"https://LOCALHOST./", false, false},
		{"https://foo.localhost/", false, false},
		{"https://2130706433/", false, false},
		{"https://127.1/", false, false},
		{"https://0x7f.1/", false, false},
		{"http://example.com/", false, false},
		{"ftp://example.com/", false, false},
		{"file:///etc/passwd", false, false},
		{"gopher://example.com/", true, false},
		{"https://user:pw@example.com/", false, false},
		{"https:///nohost", false, false},
		{"://bad", false, false},
		{"http://127.0.0.1:9000/users/blog", true, true},
		{"http://localhost:3000/", true, true},
		{"https://10.0.0.1/", true, true},
	}
	for _, tc := range tests {
		err := CheckURL(tc.url, tc.allowPrivate)
		if tc.ok != (err == nil) {
			t.Errorf("CheckURL(%q, %v) = %v", tc.url, tc.allowPrivate, err)
			continue
		}
		var re *RefusedError
		if err != nil && !errors.As(err, &re) {
			t.Errorf("CheckURL(%q): %T is not *RefusedError", tc.url, err)
		}
	}
}

// fetchTestServer serves a few paths and counts requests.
type fetchTestServer struct {
	*httptest.Server
	hits     atomic.Int64
	verified atomic.Int64
	resolve  KeyResolver
}

func newFetchTestServer(t *testing.T, tlsServer bool, resolve KeyResolver) *fetchTestServer {
	s := &fetchTestServer{resolve: resolve}
	mux := http.NewServeMux()
	mux.HandleFunc("/actor", func(w http.ResponseWriter, r *http.Request) {
		if s.resolve != nil {
			if _, err := VerifyRequest(r.Context(), r, nil, s.resolve, VerifyOptions{}); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			s.verified.Add(1)
		}
		if r.Header.Get("Accept") != activityAccept {
			http.Error(w, "bad accept "+r.Header.Get("Accept"), http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Type", `application/activity+json; charset=utf-8`)
		io.WriteString(w, `{"id":"actor","ua":"`+r.UserAgent()+`"}`)
	})
	mux.HandleFunc("/r/", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/r/"))
		if s.resolve != nil {
			if _, err := VerifyRequest(r.Context(), r, nil, s.resolve, VerifyOptions{}); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			s.verified.Add(1)
		}
		if n <= 0 {
			http.Redirect(w, r, "/actor", http.StatusFound)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/r/%d", n-1), http.StatusMovedPermanently)
	})
	mux.HandleFunc("/to-file", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "file:///etc/passwd")
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		for i := 0; i < n; i += 100 {
			io.WriteString(w, strings.Repeat("x", min(100, n-i)))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusGone)
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<p>hello</p>")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	})
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		mux.ServeHTTP(w, r)
	})
	if tlsServer {
		s.Server = httptest.NewTLSServer(counted)
	} else {
		s.Server = httptest.NewServer(counted)
	}
	t.Cleanup(s.Close)
	if !strings.HasPrefix(s.Listener.Addr().String(), "127.0.0.1:") {
		t.Fatalf("test server not on 127.0.0.1: %s", s.Listener.Addr())
	}
	return s
}

func TestFetchRefusesPrivateByDefault(t *testing.T) {
	plain := newFetchTestServer(t, false, nil)
	secure := newFetchTestServer(t, true, nil)
	f := &Fetcher{Client: NewHTTPClient(FetchPolicy{}), Policy: FetchPolicy{}}
	for _, u := range []string{plain.URL + "/actor", secure.URL + "/actor", strings.Replace(secure.URL, "127.0.0.1", "localhost", 1) + "/actor"} {
		_, err := f.GetJSON(context.Background(), u)
		var re *RefusedError
		if !errors.As(err, &re) {
			t.Errorf("GetJSON(%s): %v, want *RefusedError", u, err)
		}
		if _, _, err := f.Get(context.Background(), u, "text/html"); !errors.As(err, &re) {
			t.Errorf("Get(%s): %v, want *RefusedError", u, err)
		}
	}
	// The client alone refuses too, before any request (http scheme, then
	// the loopback literal).
	c := NewHTTPClient(FetchPolicy{})
	for _, u := range []string{plain.URL + "/actor", secure.URL + "/actor"} {
		resp, err := c.Get(u)
		if err == nil {
			resp.Body.Close()
		}
		var re *RefusedError
		if !errors.As(err, &re) {
			t.Errorf("client.Get(%s): %v", u, err)
		}
	}
	if n := plain.hits.Load() + secure.hits.Load(); n != 0 {
		t.Fatalf("servers received %d requests", n)
	}
}

// TestDialerRefusesResolvedLoopback exercises the dial-time check directly:
// a name that resolves to loopback is refused after DNS, before connecting.
func TestDialerRefusesResolvedLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	tr := NewHTTPClient(FetchPolicy{}).Transport.(*guardedTransport).base
	for _, addr := range []string{"127.0.0.1:" + port, "localhost:" + port} {
		conn, err := tr.DialContext(context.Background(), "tcp", addr)
		if err == nil {
			conn.Close()
			t.Fatalf("dial %s succeeded", addr)
		}
		var re *RefusedError
		if !errors.As(err, &re) {
			t.Fatalf("dial %s: %v, want *RefusedError", addr, err)
		}
	}
	allowed := NewHTTPClient(FetchPolicy{AllowPrivate: true}).Transport.(*guardedTransport).base
	conn, err := allowed.DialContext(context.Background(), "tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("AllowPrivate dial: %v", err)
	}
	conn.Close()
	time.Sleep(50 * time.Millisecond)
	ln.Close()
	if n := accepted.Load(); n != 1 {
		t.Fatalf("listener accepted %d connections, want 1 (the allowed one)", n)
	}
}

func TestFetchAllowPrivate(t *testing.T) {
	signer, res := testSigner(t)
	srv := newFetchTestServer(t, false, res.resolve)
	policy := FetchPolicy{AllowPrivate: true, UserAgent: "fedpress-test"}
	f := &Fetcher{
		Client: NewHTTPClient(policy),
		Policy: policy,
		Signer: func() (Signer, bool) { return signer, true },
	}
	ctx := context.Background()

	body, err := f.GetJSON(ctx, srv.URL+"/actor")
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != `{"id":"actor","ua":"fedpress-test"}` {
		t.Fatalf("body %s", body)
	}

	// Redirects are followed and every hop is signed for its own path.
	before := srv.verified.Load()
	if _, err := f.GetJSON(ctx, srv.URL+"/r/2"); err != nil {
		t.Fatal(err)
	}
	if n := srv.verified.Load() - before; n != 4 {
		t.Fatalf("%d verified hops, want 4", n)
	}

	// A signer that declines (no instance key yet) means an unsigned GET.
	unsigned := &Fetcher{Client: f.Client, Policy: policy, Signer: func() (Signer, bool) { return Signer{}, false }}
	_, err = unsigned.GetJSON(ctx, srv.URL+"/actor")
	var fe *FetchError
	if !errors.As(err, &fe) || fe.Status != http.StatusUnauthorized {
		t.Fatalf("unsigned fetch of a signed-only resource: %v", err)
	}

	// A nil Client builds one from the policy.
	if _, err := (&Fetcher{Policy: policy, Signer: f.Signer}).GetJSON(ctx, srv.URL+"/actor"); err != nil {
		t.Fatalf("nil client: %v", err)
	}
}

func TestFetchLimits(t *testing.T) {
	srv := newFetchTestServer(t, false, nil)
	ctx := context.Background()
	policy := FetchPolicy{AllowPrivate: true, MaxRedirects: 3, MaxBytes: 1000, Timeout: 500 * time.Millisecond}
	f := &Fetcher{Client: NewHTTPClient(policy), Policy: policy}

	t.Run("redirects", func(t *testing.T) {
		if _, err := f.GetJSON(ctx, srv.URL+"/r/2"); err != nil { // 3 redirects
			t.Fatalf("3 redirects: %v", err)
		}
		srv.hits.Store(0)
		_, err := f.GetJSON(ctx, srv.URL+"/r/3") // 4 redirects
		if err == nil || !strings.Contains(err.Error(), "redirects") {
			t.Fatalf("4 redirects: %v", err)
		}
		if n := srv.hits.Load(); n != 4 {
			t.Fatalf("%d requests, want 4", n)
		}
		none := FetchPolicy{AllowPrivate: true, MaxRedirects: -1}
		if _, err := (&Fetcher{Client: NewHTTPClient(none), Policy: none}).GetJSON(ctx, srv.URL+"/r/0"); err == nil {
			t.Fatal("redirect followed with MaxRedirects < 0")
		}
		// The client used directly enforces the same limit.
		resp, err := NewHTTPClient(policy).Get(srv.URL + "/r/3")
		if err == nil {
			resp.Body.Close()
			t.Fatal("client followed 4 redirects")
		}
	})
	t.Run("redirect to another scheme", func(t *testing.T) {
		_, _, err := f.Get(ctx, srv.URL+"/to-file", "")
		var re *RefusedError
		if !errors.As(err, &re) {
			t.Fatalf("%v, want *RefusedError", err)
		}
		resp, err := NewHTTPClient(policy).Get(srv.URL + "/to-file")
		if err == nil {
			resp.Body.Close()
		}
		if !errors.As(err, &re) {
			t.Fatalf("client: %v, want *RefusedError", err)
		}
	})
	t.Run("body size", func(t *testing.T) {
		for _, q := range []string{"n=1000", "n=1000&chunked=1"} {
			if _, err := f.GetJSON(ctx, srv.URL+"/big?"+q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
		for _, q := range []string{"n=1001", "n=5000", "n=5000&chunked=1", "n=1001&chunked=1"} {
			if _, err := f.GetJSON(ctx, srv.URL+"/big?"+q); err == nil || !strings.Contains(err.Error(), "limit") {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	t.Run("status", func(t *testing.T) {
		resp, _, err := f.Get(ctx, srv.URL+"/gone", "text/html")
		var fe *FetchError
		if !errors.As(err, &fe) || fe.Status != http.StatusGone || fe.URL != srv.URL+"/gone" {
			t.Fatalf("%v", err)
		}
		if resp == nil || resp.StatusCode != http.StatusGone {
			t.Fatalf("response %v", resp)
		}
	})
	t.Run("content type", func(t *testing.T) {
		if _, err := f.GetJSON(ctx, srv.URL+"/html"); err == nil {
			t.Fatal("GetJSON accepted text/html")
		}
		resp, body, err := f.Get(ctx, srv.URL+"/html", "text/html")
		if err != nil || string(body) != "<p>hello</p>" || resp.Request.URL.Path != "/html" {
			t.Fatalf("%v %q", err, body)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		start := time.Now()
		if _, err := f.GetJSON(ctx, srv.URL+"/slow"); err == nil {
			t.Fatal("no timeout")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("timeout took %s", d)
		}
	})
}

func TestIsJSONContentType(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/activity+json": true,
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`: true,
		"application/json; charset=utf-8":                                      true,
		"application/jrd+json":                                                 true,
		"text/html":                                                            false,
		"":                                                                     false,
		"application/jsonx":                                                    false,
		"text/json+html":                                                       false,
	} {
		if got := isJSONContentType(ct); got != want {
			t.Errorf("%q: %v", ct, got)
		}
	}
}
