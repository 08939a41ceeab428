package handlers

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// RateLimit allows Max requests per client address within Window.
type RateLimit struct {
	Max    int
	Window time.Duration
}

// RateLimits bound the anonymous endpoints that store rows or make the
// server fetch other sites, per client address; a zero field takes its
// default (see withDefaults).
type RateLimits struct {
	Pingback, Webmention, Interact, Comment RateLimit
	// InboxActor and InboxHost bound inbox POSTs per verified signer and
	// per signer's host (see inboxGate), not per client address.
	InboxActor, InboxHost RateLimit
}

// withDefaults fills the zero fields. Honest senders stay well under them:
// a post linking several of our articles pings each once, a reader tries a
// handle or two, a lively discussion is a comment every few minutes.
func (r RateLimits) withDefaults() RateLimits {
	def := func(l *RateLimit, max int, window time.Duration) {
		if l.Max <= 0 {
			l.Max = max
		}
		if l.Window <= 0 {
			l.Window = window
		}
	}
	def(&r.Pingback, 10, time.Minute)
	def(&r.Webmention, 10, time.Minute)
	def(&r.Interact, 5, time.Minute)
	def(&r.Comment, 10, 10*time.Minute)
	// A person replies, likes and boosts a few times a minute at most; a
	// big instance sends a blog a few activities a second when an article
	// goes round. Senders retry a 429 later, so a burst is delayed, not lost.
	def(&r.InboxActor, 30, time.Minute)
	def(&r.InboxHost, 300, time.Minute)
	return r
}

// writeLimiters are the limiters of the anonymous write endpoints.
type writeLimiters struct {
	pingback, webmention, interact, comment *rateLimiter
	inboxActor, inboxHost                   *rateLimiter
}

func newWriteLimiters(r RateLimits) writeLimiters {
	return writeLimiters{
		pingback:   newRateLimiter(r.Pingback.Max, r.Pingback.Window),
		webmention: newRateLimiter(r.Webmention.Max, r.Webmention.Window),
		interact:   newRateLimiter(r.Interact.Max, r.Interact.Window),
		comment:    newRateLimiter(r.Comment.Max, r.Comment.Window),
		inboxActor: newRateLimiter(r.InboxActor.Max, r.InboxActor.Window),
		inboxHost:  newRateLimiter(r.InboxHost.Max, r.InboxHost.Window),
	}
}

// maxLimiterKeys bounds the addresses one limiter remembers (a few MB).
const maxLimiterKeys = 10000

// rateLimiter allows at most max events per client address within a
// sliding window. It counts failed logins for the login limiter and every
// request for the anonymous write endpoints. Memory stays bounded: at most
// max times per address and maxLimiterKeys addresses; when full, expired
// addresses are dropped and, if too few expired, arbitrary ones are
// forgotten (whoever has that many addresses is not stopped by a
// per-address limit anyway).
type rateLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	seen   map[string]*limiterEntry
}

type limiterEntry struct {
	times    []time.Time // within the window, oldest first
	refusing bool        // the last take was refused
}

func newRateLimiter(max int, window time.Duration) *rateLimiter {
	return &rateLimiter{max: max, window: window, seen: map[string]*limiterEntry{}}
}

// wait reports how long ip must wait before its next event is allowed;
// 0 means it is allowed now. Nothing is recorded.
func (l *rateLimiter) wait(ip string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waitLocked(l.entry(limiterKey(ip), now, false), now)
}

// add records an event of ip at now.
func (l *rateLimiter) add(ip string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.record(l.entry(limiterKey(ip), now, true), now)
}

// take records an event of ip at now if it is allowed and returns 0;
// otherwise it returns the wait, and first is true for the first refusal
// since ip was last allowed (so a flood is logged once, not per request).
func (l *rateLimiter) take(ip string, now time.Time) (wait time.Duration, first bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entry(limiterKey(ip), now, true)
	if wait = l.waitLocked(e, now); wait > 0 {
		first = !e.refusing
		e.refusing = true
		return wait, first
	}
	e.refusing = false
	l.record(e, now)
	return 0, false
}

// forget drops everything known of ip.
func (l *rateLimiter) forget(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.seen, limiterKey(ip))
}

// entry returns key's entry with expired times dropped; with create=false
// it may be nil.
func (l *rateLimiter) entry(key string, now time.Time, create bool) *limiterEntry {
	if e := l.seen[key]; e != nil {
		e.prune(now, l.window)
		return e
	}
	if !create {
		return nil
	}
	if len(l.seen) >= maxLimiterKeys {
		l.evict(now)
	}
	e := &limiterEntry{}
	l.seen[key] = e
	return e
}

func (l *rateLimiter) waitLocked(e *limiterEntry, now time.Time) time.Duration {
	if e == nil || len(e.times) < l.max {
		return 0
	}
	// The oldest event leaving the window frees a slot.
	return max(e.times[len(e.times)-l.max].Add(l.window).Sub(now), time.Second)
}

func (l *rateLimiter) record(e *limiterEntry, now time.Time) {
	e.times = append(e.times, now)
	if len(e.times) > l.max {
		e.times = e.times[len(e.times)-l.max:]
	}
}

// evict makes room for new addresses: expired ones go, then arbitrary ones
// down to 90% of the bound, so a flood of new addresses pays for a sweep
// once per thousand, not on each.
func (l *rateLimiter) evict(now time.Time) {
	for k, e := range l.seen {
		if e.prune(now, l.window); len(e.times) == 0 {
			delete(l.seen, k)
		}
	}
	for k := range l.seen {
		if len(l.seen) <= maxLimiterKeys*9/10 {
			break
		}
		delete(l.seen, k)
	}
}

func (e *limiterEntry) prune(now time.Time, window time.Duration) {
	i := 0
	for i < len(e.times) && now.Sub(e.times[i]) >= window {
		i++
	}
	e.times = e.times[i:]
}

// limiterKey is what one client is counted by: its IPv4 address, or the
// /64 of an IPv6 address, since one home or server usually holds a whole
// /64 and could otherwise pick a fresh address per request.
func limiterKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// rateLimited wraps next with l, counting every request by c.RealIP().
// Past the allowance the client gets 429 with Retry-After, and refuse
// writes the body in the route's own format; wait reads "in 40 seconds".
func (s *Server) rateLimited(next echo.HandlerFunc, l *rateLimiter, refuse func(c echo.Context, wait string) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		ip := c.RealIP()
		d, first := l.take(ip, s.Now())
		if d == 0 {
			return next(c)
		}
		secs := int(math.Ceil(d.Seconds()))
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
		if first {
			s.Log.Warn("rate limited: further requests refused until the window passes",
				"ip", ip, "route", c.Path(), "path", c.Request().URL.Path, "limit", l.max, "window", l.window, "retry_after_s", secs)
		}
		return refuse(c, waitText(secs))
	}
}

// waitText says how long to wait, for people: "in 40 seconds", "in 3 minutes".
func waitText(secs int) string {
	switch {
	case secs <= 1:
		return "in a second"
	case secs < 90:
		return "in " + strconv.Itoa(secs) + " seconds"
	default:
		return "in " + strconv.Itoa((secs+59)/60) + " minutes"
	}
}

// refusePage answers a browser form over its limit with the site's error
// page (or JSON for JSON clients, as every error).
func (s *Server) refusePage(heading, message string) func(echo.Context, string) error {
	return func(c echo.Context, wait string) error {
		return s.writeError(c, errorView{Status: http.StatusTooManyRequests, Heading: heading, Message: message + " Please try again " + wait + "."})
	}
}
