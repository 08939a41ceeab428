package federation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"fedpress/models"
)

const (
	inboxBatch       = 20
	inboxPoll        = time.Second      // the request path has no handle on this worker: it polls
	inboxStaleClaim  = 10 * time.Minute // a claim this old belongs to a dead worker
	inboxItemTimeout = 3 * time.Minute  // well under inboxStaleClaim, so a slow item is never taken twice
	inboxMaxAttempts = 5
	inboxRetention   = 14 * 24 * time.Hour
	inboxFetchBudget = 50 // remote fetches one activity may cause (missing parents, siblings)
	maxAncestorDepth = 10
)

// permanentError is a failure that retrying cannot fix (a malformed
// activity, a 404 from the origin).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

func isPermanent(err error) bool {
	var pe *permanentError
	if errors.As(err, &pe) {
		return true
	}
	var re *RefusedError
	if errors.As(err, &re) {
		return true
	}
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound {
		return true // the host does not exist
	}
	var fe *FetchError
	return errors.As(err, &fe) && fe.Status >= 400 && fe.Status < 500 && fe.Status != http.StatusTooManyRequests
}

// Outcomes of one processed activity (metrics label).
const (
	outcomeApplied = "applied"
	outcomeIgnored = "ignored"
	outcomeBlocked = "blocked"
	outcomeFailed  = "failed"
	outcomeRetry   = "retry"
)

// runInbox applies stored inbox items until ctx ends.
func (s *Service) runInbox(ctx context.Context) {
	s.log.Info("inbox worker running")
	tick := time.NewTicker(inboxPoll)
	defer tick.Stop()
	var lastPurge time.Time
	for {
		n, err := s.ProcessInbox(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("inbox worker", "err", err)
		}
		if time.Since(lastPurge) > time.Hour {
			lastPurge = time.Now()
			if purged, err := s.store.PurgeInboxItems(ctx, s.now().Add(-inboxRetention)); err != nil && ctx.Err() == nil {
				s.log.Warn("purge inbox items", "err", err)
			} else if purged > 0 {
				s.log.Info("purged processed inbox items", "count", purged)
			}
		}
		if n >= inboxBatch && ctx.Err() == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// ProcessInbox claims due inbox items and applies them in arrival order;
// it returns how many it handled. Each activity's effect is idempotent
// (unique object ids, upserts), so one processed again after a crash
// between its effect and its mark changes nothing.
func (s *Service) ProcessInbox(ctx context.Context) (int, error) {
	now := s.now()
	items, err := s.store.ClaimInboxItems(ctx, s.holder, now, now.Add(-inboxStaleClaim), inboxBatch)
	if err != nil {
		return 0, err
	}
	done, claimed := 0, time.Now()
	for i := range items {
		// Hand the rest back rather than leave them claimed until stale: on
		// shutdown, and when slow items ate half the claim's lifetime (a
		// claim older than inboxStaleClaim may be taken by another worker).
		if ctx.Err() != nil || time.Since(claimed) > inboxStaleClaim/2 {
			rel, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			for _, it := range items[i:] {
				_ = s.store.RetryInboxItem(rel, it.ID, it.NextAt, it.Attempts, it.Error)
			}
			cancel()
			break
		}
		s.processItem(ctx, &items[i])
		done++
	}
	if n, err := s.store.CountPendingInbox(ctx); err == nil {
		s.Metrics.QueueDepth.WithLabelValues("inbox").Set(float64(n))
	}
	return done, nil
}

// processItem applies one item and records the outcome: processed, retried
// with backoff, or given up after inboxMaxAttempts with the error kept.
func (s *Service) processItem(ctx context.Context, it *models.InboxItem) {
	ictx, cancel := context.WithTimeout(ctx, inboxItemTimeout)
	outcome, err := s.applyItem(ictx, it)
	cancel()
	// Bookkeeping must survive a shutdown that interrupted the effect.
	bctx, bcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer bcancel()
	attempts := it.Attempts + 1
	host := hostOf(it.ActorURI)
	switch {
	case err == nil:
		if ferr := s.store.FinishInboxItem(bctx, it.ID, s.now(), attempts, ""); ferr != nil {
			s.log.Error("inbox: cannot mark processed", "id", it.ActivityID, "err", ferr)
			return
		}
		s.Metrics.InboxProcessed.WithLabelValues(it.Type, outcome).Inc()
		s.HostSeen(bctx, host)
	case ctx.Err() != nil:
		// Shutting down: not the activity's fault, so no attempt is counted.
		_ = s.store.RetryInboxItem(bctx, it.ID, it.NextAt, it.Attempts, it.Error)
	case isPermanent(err) || attempts >= inboxMaxAttempts:
		s.log.Warn("inbox: giving up on activity", "id", it.ActivityID, "type", it.Type, "host", host, "attempts", attempts, "err", err)
		if ferr := s.store.FinishInboxItem(bctx, it.ID, s.now(), attempts, err.Error()); ferr != nil {
			s.log.Error("inbox: cannot record failure", "id", it.ActivityID, "err", ferr)
		}
		s.Metrics.InboxProcessed.WithLabelValues(it.Type, outcomeFailed).Inc()
	default:
		next := s.now().Add(inboxBackoff(attempts))
		s.log.Info("inbox: will retry activity", "id", it.ActivityID, "type", it.Type, "host", host, "attempts", attempts, "next", next, "err", err)
		if rerr := s.store.RetryInboxItem(bctx, it.ID, next, attempts, err.Error()); rerr != nil {
			s.log.Error("inbox: cannot reschedule", "id", it.ActivityID, "err", rerr)
		}
		s.Metrics.InboxProcessed.WithLabelValues(it.Type, outcomeRetry).Inc()
	}
}

// inboxBackoff is 30 s, 2 min, 8 min, 32 min.
func inboxBackoff(attempts int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempts; i++ {
		d *= 4
	}
	return d
}

// inboxRun is the state of applying one activity.
type inboxRun struct {
	item     *models.InboxItem
	act      *inActivity
	actor    *models.RemoteActor // the activity's (verified) actor
	settings *models.Settings
	blocks   []models.Block
	fetcher  *Fetcher
	budget   int    // remote fetches left
	topNote  string // id of the note the activity carries, never fetched as its own sibling
}

var errFetchBudget = errors.New("remote fetch budget for this activity is spent")

// fetch GETs a remote document within the activity's budget.
func (s *Service) runFetch(ctx context.Context, run *inboxRun, uri string) (map[string]any, error) {
	if run.budget <= 0 {
		return nil, errFetchBudget
	}
	run.budget--
	if run.fetcher == nil {
		run.fetcher = s.newFetcher(ctx)
	}
	return s.fetchDoc(ctx, run.fetcher, uri)
}

// blockFor is the block applying to an actor or content, or nil.
func (run *inboxRun) blockFor(actorURI, content string) *models.Block {
	for i := range run.blocks {
		if run.blocks[i].Matches(actorURI, hostOf(actorURI), content) {
			return &run.blocks[i]
		}
	}
	return nil
}

// applyItem parses the stored activity and applies its effect.
func (s *Service) applyItem(ctx context.Context, it *models.InboxItem) (outcome string, err error) {
	defer func() {
		if p := recover(); p != nil {
			outcome, err = outcomeFailed, permanent(fmt.Errorf("panic applying %s: %v", it.ActivityID, p))
		}
	}()
	m, err := decodeJSONObject([]byte(it.Body))
	if err != nil {
		return outcomeFailed, permanent(err)
	}
	act, err := activityFromMap(m)
	if err != nil {
		return outcomeFailed, permanent(err)
	}
	run := &inboxRun{item: it, act: act, budget: inboxFetchBudget}
	defer func() {
		if run.fetcher != nil {
			closeFetcher(run.fetcher)
		}
	}()
	if run.settings, err = s.store.GetSettings(ctx); err != nil {
		return "", err
	}
	if run.blocks, err = s.store.ListBlocks(ctx); err != nil {
		return "", err
	}
	// A block added after the 202 still applies.
	if b := run.blockFor(act.Actor, ""); b != nil {
		return outcomeBlocked, nil
	}
	// The actor deleting itself is gone: do not try to fetch it.
	if act.Type == "Delete" && act.objectID() == act.Actor {
		return s.inboxDeleteActor(ctx, run)
	}
	if run.actor, err = s.FetchActor(ctx, act.Actor, false); err != nil {
		return "", fmt.Errorf("actor of %s: %w", act.ID, err)
	}
	switch act.Type {
	case "Follow":
		return s.inboxFollow(ctx, run)
	case "Undo":
		return s.inboxUndo(ctx, run)
	case "Create":
		return s.inboxCreate(ctx, run)
	case "Update":
		return s.inboxUpdate(ctx, run)
	case "Delete":
		return s.inboxDelete(ctx, run)
	case "Like", "EmojiReact":
		return s.inboxLike(ctx, run)
	case "Announce":
		return s.inboxAnnounce(ctx, run)
	case "Move":
		return s.inboxMove(ctx, run)
	}
	// Accept/Reject answer follows we never send; the rest has no effect here.
	return outcomeIgnored, nil
}
