package federation

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

const (
	defaultFetchTimeout   = 20 * time.Second
	defaultFetchMaxBytes  = 2 << 20
	defaultFetchRedirects = 5
	defaultUserAgent      = "fedpress"

	// Accept for ActivityPub objects: both forms the spec allows.
	activityAccept = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
)

// FetchPolicy limits outgoing requests to remote servers.
type FetchPolicy struct {
	// AllowPrivate (--allow-private-peers) permits plain http and loopback or
	// private addresses: for local test federations only.
	AllowPrivate bool
	Timeout      time.Duration // whole request incl. redirects; 0 → 20 s
	MaxBytes     int64         // response body limit; 0 → 2 MiB
	MaxRedirects int           // 0 → 5; negative → none followed
	UserAgent    string        // "" → "fedpress"
}

func (p FetchPolicy) withDefaults() FetchPolicy {
	if p.Timeout <= 0 {
		p.Timeout = defaultFetchTimeout
	}
	if p.MaxBytes <= 0 {
		p.MaxBytes = defaultFetchMaxBytes
	}
	if p.MaxRedirects == 0 {
		p.MaxRedirects = defaultFetchRedirects
	} else if p.MaxRedirects < 0 {
		p.MaxRedirects = 0
	}
	if p.UserAgent == "" {
		p.UserAgent = defaultUserAgent
	}
	return p
}

// RefusedError is a request refused before any traffic by the address or
// scheme policy (SSRF guard).
type RefusedError struct {
	Target string
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refusing to fetch %s: %s", e.Target, e.Reason)
}

// FetchError is a non-2xx answer from a remote server.
type FetchError struct {
	URL    string
	Status int
}

func (e *FetchError) Error() string {
	return fmt.Sprintf("fetch %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// CheckURL refuses, without network traffic, URLs the policy never allows:
// schemes other than https (http too with allowPrivate), user info, and hosts
// that are literal non-public IPs or localhost names. Hostnames are checked
// again after DNS at dial time by clients from NewHTTPClient.
func CheckURL(rawURL string, allowPrivate bool) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return &RefusedError{Target: rawURL, Reason: "unparseable URL: " + err.Error()}
	}
	return checkParsedURL(u, allowPrivate)
}

func checkParsedURL(u *url.URL, allowPrivate bool) error {
	target := u.Redacted()
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !allowPrivate {
			return &RefusedError{Target: target, Reason: "plain http is not allowed (https only)"}
		}
	default:
		return &RefusedError{Target: target, Reason: fmt.Sprintf("scheme %q is not allowed", u.Scheme)}
	}
	if u.User != nil {
		return &RefusedError{Target: target, Reason: "URLs with user info are not allowed"}
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	if host == "" {
		return &RefusedError{Target: target, Reason: "no host"}
	}
	if allowPrivate {
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if reason := nonPublicReason(a); reason != "" {
			return &RefusedError{Target: target, Reason: reason}
		}
		return nil
	}
	lower := strings.ToLower(host)
	if lower == "localhost" || strings.HasSuffix(lower, ".localhost") {
		return &RefusedError{Target: target, Reason: "localhost is not allowed"}
	}
	// Numeric forms like 2130706433, 0x7f.1 or 127.1 are not IPs to Go, but
	// libc resolvers turn them into addresses; no real domain has a numeric
	// last label.
	last := lower[strings.LastIndexByte(lower, '.')+1:]
	if strings.HasPrefix(last, "0x") || strings.Trim(last, "0123456789") == "" {
		return &RefusedError{Target: target, Reason: "numeric host name is not allowed"}
	}
	return nil
}

// nonPublicReason says why an address is not a public unicast address, or
// "" if it is.
func nonPublicReason(a netip.Addr) string {
	a = a.WithZone("").Unmap()
	switch {
	case !a.IsValid():
		return "invalid address"
	case a.IsUnspecified():
		return "unspecified address " + a.String()
	case a.IsLoopback():
		return "loopback address " + a.String()
	case a.IsPrivate():
		return "private address " + a.String()
	case a.IsLinkLocalUnicast():
		return "link-local address " + a.String()
	case a.IsMulticast():
		return "multicast address " + a.String()
	}
	// Ranges net/netip has no predicate for. Built per call (cheap) so no
	// package-level mutable state is needed.
	special := []struct{ prefix, what string }{
		{"0.0.0.0/8", "\"this network\""},
		{"100.64.0.0/10", "carrier-grade NAT"},
		{"192.0.0.0/24", "IETF protocol assignment"},
		{"192.0.2.0/24", "documentation"},
		{"198.18.0.0/15", "benchmarking"},
		{"198.51.100.0/24", "documentation"},
		{"203.0.113.0/24", "documentation"},
		{"240.0.0.0/4", "reserved"}, // includes 255.255.255.255
		{"::/96", "IPv4-compatible"},
		{"64:ff9b:1::/48", "local NAT64"},
		{"100::/64", "discard-only"},
		{"2001:2::/48", "benchmarking"},
		{"2001:db8::/32", "documentation"},
		{"fec0::/10", "site-local"},
	}
	for _, s := range special {
		if netip.MustParsePrefix(s.prefix).Contains(a) {
			return s.what + " address " + a.String()
		}
	}
	// Translation prefixes embed an IPv4 address that the gateway will
	// reach: judge that one (NAT64 64:ff9b::/96, 6to4 2002::/16).
	if a.Is6() {
		b := a.As16()
		if netip.MustParsePrefix("64:ff9b::/96").Contains(a) {
			if r := nonPublicReason(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})); r != "" {
				return "NAT64 of " + r
			}
		}
		if netip.MustParsePrefix("2002::/16").Contains(a) {
			if r := nonPublicReason(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})); r != "" {
				return "6to4 of " + r
			}
		}
	}
	return ""
}

// NewHTTPClient returns a client for talking to remote servers. Unless
// p.AllowPrivate, its dialer refuses non-public addresses after DNS
// resolution (so DNS rebinding cannot reach internal services), and every
// request, redirects included, must be https to a host CheckURL accepts.
// Environment proxies are ignored: a proxy would hide the real destination
// from the dial-time check.
func NewHTTPClient(p FetchPolicy) *http.Client {
	p = p.withDefaults()
	dialer := &net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
	}
	if !p.AllowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return &RefusedError{Target: address, Reason: "unparseable dial address"}
			}
			a, err := netip.ParseAddr(host)
			if err != nil {
				return &RefusedError{Target: address, Reason: "dial address is not an IP"}
			}
			if reason := nonPublicReason(a); reason != "" {
				return &RefusedError{Target: address, Reason: reason}
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: p.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	maxRedirects := p.MaxRedirects
	return &http.Client{
		Transport: &guardedTransport{base: tr, allowPrivate: p.AllowPrivate},
		Timeout:   p.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return checkParsedURL(req.URL, p.AllowPrivate)
		},
	}
}

// guardedTransport applies the URL policy to every request, so a client from
// NewHTTPClient is safe even when used directly.
type guardedTransport struct {
	base         *http.Transport
	allowPrivate bool
}

func (t *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkParsedURL(req.URL, t.allowPrivate); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return t.base.RoundTrip(req)
}

func (t *guardedTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }

// Fetcher fetches remote documents under a FetchPolicy. Client should come
// from NewHTTPClient (nil builds one per call); Signer, when set and ok,
// provides the instance actor's key for signed GETs (GoToSocial and Mastodon
// in authorized-fetch mode answer only those).
type Fetcher struct {
	Client *http.Client
	Policy FetchPolicy
	Signer func() (Signer, bool)
}

// GetJSON fetches an ActivityPub document with a signed GET and returns its
// body. Redirects are followed (each hop re-signed and re-checked); callers
// must still check that the document's id is on rawURL's host.
func (f *Fetcher) GetJSON(ctx context.Context, rawURL string) ([]byte, error) {
	resp, body, err := f.fetch(ctx, rawURL, activityAccept, true)
	if err != nil {
		return nil, err
	}
	ct := resp.Header.Get("Content-Type")
	if !isJSONContentType(ct) {
		return nil, fmt.Errorf("fetch %s: content type %q is not JSON", rawURL, ct)
	}
	return body, nil
}

// Get fetches rawURL unsigned with the given Accept (for web pages such as
// webmention sources) under the same guards. The returned response's Body is
// already consumed and closed; its Request.URL is the final URL. A non-2xx
// answer returns the response and a *FetchError.
func (f *Fetcher) Get(ctx context.Context, rawURL string, accept string) (*http.Response, []byte, error) {
	return f.fetch(ctx, rawURL, accept, false)
}

func (f *Fetcher) fetch(ctx context.Context, rawURL, accept string, sign bool) (*http.Response, []byte, error) {
	p := f.Policy.withDefaults()
	client := f.Client
	if client == nil {
		client = NewHTTPClient(p)
		defer client.CloseIdleConnections()
	}
	// Follow redirects by hand so each hop is re-signed (a signature covers
	// the request-target) and re-checked.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()

	current := rawURL
	for hop := 0; ; hop++ {
		u, err := url.Parse(current)
		if err != nil {
			return nil, nil, &RefusedError{Target: current, Reason: "unparseable URL: " + err.Error()}
		}
		if err := checkParsedURL(u, p.AllowPrivate); err != nil {
			return nil, nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, current, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("fetch %s: %w", current, err)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		req.Header.Set("User-Agent", p.UserAgent)
		if sign && f.Signer != nil {
			if s, ok := f.Signer(); ok {
				if err := s.SignRequest(req, nil); err != nil {
					return nil, nil, fmt.Errorf("fetch %s: %w", current, err)
				}
			}
		}
		resp, err := c.Do(req)
		if err != nil {
			return nil, nil, fmt.Errorf("fetch %s: %w", current, err)
		}
		if isRedirect(resp.StatusCode) && resp.Header.Get("Location") != "" {
			discardBody(resp)
			if hop >= p.MaxRedirects {
				return nil, nil, fmt.Errorf("fetch %s: stopped after %d redirects", rawURL, p.MaxRedirects)
			}
			loc, err := resp.Location()
			if err != nil {
				return nil, nil, fmt.Errorf("fetch %s: bad redirect: %w", current, err)
			}
			current = loc.String()
			continue
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			discardBody(resp)
			return resp, nil, &FetchError{URL: current, Status: resp.StatusCode}
		}
		body, err := readLimited(resp, p.MaxBytes)
		if err != nil {
			return resp, nil, fmt.Errorf("fetch %s: %w", current, err)
		}
		return resp, body, nil
	}
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// discardBody drains a little (to allow connection reuse) and closes.
func discardBody(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
	resp.Body = http.NoBody
}

func readLimited(resp *http.Response, max int64) ([]byte, error) {
	defer func() {
		resp.Body.Close()
		resp.Body = http.NoBody
	}()
	if resp.ContentLength > max {
		return nil, fmt.Errorf("response of %d bytes exceeds the %d-byte limit", resp.ContentLength, max)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("response exceeds the %d-byte limit", max)
	}
	return body, nil
}

// isJSONContentType accepts application/json, application/activity+json,
// application/ld+json and any other +json type.
func isJSONContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}
