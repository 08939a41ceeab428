package web

import (
	"strings"
	"testing"
)

func TestPlainText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain string", "just text", "just text"},
		{"whitespace collapsed", "<p>  a \n\t b   <b>c</b>  </p>", "a b c"},
		{"paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo"},
		{"heading and paragraph", "<h1>T</h1>\n<p>body</p>", "T\n\nbody"},
		{"inline elements do not break", "a<em>b</em><a href=\"x\">c</a>d", "abcd"},
		{"list items on lines", "<ul><li>a</li><li>b</li></ul><p>after</p>", "a\nb\n\nafter"},
		{"br", "a<br>b<br/><br>c", "a\nb\n\nc"},
		{"pre keeps layout", "<pre><code>x := 1\n  y()\n</code></pre><p>z</p>", "x := 1\n  y()\n\nz"},
		{"table cells spaced", "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>", "a b\n1 2"},
		{"entities decoded", "<p>Tom &amp; Jerry &lt;3 &#8212; &nbsp;ok</p>", "Tom & Jerry <3 — ok"},
		{"script and style skipped", "<style>p{}</style><p>a</p><script>x()</script><noscript>n</noscript>", "a"},
		{"nested svg skipped", "<svg><g><svg><text>no</text></svg></g><text>no</text></svg>yes", "yes"},
		{
			"footnotes skipped",
			`<p>Fact<sup id="fnref:1"><a href="#fn:1" class="footnote-ref">1</a></sup>.</p><div class="footnotes"><hr><ol><li><div>note</div></li></ol></div><p>end</p>`,
			"Fact.\n\nend",
		},
		{"figure caption", `<figure><img src="a.jpg" alt="alt"><figcaption>Cap</figcaption></figure>`, "Cap"},
		{"unclosed markup", "<p>a <b>b", "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PlainText(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		words int
		want  string
	}{
		{"short text untouched", "<p>Hello world</p>", 5, "Hello world"},
		{"exact length no ellipsis", "<p>one two three</p>", 3, "one two three"},
		{"cut with ellipsis", "<p>one two three four</p>", 2, "one two…"},
		{"blocks flattened to one line", "<h1>Title</h1><p>first para</p><ul><li>item</li></ul>", 10, "Title first para item"},
		{"dangling punctuation trimmed", "<p>one, two; three</p>", 1, "one…"},
		{"dash-only word dropped", "<p>one — two</p>", 2, "one…"},
		{"zero words", "<p>text</p>", 0, ""},
		{"no text", "<img src=x>", 3, ""},
		{"multibyte", "<p>Grüße aus Köln, schön</p>", 3, "Grüße aus Köln…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Excerpt(tt.in, tt.words); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSlugify(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"Hello World", "hello-world"},
		{"  --Hello,   World!--  ", "hello-world"},
		{"Café crème brûlée", "cafe-creme-brulee"},
		{"Straße in Köln", "strasse-in-koln"},
		{"Œuvre & Æsir, Łódź, Søren, Þór", "oeuvre-aesir-lodz-soren-thor"},
		{"Cafe\u0301 decomposed", "cafe-decomposed"},
		{"Don't stop", "dont-stop"},
		{"It’s here", "its-here"},
		{"Go 1.26 released", "go-1-26-released"},
		{"日本語", "article"},
		{"Hello 日本 world", "hello-world"},
		{"", "article"},
		{"!!!", "article"},
		{"UPPER_snake_Case", "upper-snake-case"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Slugify(tt.in); got != tt.want {
				t.Errorf("Slugify(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSlugifyLength(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"cut at word boundary", strings.Repeat("word ", 30), strings.TrimSuffix(strings.Repeat("word-", 16), "-")},
		{"single long word is hard-cut", strings.Repeat("a", 100), strings.Repeat("a", 80)},
		{"boundary exactly at limit", strings.Repeat("b", 80) + " tail", strings.Repeat("b", 80)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Slugify(tt.in)
			if got != tt.want {
				t.Errorf("got %q (%d), want %q", got, len(got), tt.want)
			}
			if len(got) > maxSlugLen {
				t.Errorf("len %d > %d", len(got), maxSlugLen)
			}
		})
	}
}
