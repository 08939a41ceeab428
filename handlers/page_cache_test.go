package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fedpress/models"
)

func TestPageCacheInvalidatedByChanges(t *testing.T) {
	ts := newTestServer(t)
	a := ts.author("alice")
	art := ts.article(a, "storm", "Storm hits the coast", "Rain.", time.Date(2012, 11, 17, 9, 0, 0, 0, time.UTC))
	path := art.Permalink()
	steps := []struct {
		name   string
		change func()
		cache  string
		want   string
	}{
		{"first view renders", nil, "miss", "Storm hits the coast"},
		{"second view is a hit", nil, "hit", "Storm hits the coast"},
		{"an approved comment invalidates", func() {
			in := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceWeb,
				Status: models.StatusApproved, AuthorName: "Reader", Content: "<p>Cached no more</p>"}
			if _, err := ts.Store.CreateInteraction(context.Background(), in); err != nil {
				t.Fatal(err)
			}
		}, "miss", "Cached no more"},
		{"then cached again", nil, "hit", "Cached no more"},
		{"an edit invalidates", func() {
			in := models.ArticleInput{Title: "Storm leaves the coast", Slug: art.Slug, HTML: "<p>Sun.</p>", Status: models.StatusPublished, PublishedAt: art.PublishedAt, AuthorID: a.ID}
			if _, err := ts.Store.SaveArticle(context.Background(), art.ID, in); err != nil {
				t.Fatal(err)
			}
		}, "miss", "Storm leaves the coast"},
	}
	for _, st := range steps {
		if st.change != nil {
			st.change()
		}
		rec := ts.get(path)
		if rec.Code != 200 || rec.Header().Get("X-Cache") != st.cache || !strings.Contains(rec.Body.String(), st.want) {
			t.Fatalf("%s: %d X-Cache=%q, body has %q: %v", st.name, rec.Code, rec.Header().Get("X-Cache"), st.want, strings.Contains(rec.Body.String(), st.want))
		}
	}
	// Logged-in authors and ActivityPub clients bypass the cache.
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "x"})
	if rec := ts.do(req); rec.Header().Get("X-Cache") != "" {
		t.Fatalf("session request went through the cache: %q", rec.Header().Get("X-Cache"))
	}
	// HEAD is answered like GET.
	if rec := ts.do(httptest.NewRequest(http.MethodHead, path, nil)); rec.Code != http.StatusOK {
		t.Fatalf("HEAD = %d", rec.Code)
	}
}

func TestPageCacheRevalidatesFeeds(t *testing.T) {
	ts := newTestServer(t)
	a := ts.author("alice")
	ts.article(a, "storm", "Storm", "Rain.", time.Date(2012, 11, 17, 9, 0, 0, 0, time.UTC))
	first := ts.get("/feed.xml")
	etag := first.Header().Get("ETag")
	if etag == "" {
		t.Skip("feed sends no ETag")
	}
	ts.get("/feed.xml") // now cached
	rec := ts.get("/feed.xml", "If-None-Match", etag)
	if rec.Code != http.StatusNotModified || rec.Header().Get("X-Cache") != "hit" {
		t.Fatalf("cached feed with matching ETag = %d %q", rec.Code, rec.Header().Get("X-Cache"))
	}
}
