package handlers

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"fedpress/models"
)

func TestHomeShow(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	f.interaction(models.Interaction{AuthorName: "Bob", AuthorEmail: "bob@example.com", Content: "<p>Hi</p>"})

	rec := f.get("/")
	pubStatus(t, rec, http.StatusOK)
	pubHas(t, rec,
		`<title>fedpress – A federated blog</title>`,
		`<a href="/2012/11/hello-world/" rel="bookmark">Storm hits the coast</a>`,
		`<time datetime="2012-11-17T10:00:00Z">November 17, 2012</time>`,
		`<a class="author" href="/@alice/">Alice</a>`,
		`The storm reached the coast on Saturday morning.`,
		`<img src="/media/waves.jpg" alt="" loading="lazy">`, // first image as thumbnail
		`1 comment<span class="screen-reader-text"> on “Storm hits the coast”</span>`,
		`No comments<span class="screen-reader-text"> on “October round-up”</span>`,
		`<a href="/tag/asia-pacific/" rel="tag">Asia Pacific</a>`,
		// Site-wide parts of every page.
		`<link rel="alternate" type="application/rss+xml" title="fedpress » Feed" href="/feed.xml">`,
		`href="/atom.xml"`, `href="/comments/feed.xml"`,
		`<link rel="canonical" href="http://blog.test/">`,
		`<a class="skip-link" href="#content">Skip to content</a>`,
		`<main id="content"`,
		`<h2 class="widget-title" id="widget-archives-title">Article Archives</h2>`,
		`<a href="/2012/11/">November 2012</a>&nbsp;(1)`,
		`<a href="/2012/10/">October 2012</a>&nbsp;(1)`,
		`@blog@blog.test`,
		`<meta property="og:type" content="website">`,
	)
	pubLacks(t, rec, "Draft secret", "Future secret", "December 2012", "Older posts")
}

func TestHomePagination(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	ctx := context.Background()
	st, err := f.Store.GetSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.PostsPerPage = 2
	if err := f.Store.SaveSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		f.article(f.alice, fmt.Sprintf("extra-%d", i), fmt.Sprintf("Extra %d", i), "x", time.Date(2012, 11, i, 8, 0, 0, 0, time.UTC))
	}
	// 5 visible articles, 2 per page: pages 1..3.
	tests := []struct {
		path       string
		status     int
		want, lack []string
	}{
		{"/", 200, []string{`href="/?page=2" rel="next"`, `<link rel="next" href="/?page=2">`, "Page 1 of 3", "Storm hits the coast"}, []string{`rel="prev"`}},
		{"/?page=2", 200, []string{`href="/?page=3" rel="next"`, `href="/" rel="prev"`, "Newer posts", "Older posts", `<link rel="canonical" href="http://blog.test/?page=2">`}, []string{"Storm hits the coast"}},
		{"/?page=3", 200, []string{`href="/?page=2" rel="prev"`, "October round-up"}, []string{"Older posts"}},
		{"/?page=4", 404, nil, nil},
		{"/?page=0", 404, nil, nil},
		{"/?page=abc", 404, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := f.get(tt.path)
			pubStatus(t, rec, tt.status)
			pubHas(t, rec, tt.want...)
			pubLacks(t, rec, tt.lack...)
		})
	}
}

func TestHomeEmptyBlog(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	rec := ts.get("/")
	pubStatus(t, rec, http.StatusOK)
	pubHas(t, rec, "No articles have been published yet.")
	pubLacks(t, rec, "Article Archives")
}
