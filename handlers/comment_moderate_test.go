package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"fedpress/models"
)

func TestCommentModerate(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	ctx := context.Background()
	a := ts.article(ad.author, "talk", "Talk", "text", time.Now().Add(-time.Hour))
	in := &models.Interaction{ArticleID: a.ID, Kind: models.KindComment, Source: models.SourceWeb, Status: models.StatusPending,
		AuthorName: "Bob Visitor", AuthorEmail: "bob@example.com", Content: "<p>Lovely words here</p>"}
	if _, err := ts.Store.CreateInteraction(ctx, in); err != nil {
		t.Fatal(err)
	}
	// What the article page and the store say readers see.
	shown := func() bool {
		list, err := ts.Store.ListArticleInteractions(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		inStore := len(list.Comments) == 1
		page := ts.get(a.Permalink())
		if page.Code != http.StatusOK {
			t.Fatalf("article page: %d", page.Code)
		}
		if onPage := strings.Contains(page.Body.String(), "Lovely words here"); onPage != inStore {
			t.Errorf("article page shows the comment: %v, store: %v", onPage, inStore)
		}
		return inStore
	}

	// Pending: in the moderation queue and the nav badge, not on the site.
	list := ad.get("/admin/comments/")
	mustContain(t, list.Body.String(), "Bob Visitor", "Lovely words here", "bob@example.com", `class="badge"`, ">Talk</a>",
		`value="approved"`, `value="spam"`, `value="deleted"`)
	if shown() {
		t.Fatal("pending comment shown")
	}

	steps := []struct {
		status string
		shown  bool
		tab    string
	}{
		{models.StatusApproved, true, "approved"},
		{models.StatusSpam, false, "spam"},
		{models.StatusPending, false, "pending"},
		{models.StatusApproved, true, "approved"},
		{models.StatusRemoved, false, "deleted"},
	}
	for _, st := range steps {
		rec := ad.post(fmt.Sprintf("/admin/comments/%d/status", in.ID), url.Values{"status": {st.status}, "return_to": {"/admin/comments/?status=pending"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/comments/?status=pending&msg=moderated" {
			t.Fatalf("%s: %d to %q", st.status, rec.Code, rec.Header().Get("Location"))
		}
		if got := shown(); got != st.shown {
			t.Errorf("after %s: shown %v, want %v", st.status, got, st.shown)
		}
		if tab := ad.get("/admin/comments/?status=" + st.tab); !strings.Contains(tab.Body.String(), "Lovely words here") {
			t.Errorf("after %s: not in the %s tab", st.status, st.tab)
		}
	}

	bad := []struct {
		name, path, status string
		want               int
	}{
		{"unknown status", fmt.Sprintf("/admin/comments/%d/status", in.ID), "published", http.StatusBadRequest},
		{"private is not a moderation status", fmt.Sprintf("/admin/comments/%d/status", in.ID), "private", http.StatusBadRequest},
		{"missing comment", "/admin/comments/9999/status", "approved", http.StatusNotFound},
	}
	for _, b := range bad {
		if rec := ad.post(b.path, url.Values{"status": {b.status}}); rec.Code != b.want {
			t.Errorf("%s: %d, want %d", b.name, rec.Code, b.want)
		}
	}
}

func TestCommentModeratePrivate(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	ctx := context.Background()
	a := ts.article(ad.author, "talk", "Talk", "text", time.Now().Add(-time.Hour))
	dm := &models.Interaction{ArticleID: a.ID, Kind: models.KindComment, Source: models.SourceActivityPub, Status: models.StatusPrivate,
		Visibility: "direct", Content: "<p>secret</p>"}
	followersOnly := &models.Interaction{ArticleID: a.ID, Kind: models.KindComment, Source: models.SourceActivityPub, Status: models.StatusPending,
		Visibility: "followers", Content: "<p>for followers</p>"}
	for _, in := range []*models.Interaction{dm, followersOnly} {
		if _, err := ts.Store.CreateInteraction(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range []*models.Interaction{dm, followersOnly} {
		rec := ad.post(fmt.Sprintf("/admin/comments/%d/status", in.ID), url.Values{"status": {models.StatusApproved}})
		if rec.Code != http.StatusForbidden {
			t.Errorf("approving a %s message: %d, want 403", in.Visibility, rec.Code)
		}
		got, _ := ts.Store.InteractionByID(ctx, in.ID)
		if got.Status == models.StatusApproved {
			t.Errorf("%s message was published", in.Visibility)
		}
	}
	if page := ad.get("/admin/comments/"); strings.Contains(page.Body.String(), "secret") {
		t.Error("a direct message is listed in comment moderation")
	}
	if page := ad.get("/admin/comments/"); strings.Contains(page.Body.String(), `value="approved"`) {
		t.Error("a followers-only reply is offered for approval")
	}
}
