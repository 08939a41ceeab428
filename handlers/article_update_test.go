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
	"fedpress/models/modelstest"
)

func TestArticleUpdate(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	ctx := context.Background()
	ad.post("/admin/articles", url.Values{"title": {"Taken"}, "action": {"publish"}})
	a := ad.savedArticle(t, ad.post("/admin/articles", url.Values{"title": {"First title"}, "body": {"v1"}, "action": {"publish"}}))
	path := fmt.Sprintf("/admin/articles/%d", a.ID)
	date := a.PublishedAt.UTC().Format(dateInputLayout)

	steps := []struct {
		name     string
		form     url.Values
		slug     string
		body     string
		status   string
		old      int // what the previous permalink answers; 301 leads to the new one
		location string
	}{
		{"new title keeps the slug", url.Values{"title": {"Better title"}, "slug": {"first-title"}, "body": {"v2"}, "published_at": {date}, "action": {"publish"}},
			"first-title", "v2", "published", http.StatusOK, "updated"},
		{"slug changed", url.Values{"title": {"Better title"}, "slug": {"Renamed"}, "body": {"v3"}, "published_at": {date}, "action": {"publish"}},
			"renamed", "v3", "published", http.StatusMovedPermanently, "updated"},
		{"slug emptied: from the title", url.Values{"title": {"Better title"}, "slug": {""}, "body": {"v4"}, "published_at": {date}, "action": {"publish"}},
			"better-title", "v4", "published", http.StatusMovedPermanently, "updated"},
		{"back to draft", url.Values{"title": {"Better title"}, "slug": {"better-title"}, "body": {"v5"}, "published_at": {date}, "action": {"draft"}},
			"better-title", "v5", "draft", http.StatusNotFound, "draft"},
	}
	prev := a
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			rec := ad.post(path, st.form)
			got := ad.savedArticle(t, rec)
			if got.ID != a.ID {
				t.Fatalf("update made article %d, want %d", got.ID, a.ID)
			}
			if got.Slug != st.slug || got.Markdown != st.body || got.Status != st.status || got.Title != "Better title" {
				t.Errorf("slug %q body %q status %q title %q", got.Slug, got.Markdown, got.Status, got.Title)
			}
			if want := path + "/edit/?msg=" + st.location; rec.Header().Get("Location") != want {
				t.Errorf("redirect %q, want %q", rec.Header().Get("Location"), want)
			}
			old := ts.get(prev.Permalink())
			if old.Code != st.old || (st.old == http.StatusMovedPermanently && old.Header().Get("Location") != got.Permalink()) {
				t.Errorf("old permalink %s: %d to %q, want %d", prev.Permalink(), old.Code, old.Header().Get("Location"), st.old)
			}
			if st.status == "published" && ts.siteStatus(got.Permalink()) != http.StatusOK {
				t.Errorf("new permalink %s: %d", got.Permalink(), ts.siteStatus(got.Permalink()))
			}
			prev = got
		})
	}
	// A slug another article uses is reported, the article left as it was.
	rec := ad.post(path, url.Values{"title": {"Better title"}, "slug": {"taken"}, "body": {"v6"}, "action": {"draft"}})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("taken slug: status %d, want 422", rec.Code)
	}
	mustContain(t, rec.Body.String(), "The slug “taken” is already used by the article “Taken”", `value="taken"`, ">v6</textarea>")
	if got, _ := ts.Store.ArticleByID(ctx, a.ID); got.Slug != "better-title" || got.Markdown != "v5" {
		t.Errorf("after a refused slug: %q %q", got.Slug, got.Markdown)
	}
	if n, _ := ts.Store.AdminArticleCounts(ctx, ts.Now(), 0); n.All != 2 {
		t.Errorf("%d articles, want 2: an edit must not add rows", n.All)
	}
	if rec := ad.post("/admin/articles/999", url.Values{"title": {"x"}, "action": {"draft"}}); rec.Code != http.StatusNotFound {
		t.Errorf("update of a missing article: %d", rec.Code)
	}
	if rec := ad.get("/admin/articles/999/edit/"); rec.Code != http.StatusNotFound {
		t.Errorf("edit of a missing article: %d", rec.Code)
	}
}

func TestArticleDelete(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	a := ts.article(ad.author, "bye", "Bye", "text", time.Now().Add(-time.Hour))
	if got := ts.siteStatus(a.Permalink()); got != http.StatusOK {
		t.Fatalf("before delete: %d", got)
	}
	rec := ad.post(fmt.Sprintf("/admin/articles/%d/delete", a.ID), nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/articles/?msg=deleted" {
		t.Fatalf("delete: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	if got := ts.siteStatus(a.Permalink()); got != http.StatusNotFound && got != http.StatusGone {
		t.Errorf("after delete the permalink answers %d", got)
	}
	got, err := ts.Store.ArticleByID(context.Background(), a.ID)
	if err != nil || got.DeletedAt == nil {
		t.Errorf("not marked deleted: %v", err)
	}
	if rec := ad.get(fmt.Sprintf("/admin/articles/%d/edit/", a.ID)); rec.Code != http.StatusNotFound {
		t.Errorf("editing a deleted article: %d", rec.Code)
	}
	if rec := ad.post(fmt.Sprintf("/admin/articles/%d/delete", a.ID), nil); rec.Code != http.StatusNotFound {
		t.Errorf("second delete: %d", rec.Code)
	}
}

func TestArticlePreview(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	rec := ad.post("/admin/preview", url.Values{
		"title": {"Preview <me>"}, "body": {"Intro\n\n![a](/media/x.png \"Cap\")\n\n<script>alert(1)</script>"},
		"tags": {"one, two"}, "action": {"publish"},
	})
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d\n%s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	mustContain(t, body, "<figure>", "<figcaption>Cap</figcaption>", `src="/media/x.png"`,
		"Preview &lt;me&gt;", "not saved", "style.css", "entry-content")
	if strings.Contains(body, "<script>alert") {
		t.Error("preview runs the body's script")
	}
	if n, _ := ts.Store.AdminArticleCounts(context.Background(), ts.Now(), 0); n.All != 0 {
		t.Errorf("preview saved %d articles", n.All)
	}
}

func TestArticleUnpublish(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, store *models.Store) {
		ts := newTestServerWith(t, store)
		ad := ts.newAdmin("alice")
		ctx := context.Background()
		ts.remoteFollower("alice", "https://m.example/users/bob", "https://m.example/users/bob/inbox", "https://m.example/inbox")
		ts.remoteFollower("blog", "https://g.example/users/cy", "https://g.example/users/cy/inbox", "")
		a := ad.savedArticle(t, ad.post("/admin/articles", url.Values{"title": {"Second thoughts"}, "body": {"v1"}, "action": {"publish"}}))
		path := fmt.Sprintf("/admin/articles/%d", a.ID)
		date := a.PublishedAt.UTC().Format(dateInputLayout)
		firstCreate := ""
		if ds, err := ts.Store.DeliveriesOfArticle(ctx, a.ID); err == nil && len(ds) > 0 && ds[0].Kind == "Create" {
			firstCreate = strings.TrimPrefix(ds[0].ActivityID, "http://blog.test")
		}
		if firstCreate == "" {
			t.Fatal("publishing queued no Create")
		}

		steps := []struct {
			name    string
			action  string
			visible bool
			rows    map[string]int // own-activity rows by "Kind status"
		}{
			{"back to draft", "draft", false, map[string]int{"Create failed": 1, "Announce failed": 1, "Delete pending": 2}},
			{"edited as a draft: nothing more", "draft", false, map[string]int{"Create failed": 1, "Announce failed": 1, "Delete pending": 2}},
			{"published again", "publish", true, map[string]int{"Create failed": 1, "Announce failed": 1, "Delete failed": 2, "Create pending": 1, "Announce pending": 1}},
		}
		for _, st := range steps {
			rec := ad.post(path, url.Values{"title": {"Second thoughts"}, "slug": {a.Slug}, "body": {"v2"}, "published_at": {date}, "action": {st.action}})
			got := ad.savedArticle(t, rec)
			ds, err := ts.Store.DeliveriesOfArticle(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			rows := map[string]int{}
			for _, d := range ds {
				rows[d.Kind+" "+d.Status]++
			}
			if fmt.Sprint(rows) != fmt.Sprint(st.rows) {
				t.Errorf("%s: deliveries %v, want %v", st.name, rows, st.rows)
			}
			// Gone for now, not for good: 404 rather than 410 everywhere.
			want := http.StatusNotFound
			if st.visible {
				want = http.StatusOK
			}
			for _, c := range []struct{ path, accept string }{
				{"/articles/" + fedID(a.ID), as2Accept}, {"/articles/" + fedID(a.ID), "text/html"},
				{got.Permalink(), as2Accept}, {got.Permalink(), "text/html"},
			} {
				code := ts.get(c.path, "Accept", c.accept).Code
				if code == http.StatusFound { // the id sends browsers to the permalink
					code = http.StatusOK
				}
				if code != want {
					t.Errorf("%s: GET %s (%s) = %d, want %d", st.name, c.path, c.accept, code, want)
				}
			}
			if !st.visible {
				if code := ts.as2(firstCreate).Code; code != http.StatusNotFound {
					t.Errorf("%s: the withdrawn Create %s answers %d", st.name, firstCreate, code)
				}
			}
		}
	})
}
