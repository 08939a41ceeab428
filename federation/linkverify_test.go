package federation

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// mentionEnv is a Service on a real database with one published article,
// and a stand-in website serving source pages that tests can change.
type mentionEnv struct {
	t       *testing.T
	ctx     context.Context
	store   *models.Store
	svc     *Service
	article *models.Article
	site    *httptest.Server

	mu    sync.Mutex
	pages map[string]sitePage // path → page
	hits  map[string]int
}

type sitePage struct {
	status int
	ctype  string
	body   string
	header http.Header
}

func newMentionEnv(t *testing.T) *mentionEnv {
	t.Helper()
	ctx := context.Background()
	store := modelstest.SQLite(t)
	if _, err := store.EnsureSettings(ctx, func() (string, string, string, string, error) {
		return "x", "x", "x", "x", nil // keys are not used by mentions
	}); err != nil {
		t.Fatal(err)
	}
	urls, err := NewURLs("http://blog.test")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := NewService(Config{URLs: urls, AllowPrivatePeers: true}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	author := &models.Author{Username: "ann", Name: "Ann", PasswordHash: "!", PrivateKeyPEM: "x", PublicKeyPEM: "x"}
	if err := store.CreateAuthor(ctx, author); err != nil {
		t.Fatal(err)
	}
	pub := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	art, err := store.SaveArticle(ctx, 0, models.ArticleInput{
		Title: "Hello", Slug: "hello", HTML: "<p>Hi</p>", Status: models.StatusPublished, PublishedAt: &pub, AuthorID: author.ID,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &mentionEnv{t: t, ctx: ctx, store: store, svc: svc, article: art, pages: map[string]sitePage{}, hits: map[string]int{}}
	e.site = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		p, ok := e.pages[r.URL.Path]
		e.hits[r.URL.Path]++
		e.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		for k, v := range p.header {
			w.Header()[k] = v
		}
		if p.ctype == "" {
			p.ctype = "text/html; charset=utf-8"
		}
		w.Header().Set("Content-Type", p.ctype)
		if p.status == 0 {
			p.status = http.StatusOK
		}
		w.WriteHeader(p.status)
		io.WriteString(w, p.body)
	}))
	t.Cleanup(e.site.Close)
	return e
}

// page serves an HTML page at path and returns its URL.
func (e *mentionEnv) page(path string, p sitePage) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pages[path] = p
	return e.site.URL + path
}

func (e *mentionEnv) permalink() string { return "http://blog.test" + e.article.Permalink() }

// mentions returns every mention row of the article, whatever its status.
func (e *mentionEnv) mentions() []models.Interaction {
	e.t.Helper()
	var out []models.Interaction
	for _, st := range []string{models.StatusVerifying, models.StatusApproved, models.StatusSpam} {
		rows, err := e.store.MentionsDue(e.ctx, st, time.Now().Add(48*time.Hour), 0, 100)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, rows...)
	}
	return out
}

func (e *mentionEnv) receive(kind, source, target string) error {
	return e.svc.ReceiveMention(e.ctx, MentionRequest{Kind: kind, Source: source, Target: target, RemoteIP: "192.0.2.1", UserAgent: "test"})
}

func (e *mentionEnv) verify() {
	e.t.Helper()
	if _, err := e.svc.VerifyDueLinks(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

func TestReceiveMentionValidation(t *testing.T) {
	e := newMentionEnv(t)
	if err := e.store.CreateLegacyRedirect(e.ctx, "/2012/11/17/hello/", e.article.ID); err != nil {
		t.Fatal(err)
	}
	// The article was once at another permalink (renamed).
	if err := e.store.CreateLegacyRedirect(e.ctx, "/2024/02/hi/", e.article.ID); err != nil {
		t.Fatal(err)
	}
	src := "https://alice.example/post"
	tests := []struct {
		name   string
		source string
		target string
		code   MentionErrorCode // -1: accepted
	}{
		{"permalink", src, e.permalink(), -1},
		{"permalink without slash, https", src, "https://blog.test/2024/03/hello", -1},
		{"AP id", src + "2", "http://blog.test/articles/" + strconv.FormatUint(uint64(e.article.ID), 10), -1},
		{"legacy WordPress path", src + "3", "http://blog.test/2012/11/17/hello/", -1},
		{"earlier permalink of a renamed article", src + "4", "http://blog.test/2024/02/hi/", -1},
		{"source not http", "ftp://alice.example/x", e.permalink(), MentionBadSource},
		{"source relative", "/x", e.permalink(), MentionBadSource},
		{"same URL", e.permalink(), e.permalink() + "#x", MentionInvalid},
		{"other host", src, "https://other.test/2024/03/hello/", MentionInvalidTarget},
		{"our home page", src, "http://blog.test/", MentionInvalidTarget},
		{"our tag page", src, "http://blog.test/tag/x/", MentionInvalidTarget},
		{"unknown slug", src, "http://blog.test/2024/03/nope/", MentionNoSuchTarget},
		{"wrong month", src, "http://blog.test/2024/04/hello/", MentionNoSuchTarget},
		{"unknown AP id", src, "http://blog.test/articles/999", MentionNoSuchTarget},
		{"target garbage", src, "not a url", MentionInvalidTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.receive(models.KindWebmention, tt.source, tt.target)
			var me *MentionError
			switch {
			case tt.code < 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.code >= 0 && !errors.As(err, &me):
				t.Fatalf("err = %v, want MentionError %d", err, tt.code)
			case tt.code >= 0 && me.Code != tt.code:
				t.Fatalf("code = %d, want %d (%s)", me.Code, tt.code, me.Msg)
			}
		})
	}
}

func TestMentionBlocks(t *testing.T) {
	e := newMentionEnv(t)
	if _, _, err := e.store.CreateBlock(e.ctx, models.BlockDomain, "spam.example"); err != nil {
		t.Fatal(err)
	}
	err := e.receive(models.KindPingback, "https://www.spam.example/x", e.permalink())
	var me *MentionError
	if !errors.As(err, &me) || me.Code != MentionRefused {
		t.Fatalf("err = %v, want refused", err)
	}
	if n := len(e.mentions()); n != 0 {
		t.Fatalf("%d rows stored", n)
	}

	// Keyword blocks apply to what the source says.
	if _, _, err := e.store.CreateBlock(e.ctx, models.BlockKeyword, "casino"); err != nil {
		t.Fatal(err)
	}
	src := e.page("/casino", sitePage{body: `<title>Best CASINO bonus</title><p><a href="` + e.permalink() + `">x</a></p>`})
	if err := e.receive(models.KindWebmention, src, e.permalink()); err != nil {
		t.Fatal(err)
	}
	e.verify()
	if rows := e.mentions(); len(rows) != 0 {
		t.Fatalf("keyword-blocked mention kept: %+v", rows)
	}
}

func TestVerifyMentions(t *testing.T) {
	e := newMentionEnv(t)
	linking := e.page("/reply", sitePage{body: `<title>Bob's blog</title><article class="h-entry">
		<a class="p-author h-card" href="https://bob.example/">Bob</a>
		<a class="u-in-reply-to" href="` + e.permalink() + `">re</a><p class="e-content">I <em>disagree</em>.</p></article>`})
	notLinking := e.page("/spam", sitePage{body: `<title>Buy</title><p>Nothing here</p>`})
	gone := e.site.URL + "/gone"
	failing := e.page("/down", sitePage{status: http.StatusServiceUnavailable})

	for _, src := range []string{linking, notLinking, gone, failing} {
		if err := e.receive(models.KindWebmention, src, e.permalink()); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(e.mentions()); got != 4 {
		t.Fatalf("%d rows before verification, want 4", got)
	}
	shown, err := e.store.ListArticleInteractions(e.ctx, e.article.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(shown.Pingbacks) != 0 {
		t.Fatalf("unverified mentions shown: %+v", shown.Pingbacks)
	}

	e.verify()

	rows := e.mentions()
	byURL := map[string]models.Interaction{}
	for _, r := range rows {
		byURL[r.URL] = r
	}
	ok, found := byURL[linking]
	if !found || ok.Status != models.StatusApproved {
		t.Fatalf("linking source: %+v", ok)
	}
	if ok.Title != "Bob's blog" || ok.Content != "<p>I disagree.</p>" || ok.Summary != models.MentionReply ||
		ok.AuthorName != "Bob" || ok.AuthorURL != "https://bob.example/" || ok.Kind != models.KindWebmention {
		t.Errorf("approved row: title %q content %q flavour %q author %q %q kind %q", ok.Title, ok.Content, ok.Summary, ok.AuthorName, ok.AuthorURL, ok.Kind)
	}
	for _, src := range []string{notLinking, gone} {
		if r, found := byURL[src]; found {
			t.Errorf("%s kept as %s", src, r.Status)
		}
	}
	if r := byURL[failing]; r.Status != models.StatusVerifying {
		t.Errorf("failing source: status %q, want verifying (retry later)", r.Status)
	}
	shown, err = e.store.ListArticleInteractions(e.ctx, e.article.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(shown.Pingbacks) != 1 || shown.Pingbacks[0].URL != linking {
		t.Fatalf("shown: %+v", shown.Pingbacks)
	}

	// The failing source is not fetched again before the retry delay…
	hits := e.hits["/down"]
	e.verify()
	if e.hits["/down"] != hits {
		t.Errorf("failing source refetched at once")
	}
	// …and given up after a day.
	e.svc.now = func() time.Time { return time.Now().UTC().Add(linkVerifyGiveUp + time.Hour) }
	e.verify()
	for _, r := range e.mentions() {
		if r.URL == failing {
			t.Errorf("failing source kept after a day: %s", r.Status)
		}
	}
}

func TestRepeatedMentionUpdates(t *testing.T) {
	e := newMentionEnv(t)
	src := e.page("/post", sitePage{body: `<title>First</title><p><a href="` + e.permalink() + `">x</a></p>`})
	for i := 0; i < 2; i++ {
		if err := e.receive(models.KindPingback, src, e.permalink()); err != nil {
			t.Fatal(err)
		}
	}
	e.verify()
	e.page("/post", sitePage{body: `<title>Second</title><p><a href="` + e.permalink() + `">x</a></p>`})
	// A webmention for the same source updates the same row.
	if err := e.receive(models.KindWebmention, src, "https://blog.test/articles/"+strconv.FormatUint(uint64(e.article.ID), 10)); err != nil {
		t.Fatal(err)
	}
	rows := e.mentions()
	if len(rows) != 1 || rows[0].Status != models.StatusApproved {
		t.Fatalf("rows after repeat: %+v", rows)
	}
	e.verify()
	rows = e.mentions()
	if len(rows) != 1 || rows[0].Title != "Second" || rows[0].Kind != models.KindWebmention {
		t.Fatalf("after re-verification: %+v", rows)
	}

	// A moderator's spam verdict survives repeated pings.
	if err := e.store.SetInteractionStatus(e.ctx, rows[0].ID, models.StatusSpam); err != nil {
		t.Fatal(err)
	}
	if err := e.receive(models.KindPingback, src, e.permalink()); err != nil {
		t.Fatal(err)
	}
	e.verify()
	rows = e.mentions()
	if len(rows) != 1 || rows[0].Status != models.StatusSpam {
		t.Fatalf("spam row after a new ping: %+v", rows)
	}
}

func TestReverifyLinks(t *testing.T) {
	e := newMentionEnv(t)
	keep := e.page("/keep", sitePage{body: `<p><a href="` + e.permalink() + `">x</a></p>`})
	drop := e.page("/drop", sitePage{body: `<p><a href="` + e.permalink() + `">x</a></p>`})
	flaky := e.page("/flaky", sitePage{body: `<p><a href="` + e.permalink() + `">x</a></p>`})
	for _, src := range []string{keep, drop, flaky} {
		if err := e.receive(models.KindWebmention, src, e.permalink()); err != nil {
			t.Fatal(err)
		}
	}
	e.verify()
	if n := len(e.mentions()); n != 3 {
		t.Fatalf("%d approved", n)
	}
	e.page("/drop", sitePage{body: `<p>The link is gone.</p>`})
	e.page("/flaky", sitePage{status: http.StatusBadGateway})

	// Too recent: nothing is fetched.
	n, err := e.svc.ReverifyLinks(e.ctx, time.Hour)
	if err != nil || n != 0 {
		t.Fatalf("ReverifyLinks(1h) = %d, %v", n, err)
	}
	n, err = e.svc.ReverifyLinks(e.ctx, 0)
	if err != nil || n != 3 {
		t.Fatalf("ReverifyLinks(0) = %d, %v", n, err)
	}
	got := map[string]string{}
	for _, r := range e.mentions() {
		got[r.URL] = r.Status
	}
	if got[keep] != models.StatusApproved || got[flaky] != models.StatusApproved {
		t.Errorf("kept: %v", got)
	}
	if _, ok := got[drop]; ok {
		t.Errorf("source that stopped linking kept: %v", got)
	}

	// The daily pass of the worker does the same once a day is over.
	e.page("/keep", sitePage{status: http.StatusGone})
	e.svc.now = func() time.Time { return time.Now().UTC().Add(linkReverifyAge + time.Minute) }
	e.verify()
	for _, r := range e.mentions() {
		if r.URL == keep {
			t.Errorf("410 source kept")
		}
	}
}

func TestClaimMentionOnce(t *testing.T) {
	e := newMentionEnv(t)
	src := e.page("/p", sitePage{body: `<p><a href="` + e.permalink() + `">x</a></p>`})
	if err := e.receive(models.KindWebmention, src, e.permalink()); err != nil {
		t.Fatal(err)
	}
	row := e.mentions()[0]
	now := time.Now().UTC()
	first, err := e.store.ClaimMention(e.ctx, row.ID, models.StatusVerifying, now.Add(-linkVerifyRetry), now)
	if err != nil || !first {
		t.Fatalf("first claim = %v, %v", first, err)
	}
	second, err := e.store.ClaimMention(e.ctx, row.ID, models.StatusVerifying, now.Add(-linkVerifyRetry), now)
	if err != nil || second {
		t.Fatalf("second claim = %v, %v", second, err)
	}
}
