package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// TestClaimInboxItems: concurrent claimers never get the same row, rows come
// oldest first, and a stale claim is taken over.
func TestClaimInboxItems(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, store *models.Store) {
		now := time.Now().UTC()
		const n = 60
		for i := 0; i < n; i++ {
			it := &models.InboxItem{ActivityID: fmt.Sprintf("https://r.test/a/%d", i), Type: "Like", Body: "{}", ReceivedAt: now, NextAt: now}
			if created, err := store.CreateInboxItem(t.Context(), it); err != nil || !created {
				t.Fatalf("store: %v %v", created, err)
			}
		}
		if created, err := store.CreateInboxItem(t.Context(), &models.InboxItem{ActivityID: "https://r.test/a/0", Body: "{}"}); err != nil || created {
			t.Fatalf("duplicate stored: %v %v", created, err)
		}
		var mu sync.Mutex
		got := map[uint]string{}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(name string) {
				defer wg.Done()
				for {
					items, err := store.ClaimInboxItems(t.Context(), name, now, now.Add(-time.Hour), 7)
					if err != nil {
						errs <- err
						return
					}
					if len(items) == 0 {
						return
					}
					if len(items) > 7 {
						errs <- fmt.Errorf("%s claimed %d items with limit 7", name, len(items))
					}
					for i := 1; i < len(items); i++ {
						if items[i].ID < items[i-1].ID {
							errs <- fmt.Errorf("batch out of order")
						}
					}
					mu.Lock()
					for _, it := range items {
						if prev, dup := got[it.ID]; dup {
							errs <- fmt.Errorf("item %d claimed by %s and %s", it.ID, prev, name)
						}
						got[it.ID] = name
					}
					mu.Unlock()
				}
			}(fmt.Sprintf("w%d", w))
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("%d of %d claimed", len(got), n)
		}
		// Claimed rows are not handed out again until their claim is stale.
		if items, _ := store.ClaimInboxItems(t.Context(), "late", now.Add(time.Minute), now.Add(-time.Hour), 100); len(items) != 0 {
			t.Fatalf("fresh claims taken over: %d", len(items))
		}
		items, err := store.ClaimInboxItems(t.Context(), "rescuer", now.Add(time.Hour), now.Add(time.Second), 100)
		if err != nil || len(items) != n || items[0].ClaimedBy != "rescuer" {
			t.Fatalf("stale claims not taken over: %d %v", len(items), err)
		}
		// Processed rows are never claimed.
		for _, it := range items {
			if err := store.FinishInboxItem(t.Context(), it.ID, now, 1, ""); err != nil {
				t.Fatal(err)
			}
		}
		if items, _ := store.ClaimInboxItems(t.Context(), "after", now.Add(24*time.Hour), now.Add(24*time.Hour), 100); len(items) != 0 {
			t.Fatalf("processed rows claimed: %d", len(items))
		}
	})
}

// TestInboxRetry: a transient failure is retried with backoff, then given
// up with the error kept; a permanent one is given up at once.
func TestInboxRetry(t *testing.T) {
	e := newIBEnv(t, nil)
	// An actor on a server that does not answer: every fetch fails.
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	now := time.Now().UTC()
	clock := now
	e.svc.SetClock(func() time.Time { return clock })
	body := fmt.Sprintf(`{"type":"Like","id":"%s/likes/1","actor":"%s/users/x","object":"%s"}`, down.URL, down.URL, e.articleURL())
	if _, err := e.store.CreateInboxItem(e.ctx, &models.InboxItem{ActivityID: down.URL + "/likes/1", Type: "Like",
		ActorURI: down.URL + "/users/x", Body: body, ReceivedAt: now, NextAt: now}); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= inboxMaxAttempts; attempt++ {
		if n, err := e.svc.ProcessInbox(e.ctx); err != nil || n != 1 {
			t.Fatalf("attempt %d: processed %d, %v", attempt, n, err)
		}
		it := e.item(down.URL + "/likes/1")
		if it.Attempts != attempt || it.Error == "" {
			t.Fatalf("attempt %d: %+v", attempt, it)
		}
		if attempt < inboxMaxAttempts {
			if it.ProcessedAt != nil || !it.NextAt.After(clock) {
				t.Fatalf("attempt %d not rescheduled: %+v", attempt, it)
			}
			if n, _ := e.svc.ProcessInbox(e.ctx); n != 0 {
				t.Fatal("retried before its time")
			}
			clock = it.NextAt.Add(time.Second)
		} else if it.ProcessedAt == nil {
			t.Fatalf("not given up after %d attempts", attempt)
		}
	}

	// A malformed stored body is permanent: one attempt.
	if _, err := e.store.CreateInboxItem(e.ctx, &models.InboxItem{ActivityID: "https://r.test/broken", Type: "Like",
		Body: `{"type":"Like"}`, ReceivedAt: clock, NextAt: clock}); err != nil {
		t.Fatal(err)
	}
	e.process()
	if it := e.item("https://r.test/broken"); it.ProcessedAt == nil || it.Attempts != 1 || it.Error == "" {
		t.Fatalf("permanent failure: %+v", it)
	}
}

// TestInboxMissingParents: a reply whose parents we lack brings its
// ancestors (and their other replies) along, each in its place, with signed
// GETs; chains too long or broken store nothing.
func TestInboxMissingParents(t *testing.T) {
	e := newIBEnv(t, nil)
	bob, carol, dave, erin := e.remote.actor("bob"), e.remote.actor("carol"), e.remote.actor("dave"), e.remote.actor("erin")

	// carol's A answers the article; dave's B answers A; bob's C answers B
	// and is the only one delivered. erin's S also answers A, and is listed
	// (embedded) in A's replies collection, GoToSocial style.
	a := carol.note("/notes/A", e.articleURL(), "<p>A</p>")
	b := dave.note("/notes/B", idOf(a), "<p>B</p>")
	s := erin.note("/notes/S", idOf(a), "<p>S</p>")
	c := bob.note("/notes/C", idOf(b), "<p>C</p>")
	a["replies"] = map[string]any{"id": idOf(a) + "/replies", "type": "Collection",
		"first": map[string]any{"type": "CollectionPage", "next": idOf(a) + "/replies?page=1", "partOf": idOf(a) + "/replies"}}
	e.remote.put(idOf(a)+"/replies?page=1", map[string]any{"id": idOf(a) + "/replies?page=1", "type": "CollectionPage",
		"orderedItems": []any{idOf(b), s}})
	e.remote.put(idOf(a), a)
	e.remote.put(idOf(b), b)
	bob.mustSend(bob.create(c))
	e.process()

	rows := map[string]*models.Interaction{}
	for name, n := range map[string]map[string]any{"A": a, "B": b, "C": c, "S": s} {
		if rows[name] = e.interaction(idOf(n)); rows[name] == nil {
			t.Fatalf("%s not stored", name)
		}
		if rows[name].ArticleID != e.article.ID || rows[name].Status != models.StatusApproved {
			t.Fatalf("%s: %+v", name, rows[name])
		}
	}
	parentOf := func(name string) *uint { return rows[name].ParentID }
	if parentOf("A") != nil || *parentOf("B") != rows["A"].ID || *parentOf("C") != rows["B"].ID || *parentOf("S") != rows["A"].ID {
		t.Fatalf("threading: A→%v B→%v C→%v S→%v", parentOf("A"), parentOf("B"), parentOf("C"), parentOf("S"))
	}
	if ra, err := e.store.RemoteActorByURI(e.ctx, dave.URI); err != nil || rows["B"].RemoteActorID == nil || *rows["B"].RemoteActorID != ra.ID {
		t.Fatalf("B's author: %v", err)
	}
	for _, g := range e.remote.fetched() {
		if !strings.Contains(g.Signature, `keyId="`+ibBase+`/actor#main-key"`) {
			t.Errorf("unsigned fetch of %s", g.Path)
		}
	}

	t.Run("a chain longer than the depth limit", func(t *testing.T) {
		parent := e.articleURL()
		var last map[string]any
		for i := 0; i <= maxAncestorDepth+1; i++ {
			last = carol.note(fmt.Sprintf("/long/%d", i), parent, fmt.Sprintf("<p>%d</p>", i))
			e.remote.put(idOf(last), last)
			parent = idOf(last)
		}
		reply := bob.note("/long/reply", parent, "<p>deep</p>")
		bob.mustSend(bob.create(reply))
		e.process()
		if in := e.interaction(idOf(reply)); in != nil {
			t.Fatalf("stored beyond the depth limit: %+v", in)
		}
		if it := e.item(idOf(reply) + "/activity"); it.ProcessedAt == nil || it.Error != "" {
			t.Fatalf("item %+v", it)
		}
	})

	t.Run("a missing parent", func(t *testing.T) {
		gone := carol.note("/notes/gone", e.articleURL(), "<p>gone</p>")
		e.remote.setStatus(idOf(gone), http.StatusGone)
		reply := bob.note("/notes/orphan", idOf(gone), "<p>orphan</p>")
		bob.mustSend(bob.create(reply))
		e.process()
		if in := e.interaction(idOf(reply)); in != nil {
			t.Fatalf("orphan stored: %+v", in)
		}
	})

	t.Run("a parent claiming another host's author", func(t *testing.T) {
		forged := carol.note("/notes/forged", e.articleURL(), "<p>forged</p>")
		forged["attributedTo"] = "https://victim.test/users/v"
		e.remote.put(idOf(forged), forged)
		reply := bob.note("/notes/on-forged", idOf(forged), "<p>?</p>")
		bob.mustSend(bob.create(reply))
		e.process()
		if e.interaction(idOf(forged)) != nil || e.interaction(idOf(reply)) != nil {
			t.Fatal("forged parent stored")
		}
	})

	t.Run("the fetch budget bounds the walk", func(t *testing.T) {
		// A's replies list many siblings: no more than the budget is fetched.
		before := len(e.remote.fetched())
		root := carol.note("/wide/root", e.articleURL(), "<p>root</p>")
		var items []any
		for i := 0; i < 3*defaultInboxFetchLimit; i++ {
			sib := erin.note(fmt.Sprintf("/wide/%d", i), idOf(root), "<p>sib</p>")
			e.remote.put(idOf(sib), sib)
			items = append(items, idOf(sib))
		}
		root["replies"] = map[string]any{"id": idOf(root) + "/replies", "type": "OrderedCollection", "orderedItems": items}
		e.remote.put(idOf(root), root)
		reply := bob.note("/wide/reply", idOf(root), "<p>wide</p>")
		bob.mustSend(bob.create(reply))
		e.process()
		if e.interaction(idOf(reply)) == nil {
			t.Fatal("reply not stored")
		}
		if n := len(e.remote.fetched()) - before; n > defaultInboxFetchLimit+1 {
			t.Fatalf("%d fetches for one activity", n)
		}
		var stored []string
		for _, it := range items {
			if e.interaction(it.(string)) != nil {
				stored = append(stored, it.(string))
			}
		}
		sort.Strings(stored)
		if len(stored) == 0 || len(stored) > maxCollectionItems {
			t.Fatalf("%d siblings stored", len(stored))
		}
	})
}

// TestInboxOrder: each held item follows exactly the earlier ones it must
// (same actor, the note it answers, the account a Move goes to), and the
// rest run side by side; finishing an item readies what waited only for it.
func TestInboxOrder(t *testing.T) {
	const (
		art = "http://blog.test/articles/1"
		a   = "https://a.test/users/a"
		b   = "https://b.test/users/b"
		c   = "https://c.test/users/c"
	)
	note := func(actor, path, inReplyTo string) map[string]any {
		n := map[string]any{"id": actor + path, "type": "Note", "attributedTo": actor}
		if inReplyTo != "" {
			n["inReplyTo"] = inReplyTo
		}
		return n
	}
	act := func(typ, actor, path string, object any) map[string]any {
		m := map[string]any{"id": actor + path, "type": typ, "actor": actor, "object": object}
		return m
	}
	move := act("Move", a, "/move", a)
	move["target"] = b
	tests := []struct {
		name  string
		items []any   // activities, or a raw body string
		want  [][]int // per item, the items it follows
	}{
		{"actors apart", []any{
			act("Create", a, "/1/activity", note(a, "/1", art)),
			act("Create", b, "/2/activity", note(b, "/2", art)),
			act("Like", c, "/like", art),
		}, [][]int{{}, {}, {}}},
		{"one actor in order", []any{
			act("Create", a, "/1/activity", note(a, "/1", art)),
			act("Follow", b, "/f", "http://blog.test/users/blog"),
			act("Update", a, "/1/update", note(a, "/1", art)),
			act("Undo", b, "/f/undo", b+"/f"),
			act("Delete", a, "/1/delete", a+"/1"),
		}, [][]int{{}, {}, {0}, {1}, {2}}},
		{"a reply follows the note it answers", []any{
			act("Create", a, "/1/activity", note(a, "/1", art)),
			act("Create", b, "/2/activity", note(b, "/2", a+"/1")),
			act("Create", c, "/3/activity", note(c, "/3", art)),
		}, [][]int{{}, {0}, {}}},
		{"an answer arriving first does not wait", []any{
			act("Create", b, "/2/activity", note(b, "/2", a+"/1")),
			act("Create", a, "/1/activity", note(a, "/1", art)),
		}, [][]int{{}, {}}},
		{"an item may follow several", []any{
			act("Create", a, "/1/activity", note(a, "/1", art)),
			act("Like", b, "/like", art),
			act("Create", b, "/2/activity", note(b, "/2", a+"/1")),
			act("Like", c, "/like", art),
		}, [][]int{{}, {}, {0, 1}, {}}},
		{"a Move joins the account moved to", []any{
			act("Follow", b, "/f", "http://blog.test/users/blog"),
			move,
			act("Like", c, "/like", art),
		}, [][]int{{}, {0}, {}}},
		{"broken bodies stand alone", []any{
			`{"type":"Like"`,
			act("Like", a, "/like", art),
			`[]`,
		}, [][]int{{}, {}, {}}},
		{"a Delete follows its Create, not the Like before", []any{
			act("Like", c, "/like", art),
			act("Create", a, "/1/activity", note(a, "/1", art)),
			act("Delete", a, "/1/delete", a+"/1"),
		}, [][]int{{}, {}, {1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs := make([]inboxJob, len(tt.items))
			for i, v := range tt.items {
				body, ok := v.(string)
				if !ok {
					raw, err := json.Marshal(v)
					if err != nil {
						t.Fatal(err)
					}
					body = string(raw)
				}
				jobs[i] = parseInboxItem(&models.InboxItem{ID: uint(i), ActivityID: fmt.Sprint(i), Body: body})
			}
			p := &inboxPool{tails: map[string]*inboxTask{}, held: map[uint]*inboxTask{}, actors: map[string]*models.RemoteActor{}}
			tasks := make([]*inboxTask, len(jobs))
			follows := make([][]int, len(jobs))
			for i := range jobs {
				tasks[i] = &inboxTask{job: jobs[i]}
				if ready := p.order(tasks[i]); ready != (tasks[i].waits == 0) {
					t.Fatalf("item %d: ready %v with %d waits", i, ready, tasks[i].waits)
				}
				for j := range i {
					if slices.Contains(tasks[j].next, tasks[i]) {
						follows[i] = append(follows[i], j)
					}
				}
				if follows[i] == nil {
					follows[i] = []int{}
				}
			}
			if fmt.Sprint(follows) != fmt.Sprint(tt.want) {
				t.Fatalf("follows %v, want %v", follows, tt.want)
			}
			// Finishing in arrival order readies each item once, when the
			// last item it follows is done.
			started := map[int]bool{}
			for i := range tasks {
				if len(tt.want[i]) == 0 {
					started[i] = true
				}
			}
			for i := range tasks {
				if !started[i] {
					t.Fatalf("item %d never ready", i)
				}
				for _, n := range p.drop(tasks[i]) {
					j := slices.Index(tasks, n)
					if started[j] || slices.Max(tt.want[j]) != i {
						t.Fatalf("item %d readied by finishing %d (follows %v)", j, i, tt.want[j])
					}
					started[j] = true
				}
			}
			if len(p.held) != 0 || len(p.tails) != 0 {
				t.Fatalf("left held %d, tails %v", len(p.held), p.tails)
			}
		})
	}
}

// TestInboxConcurrentOrder: with several workers, each actor's activities
// still apply in the order received, a reply in the same batch as the note
// it answers finds it stored (no fetch), and every item is applied once.
func TestInboxConcurrentOrder(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, store *models.Store) {
		e := newIBEnv(t, store)
		e.svc.cfg.InboxWorkers = 4
		const actors = 6
		var all []*ibActor
		for i := range actors {
			all = append(all, e.remote.actor(fmt.Sprintf("u%d", i)))
		}
		// Each actor's steps, sent interleaved with the other actors'.
		steps := []func(a *ibActor) map[string]any{
			func(a *ibActor) map[string]any { return a.create(a.note("/gone", e.articleURL(), "<p>gone</p>")) },
			func(a *ibActor) map[string]any {
				return map[string]any{"id": a.id("/follows/1"), "type": "Follow", "object": e.blogActor()}
			},
			func(a *ibActor) map[string]any { return a.create(a.note("/kept", e.articleURL(), "<p>first</p>")) },
			func(a *ibActor) map[string]any {
				return map[string]any{"id": a.id("/kept#edit"), "type": "Update", "object": a.note("/kept", e.articleURL(), "<p>edited</p>")}
			},
			func(a *ibActor) map[string]any {
				return map[string]any{"id": a.id("/gone#delete"), "type": "Delete", "object": a.id("/gone")}
			},
			func(a *ibActor) map[string]any {
				return map[string]any{"id": a.id("/follows/1#undo"), "type": "Undo",
					"object": map[string]any{"id": a.id("/follows/1"), "type": "Follow", "actor": a.URI, "object": e.blogActor()}}
			},
		}
		for _, step := range steps {
			for _, a := range all {
				a.mustSend(step(a))
			}
		}
		// A thread between two actors inside the batch.
		first, second := all[0].note("/thread", e.articleURL(), "<p>A</p>"), all[1].note("/answer", all[0].id("/thread"), "<p>B</p>")
		all[0].mustSend(all[0].create(first))
		all[1].mustSend(all[1].create(second))
		before := len(e.remote.fetched())
		e.process()

		for _, a := range all {
			if in := e.interaction(a.id("/gone")); in == nil || in.Status != models.StatusRemoved {
				t.Errorf("%s: the Delete did not apply after the Create (stored: %v)", a.URI, in != nil)
			}
			if in := e.interaction(a.id("/kept")); in == nil || in.EditedAt == nil || !strings.Contains(in.Content, "edited") {
				t.Errorf("%s: the Update did not apply after the Create (stored: %v)", a.URI, in != nil)
			}
			ra, err := e.store.RemoteActorByURI(e.ctx, a.URI)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.store.FollowerOf(e.ctx, "blog", ra.ID); !models.ErrIsNotFound(err) {
				t.Errorf("%s: the Undo did not apply after the Follow: %v", a.URI, err)
			}
		}
		parent, answer := e.interaction(idOf(first)), e.interaction(idOf(second))
		if parent == nil || answer == nil || answer.ParentID == nil || *answer.ParentID != parent.ID {
			t.Fatalf("thread: %+v under %+v", answer, parent)
		}
		if got := e.remote.fetched()[before:]; len(got) != 0 {
			t.Errorf("fetched while applying: %+v", got)
		}
		items, err := e.store.CountInboxItems(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if pending, _ := e.store.CountPendingInbox(e.ctx); pending != 0 || items != int64(actors*len(steps)+2) {
			t.Fatalf("%d items, %d pending", items, pending)
		}
		for _, a := range all {
			if it := e.item(a.id("/gone#delete")); it.Attempts != 1 || it.Error != "" {
				t.Errorf("item %+v", it)
			}
		}
	})
}

// TestInboxFetchesRunTogether: items of different actors waiting for
// remote origins wait side by side, beyond InboxWorkers (which bounds the
// items using the database: one waiting for an origin gives its slot up);
// a shutdown hands back what it did not finish, without counting an
// attempt, and each item later applies once.
func TestInboxFetchesRunTogether(t *testing.T) {
	e := newIBEnv(t, nil)
	const workers = 6
	e.svc.cfg.InboxWorkers = 1
	// The accounts live behind a front that holds fetches of their notes
	// (sent by reference) until released: only items running side by side
	// can have several waiting at once.
	var (
		mu             sync.Mutex
		inFlight, most int
		reached        = make(chan struct{}) // closed when workers fetches wait together
		reachedOnce    sync.Once
		release        = make(chan struct{})
	)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/note") {
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			if inFlight == workers {
				reachedOnce.Do(func() { close(reached) })
			}
			mu.Unlock()
			select {
			case <-release:
			case <-r.Context().Done():
			}
			mu.Lock()
			inFlight--
			mu.Unlock()
		}
		e.remote.srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer front.Close()
	var notes []string
	for i := range workers {
		a := e.remote.actor(fmt.Sprintf("w%d", i))
		raw, err := json.Marshal(a.Doc)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(strings.ReplaceAll(string(raw), e.remote.srv.URL, front.URL)), &a.Doc); err != nil {
			t.Fatal(err)
		}
		path := strings.TrimPrefix(a.URI, e.remote.srv.URL)
		a.URI, a.KeyID = front.URL+path, front.URL+path+"#main-key"
		e.remote.put(e.remote.url(path), a.Doc)
		n := a.note("/note", e.articleURL(), "<p>n</p>")
		e.remote.put(e.remote.url(path+"/note"), n)
		notes = append(notes, idOf(n))
		a.mustSend(map[string]any{"id": a.id("/note/activity"), "type": "Create", "object": idOf(n)})
	}

	ctx, cancel := context.WithCancel(e.ctx)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if _, err := e.svc.ProcessInbox(ctx); err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		mu.Lock()
		n := most
		mu.Unlock()
		t.Fatalf("fetches did not run together: at most %d at once, want %d", n, workers)
	}
	cancel()
	<-stopped
	for _, n := range notes {
		if it := e.item(n + "/activity"); it.ProcessedAt != nil || it.ClaimedBy != "" || it.Attempts != 0 || it.Error != "" {
			t.Errorf("after the shutdown: %+v", it)
		}
	}

	close(release)
	e.process()
	for _, n := range notes {
		if it := e.item(n + "/activity"); it.ProcessedAt == nil || it.Attempts != 1 || it.Error != "" {
			t.Errorf("after the restart: %+v", it)
		}
		if e.interaction(n) == nil {
			t.Errorf("%s not stored", n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if most != workers {
		t.Fatalf("at most %d fetches at once, want %d", most, workers)
	}
}
