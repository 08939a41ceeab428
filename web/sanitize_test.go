package web

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// xssCorpus holds classic payloads; none of their active parts may survive
// either sanitizer.
var xssCorpus = []struct{ name, in string }{
	{"script tag", `<p>hi</p><script>alert(1)</script>`},
	{"script mixed case", `<ScRiPt src="https://evil/x.js"></sCrIpT>`},
	{"img onerror", `<img src="x" onerror="alert(1)">`},
	{"img onerror unquoted", `<img src=x onerror=alert(1)//>`},
	{"javascript href", `<a href="javascript:alert(1)">x</a>`},
	{"javascript href upper", `<a href="JaVaScRiPt:alert(1)">x</a>`},
	{"javascript href tab entity", `<a href="jav&#x09;ascript:alert(1)">x</a>`},
	{"javascript href newline entity", `<a href="jav&#x0A;ascript:alert(1)">x</a>`},
	{"javascript href numeric entities", `<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>`},
	{"javascript href leading space", `<a href=" javascript:alert(1)">x</a>`},
	{"vbscript href", `<a href="vbscript:msgbox(1)">x</a>`},
	{"data href", `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`},
	{"data img", `<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`},
	{"javascript img src", `<img src="javascript:alert(1)">`},
	{"svg onload", `<svg onload="alert(1)"><circle r="1"/></svg>`},
	{"svg script", `<svg><script>alert(1)</script></svg>`},
	{"style element", `<style>body{background:url("javascript:alert(1)")}</style><p>x</p>`},
	{"style attribute expression", `<p style="width:expression(alert(1))">x</p>`},
	{"style attribute url", `<span style="background-image:url(javascript:alert(1))">x</span>`},
	{"iframe", `<iframe src="https://evil.example/"></iframe>`},
	{"iframe srcdoc", `<iframe srcdoc="<script>alert(1)</script>"></iframe>`},
	{"form", `<form action="https://evil/steal"><input name="pw" type="password"><button>go</button></form>`},
	{"object embed", `<object data="x.swf"></object><embed src="x.swf">`},
	{"meta refresh", `<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`},
	{"base href", `<base href="javascript:alert(1)//">`},
	{"link stylesheet", `<link rel="stylesheet" href="https://evil/x.css">`},
	{"event on anchor", `<a href="https://ok.example" onclick="alert(1)" onmouseover="alert(2)">x</a>`},
	{"unclosed tag", `<p>ok <img src=x onerror=alert(1) <b>bold`},
	{"unclosed script", `<p>ok</p><script>alert(1)`},
	{"broken comment", `<!--<script>--><script>alert(1)</script>`},
	{"nested quotes", `<a href="https://ok.example" title="x" onfocus="alert(1)" autofocus>x</a>`},
	{"math href", `<math><mi xlink:href="javascript:alert(1)">x</mi></math>`},
	{"details ontoggle", `<details open ontoggle="alert(1)"><summary>s</summary></details>`},
	{"input autofocus onfocus", `<input type="checkbox" onfocus="alert(1)" autofocus>`},
	{"textarea breakout", `<textarea></textarea><script>alert(1)</script></textarea>`},
	{"noscript breakout", `<noscript><p title="</noscript><img src=x onerror=alert(1)>">`},
}

// activeParts must never appear in sanitized output, whatever the case.
var activeParts = []string{
	"<script", "</script", "onerror", "onload", "onclick", "onmouseover", "onfocus",
	"ontoggle", "javascript:", "vbscript:", "data:", "<style", "style=", "expression(",
	"<iframe", "srcdoc", "<form", "<svg", "<object", "<embed", "<meta", "<base",
	"<link", "<math", "<textarea", "<button", "type=\"password\"",
}

// checkInert parses out and fails on any element or attribute outside
// allowed, any event handler, and any URL with a non-web scheme.
func checkInert(t *testing.T, out string, allowed map[string][]string) {
	t.Helper()
	lower := strings.ToLower(out)
	for _, p := range activeParts {
		if strings.Contains(lower, p) {
			t.Errorf("output contains %q: %s", p, out)
		}
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		attrs, ok := allowed[tok.Data]
		if !ok {
			t.Errorf("element <%s> not allowed: %s", tok.Data, out)
			continue
		}
		for _, a := range tok.Attr {
			if !contains(attrs, a.Key) {
				t.Errorf("attribute %s on <%s> not allowed: %s", a.Key, tok.Data, out)
			}
			if a.Key == "href" || a.Key == "src" {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				if i := strings.IndexByte(v, ':'); i >= 0 && !strings.ContainsAny(v[:i], "/?#") {
					if s := v[:i]; s != "http" && s != "https" && s != "mailto" {
						t.Errorf("%s with scheme %q: %s", a.Key, s, out)
					}
				}
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var remoteAllowed = map[string][]string{
	"a": {"href", "class", "rel"}, "span": {"class"}, "p": nil, "br": nil,
	"ul": nil, "ol": nil, "li": nil, "code": nil, "pre": nil, "blockquote": nil,
	"strong": nil, "em": nil, "b": nil, "i": nil, "u": nil, "del": nil, "s": nil,
}

var articleAllowed = func() map[string][]string {
	common := []string{"id", "title", "lang", "dir"}
	m := map[string][]string{
		"a":     {"href", "rel", "class", "role"},
		"img":   {"src", "alt", "width", "height", "loading", "align", "usemap"},
		"input": {"type", "checked", "disabled"},
		"code":  {"class"}, "div": {"class", "role"}, "section": {"class", "role"},
		"details": {"open"}, "td": {"align", "valign"}, "th": {"align", "valign"},
	}
	for _, e := range strings.Fields(`p br span ul ol li pre blockquote strong em b i u del ins s
		sup sub hr figure figcaption h1 h2 h3 h4 h5 h6 summary abbr mark table thead tbody tr
		caption small`) {
		m[e] = nil
	}
	for e, attrs := range m {
		m[e] = append(attrs, common...)
	}
	return m
}()

func TestSanitizeXSS(t *testing.T) {
	for _, tc := range xssCorpus {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("article", func(t *testing.T) { checkInert(t, SanitizeArticle(tc.in), articleAllowed) })
			t.Run("remote", func(t *testing.T) { checkInert(t, SanitizeRemote(tc.in), remoteAllowed) })
		})
	}
}

// Markdown is the path authors actually use; the same payloads must die there.
func TestRenderMarkdownXSS(t *testing.T) {
	for _, tc := range xssCorpus {
		t.Run(tc.name, func(t *testing.T) {
			out, err := RenderMarkdown("Intro\n\n" + tc.in + "\n\n[x](" + "javascript:alert(1))")
			if err != nil {
				t.Fatal(err)
			}
			checkInert(t, out, articleAllowed)
		})
	}
}

func TestSanitizeRemote(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			"mastodon mention keeps markup and gets rel",
			`<span class="h-card"><a href="https://x/@a" class="u-url mention">@<span>a</span></a></span>`,
			`<span class="h-card"><a href="https://x/@a" class="u-url mention" rel="nofollow ugc noopener">@<span>a</span></a></span>`,
		},
		{
			"mastodon hashtag, foreign rel and target replaced",
			`<a href="https://x/tags/go" class="mention hashtag" rel="tag" target="_blank">#<span>go</span></a>`,
			`<a href="https://x/tags/go" class="mention hashtag" rel="nofollow ugc noopener">#<span>go</span></a>`,
		},
		{
			"mastodon long link spans",
			`<p><a href="https://example.com/long/path" rel="nofollow noopener noreferrer" translate="no" target="_blank"><span class="invisible">https://</span><span class="ellipsis">example.com/long</span><span class="invisible">/path</span></a></p>`,
			`<p><a href="https://example.com/long/path" rel="nofollow ugc noopener"><span class="invisible">https://</span><span class="ellipsis">example.com/long</span><span class="invisible">/path</span></a></p>`,
		},
		{
			"unknown classes dropped, known kept",
			`<span class="h-card evil-overlay">x</span><span class="fullscreen">y</span>`,
			`<span class="h-card">x</span><span>y</span>`,
		},
		{
			"mailto allowed",
			`<a href="mailto:a@b.example">mail</a>`,
			`<a href="mailto:a@b.example" rel="nofollow ugc noopener">mail</a>`,
		},
		{
			"relative and ftp links lose href",
			`<a href="/local">l</a> <a href="ftp://x.example/f">f</a>`,
			`l f`,
		},
		{
			"images and headings removed, text kept",
			`<h1>Title</h1><p>text<img src="https://x/e.png" alt=":emoji:"></p>`,
			`Title<p>text</p>`,
		},
		{
			"formatting kept",
			`<p><strong>b</strong> <em>e</em> <b>b</b> <i>i</i> <u>u</u> <del>d</del> <s>s</s> <code>c</code></p><pre>p</pre><blockquote>q</blockquote><ul><li>1</li></ul><ol><li>2</li></ol>a<br>b`,
			`<p><strong>b</strong> <em>e</em> <b>b</b> <i>i</i> <u>u</u> <del>d</del> <s>s</s> <code>c</code></p><pre>p</pre><blockquote>q</blockquote><ul><li>1</li></ul><ol><li>2</li></ol>a<br>b`,
		},
		{
			"entities preserved",
			`<p>a &amp; b &lt;c&gt; “q”</p>`,
			`<p>a &amp; b &lt;c&gt; “q”</p>`,
		},
		{"empty", ``, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SanitizeRemote(tt.in); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestSanitizeArticle(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			"figure with lazy image",
			`<figure><img src="/media/a.jpg" alt="A" width="640" height="480" loading="lazy"><figcaption>Cap</figcaption></figure>`,
			`<figure><img src="/media/a.jpg" alt="A" width="640" height="480" loading="lazy"><figcaption>Cap</figcaption></figure>`,
		},
		{
			"bad loading value dropped",
			`<img src="a.jpg" loading="javascript">`,
			`<img src="a.jpg">`,
		},
		{
			"heading ids kept, junk ids dropped",
			`<h2 id="intro">I</h2><h3 id="a b">x</h3>`,
			`<h2 id="intro">I</h2><h3>x</h3>`,
		},
		{
			"code language class only",
			`<pre><code class="language-go">x</code></pre><code class="evil">y</code>`,
			`<pre><code class="language-go">x</code></pre><code>y</code>`,
		},
		{
			"details, abbr, mark, ins, del",
			`<details><summary>S</summary><abbr title="HyperText">HT</abbr> <mark>m</mark> <ins>i</ins> <del>d</del></details>`,
			`<details><summary>S</summary><abbr title="HyperText">HT</abbr> <mark>m</mark> <ins>i</ins> <del>d</del></details>`,
		},
		{
			"non-checkbox input removed, checkbox forced read-only",
			`<input type="text" value="x"><input name="q"><input type="checkbox" checked>`,
			`<input type="checkbox" checked="" disabled="">`,
		},
		{
			"author links are not nofollowed",
			`<a href="https://example.com/">x</a>`,
			`<a href="https://example.com/">x</a>`,
		},
		{
			"target not allowed",
			`<a href="https://example.com/" target="_blank">x</a>`,
			`<a href="https://example.com/">x</a>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SanitizeArticle(tt.in); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
