package scaleout

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fedpress/federation"
	"fedpress/models"
	"fedpress/models/modelstest"
	"fedpress/test/testproc"
)

// ---------------------------------------------------------------- setup

func TestMain(m *testing.M) { testproc.Main(m) }

// heavy skips in -short mode unless CI is set.
func heavy(t *testing.T) {
	if testing.Short() && !testproc.CI() {
		t.Skip("scale-out tests start real fedpress processes; skipped in -short mode")
	}
}

// postgresDSN is a fresh schema on FEDPRESS_TEST_POSTGRES; without it the
// test is skipped, or fails when CI is set.
func postgresDSN(t *testing.T) string {
	t.Helper()
	if os.Getenv(modelstest.EnvPostgres) == "" {
		testproc.SkipOrFail(t, modelstest.EnvPostgres+" is not set: the PostgreSQL tests need a server")
	}
	return modelstest.PostgresDSN(t)
}

// ---------------------------------------------------------------- blog env

// env is one blog: a data folder, a database (SQLite in the folder, or the
// PostgreSQL DSN), one base URL shared by every process, and a Store the
// test opens on the same database to seed and inspect it.
type env struct {
	t     *testing.T
	bin   string
	data  string
	dbURL string // "" = SQLite
	base  string
	urls  federation.URLs
	store *models.Store
	procs []*proc
}

const (
	authorName = "alice"
	password   = "scaleout-password-1234"
)

func newEnv(t *testing.T, dbURL, baseAddr string) *env {
	t.Helper()
	e := &env{t: t, bin: testproc.Fedpress(t), data: filepath.Join(t.TempDir(), "data"), dbURL: dbURL, base: "http://" + baseAddr}
	var err error
	if e.urls, err = federation.NewURLs(e.base); err != nil {
		t.Fatal(err)
	}
	// The processes stop before the database goes (clean-ups run last
	// registered first): registered here, after PostgresDSN's drop.
	t.Cleanup(func() {
		for _, p := range e.procs {
			p.Stop(os.Interrupt, 20*time.Second) // a clean shutdown; a kill after 20 s
		}
		if t.Failed() {
			for _, p := range e.procs {
				t.Logf("---- %s (pid %d) log, last 60 lines\n%s", p.name, p.PID(), testproc.Tail(p.Out.String(), 60))
			}
		}
		if e.store != nil {
			e.store.Close()
		}
	})
	return e
}

func (e *env) common() []string {
	args := []string{"--data", e.data, "--base-url", e.base, "--allow-private-peers"}
	if e.dbURL != "" {
		args = append(args, "--database-url", e.dbURL)
	}
	return args
}

// run runs a one-shot command: words, the common flags, then rest.
func (e *env) run(stdin string, words []string, rest ...string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append(append(append([]string{}, words...), e.common()...), rest...)
	cmd := testproc.Command(ctx, e.bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("fedpress %s: %v\n%s", strings.Join(words, " "), err, out)
	}
	return string(out)
}

// setup creates the author with `fedpress author add` (which also creates
// the schema, the settings and the blog actor's keys) and opens the store.
func (e *env) setup() {
	e.t.Helper()
	e.run(password+"\n", []string{"author", "add"}, "--username", authorName, "--name", "Alice Writer", "--password-stdin")
	s, err := models.Open(context.Background(), models.Options{DatabaseURL: e.dbURL, DataDir: e.data, MaxOpenConns: 8})
	if err != nil {
		e.t.Fatal(err)
	}
	e.store = s
}

// post publishes an article with `fedpress post` and returns it.
func (e *env) post(slug string) *models.Article {
	e.t.Helper()
	file := filepath.Join(e.t.TempDir(), slug+".md")
	body := "---\ntitle: Scale out " + slug + "\nslug: " + slug + "\ntags: [ops]\n---\nWhat happens when a process dies mid-fan-out.\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.run("", []string{"post"}, file)
	a, err := e.store.ArticleBySlug(context.Background(), slug)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// signingKeys are the public keys of the local actors, read from the
// database: what a remote server would fetch from the actor documents.
func (e *env) signingKeys() map[string]federation.PublicKeyInfo {
	e.t.Helper()
	ctx := context.Background()
	st, err := e.store.GetSettings(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	blog := st.BlogUsername
	if blog == "" {
		blog = models.DefaultBlogUsername
	}
	out := map[string]federation.PublicKeyInfo{}
	add := func(user, pemText string) {
		k, err := federation.ParsePublicKeyPEM(pemText)
		if err != nil {
			e.t.Fatalf("public key of %s: %v", user, err)
		}
		out[e.urls.ActorKey(user)] = federation.PublicKeyInfo{KeyID: e.urls.ActorKey(user), OwnerURI: e.urls.Actor(user), Key: k}
	}
	add(blog, st.BlogPublicKeyPEM)
	authors, err := e.store.ListAuthors(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range authors {
		add(a.Username, a.PublicKeyPEM)
	}
	return out
}

// seedFollowers makes one accepted follower of the blog actor per inbox,
// each remote actor on its own shared inbox (distinct URLs: the fan-out
// dedupes on the inbox, so each is one delivery).
func (e *env) seedFollowers(inboxes []string) time.Duration {
	e.t.Helper()
	start := time.Now()
	ctx := context.Background()
	const chunk = 250
	// One writer: every remote_actors insert bumps the page-cache
	// generation row, so parallel transactions would only queue on it.
	workers := 1
	var (
		wg   sync.WaitGroup
		next atomic.Int64
		mu   sync.Mutex
		ferr error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= len(inboxes) {
					return
				}
				hi := min(lo+chunk, len(inboxes))
				err := e.store.Tx(ctx, func(tx *models.Store) error {
					for i := lo; i < hi; i++ {
						u := strings.TrimSuffix(inboxes[i], "/inbox/"+fmt.Sprint(i)) // the inbox's origin
						uri := fmt.Sprintf("%s/users/f%d", u, i)
						a := &models.RemoteActor{URI: uri, Type: "Person", Username: fmt.Sprintf("f%d", i), Host: strings.TrimPrefix(u, "http://"),
							Inbox: uri + "/inbox", SharedInbox: inboxes[i], Followers: uri + "/followers", PublicKeyID: uri + "#main-key"}
						if err := tx.UpsertRemoteActor(ctx, a); err != nil {
							return err
						}
						if _, _, err := tx.UpsertFollower(ctx, models.DefaultBlogUsername, a.ID, uri+"/follows/1", models.FollowAccepted); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					mu.Lock()
					ferr = err
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if ferr != nil {
		e.t.Fatalf("seed followers: %v", ferr)
	}
	n, err := e.store.CountFollowers(ctx, models.DefaultBlogUsername)
	if err != nil || n != int64(len(inboxes)) {
		e.t.Fatalf("followers of the blog: %d, %v; want %d", n, err, len(inboxes))
	}
	return time.Since(start)
}

// instanceRE finds the name a process claims rows under in its log line
// `msg="delivery workers running" … instance=NAME`.
var instanceRE = regexp.MustCompile(`msg="delivery workers running".* instance=("(?:[^"\\]|\\.)*"|\S+)`)

// running is nil once the delivery workers started; it learns the
// process's instance name from the log.
func (p *proc) running() error {
	m := instanceRE.FindStringSubmatch(p.Out.String())
	if m == nil {
		return errors.New(`no "delivery workers running" line in its log yet`)
	}
	p.holder = m[1]
	if u, err := strconv.Unquote(m[1]); err == nil {
		p.holder = u
	}
	return nil
}

// ---------------------------------------------------------------- processes

// proc is a fedpress process of the blog; Kill is the SIGKILL of the tests.
type proc struct {
	*testproc.Proc
	name   string
	holder string // the instance name it claims rows under
	addr   string // serve only
}

// noInboxLimits lifts the inbox's per-sender limits: these tests flood it
// from a few actors on purpose (the limits have their own tests).
func noInboxLimits() []string {
	return []string{"--inbox-per-actor", "1000000", "--inbox-per-host", "1000000", "--inbox-pending-per-actor", "1000000"}
}

// serve starts `fedpress serve` on addr and waits for /healthz and the
// delivery workers.
func (e *env) serve(name, addr string, extra ...string) *proc {
	e.t.Helper()
	p := e.start(name, append(append([]string{"serve", "--addr", addr}, noInboxLimits()...), extra...))
	p.addr = addr
	e.waitReady(p, func() error {
		if err := testproc.Healthy("http://" + addr); err != nil {
			return err
		}
		return p.running()
	})
	return p
}

// worker starts `fedpress worker` and waits until its workers run.
func (e *env) worker(name string, extra ...string) *proc {
	e.t.Helper()
	p := e.start(name, append([]string{"worker"}, extra...))
	e.waitReady(p, p.running)
	return p
}

func (e *env) start(name string, args []string) *proc {
	e.t.Helper()
	tp, err := testproc.Start(testproc.Command(context.Background(), e.bin, append(args, e.common()...)...), nil)
	if err != nil {
		e.t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{Proc: tp, name: name}
	e.procs = append(e.procs, p)
	return p
}

func (e *env) waitReady(p *proc, ready func() error) {
	e.t.Helper()
	if err := p.WaitReady(30*time.Second, 50*time.Millisecond, ready); err != nil {
		e.t.Fatalf("%s: %v", p.name, err)
	}
}

// ---------------------------------------------------------------- recording inboxes

// recorder is many inboxes on a few loopback listeners: /inbox/N on
// listener N%L. Each POST must carry a valid signature of a local actor;
// it is recorded as (activity id, inbox URL), then answered 202 after delay.
type recorder struct {
	t       *testing.T
	servers []*httptest.Server
	inboxes []string
	valid   map[string]bool
	delay   time.Duration

	keysMu sync.RWMutex
	keys   map[string]federation.PublicKeyInfo

	mu       sync.Mutex
	counts   map[pair]int
	answered map[pair]time.Time // when the first 202 for the pair was sent
	badSig   []string
	unknown  []string

	arrived   atomic.Int64
	threshold atomic.Int64
	hit       chan struct{}
	hitOnce   sync.Once
}

type pair struct{ activity, inbox string }

func newRecorder(t *testing.T, listeners, inboxes int, delay time.Duration) *recorder {
	r := &recorder{t: t, valid: map[string]bool{}, counts: map[pair]int{}, answered: map[pair]time.Time{}, delay: delay, hit: make(chan struct{})}
	r.threshold.Store(-1)
	for range listeners {
		s := httptest.NewServer(http.HandlerFunc(r.serve))
		t.Cleanup(s.Close)
		r.servers = append(r.servers, s)
	}
	for i := range inboxes {
		u := fmt.Sprintf("%s/inbox/%d", r.servers[i%listeners].URL, i)
		r.inboxes = append(r.inboxes, u)
		r.valid[u] = true
	}
	return r
}

func (r *recorder) setKeys(k map[string]federation.PublicKeyInfo) {
	r.keysMu.Lock()
	r.keys = k
	r.keysMu.Unlock()
}

func (r *recorder) resolve(_ context.Context, keyID string, _ bool) (federation.PublicKeyInfo, error) {
	r.keysMu.RLock()
	defer r.keysMu.RUnlock()
	k, ok := r.keys[keyID]
	if !ok {
		return federation.PublicKeyInfo{}, fmt.Errorf("unknown key %s", keyID)
	}
	return k, nil
}

// armAt makes hit close when n requests have been recorded.
func (r *recorder) armAt(n int64) { r.threshold.Store(n) }

func (r *recorder) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	inbox := "http://" + req.Host + req.URL.Path
	if _, err := federation.VerifyRequest(req.Context(), req, body, r.resolve, federation.VerifyOptions{}); err != nil {
		r.mu.Lock()
		r.badSig = append(r.badSig, inbox+": "+err.Error())
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var act struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &act); err != nil || act.ID == "" {
		http.Error(w, "no activity id", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	if !r.valid[inbox] {
		r.unknown = append(r.unknown, inbox)
	}
	r.counts[pair{act.ID, inbox}]++
	r.mu.Unlock()
	if n := r.arrived.Add(1); n == r.threshold.Load() {
		r.hitOnce.Do(func() { close(r.hit) })
	}
	time.Sleep(r.delay)
	w.WriteHeader(http.StatusAccepted)
	w.(http.Flusher).Flush()
	now := time.Now()
	r.mu.Lock()
	if _, ok := r.answered[pair{act.ID, inbox}]; !ok {
		r.answered[pair{act.ID, inbox}] = now
	}
	r.mu.Unlock()
}

// ---------------------------------------------------------------- delivery checks

// claimedBy lists the pending rows a process holds.
func claimedBy(t *testing.T, s *models.Store, holder string) []models.Delivery {
	t.Helper()
	rows, err := s.ListDeliveries(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var out []models.Delivery
	for _, d := range rows {
		if d.ClaimedBy == holder && d.Status == models.DeliveryPending {
			out = append(out, d)
		}
	}
	return out
}

// fanOutKill is a fan-out during which one process was SIGKILLed.
type fanOutKill struct {
	art      *models.Article
	p        *proc
	start    time.Time         // `fedpress post` began
	after    time.Duration     // from start to the kill
	killedAt time.Time         // when the kill was sent
	arrived  int64             // deliveries received by then
	inflight []models.Delivery // rows the killed process held
}

// postAndKill publishes an article to the seeded followers and SIGKILLs p
// once half of them were delivered, at a moment p holds claimed rows.
func postAndKill(t *testing.T, e *env, rec *recorder, p *proc, slug string, followers int) *fanOutKill {
	t.Helper()
	rec.armAt(int64(followers / 2))
	k := &fanOutKill{p: p, start: time.Now()}
	k.art = e.post(slug)
	select {
	case <-rec.hit:
	case <-time.After(2 * time.Minute):
		t.Fatalf("only %d deliveries arrived in 2 minutes", rec.arrived.Load())
	}
	busy, killedAt := killWhenBusy(t, e.store, p, 8, 3*time.Second)
	k.after, k.killedAt = time.Since(k.start), killedAt
	k.arrived = rec.arrived.Load()
	k.inflight = claimedBy(t, e.store, p.holder)
	t.Logf("SIGKILL %s after %s: %d deliveries had arrived; it held %d rows (%d in the last look before the kill)",
		p.name, k.after.Round(time.Millisecond), k.arrived, len(k.inflight), busy)
	return k
}

// finish waits until the other processes delivered everything but the
// killed process's rows (which must stay claimed: no takeover before the
// claim timeout), releases those rows as the stale-claim takeover would,
// without the 2-minute wait, waits for the rest and checks every delivery.
// It returns the figures and when both waits ended, from the post.
func (k *fanOutKill) finish(t *testing.T, e *env, rec *recorder, followers int) (f deliveryFigures, drainedLive, total time.Duration) {
	t.Helper()
	waitPending(t, e.store, int64(len(k.inflight)), time.Minute, "fan-out without "+k.p.name)
	drainedLive = time.Since(k.start)
	if held := claimedBy(t, e.store, k.p.holder); len(held) != len(k.inflight) {
		t.Errorf("%s held %d rows at the kill, %d once the others drained: rows taken over before the claim timeout", k.p.name, len(k.inflight), len(held))
	}
	if err := e.store.ReleaseDeliveries(context.Background(), k.p.holder, nil); err != nil {
		t.Fatal(err)
	}
	waitPending(t, e.store, 0, time.Minute, "fan-out after "+k.p.name+"'s rows were released")
	total = time.Since(k.start)
	return checkDeliveries(t, e.store, rec, followers, len(k.inflight), k.killedAt), drainedLive, total
}

// killWhenBusy SIGKILLs p once it holds at least min delivery rows (a
// process's share swings between none and 2×workers as it claims in
// batches), or after maxWait; it returns what the last look saw and when
// the signal went.
func killWhenBusy(t *testing.T, s *models.Store, p *proc, atLeast int, maxWait time.Duration) (int, time.Time) {
	t.Helper()
	deadline := time.Now().Add(maxWait)
	for {
		n := len(claimedBy(t, s, p.holder))
		if n >= atLeast || time.Now().After(deadline) {
			at := time.Now()
			p.Kill()
			return n, at
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitPending waits until want delivery rows are pending.
func waitPending(t *testing.T, s *models.Store, want int64, timeout time.Duration, what string) time.Duration {
	t.Helper()
	start := time.Now()
	var last models.QueueStats
	for {
		st, err := s.GetQueueStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		last = st
		if st.DeliveriesPending == want {
			return time.Since(start)
		}
		if st.DeliveriesPending < want {
			t.Fatalf("%s: %d deliveries pending, fewer than the %d expected", what, st.DeliveriesPending, want)
		}
		if time.Since(start) > timeout {
			describeStuck(t, s)
			t.Fatalf("%s: still %d deliveries pending after %s (want %d; stats %+v)", what, last.DeliveriesPending, timeout, want, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// describeStuck logs who holds the pending rows.
func describeStuck(t *testing.T, s *models.Store) {
	rows, err := s.ListDeliveries(context.Background(), "")
	if err != nil {
		return
	}
	by := map[string]int{}
	for _, d := range rows {
		if d.Status == models.DeliveryPending {
			by[fmt.Sprintf("claimed_by=%q attempts=%d last_status=%d err=%q", d.ClaimedBy, d.Attempts, d.LastStatus, d.LastError)]++
		}
	}
	for k, n := range by {
		t.Logf("pending: %d × %s", n, k)
	}
}

// deliveryFigures is what a fan-out run measured.
type deliveryFigures struct {
	rows, arrived, pairs, duplicates int
	// answeredDup: duplicates whose first copy had been answered 202
	// before the kill: the process had the success but had not written it.
	answeredDup int
}

// checkDeliveries asserts that every delivery row is delivered, every
// (activity, inbox) arrived at least once, nothing arrived that was not
// queued, and the duplicates are at most maxDup.
func checkDeliveries(t *testing.T, s *models.Store, r *recorder, wantRows, maxDup int, killedAt time.Time) deliveryFigures {
	t.Helper()
	rows, err := s.ListDeliveries(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	f := deliveryFigures{rows: len(rows)}
	if len(rows) != wantRows {
		t.Errorf("%d delivery rows, want %d", len(rows), wantRows)
	}
	queued := map[pair]bool{}
	var notDone []string
	for _, d := range rows {
		queued[pair{d.ActivityID, d.Inbox}] = true
		if d.Status != models.DeliveryDelivered || d.ClaimedBy != "" || d.DeliveredAt == nil {
			notDone = append(notDone, fmt.Sprintf("%d %s status=%s claimed_by=%q attempts=%d err=%q", d.ID, d.Inbox, d.Status, d.ClaimedBy, d.Attempts, d.LastError))
		}
	}
	if len(notDone) > 0 {
		t.Errorf("%d rows not delivered, e.g. %s", len(notDone), strings.Join(notDone[:min(5, len(notDone))], "; "))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.badSig) > 0 {
		t.Errorf("%d requests failed signature verification, e.g. %s", len(r.badSig), r.badSig[0])
	}
	if len(r.unknown) > 0 {
		t.Errorf("%d requests to inboxes nobody follows from, e.g. %s", len(r.unknown), r.unknown[0])
	}
	var missing []string
	for p := range queued {
		if r.counts[p] == 0 {
			missing = append(missing, p.inbox)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("LOST: %d queued deliveries never arrived, e.g. %v", len(missing), missing[:min(5, len(missing))])
	}
	var extra []string
	for p, n := range r.counts {
		f.arrived += n
		f.pairs++
		f.duplicates += n - 1
		if at, ok := r.answered[p]; n > 1 && ok && at.Before(killedAt) {
			f.answeredDup += n - 1
		}
		if !queued[p] {
			extra = append(extra, p.activity+" → "+p.inbox)
		}
	}
	if len(extra) > 0 {
		t.Errorf("%d (activity, inbox) pairs arrived that were never queued, e.g. %v", len(extra), extra[:min(5, len(extra))])
	}
	if f.duplicates > maxDup {
		var dups []string
		for p, n := range r.counts {
			if n > 1 {
				dups = append(dups, fmt.Sprintf("%s ×%d", p.inbox, n))
			}
		}
		t.Errorf("DOUBLE DELIVERY: %d duplicates, more than the %d rows in flight at the kill, e.g. %v", f.duplicates, maxDup, dups[:min(5, len(dups))])
	}
	return f
}

// ---------------------------------------------------------------- remote repliers

// remote is a fediverse server on loopback serving actor documents; its
// actors sign what they send with federation.Signer (keyId actor#main-key).
type remote struct {
	t      *testing.T
	srv    *httptest.Server
	actors []*remoteActor
	client *http.Client
}

type remoteActor struct {
	uri, keyID string
	key        *rsa.PrivateKey
	doc        []byte
}

func newRemote(t *testing.T, n int) *remote {
	t.Helper()
	r := &remote{t: t, client: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	docs := map[string][]byte{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		doc, ok := docs[req.URL.Path]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write(doc)
	}))
	t.Cleanup(r.srv.Close)
	// Two key pairs shared round-robin: actors are told apart by key id.
	var keys [2][2]string
	for i := range keys {
		priv, pub, err := federation.GenerateKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = [2]string{priv, pub}
	}
	for i := range n {
		kp := keys[i%len(keys)]
		key, err := federation.ParsePrivateKeyPEM(kp[0])
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("r%d", i)
		uri := r.srv.URL + "/users/" + name
		a := &remoteActor{uri: uri, keyID: uri + "#main-key", key: key}
		a.doc, _ = json.Marshal(map[string]any{
			"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":                uri,
			"type":              "Person",
			"preferredUsername": name,
			"name":              "Replier " + name,
			"url":               r.srv.URL + "/@" + name,
			"inbox":             uri + "/inbox",
			"outbox":            uri + "/outbox",
			"followers":         uri + "/followers",
			"endpoints":         map[string]any{"sharedInbox": r.srv.URL + "/inbox"},
			"publicKey":         map[string]any{"id": a.keyID, "owner": uri, "publicKeyPem": kp[1]},
		})
		docs["/users/"+name] = a.doc
		r.actors = append(r.actors, a)
	}
	return r
}

// reply is reply number i: a public Create{Note} answering inReplyTo, by
// actor i%len(actors); it returns the activity id, note id and body.
func (r *remote) reply(i int, inReplyTo string) (activityID, noteID string, a *remoteActor, body []byte) {
	a = r.actors[i%len(r.actors)]
	noteID = fmt.Sprintf("%s/notes/%d", a.uri, i)
	activityID = noteID + "/activity"
	note := map[string]any{
		"id": noteID, "type": "Note", "attributedTo": a.uri, "inReplyTo": inReplyTo,
		"content":   fmt.Sprintf("<p>Reply number %d</p>", i),
		"to":        []any{"https://www.w3.org/ns/activitystreams#Public"},
		"cc":        []any{a.uri + "/followers"},
		"published": "2025-01-02T03:04:05Z", "url": noteID,
	}
	body, _ = json.Marshal(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       activityID, "type": "Create", "actor": a.uri, "object": note,
		"to": note["to"], "cc": note["cc"],
	})
	return activityID, noteID, a, body
}

// errUnreachable is a request that got no HTTP answer (the process died).
var errUnreachable = errors.New("no answer")

// send signs and POSTs body to the shared inbox at addr; it returns the
// HTTP status, or errUnreachable.
func (r *remote) send(a *remoteActor, addr string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/inbox", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	if err := (federation.Signer{KeyID: a.keyID, Key: a.key}).SignRequest(req, body); err != nil {
		return 0, err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errUnreachable, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// ---------------------------------------------------------------- inbox checks

// releaseInbox hands back the unprocessed inbox items a dead process had
// claimed, as the stale-claim takeover would after 10 minutes; it returns
// how many there were.
func releaseInbox(t *testing.T, s *models.Store, holder string, activityIDs []string) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	for _, id := range activityIDs {
		it, err := s.InboxItemByActivityID(ctx, id)
		if models.ErrIsNotFound(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.ClaimedBy == holder && it.ProcessedAt == nil {
			if err := s.RetryInboxItem(ctx, it.ID, it.NextAt, it.Attempts, it.Error); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	return n
}

// waitInboxDrained waits until no inbox item is unprocessed.
func waitInboxDrained(t *testing.T, s *models.Store, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		st, err := s.GetQueueStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.InboxPending == 0 {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("inbox: %d items still unprocessed after %s", st.InboxPending, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// inboxFigures is the state of the inbox after a flood.
type inboxFigures struct {
	stored, comments int
}

// checkInbox asserts that the stored items are exactly the activities in
// mustHave plus some of mayHave, each processed once without error, and
// that each stored one is exactly one comment under the article.
func checkInbox(t *testing.T, s *models.Store, articleID uint, sent map[string]string, mustHave map[string]bool) inboxFigures {
	t.Helper()
	ctx := context.Background()
	var f inboxFigures
	total, err := s.CountInboxItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for actID, noteID := range sent {
		it, err := s.InboxItemByActivityID(ctx, actID)
		if models.ErrIsNotFound(err) {
			if mustHave[actID] {
				problems = append(problems, "LOST: accepted (202) but not stored: "+actID)
			}
			if in, err := s.InteractionByObjectURI(ctx, noteID); err == nil {
				problems = append(problems, fmt.Sprintf("comment %d exists for never-stored %s", in.ID, actID))
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		f.stored++
		if it.ProcessedAt == nil || it.Error != "" || it.ClaimedBy != "" {
			problems = append(problems, fmt.Sprintf("item %s: processed_at=%v error=%q claimed_by=%q attempts=%d", actID, it.ProcessedAt, it.Error, it.ClaimedBy, it.Attempts))
		}
		in, err := s.InteractionByObjectURI(ctx, noteID)
		if err != nil {
			problems = append(problems, fmt.Sprintf("no comment for %s: %v", actID, err))
			continue
		}
		f.comments++
		if in.ArticleID != articleID || in.Kind != models.KindComment || in.ActivityURI != actID {
			problems = append(problems, fmt.Sprintf("comment %d for %s: article %d kind %s activity %s", in.ID, actID, in.ArticleID, in.Kind, in.ActivityURI))
		}
	}
	if total != int64(f.stored) {
		problems = append(problems, fmt.Sprintf("%d inbox items stored, %d of them ours", total, f.stored))
	}
	counts, err := s.TableCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts["interactions"] != int64(f.comments) {
		problems = append(problems, fmt.Sprintf("APPLIED TWICE? %d interactions in the database for %d stored activities", counts["interactions"], f.comments))
	}
	if len(problems) > 0 {
		t.Errorf("inbox: %d problems:\n%s", len(problems), strings.Join(problems[:min(10, len(problems))], "\n"))
	}
	return f
}
