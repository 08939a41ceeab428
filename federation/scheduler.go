package federation

import (
	"context"
	"time"
)

// schedulerLease names the job lease of the scheduler: with several
// processes on one database, one of them federates articles going live.
// (MarkFederated makes a double run harmless; the lease makes it rare.)
const schedulerLease = "scheduler"

// runScheduler federates scheduled articles when their time comes, and any
// visible article whose Create was never queued (a crash between saving and
// federating), until ctx ends.
func (s *Service) runScheduler(ctx context.Context) {
	t := time.NewTicker(s.tune.schedulerEvery)
	defer t.Stop()
	held := false
	for {
		held = s.schedulerTick(ctx)
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
	return true
}
