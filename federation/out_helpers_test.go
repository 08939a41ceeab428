package federation

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
	"fedpress/web"
)

// Helpers of the outgoing-side tests: a Service on a real database, local
// actors with real keys, remote followers, and httptest servers standing in
// for remote inboxes that verify our signatures like a peer would.

const testBase = "http://blog.test"

// outKeys caches RSA keys across tests: generating one costs ~100 ms.
type outKeys struct {
	mu   sync.Mutex
	pems [][2]string
	next int
}

func (k *outKeys) get(t testing.TB) (string, string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.next < len(k.pems) {
		p := k.pems[k.next]
		k.next++
		return p[0], p[1]
	}
	priv, pub, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	k.pems = append(k.pems, [2]string{priv, pub})
	k.next++
	return priv, pub
}

// outEnv is one federation service on one database.
type outEnv struct {
	t     *testing.T
	store *models.Store
	svc   *Service
	keys  *outKeys
	st    *models.Settings
}

func outLog() *slog.Logger {
	if os.Getenv("FEDPRESS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newOutEnv sets up settings (with real keys) and a Service on store.
func newOutEnv(t *testing.T, store *models.Store) *outEnv {
	t.Helper()
	if store == nil {
		store = modelstest.SQLite(t)
	}
	keys := &outKeys{}
	ctx := context.Background()
	st, err := store.EnsureSettings(ctx, func() (string, string, string, string, error) {
		bp, bpub := keys.get(t)
		ip, ipub := keys.get(t)
		return bp, bpub, ip, ipub, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &outEnv{t: t, store: store, keys: keys, st: st}
	e.svc = e.newService("")
	return e
}

// newService builds another Service on the same database (another process).
func (e *outEnv) newService(instance string) *Service {
	e.t.Helper()
	urls, err := NewURLs(testBase)
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := NewService(Config{URLs: urls, AllowPrivatePeers: true, Workers: 8, PerHost: 2, Instance: instance}, e.store, outLog())
	if err != nil {
		e.t.Fatal(err)
	}
	// Fast test timings; requests still have a real timeout.
	s.tune.poll = 20 * time.Millisecond
	s.tune.baseBackoff = 100 * time.Millisecond
	s.tune.shutdownGrace = 2 * time.Second
	s.tune.requestTimeout = 5 * time.Second
	s.tune.schedulerEvery = 50 * time.Millisecond
	s.tune.maintenanceEvery = 50 * time.Millisecond
	s.client = s.newDeliveryClient()
	return s
}

func (e *outEnv) author(username string) *models.Author {
	e.t.Helper()
	priv, pub := e.keys.get(e.t)
	a := &models.Author{Username: username, Name: strings.ToUpper(username[:1]) + username[1:], PasswordHash: "!",
		PrivateKeyPEM: priv, PublicKeyPEM: pub, BioHTML: "<p>Writes.</p>"}
	if err := e.store.CreateAuthor(context.Background(), a); err != nil {
		e.t.Fatal(err)
	}
	return a
}

// article saves an article published at when (visible if in the past).
func (e *outEnv) article(a *models.Author, slug string, when time.Time, tags ...string) *models.Article {
	e.t.Helper()
	html, err := web.RenderMarkdown("Hello **world**, see [this](/2012/11/other/).")
	if err != nil {
		e.t.Fatal(err)
	}
	art, err := e.store.SaveArticle(context.Background(), 0, models.ArticleInput{
		Title: "Title " + slug, Slug: slug, HTML: html, Status: models.StatusPublished,
		PublishedAt: &when, AuthorID: a.ID, Tags: tags, Language: "en",
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return art
}

// follower makes a remote actor follow local username (accepted).
func (e *outEnv) follower(local, actorURI, inbox, shared string) *models.RemoteActor {
	e.t.Helper()
	ctx := context.Background()
	ra := &models.RemoteActor{URI: actorURI, Username: actorURI[strings.LastIndex(actorURI, "/")+1:], Host: outHostOf(actorURI), Inbox: inbox, SharedInbox: shared}
	if existing, err := e.store.RemoteActorByURI(ctx, actorURI); err == nil {
		ra = existing
	} else if err := e.store.UpsertRemoteActor(ctx, ra); err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := e.store.UpsertFollower(ctx, local, ra.ID, actorURI+"#follow-"+local, models.FollowAccepted); err != nil {
		e.t.Fatal(err)
	}
	return ra
}

func outHostOf(u string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	return s
}

// run starts Run-like background deliveries (only the queue) until stop.
func startDeliveries(s *Service) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.runDeliveries(ctx)
		close(done)
	}()
	return func() {
		cancel()
		<-done
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// fakePeer is a remote server's inbox: it verifies each POST's signature with
// VerifyRequest against our actors' public keys and records what it got.
type fakePeer struct {
	t     *testing.T
	srv   *httptest.Server
	store *models.Store
	mu    sync.Mutex
	got   map[string][]peerGot // by path
	hits  map[string]int       // every request, by path
	// status decides the answer to the hit-th request (0-based) of a path.
	status func(path string, hit int) (int, http.Header)
	delay  time.Duration
}

type peerGot struct {
	KeyID string
	Body  map[string]any
}

func newFakePeer(t *testing.T, store *models.Store) *fakePeer {
	p := &fakePeer{t: t, store: store, got: map[string][]peerGot{}, hits: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// inbox is the URL of a path on this fakePeer.
func (p *fakePeer) inbox(path string) string { return p.srv.URL + path }

// host is host:port, as deliveries rows store it.
func (p *fakePeer) host() string { return strings.TrimPrefix(p.srv.URL, "http://") }

func (p *fakePeer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	delay := p.delay
	p.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return // the sender gave up: nothing was received
		}
	}
	vr, err := VerifyRequest(r.Context(), r, body, p.resolve, VerifyOptions{})
	if err != nil {
		p.t.Errorf("fakePeer %s: signature rejected: %v", r.URL.Path, err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/activity+json") {
		p.t.Errorf("fakePeer: content type %q", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		p.t.Errorf("fakePeer: body is not JSON: %v", err)
	}
	// Mastodon's rule: the signer is the activity's actor.
	if actor, _ := m["actor"].(string); actor+"#main-key" != vr.KeyID {
		p.t.Errorf("fakePeer: signed by %s but actor is %s", vr.KeyID, actor)
	}
	p.mu.Lock()
	n := p.hits[r.URL.Path]
	p.hits[r.URL.Path]++
	p.mu.Unlock()
	status, hdr := http.StatusAccepted, http.Header(nil)
	p.mu.Lock()
	f := p.status
	p.mu.Unlock()
	if f != nil {
		status, hdr = f(r.URL.Path, n)
	}
	if status >= 200 && status < 300 {
		p.mu.Lock()
		p.got[r.URL.Path] = append(p.got[r.URL.Path], peerGot{KeyID: vr.KeyID, Body: m})
		p.mu.Unlock()
	}
	for k, v := range hdr {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
}

// resolve finds the public key of one of our actors, as a fakePeer would after
// fetching the actor document.
func (p *fakePeer) resolve(ctx context.Context, keyID string, _ bool) (PublicKeyInfo, error) {
	actor := strings.TrimSuffix(keyID, "#main-key")
	name := actor[strings.LastIndex(actor, "/")+1:]
	st, err := p.store.GetSettings(ctx)
	if err != nil {
		return PublicKeyInfo{}, err
	}
	pemText := st.BlogPublicKeyPEM
	if name != blogActorName(st) {
		a, err := p.store.AuthorByUsername(ctx, name)
		if err != nil {
			return PublicKeyInfo{}, err
		}
		pemText = a.PublicKeyPEM
	}
	k, err := ParsePublicKeyPEM(pemText)
	if err != nil {
		return PublicKeyInfo{}, err
	}
	return PublicKeyInfo{KeyID: keyID, OwnerURI: actor, Key: k}, nil
}

// count is how many deliveries a path peerGot.
func (p *fakePeer) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got[path])
}

func (p *fakePeer) bodies(path string) []peerGot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]peerGot(nil), p.got[path]...)
}

// hitCount is how many requests a path got, answered or not.
func (p *fakePeer) hitCount(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[path]
}

// setStatus replaces the answer function.
func (p *fakePeer) setStatus(f func(path string, hit int) (int, http.Header)) {
	p.mu.Lock()
	p.status = f
	p.mu.Unlock()
}

// total is every delivery received.
func (p *fakePeer) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, v := range p.got {
		n += len(v)
	}
	return n
}

// rows returns every delivery row.
func (e *outEnv) rows() []models.Delivery {
	e.t.Helper()
	ds, err := e.store.ListDeliveries(context.Background(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	return ds
}

// enqueue queues one test activity from the blog actor for inboxes.
func (e *outEnv) enqueue(id string, inboxes ...string) {
	e.t.Helper()
	st := e.st
	body := `{"@context":"https://www.w3.org/ns/activitystreams","id":"` + id + `","type":"Create","actor":"` + e.svc.cfg.URLs.Actor(blogActorName(st)) + `","object":"` + id + `/object"}`
	if err := e.svc.Enqueue(context.Background(), nil, Outgoing{ActivityID: id, Kind: "Create", Body: []byte(body), Inboxes: inboxes}); err != nil {
		e.t.Fatal(err)
	}
}

// get reads a nested value by path of keys.
func dig(m any, path ...string) any {
	for _, k := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

// asPeerSees encodes and decodes a document, as a fakePeer sees it.
func asPeerSees(t *testing.T, d Doc) map[string]any {
	t.Helper()
	b, err := MarshalDoc(d)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
