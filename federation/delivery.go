package federation

import (
	"context"
	"sync"
	"time"

	"fedpress/models"
)

// The delivery queue: rows in the deliveries table, one per activity and
// inbox, claimed by whichever process has free workers.
//
// One dispatcher goroutine per process claims due rows in batches (one
// claim query serves many deliveries), at most PerHost rows of a host per
// claim and none of hosts already at their limit here, and keeps them in a
// short local queue; a row starts when its host has a free slot, so a slow
// or dead host occupies at most PerHost workers and never delays the
// others. Results go to one recorder goroutine that writes successes in
// batches: SQLite has one writer, and a write per delivery would make the
// database, not the network, the bottleneck of a fan-out. Rows stay
// claimed until their result is written; rows a dead process claimed are
// taken over after tune.claimTimeout.

// pool is the in-memory side of the dispatcher.
type pool struct {
	mu       sync.Mutex
	inflight map[string]int // running deliveries per host
	queued   map[string]int // claimed, waiting rows per host
	total    int            // running deliveries
	queue    []queuedRow    // claimed rows waiting for a slot, oldest first
	// idle: the last claim found nothing due; claim again on a kick or the
	// poll, not each time a worker finishes.
	idle    bool
	done    chan struct{} // a worker finished: a slot is free
	results chan attemptDone
	wg      sync.WaitGroup
}

type queuedRow struct {
	d     models.Delivery
	since time.Time
}

// attemptDone is one finished attempt on its way to the recorder.
type attemptDone struct {
	d        models.Delivery
	r        attemptResult
	at       time.Time
	released bool // cancelled by our shutdown: not an attempt
}

// runDeliveries dispatches due deliveries until ctx ends, then lets the
// in-flight ones finish for a grace period and releases what is left.
func (s *Service) runDeliveries(ctx context.Context) {
	p := &pool{
		inflight: map[string]int{}, queued: map[string]int{},
		done: make(chan struct{}, 1), results: make(chan attemptDone, 4*s.cfg.Workers),
	}
	// Sends outlive ctx by the grace period, so a shutdown does not cut
	// requests that are about to succeed (and would then be sent twice).
	sendCtx, cancelSends := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSends()
	recorded := make(chan struct{})
	go func() {
		s.recordResults(context.WithoutCancel(ctx), p.results)
		close(recorded)
	}()
	poll := time.NewTicker(s.tune.poll)
	defer poll.Stop()
	var lastMaintenance time.Time
	mayClaim := true
	s.log.Info("delivery workers running", "workers", s.cfg.Workers, "per_host", s.cfg.PerHost, "instance", s.holder)
	for ctx.Err() == nil {
		if now := s.now(); now.Sub(lastMaintenance) >= s.tune.maintenanceEvery {
			lastMaintenance = now
			s.maintainQueue(ctx, p, sendCtx)
		}
		s.fill(ctx, p, sendCtx, mayClaim)
		select {
		case <-ctx.Done():
		case <-s.kick:
			mayClaim = true
		case <-poll.C:
			mayClaim = true
		case <-p.done:
			p.mu.Lock()
			mayClaim = !p.idle
			p.mu.Unlock()
		}
	}
	s.drain(p, cancelSends, recorded)
}

// fill starts queued rows that have a slot, claims more when the local
// queue runs low, and gives back rows that waited too long here.
func (s *Service) fill(ctx context.Context, p *pool, sendCtx context.Context, mayClaim bool) {
	s.startQueued(p, sendCtx)
	p.mu.Lock()
	want := 2*s.cfg.Workers - p.total - len(p.queue)
	low := len(p.queue) <= s.cfg.Workers/2
	var skip []string
	for h, n := range p.inflight {
		if n+p.queued[h] >= 2*s.cfg.PerHost {
			skip = append(skip, h)
		}
	}
	p.mu.Unlock()
	if mayClaim && low && want > 0 {
		now := s.now()
		rows, err := s.store.ClaimDeliveries(ctx, models.DeliveryClaim{
			Holder: s.holder, Now: now, StaleBefore: now.Add(-s.tune.claimTimeout),
			Limit: want, PerHost: s.cfg.PerHost, SkipHosts: skip,
		})
		if err != nil && ctx.Err() == nil {
			s.log.Error("claim deliveries", "err", err)
		}
		var surplus []uint
		p.mu.Lock()
		p.idle = len(rows) == 0
		for _, d := range rows {
			if p.inflight[d.Host]+p.queued[d.Host] >= 2*s.cfg.PerHost {
				surplus = append(surplus, d.ID)
				continue
			}
			p.queued[d.Host]++
			p.queue = append(p.queue, queuedRow{d: d, since: now})
		}
		p.mu.Unlock()
		s.release(ctx, surplus, "surplus")
		s.startQueued(p, sendCtx)
	}
	// A row must start well before its claim could be taken over.
	cutoff := s.now().Add(-s.tune.claimTimeout / 4)
	var stale []uint
	p.mu.Lock()
	kept := p.queue[:0]
	for _, q := range p.queue {
		if q.since.Before(cutoff) {
			stale = append(stale, q.d.ID)
			p.dequeued(q.d.Host)
			continue
		}
		kept = append(kept, q)
	}
	p.queue = kept
	p.mu.Unlock()
	s.release(ctx, stale, "waited too long for a slot")
}

// dequeued forgets a queued row of host (p.mu held).
func (p *pool) dequeued(host string) {
	if p.queued[host]--; p.queued[host] <= 0 {
		delete(p.queued, host)
	}
}

// release gives claimed rows back to the queue.
func (s *Service) release(ctx context.Context, ids []uint, why string) {
	if len(ids) == 0 {
		return
	}
	if err := s.store.ReleaseDeliveries(context.WithoutCancel(ctx), s.holder, ids); err != nil {
		s.log.Warn("release deliveries", "rows", len(ids), "why", why, "err", err)
	}
}

// startQueued starts waiting rows, oldest first, while there are free
// workers and their host has a free slot.
func (s *Service) startQueued(p *pool, sendCtx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.queue[:0]
	for _, q := range p.queue {
		if p.total < s.cfg.Workers && p.inflight[q.d.Host] < s.cfg.PerHost {
			p.dequeued(q.d.Host)
			s.startLocked(p, sendCtx, q.d)
			continue
		}
		kept = append(kept, q)
	}
	p.queue = kept
}

// startLocked runs one delivery in its own goroutine (p.mu held).
func (s *Service) startLocked(p *pool, sendCtx context.Context, d models.Delivery) {
	p.inflight[d.Host]++
	p.total++
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		r := s.attempt(sendCtx, d)
		done := attemptDone{d: d, r: r, at: s.now(), released: r.err != nil && sendCtx.Err() != nil}
		// The slot stays taken until the recorder has the result: if
		// writing results falls behind, sending slows down with it, so the
		// rows sent but not yet recorded (sent again if this process dies)
		// stay bounded.
		p.results <- done
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
	}()
}

// drain stops the dispatcher: queued rows go back at once, in-flight ones
// may finish for the grace period (then they are cancelled), the recorder
// writes every result, and whatever this process still holds is released.
func (s *Service) drain(p *pool, cancelSends context.CancelFunc, recorded <-chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p.mu.Lock()
	var waiting []uint
	for _, q := range p.queue {
		waiting = append(waiting, q.d.ID)
	}
	p.queue, p.queued = nil, map[string]int{}
	p.mu.Unlock()
	s.release(ctx, waiting, "shutdown")
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
	close(p.results)
	<-recorded
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
			// One request a day: it runs even when the workers are busy.
			s.log.Info("probing unreachable host", "host", h, "inbox", d.Inbox)
			p.mu.Lock()
			s.startLocked(p, sendCtx, *d)
			p.mu.Unlock()
		}
	}
	if n, err := s.store.CountPendingDeliveries(ctx); err == nil {
		s.Metrics.QueueDepth.WithLabelValues("delivery").Set(float64(n))
	}
}

// recordBatch and recordEvery bound how long a success waits to be written.
const (
	recordBatch = 200
	recordEvery = 25 * time.Millisecond
)

// recordResults writes attempt results until results is closed: successes
// in batches, failures one by one (they are rare and each has its own
// retry time and error).
func (s *Service) recordResults(ctx context.Context, results <-chan attemptDone) {
	var ok []attemptDone
	flush := func() {
		if len(ok) == 0 {
			return
		}
		s.recordDelivered(ctx, ok)
		ok = ok[:0]
	}
	tick := time.NewTicker(recordEvery)
	defer tick.Stop()
	for {
		select {
		case r, open := <-results:
			if !open {
				flush()
				return
			}
			if r.released {
				s.release(ctx, []uint{r.d.ID}, "cancelled at shutdown")
				s.Metrics.Deliveries.WithLabelValues(deliveryOutcomeReleased).Inc()
				continue
			}
			if _, reason := classify(r.r); reason == "" {
				if ok = append(ok, r); len(ok) >= recordBatch {
					flush()
				}
				continue
			}
			s.recordFailure(ctx, r)
		case <-tick.C:
			flush()
		}
	}
}

// recordDelivered marks a batch delivered and clears the failure state of
// their hosts.
func (s *Service) recordDelivered(ctx context.Context, batch []attemptDone) {
	byStatus := map[int][]uint{}
	hosts := map[string]bool{}
	var at time.Time
	for _, r := range batch {
		byStatus[r.r.status] = append(byStatus[r.r.status], r.d.ID)
		hosts[r.d.Host] = true
		at = r.at
	}
	var written int64
	for status, ids := range byStatus {
		n, err := s.store.MarkDelivered(ctx, s.holder, ids, status, at)
		if err != nil {
			s.log.Error("record deliveries", "rows", len(ids), "err", err)
			continue
		}
		written += n
	}
	if written < int64(len(batch)) {
		s.log.Warn("delivery rows were taken over by another process before their outcome was recorded", "rows", int64(len(batch))-written)
	}
	s.Metrics.Deliveries.WithLabelValues(deliveryOutcomeDelivered).Add(float64(len(batch)))
	list := make([]string, 0, len(hosts))
	for h := range hosts {
		s.noteHost(h, false, at)
		list = append(list, h)
	}
	s.hostsOK(ctx, list, at)
}
