// Package handlers holds the HTTP routes and thin handlers. It is the only
// package importing Echo.
package handlers

import (
	"log/slog"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"fedpress/federation"
	"fedpress/models"
	"fedpress/web"
)

// Config is what handlers need to know of the deployment.
type Config struct {
	URLs              federation.URLs
	MaxUploadBytes    int64
	SecureCookies     bool   // Secure flag on the session cookie (https base URL)
	MetricsToken      string // bearer token /metrics requires; empty: nobody gets metrics
	MetricsEnabled    bool
	AllowPrivatePeers bool
	Version           string
	// RateLimits bound pingbacks, webmentions, remote interactions and
	// visitor comments per client address; zero fields take the defaults.
	RateLimits RateLimits
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client; empty: the connection's address is the client.
	TrustedProxies []netip.Prefix
	// Registry collects metrics for /metrics; nil disables them.
	Registry *prometheus.Registry
	// MailEnabled: an SMTP server is configured, so "Lost your password?"
	// mails a link and notification settings matter.
	MailEnabled bool
}

// Server carries the dependencies of every handler; no globals, so tests run
// many servers in one process.
type Server struct {
	Store *models.Store
	Fed   *federation.Service
	Views *web.Views
	Media web.MediaStore
	Cfg   Config
	Log   *slog.Logger
	Now   func() time.Time

	loginLimiter *loginLimiter
	writeLimits  writeLimiters
	resetLimiter *rateLimiter // "Lost your password?" requests per address
	metrics      *httpMetrics
	pages        *pageCache
	// routeWords are the routes' first path segments, which static pages
	// (/slug/) may not take; Routes fills it.
	routeWords map[string]bool
}

// New builds a Server.
func New(store *models.Store, fed *federation.Service, views *web.Views, media web.MediaStore, cfg Config, log *slog.Logger) *Server {
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 10 << 20
	}
	cfg.RateLimits = cfg.RateLimits.withDefaults()
	return &Server{
		Store: store, Fed: fed, Views: views, Media: media, Cfg: cfg, Log: log,
		Now:          func() time.Time { return time.Now().UTC() },
		loginLimiter: newLoginLimiter(),
		writeLimits:  newWriteLimiters(cfg.RateLimits),
		resetLimiter: newRateLimiter(5, time.Hour),
		metrics:      newHTTPMetrics(cfg.Registry),
		pages:        newPageCache(1024, 5*time.Minute),
	}
}
