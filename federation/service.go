// Package federation holds everything ActivityPub: vocabulary conversion,
// signatures, the inbox processor, the delivery queue, discovery and remote
// fetches. It is the only package importing go-fed, and never imports Echo.
package federation

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"fedpress/models"
)

// Config describes the deployment to federation.
type Config struct {
	URLs              URLs
	AllowPrivatePeers bool // plain http and loopback/private peers: tests and local trials only
	UserAgent         string
	// Workers bounds concurrent deliveries; PerHost bounds them per remote host.
	Workers, PerHost int
	// Instance names the process in claimed queue rows.
	Instance string
	// Registry receives the federation metrics; nil leaves them unregistered.
	Registry prometheus.Registerer
}

// Service is the federation side of one server process.
type Service struct {
	cfg   Config
	store *models.Store
	log   *slog.Logger
	now   func() time.Time
	// kick wakes the delivery workers when rows are queued in this process.
	kick chan struct{}
	// Metrics count what federation does; always non-nil.
	Metrics *Metrics
}

// NewService builds the federation service.
func NewService(cfg Config, store *models.Store, log *slog.Logger) (*Service, error) {
	return &Service{cfg: cfg, store: store, log: log, now: func() time.Time { return time.Now().UTC() }, kick: make(chan struct{}, 1), Metrics: NewMetrics(cfg.Registry)}, nil
}

// wake nudges the delivery workers without blocking.
func (s *Service) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// URLs returns the URL builder.
func (s *Service) URLs() URLs { return s.cfg.URLs }

// Run runs the background workers until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// runInbox processes stored inbox items until ctx ends (inbox engineer).
func (s *Service) runInbox(ctx context.Context) { <-ctx.Done() }

// ArticleSaved federates a created, published or edited article: Create when
// it becomes visible for the first time, Update afterwards.
func (s *Service) ArticleSaved(ctx context.Context, articleID uint) error { return nil }

// ArticleDeleted federates Delete{Tombstone} for an announced article.
func (s *Service) ArticleDeleted(ctx context.Context, articleID uint) error { return nil }
