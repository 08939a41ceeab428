package federation

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// rowsByKind groups queued inboxes by activity kind.
func rowsByKind(rows []models.Delivery) map[string][]string {
	out := map[string][]string{}
	for _, d := range rows {
		out[d.Kind] = append(out[d.Kind], d.Inbox)
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

func sameStrings(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

func TestArticleSavedFanOut(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, store *models.Store) {
		e := newOutEnv(t, store)
		ctx := context.Background()
		alice := e.author("alice")
		pa, pb, pc := newFakePeer(t, store), newFakePeer(t, store), newFakePeer(t, store)
		// Server A: one shared inbox for an author follower, a blog-only
		// follower and a follower of both.
		e.follower("alice", "https://a.example/users/bob", pa.inbox("/users/bob/inbox"), pa.inbox("/inbox"))
		e.follower("blog", "https://a.example/users/carol", pa.inbox("/users/carol/inbox"), pa.inbox("/inbox"))
		e.follower("alice", "https://a.example/users/dave", pa.inbox("/users/dave/inbox"), pa.inbox("/inbox"))
		e.follower("blog", "https://a.example/users/dave", pa.inbox("/users/dave/inbox"), pa.inbox("/inbox"))
		// Server B: only a follower of both.
		e.follower("alice", "https://b.example/users/erin", pb.inbox("/users/erin/inbox"), pb.inbox("/inbox"))
		e.follower("blog", "https://b.example/users/erin", pb.inbox("/users/erin/inbox"), pb.inbox("/inbox"))
		// Server C: no shared inbox.
		e.follower("blog", "https://c.example/users/frank", pc.inbox("/users/frank/inbox"), "")
		e.follower("alice", "https://c.example/users/gina", pc.inbox("/users/gina/inbox"), "")
		// A pending follow gets nothing.
		pending := &models.RemoteActor{URI: "https://d.example/users/hal", Inbox: "https://d.example/users/hal/inbox"}
		if err := store.UpsertRemoteActor(ctx, pending); err != nil {
			t.Fatal(err)
		}
		if _, _, err := store.UpsertFollower(ctx, "alice", pending.ID, "f", models.FollowPending); err != nil {
			t.Fatal(err)
		}

		art := e.article(alice, "hello", time.Now().Add(-time.Minute), "news")
		if err := e.svc.ArticleSaved(ctx, art.ID); err != nil {
			t.Fatal(err)
		}
		got := rowsByKind(e.rows())
		wantCreate := []string{pa.inbox("/inbox"), pb.inbox("/inbox"), pc.inbox("/users/gina/inbox")}
		wantAnnounce := []string{pa.inbox("/inbox"), pc.inbox("/users/frank/inbox")}
		if !sameStrings(got["Create"], wantCreate) || !sameStrings(got["Announce"], wantAnnounce) || len(got) != 2 {
			t.Fatalf("queued %v\nwant Create %v\nand Announce %v", got, wantCreate, wantAnnounce)
		}
		// Saving again (another process, a retry) queues no second Create.
		if err := e.newService("other").ArticleSaved(ctx, art.ID); err != nil {
			t.Fatal(err)
		}
		if got := rowsByKind(e.rows()); len(got["Create"]) != 3 || len(got["Update"]) != 4 {
			t.Fatalf("after a second save: %v", got)
		}
		// The same save event again: the same Update id, no new rows.
		if err := e.svc.ArticleSaved(ctx, art.ID); err != nil {
			t.Fatal(err)
		}
		if n := len(e.rows()); n != 9 {
			t.Fatalf("re-running the update fan-out queued more rows: %d", n)
		}

		stop := startDeliveries(e.svc)
		defer stop()
		eventually(t, 10*time.Second, "every delivery", func() bool { return pa.total() == 3 && pb.total() == 2 && pc.total() == 4 })
		stop()
		// Erin follows both: one Create (and one Update), no Announce.
		var kinds []string
		for _, r := range pb.bodies("/inbox") {
			kinds = append(kinds, r.Body["type"].(string))
		}
		sort.Strings(kinds)
		if strings.Join(kinds, ",") != "Create,Update" {
			t.Errorf("server B (follower of both) got %v", kinds)
		}
		for _, r := range pa.bodies("/inbox") {
			switch r.Body["type"] {
			case "Create":
				if r.KeyID != testBase+"/users/alice#main-key" || dig(r.Body, "object", "type") != "Note" {
					t.Errorf("Create signed by %s, object %v", r.KeyID, dig(r.Body, "object", "type"))
				}
				cc, _ := r.Body["cc"].([]any)
				if len(cc) != 2 {
					t.Errorf("Create cc = %v, want both follower collections", cc)
				}
				if dig(r.Body, "object", "updated") != nil {
					t.Error("a new article is marked edited")
				}
			case "Update":
				if dig(r.Body, "object", "updated") == nil {
					t.Error("Update without object.updated: Mastodon ignores it")
				}
			case "Announce":
				if r.KeyID != testBase+"/users/blog#main-key" || r.Body["object"] != testBase+"/articles/"+itoa(art.ID) {
					t.Errorf("Announce signed by %s, object %v", r.KeyID, r.Body["object"])
				}
			}
		}
		for _, d := range e.rows() {
			if d.Status != models.DeliveryDelivered || d.Attempts != 1 {
				t.Errorf("row %s → %s: %s after %d attempts", d.Kind, d.Inbox, d.Status, d.Attempts)
			}
		}
	})
}

func TestArticleSavedSkips(t *testing.T) {
	e := newOutEnv(t, nil)
	ctx := context.Background()
	alice := e.author("alice")
	e.follower("alice", "https://a.example/users/bob", "https://a.example/users/bob/inbox", "https://a.example/inbox")
	now := time.Now().UTC()
	draft, err := e.store.SaveArticle(ctx, 0, models.ArticleInput{Title: "d", Slug: "d", Status: models.StatusDraft, AuthorID: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	scheduled := e.article(alice, "s", now.Add(time.Hour))
	past := now.Add(-time.Hour)
	imported, err := e.store.SaveArticle(ctx, 0, models.ArticleInput{Title: "i", Slug: "i", Status: models.StatusPublished, PublishedAt: &past, AuthorID: alice.ID, Imported: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint{draft.ID, scheduled.ID, imported.ID} {
		if err := e.svc.ArticleSaved(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ArticleDeleted(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if rows := e.rows(); len(rows) != 0 {
		t.Fatalf("drafts, scheduled and imported articles queued %d rows", len(rows))
	}
	if a, _ := e.store.ArticleByID(ctx, scheduled.ID); a.FederatedAt != nil {
		t.Fatal("a scheduled article was marked federated")
	}
}

func TestSchedulerPublishesDueArticles(t *testing.T) {
	e := newOutEnv(t, nil)
	ctx := context.Background()
	alice := e.author("alice")
	e.follower("alice", "https://a.example/users/bob", "https://a.example/users/bob/inbox", "https://a.example/inbox")
	art := e.article(alice, "later", time.Now().UTC().Add(400*time.Millisecond))
	other := e.newService("second")
	if !e.svc.schedulerTick(ctx) {
		t.Fatal("first scheduler did not get the lease")
	}
	if other.schedulerTick(ctx) {
		t.Fatal("two schedulers hold the lease at once")
	}
	if n := len(e.rows()); n != 0 {
		t.Fatalf("queued %d rows before the article's time", n)
	}
	time.Sleep(500 * time.Millisecond)
	e.svc.schedulerTick(ctx)
	got := rowsByKind(e.rows())
	if len(got["Create"]) != 1 {
		t.Fatalf("after its time: %v", got)
	}
	if a, _ := e.store.ArticleByID(ctx, art.ID); a.FederatedAt == nil {
		t.Fatal("not marked federated")
	}
	// Released on shutdown: the other process takes over at once.
	if err := e.store.ReleaseLease(ctx, schedulerLease, e.svc.holder); err != nil {
		t.Fatal(err)
	}
	if !other.schedulerTick(ctx) {
		t.Fatal("lease not taken over after release")
	}
}

func TestArticleDeletedCancelsAndDeletes(t *testing.T) {
	e := newOutEnv(t, nil)
	ctx := context.Background()
	alice := e.author("alice")
	e.follower("alice", "https://a.example/users/bob", "https://a.example/users/bob/inbox", "https://a.example/inbox")
	e.follower("blog", "https://b.example/users/cy", "https://b.example/users/cy/inbox", "")
	art := e.article(alice, "oops", time.Now().Add(-time.Minute))
	if err := e.svc.ArticleSaved(ctx, art.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.store.DeleteArticle(ctx, art.ID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ArticleDeleted(ctx, art.ID); err != nil {
		t.Fatal(err)
	}
	for _, d := range e.rows() {
		switch d.Kind {
		case "Create", "Announce":
			if d.Status != models.DeliveryFailed || d.LastError != "superseded by Delete" {
				t.Errorf("%s to %s still %s", d.Kind, d.Inbox, d.Status)
			}
		case "Delete":
			if d.Status != models.DeliveryPending || d.SignAs != "alice" {
				t.Errorf("Delete row %+v", d)
			}
		}
	}
	if got := rowsByKind(e.rows()); len(got["Delete"]) != 2 {
		t.Fatalf("Delete queued to %v", got["Delete"])
	}
}

func TestRepliesAndFollowAnswers(t *testing.T) {
	e := newOutEnv(t, nil)
	ctx := context.Background()
	alice := e.author("alice")
	p := newFakePeer(t, e.store)
	e.follower("alice", "https://f.example/users/fan", p.inbox("/users/fan/inbox"), p.inbox("/inbox"))
	// The commenter does not follow alice: their personal inbox is added.
	bob := &models.RemoteActor{URI: "https://m.example/users/bob", Username: "bob", Host: "m.example", Inbox: p.inbox("/users/bob/inbox"), SharedInbox: p.inbox("/bob-shared")}
	if err := e.store.UpsertRemoteActor(ctx, bob); err != nil {
		t.Fatal(err)
	}
	art := e.article(alice, "post", time.Now().Add(-time.Hour))
	uri := "https://m.example/statuses/9"
	parent := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceActivityPub, Status: models.StatusApproved, RemoteActorID: &bob.ID, ObjectURI: &uri}
	if _, err := e.store.CreateInteraction(ctx, parent); err != nil {
		t.Fatal(err)
	}
	reply := &models.Interaction{ArticleID: art.ID, ParentID: &parent.ID, Kind: models.KindComment, Source: models.SourceLocal, Status: models.StatusApproved, LocalAuthorID: &alice.ID, Content: "<p>Hi</p>"}
	if _, err := e.store.CreateInteraction(ctx, reply); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ReplySaved(ctx, reply.ID); err != nil {
		t.Fatal(err)
	}
	edited := time.Now().UTC()
	reply.EditedAt = &edited
	if err := e.store.SaveInteraction(ctx, reply); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ReplySaved(ctx, reply.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetInteractionStatus(ctx, reply.ID, models.StatusRemoved); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ReplyDeleted(ctx, reply.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AcceptFollow(ctx, "alice", "https://m.example/follows/1", bob.URI, bob.Inbox, false); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AcceptFollow(ctx, "alice", "https://m.example/follows/1", bob.URI, bob.Inbox, false); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AcceptFollow(ctx, "blog", "https://m.example/follows/2", bob.URI, bob.Inbox, true); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AcceptFollow(ctx, "nobody", "x", bob.URI, bob.Inbox, false); !models.ErrIsNotFound(err) {
		t.Errorf("accept for an unknown local actor: %v", err)
	}
	stop := startDeliveries(e.svc)
	defer stop()
	eventually(t, 10*time.Second, "replies and answers delivered", func() bool {
		return p.count("/inbox") == 3 && p.count("/users/bob/inbox") == 5
	})
	stop()
	var types []string
	for _, r := range p.bodies("/users/bob/inbox") {
		types = append(types, r.Body["type"].(string))
		if r.Body["type"] == "Reject" && r.KeyID != testBase+"/users/blog#main-key" {
			t.Errorf("Reject of a blog follow signed by %s", r.KeyID)
		}
	}
	sort.Strings(types)
	if strings.Join(types, ",") != "Accept,Create,Delete,Reject,Update" {
		t.Errorf("bob got %v (the same Follow answered twice must be one Accept)", types)
	}
	for _, r := range p.bodies("/inbox") {
		if r.Body["type"] == "Create" && dig(r.Body, "object", "inReplyTo") != uri {
			t.Errorf("reply inReplyTo = %v", dig(r.Body, "object", "inReplyTo"))
		}
	}
}

func TestProfileUpdated(t *testing.T) {
	e := newOutEnv(t, nil)
	ctx := context.Background()
	alice := e.author("alice")
	e.follower("alice", "https://a.example/users/bob", "https://a.example/users/bob/inbox", "https://a.example/inbox")
	e.follower("blog", "https://b.example/users/cy", "https://b.example/users/cy/inbox", "")
	if err := e.svc.ProfileUpdated(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ProfileUpdated(ctx, "blog"); err != nil {
		t.Fatal(err)
	}
	rows := e.rows()
	if len(rows) != 3 {
		t.Fatalf("rows = %d, want 2 for alice (her followers and the blog's) and 1 for the blog", len(rows))
	}
	for _, d := range rows {
		if !strings.Contains(d.Body, `"type":"Person"`) || d.Kind != "Update" {
			t.Errorf("row %s %s: %s", d.Kind, d.ActivityID, d.Body)
		}
		want := "alice"
		if strings.Contains(d.ActivityID, "/update-profile/0/") {
			want = ""
		}
		if d.SignAs != want {
			t.Errorf("%s signed as %q", d.ActivityID, d.SignAs)
		}
	}
	_ = alice
}
