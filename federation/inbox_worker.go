package federation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"fedpress/models"
)

const (
	inboxClaimSize   = 100              // items claimed at once: enough lanes to keep the workers busy
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
		if n >= inboxClaimSize && ctx.Err() == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// ProcessInbox claims due inbox items and applies them; it returns how
// many it handled. The batch is split into lanes (see inboxLanes): each
// lane applies its items one by one in arrival order, and up to
// Config.InboxWorkers lanes run at once. Every item is finished on its own
// as soon as it is applied, and each activity's effect is idempotent
// (unique object ids, upserts), so one applied again after a crash
// between its effect and its mark changes nothing.
func (s *Service) ProcessInbox(ctx context.Context) (int, error) {
	now := s.now()
	items, err := s.store.ClaimInboxItems(ctx, s.holder, now, now.Add(-inboxStaleClaim), inboxClaimSize)
	if err != nil {
		return 0, err
	}
	claimed := time.Now()
	jobs := make([]inboxJob, len(items))
	for i := range items {
		jobs[i] = parseInboxItem(&items[i])
	}
	var done atomic.Int64
	if len(jobs) > 0 {
		batch, err := s.newInboxBatch(ctx)
		if err != nil {
			s.releaseInbox(ctx, jobs)
			return 0, err
		}
		lanes := inboxLanes(jobs)
		next := make(chan *inboxLane)
		var wg sync.WaitGroup
		for range min(s.cfg.InboxWorkers, len(lanes)) {
			wg.Go(func() {
				for lane := range next {
					done.Add(int64(s.processLane(ctx, batch, lane, claimed)))
				}
			})
		}
		for _, lane := range lanes {
			next <- lane
		}
		close(next)
		wg.Wait()
	}
	if n, err := s.store.CountPendingInbox(ctx); err == nil {
		s.Metrics.QueueDepth.WithLabelValues("inbox").Set(float64(n))
	}
	return int(done.Load()), nil
}

// processLane applies a lane's items in order and returns how many it
// handled. It hands the rest back rather than leave them claimed until
// stale: on shutdown, and when slow items ate half the claim's lifetime
// (a claim older than inboxStaleClaim may be taken by another worker).
func (s *Service) processLane(ctx context.Context, batch *inboxBatch, lane *inboxLane, claimed time.Time) int {
	for i, j := range lane.jobs {
		if ctx.Err() != nil || time.Since(claimed) > inboxStaleClaim/2 {
			s.releaseInbox(ctx, lane.jobs[i:])
			return i
		}
		s.processItem(ctx, batch, lane, j)
	}
	return len(lane.jobs)
}

// releaseInbox hands claimed items back as they were, due at once.
func (s *Service) releaseInbox(ctx context.Context, jobs []inboxJob) {
	rel, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, j := range jobs {
		_ = s.store.RetryInboxItem(rel, j.item.ID, j.item.NextAt, j.item.Attempts, j.item.Error)
	}
}

// processItem applies one item and records the outcome: processed, retried
// with backoff, or given up after inboxMaxAttempts with the error kept.
func (s *Service) processItem(ctx context.Context, batch *inboxBatch, lane *inboxLane, j inboxJob) {
	it := j.item
	ictx, cancel := context.WithTimeout(ctx, inboxItemTimeout)
	outcome, err := s.applyItem(ictx, batch, lane, j)
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

// inboxJob is one claimed item, parsed once for both the lanes and the
// apply.
type inboxJob struct {
	item *models.InboxItem
	act  *inActivity // nil when the body does not parse
	err  error       // why it does not
	// keys name what the activity is about (its actor, the note it
	// carries, the account a Move goes to); refs what it depends on (the
	// note it answers). See inboxLanes.
	keys, refs []string
}

// parseInboxItem parses a stored activity and finds its lane keys.
func parseInboxItem(it *models.InboxItem) (j inboxJob) {
	j.item = it
	defer func() {
		if p := recover(); p != nil {
			j = inboxJob{item: it, err: fmt.Errorf("panic parsing %s: %v", it.ActivityID, p)}
		}
	}()
	j.act, j.err = parseActivity([]byte(it.Body))
	if j.err != nil {
		j.act = nil
		return j
	}
	add := func(list *[]string, kind, id string) {
		if id != "" {
			*list = append(*list, kind+" "+id)
		}
	}
	add(&j.keys, "actor", j.act.Actor)
	switch j.act.Type {
	case "Create", "Update", "Delete":
		add(&j.keys, "note", j.act.objectID())
		if obj := j.act.objectMap(); obj != nil {
			add(&j.refs, "note", idOf(obj["inReplyTo"]))
		}
	case "Move":
		add(&j.keys, "actor", idOf(j.act.Target))
	}
	return j
}

// inboxLane is items applied one after the other, in arrival order, by one
// goroutine.
type inboxLane struct {
	jobs []inboxJob
	// actors are those the lane's items looked up so far. All of an
	// actor's items share one lane, so no other lane edits or removes it
	// meanwhile (a thread walk elsewhere may only refetch it).
	actors map[string]*models.RemoteActor
}

// inboxLanes splits a claimed batch (in arrival order) into lanes that may
// run side by side. An item joins the lane of every earlier item sharing
// one of its keys or holding one of its refs: the activities of one actor
// keep their order (a Create, its Update, its Delete; a Follow and its
// Undo), a reply follows the note it answers, a Move what the account it
// moves to sent. Likes, boosts and follows of our articles and actors need
// no order across actors: each is its actor's own row. The longest lanes
// come first, so that the batch does not end waiting for one started last.
func inboxLanes(jobs []inboxJob) []*inboxLane {
	root := make([]int, len(jobs)) // union-find over the jobs' indexes
	for i := range root {
		root[i] = i
	}
	find := func(i int) int {
		for root[i] != i {
			root[i] = root[root[i]]
			i = root[i]
		}
		return i
	}
	holder := map[string]int{} // key → the first job having it
	for i, j := range jobs {
		for _, k := range j.refs {
			if h, ok := holder[k]; ok {
				root[find(h)] = find(i)
			}
		}
		for _, k := range j.keys {
			if h, ok := holder[k]; ok {
				root[find(h)] = find(i)
			} else {
				holder[k] = i
			}
		}
	}
	byRoot := map[int]*inboxLane{}
	var lanes []*inboxLane
	for i := range jobs {
		r := find(i)
		lane := byRoot[r]
		if lane == nil {
			lane = &inboxLane{}
			byRoot[r] = lane
			lanes = append(lanes, lane)
		}
		lane.jobs = append(lane.jobs, jobs[i])
	}
	slices.SortStableFunc(lanes, func(a, b *inboxLane) int { return cmp.Compare(len(b.jobs), len(a.jobs)) })
	return lanes
}

// laneActor is FetchActor, remembered for the lane's later items.
func (s *Service) laneActor(ctx context.Context, lane *inboxLane, uri string) (*models.RemoteActor, error) {
	if a := lane.actors[uri]; a != nil {
		return a, nil
	}
	a, err := s.FetchActor(ctx, uri, false)
	if err != nil {
		return nil, err
	}
	if lane.actors == nil {
		lane.actors = map[string]*models.RemoteActor{}
	}
	lane.actors[uri] = a
	return a, nil
}

// inboxBatch is what the items of one claim all read, read once: the
// settings, the blocks and the articles they name. A change made while the
// batch runs counts from the next one (a block added after the 202 still
// applies to items claimed after it).
type inboxBatch struct {
	settings *models.Settings
	blocks   []models.Block
	mu       sync.Mutex
	articles map[string]*models.Article // by id or slug; nil: there is none
}

func (s *Service) newInboxBatch(ctx context.Context) (*inboxBatch, error) {
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox batch: %w", err)
	}
	blocks, err := s.store.ListBlocks(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox batch: %w", err)
	}
	return &inboxBatch{settings: st, blocks: blocks, articles: map[string]*models.Article{}}, nil
}

// article loads an article the first time the batch names it; nil when
// there is none. Lanes share it: callers only read it.
func (b *inboxBatch) article(key string, load func() (*models.Article, error)) (*models.Article, error) {
	b.mu.Lock()
	a, ok := b.articles[key]
	b.mu.Unlock()
	if ok {
		return a, nil
	}
	a, err := load()
	if models.ErrIsNotFound(err) {
		a, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.articles[key] = a
	b.mu.Unlock()
	return a, nil
}

// inboxRun is the state of applying one activity.
type inboxRun struct {
	item    *models.InboxItem
	act     *inActivity
	actor   *models.RemoteActor // the activity's (verified) actor
	batch   *inboxBatch
	fetcher *Fetcher
	budget  int    // remote fetches left
	topNote string // id of the note the activity carries, never fetched as its own sibling
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
	blocks := run.batch.blocks
	for i := range blocks {
		if blocks[i].Matches(actorURI, hostOf(actorURI), content) {
			return &blocks[i]
		}
	}
	return nil
}

// applyItem applies the effect of a parsed item.
func (s *Service) applyItem(ctx context.Context, batch *inboxBatch, lane *inboxLane, j inboxJob) (outcome string, err error) {
	defer func() {
		if p := recover(); p != nil {
			outcome, err = outcomeFailed, permanent(fmt.Errorf("panic applying %s: %v", j.item.ActivityID, p))
		}
	}()
	if j.err != nil {
		return outcomeFailed, permanent(j.err)
	}
	act := j.act
	run := &inboxRun{item: j.item, act: act, batch: batch, budget: inboxFetchBudget}
	defer func() {
		if run.fetcher != nil {
			closeFetcher(run.fetcher)
		}
	}()
	// A block added after the 202 still applies.
	if b := run.blockFor(act.Actor, ""); b != nil {
		return outcomeBlocked, nil
	}
	switch act.Type {
	case "Update", "Delete", "Move":
		// These may change or remove the actor: later items read it afresh.
		defer delete(lane.actors, act.Actor)
	}
	// The actor deleting itself is gone: do not try to fetch it.
	if act.Type == "Delete" && act.objectID() == act.Actor {
		return s.inboxDeleteActor(ctx, run)
	}
	if run.actor, err = s.laneActor(ctx, lane, act.Actor); err != nil {
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
	case "QuoteRequest":
		return s.inboxQuoteRequest(ctx, run)
	case "Move":
		return s.inboxMove(ctx, run)
	}
	// Accept/Reject answer follows we never send; the rest has no effect here.
	return outcomeIgnored, nil
}
