package federation

import (
	"context"
	"time"
)

// schedulerLease names the job lease of the scheduler: with several
// processes on one database, one of them federates articles going live.
// (MarkFederated makes a double run harmless; the lease makes it rare.)
const schedulerLease = "scheduler"

// Delivery bodies no pending row needs are purged this often, once they
// were last queued this long ago: the age spares a body whose rows an
// enqueue is still inserting.
const (
	bodyPurgeEvery = time.Hour
	bodyPurgeAge   = time.Hour
)

// runScheduler federates scheduled articles when their time comes, and any
// visible article whose Create was never queued (a crash between saving and
// federating), and purges delivery bodies no longer needed, until ctx ends.
func (s *Service) runScheduler(ctx context.Context) {
	t := time.NewTicker(s.tune.schedulerEvery)
	defer t.Stop()
	held := false
	var lastPurge time.Time
	for {
		held = s.schedulerTick(ctx)
		if held && time.Since(lastPurge) >= bodyPurgeEvery {
			lastPurge = time.Now()
			s.purgeDeliveryBodies(ctx)
		}
		select {
		case <-ctx.Done():
			if held {
				rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				if err := s.store.ReleaseLease(rctx, schedulerLease, s.holder); err != nil {
					s.log.Warn("release scheduler lease", "err", err)
				}
				cancel()
			}
			return
		case <-t.C:
		}
	}
}

// schedulerTick runs one pass if this process holds the lease, and reports
// whether it does.
func (s *Service) schedulerTick(ctx context.Context) bool {
	now := s.now()
	ok, err := s.store.AcquireLease(ctx, schedulerLease, s.holder, now, s.tune.leaseTTL)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("scheduler lease", "err", err)
		}
		return false
	}
	if !ok {
		return false
	}
	due, err := s.store.DueForFederation(ctx, now)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("articles due for federation", "err", err)
		}
		return true
	}
	for _, a := range due {
		if err := s.ArticleSaved(ctx, a.ID); err != nil && ctx.Err() == nil {
			s.log.Error("federate scheduled article", "article", a.ID, "err", err)
		}
	}
	// Unpublished articles whose Delete a stopped process never queued.
	hidden, err := s.store.DueForRetraction(ctx, now)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("articles due for retraction", "err", err)
		}
		return true
	}
	for _, a := range hidden {
		if err := s.ArticleSaved(ctx, a.ID); err != nil && ctx.Err() == nil {
			s.log.Error("retract unpublished article", "article", a.ID, "err", err)
		}
	}
	return true
}

// purgeDeliveryBodies deletes the bodies of finished deliveries (see
// models.PurgeDeliveryBodies).
func (s *Service) purgeDeliveryBodies(ctx context.Context) {
	n, err := s.store.PurgeDeliveryBodies(ctx, s.now().Add(-bodyPurgeAge))
	switch {
	case err != nil:
		if ctx.Err() == nil {
			s.log.Warn("purge delivery bodies", "err", err)
		}
	case n > 0:
		s.log.Info("purged delivery bodies no pending delivery needs", "count", n)
	}
}
