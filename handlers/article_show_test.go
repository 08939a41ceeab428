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

func TestArticleShow(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	rec := f.get("/2012/11/hello-world/")
	pubStatus(t, rec, http.StatusOK)
	pubHas(t, rec,
		`<title>Storm hits the coast – fedpress</title>`,
		`<h1 class="entry-title p-name">Storm hits the coast</h1>`,
		`<time class="dt-published" datetime="2012-11-17T10:00:00Z">November 17, 2012</time>`,
		`<a class="p-author h-card" href="/@alice/" rel="author">Alice</a>`,
		// Body with its captioned photos, straight from the renderer.
		`<figure><img src="/media/waves.jpg" alt="Waves breaking over the sea wall" loading="lazy"><figcaption>Waves at the <em>harbour</em></figcaption></figure>`,
		`<figcaption>Sandbags on Main Street</figcaption>`,
		`<a class="p-category" href="/tag/news/" rel="tag">News</a>`,
		`<h2 id="comments-title" class="comments-title">No comments yet</h2>`,
		`Leave a Reply`,
		`<form action="/2012/11/hello-world/comments" method="post"`,
		`<label for="email">E-mail <span class="hint">(not shown publicly)</span>`,
		`name="parent_id" value="0"`,
		`name="homepage"`, // honeypot
		`<form action="/interact" method="post"`,
		`<input type="hidden" name="uri" value="http://blog.test/articles/1">`,
		// Head: discovery and sharing.
		`<link rel="canonical" href="http://blog.test/2012/11/hello-world/">`,
		`<link rel="alternate" type="application/activity+json" href="http://blog.test/articles/1">`,
		`<link rel="pingback" href="http://blog.test/xmlrpc">`,
		`<link rel="webmention" href="http://blog.test/webmention">`,
		`<meta property="og:type" content="article">`,
		`<meta property="og:title" content="Storm hits the coast">`,
		`<meta property="og:url" content="http://blog.test/2012/11/hello-world/">`,
		`<meta property="og:image" content="http://blog.test/media/waves.jpg">`,
		`<meta property="article:published_time" content="2012-11-17T10:00:00Z">`,
		`<meta property="article:author" content="http://blog.test/@alice/">`,
		`<meta name="twitter:card" content="summary_large_image">`,
		`<meta name="description" content="The storm reached the coast on Saturday morning.`,
	)
	h := rec.Header()
	if got := h.Get("Vary"); !strings.Contains(got, "Accept") {
		t.Errorf("Vary = %q, want Accept", got)
	}
	if got := h.Get("X-Pingback"); got != "http://blog.test/xmlrpc" {
		t.Errorf("X-Pingback = %q", got)
	}
	if got := h.Get("Link"); got != `<http://blog.test/webmention>; rel="webmention"` {
		t.Errorf("Link = %q", got)
	}
	if got := h.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}

	// Without an image the card is a plain summary.
	rec = f.get("/2012/10/october-news/")
	pubStatus(t, rec, http.StatusOK)
	pubHas(t, rec, `<meta name="twitter:card" content="summary">`)
	pubLacks(t, rec, `og:image`)
}

func TestArticleNotVisible(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	tests := []struct {
		name     string
		path     string
		status   int
		location string
	}{
		{"unknown slug", "/2012/11/no-such-article/", 404, ""},
		{"draft", "/2012/11/draft-post/", 404, ""},
		{"scheduled", "/2012/12/future-post/", 404, ""},
		{"wrong month", "/2012/10/hello-world/", 301, "/2012/11/hello-world/"},
		{"wrong year keeps query", "/2011/11/hello-world/?replytocom=3", 301, "/2012/11/hello-world/?replytocom=3"},
		{"month not a number", "/2012/ab/hello-world/", 404, ""},
		{"wrong month of a draft", "/2012/10/draft-post/", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.get(tt.path)
			pubStatus(t, rec, tt.status)
			if got := rec.Header().Get("Location"); got != tt.location {
				t.Errorf("Location = %q, want %q", got, tt.location)
			}
			if tt.status == 404 {
				// The site's own error page, with its layout and sidebar.
				pubHas(t, rec, `<h1 class="page-title">Page not found</h1>`, `class="site-header"`, "Article Archives")
				pubLacks(t, rec, "Draft secret", "Future secret")
			}
		})
	}
	// A scheduled article appears once its time has come.
	f.Now = func() time.Time { return time.Date(2012, 12, 2, 0, 0, 0, 0, time.UTC) }
	pubStatus(t, f.get("/2012/12/future-post/"), http.StatusOK)
}

func TestArticleInteractions(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	edited := publicNow
	carol := f.remoteActor("carol", "social.example", "Carol")
	dave := f.remoteActor("dave", "other.example", "Dave")
	bob := f.interaction(models.Interaction{AuthorName: "Bob", AuthorEmail: "bob@example.com", AuthorURL: "https://bob.example/", Content: "<p>First comment</p>"})
	reply := f.interaction(models.Interaction{
		Source: models.SourceActivityPub, RemoteActorID: &carol.ID, ParentID: &bob.ID,
		Content: "<p>I agree :blobcat:</p>", Emojis: `[{"name":":blobcat:","url":"https://social.example/emoji/blobcat.png"},{"name":":evil:","url":"javascript:alert(1)"}]`,
		URL: "https://social.example/@carol/42", Summary: "storm talk", Sensitive: true,
		Attachments: `[{"url":"https://social.example/media/photo.jpg","mediaType":"image/jpeg","name":"Flooded street"},{"url":"javascript:alert(2)","mediaType":"image/png","name":"bad"}]`,
		EditedAt:    &edited,
	})
	f.interaction(models.Interaction{Source: models.SourceLocal, LocalAuthorID: &f.alice.ID, ParentID: &reply.ID, Content: "<p>Thanks, Carol!</p>"})
	f.interaction(models.Interaction{AuthorName: "Pending Pete", AuthorEmail: "p@example.com", Content: "<p>not yet</p>", Status: models.StatusPending})
	f.interaction(models.Interaction{Kind: models.KindPingback, Source: models.SourcePingback, Title: "Coverage of the storm", URL: "https://news.example/storm", Content: "<p>A longer story about the same storm.</p>"})
	f.interaction(models.Interaction{Kind: models.KindBoost, Source: models.SourceActivityPub, RemoteActorID: &dave.ID})
	f.interaction(models.Interaction{Kind: models.KindQuote, Source: models.SourceActivityPub, RemoteActorID: &dave.ID, URL: "https://other.example/@dave/9", Content: "<p>Worth reading</p>"})
	f.interaction(models.Interaction{Kind: models.KindLike, Source: models.SourceActivityPub, RemoteActorID: &carol.ID})
	f.interaction(models.Interaction{Kind: models.KindLike, Source: models.SourceActivityPub, RemoteActorID: &dave.ID})

	rec := f.get("/2012/11/hello-world/")
	pubStatus(t, rec, http.StatusOK)
	pubHas(t, rec,
		`3 comments on “Storm hits the coast”`,
		`<a href="https://bob.example/" rel="external nofollow ugc noopener">Bob</a>`,
		`<p>First comment</p>`,
		// Carol's reply is nested under Bob's, alice's answer under Carol's.
		fmt.Sprintf(`<ol class="children">
<li id="comment-%d" class="comment depth-2">`, reply.ID),
		`class="comment depth-3 bypostauthor"`,
		`<span class="author-badge">Author</span>`,
		`<a href="/@alice/">Alice</a>`,
		`<span class="handle">@carol@social.example</span>`,
		`<img class="avatar" src="https://social.example/avatars/carol.png"`,
		`<a href="https://social.example/@carol/42" rel="nofollow ugc noopener"><time`,
		`<span class="edited">(edited)</span>`,
		`<details class="content-warning">
        <summary>storm talk</summary>`,
		`<img class="emoji" src="https://social.example/emoji/blobcat.png" alt=":blobcat:"`,
		`<img src="https://social.example/media/photo.jpg" alt="Flooded street" loading="lazy">`,
		fmt.Sprintf(`href="/2012/11/hello-world/?replytocom=%d#respond"`, bob.ID),
		`<h3 id="pingbacks-title">Pingbacks</h3>`,
		`<a href="https://news.example/storm" rel="nofollow ugc noopener">Coverage of the storm</a>`,
		`A longer story about the same storm.`,
		`Boosted by <a href="https://other.example/@dave" rel="nofollow ugc noopener">Dave</a> <span class="handle">(@dave@other.example)</span>`,
		`Quoted by <a href="https://other.example/@dave"`,
		`Worth reading`,
		`<h3 id="likes-title">2 likes</h3>`,
		`<ul class="facepile">`,
	)
	pubLacks(t, rec, "Pending Pete", "not yet", "javascript:", ":evil:<")

	// ?replytocom= turns the form into an answer to that comment.
	rec = f.get(fmt.Sprintf("/2012/11/hello-world/?replytocom=%d", bob.ID))
	pubHas(t, rec, `Leave a Reply to Bob`, fmt.Sprintf(`name="parent_id" value="%d"`, bob.ID), `Cancel reply`)
	// An unknown one is ignored.
	rec = f.get("/2012/11/hello-world/?replytocom=999")
	pubStatus(t, rec, http.StatusOK)
	pubHas(t, rec, `name="parent_id" value="0"`)
}

func TestArticleThreadDepthLimit(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	var parent *uint
	var ids []uint
	for i := 1; i <= 7; i++ {
		in := f.interaction(models.Interaction{AuthorName: fmt.Sprintf("Level %d", i), AuthorEmail: "x@example.com",
			Content: fmt.Sprintf("<p>level %d</p>", i), ParentID: parent, PublishedAt: publicNow.Add(time.Duration(i-10) * time.Minute)})
		id := in.ID
		parent = &id
		ids = append(ids, id)
	}
	rec := f.get("/2012/11/hello-world/")
	pubStatus(t, rec, http.StatusOK)
	pubHas(t, rec, `7 comments on`, `class="comment depth-5"`)
	pubLacks(t, rec, `depth-6`, `depth-7`)
	// The deepest level offers no Reply link; replies there show flat.
	pubLacks(t, rec, fmt.Sprintf("replytocom=%d#", ids[4]), fmt.Sprintf("replytocom=%d#", ids[6]))
	pubHas(t, rec, fmt.Sprintf("replytocom=%d#", ids[3]))
	body := rec.Body.String()
	if strings.Count(body, `class="comment depth-5"`) != 3 {
		t.Errorf("want levels 5, 6 and 7 shown at depth 5")
	}
}

func TestArticleEscapesCommenterFields(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	f.interaction(models.Interaction{
		AuthorName: `<script>alert("name")</script>`, AuthorEmail: "evil@example.com",
		AuthorURL: `javascript:alert("url")`, Content: "<p>hello</p>",
	})
	f.interaction(models.Interaction{
		AuthorName: `Mallory"><img src=x onerror=alert(1)>`, AuthorEmail: "m@example.com",
		AuthorURL: `https://ok.example/"onmouseover="alert(1)`, Content: "<p>hi</p>",
	})
	f.interaction(models.Interaction{Kind: models.KindPingback, Title: `<b>bold</b><script>x()</script>`, URL: "javascript:alert(3)"})
	rec := f.get("/2012/11/hello-world/")
	pubStatus(t, rec, http.StatusOK)
	pubHas(t, rec, `&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;`, `&lt;b&gt;bold&lt;/b&gt;`)
	pubLacks(t, rec, `<script>alert`, `javascript:`, `<img src=x`, `"onmouseover="`, `<script>x()`, "evil@example.com")
}

func TestArticleAS2IsDelegated(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	rec := f.get("/2012/11/hello-world/", "Accept", "application/activity+json")
	if ct := rec.Header().Get("Content-Type"); rec.Code == http.StatusOK && !strings.Contains(ct, "activity+json") && !strings.Contains(ct, "ld+json") {
		t.Fatalf("AS2 request answered with %s", ct)
	}
	if !strings.Contains(rec.Header().Get("Vary"), "Accept") {
		t.Errorf("Vary = %q", rec.Header().Get("Vary"))
	}
	// Drafts stay hidden from AS2 clients too.
	pubStatus(t, f.get("/2012/11/draft-post/", "Accept", "application/activity+json"), http.StatusNotFound)
}

func TestArticleHiddenAfterDelete(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	if err := f.Store.DeleteArticle(context.Background(), f.hello.ID, publicNow); err != nil {
		t.Fatal(err)
	}
	// Deleted is not "never existed": 410 tells readers and crawlers it is gone.
	pubStatus(t, f.get("/2012/11/hello-world/"), http.StatusGone)
}

func TestRenamedArticleOldPermalinks(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, store *models.Store) {
		ts := newTestServerWith(t, store)
		ad := ts.newAdmin("alice")
		save := func(path, slug, action, date string) *models.Article {
			t.Helper()
			return ad.savedArticle(t, ad.post(path, url.Values{"title": {"Harbour"}, "slug": {slug}, "body": {"Text."}, "published_at": {date}, "action": {action}}))
		}
		x := save("/admin/articles", "harbour", "publish", "2012-11-17T09:00")
		xPath := fmt.Sprintf("/admin/articles/%d", x.ID)
		save(xPath, "harbour-reopens", "publish", "2012-11-17T09:00")
		save(xPath, "harbour-reopens-today", "publish", "2012-11-17T09:00")
		// Another article takes the first slug, as a draft for now.
		y := save("/admin/articles", "harbour", "draft", "2012-11-20T09:00")
		if y.Slug != "harbour" {
			t.Fatalf("the new article got slug %q", y.Slug)
		}
		const current = "/2012/11/harbour-reopens-today/"
		type check struct {
			path, accept string
			status       int
			location     string
		}
		run := func(phase string, checks []check) {
			t.Helper()
			for _, c := range checks {
				rec := ts.get(c.path, "Accept", c.accept)
				if rec.Code != c.status || rec.Header().Get("Location") != c.location {
					t.Errorf("%s: GET %s (%s) = %d to %q, want %d to %q", phase, c.path, c.accept, rec.Code, rec.Header().Get("Location"), c.status, c.location)
				}
			}
		}
		run("renamed twice", []check{
			{"/2012/11/harbour/", "text/html", http.StatusMovedPermanently, current},
			{"/2012/11/harbour-reopens/", "text/html", http.StatusMovedPermanently, current},
			{"/2012/11/harbour-reopens/?replytocom=3", "text/html", http.StatusMovedPermanently, current + "?replytocom=3"},
			{"/2012/11/harbour-reopens/", as2Accept, http.StatusMovedPermanently, current},
			{current, "text/html", http.StatusOK, ""},
			{"/2012/10/harbour-reopens/", "text/html", http.StatusNotFound, ""}, // never its permalink
		})

		// Published, the new article owns its permalink.
		save(fmt.Sprintf("/admin/articles/%d", y.ID), "harbour", "publish", "2012-11-20T09:00")
		run("the slug taken by a new article", []check{
			{"/2012/11/harbour/", "text/html", http.StatusOK, ""},
			{"/2012/11/harbour/", as2Accept, http.StatusOK, ""},
			{"/2012/11/harbour-reopens/", "text/html", http.StatusMovedPermanently, current},
		})

		// Unpublished, the renamed article answers nowhere.
		save(xPath, "harbour-reopens-today", "draft", "2012-11-17T09:00")
		run("unpublished", []check{
			{"/2012/11/harbour-reopens/", "text/html", http.StatusNotFound, ""},
			{current, "text/html", http.StatusNotFound, ""},
			{"/2012/11/harbour/", "text/html", http.StatusOK, ""},
		})
	})
}
