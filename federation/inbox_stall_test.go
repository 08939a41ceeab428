package federation

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// trickleOrigin is a hostile origin: it answers every GET 200 and then one
// byte at a time, each when the test feeds one, never finishing.
type trickleOrigin struct {
	srv     *httptest.Server
	started chan string   // the path of each request, as it starts
	feed    chan struct{} // each send writes one more byte
	open    atomic.Int64  // requests in progress
	reqs    atomic.Int64
}

func newTrickleOrigin(t *testing.T) *trickleOrigin {
	o := &trickleOrigin{started: make(chan string, 100), feed: make(chan struct{})}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.reqs.Add(1)
		o.open.Add(1)
		defer o.open.Add(-1)
		w.Header().Set("Content-Type", "application/activity+json")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("{"))
		w.(http.Flusher).Flush()
		o.started <- r.URL.Path
		for {
			select {
			case <-r.Context().Done():
				return
			case <-o.feed:
				w.Write([]byte(" "))
				w.(http.Flusher).Flush()
			}
		}
	}))
	t.Cleanup(func() {
		o.srv.CloseClientConnections()
		o.srv.Close()
	})
	return o
}

// waitFor polls cond until it holds or the deadline passes, feeding the
// origin a byte per round so that its fetches stay alive and busy.
func (o *trickleOrigin) waitFor(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		select {
		case o.feed <- struct{}{}:
		case <-tick.C:
		}
	}
	return time.Since(start)
}

// TestInboxSlowOriginNoStall: a Create whose inReplyTo points at an origin
// that trickles its answer forever does not delay another sender's Like:
// the worker keeps claiming while the Create waits (no batch barrier), and
// the Like is applied within seconds.
func TestInboxSlowOriginNoStall(t *testing.T) {
	e := newIBEnv(t, nil)
	e.svc.cfg.InboxWorkers = 1 // even a single database slot is not held by the waiting Create
	e.svc.cfg.InboxFetchBudget = time.Hour
	origin := newTrickleOrigin(t)
	eve, carol := e.remote.actor("eve"), e.remote.actor("carol")

	ctx, cancel := context.WithCancel(e.ctx)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		e.svc.runInbox(ctx)
	}()
	defer func() {
		cancel()
		<-stopped
	}()

	hostile := eve.note("/notes/hostile", origin.srv.URL+"/notes/parent", "<p>wait for me</p>")
	eve.mustSend(eve.create(hostile))
	select {
	case <-origin.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the hostile parent was never fetched")
	}
	like := carol.id("/likes/1")
	carol.mustSend(map[string]any{"id": like, "type": "Like", "object": e.articleURL()})
	took := origin.waitFor(t, 5*time.Second, "the Like applied while the Create waits", func() bool {
		return e.item(like).ProcessedAt != nil
	})
	if origin.open.Load() != 1 || e.item(idOf(hostile)+"/activity").ProcessedAt != nil {
		t.Fatalf("the hostile Create is not in progress any more (open fetches %d)", origin.open.Load())
	}
	t.Logf("Like applied %s after it was sent, while the hostile Create waited", took.Round(time.Millisecond))

	// A shutdown hands the waiting Create back untouched.
	cancel()
	<-stopped
	if it := e.item(idOf(hostile) + "/activity"); it.ProcessedAt != nil || it.ClaimedBy != "" || it.Attempts != 0 {
		t.Fatalf("after the shutdown: %+v", it)
	}
}

// TestInboxFetchBudget: an activity's remote fetches end with its time
// budget; it is then stored with what is known (here: nothing, its parent
// never came) instead of retried, and the origin that timed out is backed
// off, so the next activity pointing there fetches nothing from it.
func TestInboxFetchBudget(t *testing.T) {
	e := newIBEnv(t, nil)
	const budget = 300 * time.Millisecond
	e.svc.cfg.InboxFetchBudget = budget
	origin := newTrickleOrigin(t)
	eve := e.remote.actor("eve")

	first := eve.note("/notes/first", origin.srv.URL+"/notes/parent", "<p>one</p>")
	eve.mustSend(eve.create(first))
	start := time.Now()
	e.process()
	if took := time.Since(start); took < budget {
		t.Fatalf("processed in %s, before the budget of %s was spent", took, budget)
	}
	it := e.item(idOf(first) + "/activity")
	if it.ProcessedAt == nil || it.Attempts != 1 || it.Error != "" {
		t.Fatalf("the Create was not finished with what is known: %+v", it)
	}
	if e.interaction(idOf(first)) != nil {
		t.Fatal("a reply to an unknown parent was stored")
	}
	if err := e.svc.originBackedOff(hostOf(origin.srv.URL)); err == nil {
		t.Fatal("the origin that timed out is not backed off")
	}

	// Backed off: the next Create pointing there costs no fetch at all.
	reqs := origin.reqs.Load()
	second := eve.note("/notes/second", origin.srv.URL+"/notes/other", "<p>two</p>")
	eve.mustSend(eve.create(second))
	e.process()
	if it := e.item(idOf(second) + "/activity"); it.ProcessedAt == nil || it.Error != "" {
		t.Fatalf("second Create: %+v", it)
	}
	if n := origin.reqs.Load() - reqs; n != 0 {
		t.Fatalf("%d fetches from a backed-off origin", n)
	}

	// The backoff ends.
	e.svc.SetClock(func() time.Time { return time.Now().UTC().Add(e.svc.cfg.OriginBackoff + time.Second) })
	if err := e.svc.originBackedOff(hostOf(origin.srv.URL)); err != nil {
		t.Fatalf("still backed off after %s: %v", e.svc.cfg.OriginBackoff, err)
	}
}
