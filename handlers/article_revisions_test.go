package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"fedpress/models"
)

// aliceArticleWithRevision is a published article of Alice's whose first
// version ("Her words.") is a revision of the current one.
func (f *roleFixture) aliceArticleWithRevision() (*models.Article, models.ArticleRevisionRow) {
	f.ts.t.Helper()
	a := f.aliceArticle(models.StatusPublished)
	ctx := context.Background()
	_, err := f.ts.Store.SaveArticle(ctx, a.ID, models.ArticleInput{Title: a.Title, Slug: a.Slug, Markdown: "Rewritten.", HTML: "<p>Rewritten.</p>",
		Status: a.Status, PublishedAt: a.PublishedAt, AuthorID: a.AuthorID, EditorID: f.alice.author.ID})
	if err != nil {
		f.ts.t.Fatal(err)
	}
	revs, err := f.ts.Store.ArticleRevisions(ctx, a.ID)
	if err != nil || len(revs) != 1 {
		f.ts.t.Fatalf("revisions %v %v", revs, err)
	}
	return a, revs[0]
}

// autosave posts the editor's fields as autosave.js does: the CSRF token
// in a header, JSON back.
func (ad *admin) autosave(t *testing.T, path string, form url.Values) (int, autosaveResult) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(csrfHeader, ad.csrf)
	req.AddCookie(ad.cookie)
	rec := ad.ts.do(req)
	var res autosaveResult
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatalf("autosave %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Code, res
}

func (ts *testServer) revisions(id uint) []models.ArticleRevisionRow {
	ts.t.Helper()
	revs, err := ts.Store.ArticleRevisions(context.Background(), id)
	if err != nil {
		ts.t.Fatal(err)
	}
	return revs
}

func (ts *testServer) mustArticle(id uint) *models.Article {
	ts.t.Helper()
	a, err := ts.Store.ArticleByID(context.Background(), id)
	if err != nil {
		ts.t.Fatal(err)
	}
	return a
}

// TestRevisionOnEverySave: each way the admin area saves an article keeps
// the version it replaces, with who wrote it; saves that change no text
// and the autosaves of one writing session keep none.
func TestRevisionOnEverySave(t *testing.T) {
	f := newRoleFixture(t)
	ts := f.ts
	a := f.alice.savedArticle(t, f.alice.post("/admin/articles", url.Values{"title": {"Notes"}, "body": {"v1"}, "tags": {"a, b"}, "action": {"draft"}}))
	path := fmt.Sprintf("/admin/articles/%d", a.ID)
	form := func(body, action string) url.Values {
		return url.Values{"title": {"Notes"}, "slug": {a.Slug}, "body": {body}, "tags": {"a, b"}, "action": {action}}
	}
	steps := []struct {
		name string
		do   func(t *testing.T)
		// the revisions afterwards, newest first: the body each keeps and who wrote it
		want []string
	}{
		{"created: nothing earlier", func(t *testing.T) {}, nil},
		{"editor's save keeps the author's version", func(t *testing.T) {
			f.editor.savedArticle(t, f.editor.post(path, form("v2", "draft")))
		}, []string{"v1 Alice"}},
		{"publishing without a text change keeps nothing", func(t *testing.T) {
			f.alice.savedArticle(t, f.alice.post(path, form("v2", "publish")))
		}, []string{"v1 Alice"}},
		{"a tag change is a change", func(t *testing.T) {
			v := form("v2", "publish")
			v.Set("tags", "a")
			f.alice.savedArticle(t, f.alice.post(path, v))
		}, []string{"v2 Alice", "v1 Alice"}}, // Alice saved v2 last, publishing it
		{"back to draft, then autosaves: the first keeps the version before it", func(t *testing.T) {
			v := form("v3", "draft")
			v.Set("tags", "a")
			f.alice.savedArticle(t, f.alice.post(path, v))
			for _, body := range []string{"v3 and", "v3 and more"} {
				v.Set("body", body)
				if code, res := f.alice.autosave(t, path+"/autosave", v); code != http.StatusOK || res.Saved != "draft" {
					t.Fatalf("autosave: %d %+v", code, res)
				}
			}
		}, []string{"v3 Alice", "v2 Alice", "v2 Alice", "v1 Alice"}},
		{"saving after one's own autosaves keeps no half-typed version", func(t *testing.T) {
			v := form("v4", "draft")
			v.Set("tags", "a")
			f.alice.savedArticle(t, f.alice.post(path, v))
		}, []string{"v3 Alice", "v2 Alice", "v2 Alice", "v1 Alice"}},
		{"restore is a save", func(t *testing.T) {
			revs := ts.revisions(a.ID)
			rec := f.alice.post(fmt.Sprintf("%s/revisions/%d/restore", path, revs[len(revs)-1].ID), nil)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("restore: %d", rec.Code)
			}
		}, []string{"v4 Alice", "v3 Alice", "v2 Alice", "v2 Alice", "v1 Alice"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do(t)
			var got []string
			for _, r := range ts.revisions(a.ID) {
				got = append(got, r.Markdown+" "+r.Name)
			}
			if strings.Join(got, "|") != strings.Join(st.want, "|") {
				t.Errorf("revisions %q, want %q", got, st.want)
			}
		})
	}
	if got := ts.mustArticle(a.ID); got.Markdown != "v1" || len(got.Tags) != 2 {
		t.Errorf("after restoring the first version: %q with %d tags", got.Markdown, len(got.Tags))
	}
}

// TestRevisionsPage lists who saved each version and when, and compares
// the chosen one with the current version, escaped.
func TestRevisionsPage(t *testing.T) {
	f := newRoleFixture(t)
	a := f.alice.savedArticle(t, f.alice.post("/admin/articles", url.Values{"title": {"Plans"},
		"body": {"Intro.\n\n<script>alert(1)</script>\n\nSame end."}, "action": {"publish"}}))
	path := fmt.Sprintf("/admin/articles/%d", a.ID)
	if body := f.alice.get(path + "/revisions/").Body.String(); !strings.Contains(body, "No earlier versions yet") {
		t.Errorf("a new article's revisions page: %.300s", body)
	}
	f.editor.savedArticle(t, f.editor.post(path, url.Values{"title": {"Better plans"}, "slug": {a.Slug},
		"body": {"Intro.\n\nA new middle.\n\nSame end."}, "action": {"publish"}}))
	rev := f.ts.revisions(a.ID)[0]

	rec := f.alice.get(path + "/revisions/")
	if rec.Code != http.StatusOK {
		t.Fatalf("revisions page: %d", rec.Code)
	}
	body := rec.Body.String()
	mustContain(t, body,
		"by Alice", // who wrote the version kept
		`<div class="diff-line diff-del"><span class="diff-mark" aria-label="only in this version">−</span>&lt;script&gt;alert(1)&lt;/script&gt;</div>`,
		`<div class="diff-line diff-add"><span class="diff-mark" aria-label="only in the current version">+</span>A new middle.</div>`,
		`diff-del"><span class="diff-mark" aria-label="only in this version">−</span>Plans</div>`,
		`diff-add"><span class="diff-mark" aria-label="only in the current version">+</span>Better plans</div>`,
		"Summary: unchanged.",
		fmt.Sprintf(`action="%s/revisions/%d/restore"`, path, rev.ID),
		fmt.Sprintf(`datetime="%s"`, rev.SavedAt.UTC().Format(time.RFC3339)),
	)
	if strings.Contains(body, "<script>alert") {
		t.Error("the revision's HTML is not escaped")
	}
	for _, q := range []string{"?rev=999", "?rev=x"} {
		if rec := f.alice.get(path + "/revisions/" + q); rec.Code != http.StatusNotFound {
			t.Errorf("revisions%s: %d, want 404", q, rec.Code)
		}
	}
	// Another article's revision is not this one's.
	other, otherRev := f.aliceArticleWithRevision()
	if rec := f.alice.get(fmt.Sprintf("%s/revisions/?rev=%d", path, otherRev.ID)); rec.Code != http.StatusNotFound {
		t.Errorf("revision %d of article %d shown under article %d: %d", otherRev.ID, other.ID, a.ID, rec.Code)
	}
	if rec := f.alice.post(fmt.Sprintf("%s/revisions/%d/restore", path, otherRev.ID), nil); rec.Code != http.StatusNotFound {
		t.Errorf("restoring another article's revision: %d", rec.Code)
	}
	// The editor links to them.
	mustContain(t, f.alice.get(path+"/edit/").Body.String(), fmt.Sprintf(`<a href="%s/revisions/">1 revision</a>`, path))
}

// TestRevisionRestore: restoring is a save like an edit: the text comes
// back, the address, date and status stay, the replaced version becomes a
// revision, and followers get an Update.
func TestRevisionRestore(t *testing.T) {
	f := newRoleFixture(t)
	ts := f.ts
	ctx := context.Background()
	ts.remoteFollower("alice", "https://remote.example/users/r", "https://remote.example/users/r/inbox", "")
	a := f.alice.savedArticle(t, f.alice.post("/admin/articles", url.Values{"title": {"Ferry"}, "body": {"First text."}, "tags": {"Boats"}, "action": {"publish"}}))
	path := fmt.Sprintf("/admin/articles/%d", a.ID)
	f.alice.savedArticle(t, f.alice.post(path, url.Values{"title": {"Ferry times"}, "slug": {a.Slug}, "body": {"Second text."}, "action": {"publish"}}))
	updates := func() int {
		ds, err := ts.Store.ListDeliveries(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, d := range ds {
			if d.Kind == "Update" && strings.Contains(d.Body, "First text.") {
				n++
			}
		}
		return n
	}
	first := ts.revisions(a.ID)[0]
	rec := f.editor.post(fmt.Sprintf("%s/revisions/%d/restore", path, first.ID), nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != path+"/edit/?msg=restored" {
		t.Fatalf("restore: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	got := ts.mustArticle(a.ID)
	if got.Title != "Ferry" || got.Markdown != "First text." || len(got.Tags) != 1 || got.Slug != a.Slug ||
		got.Status != models.StatusPublished || !got.PublishedAt.Equal(*a.PublishedAt) || got.AuthorID != f.alice.author.ID {
		t.Errorf("restored: %q %q %v %q %s %v author %d", got.Title, got.Markdown, got.Tags, got.Slug, got.Status, got.PublishedAt, got.AuthorID)
	}
	if revs := ts.revisions(a.ID); len(revs) != 2 || revs[0].Markdown != "Second text." || revs[0].Title != "Ferry times" {
		t.Errorf("after the restore the revisions are %+v", revs)
	}
	if updates() == 0 {
		t.Error("restoring a published article's version queued no Update for followers")
	}
	mustContain(t, f.editor.get(path+"/edit/?msg=restored").Body.String(), "Revision restored.")

	// A version without a title cannot become a published article's text.
	d := f.alice.savedArticle(t, f.alice.post("/admin/articles", url.Values{"body": {"Untitled idea."}, "action": {"draft"}}))
	dpath := fmt.Sprintf("/admin/articles/%d", d.ID)
	f.alice.savedArticle(t, f.alice.post(dpath, url.Values{"title": {"Now titled"}, "body": {"Idea."}, "action": {"publish"}}))
	untitled := ts.revisions(d.ID)[0]
	rec = f.alice.post(fmt.Sprintf("%s/revisions/%d/restore", dpath, untitled.ID), nil)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("restoring an untitled version of a published article: %d", rec.Code)
	}
	mustContain(t, rec.Body.String(), "Give the article a title before publishing it")
	if got := ts.mustArticle(d.ID); got.Title != "Now titled" {
		t.Errorf("refused restore changed the article: %q", got.Title)
	}
}

// TestAutosave: drafts and new articles are saved in place; the changes to
// a published or scheduled article go to an autosave revision and never
// reach what readers see or what followers get.
func TestAutosave(t *testing.T) {
	f := newRoleFixture(t)
	ts := f.ts
	ctx := context.Background()
	ts.remoteFollower("alice", "https://remote.example/users/r", "https://remote.example/users/r/inbox", "")

	// A new article: the first autosave makes the draft, the next update it.
	code, res := f.alice.autosave(t, "/admin/articles/autosave", url.Values{"title": {"Typing"}, "body": {"Half a"}})
	if code != http.StatusOK || res.Saved != "draft" || res.ID == 0 || res.AutosaveURL != fmt.Sprintf("/admin/articles/%d/autosave", res.ID) ||
		res.EditURL != fmt.Sprintf("/admin/articles/%d/edit/", res.ID) || res.Action != fmt.Sprintf("/admin/articles/%d", res.ID) || res.Time == "" {
		t.Fatalf("first autosave: %d %+v", code, res)
	}
	if code, res2 := f.alice.autosave(t, res.AutosaveURL, url.Values{"title": {"Typing"}, "slug": {"typing"}, "body": {"Half a sentence."}}); code != http.StatusOK || res2.ID != res.ID {
		t.Fatalf("second autosave: %d %+v", code, res2)
	}
	draft := ts.mustArticle(res.ID)
	if draft.Status != models.StatusDraft || draft.Markdown != "Half a sentence." || draft.AuthorID != f.alice.author.ID {
		t.Errorf("autosaved draft: %s %q by %d", draft.Status, draft.Markdown, draft.AuthorID)
	}
	if n, _ := ts.Store.AdminArticleCounts(ctx, ts.Now(), 0); n.All != 1 {
		t.Errorf("%d articles after two autosaves, want 1", n.All)
	}
	// While the title is typed, a slug another article uses is not an error.
	ts.article(f.alice.author, "taken", "Taken", "x", ts.Now().Add(-time.Hour))
	if code, res := f.alice.autosave(t, res.AutosaveURL, url.Values{"title": {"Taken"}, "slug": {"typing"}, "body": {"More."}}); code != http.StatusOK || res.Saved != "draft" {
		t.Fatalf("autosave while the title makes a taken slug: %d %+v", code, res)
	}
	if got := ts.mustArticle(res.ID); got.Slug != "typing" || got.Title != "Taken" {
		t.Errorf("draft after that autosave: slug %q title %q", got.Slug, got.Title)
	}

	for _, tc := range []struct {
		name string
		when time.Time
	}{{"published", ts.Now().Add(-time.Hour)}, {"scheduled", ts.Now().Add(48 * time.Hour)}} {
		t.Run(tc.name, func(t *testing.T) {
			a := f.alice.savedArticle(t, f.alice.post("/admin/articles", url.Values{"title": {"Live " + tc.name}, "body": {"Live text."},
				"published_utc": {tc.when.UTC().Format(time.RFC3339)}, "action": {"publish"}}))
			path := fmt.Sprintf("/admin/articles/%d", a.ID)
			before := ts.mustArticle(a.ID)
			deliveries, _ := ts.Store.ListDeliveries(ctx, "")
			for i, body := range []string{"Live text, changed.", "Live text, changed again."} {
				code, res := f.alice.autosave(t, path+"/autosave", url.Values{"title": {"Live " + tc.name}, "slug": {a.Slug}, "body": {body}, "action": {"draft"}})
				if code != http.StatusOK || res.Saved != "autosave" {
					t.Fatalf("autosave %d: %d %+v", i, code, res)
				}
			}
			after := ts.mustArticle(a.ID)
			if after.Markdown != "Live text." || after.HTML != before.HTML || after.Status != models.StatusPublished || !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Errorf("autosave touched the live article: %q %s updated %v (was %v)", after.Markdown, after.Status, after.UpdatedAt, before.UpdatedAt)
			}
			if tc.name == "published" {
				if page := ts.get(a.Permalink()).Body.String(); !strings.Contains(page, "Live text.") || strings.Contains(page, "changed") {
					t.Error("readers see the autosaved text")
				}
			}
			if now, _ := ts.Store.ListDeliveries(ctx, ""); len(now) != len(deliveries) {
				t.Errorf("autosave queued %d deliveries", len(now)-len(deliveries))
			}
			revs := ts.revisions(a.ID)
			if len(revs) != 1 || revs[0].Kind != models.RevisionAutosave || revs[0].Markdown != "Live text, changed again." || revs[0].Name != "Alice" {
				t.Fatalf("revisions after two autosaves: %+v", revs)
			}
			edit := f.alice.get(path + "/edit/").Body.String()
			mustContain(t, edit, "were saved automatically but not published", path+"/revisions/")
			if strings.Contains(f.editor.get(path+"/edit/").Body.String(), "saved automatically but not published") {
				t.Error("the editor is shown Alice's autosave as theirs")
			}
			// Updating supersedes the autosave.
			f.alice.savedArticle(t, f.alice.post(path, url.Values{"title": {"Live " + tc.name}, "slug": {a.Slug}, "body": {"Live text, updated."},
				"published_utc": {before.PublishedAt.UTC().Format(time.RFC3339)}, "action": {"publish"}}))
			revs = ts.revisions(a.ID)
			if len(revs) != 1 || revs[0].Kind != models.RevisionVersion || revs[0].Markdown != "Live text." {
				t.Errorf("revisions after the update: %+v", revs)
			}
		})
	}

	// Refusals answer JSON the script can show, and change nothing.
	gone := f.alice.savedArticle(t, f.alice.post("/admin/articles", url.Values{"title": {"Gone"}, "action": {"draft"}}))
	if err := ts.Store.DeleteArticle(ctx, gone.ID, ts.Now()); err != nil {
		t.Fatal(err)
	}
	if code, res := f.alice.autosave(t, fmt.Sprintf("/admin/articles/%d/autosave", gone.ID), url.Values{"title": {"x"}}); code != http.StatusNotFound || !strings.Contains(res.Error, "deleted") {
		t.Errorf("autosave of a deleted article: %d %+v", code, res)
	}
	if code, res := f.bob.autosave(t, fmt.Sprintf("/admin/articles/%d/autosave", draft.ID), url.Values{"title": {"Bob's"}}); code != http.StatusForbidden || res.Error == "" {
		t.Errorf("autosave of another author's draft: %d %+v", code, res)
	}
	if code, res := f.alice.autosave(t, "/admin/articles/autosave", url.Values{"title": {"Bad date"}, "published_at": {"soon"}}); code != http.StatusUnprocessableEntity || !strings.Contains(res.Error, "publish date") {
		t.Errorf("autosave with a bad date: %d %+v", code, res)
	}
	req := httptest.NewRequest(http.MethodPost, fmt.Sprintf("/admin/articles/%d/autosave", draft.ID), strings.NewReader("title=No+token"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(f.alice.cookie)
	if rec := ts.do(req); rec.Code != http.StatusForbidden || ts.mustArticle(draft.ID).Title == "No token" {
		t.Errorf("autosave without the CSRF token: %d", rec.Code)
	}
}

// TestUntitledDraft: a draft may be saved without a title, gets a slug
// from the title it is given later, and cannot be published untitled.
func TestUntitledDraft(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	a := ad.savedArticle(t, ad.post("/admin/articles", url.Values{"body": {"An idea."}, "action": {"draft"}}))
	if a.Title != "" || !reUntitledSlug.MatchString(a.Slug) {
		t.Fatalf("untitled draft: title %q slug %q", a.Title, a.Slug)
	}
	path := fmt.Sprintf("/admin/articles/%d", a.ID)
	edit := ad.get(path + "/edit/")
	if edit.Code != http.StatusOK {
		t.Fatalf("editor of an untitled draft: %d", edit.Code)
	}
	mustContain(t, edit.Body.String(), "<title>Edit an untitled draft", `name="slug" value=""`)
	if list := ad.get("/admin/articles/").Body.String(); !strings.Contains(list, "(no title)") {
		t.Error("the list does not show the untitled draft")
	}
	rec := ad.post(path, url.Values{"body": {"An idea."}, "action": {"publish"}})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("publishing without a title: %d", rec.Code)
	}
	mustContain(t, rec.Body.String(), "Give the article a title before publishing it (drafts may stay untitled).")
	got := ad.savedArticle(t, ad.post(path, url.Values{"title": {"A good idea"}, "body": {"An idea."}, "action": {"draft"}}))
	if got.Slug != "a-good-idea" {
		t.Errorf("slug after titling the draft: %q", got.Slug)
	}
	got = ad.savedArticle(t, ad.post(path, url.Values{"title": {"A better idea"}, "slug": {got.Slug}, "body": {"An idea."}, "action": {"publish"}}))
	if got.Slug != "a-better-idea" || got.Status != models.StatusPublished {
		t.Errorf("a draft's slug follows its title until published: %q %s", got.Slug, got.Status)
	}
	got = ad.savedArticle(t, ad.post(path, url.Values{"title": {"The best idea"}, "slug": {got.Slug}, "body": {"An idea."}, "action": {"publish"}}))
	if got.Slug != "a-better-idea" {
		t.Errorf("a published article's slug changed with its title: %q", got.Slug)
	}
}

// TestBlogTimeZoneOnPages: the time zone and date format chosen in the
// settings show on the reading pages and in the admin area.
func TestBlogTimeZoneOnPages(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	ctx := context.Background()
	// 20:30 UTC on 17 November is 05:30 on the 18th in Tokyo.
	when := time.Date(2012, 11, 17, 20, 30, 0, 0, time.UTC)
	a := ts.article(ad.author, "harbour", "Harbour", "Text.", when)
	in := &models.Interaction{ArticleID: a.ID, Kind: models.KindComment, Source: models.SourceWeb, Status: models.StatusApproved,
		AuthorName: "Bob", Content: "<p>Hi</p>", PublishedAt: when}
	if _, err := ts.Store.CreateInteraction(ctx, in); err != nil {
		t.Fatal(err)
	}
	if body := ts.get(a.Permalink()).Body.String(); !strings.Contains(body, ">November 17, 2012</time>") {
		t.Fatalf("default style: %.2000s", body)
	}
	st, err := ts.Store.GetSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	settings := url.Values{"title": {st.Title}, "language": {"en"}, "blog_username": {st.BlogUsername}, "posts_per_page": {"10"},
		"fedi_moderation": {"open"}, "object_type": {"Article"}}
	for _, bad := range []struct{ zone, format, want string }{
		{"Mars/Olympus", "iso", "“Mars/Olympus” is not a time zone this server knows"},
		{"Local", "iso", "“Local” is not a time zone this server knows"},
		{"Asia/Tokyo", "2006-01-02", "Choose how dates are shown."},
	} {
		settings.Set("time_zone", bad.zone)
		settings.Set("date_format", bad.format)
		rec := ad.post("/admin/settings", settings)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("%s %s: %d", bad.zone, bad.format, rec.Code)
		}
		mustContain(t, rec.Body.String(), bad.want)
	}
	settings.Set("time_zone", "asia/tokyo")
	settings.Set("date_format", "iso")
	if rec := ad.post("/admin/settings", settings); rec.Code != http.StatusSeeOther {
		t.Fatalf("save settings: %d %s", rec.Code, rec.Body)
	}
	if st, _ := ts.Store.GetSettings(ctx); st.TimeZone != "Asia/Tokyo" || st.DateFormat != "iso" {
		t.Fatalf("saved %q %q", st.TimeZone, st.DateFormat)
	}
	pages := []struct {
		path  string
		wants []string
	}{
		{a.Permalink(), []string{">2012-11-18</time>", ">2012-11-18 05:30</time>", `datetime="2012-11-17T20:30:00Z"`}},
		{"/", []string{">2012-11-18</time>"}},
	}
	for _, p := range pages {
		body := ts.get(p.path).Body.String()
		mustContain(t, body, p.wants...)
		if strings.Contains(body, "November 17, 2012") {
			t.Errorf("%s still shows the UTC date", p.path)
		}
	}
	list := ad.get("/admin/articles/").Body.String()
	mustContain(t, list, "Date (Asia/Tokyo)", "2012-11-18 05:30")
	mustContain(t, ad.get("/admin/settings/").Body.String(), `value="Asia/Tokyo"`, `value="iso" checked`)
}
