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

// searchBlog is a blog whose articles mention the harbour in different
// places: a title, a body, a tag, a draft.
type searchBlog struct {
	*testServer
	alice                    *models.Author
	titled, body, tagged, dr *models.Article
}

func newSearchBlog(t *testing.T, store *models.Store) *searchBlog {
	t.Helper()
	ts := newTestServerWith(t, store)
	ts.Now = func() time.Time { return publicNow }
	b := &searchBlog{testServer: ts, alice: ts.author("alice")}
	day := func(d int) time.Time { return publicNow.AddDate(0, 0, -d) }
	b.titled = ts.article(b.alice, "harbour-reopens", "The harbour reopens", "Boats are back after the storm.", day(9), "News")
	b.body = ts.article(b.alice, "weekend", "Weekend walk", "We walked along the *harbour* wall & watched the <b>boats</b>.", day(1))
	b.tagged = ts.article(b.alice, "ships", "Ships at dawn", "Photos from the pier.", day(4), "Lighthouse")
	var err error
	b.dr, err = ts.Store.SaveArticle(context.Background(), 0, models.ArticleInput{Title: "Harbour draft", Slug: "harbour-draft",
		HTML: "<p>harbour secret</p>", Status: models.StatusDraft, AuthorID: b.alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSearchShow(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, store *models.Store) {
		b := newSearchBlog(t, store)
		rec := b.get("/search?q=harbour")
		pubStatus(t, rec, http.StatusOK)
		body := rec.Body.String()
		pubHas(t, rec,
			`<a href="/2012/11/harbour-reopens/" rel="bookmark">The <mark>harbour</mark> reopens</a>`,
			`along the <mark>harbour</mark> wall &amp; watched the boats`, // text, not markup
			`<meta name="robots" content="noindex, follow">`,
			`value="harbour"`, "2 articles found.",
			`<link rel="canonical" href="http://blog.test/search?q=harbour">`,
		)
		pubLacks(t, rec, "Harbour draft", "secret", "&lt;b&gt;")
		if i, j := strings.Index(body, "The <mark>harbour</mark> reopens"), strings.Index(body, "Weekend walk"); i < 0 || j < 0 || i > j {
			t.Errorf("the title match is not ranked first (%d, %d)", i, j)
		}

		// Tags are searched; every word must match.
		pubHas(t, b.get("/search?q=lighthouse"), "Ships at dawn", "1 article found.")
		rec = b.get("/search?q=harbour+lighthouse")
		pubStatus(t, rec, http.StatusOK)
		pubHas(t, rec, "Nothing matched these words.")

		// No query: the form alone. Queries that are all syntax: no error.
		rec = b.get("/search")
		pubStatus(t, rec, http.StatusOK)
		pubHas(t, rec, `id="search-page-q"`)
		pubLacks(t, rec, "found.", "Nothing matched")
		for _, q := range []string{`"`, `*`, `AND (`, `NEAR`, `'`, `harbour"`, `-`, `NEAR(harbour boats)`, `title:harbour`,
			"\xff\xfe", strings.Repeat("harbour ", 500), `<script>alert(1)</script>`} {
			rec := b.get("/search?q=" + url.QueryEscape(q))
			pubStatus(t, rec, http.StatusOK)
			pubLacks(t, rec, "<script>alert")
		}
		pubHas(t, b.get("/search?q="+url.QueryEscape(`<script>alert(1)</script>`)), "&lt;script&gt;alert(1)&lt;/script&gt;")

		// A change shows at once, even though the page was cached.
		if rec := b.get("/search?q=boats"); !strings.Contains(rec.Body.String(), "2 articles found.") {
			t.Fatalf("boats: %s", pubClip(rec.Body.String()))
		}
		if rec := b.get("/search?q=boats"); rec.Header().Get("X-Cache") != "hit" {
			t.Errorf("a repeated search is not served from the page cache")
		}
		if _, err := b.Store.SaveArticle(context.Background(), b.body.ID, models.ArticleInput{Title: "Weekend walk", Slug: "weekend",
			HTML: "<p>Rain all day.</p>", Status: models.StatusPublished, PublishedAt: b.body.PublishedAt, AuthorID: b.alice.ID}); err != nil {
			t.Fatal(err)
		}
		pubHas(t, b.get("/search?q=boats"), "1 article found.")
		if err := b.Store.DeleteArticle(context.Background(), b.titled.ID, publicNow); err != nil {
			t.Fatal(err)
		}
		pubHas(t, b.get("/search?q=boats"), "Nothing matched these words.")
	})
}

func TestSearchPagination(t *testing.T) {
	t.Parallel()
	b := newSearchBlog(t, modelstest.SQLite(t))
	ctx := context.Background()
	st, err := b.Store.GetSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.PostsPerPage = 2
	if err := b.Store.SaveSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		b.article(b.alice, fmt.Sprintf("quay-%d", i), fmt.Sprintf("Quay %d", i), "On the harbour again.", publicNow.AddDate(0, 0, -10-i))
	}
	// 5 matches, 2 a page.
	for _, tc := range []struct {
		path       string
		status     int
		want, lack []string
	}{
		{"/search?q=harbour", 200, []string{"5 articles found.", "Page 1 of 3", `href="/search?q=harbour&amp;page=2" rel="next"`, `<link rel="next" href="/search?q=harbour&amp;page=2">`}, []string{`rel="prev"`}},
		{"/search?q=harbour&page=2", 200, []string{"Page 2 of 3", `href="/search?q=harbour" rel="prev"`, `href="/search?q=harbour&amp;page=3" rel="next"`,
			`<link rel="canonical" href="http://blog.test/search?q=harbour&amp;page=2">`}, nil},
		{"/search?q=harbour&page=3", 200, []string{"Page 3 of 3"}, []string{`rel="next"`}},
		{"/search?q=harbour&page=4", 404, nil, nil},
		{"/search?q=harbour&page=0", 404, nil, nil},
		{"/search?q=harbour&page=x", 404, nil, nil},
	} {
		rec := b.get(tc.path)
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.path, rec.Code, tc.status)
			continue
		}
		pubHas(t, rec, tc.want...)
		pubLacks(t, rec, tc.lack...)
	}
	// Each match on exactly one page.
	var all string
	for p := 1; p <= 3; p++ {
		all += b.get(fmt.Sprintf("/search?q=harbour&page=%d", p)).Body.String()
	}
	for _, title := range []string{"The <mark>harbour</mark> reopens", "Weekend walk", "Quay 1", "Quay 2", "Quay 3"} {
		if n := strings.Count(all, `rel="bookmark">`+title+"</a>"); n != 1 {
			t.Errorf("%q on %d pages", title, n)
		}
	}
}

// TestSearchBox: every reading page has the search form, in the sidebar.
func TestSearchBox(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	for _, path := range []string{"/", "/2012/11/hello-world/", "/tag/news/", "/@alice/", "/2012/"} {
		rec := f.get(path)
		pubStatus(t, rec, http.StatusOK)
		pubHas(t, rec, `<form class="search-form" action="/search" method="get" role="search">`, `<input id="search-q" name="q" type="search"`)
	}
	// The form's own address answers without a redirect.
	pubStatus(t, f.get("/search?q=storm"), http.StatusOK)
	pubHas(t, f.get("/search?q=storm"), "Storm hits the coast")
}
