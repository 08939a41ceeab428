// Package federation holds everything ActivityPub: vocabulary conversion,
// signatures, the inbox processor, the delivery queue, discovery and remote
// fetches. It is the only package importing go-fed, and never imports Echo.
package federation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"fedpress/models"
)

// Config describes the deployment to federation.
type Config struct {
	URLs              URLs
	AllowPrivatePeers bool // plain http and loopback/private peers: tests and local trials only
	UserAgent         string
	// Workers bounds concurrent deliveries; PerHost bounds them per remote host.
	Workers, PerHost int
	// InboxWorkers bounds the inbox lanes applied at once (see ProcessInbox);
	// 0 picks the default for the database.
	InboxWorkers int
	// Instance names the process in claimed queue rows.
	Instance string
	// InboxFetchBudget is the total time one incoming activity may spend
	// on remote fetches (parents, context, authors); past it, it is stored
	// with what is known. InboxFetchLimit caps the count of those fetches.
	// OriginBackoff is how long an origin whose fetch timed out is not
	// fetched from. 0 takes the defaults (15 s, 50, 10 min).
	InboxFetchBudget time.Duration
	InboxFetchLimit  int
	OriginBackoff    time.Duration
	// KeyFetches bounds the key fetches inbox requests wait for at once
	// (0 → 16); over it, requests naming unknown keys get 429.
	KeyFetches int
	// InboxPendingPerActor caps one actor's stored, unprocessed activities
	// (0 → 20); over it, its POSTs get 429 until the worker catches up.
	InboxPendingPerActor int
	// Registry receives the federation metrics; nil leaves them unregistered.
	Registry prometheus.Registerer
}

// Defaults for Config.Workers and Config.PerHost. A few connections per
// host is what Mastodon's push queue ends up using; more only queues at the
// peer.
const (
	defaultWorkers = 32
	defaultPerHost = 4
)

// defaultInboxWorkers is Config.InboxWorkers by database, as measured with
// bench/inbox: PostgreSQL applies independent activities side by side,
// while SQLite has one writer and more lanes only wait for its lock.
func defaultInboxWorkers(dialect string) int {
	if dialect == "postgres" {
		return 8
	}
	return 2
}

// tuning holds the timings of the background work; tests shorten them.
type tuning struct {
	claimTimeout     time.Duration // a claim older than this belongs to a dead process
	poll             time.Duration // how often to look for rows queued elsewhere or due retries
	requestTimeout   time.Duration // one delivery POST, connect to last byte
	shutdownGrace    time.Duration // in-flight deliveries may finish this long after Run's ctx ends
	maintenanceEvery time.Duration // deferring unreachable hosts, probes, queue depth
	schedulerEvery   time.Duration // scheduled articles going live
	leaseTTL         time.Duration // scheduler lease; renewed every tick
	baseBackoff      time.Duration // first retry delay, doubled per attempt
	maxBackoff       time.Duration // retry delay cap
	giveUpAfter      time.Duration // a row is failed once retrying would pass this age
	unreachableAfter time.Duration // a host failing this long is skipped
	deferUnreachable time.Duration // how far the rows of an unreachable host are pushed back
	probeEvery       time.Duration // an unreachable host gets one delivery attempt this often
	hostWriteEvery   time.Duration // a healthy host's state is written at most this often
}

func defaultTuning() tuning {
	return tuning{
		claimTimeout:     2 * time.Minute,
		poll:             2 * time.Second,
		requestTimeout:   30 * time.Second,
		shutdownGrace:    10 * time.Second,
		maintenanceEvery: 30 * time.Second,
		schedulerEvery:   5 * time.Second,
		leaseTTL:         30 * time.Second,
		baseBackoff:      30 * time.Second,
		maxBackoff:       12 * time.Hour,
		giveUpAfter:      5 * 24 * time.Hour,
		unreachableAfter: 48 * time.Hour,
		deferUnreachable: time.Hour,
		probeEvery:       24 * time.Hour,
		hostWriteEvery:   time.Minute,
	}
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

	// holder names this process in claimed rows and leases.
	holder string
	tune   tuning
	// client posts deliveries; one per Service so connections are reused.
	client *http.Client
	keys   signerCache
	hosts  hostTracker
	// resolveKeyFn replaces ResolveKey in VerifyGET (tests).
	resolveKeyFn KeyResolver
	// origins are the hosts backed off after a timeout; keyFailures the
	// key ids whose fetch failed recently.
	origins, keyFailures *expiringSet
	keyFetches           singleflight.Group
	keyGate              keyFetchGate
}

// NewService builds the federation service.
func NewService(cfg Config, store *models.Store, log *slog.Logger) (*Service, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = defaultWorkers
	}
	if cfg.PerHost <= 0 {
		cfg.PerHost = defaultPerHost
	}
	if cfg.PerHost > cfg.Workers {
		cfg.PerHost = cfg.Workers
	}
	if cfg.InboxWorkers <= 0 {
		cfg.InboxWorkers = defaultInboxWorkers(store.Dialect())
	}
	if cfg.InboxFetchBudget <= 0 {
		cfg.InboxFetchBudget = defaultInboxFetchBudget
	}
	if cfg.InboxFetchLimit <= 0 {
		cfg.InboxFetchLimit = defaultInboxFetchLimit
	}
	if cfg.OriginBackoff <= 0 {
		cfg.OriginBackoff = defaultOriginBackoff
	}
	if cfg.KeyFetches <= 0 {
		cfg.KeyFetches = defaultKeyFetches
	}
	if cfg.InboxPendingPerActor <= 0 {
		cfg.InboxPendingPerActor = defaultPendingPerActor
	}
	if log == nil {
		log = slog.Default()
	}
	holder := cfg.Instance
	if holder == "" {
		// Unique per Service, so two processes (or two test servers) never
		// mistake each other's claims for their own.
		host, _ := os.Hostname()
		b := make([]byte, 4)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("instance id: %w", err)
		}
		holder = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	s := &Service{
		cfg: cfg, store: store, log: log, now: func() time.Time { return time.Now().UTC() },
		kick: make(chan struct{}, 1), Metrics: NewMetrics(cfg.Registry),
		holder: holder, tune: defaultTuning(),
		keys:    signerCache{m: map[string]cachedSigner{}},
		hosts:   hostTracker{m: map[string]hostState{}},
		origins: newExpiringSet(maxRemembered), keyFailures: newExpiringSet(maxRemembered),
	}
	s.client = s.newDeliveryClient()
	return s, nil
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

// Run runs the background workers until ctx ends: the delivery queue, the
// scheduler of articles going live, the inbox processor and the pingback
// and webmention verifier. It returns once they have stopped and released
// their claims. Before they start, it releases what this process's name
// still holds from an earlier run (see releaseLeftovers).
func (s *Service) Run(ctx context.Context) error {
	s.releaseLeftovers(ctx)
	var wg sync.WaitGroup
	for _, run := range []func(context.Context){s.runDeliveries, s.runScheduler, s.runInbox, s.RunLinkVerifier} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(ctx)
		}()
	}
	wg.Wait()
	return nil
}

// releaseLeftovers gives back the deliveries and inbox items still claimed
// under this process's name. Live processes never share a name (see
// docs/operations.md), so with a stable name (--instance-name) these are
// what an earlier run of this process held when it died; released, they
// are due at once instead of after the stale-claim timeouts. A generated
// name holds nothing yet. A failure only leaves them to those timeouts.
func (s *Service) releaseLeftovers(ctx context.Context) {
	deliveries, err := s.store.CountClaimedDeliveries(ctx, s.holder)
	if err == nil && deliveries > 0 {
		err = s.store.ReleaseDeliveries(ctx, s.holder, nil)
	}
	if err != nil {
		s.log.Warn("release deliveries left by an earlier run", "instance", s.holder, "err", err)
		deliveries = 0
	}
	items, err := s.store.ReleaseInboxItems(ctx, s.holder)
	if err != nil {
		s.log.Warn("release inbox items left by an earlier run", "instance", s.holder, "err", err)
	}
	if deliveries > 0 || items > 0 {
		s.log.Info("released work left by an earlier run of this instance", "instance", s.holder, "deliveries", deliveries, "inbox_items", items)
	}
}
