package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"fedpress/models"
)

// TestArticleRetractionTakesTheAnswers: deleting or unpublishing an article
// sends a Delete of each of the author's federated answers on it, to the
// inboxes its Create went to, and the answer's id answers 410 with a
// Tombstone afterwards. An answer that never went out gets no Delete.
func TestArticleRetractionTakesTheAnswers(t *testing.T) {
	cases := []struct {
		name    string
		retract func(f *replyFixture) int // the HTTP status of the admin action, or 0
	}{
		{"delete", func(f *replyFixture) int {
			return f.ad.post("/admin/articles/"+idStr(f.art.ID)+"/delete", url.Values{}).Code
		}},
		{"unpublish", func(f *replyFixture) int {
			ctx := context.Background()
			a := f.art
			if _, err := f.ts.Store.SaveArticle(ctx, a.ID, models.ArticleInput{Title: a.Title, Slug: a.Slug, Markdown: a.Markdown, HTML: a.HTML,
				Status: models.StatusDraft, PublishedAt: a.PublishedAt, AuthorID: a.AuthorID}); err != nil {
				f.ts.t.Fatal(err)
			}
			if err := f.ts.Fed.ArticleSaved(ctx, a.ID); err != nil {
				f.ts.t.Fatal(err)
			}
			return 0
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newReplyFixture(t)
			ctx := context.Background()
			f.ts.remoteFollower("alice", "https://other.example/users/fan", "https://other.example/users/fan/inbox", "https://other.example/inbox")
			if err := f.ts.Fed.ArticleSaved(ctx, f.art.ID); err != nil {
				t.Fatal(err)
			}
			if rec := f.ad.post("/admin/comments/"+idStr(f.fedi.ID)+"/reply", url.Values{"content": {"Thank you."}}); rec.Code != http.StatusSeeOther {
				t.Fatalf("reply: %d %s", rec.Code, rec.Body)
			}
			answers := f.repliesTo(t, f.fedi.ID)
			if len(answers) != 1 {
				t.Fatalf("%d answers", len(answers))
			}
			answer := answers[0]
			// An answer to the visitor is never federated (no fediverse
			// author to tell), so it needs no Delete.
			if rec := f.ad.post("/admin/comments/"+idStr(f.visitor.ID)+"/reply", url.Values{"content": {"Hi Vera."}}); rec.Code != http.StatusSeeOther {
				t.Fatalf("reply to the visitor: %d %s", rec.Code, rec.Body)
			}
			quiet := f.repliesTo(t, f.visitor.ID)
			if len(quiet) != 1 {
				t.Fatalf("%d answers to the visitor", len(quiet))
			}
			inboxesOf := func(kind string, id uint) []string {
				var out []string
				for _, d := range f.deliveries(t) {
					if d.Kind == kind && d.InteractionID != nil && *d.InteractionID == id {
						out = append(out, d.Inbox)
					}
				}
				slices.Sort(out)
				return out
			}
			created := inboxesOf("Create", answer.ID)
			if len(created) == 0 {
				t.Fatal("the answer was not federated")
			}
			if rec := f.ts.as2("/comments/" + idStr(answer.ID)); rec.Code != http.StatusOK {
				t.Fatalf("the answer before: %d", rec.Code)
			}
			quietSent, _ := f.ts.Store.HasDeliveries(ctx, quiet[0].ID)

			if code := tc.retract(f); code != 0 && code != http.StatusSeeOther {
				t.Fatalf("retract: %d", code)
			}

			if got := inboxesOf("Delete", answer.ID); !slices.Equal(got, created) {
				t.Errorf("Delete of the answer to %v, want the Create's inboxes %v", got, created)
			}
			for _, d := range f.deliveries(t) {
				if d.Kind != "Delete" || d.InteractionID == nil || *d.InteractionID != answer.ID {
					continue
				}
				full, err := f.ts.Store.DeliveryByID(ctx, d.ID)
				if err != nil {
					t.Fatal(err)
				}
				var body map[string]any
				if err := json.Unmarshal([]byte(full.Body), &body); err != nil {
					t.Fatal(err)
				}
				if body["type"] != "Delete" || body["actor"] != "http://blog.test/users/alice" ||
					field(body, "object", "id") != "http://blog.test/comments/"+idStr(answer.ID) || field(body, "object", "type") != "Tombstone" {
					t.Errorf("Delete body %v", body)
				}
				break
			}
			if !quietSent {
				if got := inboxesOf("Delete", quiet[0].ID); len(got) != 0 {
					t.Errorf("a Delete of an answer that never went out: %v", got)
				}
			}
			rec := f.ts.as2("/comments/" + idStr(answer.ID))
			if rec.Code != http.StatusGone {
				t.Fatalf("the answer after: %d, want 410", rec.Code)
			}
			if m := jsonBody(t, rec); m["type"] != "Tombstone" || m["formerType"] != "Note" || m["id"] != "http://blog.test/comments/"+idStr(answer.ID) {
				t.Errorf("tombstone %v", m)
			}
			if rec := f.ts.get("/comments/" + idStr(answer.ID)); rec.Code != http.StatusGone {
				t.Errorf("the answer for a browser: %d, want 410", rec.Code)
			}
		})
	}
}

// TestRetractionWithoutAnnouncement: an article deleted before it was ever
// announced still takes back the answers that went out.
func TestRetractionWithoutAnnouncement(t *testing.T) {
	f := newReplyFixture(t)
	if rec := f.ad.post("/admin/comments/"+idStr(f.fedi.ID)+"/reply", url.Values{"content": {"Thanks."}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("reply: %d", rec.Code)
	}
	answer := f.repliesTo(t, f.fedi.ID)[0]
	if rec := f.ad.post("/admin/articles/"+idStr(f.art.ID)+"/delete", url.Values{}); rec.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d", rec.Code)
	}
	n := 0
	for _, d := range f.deliveries(t) {
		if d.Kind == "Delete" && d.InteractionID != nil && *d.InteractionID == answer.ID && d.Inbox == "https://social.example/users/bob/inbox" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d Delete of the answer to its mentioned author, want 1", n)
	}
}
