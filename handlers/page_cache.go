package handlers

import (
	"bytes"
	"container/list"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// pageCache keeps rendered public pages. Entries are keyed by URL and the
// database's page generation, which every write affecting a page bumps (in
// any process), so a hit is never stale; the TTL only bounds memory held by
// pages nobody asks for and covers time-based changes between writes.
type pageCache struct {
	mu      sync.Mutex
	max     int
	ttl     time.Duration
	entries map[string]*list.Element
	lru     *list.List
	// fetchSetting remembers the authorized-fetch setting per generation
	// (settings are a page table, so a change bumps the generation).
	fetchSetting atomic.Pointer[fetchSetting]
}

type fetchSetting struct {
	gen      int64
	required bool
}

// fetchRequired returns the authorized-fetch setting for generation gen,
// calling load only when the generation changed.
func (pc *pageCache) fetchRequired(gen int64, load func() (bool, error)) (bool, error) {
	if f := pc.fetchSetting.Load(); f != nil && f.gen == gen {
		return f.required, nil
	}
	required, err := load()
	if err != nil {
		return false, err
	}
	pc.fetchSetting.Store(&fetchSetting{gen: gen, required: required})
	return required, nil
}

type cachedPage struct {
	key    string
	gen    int64
	at     time.Time
	status int
	header http.Header
	body   []byte
}

func newPageCache(max int, ttl time.Duration) *pageCache {
	return &pageCache{max: max, ttl: ttl, entries: map[string]*list.Element{}, lru: list.New()}
}

func (pc *pageCache) get(key string, gen int64, now time.Time) *cachedPage {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	el, ok := pc.entries[key]
	if !ok {
		return nil
	}
	p := el.Value.(*cachedPage)
	if p.gen != gen || now.Sub(p.at) > pc.ttl {
		pc.lru.Remove(el)
		delete(pc.entries, key)
		return nil
	}
	pc.lru.MoveToFront(el)
	return p
}

func (pc *pageCache) put(p *cachedPage) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if el, ok := pc.entries[p.key]; ok {
		pc.lru.Remove(el)
	}
	pc.entries[p.key] = pc.lru.PushFront(p)
	for pc.lru.Len() > pc.max {
		old := pc.lru.Back()
		pc.lru.Remove(old)
		delete(pc.entries, old.Value.(*cachedPage).key)
	}
}

// recorder tees the response so a 200 page can be stored.
type recorder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (r *recorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

// maxCachedBody keeps one huge page from taking the cache's memory.
const maxCachedBody = 2 << 20

// generationMaxAge is how long a page-generation reading is trusted: a
// change made by another process (a worker, `fedpress post`) reaches this
// process's cache within it; this process's own writes show at once.
// Reading the generation once per request was the largest cost of a hit.
const generationMaxAge = 100 * time.Millisecond

// cachePage serves anonymous HTML, feed and ActivityPub GETs from the page
// cache. Admins (session cookie) and visitors with a held comment or saved
// details (comment_cookies.go) always go to the handler. ActivityPub
// answers are cached apart from HTML (same URL, other document) and only
// while authorized fetch is off: with it on, every fetch must have its
// signature checked and an unsigned one gets a reduced actor.
func (s *Server) cachePage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method != http.MethodGet || hasSessionCookie(r) || hasVisitorCookie(r) {
			return next(c)
		}
		ctx := r.Context()
		gen, err := s.Store.RecentPageGeneration(ctx, generationMaxAge)
		if err != nil {
			return next(c)
		}
		key := r.URL.RequestURI()
		if wantsAS2(c) {
			required, err := s.pages.fetchRequired(gen, func() (bool, error) { return s.Fed.FetchRequired(ctx) })
			if err != nil || required {
				return next(c)
			}
			key = "as2 " + key
		}
		now := time.Now()
		if p := s.pages.get(key, gen, now); p != nil {
			h := c.Response().Header()
			for k, v := range p.header {
				h[k] = v
			}
			h.Set("X-Cache", "hit")
			if etag := p.header.Get("ETag"); etag != "" && etagMatch(r.Header.Get("If-None-Match"), etag) {
				return c.NoContent(http.StatusNotModified)
			}
			return c.Blob(p.status, p.header.Get("Content-Type"), p.body)
		}
		rec := &recorder{ResponseWriter: c.Response().Writer}
		c.Response().Writer = rec
		c.Response().Header().Set("X-Cache", "miss")
		err = next(c)
		c.Response().Writer = rec.ResponseWriter
		if err == nil && rec.status == http.StatusOK && rec.buf.Len() <= maxCachedBody && !personal(c.Response().Header()) {
			s.pages.put(&cachedPage{key: key, gen: gen, at: now, status: rec.status,
				header: c.Response().Header().Clone(), body: bytes.Clone(rec.buf.Bytes())})
		}
		return err
	}
}

// personal reports a response made for one visitor only, which no shared
// cache may keep.
func personal(h http.Header) bool {
	cc := strings.ToLower(h.Get("Cache-Control"))
	return strings.Contains(cc, "private") || strings.Contains(cc, "no-store")
}

func hasSessionCookie(r *http.Request) bool {
	_, err := r.Cookie(sessionCookie)
	return err == nil
}

// etagMatch reports whether an If-None-Match header names etag (or "*").
func etagMatch(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || strings.TrimPrefix(part, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}
