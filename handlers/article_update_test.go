package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
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
		oldGone  bool // the previous permalink stops answering
		location string
	}{
		{"new title keeps the slug", url.Values{"title": {"Better title"}, "slug": {"first-title"}, "body": {"v2"}, "published_at": {date}, "action": {"publish"}},
			"first-title", "v2", "published", false, "updated"},
		{"slug changed to a taken one", url.Values{"title": {"Better title"}, "slug": {"taken"}, "body": {"v3"}, "published_at": {date}, "action": {"publish"}},
			"taken-2", "v3", "published", true, "updated"},
		{"slug emptied: from the title", url.Values{"title": {"Better title"}, "slug": {""}, "body": {"v4"}, "published_at": {date}, "action": {"publish"}},
			"better-title", "v4", "published", true, "updated"},
		{"back to draft", url.Values{"title": {"Better title"}, "slug": {"better-title"}, "body": {"v5"}, "published_at": {date}, "action": {"draft"}},
			"better-title", "v5", "draft", true, "draft"},
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
			if st.oldGone && ts.siteStatus(prev.Permalink()) == http.StatusOK {
				t.Errorf("old permalink %s still answers", prev.Permalink())
			}
			if st.status == "published" && ts.siteStatus(got.Permalink()) != http.StatusOK {
				t.Errorf("new permalink %s: %d", got.Permalink(), ts.siteStatus(got.Permalink()))
			}
			prev = got
		})
	}
	if n, _ := ts.Store.AdminArticleCounts(ctx, ts.Now()); n.All != 2 {
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
	if n, _ := ts.Store.AdminArticleCounts(context.Background(), ts.Now()); n.All != 0 {
		t.Errorf("preview saved %d articles", n.All)
	}
}
