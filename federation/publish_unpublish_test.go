package federation

import (
	"context"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// resave saves art again with another status and date, as the editor does.
func (e *outEnv) resave(art *models.Article, status string, at time.Time) *models.Article {
	e.t.Helper()
	a, err := e.store.SaveArticle(context.Background(), art.ID, models.ArticleInput{
		Title: art.Title, Slug: art.Slug, HTML: art.HTML, Status: status, PublishedAt: &at, AuthorID: art.AuthorID, Language: art.Language,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// announcedArticle is an article by alice, published an hour ago and
// announced to her one follower.
func (e *outEnv) announcedArticle(slug string) *models.Article {
	e.t.Helper()
	alice := e.author("alice")
	e.follower("alice", "https://a.example/users/bob", "https://a.example/users/bob/inbox", "https://a.example/inbox")
	art := e.article(alice, slug, time.Now().UTC().Add(-time.Hour))
	if err := e.svc.ArticleSaved(context.Background(), art.ID); err != nil {
		e.t.Fatal(err)
	}
	return art
}

// activitiesGot lists "Type id" of what a path of p got, in order.
func activitiesGot(p *fakePeer, path string) []string {
	var out []string
	for _, r := range p.bodies(path) {
		id, _ := r.Body["id"].(string)
		out = append(out, r.Body["type"].(string)+" "+id)
	}
	return out
}

func TestUnpublishRetractsAndRepublishAnnouncesAgain(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, store *models.Store) {
		e := newOutEnv(t, store)
		ctx := context.Background()
		alice := e.author("alice")
		pa, pb := newFakePeer(t, store), newFakePeer(t, store)
		// A follows alice (gets the Create), B only the blog (gets the Announce).
		e.follower("alice", "https://a.example/users/bob", pa.inbox("/users/bob/inbox"), pa.inbox("/inbox"))
		e.follower("blog", "https://b.example/users/cy", pb.inbox("/users/cy/inbox"), "")
		published := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		art := e.article(alice, "second-thoughts", published)
		object := testBase + "/articles/" + itoa(art.ID)
		deliver := func(what string, wantA, wantB int) {
			t.Helper()
			stop := startDeliveries(e.svc)
			defer stop()
			eventually(t, 10*time.Second, what, func() bool { return pa.count("/inbox") == wantA && pb.count("/users/cy/inbox") == wantB })
		}

		if err := e.svc.ArticleSaved(ctx, art.ID); err != nil {
			t.Fatal(err)
		}
		deliver("the first Create and Announce", 1, 1)

		// Back to draft: both servers get the author's Delete, once however
		// many processes hear of it.
		art = e.resave(art, models.StatusDraft, published)
		for _, svc := range []*Service{e.svc, e.newService("other"), e.svc} {
			if err := svc.ArticleSaved(ctx, art.ID); err != nil {
				t.Fatal(err)
			}
		}
		if a, _ := store.ArticleByID(ctx, art.ID); a.FederatedAt != nil {
			t.Error("an unpublished article is still marked federated")
		}
		deliver("the Delete", 2, 2)
		for _, got := range []peerGot{pa.bodies("/inbox")[1], pb.bodies("/users/cy/inbox")[1]} {
			if got.Body["type"] != "Delete" || got.KeyID != testBase+"/users/alice#main-key" ||
				dig(got.Body, "object", "id") != object || dig(got.Body, "object", "type") != "Tombstone" {
				t.Errorf("retraction = %v signed by %s", got.Body, got.KeyID)
			}
		}

		// Published again with the same date: a new Create and Announce,
		// under new ids (an id seen before is a duplicate to everyone).
		art = e.resave(art, models.StatusPublished, published)
		if err := e.svc.ArticleSaved(ctx, art.ID); err != nil {
			t.Fatal(err)
		}
		deliver("the second Create and Announce", 3, 3)
		a, b := activitiesGot(pa, "/inbox"), activitiesGot(pb, "/users/cy/inbox")
		if a[2][:7] != "Create " || b[2][:9] != "Announce " || a[2] == a[0] || b[2] == b[0] {
			t.Errorf("server A got %v\nserver B got %v\nwant a Create and an Announce with new ids", a, b)
		}
		if dig(pa.bodies("/inbox")[2].Body, "object", "id") != object || pb.bodies("/users/cy/inbox")[2].Body["object"] != object {
			t.Error("the article came back under another object id")
		}
		// The next edit is an ordinary Update.
		art = e.resave(art, models.StatusPublished, published)
		if err := e.svc.ArticleSaved(ctx, art.ID); err != nil {
			t.Fatal(err)
		}
		deliver("the Update", 4, 4)
		if got := pa.bodies("/inbox")[3].Body["type"]; got != "Update" {
			t.Errorf("an edit after publishing again sent %v", got)
		}
	})
}

func TestUnpublishCancelsWaitingDeliveries(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, store *models.Store) {
		e := newOutEnv(t, store)
		ctx := context.Background()
		alice := e.author("alice")
		e.follower("alice", "https://a.example/users/bob", "https://a.example/users/bob/inbox", "https://a.example/inbox")
		e.follower("blog", "https://b.example/users/cy", "https://b.example/users/cy/inbox", "")
		published := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		art := e.article(alice, "hasty", published)
		if err := e.svc.ArticleSaved(ctx, art.ID); err != nil {
			t.Fatal(err)
		}
		// The author's answer to a comment on it is queued too.
		reply := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceLocal, Status: models.StatusApproved, LocalAuthorID: &alice.ID, Content: "<p>Thanks</p>"}
		if _, err := store.CreateInteraction(ctx, reply); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ReplySaved(ctx, reply.ID); err != nil {
			t.Fatal(err)
		}

		count := func(kind, status string, reply bool) int {
			n := 0
			for _, d := range e.rows() {
				if d.Kind == kind && d.Status == status && (d.InteractionID != nil) == reply {
					n++
				}
			}
			return n
		}
		replyRows := count("Create", models.DeliveryPending, true)
		if replyRows == 0 {
			t.Fatal("the reply was not queued")
		}

		// Rescheduled into the future before any worker ran.
		art = e.resave(art, models.StatusPublished, time.Now().UTC().Add(time.Hour))
		if err := e.svc.ArticleSaved(ctx, art.ID); err != nil {
			t.Fatal(err)
		}
		checks := []struct {
			what          string
			kind, status  string
			reply         bool
			want          int
			wantLastError string
		}{
			{"Create cancelled", "Create", models.DeliveryFailed, false, 1, "superseded by unpublishing"},
			{"Announce cancelled", "Announce", models.DeliveryFailed, false, 1, "superseded by unpublishing"},
			{"Delete to both inboxes", "Delete", models.DeliveryPending, false, 2, ""},
			{"the reply's Create cancelled", "Create", models.DeliveryFailed, true, replyRows, ""},
			{"the reply retracted with the article", "Delete", models.DeliveryPending, true, replyRows, ""},
		}
		for _, c := range checks {
			if got := count(c.kind, c.status, c.reply); got != c.want {
				t.Errorf("%s: %d rows, want %d", c.what, got, c.want)
			}
			for _, d := range e.rows() {
				if c.wantLastError != "" && d.Kind == c.kind && d.InteractionID == nil && d.LastError != c.wantLastError {
					t.Errorf("%s: last error %q", c.what, d.LastError)
				}
			}
		}

		// Back to the past before the Delete went out: it is cancelled, and
		// the article announced again.
		art = e.resave(art, models.StatusPublished, published)
		if err := e.svc.ArticleSaved(ctx, art.ID); err != nil {
			t.Fatal(err)
		}
		if got := count("Delete", models.DeliveryFailed, false); got != 2 {
			t.Errorf("%d Delete rows cancelled, want 2", got)
		}
		if got := count("Create", models.DeliveryPending, false); got != 1 {
			t.Errorf("%d new Create rows, want 1", got)
		}
		a, err := store.ArticleByID(ctx, art.ID)
		if err != nil || a.FederatedAt == nil {
			t.Fatalf("not marked federated again: %v", err)
		}
	})
}

func TestRescheduledArticleAnnouncedWhenDue(t *testing.T) {
	e := newOutEnv(t, nil)
	ctx := context.Background()
	art := e.announcedArticle("moved")
	art = e.resave(art, models.StatusPublished, time.Now().UTC().Add(300*time.Millisecond))
	if err := e.svc.ArticleSaved(ctx, art.ID); err != nil {
		t.Fatal(err)
	}
	if got := rowsByKind(e.rows()); len(got["Delete"]) != 1 {
		t.Fatalf("rescheduling queued %v, want a Delete", got)
	}
	time.Sleep(400 * time.Millisecond)
	e.svc.schedulerTick(ctx)
	creates := map[string]bool{}
	for _, d := range e.rows() {
		if d.Kind == "Create" {
			creates[d.ActivityID] = true
		}
	}
	if len(creates) != 2 {
		t.Fatalf("Create ids %v, want the first and one for the new date", creates)
	}
}

// TestSchedulerRetractsWhatAStoppedProcessLeft: an article saved as a draft
// by a process that stopped before queueing its Delete is retracted by the
// scheduler, once.
func TestSchedulerRetractsWhatAStoppedProcessLeft(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, store *models.Store) {
		e := newOutEnv(t, store)
		ctx := context.Background()
		art := e.announcedArticle("oops")
		e.resave(art, models.StatusDraft, time.Now().UTC()) // and the process stops here
		if got := rowsByKind(e.rows()); len(got["Delete"]) != 0 {
			t.Fatalf("Delete queued without ArticleSaved: %v", got)
		}
		e.svc.schedulerTick(ctx)
		e.svc.schedulerTick(ctx)
		if got := rowsByKind(e.rows()); len(got["Delete"]) != 1 {
			t.Fatalf("after the scheduler: %v, want one Delete", got)
		}
		if due, err := store.DueForRetraction(ctx, time.Now().UTC()); err != nil || len(due) != 0 {
			t.Fatalf("still due: %d %v", len(due), err)
		}
	})
}
