package handlers

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"fedpress/models"
)

func validSettings() url.Values {
	return url.Values{
		"title": {"My Blog"}, "tagline": {"Notes"}, "language": {"pt-BR"}, "blog_username": {"notes"},
		"blog_name": {"My Blog"}, "blog_summary": {"All my notes."}, "posts_per_page": {"7"},
		"hold_visitor_comments": {"1"}, "fedi_moderation": {"first"}, "object_type": {"Note"},
		"manually_approves_followers": {"1"},
	}
}

func TestSettingsUpdate(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	ctx := context.Background()

	rec := ad.post("/admin/settings", validSettings())
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/settings/?msg=settings" {
		t.Fatalf("save: %d to %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	st, _ := ts.Store.GetSettings(ctx)
	if st.Title != "My Blog" || st.Language != "pt-BR" || st.BlogUsername != "notes" || st.PostsPerPage != 7 ||
		!st.HoldVisitorComments || st.FediModeration != "first" || st.ObjectType != "Note" ||
		!st.ManuallyApprovesFollowers || st.AuthorizedFetch {
		t.Errorf("saved %+v", st)
	}
	if page := ad.get("/admin/settings/?msg=settings"); page.Code != http.StatusOK {
		t.Errorf("settings page: %d", page.Code)
	} else {
		mustContain(t, page.Body.String(), "Settings saved.", `value="notes"`, `value="first" checked`, `value="Note" checked`)
	}

	// Link notifications: off when the box is unchecked, on when checked.
	if !st.SkipLinkNotifications {
		t.Errorf("unchecked notify_links saved as on")
	}
	on := validSettings()
	on.Set("notify_links", "1")
	if rec := ad.post("/admin/settings", on); rec.Code != http.StatusSeeOther {
		t.Fatalf("save with notify_links: %d", rec.Code)
	}
	if st, _ := ts.Store.GetSettings(ctx); st.SkipLinkNotifications {
		t.Errorf("checked notify_links saved as off")
	}
	mustContain(t, ad.get("/admin/settings/").Body.String(), `name="notify_links" value="1" checked`)

	refusals := []struct {
		name, key, value, body string
	}{
		{"no title", "title", "", "Give the blog a title"},
		{"bad language", "language", "english!", "language is a code"},
		{"zero per page", "posts_per_page", "0", "1 to 100"},
		{"bad moderation", "fedi_moderation", "none", "fediverse replies are moderated"},
		{"bad object type", "object_type", "Video", "appear in the fediverse"},
		{"author's username", "blog_username", "alice", "an author&#39;s username"},
		{"reserved username", "blog_username", "inbox", "reserved"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			f := validSettings()
			f.Set(tt.key, tt.value)
			rec := ad.post("/admin/settings", f)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", rec.Code)
			}
			mustContain(t, rec.Body.String(), tt.body)
		})
	}

	// The blog account keeps its username once people follow it.
	ra := &models.RemoteActor{URI: "https://remote.example/users/bob", Username: "bob", Host: "remote.example"}
	if err := ts.Store.UpsertRemoteActor(ctx, ra); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ts.Store.UpsertFollower(ctx, "notes", ra.ID, "https://remote.example/follows/1", models.FollowAccepted); err != nil {
		t.Fatal(err)
	}
	f := validSettings()
	f.Set("blog_username", "journal")
	rec = ad.post("/admin/settings", f)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("rename with followers: %d", rec.Code)
	}
	mustContain(t, rec.Body.String(), "@notes has 1 follower,")
	if st, _ := ts.Store.GetSettings(ctx); st.BlogUsername != "notes" {
		t.Errorf("blog username changed to %q", st.BlogUsername)
	}
}
