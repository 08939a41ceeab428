package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"fedpress/models"
)

// roleFixture is one blog with an owner, an editor and two authors, each
// logged in. Alice's work is the target; Bob is "another author" to her.
type roleFixture struct {
	ts                        *testServer
	owner, editor, alice, bob *admin
	browsers                  map[string]*admin
	n                         int // makes each target unique
}

func newRoleFixture(t *testing.T) *roleFixture {
	t.Helper()
	ts := newTestServer(t)
	f := &roleFixture{ts: ts}
	f.owner = ts.newAdmin("olivia") // the first account
	f.editor = ts.newAdmin("eddie")
	f.alice = ts.newAdmin("alice")
	f.bob = ts.newAdmin("bob")
	if err := ts.Store.SetAuthorRole(context.Background(), f.editor.author.ID, models.RoleEditor); err != nil {
		t.Fatal(err)
	}
	f.browsers = map[string]*admin{"owner": f.owner, "editor": f.editor, "other author": f.bob, "own author": f.alice}
	return f
}

// aliceArticle saves a fresh article of Alice's in the store.
func (f *roleFixture) aliceArticle(status string) *models.Article {
	f.ts.t.Helper()
	f.n++
	now := f.ts.Now().Add(-time.Hour)
	a, err := f.ts.Store.SaveArticle(context.Background(), 0, models.ArticleInput{
		Title: fmt.Sprintf("Alice %d", f.n), Slug: fmt.Sprintf("alice-%d", f.n), Markdown: "Her words.", HTML: "<p>Her words.</p>",
		Status: status, PublishedAt: &now, AuthorID: f.alice.author.ID, EditorID: f.alice.author.ID,
	})
	if err != nil {
		f.ts.t.Fatal(err)
	}
	return a
}

// pendingComment adds a visitor comment awaiting moderation on art.
func (f *roleFixture) pendingComment(art *models.Article) *models.Interaction {
	f.ts.t.Helper()
	in := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceWeb, Status: models.StatusPending,
		AuthorName: "Visitor", Content: "<p>Nice.</p>", Visibility: "public", PublishedAt: f.ts.Now()}
	if _, err := f.ts.Store.CreateInteraction(context.Background(), in); err != nil {
		f.ts.t.Fatal(err)
	}
	return in
}

func (f *roleFixture) article(id uint) *models.Article {
	f.ts.t.Helper()
	a, err := f.ts.Store.ArticleByID(context.Background(), id)
	if err != nil {
		f.ts.t.Fatal(err)
	}
	return a
}

func (f *roleFixture) interactionStatus(id uint) string {
	f.ts.t.Helper()
	in, err := f.ts.Store.InteractionByID(context.Background(), id)
	if err != nil {
		f.ts.t.Fatal(err)
	}
	return in.Status
}

// TestRolePermissions runs every admin action that touches someone's work
// or the blog's configuration as each role, and checks that it is done
// (2xx/3xx, with its effect) or refused with 403 and no effect.
func TestRolePermissions(t *testing.T) {
	f := newRoleFixture(t)
	ctx := context.Background()
	// An action returns the response and reports whether its effect took place.
	type action func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool)
	seen := func(rec *httptest.ResponseRecorder) func() bool {
		return func() bool { return rec.Code == http.StatusOK }
	}
	cases := []struct {
		name string
		do   action
		// allowed, by browser: owner, editor, other author, own author
		owner, editor, other, own bool
	}{
		{"open the editor of Alice's article", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			rec := as.get(fmt.Sprintf("/admin/articles/%d/edit/", f.aliceArticle(models.StatusPublished).ID))
			return rec, seen(rec)
		}, true, true, false, true},
		{"rewrite Alice's published article", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			a := f.aliceArticle(models.StatusPublished)
			rec := as.post(fmt.Sprintf("/admin/articles/%d", a.ID), url.Values{"title": {"Rewritten"}, "slug": {a.Slug}, "body": {"Not hers."}, "action": {"publish"}})
			return rec, func() bool { return f.article(a.ID).Title == "Rewritten" }
		}, true, true, false, true},
		{"publish Alice's draft", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			a := f.aliceArticle(models.StatusDraft)
			rec := as.post(fmt.Sprintf("/admin/articles/%d", a.ID), url.Values{"title": {a.Title}, "slug": {a.Slug}, "body": {a.Markdown}, "action": {"publish"}})
			return rec, func() bool { return f.article(a.ID).Status == models.StatusPublished }
		}, true, true, false, true},
		{"delete Alice's article", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			a := f.aliceArticle(models.StatusPublished)
			rec := as.post(fmt.Sprintf("/admin/articles/%d/delete", a.ID), nil)
			return rec, func() bool { return f.article(a.ID).DeletedAt != nil }
		}, true, true, false, true},
		{"see the deliveries of Alice's article", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			rec := as.get(fmt.Sprintf("/admin/articles/%d/deliveries/", f.aliceArticle(models.StatusPublished).ID))
			return rec, seen(rec)
		}, true, true, false, true},
		{"see the revisions of Alice's article", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			a, _ := f.aliceArticleWithRevision()
			rec := as.get(fmt.Sprintf("/admin/articles/%d/revisions/", a.ID))
			return rec, func() bool { return rec.Code == http.StatusOK && strings.Contains(rec.Body.String(), "Her words.") }
		}, true, true, false, true},
		{"restore a revision of Alice's article", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			a, rev := f.aliceArticleWithRevision()
			rec := as.post(fmt.Sprintf("/admin/articles/%d/revisions/%d/restore", a.ID, rev.ID), nil)
			return rec, func() bool { return f.article(a.ID).Markdown == "Her words." }
		}, true, true, false, true},
		{"autosave Alice's draft", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			a := f.aliceArticle(models.StatusDraft)
			rec := as.post(fmt.Sprintf("/admin/articles/%d/autosave", a.ID), url.Values{"title": {a.Title}, "slug": {a.Slug}, "body": {"Typed."}})
			return rec, func() bool { return f.article(a.ID).Markdown == "Typed." }
		}, true, true, false, true},
		{"approve a comment on Alice's article", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			in := f.pendingComment(f.aliceArticle(models.StatusPublished))
			rec := as.post(fmt.Sprintf("/admin/comments/%d/status", in.ID), url.Values{"status": {models.StatusApproved}})
			return rec, func() bool { return f.interactionStatus(in.ID) == models.StatusApproved }
		}, true, true, false, true},
		{"answer a comment on Alice's article", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			in := f.pendingComment(f.aliceArticle(models.StatusPublished))
			rec := as.post(fmt.Sprintf("/admin/comments/%d/reply", in.ID), url.Values{"content": {"Thanks!"}})
			return rec, func() bool { return f.interactionStatus(in.ID) == models.StatusApproved }
		}, true, true, false, true},
		{"write an article", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			f.n++
			title := fmt.Sprintf("Mine %d", f.n)
			rec := as.post("/admin/articles", url.Values{"title": {title}, "body": {"x"}, "action": {"publish"}})
			return rec, func() bool {
				a, err := f.ts.Store.ArticleBySlug(ctx, fmt.Sprintf("mine-%d", f.n))
				return err == nil && a.AuthorID == as.author.ID
			}
		}, true, true, true, true},
		{"upload an image", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			rec := as.upload("/admin/media", "file", "a.png", pngBytes(t, 4, 3), nil)
			return rec, func() bool { return rec.Code == http.StatusSeeOther }
		}, true, true, true, true},
		{"see the settings", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			rec := as.get("/admin/settings/")
			return rec, seen(rec)
		}, true, false, false, false},
		{"change the settings", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			st, err := f.ts.Store.GetSettings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			f.n++
			title := fmt.Sprintf("Blog %d", f.n)
			rec := as.post("/admin/settings", url.Values{"title": {title}, "language": {"en"}, "blog_username": {st.BlogUsername},
				"posts_per_page": {"10"}, "fedi_moderation": {"open"}, "object_type": {models.ObjectTypeLead}})
			return rec, func() bool {
				st, err := f.ts.Store.GetSettings(ctx)
				return err == nil && st.Title == title
			}
		}, true, false, false, false},
		{"see the blocks", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			rec := as.get("/admin/blocks/")
			return rec, seen(rec)
		}, true, false, false, false},
		{"add a block", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			f.n++
			domain := fmt.Sprintf("spam%d.example", f.n)
			rec := as.post("/admin/blocks", url.Values{"kind": {models.BlockDomain}, "value": {domain}})
			return rec, func() bool { return hasBlock(t, f.ts, domain) }
		}, true, false, false, false},
		{"remove a block", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			f.n++
			domain := fmt.Sprintf("old%d.example", f.n)
			b, _, err := f.ts.Store.CreateBlock(ctx, models.BlockDomain, domain)
			if err != nil {
				t.Fatal(err)
			}
			rec := as.post(fmt.Sprintf("/admin/blocks/%d/delete", b.ID), nil)
			return rec, func() bool { return !hasBlock(t, f.ts, domain) }
		}, true, false, false, false},
		{"see the followers", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			rec := as.get("/admin/followers/")
			return rec, seen(rec)
		}, true, false, false, false},
		{"accept a follower", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			f.n++
			uri := fmt.Sprintf("https://remote.example/users/f%d", f.n)
			ra := &models.RemoteActor{URI: uri, Inbox: uri + "/inbox"}
			if err := f.ts.Store.UpsertRemoteActor(ctx, ra); err != nil {
				t.Fatal(err)
			}
			fw, _, err := f.ts.Store.UpsertFollower(ctx, "alice", ra.ID, uri+"#follow", models.FollowPending)
			if err != nil {
				t.Fatal(err)
			}
			rec := as.post(fmt.Sprintf("/admin/followers/%d/status", fw.ID), url.Values{"status": {"accept"}})
			return rec, func() bool {
				got, err := f.ts.Store.FollowerByID(ctx, fw.ID)
				return err == nil && got.Status == models.FollowAccepted
			}
		}, true, false, false, false},
		{"see the accounts", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			rec := as.get("/admin/accounts/")
			return rec, seen(rec)
		}, true, false, false, false},
		{"make an author an editor", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			f.n++
			who := f.ts.author(fmt.Sprintf("zed%d", f.n))
			rec := as.post(fmt.Sprintf("/admin/accounts/%d/role", who.ID), url.Values{"role": {models.RoleEditor}})
			return rec, func() bool {
				got, err := f.ts.Store.AuthorByID(ctx, who.ID)
				return err == nil && got.Role == models.RoleEditor
			}
		}, true, false, false, false},
		{"make oneself the owner (the owner is one already)", func(t *testing.T, as *admin) (*httptest.ResponseRecorder, func() bool) {
			rec := as.post(fmt.Sprintf("/admin/accounts/%d/role", as.author.ID), url.Values{"role": {models.RoleOwner}})
			return rec, func() bool {
				got, err := f.ts.Store.AuthorByID(ctx, as.author.ID)
				return err == nil && got.Role == models.RoleOwner
			}
		}, true, false, false, false},
	}
	for _, c := range cases {
		for _, who := range []struct {
			name    string
			allowed bool
		}{{"owner", c.owner}, {"editor", c.editor}, {"other author", c.other}, {"own author", c.own}} {
			t.Run(c.name+"/"+who.name, func(t *testing.T) {
				rec, done := c.do(t, f.browsers[who.name])
				switch {
				case who.allowed && (rec.Code >= 400 || !done()):
					t.Errorf("allowed, but status %d, effect %v\n%.400s", rec.Code, done(), rec.Body)
				case !who.allowed && rec.Code != http.StatusForbidden:
					t.Errorf("status %d, want 403", rec.Code)
				case !who.allowed && done():
					t.Errorf("refused (status %d), yet it took effect", rec.Code)
				}
				if rec.Code == http.StatusForbidden && !strings.Contains(rec.Body.String(), "owner") {
					t.Errorf("the 403 page does not say who may do it:\n%.400s", rec.Body)
				}
			})
		}
	}
}

func hasBlock(t *testing.T, ts *testServer, value string) bool {
	t.Helper()
	bs, err := ts.Store.ListBlocks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if b.Value == value {
			return true
		}
	}
	return false
}

// TestRoleListsShowOwnWork: an author's admin lists hold their own
// articles, the comments on them and their uploads; an editor's and the
// owner's hold everyone's.
func TestRoleListsShowOwnWork(t *testing.T) {
	f := newRoleFixture(t)
	art := f.aliceArticle(models.StatusPublished)
	in := f.pendingComment(art)
	up := f.alice.upload("/admin/media", "file", "alice.png", pngBytes(t, 5, 5), nil)
	loc, _ := url.Parse(up.Header().Get("Location"))
	media := loc.Query().Get("uploaded")
	if media == "" {
		t.Fatalf("upload: %d %q", up.Code, up.Header().Get("Location"))
	}
	pages := []struct {
		path string
		mark string // what shows Alice's work on that page
	}{
		{"/admin/articles/", art.Title},
		{"/admin/", art.Title},
		{"/admin/comments/?status=pending", fmt.Sprintf("/admin/comments/%d/status", in.ID)},
		{"/admin/media/", media},
		{"/admin/articles/new/", media},
	}
	for _, p := range pages {
		for _, who := range []struct {
			name string
			sees bool
		}{{"owner", true}, {"editor", true}, {"other author", false}, {"own author", true}} {
			t.Run(p.path+"/"+who.name, func(t *testing.T) {
				rec := f.browsers[who.name].get(p.path)
				if rec.Code != http.StatusOK {
					t.Fatalf("status %d", rec.Code)
				}
				if got := strings.Contains(rec.Body.String(), p.mark); got != who.sees {
					t.Errorf("shows %q: %v, want %v", p.mark, got, who.sees)
				}
			})
		}
	}
	// The pending badge counts only what the author may moderate.
	if strings.Contains(f.bob.get("/admin/articles/").Body.String(), "awaiting moderation") {
		t.Error("Bob's nav counts a comment on Alice's article as his to moderate")
	}
	if !strings.Contains(f.alice.get("/admin/articles/").Body.String(), "awaiting moderation") {
		t.Error("Alice's nav does not count the comment waiting on her article")
	}
	// Settings, blocks, followers and accounts are not offered to others.
	for name, b := range f.browsers {
		body := b.get("/admin/").Body.String()
		if got, want := strings.Contains(body, `href="/admin/settings/"`), name == "owner"; got != want {
			t.Errorf("%s: settings in the nav: %v, want %v", name, got, want)
		}
	}
}

// TestEditorEditKeepsAuthor: an editor's change to Alice's article leaves
// it attributed to Alice and federated as hers (ActivityPub wants the
// Update's actor to be the object's attributedTo), while the admin shows
// who edited it last and the edits record both saves.
func TestEditorEditKeepsAuthor(t *testing.T) {
	f := newRoleFixture(t)
	ctx := context.Background()
	f.ts.remoteFollower("alice", "https://remote.example/users/r", "https://remote.example/users/r/inbox", "")
	rec := f.alice.post("/admin/articles", url.Values{"title": {"Hers"}, "body": {"v1"}, "action": {"publish"}})
	a := f.alice.savedArticle(t, rec)
	rec = f.editor.post(fmt.Sprintf("/admin/articles/%d", a.ID), url.Values{"title": {"Hers, edited"}, "slug": {a.Slug}, "body": {"v2"}, "action": {"publish"}})
	got := f.editor.savedArticle(t, rec)
	if got.AuthorID != f.alice.author.ID || got.LastEditedByID == nil || *got.LastEditedByID != f.editor.author.ID {
		t.Fatalf("after the editor's save: author %d, last editor %v; want %d and %d", got.AuthorID, got.LastEditedByID, f.alice.author.ID, f.editor.author.ID)
	}
	ds, err := f.ts.Store.ListDeliveries(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	alice := f.ts.Cfg.URLs.Actor("alice")
	updates := 0
	for _, d := range ds {
		if d.Kind != "Update" {
			continue
		}
		updates++
		var act struct {
			Actor  string `json:"actor"`
			Object struct {
				AttributedTo any    `json:"attributedTo"`
				Content      string `json:"content"`
			} `json:"object"`
		}
		if err := json.Unmarshal([]byte(d.Body), &act); err != nil {
			t.Fatal(err)
		}
		if d.SignAs != "alice" || act.Actor != alice || act.Object.AttributedTo != alice || !strings.Contains(act.Object.Content, "v2") {
			t.Errorf("Update signed as %q, actor %q, attributedTo %v, content %.80q; want Alice's", d.SignAs, act.Actor, act.Object.AttributedTo, act.Object.Content)
		}
	}
	if updates == 0 {
		t.Fatal("the editor's save queued no Update")
	}
	for _, b := range []*admin{f.owner, f.editor} {
		if body := b.get("/admin/articles/").Body.String(); !strings.Contains(body, "last edited by Eddie") {
			t.Errorf("%s's article list does not say who edited it last", b.author.Username)
		}
	}
	edit := f.alice.get(fmt.Sprintf("/admin/articles/%d/edit/", a.ID)).Body.String()
	mustContain(t, edit, "By Alice", "last edited by Eddie", "Edited by Eddie", "Written by Alice")
	edits, err := f.ts.Store.ArticleEdits(ctx, a.ID, 10)
	if err != nil || len(edits) != 2 || edits[0].AuthorID != f.editor.author.ID || edits[1].AuthorID != f.alice.author.ID {
		t.Fatalf("edits %+v %v, want the editor's then Alice's", edits, err)
	}
	f.owner.post(fmt.Sprintf("/admin/articles/%d/delete", a.ID), nil)
	if edits, _ := f.ts.Store.ArticleEdits(ctx, a.ID, 10); len(edits) != 3 || edits[0].Action != models.EditDeleted || edits[0].AuthorID != f.owner.author.ID {
		t.Errorf("the deletion is not recorded as the owner's: %+v", edits)
	}
}

// TestRoleChanges: the owner's own role is not changed from the page, the
// last owner cannot be demoted, unknown roles are refused, and a new role
// applies on the account's next request.
func TestRoleChanges(t *testing.T) {
	f := newRoleFixture(t)
	ctx := context.Background()
	a := f.aliceArticle(models.StatusPublished)
	edit := fmt.Sprintf("/admin/articles/%d/edit/", a.ID)
	if rec := f.bob.get(edit); rec.Code != http.StatusForbidden {
		t.Fatalf("Bob as author: %d", rec.Code)
	}
	path := fmt.Sprintf("/admin/accounts/%d/role", f.bob.author.ID)
	if rec := f.owner.post(path, url.Values{"role": {"admin"}}); rec.Code != http.StatusBadRequest {
		t.Errorf("unknown role: %d", rec.Code)
	}
	if rec := f.owner.post(path, url.Values{"role": {models.RoleEditor}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("make Bob an editor: %d", rec.Code)
	}
	if rec := f.bob.get(edit); rec.Code != http.StatusOK {
		t.Errorf("Bob as editor: %d", rec.Code)
	}
	if rec := f.owner.post(path, url.Values{"role": {models.RoleAuthor}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("make Bob an author again: %d", rec.Code)
	}
	if rec := f.bob.get(edit); rec.Code != http.StatusForbidden {
		t.Errorf("Bob as author again: %d", rec.Code)
	}
	own := fmt.Sprintf("/admin/accounts/%d/role", f.owner.author.ID)
	if rec := f.owner.post(own, url.Values{"role": {models.RoleAuthor}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("owner demoting themselves: %d", rec.Code)
	}
	if err := f.ts.Store.SetAuthorRole(ctx, f.owner.author.ID, models.RoleEditor); !errors.Is(err, models.ErrLastOwner) {
		t.Errorf("demoting the last owner: %v", err)
	}
	// With a second owner, one owner can demote the other.
	if rec := f.owner.post(path, url.Values{"role": {models.RoleOwner}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("make Bob an owner: %d", rec.Code)
	}
	if rec := f.bob.post(own, url.Values{"role": {models.RoleEditor}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("Bob demoting Olivia: %d", rec.Code)
	}
	if rec := f.owner.get("/admin/settings/"); rec.Code != http.StatusForbidden {
		t.Errorf("Olivia as editor opens the settings: %d", rec.Code)
	}
	// Role changes need the session's CSRF token like every form.
	rec := f.ts.postForm(path, url.Values{"role": {models.RoleAuthor}, "csrf": {"wrong"}}, f.bob.cookie)
	if rec.Code != http.StatusForbidden {
		t.Errorf("role change with a wrong CSRF token: %d", rec.Code)
	}
	if got, _ := f.ts.Store.AuthorByID(ctx, f.bob.author.ID); got.Role != models.RoleOwner {
		t.Errorf("Bob's role after a forged change: %s", got.Role)
	}
}
