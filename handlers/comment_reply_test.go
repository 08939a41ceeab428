package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"fedpress/models"
)

// replyFixture: an article with a fediverse comment and a visitor comment.
type replyFixture struct {
	ts       *testServer
	ad       *admin
	art      *models.Article
	fedi     *models.Interaction
	visitor  *models.Interaction
	actorURI string
}

func newReplyFixture(t *testing.T) *replyFixture {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	ctx := context.Background()
	art := ts.article(ad.author, "storm", "Storm hits the coast", "Rain.", time.Now().Add(-time.Hour))
	ra := &models.RemoteActor{URI: "https://social.example/users/bob", Username: "bob", Host: "social.example",
		Name: "Bob", Inbox: "https://social.example/users/bob/inbox", SharedInbox: "https://social.example/inbox"}
	if err := ts.Store.UpsertRemoteActor(ctx, ra); err != nil {
		t.Fatal(err)
	}
	noteID := "https://social.example/users/bob/statuses/1"
	fedi := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceActivityPub,
		Status: models.StatusApproved, RemoteActorID: &ra.ID, ObjectURI: &noteID, Content: "<p>Stay safe!</p>", Visibility: "public"}
	visitor := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceWeb,
		Status: models.StatusApproved, AuthorName: "Vera", AuthorEmail: "v@example.org", Content: "<p>Thanks</p>"}
	for _, in := range []*models.Interaction{fedi, visitor} {
		if _, err := ts.Store.CreateInteraction(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	return &replyFixture{ts: ts, ad: ad, art: art, fedi: fedi, visitor: visitor, actorURI: ra.URI}
}

// repliesTo returns the interactions answering parent.
func (f *replyFixture) repliesTo(t *testing.T, parent uint) []models.Interaction {
	t.Helper()
	all, err := f.ts.Store.ListArticleInteractions(context.Background(), f.art.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []models.Interaction
	for _, in := range all.Comments {
		if in.ParentID != nil && *in.ParentID == parent {
			out = append(out, in)
		}
	}
	return out
}

func (f *replyFixture) deliveries(t *testing.T) []models.Delivery {
	t.Helper()
	ds, err := f.ts.Store.DeliveriesOfArticle(context.Background(), f.art.ID)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestCommentReplyToFediverseCommentIsFederated(t *testing.T) {
	f := newReplyFixture(t)
	rec := f.ad.post("/admin/comments/"+idStr(f.fedi.ID)+"/reply", url.Values{"content": {"Thank you, *we are*."}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("reply: %d %s", rec.Code, rec.Body)
	}
	replies := f.repliesTo(t, f.fedi.ID)
	if len(replies) != 1 || replies[0].Source != models.SourceLocal || !strings.Contains(replies[0].Content, "<em>we are</em>") {
		t.Fatalf("reply not stored in the thread: %+v", replies)
	}
	page := f.ts.get(f.art.Permalink()).Body.String()
	if !strings.Contains(page, "<em>we are</em>") {
		t.Fatal("the answer is not on the article page")
	}
	ds := f.deliveries(t)
	var create *models.Delivery
	for i := range ds {
		if ds[i].Kind == "Create" && ds[i].InteractionID != nil && *ds[i].InteractionID == replies[0].ID {
			create = &ds[i]
		}
	}
	if create == nil {
		t.Fatalf("no Create queued for the answer: %+v", ds)
	}
	if create.Inbox != "https://social.example/inbox" && create.Inbox != "https://social.example/users/bob/inbox" {
		t.Fatalf("delivered to %s, want the commenter's server", create.Inbox)
	}
	create, err := f.ts.Store.DeliveryByID(context.Background(), create.ID) // the list leaves bodies out
	if err != nil {
		t.Fatal(err)
	}
	var act map[string]any
	if err := json.Unmarshal([]byte(create.Body), &act); err != nil {
		t.Fatal(err)
	}
	note, _ := act["object"].(map[string]any)
	if note["inReplyTo"] != *f.fedi.ObjectURI || !strings.Contains(create.Body, f.actorURI) || !strings.Contains(create.Body, `"Mention"`) {
		t.Fatalf("note does not answer and mention the commenter: %s", create.Body)
	}

	// Editing sends an Update; deleting in moderation sends a Delete.
	rid := idStr(replies[0].ID)
	if rec := f.ad.post("/admin/comments/"+rid+"/edit", url.Values{"content": {"Edited answer"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", rec.Code, rec.Body)
	}
	if rec := f.ad.post("/admin/comments/"+rid+"/status", url.Values{"status": {models.StatusRemoved}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	kinds := map[string]int{}
	for _, d := range f.deliveries(t) {
		kinds[d.Kind]++
	}
	if kinds["Update"] == 0 || kinds["Delete"] == 0 {
		t.Fatalf("want Update and Delete queued, got %v", kinds)
	}
}

func TestCommentReplyToVisitorStaysLocal(t *testing.T) {
	f := newReplyFixture(t)
	if rec := f.ad.post("/admin/comments/"+idStr(f.visitor.ID)+"/reply", url.Values{"content": {"Glad you liked it"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("reply: %d %s", rec.Code, rec.Body)
	}
	if len(f.repliesTo(t, f.visitor.ID)) != 1 {
		t.Fatal("answer not stored")
	}
	if ds := f.deliveries(t); len(ds) != 0 {
		t.Fatalf("an answer to a visitor was federated: %+v", ds)
	}
}

func TestCommentReplyRejects(t *testing.T) {
	f := newReplyFixture(t)
	tests := []struct {
		name, path, content string
		status              int
	}{
		{"empty", "/admin/comments/" + idStr(f.fedi.ID) + "/reply", "  ", http.StatusBadRequest},
		{"too long", "/admin/comments/" + idStr(f.fedi.ID) + "/reply", strings.Repeat("x", maxReplyLength+1), http.StatusBadRequest},
		{"unknown comment", "/admin/comments/9999/reply", "hi", http.StatusNotFound},
		{"edit someone else's comment", "/admin/comments/" + idStr(f.fedi.ID) + "/edit", "hi", http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if rec := f.ad.post(tc.path, url.Values{"content": {tc.content}}); rec.Code != tc.status {
				t.Fatalf("%d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
		})
	}
	if n := len(f.repliesTo(t, f.fedi.ID)); n != 0 {
		t.Fatalf("%d replies stored by rejected requests", n)
	}
}
