package federation

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
	"fedpress/web"
)

// Helpers of the inbox tests: a Service on a real database with a blog, an
// author and an article, and an httptest server standing in for a remote
// instance (actors, notes, collections) whose accounts sign what they send
// with our own Signer.

const ibBase = "http://blog.test"

// ibKeyPool hands out RSA key pairs round-robin: generating one costs
// ~100 ms and tests need many. Accounts are told apart by key id, so two
// sharing key material is harmless. Test-only state.
var ibKeyPool = struct {
	sync.Mutex
	pems [][2]string
	next int
}{}

const ibKeyPoolSize = 6

func ibKeyPair(t testing.TB) (string, string) {
	ibKeyPool.Lock()
	defer ibKeyPool.Unlock()
	if len(ibKeyPool.pems) < ibKeyPoolSize {
		priv, pub, err := GenerateKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		ibKeyPool.pems = append(ibKeyPool.pems, [2]string{priv, pub})
	}
	p := ibKeyPool.pems[ibKeyPool.next%len(ibKeyPool.pems)]
	ibKeyPool.next++
	return p[0], p[1]
}

// ibEnv is a blog with one author and one published article.
type ibEnv struct {
	t       *testing.T
	ctx     context.Context
	store   *models.Store
	svc     *Service
	author  *models.Author
	article *models.Article
	remote  *ibRemote
}

func newIBEnv(t *testing.T, store *models.Store) *ibEnv {
	t.Helper()
	if store == nil {
		store = modelstest.SQLite(t)
	}
	ctx := context.Background()
	if _, err := store.EnsureSettings(ctx, func() (string, string, string, string, error) {
		bp, bpub := ibKeyPair(t)
		ip, ipub := ibKeyPair(t)
		return bp, bpub, ip, ipub, nil
	}); err != nil {
		t.Fatal(err)
	}
	urls, err := NewURLs(ibBase)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := NewService(Config{URLs: urls, AllowPrivatePeers: true, Instance: "test-worker"}, store,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := ibKeyPair(t)
	author := &models.Author{Username: "ann", Name: "Ann", PasswordHash: "!", PrivateKeyPEM: priv, PublicKeyPEM: pub}
	if err := store.CreateAuthor(ctx, author); err != nil {
		t.Fatal(err)
	}
	published := time.Date(2020, 3, 4, 10, 0, 0, 0, time.UTC)
	html, _ := web.RenderMarkdown("The article.")
	art, err := store.SaveArticle(ctx, 0, models.ArticleInput{Title: "On bridges", Slug: "on-bridges", Markdown: "The article.",
		HTML: html, Status: models.StatusPublished, PublishedAt: &published, AuthorID: author.ID})
	if err != nil {
		t.Fatal(err)
	}
	e := &ibEnv{t: t, ctx: ctx, store: store, svc: svc, author: author, article: art}
	e.remote = newIBRemote(t, e)
	return e
}

func (e *ibEnv) articleURL() string   { return e.svc.cfg.URLs.Article(e.article.ID) }
func (e *ibEnv) permalinkURL() string { return e.svc.cfg.URLs.Abs(e.article.Permalink()) }
func (e *ibEnv) blogActor() string    { return e.svc.cfg.URLs.Actor("blog") }

func (e *ibEnv) settings(edit func(*models.Settings)) {
	e.t.Helper()
	st, err := e.store.GetSettings(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	edit(st)
	if err := e.store.SaveSettings(e.ctx, st); err != nil {
		e.t.Fatal(err)
	}
}

// process runs the inbox worker until nothing is due.
func (e *ibEnv) process() {
	e.t.Helper()
	for i := 0; i < 100; i++ {
		n, err := e.svc.ProcessInbox(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	e.t.Fatal("inbox never drained")
}

// interaction loads by object id; nil when absent.
func (e *ibEnv) interaction(objectURI string) *models.Interaction {
	e.t.Helper()
	in, err := e.store.InteractionByObjectURI(e.ctx, objectURI)
	if models.ErrIsNotFound(err) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return in
}

// item loads a stored inbox item.
func (e *ibEnv) item(activityID string) *models.InboxItem {
	e.t.Helper()
	it, err := e.store.InboxItemByActivityID(e.ctx, activityID)
	if err != nil {
		e.t.Fatalf("inbox item %s: %v", activityID, err)
	}
	return it
}

// ibRemote is a remote instance on loopback.
type ibRemote struct {
	t   *testing.T
	env *ibEnv
	srv *httptest.Server

	mu     sync.Mutex
	docs   map[string]any // path → JSON document
	status map[string]int // path → forced status (404, 410…)
	gets   []ibGet
}

type ibGet struct {
	Path, Signature string
}

func newIBRemote(t *testing.T, env *ibEnv) *ibRemote {
	r := &ibRemote{t: t, env: env, docs: map[string]any{}, status: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.gets = append(r.gets, ibGet{Path: req.URL.RequestURI(), Signature: req.Header.Get("Signature")})
		doc, ok := r.docs[req.URL.RequestURI()]
		code := r.status[req.URL.RequestURI()]
		r.mu.Unlock()
		if code != 0 {
			w.WriteHeader(code)
			return
		}
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		_ = json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// url is an absolute URL on the remote.
func (r *ibRemote) url(path string) string { return r.srv.URL + path }

// put publishes a document at an absolute URL of the remote.
func (r *ibRemote) put(uri string, doc any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.docs[strings.TrimPrefix(uri, r.srv.URL)] = doc
}

func (r *ibRemote) setStatus(uri string, code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status[strings.TrimPrefix(uri, r.srv.URL)] = code
}

func (r *ibRemote) fetched() []ibGet {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ibGet(nil), r.gets...)
}

// ibActor is a remote account.
type ibActor struct {
	remote *ibRemote
	URI    string
	KeyID  string
	key    *rsa.PrivateKey
	Doc    map[string]any
}

// actor publishes an account with a Mastodon-style key (actor#main-key).
func (r *ibRemote) actor(name string) *ibActor {
	r.t.Helper()
	priv, pub := ibKeyPair(r.t)
	key, err := ParsePrivateKeyPEM(priv)
	if err != nil {
		r.t.Fatal(err)
	}
	uri := r.url("/users/" + name)
	a := &ibActor{remote: r, URI: uri, KeyID: uri + "#main-key", key: key}
	a.Doc = map[string]any{
		"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                uri,
		"type":              "Person",
		"preferredUsername": name,
		"name":              strings.ToUpper(name[:1]) + name[1:] + " Example",
		"summary":           `<p>Hi <script>alert(1)</script><a href="javascript:x">me</a></p>`,
		"url":               r.url("/@" + name),
		"inbox":             uri + "/inbox",
		"outbox":            uri + "/outbox",
		"followers":         uri + "/followers",
		"endpoints":         map[string]any{"sharedInbox": r.url("/inbox")},
		"icon":              map[string]any{"type": "Image", "mediaType": "image/png", "url": r.url("/avatars/" + name + ".png")},
		"publicKey":         map[string]any{"id": a.KeyID, "owner": uri, "publicKeyPem": pub},
	}
	r.put(uri, a.Doc)
	return a
}

// republish serves the actor document again after a change.
func (a *ibActor) republish() { a.remote.put(a.URI, a.Doc) }

// rotateKey gives the account a new key pair (same key id).
func (a *ibActor) rotateKey() {
	priv, pub := ibKeyPair(a.remote.t)
	key, err := ParsePrivateKeyPEM(priv)
	if err != nil {
		a.remote.t.Fatal(err)
	}
	a.key = key
	a.Doc["publicKey"] = map[string]any{"id": a.KeyID, "owner": a.URI, "publicKeyPem": pub}
	a.republish()
}

// id makes an id under the actor's URI, so accounts never collide.
func (a *ibActor) id(path string) string { return a.URI + path }

// send signs an activity as the actor and posts it to the shared inbox.
func (a *ibActor) send(activity map[string]any) InboxResult {
	a.remote.t.Helper()
	if _, ok := activity["actor"]; !ok {
		activity["actor"] = a.URI
	}
	if _, ok := activity["@context"]; !ok {
		activity["@context"] = "https://www.w3.org/ns/activitystreams"
	}
	body, err := json.Marshal(activity)
	if err != nil {
		a.remote.t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, ibBase+"/inbox", bytes.NewReader(body))
	req.Header.Set("Content-Type", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	if err := (Signer{KeyID: a.KeyID, Key: a.key}).SignRequest(req, body); err != nil {
		a.remote.t.Fatal(err)
	}
	return a.remote.env.svc.ReceiveInbox(context.Background(), req, "")
}

// mustSend sends and requires a 202 that stored the activity.
func (a *ibActor) mustSend(activity map[string]any) {
	a.remote.t.Helper()
	res := a.send(activity)
	if res.Status != http.StatusAccepted || res.Reason != "" {
		a.remote.t.Fatalf("send %v %v: %d %s", activity["type"], activity["id"], res.Status, res.Reason)
	}
}

// note is a public Note by the actor.
func (a *ibActor) note(path, inReplyTo, content string) map[string]any {
	n := map[string]any{
		"id": a.id(path), "type": "Note", "attributedTo": a.URI, "content": content,
		"to": []any{"https://www.w3.org/ns/activitystreams#Public"}, "cc": []any{a.URI + "/followers"},
		"published": "2024-05-06T07:08:09Z", "url": a.URI + "/@" + path,
	}
	if inReplyTo != "" {
		n["inReplyTo"] = inReplyTo
	}
	return n
}

// create wraps an object in Create.
func (a *ibActor) create(obj map[string]any) map[string]any {
	return map[string]any{"id": idOf(obj) + "/activity", "type": "Create", "actor": a.URI, "object": obj,
		"to": obj["to"], "cc": obj["cc"]}
}
