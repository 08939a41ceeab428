package web

import (
	"bytes"
	"html/template"
	"strings"
	"testing"
	"time"
)

func TestFuncNamesDistinct(t *testing.T) {
	pub := publicFuncs()
	for name := range adminFuncs() {
		if _, dup := pub[name]; dup {
			t.Errorf("admin template func %q shadows a public one", name)
		}
	}
}

func TestFormatting(t *testing.T) {
	d := time.Date(2012, 11, 17, 22, 4, 0, 0, time.UTC)
	var nilTime *time.Time
	tests := []struct{ got, want string }{
		{FormatDate(d), "November 17, 2012"},
		{FormatDate(&d), "November 17, 2012"},
		{FormatDate(nilTime), ""},
		{FormatDate(time.Time{}), ""},
		{FormatDateTime(d), "November 17, 2012 at 10:04 pm"},
		{FormatRFC3339(d.In(time.FixedZone("x", 3600))), "2012-11-17T22:04:00Z"},
		{Plural(1, "comment", "comments"), "1 comment"},
		{Plural(int64(0), "comment", "comments"), "0 comments"},
		{Plural(12, "like", "likes"), "12 likes"},
		{CommentCount(0), "No comments"},
		{CommentCount(int64(1)), "1 comment"},
		{CommentCount(3), "3 comments"},
		{Initial("  élodie"), "É"},
		{Initial("@@"), "?"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q, want %q", i, tt.got, tt.want)
		}
	}
	if AvatarClass("Bob") != AvatarClass(" bob ") {
		t.Error("avatar class depends on case or spaces")
	}
}

func TestTextToHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hello", "<p>Hello</p>"},
		{"a\nb", "<p>a<br>b</p>"},
		{"a\r\n\r\nb", "<p>a</p><p>b</p>"},
		{"one\n\n\n  \ntwo  \nthree", "<p>one</p><p>two<br>three</p>"},
		{`<script>x("y")</script> & co`, "<p>&lt;script&gt;x(&#34;y&#34;)&lt;/script&gt; &amp; co</p>"},
		{"   ", ""},
	}
	for _, tt := range tests {
		if got := TextToHTML(tt.in); got != tt.want {
			t.Errorf("TextToHTML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEmojify(t *testing.T) {
	emojis := map[string]string{
		"blobcat": "https://e.example/blobcat.png",
		":wave:":  "https://e.example/w.png?a=1&b=2",
		"evil":    "javascript:alert(1)",
		"data":    "data:image/png;base64,AAAA",
	}
	tests := []struct{ in, want string }{
		{"<p>hi :blobcat:</p>", `<p>hi <img class="emoji" src="https://e.example/blobcat.png" alt=":blobcat:" title=":blobcat:" width="20" height="20" loading="lazy"></p>`},
		{"<p>:wave:</p>", `<p><img class="emoji" src="https://e.example/w.png?a=1&amp;b=2" alt=":wave:" title=":wave:" width="20" height="20" loading="lazy"></p>`},
		{"<p>:evil: :data: :unknown:</p>", "<p>:evil: :data: :unknown:</p>"},
		{`<p><a href="https://x.example/:blobcat:">link</a></p>`, `<p><a href="https://x.example/:blobcat:">link</a></p>`},
		{"<p><code>:blobcat:</code></p>", "<p><code>:blobcat:</code></p>"},
		{"<p>no colons</p>", "<p>no colons</p>"},
	}
	for _, tt := range tests {
		if got := Emojify(tt.in, emojis); got != tt.want {
			t.Errorf("Emojify(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestAbsoluteURLs(t *testing.T) {
	in := `<p><img src="/media/a.jpg" alt="A"> <a href="/2012/11/x/">x</a> <a href="//cdn.example/y">y</a> <a href="https://o.example/">o</a> <a href="#fn1">1</a></p>`
	want := `<p><img src="https://blog.example/media/a.jpg" alt="A"> <a href="https://blog.example/2012/11/x/">x</a> <a href="//cdn.example/y">y</a> <a href="https://o.example/">o</a> <a href="#fn1">1</a></p>`
	if got := AbsoluteURLs(in, "https://blog.example/"); got != want {
		t.Errorf("AbsoluteURLs\n got %s\nwant %s", got, want)
	}
	// Resized copies too: a feed reader resolves them against nothing.
	in = `<img src="/media/p.jpg" srcset="/media/p-480w.jpg 480w, /media/p.jpg 900w" sizes="100vw">`
	want = `<img src="https://blog.example/media/p.jpg" srcset="https://blog.example/media/p-480w.jpg 480w, https://blog.example/media/p.jpg 900w" sizes="100vw">`
	if got := AbsoluteURLs(in, "https://blog.example/"); got != want {
		t.Errorf("AbsoluteURLs with srcset\n got %s\nwant %s", got, want)
	}
}

func TestFirstImage(t *testing.T) {
	src, alt := FirstImage(`<p>x</p><figure><img src="/media/a.jpg" alt="A &amp; B"><figcaption>c</figcaption></figure><img src="/media/b.jpg" alt="B">`)
	if src != "/media/a.jpg" || alt != "A & B" {
		t.Errorf("FirstImage = %q, %q", src, alt)
	}
	if src, _ := FirstImage("<p>none</p>"); src != "" {
		t.Errorf("FirstImage of text = %q", src)
	}
}

func TestArticleExcerpt(t *testing.T) {
	in := `<p>Storm came.</p><figure><img src="/a.jpg" alt="x"><figcaption>Waves at the <em>harbour</em></figcaption></figure><p>People left.</p>`
	if got := ArticleExcerpt(in, 55); got != "Storm came. People left." {
		t.Errorf("ArticleExcerpt = %q", got)
	}
	if got := ArticleExcerpt("<p>one two three</p>", 2); got != "one two…" {
		t.Errorf("ArticleExcerpt cut = %q", got)
	}
}

func TestHTTPURL(t *testing.T) {
	for in, ok := range map[string]bool{
		"https://a.example/x": true, "http://a.example": true, " https://a.example ": true,
		"javascript:alert(1)": false, "//a.example": false, "/local": false, "https://": false,
		"mailto:a@b.example": false, "data:text/html,x": false,
	} {
		if _, got := HTTPURL(in); got != ok {
			t.Errorf("HTTPURL(%q) ok = %v, want %v", in, got, ok)
		}
	}
}

func TestStaticURL(t *testing.T) {
	u := StaticURL("style.css")
	if !strings.HasPrefix(u, "/static/style.css?v=") || len(u) <= len("/static/style.css?v=") {
		t.Errorf("StaticURL = %q", u)
	}
	if got := StaticURL("missing.css"); got != "/static/missing.css" {
		t.Errorf("StaticURL(missing) = %q", got)
	}
}

// Every site page must render through the layout with a minimal Page-like
// value; this catches template typos without the handlers.
func TestSiteTemplatesParse(t *testing.T) {
	v, err := NewViews()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"site/home", "site/article", "site/archive", "site/profile", "site/error"} {
		if !v.Has(name) {
			t.Errorf("missing template %s", name)
		}
	}
	tmpl := template.Must(template.New("t").Funcs(Funcs()).Parse(`{{date .}} {{commentCount 2}} {{monthYear 2012 11}} {{pad2 3}}`))
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, time.Date(2012, 11, 17, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "November 17, 2012 2 comments November 2012 03" {
		t.Errorf("funcs = %q", got)
	}
}
