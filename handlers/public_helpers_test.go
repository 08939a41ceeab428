package handlers

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fedpress/models"
)

// publicNow is the reading side's clock in tests: after the fixture's
// published articles, before the scheduled one.
var publicNow = time.Date(2012, 11, 20, 12, 0, 0, 0, time.UTC)

// publicFixture is a small blog: two visible articles in two months, a
// draft and a scheduled article.
type publicFixture struct {
	*testServer
	alice     *models.Author
	hello     *models.Article // 2012-11-17, two captioned images, tags
	october   *models.Article // 2012-10-05
	draft     *models.Article
	scheduled *models.Article // 2012-12-01, after publicNow
}

const helloMarkdown = `The storm reached the coast on Saturday morning.

![Waves breaking over the sea wall](/media/waves.jpg "Waves at the *harbour*")

Residents were evacuated overnight, and schools stayed closed.

![Sandbags in front of a shop](/media/sandbags.jpg "Sandbags on Main Street")

More updates will follow.`

func newPublicFixture(t *testing.T) *publicFixture {
	t.Helper()
	ts := newTestServer(t)
	ts.Now = func() time.Time { return publicNow }
	f := &publicFixture{testServer: ts, alice: ts.author("alice")}
	f.hello = ts.article(f.alice, "hello-world", "Storm hits the coast", helloMarkdown,
		time.Date(2012, 11, 17, 10, 0, 0, 0, time.UTC), "News", "Asia Pacific")
	f.october = ts.article(f.alice, "october-news", "October round-up", "Quiet month.",
		time.Date(2012, 10, 5, 9, 0, 0, 0, time.UTC), "News")
	f.scheduled = ts.article(f.alice, "future-post", "Future secret", "Not yet.",
		time.Date(2012, 12, 1, 9, 0, 0, 0, time.UTC), "Secret")
	d, err := ts.Store.SaveArticle(context.Background(), 0, models.ArticleInput{
		Title: "Draft secret", Slug: "draft-post", Markdown: "wip", HTML: "<p>wip</p>",
		Status: models.StatusDraft, AuthorID: f.alice.ID, Tags: []string{"Secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.draft = d
	return f
}

// interaction stores an interaction directly, approved unless set.
func (f *publicFixture) interaction(in models.Interaction) *models.Interaction {
	f.t.Helper()
	if in.Status == "" {
		in.Status = models.StatusApproved
	}
	if in.Kind == "" {
		in.Kind = models.KindComment
	}
	if in.Source == "" {
		in.Source = models.SourceWeb
	}
	if in.ArticleID == 0 {
		in.ArticleID = f.hello.ID
	}
	if in.PublishedAt.IsZero() {
		in.PublishedAt = publicNow.Add(-time.Hour)
	}
	if _, err := f.Store.CreateInteraction(context.Background(), &in); err != nil {
		f.t.Fatal(err)
	}
	return &in
}

// remoteActor stores a fediverse account.
func (f *publicFixture) remoteActor(username, host, name string) *models.RemoteActor {
	f.t.Helper()
	a := &models.RemoteActor{
		URI: "https://" + host + "/users/" + username, Username: username, Host: host, Name: name,
		URL: "https://" + host + "/@" + username, AvatarURL: "https://" + host + "/avatars/" + username + ".png",
		Inbox: "https://" + host + "/users/" + username + "/inbox",
	}
	if err := f.Store.UpsertRemoteActor(context.Background(), a); err != nil {
		f.t.Fatal(err)
	}
	return a
}

func pubHas(t *testing.T, rec *httptest.ResponseRecorder, wants ...string) {
	t.Helper()
	body := rec.Body.String()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("response lacks %q\n--- body ---\n%s", w, pubClip(body))
		}
	}
}

func pubLacks(t *testing.T, rec *httptest.ResponseRecorder, unwanted ...string) {
	t.Helper()
	body := rec.Body.String()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("response contains %q", w)
		}
	}
}

func pubClip(s string) string {
	if len(s) > 4000 {
		return s[:4000] + "…"
	}
	return s
}

func pubStatus(t *testing.T, rec *httptest.ResponseRecorder, want int) {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("status = %d, want %d\n%s", rec.Code, want, pubClip(rec.Body.String()))
	}
}
