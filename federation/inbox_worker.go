package federation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"fedpress/models"
)

const (
	inboxClaimSize   = 100              // items claimed at once at most
	inboxMaxHeld     = 200              // claimed items held at once; claims resume below half
	inboxPoll        = time.Second      // the request path has no handle on this worker: it polls
	inboxStaleClaim  = 10 * time.Minute // a claim this old belongs to a dead worker
	inboxRenewEvery  = inboxStaleClaim / 4
	inboxItemTimeout = 3 * time.Minute // a backstop: the fetch budget ends items long before
	inboxMaxAttempts = 5
	inboxRetention   = 14 * 24 * time.Hour
	maxAncestorDepth = 10
	// Bodies of given-up items are kept for debugging, bounded: this
	// long, this many at most, each cut short (see models.FinishInboxItem,
	// which drops the bodies of the others).
	failedBodyRetention    = 3 * 24 * time.Hour
	failedBodiesKept       = 1000
	defaultPendingPerActor = 20
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
	if _, err := s.processInbox(ctx, false); err != nil && ctx.Err() == nil {
		s.log.Warn("inbox worker", "err", err)
	}
}

// ProcessInbox applies every inbox item due now, and those that become due
// while it runs, and returns how many it handled (tests, tools). The
// background worker runs the same loop until its context ends.
func (s *Service) ProcessInbox(ctx context.Context) (int, error) {
	return s.processInbox(ctx, true)
}

// processInbox claims due items and applies them with no batch barrier:
// it claims again as soon as fewer than half of inboxMaxHeld items are held,
// while earlier ones are still being applied, and an item waits only for
// the held items it must follow (see inboxPool.schedule). At most
// Config.InboxWorkers items use the database at once; an item waiting for
// a remote origin gives its slot up meanwhile, so a slow origin delays
// only the activities that need it. Every item is finished on its own as
// soon as it is applied, and each activity's effect is idempotent (unique
// object ids, upserts), so one applied again after a crash between its
// effect and its mark changes nothing. With drain it returns once nothing
// due is left; else it runs until ctx ends, then hands back what it did not
// apply.
func (s *Service) processInbox(ctx context.Context, drain bool) (int, error) {
	p := &inboxPool{s: s, ctx: ctx, slots: make(chan struct{}, s.cfg.InboxWorkers),
		done: make(chan *inboxTask, inboxMaxHeld), tails: map[string]*inboxTask{},
		held: map[uint]*inboxTask{}, actors: map[string]*models.RemoteActor{}}
	tick := time.NewTicker(inboxPoll)
	defer tick.Stop()
	stop := ctx.Done()
	var (
		handled   int
		claimErr  error
		claimNow  = true
		lastRenew = time.Now()
		lastPurge time.Time
	)
	for {
		if claimNow && ctx.Err() == nil && len(p.held) <= inboxMaxHeld/2 {
			want := min(inboxClaimSize, inboxMaxHeld-len(p.held))
			n, err := p.claim(want)
			claimNow = err == nil && n == want // more may be due at once
			if err != nil {
				claimErr = err
				if !drain {
					s.log.Warn("inbox worker", "err", err)
				}
			}
		}
		if len(p.held) == 0 && (ctx.Err() != nil || drain && !claimNow) {
			break
		}
		select {
		case t := <-p.done:
			p.finish(t)
			if t.handled {
				handled++
			}
		case <-tick.C:
			if time.Since(lastRenew) > inboxRenewEvery {
				lastRenew = time.Now()
				p.renew()
			}
			if drain {
				continue
			}
			claimNow = true
			s.inboxMaintenance(ctx, &lastPurge)
		case <-stop:
			stop = nil // the tasks see ctx too and hand their items back
		}
	}
	return handled, claimErr
}

// inboxMaintenance purges old items (hourly) and sets the queue depth.
func (s *Service) inboxMaintenance(ctx context.Context, lastPurge *time.Time) {
	if time.Since(*lastPurge) > time.Hour {
		*lastPurge = time.Now()
		if purged, err := s.store.PurgeInboxItems(ctx, s.now().Add(-inboxRetention)); err != nil && ctx.Err() == nil {
			s.log.Warn("purge inbox items", "err", err)
		} else if purged > 0 {
			s.log.Info("purged processed inbox items", "count", purged)
		}
		if n, err := s.store.PurgeFailedInboxBodies(ctx, s.now().Add(-failedBodyRetention), failedBodiesKept); err != nil && ctx.Err() == nil {
			s.log.Warn("purge bodies of failed inbox items", "err", err)
		} else if n > 0 {
			s.log.Info("dropped bodies of old failed inbox items", "count", n)
		}
	}
	if n, err := s.store.CountPendingInbox(ctx); err == nil {
		s.Metrics.QueueDepth.WithLabelValues("inbox").Set(float64(n))
	}
}

// inboxPool is the state of processInbox: the held (claimed, unfinished)
// items and what orders them. Only processInbox's goroutine touches held
// and tails; each task runs on its own goroutine.
type inboxPool struct {
	s     *Service
	ctx   context.Context
	slots chan struct{} // database slots, Config.InboxWorkers of them
	done  chan *inboxTask
	tails map[string]*inboxTask // key → the last held task having it
	held  map[uint]*inboxTask   // by item id
	// actors are actor lookups, kept while a task having the key "actor
	// X" is held: those tasks run one at a time, in order, so no other
	// task edits or removes the actor meanwhile (a thread walk elsewhere
	// may only refetch it).
	mu     sync.Mutex
	actors map[string]*models.RemoteActor
}

// inboxTask is one held item.
type inboxTask struct {
	job     inboxJob
	batch   *inboxBatch
	waits   int          // held tasks it must follow, not yet finished
	next    []*inboxTask // tasks following it
	handled bool         // applied or given up, not handed back
}

// claim claims up to n due items and schedules them; it returns how many
// it claimed. The items of one claim read the same settings and blocks.
func (p *inboxPool) claim(n int) (int, error) {
	s := p.s
	now := s.now()
	items, err := s.store.ClaimInboxItems(p.ctx, s.holder, now, now.Add(-inboxStaleClaim), n)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	batch, err := s.newInboxBatch(p.ctx)
	if err != nil {
		jobs := make([]inboxJob, len(items))
		for i := range items {
			jobs[i] = inboxJob{item: &items[i]}
		}
		s.releaseInbox(p.ctx, jobs)
		return 0, err
	}
	for i := range items {
		p.schedule(&inboxTask{job: parseInboxItem(&items[i]), batch: batch})
	}
	return len(items), nil
}

// schedule holds a task, in claim (arrival) order. It follows every held
// task sharing one of its keys or having one of its refs as a key: the
// activities of one actor keep their order (a Create, its Update, its
// Delete; a Follow and its Undo), a reply follows the note it answers, a
// Move what the account it moves to sent. Likes, boosts and follows of our
// articles and actors need no order across actors: each is its actor's own
// row. A task following none starts at once.
func (p *inboxPool) schedule(t *inboxTask) {
	if p.order(t) {
		p.start(t)
	}
}

// order holds t behind the tasks it must follow; it reports whether t
// follows none.
func (p *inboxPool) order(t *inboxTask) bool {
	p.held[t.job.item.ID] = t
	for _, list := range [][]string{t.job.refs, t.job.keys} {
		for _, k := range list {
			if h := p.tails[k]; h != nil && !slices.Contains(h.next, t) {
				h.next = append(h.next, t)
				t.waits++
			}
		}
	}
	for _, k := range t.job.keys {
		p.tails[k] = t
	}
	return t.waits == 0
}

// finish drops a task that ran and starts those that waited only for it.
func (p *inboxPool) finish(t *inboxTask) {
	for _, n := range p.drop(t) {
		p.start(n)
	}
}

// drop forgets a task that ran and returns those that waited only for it.
func (p *inboxPool) drop(t *inboxTask) (ready []*inboxTask) {
	delete(p.held, t.job.item.ID)
	for _, k := range t.job.keys {
		if p.tails[k] == t {
			delete(p.tails, k)
			if uri, ok := strings.CutPrefix(k, "actor "); ok {
				p.forgetActor(uri)
			}
		}
	}
	for _, n := range t.next {
		if n.waits--; n.waits == 0 {
			ready = append(ready, n)
		}
	}
	return ready
}

// start runs a task on its own goroutine once a database slot is free; on
// shutdown it hands the item back instead.
func (p *inboxPool) start(t *inboxTask) {
	go func() {
		defer func() { p.done <- t }()
		slot := &inboxSlot{sem: p.slots}
		if slot.enter(p.ctx); !slot.held || p.ctx.Err() != nil {
			slot.leave()
			p.s.releaseInbox(p.ctx, []inboxJob{t.job})
			return
		}
		defer slot.leave()
		t.handled = p.s.processItem(p.ctx, p, t, slot)
	}()
}

// renew re-stamps the claims of the held items, so that items waiting
// behind slow ones never look abandoned to other processes.
func (p *inboxPool) renew() {
	ids := make([]uint, 0, len(p.held))
	for id := range p.held {
		ids = append(ids, id)
	}
	if err := p.s.store.RenewInboxClaims(p.ctx, p.s.holder, ids, p.s.now()); err != nil && p.ctx.Err() == nil {
		p.s.log.Warn("inbox: renew claims", "err", err)
	}
}

// actor is FetchActor, remembered while the actor's tasks are held.
func (p *inboxPool) actor(ctx context.Context, uri string) (*models.RemoteActor, error) {
	p.mu.Lock()
	a := p.actors[uri]
	p.mu.Unlock()
	if a != nil {
		return a, nil
	}
	a, err := p.s.FetchActor(ctx, uri, false)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.actors[uri] = a
	p.mu.Unlock()
	return a, nil
}

func (p *inboxPool) forgetActor(uri string) {
	p.mu.Lock()
	delete(p.actors, uri)
	p.mu.Unlock()
}

// inboxSlot is a task's hold on one of the pool's database slots. Only the
// task's goroutine uses it.
type inboxSlot struct {
	sem  chan struct{}
	held bool
}

// enter waits for a slot; on ctx's end it returns without one.
func (sl *inboxSlot) enter(ctx context.Context) {
	if sl.held {
		return
	}
	select {
	case sl.sem <- struct{}{}:
		sl.held = true
	case <-ctx.Done():
	}
}

func (sl *inboxSlot) leave() {
	if sl.held {
		<-sl.sem
		sl.held = false
	}
}

// fetchScope bounds the remote fetches of one activity: they end at
// deadline (the activity's time budget), and give slot up while they wait.
type fetchScope struct {
	deadline time.Time
	slot     *inboxSlot
}

type fetchScopeKey struct{}

func withFetchScope(ctx context.Context, sc *fetchScope) context.Context {
	return context.WithValue(ctx, fetchScopeKey{}, sc)
}

func fetchScopeOf(ctx context.Context) *fetchScope {
	sc, _ := ctx.Value(fetchScopeKey{}).(*fetchScope)
	return sc
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
// with backoff, or given up after inboxMaxAttempts with the error kept. It
// reports false when it handed the item back untouched (shutdown).
func (s *Service) processItem(ctx context.Context, p *inboxPool, t *inboxTask, slot *inboxSlot) bool {
	it := t.job.item
	ictx, cancel := context.WithTimeout(ctx, inboxItemTimeout)
	ictx = withFetchScope(ictx, &fetchScope{deadline: time.Now().Add(s.cfg.InboxFetchBudget), slot: slot})
	outcome, err := s.applyItem(ictx, t.batch, p, t.job)
	cancel()
	slot.enter(context.WithoutCancel(ctx)) // a fetch cut by the shutdown left it
	// Bookkeeping must survive a shutdown that interrupted the effect.
	bctx, bcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer bcancel()
	attempts := it.Attempts + 1
	host := hostOf(it.ActorURI)
	switch {
	case err == nil:
		if ferr := s.store.FinishInboxItem(bctx, it.ID, s.now(), attempts, ""); ferr != nil {
			s.log.Error("inbox: cannot mark processed", "id", it.ActivityID, "err", ferr)
			return true
		}
		s.Metrics.InboxProcessed.WithLabelValues(it.Type, outcome).Inc()
		s.HostSeen(bctx, host)
	case ctx.Err() != nil:
		// Shutting down: not the activity's fault, so no attempt is counted.
		_ = s.store.RetryInboxItem(bctx, it.ID, it.NextAt, it.Attempts, it.Error)
		return false
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
	return true
}

// inboxBackoff is 30 s, 2 min, 8 min, 32 min.
func inboxBackoff(attempts int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempts; i++ {
		d *= 4
	}
	return d
}

// inboxJob is one claimed item, parsed once for both the scheduling and
// the apply.
type inboxJob struct {
	item *models.InboxItem
	act  *inActivity // nil when the body does not parse
	err  error       // why it does not
	// keys name what the activity is about (its actor, the note it
	// carries, the account a Move goes to); refs what it depends on (the
	// note it answers). See inboxPool.schedule.
	keys, refs []string
}

// parseInboxItem parses a stored activity and finds its keys (see
// inboxPool.schedule).
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
// there is none. Tasks share it: callers only read it.
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

// runFetch GETs a remote document within the activity's budget (its
// count here; its time in fetchDoc).
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
func (s *Service) applyItem(ctx context.Context, batch *inboxBatch, p *inboxPool, j inboxJob) (outcome string, err error) {
	defer func() {
		if p := recover(); p != nil {
			outcome, err = outcomeFailed, permanent(fmt.Errorf("panic applying %s: %v", j.item.ActivityID, p))
		}
	}()
	if j.err != nil {
		return outcomeFailed, permanent(j.err)
	}
	act := j.act
	run := &inboxRun{item: j.item, act: act, batch: batch, budget: s.cfg.InboxFetchLimit}
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
		defer p.forgetActor(act.Actor)
	}
	// The actor deleting itself is gone: do not try to fetch it.
	if act.Type == "Delete" && act.objectID() == act.Actor {
		return s.inboxDeleteActor(ctx, run)
	}
	if run.actor, err = p.actor(ctx, act.Actor); err != nil {
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
