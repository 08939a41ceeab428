package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"fedpress/models"
)

const (
	gtsHost    = "127.0.0.1:9000"
	gtsAlice   = "http://localhost:8080/users/alice"
	gtsReply1  = "http://localhost:8080/users/alice/statuses/01M8G5J842FWZXF2VF54NBSN3Y"
	gtsReply2  = "http://localhost:8080/users/alice/statuses/01M8G5JBA5NNHS3A5QGPJSF9AW"
	gtsDM      = "http://localhost:8080/users/alice/statuses/01M8G5JMF6C987XNEYEC15JFQT"
	gtsLike    = "http://localhost:8080/users/alice/liked/01M8G5JFG3C6ZP57A40TNEXCDK"
	gtsAnnonce = "http://localhost:8080/users/alice/statuses/01M8G5JFGQGS0B8PF1Q1Q51J3P"
)

// gtsBlog is a server at the capture's address with the blog actor "blog"
// and an article with id 2, as the captured activities expect.
type gtsBlog struct {
	*testServer
	article *models.Article
}

func newGTSBlog(t *testing.T) *gtsBlog {
	t.Helper()
	ts := newTestServerAt(t, "http://"+gtsHost)
	author := ts.author("ann")
	published := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	ts.article(author, "first", "First", "The first article.", published)
	art := ts.article(author, "the-exchange", "The exchange", "A sincere exchange.", published)
	if art.ID != 2 {
		t.Fatalf("article id %d, want 2", art.ID)
	}
	return &gtsBlog{testServer: ts, article: art}
}

// inboxState is what the inbox may have changed, counted.
type inboxState struct {
	items, interactions, followers, deliveries int
}

func (b *gtsBlog) state(t *testing.T) inboxState {
	t.Helper()
	ctx := context.Background()
	n, err := b.Store.CountInboxItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	live, err := b.Store.ListForModeration(ctx, models.ModerationQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := b.Store.ListForModeration(ctx, models.ModerationQuery{Status: models.StatusRemoved, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := b.Store.ListFollowersAdmin(ctx, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	d, err := b.Store.CountPendingDeliveries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return inboxState{items: int(n), interactions: len(live) + len(gone), followers: len(fs), deliveries: int(d)}
}

func (b *gtsBlog) interaction(t *testing.T, objectURI string) *models.Interaction {
	t.Helper()
	in, err := b.Store.InteractionByObjectURI(context.Background(), objectURI)
	if models.ErrIsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func (b *gtsBlog) follower(t *testing.T, actor *models.RemoteActor) *models.Follower {
	t.Helper()
	f, err := b.Store.FollowerOf(context.Background(), "blog", actor.ID)
	if models.ErrIsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestGoToSocialFixtures sends the fifteen captured GoToSocial requests
// through the real router, with the clock at each request's Date, runs the
// inbox worker after each, and checks the effect; then replays every POST
// and checks that nothing new appears.
func TestGoToSocialFixtures(t *testing.T) {
	b := newGTSBlog(t)
	reqs := loadGTSRequests(t)
	if len(reqs) != 15 {
		t.Fatalf("%d captured requests, want 15", len(reqs))
	}
	alice := seedGTSAlice(t, b.Store, reqs[0].date(t))

	// Checks after each POST, in capture order.
	checks := map[string]func(t *testing.T){
		"Follow": func(t *testing.T) {
			f := b.follower(t, alice)
			if f == nil || f.Status != models.FollowAccepted || f.FollowActivityID != "http://localhost:8080/users/alice/follow/01TK4F2H3C3AYR880NDS246GYA" {
				t.Fatalf("follower after Follow: %+v", f)
			}
			if n, err := b.Store.CountPendingDeliveries(context.Background()); err != nil || n != 1 {
				t.Fatalf("Accept not queued: %d %v", n, err)
			}
		},
		"Create#1": func(t *testing.T) {
			in := b.interaction(t, gtsReply1)
			if in == nil {
				t.Fatal("first reply not stored")
			}
			if in.Kind != models.KindComment || in.Source != models.SourceActivityPub || in.Status != models.StatusApproved ||
				in.ArticleID != b.article.ID || in.ParentID != nil || in.Visibility != "public" || in.RemoteActorID == nil || *in.RemoteActorID != alice.ID {
				t.Fatalf("first reply: %+v", in)
			}
			if in.URL != "http://localhost:8080/@alice/statuses/01M8G5J842FWZXF2VF54NBSN3Y" || in.InReplyTo != "http://127.0.0.1:9000/articles/2" {
				t.Errorf("url %q inReplyTo %q", in.URL, in.InReplyTo)
			}
			if strings.Contains(in.Content, "<script") || !strings.Contains(in.Content, "&lt;script&gt;") {
				t.Errorf("script not neutralised: %s", in.Content)
			}
			for _, want := range []string{
				`href="http://127.0.0.1:9000/users/blog"`, `class="u-url mention"`,
				`href="http://localhost:8080/tags/diplomacy"`, `class="mention hashtag"`, `rel="nofollow ugc noopener"`,
			} {
				if !strings.Contains(in.Content, want) {
					t.Errorf("content lacks %s: %s", want, in.Content)
				}
			}
			if strings.Contains(in.Content, "target=") {
				t.Errorf("remote target attribute kept: %s", in.Content)
			}
		},
		"Create#2": func(t *testing.T) {
			first, second := b.interaction(t, gtsReply1), b.interaction(t, gtsReply2)
			if second == nil || second.ParentID == nil || *second.ParentID != first.ID || second.ArticleID != b.article.ID {
				t.Fatalf("reply to the reply not nested under it: %+v", second)
			}
		},
		"Update": func(t *testing.T) {
			in := b.interaction(t, gtsReply1)
			if !strings.Contains(in.Content, "An edited view of the exchange.") || strings.Contains(in.Content, "sincere") {
				t.Errorf("edit not applied: %s", in.Content)
			}
			if in.EditedAt == nil || !in.EditedAt.Equal(time.Date(2026, 11, 28, 4, 10, 47, 0, time.UTC)) {
				t.Errorf("EditedAt %v", in.EditedAt)
			}
			if in.Status != models.StatusApproved {
				t.Errorf("edit changed the status to %s", in.Status)
			}
		},
		"Like": func(t *testing.T) {
			in := b.interaction(t, gtsLike)
			if in == nil || in.Kind != models.KindLike || in.ArticleID != b.article.ID || in.Status != models.StatusApproved {
				t.Fatalf("like: %+v", in)
			}
		},
		"Announce": func(t *testing.T) {
			in := b.interaction(t, gtsAnnonce)
			if in == nil || in.Kind != models.KindBoost || in.ArticleID != b.article.ID || in.AuthorName != "alice" {
				t.Fatalf("boost: %+v", in)
			}
		},
		"Undo#1": func(t *testing.T) {
			if b.interaction(t, gtsLike) != nil {
				t.Fatal("like still there after Undo{Like}")
			}
			if b.interaction(t, gtsAnnonce) == nil {
				t.Fatal("Undo{Like} removed the boost")
			}
		},
		"Undo#2": func(t *testing.T) {
			if b.interaction(t, gtsAnnonce) != nil {
				t.Fatal("boost still there after Undo{Announce}")
			}
		},
		"Create#3": func(t *testing.T) {
			in := b.interaction(t, gtsDM)
			if in == nil || in.Status != models.StatusPrivate || in.Visibility != "direct" {
				t.Fatalf("direct message: %+v", in)
			}
			pub, err := b.Store.ListArticleInteractions(context.Background(), b.article.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range pub.Comments {
				if c.ID == in.ID {
					t.Fatal("direct message listed publicly")
				}
			}
			msgs, err := b.Store.ListPrivateMessages(context.Background(), 0, 10)
			if err != nil || len(msgs) != 1 || msgs[0].ID != in.ID {
				t.Fatalf("messages page: %v %v", msgs, err)
			}
		},
		"Delete": func(t *testing.T) {
			in := b.interaction(t, gtsReply2)
			if in == nil || in.Status != models.StatusRemoved || in.Content != "" {
				t.Fatalf("deleted reply: %+v", in)
			}
			if first := b.interaction(t, gtsReply1); first.Status != models.StatusApproved {
				t.Fatalf("Delete touched the other reply: %s", first.Status)
			}
		},
		"Undo#3": func(t *testing.T) {
			if f := b.follower(t, alice); f != nil {
				t.Fatalf("follower still there after Undo{Follow}: %+v", f)
			}
		},
	}

	seen := map[string]int{}
	var posts []gtsRequest
	for _, r := range reqs {
		if r.Method != http.MethodPost {
			continue // WebFinger, actor, followers, outbox: the outgoing side's
		}
		posts = append(posts, r)
		typ, id := r.activity(t)
		seen[typ]++
		step := typ
		if typ == "Create" || typ == "Undo" {
			step = typ + "#" + string(rune('0'+seen[typ]))
		}
		t.Run(step, func(t *testing.T) {
			b.Fed.SetClock(func() time.Time { return r.date(t) })
			rec := b.do(r.httpRequest(gtsHost))
			if rec.Code != http.StatusAccepted {
				t.Fatalf("%s %s: status %d: %s", typ, id, rec.Code, rec.Body)
			}
			if _, err := b.Store.InboxItemByActivityID(context.Background(), id); err != nil {
				t.Fatalf("not stored: %v", err)
			}
			drainInbox(t, b.Fed)
			it, _ := b.Store.InboxItemByActivityID(context.Background(), id)
			if it.ProcessedAt == nil || it.Error != "" {
				t.Fatalf("not processed cleanly: processed=%v error=%q", it.ProcessedAt, it.Error)
			}
			check := checks[step]
			if check == nil {
				t.Fatalf("no check for %s", step)
			}
			check(t)
		})
	}
	if len(posts) != 11 {
		t.Fatalf("%d POSTs, want 11", len(posts))
	}

	t.Run("public page", func(t *testing.T) {
		b.Now = func() time.Time { return reqs[len(reqs)-1].date(t) }
		rec := b.get(b.article.Permalink())
		if rec.Code != http.StatusOK {
			t.Fatalf("article page: %d", rec.Code)
		}
		body := rec.Body.String()
		if !strings.Contains(body, "An edited view of the exchange.") {
			t.Error("the approved reply is not on the article page")
		}
		for _, hidden := range []string{"private aside", "follow-up to my own point", "alert(1)</script>", "<script>alert"} {
			if strings.Contains(body, hidden) {
				t.Errorf("article page shows %q", hidden)
			}
		}
	})

	t.Run("replays", func(t *testing.T) {
		before := b.state(t)
		for _, r := range posts {
			b.Fed.SetClock(func() time.Time { return r.date(t) })
			if rec := b.do(r.httpRequest(gtsHost)); rec.Code != http.StatusAccepted {
				t.Fatalf("replay: status %d: %s", rec.Code, rec.Body)
			}
		}
		drainInbox(t, b.Fed)
		if after := b.state(t); after != before {
			t.Fatalf("replays changed the state: %+v → %+v", before, after)
		}
	})
}
