package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"fedpress/models"
)

// gtsDMText is in the body of GoToSocial's captured direct message.
const gtsDMText = "private aside"

// receiveGTSDM delivers GoToSocial's captured direct message ("addressed
// only to the blog") and runs the inbox worker.
func receiveGTSDM(t *testing.T, ts *testServer) *models.Interaction {
	t.Helper()
	reqs := loadGTSRequests(t)
	dm := reqs[12]
	if _, id := dm.activity(t); !strings.HasPrefix(id, gtsDM) {
		t.Fatalf("request 12 is %s, not the direct message", id)
	}
	seedGTSAlice(t, ts.Store, dm.date(t))
	ts.Fed.SetClock(func() time.Time { return dm.date(t) })
	if rec := ts.do(dm.httpRequest(gtsHost)); rec.Code != http.StatusAccepted {
		t.Fatalf("direct message: %d %s", rec.Code, rec.Body)
	}
	drainInbox(t, ts.Fed)
	in, err := ts.Store.InteractionByObjectURI(context.Background(), gtsDM)
	if err != nil {
		t.Fatalf("direct message not stored: %v", err)
	}
	return in
}

// publicSurfaces lists what anyone can read: pages, feeds and the AS2
// documents and collections that could carry a comment.
func publicSurfaces(articleIDs ...uint) []struct{ path, accept string } {
	as2 := "application/activity+json"
	out := []struct{ path, accept string }{
		{"/", ""}, {"/feed.xml", ""}, {"/atom.xml", ""}, {"/comments/feed.xml", ""}, {"/@blog/", ""}, {"/@ann/", ""},
		{"/sitemap.xml", ""}, {"/users/blog/outbox", as2}, {"/users/ann/outbox", as2}, {"/users/blog/featured", as2},
	}
	for _, id := range articleIDs {
		a := "/articles/" + fedID(id)
		out = append(out, struct{ path, accept string }{a, as2})
		for _, coll := range []string{"replies", "context", "likes", "shares"} {
			out = append(out, struct{ path, accept string }{a + "/" + coll, as2}, struct{ path, accept string }{a + "/" + coll + "?page=1", as2})
		}
	}
	return out
}

// A direct message that answers nothing we have lands in Messages, and one
// that answers an article (the capture as it is) too; the author answers
// either privately: a Note to the sender alone, in reply to the message,
// queued for the sender's inbox, shown in the Messages thread, and neither
// the message nor the answer appears on any public page, feed or AS2
// collection.
func TestMessageAnswerIsPrivate(t *testing.T) {
	tests := []struct {
		name        string
		withArticle bool // the blog has article 2, which the message answers
	}{
		{"direct message about no article", false},
		{"private reply to an article", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			var ts *testServer
			var articles []uint
			if tt.withArticle {
				b := newGTSBlog(t)
				ts, articles = b.testServer, []uint{1, 2}
			} else {
				ts = newTestServerAt(t, "http://"+gtsHost)
				ann := ts.author("ann")
				a := ts.article(ann, "first", "First", "The first article.", time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC))
				articles = []uint{a.ID}
			}
			// Messages to the blog are read by editors and the owner.
			ad := ts.newAdmin("eve")
			if err := ts.Store.SetAuthorRole(ctx, ad.author.ID, models.RoleEditor); err != nil {
				t.Fatal(err)
			}
			dm := receiveGTSDM(t, ts)
			wantArticle := uint(0)
			if tt.withArticle {
				wantArticle = 2
			}
			if dm.Status != models.StatusPrivate || dm.Visibility != "direct" || dm.ArticleID != wantArticle || dm.RemoteActor == nil {
				t.Fatalf("message stored as %+v", dm)
			}
			if page := ad.get("/admin/messages/").Body.String(); !strings.Contains(page, gtsDMText) ||
				!strings.Contains(page, `action="/admin/messages/`+fedID(dm.ID)+`/reply"`) {
				t.Fatalf("message not in Messages with an answer form:\n%s", page)
			}

			rec := ad.post("/admin/messages/"+fedID(dm.ID)+"/reply", url.Values{"content": {"Thanks, *noted*."}})
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/messages/?msg=answered" {
				t.Fatalf("answer: %d %s %s", rec.Code, rec.Header().Get("Location"), rec.Body)
			}
			answers, err := ts.Store.ListPrivateMessages(ctx, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			var answer *models.Interaction
			for i := range answers {
				if answers[i].Source == models.SourceLocal {
					answer = &answers[i]
				}
			}
			if answer == nil || answer.ParentID == nil || *answer.ParentID != dm.ID || answer.ArticleID != dm.ArticleID ||
				answer.Status != models.StatusPrivate || answer.Visibility != "direct" || !strings.Contains(answer.Content, "<em>noted</em>") {
				t.Fatalf("answer stored as %+v", answer)
			}

			// Queued once, for alice's own inbox, to alice alone: from the blog,
			// which the message named (GoToSocial drops an answer from anyone
			// else), or from eve for a private reply on her blog's article.
			as := "eve"
			if !tt.withArticle {
				as = "blog"
			}
			if answer.LocalActor != as {
				t.Errorf("answer held as %q, want %q", answer.LocalActor, as)
			}
			ds, err := ts.Store.ListDeliveries(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 1 {
				t.Fatalf("%d deliveries queued, want 1: %+v", len(ds), ds)
			}
			d := ds[0]
			if d.Kind != "Create" || d.SignAs != as || d.Inbox != "http://localhost:8080/users/alice/inbox" ||
				d.InteractionID == nil || *d.InteractionID != answer.ID {
				t.Fatalf("delivery %s signed as %q to %s for %v", d.Kind, d.SignAs, d.Inbox, d.InteractionID)
			}
			var act map[string]any
			if err := json.Unmarshal([]byte(d.Body), &act); err != nil {
				t.Fatal(err)
			}
			note, _ := act["object"].(map[string]any)
			onlyAlice := func(v any) bool {
				l, ok := v.([]any)
				if !ok {
					return v == gtsAlice
				}
				return slices.Equal(l, []any{gtsAlice})
			}
			if act["actor"] != "http://"+gtsHost+"/users/"+as || !onlyAlice(act["to"]) || !onlyAlice(note["to"]) ||
				note["attributedTo"] != "http://"+gtsHost+"/users/"+as || note["inReplyTo"] != gtsDM || note["type"] != "Note" {
				t.Errorf("answer activity: %s", d.Body)
			}
			for _, doc := range []map[string]any{act, note} {
				if cc, _ := doc["cc"].([]any); doc["cc"] != nil && len(cc) != 0 {
					t.Errorf("answer has cc %v", doc["cc"])
				}
			}
			if strings.Contains(d.Body, "#Public") || strings.Contains(d.Body, "/followers") || strings.Contains(d.Body, "as:Public") {
				t.Errorf("answer addressed beyond the sender: %s", d.Body)
			}
			tag := note["tag"]
			if l, ok := tag.([]any); ok && len(l) == 1 {
				tag = l[0]
			}
			if m, _ := tag.(map[string]any); m["type"] != "Mention" || m["href"] != gtsAlice || m["name"] != "@alice@localhost:8080" {
				t.Errorf("answer tag = %v, want a Mention of alice", note["tag"])
			}

			// In the Messages thread, after the message.
			page := ad.get("/admin/messages/?msg=answered").Body.String()
			mustContain(t, page, "Answer sent privately.", "<em>noted</em>", `id="m`+fedID(answer.ID)+`"`)
			if i, j := strings.Index(page, gtsDMText), strings.Index(page, "<em>noted</em>"); i < 0 || j < i ||
				strings.Count(page, `class="moderation-item message-thread"`) != 1 {
				t.Errorf("answer not in the message's thread, after it:\n%s", page)
			}

			// Nowhere public: pages, feeds, collections, the objects' own ids.
			for _, p := range publicSurfaces(articles...) {
				rec := ts.get(p.path, "Accept", p.accept)
				body := rec.Body.String()
				if rec.Code >= 500 {
					t.Errorf("%s: %d", p.path, rec.Code)
				}
				for _, leak := range []string{gtsDMText, "noted", gtsDM, "/comments/" + fedID(dm.ID), "/comments/" + fedID(answer.ID)} {
					if strings.Contains(body, leak) {
						t.Errorf("%s shows %q", p.path, leak)
					}
				}
			}
			for _, id := range []uint{dm.ID, answer.ID} {
				for _, accept := range []string{"", "application/activity+json"} {
					if rec := ts.get("/comments/"+fedID(id), "Accept", accept); rec.Code != http.StatusNotFound {
						t.Errorf("/comments/%d (%q): %d, want 404", id, accept, rec.Code)
					}
				}
			}
			if rec := ts.get(strings.TrimPrefix(d.ActivityID, "http://"+gtsHost), "Accept", "application/activity+json"); rec.Code != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", d.ActivityID, rec.Code)
			}
		})
	}
}

// Only a private message from the fediverse is answered privately.
func TestMessageReplyRefusals(t *testing.T) {
	ts := newTestServerAt(t, "http://"+gtsHost)
	ad := ts.newAdmin("eve")
	dm := receiveGTSDM(t, ts)
	ctx := context.Background()
	art := ts.article(ad.author, "open", "Open", "Text.", time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC))
	uri := "http://localhost:8080/users/alice/statuses/public1"
	public := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceActivityPub, Status: models.StatusApproved,
		RemoteActorID: dm.RemoteActorID, ObjectURI: &uri, Content: "<p>public</p>", Visibility: "public"}
	visitor := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceWeb, Status: models.StatusPrivate,
		AuthorName: "Vera", Content: "<p>hi</p>"}
	for _, in := range []*models.Interaction{public, visitor} {
		if _, err := ts.Store.CreateInteraction(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, id, content string
		status            int
		body              string
	}{
		{"empty answer", fedID(dm.ID), "  ", http.StatusBadRequest, "the reply is empty"},
		{"too long", fedID(dm.ID), strings.Repeat("x", maxReplyLength+1), http.StatusBadRequest, "longer than"},
		{"a public comment", fedID(public.ID), "hello", http.StatusBadRequest, "Only private messages"},
		{"no fediverse sender", fedID(visitor.ID), "hello", http.StatusBadRequest, "Only private messages"},
		{"no such message", "9999", "hello", http.StatusNotFound, "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := ad.post("/admin/messages/"+tt.id+"/reply", url.Values{"content": {tt.content}})
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %.300s", rec.Code, tt.status, rec.Body)
			}
			mustContain(t, rec.Body.String(), tt.body)
		})
	}
	if ds, err := ts.Store.ListDeliveries(ctx, ""); err != nil || len(ds) != 0 {
		t.Fatalf("refused answers queued %d deliveries (%v)", len(ds), err)
	}
	all, err := ts.Store.ListPrivateMessages(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range all {
		if in.Source == models.SourceLocal {
			t.Fatalf("a refused answer was stored: %+v", in)
		}
	}
}
