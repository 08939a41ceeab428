package handlers

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"fedpress/models"
)

// TestWordPressAddresses: what a migrated blog's readers, search engines
// and feed readers ask for answers, or redirects permanently to where it
// now lives, and the redirect's target answers.
func TestWordPressAddresses(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	ctx := context.Background()
	st, err := f.Store.GetSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.PostsPerPage = 1 // two visible articles: two pages everywhere
	if err := f.Store.SaveSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	// An author imported from WordPress login "J.Tanaka".
	jt := f.author("j_tanaka")
	f.article(jt, "tanaka", "Tanaka writes", "Hello.", time.Date(2012, 9, 1, 9, 0, 0, 0, time.UTC), "News")
	f.article(jt, "tanaka-2", "Tanaka again", "Hello again.", time.Date(2012, 9, 2, 9, 0, 0, 0, time.UTC))
	for _, slug := range []string{"searching-the-coast", "feedback", "pages-of-history", "authors-note", "categorized", "page", "feed"} {
		f.article(jt, slug, "About "+slug, "Shells.", time.Date(2012, 11, 3, 9, 0, 0, 0, time.UTC))
	}

	for _, tc := range []struct {
		path     string
		status   int
		location string // for redirects; its target must answer 200
	}{
		// Feeds.
		{"/feed/", 301, "/feed.xml"},
		{"/feed", 301, "/feed/"},
		{"/feed/rss2/", 301, "/feed.xml"},
		{"/feed/rss/", 301, "/feed.xml"},
		{"/feed/atom/", 301, "/atom.xml"},
		{"/feed/podcast/", 404, ""},
		{"/comments/feed/", 301, "/comments/feed.xml"},
		{"/comments/feed", 301, "/comments/feed.xml"},
		{"/?feed=rss2", 301, "/feed.xml"},
		{"/?feed=atom", 301, "/atom.xml"},
		{"/?feed=comments-rss2", 301, "/comments/feed.xml"},
		// Home pagination.
		{"/page/2/", 301, "/?page=2"},
		{"/page/1/", 301, "/"},
		{"/page/2", 301, "/page/2/"},
		{"/page/0/", 404, ""},
		{"/page/x/", 404, ""},
		{"/?paged=2", 301, "/?page=2"},
		// Search.
		{"/?s=storm", 301, "/search?q=storm"},
		{"/?s=news&paged=2", 301, "/search?q=news&page=2"},
		{"/page/2/?s=news", 301, "/search?q=news&page=2"},
		{"/search/storm+coast/", 301, "/search?q=storm+coast"},
		{"/search/storm+coast", 301, "/search/storm+coast/"},
		{"/search/storm%20coast/", 301, "/search?q=storm+coast"},
		// A WordPress /slug/ permalink that starts like a route.
		{"/searching-the-coast", 301, "/searching-the-coast/"},
		{"/searching-the-coast/", 301, "/2012/11/searching-the-coast/"},
		{"/feedback/", 301, "/2012/11/feedback/"},
		{"/pages-of-history/", 301, "/2012/11/pages-of-history/"},
		{"/authors-note/", 301, "/2012/11/authors-note/"},
		{"/categorized/", 301, "/2012/11/categorized/"},
		{"/page/", 301, "/2012/11/page/"},
		// Categories become tags.
		{"/category/news/", 301, "/tag/news/"},
		{"/category/news", 301, "/category/news/"},
		{"/category/Asia%20Pacific/", 301, "/tag/asia-pacific/"},
		{"/category/world/asia-pacific/", 301, "/tag/asia-pacific/"},
		{"/category/news/feed/", 301, "/tag/news/feed/"},
		{"/category/news/feed/atom/", 301, "/tag/news/feed/"},
		{"/category/news/page/2/", 301, "/tag/news/?page=2"},
		{"/category/news/page/1/", 301, "/tag/news/"},
		{"/category/news/page/0/", 404, ""},
		{"/category/nothing/", 404, ""},
		{"/category/", 404, ""},
		// Tags.
		{"/tag/news/", 200, ""},
		{"/tag/news/page/2/", 301, "/tag/news/?page=2"},
		{"/tag/news/feed/", 200, ""},
		{"/tag/news/feed", 301, "/tag/news/feed/"},
		{"/?tag=news", 301, "/tag/news/"},
		// Authors.
		{"/author/alice/", 301, "/@alice/"},
		{"/author/Alice/", 301, "/@alice/"},
		{"/author/J.Tanaka/", 301, "/@j_tanaka/"},
		{"/author/alice/page/2/", 301, "/@alice/?page=2"},
		{"/author/blog/", 301, "/@blog/"},
		{"/author/blog/feed/", 301, "/feed.xml"},
		{"/author/alice/feed/", 200, ""},
		{"/author/J.Tanaka/feed/", 301, "/author/j_tanaka/feed/"},
		{"/author/nobody/", 404, ""},
		{"/author/nobody/feed/", 404, ""},
		// Posts by id keep working.
		{fmt.Sprintf("/?p=%d", 999999), 404, ""},
	} {
		rec := f.get(tc.path)
		if rec.Code != tc.status {
			t.Errorf("GET %s: %d, want %d (Location %q)", tc.path, rec.Code, tc.status, rec.Header().Get("Location"))
			continue
		}
		if tc.location == "" {
			continue
		}
		if loc := rec.Header().Get("Location"); loc != tc.location {
			t.Errorf("GET %s: Location %q, want %q", tc.path, loc, tc.location)
			continue
		}
		// Follow like a feed reader: at most a few hops to a 200.
		loc := tc.location
		for hop := 0; ; hop++ {
			rec = f.get(loc)
			if rec.Code == http.StatusOK {
				break
			}
			if rec.Code != http.StatusMovedPermanently || hop == 3 {
				t.Errorf("GET %s → %s: %d", tc.path, loc, rec.Code)
				break
			}
			loc = rec.Header().Get("Location")
		}
	}
}

// TestWordPressPostID: /?p=N still leads to the imported article.
func TestWordPressPostID(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	a, err := f.Store.SaveArticle(context.Background(), 0, models.ArticleInput{Title: "Imported", Slug: "imported", HTML: "<p>x</p>",
		Status: models.StatusPublished, PublishedAt: f.october.PublishedAt, AuthorID: f.alice.ID, Imported: true, WPPostID: 123})
	if err != nil {
		t.Fatal(err)
	}
	rec := f.get("/?p=123")
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != a.Permalink() {
		t.Fatalf("/?p=123: %d %q", rec.Code, rec.Header().Get("Location"))
	}
}
