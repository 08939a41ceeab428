package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// pageForm is the editor's form for a published static page.
func pageForm(title, slug, body string) url.Values {
	return url.Values{"title": {title}, "slug": {slug}, "body": {body}, "kind": {models.ArticlePage}, "action": {"publish"}}
}

func TestPages(t *testing.T) {
	for _, db := range []struct {
		name  string
		store func(testing.TB) *models.Store
	}{{"sqlite", modelstest.SQLite}, {"postgres", modelstest.Postgres}} {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			testPages(t, newTestServerWith(t, db.store(t)))
		})
	}
}

func testPages(t *testing.T, ts *testServer) {
	ctx := context.Background()
	owner := ts.newAdmin("olivia") // the first account: the owner
	post := owner.savedArticle(t, owner.post("/admin/articles", url.Values{
		"title": {"A dated post"}, "body": {"Post body words."}, "action": {"publish"},
	}))
	page := owner.savedArticle(t, owner.post("/admin/articles", pageForm("About me", "about", "Unique page body text.")))
	if page.Kind != models.ArticlePage || page.Permalink() != "/about/" || post.Kind != models.ArticlePost {
		t.Fatalf("saved kinds %q %q, page at %s", page.Kind, post.Kind, page.Permalink())
	}

	// Served at /slug/, without comments, with its canonical address.
	rec := ts.get("/about/")
	pubStatus(t, rec, http.StatusOK)
	pubHas(t, rec, "<h1 class=\"entry-title p-name\">About me</h1>", "Unique page body text.", `<link rel="canonical" href="http://blog.test/about/">`)
	pubLacks(t, rec, "Leave a Reply", `action="/`+page.Permalink())
	// Its date address leads to the page; comments on it are refused.
	y, m := page.PublishedAt.UTC().Year(), int(page.PublishedAt.UTC().Month())
	dated := fmt.Sprintf("/%04d/%02d/about/", y, m)
	if rec := ts.get(dated); rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/about/" {
		t.Errorf("GET %s: %d → %q", dated, rec.Code, rec.Header().Get("Location"))
	}
	pubStatus(t, ts.postForm(dated+"comments", commentValues()), http.StatusNotFound)

	// Not in the home list, archives, feeds, tag-less lists or the outbox;
	// in the header menu and the sitemap.
	for _, path := range []string{"/", fmt.Sprintf("/%04d/", y), fmt.Sprintf("/%04d/%02d/", y, m), "/feed.xml", "/atom.xml"} {
		rec := ts.get(path)
		pubStatus(t, rec, http.StatusOK)
		pubHas(t, rec, "A dated post")
		pubLacks(t, rec, "Unique page body", "blog.test/about/")
	}
	pubHas(t, ts.get("/"), `<li><a href="/">Home</a></li>`, `<li><a href="/about/">About me</a></li>`)
	pubHas(t, ts.get("/sitemap.xml"), "<loc>http://blog.test/about/</loc>", "<loc>http://blog.test"+post.Permalink()+"</loc>")
	if out := jsonBody(t, ts.as2("/users/olivia/outbox")); out["totalItems"] != 1.0 {
		t.Errorf("outbox totalItems = %v, want 1 (the post only)", out["totalItems"])
	}
	pubStatus(t, ts.as2(fmt.Sprintf("/articles/%d", page.ID)), http.StatusNotFound)

	// Not federated: the post was announced, the page was not.
	for _, c := range []struct {
		a    *models.Article
		sent bool
	}{{post, true}, {page, false}} {
		got, err := ts.Store.ArticleByID(ctx, c.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if (got.FederatedAt != nil) != c.sent {
			t.Errorf("%s: federated at %v, want sent=%v", got.Slug, got.FederatedAt, c.sent)
		}
	}

	// The admin lists pages in their own tab; "New page" opens the editor
	// set to a page.
	pubHas(t, owner.get("/admin/articles/?status=pages"), "About me", "Pages <span class=\"count\">(1)</span>")
	pubLacks(t, owner.get("/admin/articles/"), "About me")
	pubHas(t, owner.get("/admin/articles/new/?kind=page"), "<h1>New page</h1>", `<option value="page" selected>`)

	// A draft page is not served, and not in the menu.
	draft := url.Values{"title": {"Contact"}, "body": {"Write to me."}, "kind": {models.ArticlePage}, "action": {"draft"}}
	owner.savedArticle(t, owner.post("/admin/articles", draft))
	pubStatus(t, ts.get("/contact/"), http.StatusNotFound)
	pubLacks(t, ts.get("/"), `href="/contact/"`)

	// Authors keep to their own pages, as with posts.
	alice := ts.newAdmin("alice")
	pubStatus(t, alice.post(fmt.Sprintf("/admin/articles/%d", page.ID), pageForm("Mine now", "about", "x")), http.StatusForbidden)
	mine := alice.savedArticle(t, alice.post("/admin/articles", pageForm("Alice's corner", "", "Hello.")))
	pubStatus(t, ts.get(mine.Permalink()), http.StatusOK)

	// Turning the post into a page takes it off the lists and, announced
	// as it was, out of followers' timelines: its federation mark is
	// cleared as the retraction is queued.
	owner.savedArticle(t, owner.post(fmt.Sprintf("/admin/articles/%d", post.ID), url.Values{
		"title": {"A dated post"}, "slug": {post.Slug}, "body": {"Post body words."}, "kind": {models.ArticlePage}, "action": {"publish"},
	}))
	got, err := ts.Store.ArticleByID(ctx, post.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.FederatedAt != nil || got.Permalink() != "/"+post.Slug+"/" {
		t.Errorf("post turned page: federated at %v, at %s", got.FederatedAt, got.Permalink())
	}
	pubLacks(t, ts.get("/feed.xml"), "A dated post")
}

func TestPageSlugReserved(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	owner := ts.newAdmin("olivia")
	tests := []struct {
		slug, want string
	}{
		{"admin", "used by the blog itself"},
		{"tag", "used by the blog itself"},
		{"static", "used by the blog itself"},
		{"media", "used by the blog itself"},
		{"users", "used by the blog itself"},
		{"search", "used by the blog itself"},
		{"feed", "used by the blog itself"},
		{"2024", "only digits"},
		{"12", "only digits"},
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			rec := owner.post("/admin/articles", pageForm("Reserved", tt.slug, "x"))
			pubStatus(t, rec, http.StatusUnprocessableEntity)
			pubHas(t, rec, tt.want)
		})
	}
	// A post may use such a slug: its address is dated.
	a := owner.savedArticle(t, owner.post("/admin/articles", url.Values{"title": {"Admin tips"}, "slug": {"admin"}, "body": {"x"}, "action": {"publish"}}))
	if a.Slug != "admin" || a.Kind != models.ArticlePost {
		t.Errorf("post saved as %q kind %q", a.Slug, a.Kind)
	}
	// An unknown kind is refused.
	pubStatus(t, owner.post("/admin/articles", url.Values{"title": {"T"}, "body": {"x"}, "kind": {"attachment"}, "action": {"publish"}}), http.StatusUnprocessableEntity)
}

func TestMenu(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	owner := ts.newAdmin("olivia")

	// No page yet: Home and the blog's profile as "About".
	pubHas(t, ts.get("/"), `<li><a href="/">Home</a></li>`, `<li><a href="/@blog/">About</a></li>`)
	owner.savedArticle(t, owner.post("/admin/articles", pageForm("Colophon", "colophon", "Made with care.")))
	rec := ts.get("/")
	pubHas(t, rec, `<li><a href="/colophon/">Colophon</a></li>`)
	pubLacks(t, rec, `href="/@blog/">About`)

	// The owner's own menu replaces the default on every page, cached
	// ones included.
	pubHas(t, owner.get("/admin/menu/"), "Colophon <code>/colophon/</code>")
	rec = owner.post("/admin/menu", url.Values{"menu": {"Start | /\r\n\r\nElsewhere | https://example.org/x?a=1&b=2\nColophon|/colophon/"}})
	pubStatus(t, rec, http.StatusSeeOther)
	for _, path := range []string{"/", "/colophon/"} {
		rec := ts.get(path)
		pubHas(t, rec, `<li><a href="/">Start</a></li>`, `<li><a href="https://example.org/x?a=1&amp;b=2">Elsewhere</a></li>`, `<li><a href="/colophon/">Colophon</a></li>`)
		pubLacks(t, rec, `>Home</a>`)
	}
	pubHas(t, owner.get("/admin/menu/"), "Start | /\nElsewhere | https://example.org/x?a=1&amp;b=2\nColophon | /colophon/\n")

	// Bad entries are refused line by line and nothing changes.
	for _, bad := range []string{"javascript:alert(1) | javascript:alert(1)", "Only a label", "Other site | //evil.example/", " | /x/"} {
		rec := owner.post("/admin/menu", url.Values{"menu": {"Fine | /\n" + bad}})
		pubStatus(t, rec, http.StatusUnprocessableEntity)
		pubHas(t, rec, "Line 2:")
	}
	pubHas(t, ts.get("/"), `>Start</a>`)

	// Only the owner edits it.
	editor := ts.newAdmin("eddie")
	if err := ts.Store.SetAuthorRole(context.Background(), editor.author.ID, models.RoleEditor); err != nil {
		t.Fatal(err)
	}
	pubStatus(t, editor.post("/admin/menu", url.Values{"menu": {"Mine | /"}}), http.StatusForbidden)

	// An empty menu restores the default.
	pubStatus(t, owner.post("/admin/menu", url.Values{"menu": {"  \n"}}), http.StatusSeeOther)
	rec = ts.get("/")
	pubHas(t, rec, `<li><a href="/">Home</a></li>`, `<li><a href="/colophon/">Colophon</a></li>`)
	pubLacks(t, rec, "Elsewhere")
}

// TestRouteSegments: every static route's first segment is kept from
// pages, whichever part of the code registers it.
func TestRouteSegments(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, w := range []string{"admin", "tag", "static", "media", "feed.xml", "sitemap.xml", "users", "articles", ".well-known", "xmlrpc"} {
		if !ts.routeWords[w] {
			t.Errorf("%q not reserved", w)
		}
	}
	for _, w := range []string{"about", ":year", "@:username", ""} {
		if ts.routeWords[strings.ToLower(w)] {
			t.Errorf("%q reserved", w)
		}
	}
}
