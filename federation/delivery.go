package federation

import (
	"context"
	"sync"
	"time"

	"fedpress/models"
)

// The delivery queue: rows in the deliveries table, one per activity and
// inbox, claimed by whichever process has a free worker. A dispatcher claims
// only as many rows as it has free workers, at most PerHost per host and
// none for hosts already at their limit, so a slow or dead host occupies at
// most PerHost workers and never delays the others. Rows a process claimed
// but could not finish (it died) are taken over after tune.claimTimeout.

// pool is the in-memory side of the dispatcher: free workers and the
// deliveries in flight per host.
type pool struct {
	mu       sync.Mutex
	inflight map[string]int
	total    int
	done     chan struct{} // a worker finished: there may be room for more
	wg       sync.WaitGroup
}

// runDeliveries dispatches due deliveries until ctx ends, then lets the
// in-flight ones finish for a grace period and releases what is left.
func (s *Service) runDeliveries(ctx context.Context) {
	p := &pool{inflight: map[string]int{}, done: make(chan struct{}, s.cfg.Workers)}
	// Sends outlive ctx by the grace period, so a shutdown does not cut
	// requests that are about to succeed (and would be sent twice).
	sendCtx, cancelSends := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSends()
	poll := time.NewTicker(s.tune.poll)
	defer poll.Stop()
	var lastMaintenance time.Time
	s.log.Info("delivery workers running", "workers", s.cfg.Workers, "per_host", s.cfg.PerHost, "instance", s.holder)
	for ctx.Err() == nil {
		if now := s.now(); now.Sub(lastMaintenance) >= s.tune.maintenanceEvery {
			lastMaintenance = now
			s.maintainQueue(ctx, p, sendCtx)
		}
		if s.dispatch(ctx, p, sendCtx) {
			continue // a full batch: there may be more due rows
		}
		select {
		case <-ctx.Done():
		case <-s.kick:
		case <-p.done:
		case <-poll.C:
		}
	}
	s.drain(p, cancelSends)
}

// dispatch claims rows for the free workers and starts them. It reports
// whether it filled every free worker (so the caller loops at once).
func (s *Service) dispatch(ctx context.Context, p *pool, sendCtx context.Context) bool {
	p.mu.Lock()
	free := s.cfg.Workers - p.total
	var skip []string
	for h, n := range p.inflight {
		if n >= s.cfg.PerHost {
			skip = append(skip, h)
		}
	}
	p.mu.Unlock()
	if free <= 0 {
		return false
	}
	now := s.now()
	rows, err := s.store.ClaimDeliveries(ctx, models.DeliveryClaim{
		Holder: s.holder, Now: now, StaleBefore: now.Add(-s.tune.claimTimeout),
		Limit: free, PerHost: s.cfg.PerHost, SkipHosts: skip,
	})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("claim deliveries", "err", err)
		}
		return false
	}
	var surplus []uint
	started := 0
	for _, d := range rows {
		if !s.start(p, sendCtx, d, false) {
			surplus = append(surplus, d.ID)
			continue
		}
		started++
	}
	if len(surplus) > 0 {
		// Claimed for a host that filled up meanwhile: give them back now
		// rather than hold a claim nobody works on.
		if err := s.store.ReleaseDeliveries(context.WithoutCancel(ctx), s.holder, surplus); err != nil {
			s.log.Warn("release surplus deliveries", "err", err)
		}
	}
	return started > 0 && started == free
}

// start runs one delivery in its own goroutine if its host has a free slot
// (a probe always runs: it is one request a day).
func (s *Service) start(p *pool, sendCtx context.Context, d models.Delivery, probe bool) bool {
	p.mu.Lock()
	if !probe && (p.inflight[d.Host] >= s.cfg.PerHost || p.total >= s.cfg.Workers) {
		p.mu.Unlock()
		return false
	}
	p.inflight[d.Host]++
	p.total++
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer func() {
			p.mu.Lock()
			if p.inflight[d.Host]--; p.inflight[d.Host] <= 0 {
				delete(p.inflight, d.Host)
			}
			p.total--
			p.mu.Unlock()
			select {
			case p.done <- struct{}{}:
			default:
			}
			p.wg.Done()
		}()
		s.deliver(sendCtx, d)
	}()
	return true
}

// drain waits for in-flight deliveries up to the grace period, cancels the
// rest, and releases every row this process still holds.
func (s *Service) drain(p *pool, cancelSends context.CancelFunc) {
	finished := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-time.After(s.tune.shutdownGrace):
		cancelSends()
		<-finished
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.store.ReleaseDeliveries(ctx, s.holder, nil); err != nil {
		s.log.Warn("release deliveries at shutdown", "err", err)
	}
	s.log.Info("delivery workers stopped", "instance", s.holder)
}

// maintainQueue does the periodic chores: push back the rows of unreachable
// hosts, start the daily probe of each, publish the queue depth.
func (s *Service) maintainQueue(ctx context.Context, p *pool, sendCtx context.Context) {
	now := s.now()
	if n, err := s.store.DeferUnreachableDeliveries(ctx, now, now.Add(s.tune.deferUnreachable)); err != nil {
		if ctx.Err() == nil {
			s.log.Warn("defer deliveries of unreachable hosts", "err", err)
		}
	} else if n > 0 {
		s.Metrics.Deliveries.WithLabelValues("deferred").Add(float64(n))
		s.log.Info("deferred deliveries to unreachable hosts", "rows", n)
	}
	hosts, err := s.store.ClaimHostProbes(ctx, now, now.Add(-s.tune.probeEvery), 20)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("probe unreachable hosts", "err", err)
	}
	for _, h := range hosts {
		d, err := s.store.ClaimHostDelivery(ctx, h, s.holder, now, now.Add(-s.tune.claimTimeout))
		if err != nil {
			s.log.Warn("claim probe delivery", "host", h, "err", err)
			continue
		}
		if d != nil {
			s.log.Info("probing unreachable host", "host", h, "inbox", d.Inbox)
			s.start(p, sendCtx, *d, true)
		}
	}
	if n, err := s.store.CountPendingDeliveries(ctx); err == nil {
		s.Metrics.QueueDepth.WithLabelValues("delivery").Set(float64(n))
	}
}
