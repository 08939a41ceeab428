package federation

import (
	"net/url"
	"strings"
	"testing"

	"fedpress/models"
)

func TestParseMentionSource(t *testing.T) {
	const target = "https://blog.test/2024/03/hello/"
	targets := []string{target, "https://blog.test/articles/7"}
	page, _ := url.Parse("https://alice.example/notes/1")
	long := strings.Repeat("filler ", 60)

	tests := []struct {
		name        string
		ct          string
		body        string
		links       bool
		title       string
		excerpt     string // substring expected in the excerpt ("-" for empty)
		notExcerpt  string // substring that must not be in it
		flavour     string
		author, url string
	}{
		{
			name: "plain page: title and words around the link",
			body: `<html><head><title> A  post about things </title></head><body><nav>Home About</nav>
				<p>` + long + `I read <a href="` + target + `">this post</a> and agree with most of it. ` + long + `</p></body></html>`,
			links: true, title: "A post about things", excerpt: "I read this post and agree with most of it.",
			notExcerpt: "Home About", flavour: models.MentionMention,
		},
		{
			name: "h-entry reply with h-card author",
			body: `<title>Alice's notes</title><article class="h-entry">
				<p class="p-author h-card"><img class="u-photo" src="/me.jpg" alt=""><a class="p-name u-url" href="/">Alice Example</a></p>
				<a class="u-in-reply-to" href="` + target + `">in reply to</a>
				<div class="e-content">Great post, <b>thanks</b>!</div></article>`,
			links: true, title: "Alice's notes", excerpt: "Great post, thanks!", flavour: models.MentionReply,
			author: "Alice Example", url: "https://alice.example/",
		},
		{
			name: "h-entry with explicit name, summary and implied h-card author",
			body: `<div class="h-entry"><h1 class="p-name">On hello</h1>
				<a class="p-author h-card" href="https://alice.example/about">Alice</a>
				<p class="p-summary">A short summary.</p>
				<div class="e-content"><p>Long text mentioning <a href="https://BLOG.test:443/2024/03/hello#frag">the post</a>.</p></div></div>`,
			links: true, title: "On hello", excerpt: "A short summary.", flavour: models.MentionMention,
			author: "Alice", url: "https://alice.example/about",
		},
		{
			name: "like has no excerpt",
			body: `<title>Liked</title><div class="h-entry"><span class="p-author h-card">Bob</span> liked
				<a class="u-like-of" href="http://blog.test/2024/03/hello">this</a></div>`,
			links: true, title: "Liked", excerpt: "-", flavour: models.MentionLike, author: "Bob",
		},
		{
			name:  "repost via h-cite and the AP id",
			body:  `<div class="h-entry"><div class="u-repost-of h-cite"><a class="u-url" href="https://blog.test/articles/7">x</a></div></div>`,
			links: true, excerpt: "-", flavour: models.MentionRepost,
		},
		{
			name:  "note whose p-name is the content is untitled",
			body:  `<title>Page title</title><div class="h-entry"><div class="p-name e-content">Nice one <a href="` + target + `">here</a></div></div>`,
			links: true, title: "Page title", excerpt: "Nice one here", flavour: models.MentionMention,
		},
		{
			name:  "relative link resolved against <base>",
			body:  `<html><head><base href="https://blog.test/2024/"></head><body><p>See <a href="03/hello/">it</a>.</p></body></html>`,
			links: true, excerpt: "See it.", flavour: models.MentionMention,
		},
		{
			name:  "no link to us",
			body:  `<title>Other</title><p><a href="https://blog.test/2024/03/hello-world/">close but no</a> <a href="https://elsewhere.test/2024/03/hello/">other host</a></p>`,
			links: false,
		},
		{
			name:  "link only in text, not in href",
			body:  `<p>` + target + `</p><script>var a = "<a href='` + target + `'>"</script>`,
			links: false,
		},
		{
			name:  "og:site_name as author fallback",
			body:  `<head><meta property="og:site_name" content="Carol's Blog"><title>T</title></head><p><a href="` + target + `">x</a></p>`,
			links: true, title: "T", author: "Carol's Blog", flavour: models.MentionMention,
		},
		{
			name: "text/plain source", ct: "text/plain; charset=utf-8",
			body:  "Read this: " + target + " it is good",
			links: true, excerpt: "Read this: " + target + " it is good", flavour: models.MentionMention,
		},
		{
			name: "JSON source is not read", ct: "application/json",
			body:  `{"url":"` + target + `"}`,
			links: false,
		},
		{
			name: "latin-1 page is decoded", ct: "text/html; charset=iso-8859-1",
			body:  "<title>Caf\xe9</title><p><a href=\"" + target + "\">x</a></p>",
			links: true, title: "Café", flavour: models.MentionMention,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.ct
			if ct == "" {
				ct = "text/html; charset=utf-8"
			}
			got, err := parseMentionSource([]byte(tt.body), ct, page, targets)
			if err != nil {
				t.Fatal(err)
			}
			if got.Links != tt.links {
				t.Fatalf("Links = %v, want %v", got.Links, tt.links)
			}
			if !tt.links {
				return
			}
			if got.Title != tt.title {
				t.Errorf("Title = %q, want %q", got.Title, tt.title)
			}
			switch {
			case tt.excerpt == "-" && got.Excerpt != "":
				t.Errorf("Excerpt = %q, want none", got.Excerpt)
			case tt.excerpt != "" && tt.excerpt != "-" && !strings.Contains(got.Excerpt, tt.excerpt):
				t.Errorf("Excerpt = %q, want it to contain %q", got.Excerpt, tt.excerpt)
			}
			if tt.notExcerpt != "" && strings.Contains(got.Excerpt, tt.notExcerpt) {
				t.Errorf("Excerpt = %q contains %q", got.Excerpt, tt.notExcerpt)
			}
			if n := len(strings.Fields(got.Excerpt)); n > mentionExcerptWords+2 {
				t.Errorf("Excerpt has %d words", n)
			}
			if got.Flavour != tt.flavour {
				t.Errorf("Flavour = %q, want %q", got.Flavour, tt.flavour)
			}
			if got.AuthorName != tt.author {
				t.Errorf("AuthorName = %q, want %q", got.AuthorName, tt.author)
			}
			if got.AuthorURL != tt.url {
				t.Errorf("AuthorURL = %q, want %q", got.AuthorURL, tt.url)
			}
		})
	}
}

func TestParseMentionSourceAuthorPhoto(t *testing.T) {
	page, _ := url.Parse("https://alice.example/notes/1")
	body := `<div class="h-entry"><a class="p-author h-card" href="/"><img src="/me.jpg" alt="Alice"></a>
		<p class="e-content">Hi <a href="https://blog.test/articles/1">there</a></p></div>`
	got, err := parseMentionSource([]byte(body), "text/html", page, []string{"https://blog.test/articles/1"})
	if err != nil {
		t.Fatal(err)
	}
	if got.AuthorName != "Alice" || got.AuthorURL != "https://alice.example/" || got.AuthorPhoto != "https://alice.example/me.jpg" {
		t.Fatalf("author = %q %q %q", got.AuthorName, got.AuthorURL, got.AuthorPhoto)
	}
}

func TestLinkKey(t *testing.T) {
	base, _ := url.Parse("https://a.test/dir/page")
	tests := []struct{ in, want string }{
		{"https://Blog.Test/2024/03/x/", "blog.test/2024/03/x"},
		{"http://blog.test:80/2024/03/x#c", "blog.test/2024/03/x"},
		{"https://blog.test:8443/x?y=1", "blog.test:8443/x?y=1"},
		{"../other", "a.test/other"},
		{"", "a.test/dir/page"},
		{"mailto:a@b.test", ""},
		{"javascript:alert(1)", ""},
	}
	for _, tt := range tests {
		if got := linkKey(tt.in, base); got != tt.want {
			t.Errorf("linkKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWordWindow(t *testing.T) {
	words := strings.Fields("a b c d e f g h i j")
	tests := []struct {
		start, end, max int
		want            string
	}{
		{0, 0, 20, "a b c d e f g h i j"},
		{5, 6, 4, "… d e f g …"},
		{9, 10, 4, "… g h i j"},
		{0, 1, 3, "a b c …"},
	}
	for _, tt := range tests {
		if got := wordWindow(words, tt.start, tt.end, tt.max); got != tt.want {
			t.Errorf("wordWindow(%d,%d,%d) = %q, want %q", tt.start, tt.end, tt.max, got, tt.want)
		}
	}
}
