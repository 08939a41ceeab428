package web

import (
	"strings"
	"sync"
	"testing"
)

func TestRenderMarkdown(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		want   string   // exact output, when set
		has    []string // substrings that must appear
		hasNot []string // substrings that must not appear
	}{
		{
			name: "titled image alone becomes figure",
			src:  `![alt text](photo.jpg "Caption")`,
			want: `<figure><img src="photo.jpg" alt="alt text" loading="lazy"><figcaption>Caption</figcaption></figure>` + "\n",
		},
		{
			name: "figure tolerates surrounding whitespace",
			src:  "\n   ![alt text](photo.jpg \"Caption\")   \n\n",
			want: `<figure><img src="photo.jpg" alt="alt text" loading="lazy"><figcaption>Caption</figcaption></figure>` + "\n",
		},
		{
			name: "untitled image stays in a paragraph",
			src:  `![alt text](photo.jpg)`,
			want: `<p><img src="photo.jpg" alt="alt text" loading="lazy"></p>` + "\n",
		},
		{
			name: "titled image inside text stays inline with title",
			src:  `Look: ![alt](photo.jpg "Caption") here`,
			want: `<p>Look: <img src="photo.jpg" alt="alt" title="Caption" loading="lazy"> here</p>` + "\n",
		},
		{
			name:   "blank title is no caption",
			src:    `![alt](photo.jpg "  ")`,
			has:    []string{"<p><img"},
			hasNot: []string{"<figure>"},
		},
		{
			name:   "two images in one paragraph are not a figure",
			src:    `![a](1.jpg "One") ![b](2.jpg "Two")`,
			hasNot: []string{"<figure>"},
		},
		{
			name:   "caption markdown is rendered, caption HTML escaped",
			src:    `![a](p.jpg "A *bold* <b>tag</b> [x](javascript:alert(1))")`,
			has:    []string{"<figcaption>A <em>bold</em> &lt;b&gt;tag&lt;/b&gt; x</figcaption>"},
			hasNot: []string{"<b>", "javascript:"},
		},
		{
			name:   "block syntax in caption stays literal",
			src:    `![a](p.jpg "# not a heading")`,
			has:    []string{"<figcaption># not a heading</figcaption>"},
			hasNot: []string{"<h1"},
		},
		{
			name: "figure inside blockquote",
			src:  `> ![a](p.jpg "Cap")`,
			has:  []string{"<blockquote>\n<figure><img", "<figcaption>Cap</figcaption></figure>"},
		},
		{
			name: "heading ids",
			src:  "# Hello World\n\n## Hello World",
			has:  []string{`<h1 id="hello-world">Hello World</h1>`, `<h2 id="hello-world-1">`},
		},
		{
			name: "typographer smart quotes",
			src:  `"Hello" it's -- fine...`,
			want: "<p>“Hello” it’s – fine…</p>\n",
		},
		{
			name: "strikethrough and autolink",
			src:  "~~gone~~ https://example.com",
			want: `<p><del>gone</del> <a href="https://example.com">https://example.com</a></p>` + "\n",
		},
		{
			name: "task list keeps disabled checkboxes",
			src:  "- [x] done\n- [ ] todo",
			has:  []string{`<input checked="" disabled="" type="checkbox"> done`, `<input disabled="" type="checkbox"> todo`},
		},
		{
			name: "table with alignment",
			src:  "| a | b |\n|:--|--:|\n| 1 | 2 |",
			has:  []string{"<table>", `<th align="left">a</th>`, `<td align="right">2</td>`},
		},
		{
			name: "footnotes",
			src:  "Text[^1].\n\n[^1]: The note.",
			has: []string{
				`<sup id="fnref:1"><a href="#fn:1" class="footnote-ref" role="doc-noteref">1</a></sup>`,
				`<div class="footnotes" role="doc-endnotes">`, `<li id="fn:1">`,
				`<a href="#fnref:1" class="footnote-backref" role="doc-backlink">`,
			},
		},
		{
			name: "fenced code keeps language class",
			src:  "```go\nfmt.Println(\"<x>\")\n```",
			want: `<pre><code class="language-go">fmt.Println(&#34;&lt;x&gt;&#34;)` + "\n</code></pre>\n",
		},
		{
			name:   "raw HTML is allowed but sanitized",
			src:    "<mark>hi</mark> <script>alert(1)</script>\n\n<iframe src=\"https://evil\"></iframe>\n\n<img src=x onerror=alert(1)>",
			has:    []string{"<mark>hi</mark>", `<img src="x">`},
			hasNot: []string{"<script", "alert(1)</script>", "iframe", "onerror"},
		},
		{
			name:   "javascript link in markdown is removed",
			src:    "[click](javascript:alert(1)) ![x](javascript:alert(2))",
			hasNot: []string{"javascript:", "href"},
		},
		{
			name: "rel=me survives for profile verification",
			src:  `<a href="https://social.example/@me" rel="me">me</a>`,
			has:  []string{`rel="me"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RenderMarkdown(tt.src)
			if err != nil {
				t.Fatalf("RenderMarkdown: %v", err)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
			for _, s := range tt.has {
				if !strings.Contains(got, s) {
					t.Errorf("output lacks %q:\n%s", s, got)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(got, s) {
					t.Errorf("output contains %q:\n%s", s, got)
				}
			}
		})
	}
}

func TestRenderMarkdownImageSize(t *testing.T) {
	sizes := map[string][2]int{"photo.jpg": {640, 480}, "my pic.png": {10, 20}}
	opts := MarkdownOptions{ImageSize: func(src string) (int, int, bool) {
		s, ok := sizes[src]
		return s[0], s[1], ok
	}}
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"figure", `![a](photo.jpg "Cap")`,
			`<figure><img src="photo.jpg" alt="a" width="640" height="480" loading="lazy"><figcaption>Cap</figcaption></figure>` + "\n"},
		{"plain image", `![a](photo.jpg)`,
			`<p><img src="photo.jpg" alt="a" width="640" height="480" loading="lazy"></p>` + "\n"},
		{"unescaped lookup key", `![a](<my pic.png>)`,
			`<p><img src="my%20pic.png" alt="a" width="10" height="20" loading="lazy"></p>` + "\n"},
		{"unknown size", `![a](other.jpg)`,
			`<p><img src="other.jpg" alt="a" loading="lazy"></p>` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RenderMarkdownOpts(tt.src, opts)
			if err != nil {
				t.Fatalf("RenderMarkdownOpts: %v", err)
			}
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// The goldmark instance and policies are shared; run with -race.
func TestRenderMarkdownConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opts := MarkdownOptions{ImageSize: func(string) (int, int, bool) { return i + 1, i + 1, true }}
			got, err := RenderMarkdownOpts("# T\n\n![a](p.jpg \"C\")\n\nx[^1]\n\n[^1]: n", opts)
			if err != nil {
				t.Error(err)
				return
			}
			if !strings.Contains(got, `<h1 id="t">`) || !strings.Contains(got, "<figure>") {
				t.Errorf("unexpected output %q", got)
			}
		}()
	}
	wg.Wait()
}

func TestImageRefs(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []ImageRef
	}{
		{"none", "just *text* and [a link](x.jpg)", nil},
		{
			"inline, reference, escapes, order",
			"Intro ![a *b*](img/one.jpg \"T1\") then ![c][ref]\n\n" +
				"> ![q](<my photo.png>)\n\n" +
				"- ![x](y\\(1\\).png 'single &amp; more')\n\n" +
				"[ref]: ./two.jpg \"Two\"\n",
			[]ImageRef{
				{Src: "img/one.jpg", Alt: "a b", Title: "T1"},
				{Src: "./two.jpg", Alt: "c", Title: "Two"},
				{Src: "my photo.png", Alt: "q"},
				{Src: "y(1).png", Alt: "x", Title: "single & more"},
			},
		},
		{
			"image in code is not an image",
			"`![a](b.jpg)`\n\n    ![c](d.jpg)\n",
			nil,
		},
		{
			"alt entities decoded",
			`![Tom &amp; Jerry <3](t.gif)`,
			[]ImageRef{{Src: "t.gif", Alt: "Tom & Jerry <3"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ImageRefs(tt.src)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d refs %#v, want %d %#v", len(got), got, len(tt.want), tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("ref %d: got %#v, want %#v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestRewriteImageSrc(t *testing.T) {
	toMedia := func(old string) (string, bool) {
		if strings.HasPrefix(old, "/") || strings.Contains(old, "://") {
			return "", false
		}
		return "/media/" + strings.TrimPrefix(old, "./"), true
	}
	tests := []struct {
		name    string
		src     string
		rewrite func(string) (string, bool)
		want    string
	}{
		{
			"inline with title, rest byte-identical",
			"# Title\n\nSome  *text*  ![alt](photo.jpg \"Cap (1)\")\ttrailing  \n",
			toMedia,
			"# Title\n\nSome  *text*  ![alt](/media/photo.jpg \"Cap (1)\")\ttrailing  \n",
		},
		{
			"several images, skip remote and absolute",
			"![a](a.png) ![b](https://x.org/b.png) ![c](/media/c.png)\n![d](./d.png 'D')",
			toMedia,
			"![a](/media/a.png) ![b](https://x.org/b.png) ![c](/media/c.png)\n![d](/media/d.png 'D')",
		},
		{
			"reference definition rewritten once",
			"![a][r] and ![b][r]\n\n[r]: pics/r.jpg \"R\"\n",
			toMedia,
			"![a][r] and ![b][r]\n\n[r]: /media/pics/r.jpg \"R\"\n",
		},
		{
			"links are untouched",
			"[doc](file.pdf) ![img](file.png)",
			toMedia,
			"[doc](file.pdf) ![img](/media/file.png)",
		},
		{
			"angle destination keeps angles",
			"![a](<my photo.jpg> \"T\")",
			toMedia,
			"![a](</media/my photo.jpg> \"T\")",
		},
		{
			"new value with space gets angles",
			"![a](x.jpg)",
			func(string) (string, bool) { return "a b.jpg", true },
			"![a](<a b.jpg>)",
		},
		{
			"new value with parens and backslash is escaped",
			"![a](x.jpg)",
			func(string) (string, bool) { return `p(1)\&amp.jpg`, true },
			`![a](p\(1\)\\&amp;amp.jpg)`,
		},
		{
			"escaped old value is passed unescaped",
			`![a](y\(1\).png)`,
			func(old string) (string, bool) { return "/m/" + old, old == "y(1).png" },
			`![a](/m/y\(1\).png)`,
		},
		{
			"code spans untouched",
			"`![a](x.jpg)` ![b](x.jpg)",
			toMedia,
			"`![a](x.jpg)` ![b](/media/x.jpg)",
		},
		{
			"multibyte text before image",
			"Grüße ✓ ![ä](bild.jpg)",
			toMedia,
			"Grüße ✓ ![ä](/media/bild.jpg)",
		},
		{
			"declined rewrite returns input",
			"![a](x.jpg)",
			func(string) (string, bool) { return "", false },
			"![a](x.jpg)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RewriteImageSrc(tt.src, tt.rewrite)
			if got != tt.want {
				t.Fatalf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// Whatever the rewrite returns must parse back to exactly that value.
func TestRewriteImageSrcRoundTrip(t *testing.T) {
	values := []string{
		"/media/a.jpg", "a b.jpg", "p(1).jpg", "un)balanced(", `back\slash`,
		"amp&amp;x", "<angle>", "quote\"d", "tab\there", "ü.jpg", "",
	}
	for _, src := range []string{"![a](x.jpg \"T\")", "![a](<x y.jpg>)"} {
		for _, v := range values {
			out := RewriteImageSrc(src, func(string) (string, bool) { return v, true })
			refs := ImageRefs(out)
			want := v
			if v == "tab\there" {
				want = "tab%09here" // control characters are percent-encoded
			}
			if len(refs) != 1 || refs[0].Src != want {
				t.Errorf("%q with %q: rewrote to %q, parsed back %#v", src, v, out, refs)
			}
		}
	}
}
