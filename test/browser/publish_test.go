package browser

import (
	"encoding/xml"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fedpress/test/testproc"
)

// The new author of TestBrowserWritePublishComment.
const (
	authorName     = "Ada Lovelace"
	authorUsername = "ada"
	authorPassword = "correct horse battery"
)

// articleDOM is what the permalink page shows, read from the DOM.
type articleDOM struct {
	Title   string `json:"title"`
	Figures []struct {
		Caption string `json:"caption"`
		Src     string `json:"src"`
		Alt     string `json:"alt"`
	} `json:"figures"`
	Tags []struct {
		Name string `json:"name"`
		Href string `json:"href"`
	} `json:"tags"`
	CommentsTitle string `json:"commentsTitle"`
	MetaCount     string `json:"metaCount"`
	Comments      []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Href string `json:"href"`
		Rel  string `json:"rel"`
		Text string `json:"text"`
	} `json:"comments"`
	Pending string `json:"pending"`
	HasForm bool   `json:"hasForm"`
}

const articleDOMJS = `(() => {
  const q = (s, r) => (r || document).querySelector(s);
  const qa = (s, r) => Array.from((r || document).querySelectorAll(s));
  const text = (e) => e ? e.textContent.replace(/\s+/g, " ").trim() : "";
  const attr = (e, n) => (e && e.getAttribute(n)) || "";
  return {
    title: text(q("h1.entry-title")),
    figures: qa(".entry-content figure").map(f => ({
      caption: text(q("figcaption", f)), src: attr(q("img", f), "src"), alt: attr(q("img", f), "alt"),
    })),
    tags: qa(".entry-footer a[rel~=tag]").map(a => ({name: text(a), href: attr(a, "href")})),
    commentsTitle: text(q("#comments-title")),
    metaCount: text(q(".entry-meta a[href='#comments']")),
    comments: qa(".comment-list li.comment").map(li => ({
      id: li.id, name: text(q(".fn", li)), href: attr(q(".fn a", li), "href"),
      rel: attr(q(".fn a", li), "rel"), text: text(q(".comment-content", li)),
    })),
    pending: text(q(".notice-pending")),
    hasForm: !!q("form.comment-form"),
  };
})()`

// listDOMJS reads the article links of a listing (home, archives, tags).
const listDOMJS = `Array.from(document.querySelectorAll(".post-summary .entry-title a")).map(a => ({
  title: a.textContent.replace(/\s+/g, " ").trim(), href: a.getAttribute("href")}))`

type listLink struct {
	Title string `json:"title"`
	Href  string `json:"href"`
}

var reMediaSnippet = regexp.MustCompile(`!\[([^\]]*)\]\(/media/([0-9A-Za-z._-]+) "([^"]*)"\)`)

// TestBrowserWritePublishComment walks the first hour of a new blog in
// Chromium: setup from the printed link, an article with two uploaded
// images and tags, a reader's comment held for moderation, approval, and
// the article on the archive, tag and feed pages.
func TestBrowserWritePublishComment(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	srv := newServer(t)
	srv.start(t)
	setupURL := srv.setupURL(t)
	t.Logf("fedpress at %s; setup URL %s", srv.base, setupURL)

	author := newBrowser(t, "author")
	reader := author.incognito("reader")
	dir := t.TempDir()

	const (
		title       = "Tea & dumplings in Ulaanbaatar"
		alt1, cap1  = "A red gradient in a dark frame", "Sunrise over the steppe"
		alt2, cap2  = "A blue gradient in a dark frame", "The Naadam arena at dusk"
		commentText = "What a lovely trip! Greetings from the reader test (marker 7f3a)."
		readerName  = "Rita Reader"
		readerSite  = "https://rita.example.org/"
	)
	tags := []string{"Mongolia", "Food and drink"}
	var permalink string // "/2026/05/slug/"

	s := newSteps(t)

	s.run("setup", nil, func(t *testing.T) {
		if status, err := author.open(setupURL); err != nil || status != 200 {
			t.Fatalf("GET %s: status %d, %v\n%s", setupURL, status, err, author.text())
		}
		if err := author.do(
			chromedp.SendKeys(chromedp.ID("name"), authorName),
			chromedp.SendKeys(chromedp.ID("username"), authorUsername),
			chromedp.SendKeys(chromedp.ID("password"), authorPassword),
			chromedp.SendKeys(chromedp.ID("password2"), authorPassword),
		); err != nil {
			t.Fatalf("fill the setup form: %v\n%s", err, author.html("form"))
		}
		status, err := author.submit(chromedp.Click(chromedp.CSS(`form[action="/setup"] button[type=submit]`)))
		if err != nil || status != 200 {
			t.Fatalf("submit setup: status %d, %v; now at %s\n%s", status, err, author.location(), author.text())
		}
		if loc := author.location(); !strings.HasSuffix(loc, "/admin/") {
			t.Fatalf("after setup the browser is at %s, want the dashboard /admin/\n%s", loc, author.text())
		}
		user, _ := eval[string](author, `(document.querySelector(".admin-bar-user")||{textContent:""}).textContent`)
		if !strings.Contains(user, authorName) || !strings.Contains(user, "@"+authorUsername) {
			t.Fatalf("the admin bar does not show the new author %q @%s: %q\n%s", authorName, authorUsername, user, author.html("header"))
		}
	})

	s.run("write-and-publish", []string{"setup"}, func(t *testing.T) {
		png1, png2 := filepath.Join(dir, "steppe.png"), filepath.Join(dir, "naadam.png")
		writePNG(t, png1, 320, 200, color.RGBA{230, 60, 40, 255})
		writePNG(t, png2, 240, 240, color.RGBA{40, 90, 230, 255})

		if status, err := author.open(srv.base + "/admin/articles/new/"); err != nil || status != 200 {
			t.Fatalf("GET /admin/articles/new/: status %d, %v\n%s", status, err, author.text())
		}
		if err := author.do(
			chromedp.SendKeys(chromedp.ID("title"), title),
			chromedp.SendKeys(chromedp.ID("body"), "We flew in at dawn and ate **buuz** before noon.\n\nTwo pictures from the week:\n\n"),
		); err != nil {
			t.Fatalf("type title and body: %v\n%s", err, author.html("#article-form"))
		}
		upload := func(n int, file, alt, caption string) {
			t.Helper()
			if err := author.do(
				chromedp.SetUploadFiles(chromedp.ID("up-file"), []string{file}),
				chromedp.SendKeys(chromedp.ID("up-alt"), alt),
				chromedp.SendKeys(chromedp.ID("up-caption"), caption),
				chromedp.Click(chromedp.CSS(`form[data-upload] button[type=submit]`)),
			); err != nil {
				t.Fatalf("upload %s: %v\n%s", file, err, author.html(".editor-media"))
			}
			// admin.js posts the form with fetch and inserts the snippet at
			// the cursor of the body.
			cond := fmt.Sprintf(`(document.getElementById("body").value.match(/\]\(\/media\//g) || []).length === %d`+
				` && /^Uploaded/.test(document.querySelector(".upload-status").textContent)`, n)
			if err := author.waitJS(cond, 15*time.Second); err != nil {
				body, _ := eval[string](author, `document.getElementById("body").value`)
				t.Fatalf("image %d was not uploaded and inserted into the body: %v\nupload status: %s\nbody: %q\nnow at %s",
					n, err, author.html(".upload-status"), body, author.location())
			}
		}
		upload(1, png1, alt1, cap1)
		upload(2, png2, alt2, cap2)
		if err := author.do(
			chromedp.SendKeys(chromedp.ID("body"), "\n\nBack home now; more soon."),
			chromedp.SendKeys(chromedp.ID("tags"), strings.Join(tags, ", ")),
		); err != nil {
			t.Fatalf("finish the body and tags: %v", err)
		}
		body, err := eval[string](author, `document.getElementById("body").value`)
		if err != nil {
			t.Fatal(err)
		}
		snips := reMediaSnippet.FindAllStringSubmatch(body, -1)
		if len(snips) != 2 || snips[0][1] != alt1 || snips[0][3] != cap1 || snips[1][1] != alt2 || snips[1][3] != cap2 {
			t.Fatalf("the body should hold ![alt](/media/NAME \"Caption\") for both images, in order; body is:\n%s", body)
		}
		t.Logf("body as typed:\n%s", body)

		status, err := author.submit(chromedp.Click(chromedp.CSS(`.publish-buttons button[name=action][value=publish]`)))
		if err != nil || status != 200 {
			t.Fatalf("publish: status %d, %v; now at %s\n%s", status, err, author.location(), author.text())
		}
		if loc := author.location(); !regexp.MustCompile(`/admin/articles/\d+/edit/`).MatchString(loc) {
			t.Fatalf("after Publish the browser is at %s, want the editor of the saved article\n%s", loc, author.text())
		}
		flash, _ := eval[string](author, `(document.querySelector(".notice-success")||{textContent:""}).textContent.trim()`)
		view, _ := eval[string](author, `(document.querySelector(".page-head a.button")||{getAttribute(){return ""}}).getAttribute("href")`)
		t.Logf("after publish: %s, flash %q, view link %q", author.location(), flash, view)
		if view == "" {
			// The editor has no "View article": take the permalink from the list.
			if _, err := author.open(srv.base + "/admin/articles/"); err == nil {
				view, _ = eval[string](author, `(Array.from(document.querySelectorAll("a")).find(a => /^\/\d{4}\/\d{2}\/[^/]+\/$/.test(a.getAttribute("href")||""))||{getAttribute(){return ""}}).getAttribute("href")`)
			}
			t.Errorf("the editor shows no “View article” link after publishing (.page-head a.button); admin list gave %q\n%s", view, author.html(".page-head"))
		}
		if !regexp.MustCompile(`^/\d{4}/\d{2}/[^/]+/$`).MatchString(view) {
			t.Fatalf("no permalink /YYYY/MM/slug/ for the article: %q", view)
		}
		permalink = view
	})

	s.run("article-page", []string{"write-and-publish"}, func(t *testing.T) {
		if status, err := author.open(srv.base + permalink); err != nil || status != 200 {
			t.Fatalf("GET %s: status %d, %v\n%s", permalink, status, err, author.text())
		}
		a, err := eval[articleDOM](author, articleDOMJS)
		if err != nil {
			t.Fatal(err)
		}
		if a.Title != title {
			t.Errorf("h1.entry-title = %q, want %q", a.Title, title)
		}
		if len(a.Figures) != 2 {
			t.Fatalf("want 2 <figure> in .entry-content, got %d:\n%s", len(a.Figures), author.html(".entry-content"))
		}
		for i, want := range [][2]string{{alt1, cap1}, {alt2, cap2}} {
			f := a.Figures[i]
			if f.Alt != want[0] || f.Caption != want[1] || !strings.HasPrefix(f.Src, "/media/") {
				t.Errorf("figure %d: img src=%q alt=%q, figcaption %q; want /media/…, alt %q, caption %q", i+1, f.Src, f.Alt, f.Caption, want[0], want[1])
				continue
			}
			status, body, err := srv.get(f.Src)
			if err != nil || status != 200 || !strings.HasPrefix(body, "\x89PNG") {
				t.Errorf("GET %s: status %d, %v, png=%v", f.Src, status, err, strings.HasPrefix(body, "\x89PNG"))
			}
		}
		var names []string
		for _, tg := range a.Tags {
			names = append(names, tg.Name)
		}
		want := slices.Clone(tags)
		slices.Sort(names)
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("tags on the page: %q, want %q\n%s", names, tags, author.html(".entry-footer"))
		}
		if !strings.Contains(a.CommentsTitle, "No comments") && !strings.Contains(a.CommentsTitle, "0 comments") {
			t.Errorf("#comments-title = %q, want “No comments…” or “0 comments”", a.CommentsTitle)
		}
		if a.MetaCount != "No comments" && a.MetaCount != "0 comments" {
			t.Errorf("comment count in the entry meta = %q, want “No comments”", a.MetaCount)
		}
		if len(a.Comments) != 0 {
			t.Errorf("a new article shows comments: %+v", a.Comments)
		}
	})

	s.run("reader-comments", []string{"article-page"}, func(t *testing.T) {
		// The reader is another browser context: no session cookie.
		if _, err := reader.open(srv.base + "/admin/"); err != nil {
			t.Fatal(err)
		}
		if loc := reader.location(); !strings.Contains(loc, "/admin/login") {
			t.Fatalf("the reader's browser context reached %s: it must not share the author's session", loc)
		}
		if status, err := reader.open(srv.base + permalink); err != nil || status != 200 {
			t.Fatalf("GET %s as reader: status %d, %v", permalink, status, err)
		}
		heading, _ := eval[string](reader, `(document.querySelector("#reply-title")||{textContent:""}).textContent.trim()`)
		if !strings.HasPrefix(heading, "Leave a Reply") {
			t.Errorf("#reply-title = %q, want “Leave a Reply”", heading)
		}
		if err := reader.do(
			chromedp.SendKeys(chromedp.ID("comment"), commentText),
			chromedp.SendKeys(chromedp.ID("author"), readerName),
			chromedp.SendKeys(chromedp.ID("email"), "rita@example.org"),
			chromedp.SendKeys(chromedp.ID("url"), readerSite),
		); err != nil {
			t.Fatalf("fill “Leave a Reply”: %v\n%s", err, reader.html("form.comment-form"))
		}
		status, err := reader.submit(chromedp.Click(chromedp.CSS(`form.comment-form button[type=submit]`)))
		if err != nil || status != 200 {
			t.Fatalf("post the comment: status %d, %v; now at %s\n%s", status, err, reader.location(), reader.text())
		}
		a, err := eval[articleDOM](reader, articleDOMJS)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(a.Pending, "awaiting moderation") {
			t.Errorf("after posting, the page (%s) does not say the comment awaits moderation; .notice-pending = %q\n%s",
				reader.location(), a.Pending, reader.html("#respond"))
		}
		// Its poster sees it, marked as held; other readers do not.
		if n, _ := eval[int](reader, `document.querySelectorAll(".comment-list li.comment:not(.comment-held)").length`); len(a.Comments) != 1 || n != 0 {
			t.Errorf("the poster should see only their comment, marked as held: %+v\n%s", a.Comments, reader.html("#comments"))
		}
		if _, page, err := srv.get(permalink); err != nil || strings.Contains(page, "marker 7f3a") {
			t.Errorf("a cookieless GET %s shows the held comment (%v)", permalink, err)
		}
	})

	s.run("approve", []string{"reader-comments"}, func(t *testing.T) {
		if status, err := author.open(srv.base + "/admin/comments/"); err != nil || status != 200 {
			t.Fatalf("GET /admin/comments/: status %d, %v\n%s", status, err, author.text())
		}
		id, err := eval[string](author, `(Array.from(document.querySelectorAll(".moderation-item")).find(li => li.textContent.includes("marker 7f3a"))||{id:""}).id`)
		if err != nil || id == "" {
			t.Fatalf("the pending comment is not on /admin/comments/ (err %v):\n%s", err, author.html("main"))
		}
		status, err := author.submit(chromedp.Click(chromedp.CSS("#" + id + ` button[name=status][value=approved]`)))
		if err != nil || status != 200 {
			t.Fatalf("click Approve: status %d, %v; now at %s\n%s", status, err, author.location(), author.text())
		}
		still, _ := eval[bool](author, `!!document.getElementById(`+jsString(id)+`)`)
		if still {
			t.Errorf("after Approve the comment is still listed at %s", author.location())
		}
		t.Logf("approved %s; now at %s", id, author.location())
	})

	s.run("comment-shown", []string{"approve"}, func(t *testing.T) {
		if status, err := reader.open(srv.base + permalink); err != nil || status != 200 {
			t.Fatalf("GET %s as reader: status %d, %v", permalink, status, err)
		}
		a, err := eval[articleDOM](reader, articleDOMJS)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Comments) != 1 {
			t.Fatalf("want the approved comment on the page, got %d comments:\n%s", len(a.Comments), reader.html("#comments"))
		}
		c := a.Comments[0]
		if c.Text != commentText || c.Name != readerName {
			t.Errorf("comment: %q by %q; want %q by %q", c.Text, c.Name, commentText, readerName)
		}
		if c.Href != readerSite || !strings.Contains(c.Rel, "nofollow") || !strings.Contains(c.Rel, "ugc") {
			t.Errorf("the commenter's name links to %q rel=%q, want %q with rel nofollow ugc", c.Href, c.Rel, readerSite)
		}
		if want := "1 comment on “" + title + "”"; a.CommentsTitle != want {
			t.Errorf("#comments-title = %q, want %q", a.CommentsTitle, want)
		}
		if a.MetaCount != "1 comment" {
			t.Errorf("comment count in the entry meta = %q, want “1 comment”", a.MetaCount)
		}
	})

	listed := func(t *testing.T, b *tab, path string) {
		t.Helper()
		if status, err := b.open(srv.base + path); err != nil || status != 200 {
			t.Errorf("GET %s: status %d, %v\n%s", path, status, err, b.text())
			return
		}
		links, err := eval[[]listLink](b, listDOMJS)
		if err != nil {
			t.Errorf("read %s: %v", path, err)
			return
		}
		for _, l := range links {
			if l.Href == permalink && l.Title == title {
				return
			}
		}
		t.Errorf("%s does not list %q → %s; it lists %+v", path, title, permalink, links)
	}

	s.run("archives", []string{"write-and-publish"}, func(t *testing.T) {
		month := permalink[:len("/2006/01/")]
		listed(t, reader, month)
		if status, err := reader.open(srv.base + permalink); err != nil || status != 200 {
			t.Fatalf("GET %s: %d, %v", permalink, status, err)
		}
		a, err := eval[articleDOM](reader, articleDOMJS)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Tags) == 0 {
			t.Fatalf("the article shows no tag links")
		}
		for _, tg := range a.Tags {
			if !strings.HasPrefix(tg.Href, "/tag/") {
				t.Errorf("tag %q links to %q, want /tag/…/", tg.Name, tg.Href)
				continue
			}
			listed(t, reader, tg.Href)
		}
	})

	s.run("feed", []string{"write-and-publish"}, func(t *testing.T) {
		status, body, err := srv.get("/feed.xml")
		if err != nil || status != 200 {
			t.Fatalf("GET /feed.xml: %d, %v", status, err)
		}
		var rss struct {
			Items []struct {
				Title string `xml:"title"`
				Link  string `xml:"link"`
			} `xml:"channel>item"`
		}
		if err := xml.Unmarshal([]byte(body), &rss); err != nil {
			t.Fatalf("parse /feed.xml: %v\n%s", err, testproc.Excerpt(body, 2000))
		}
		for _, it := range rss.Items {
			if it.Title == title && it.Link == srv.base+permalink {
				return
			}
		}
		t.Errorf("/feed.xml has no item %q → %s:\n%s", title, srv.base+permalink, testproc.Excerpt(body, 3000))
	})

	s.run("search", []string{"write-and-publish"}, func(t *testing.T) {
		if status, err := reader.open(srv.base + "/"); err != nil || status != 200 {
			t.Fatalf("GET /: %d, %v", status, err)
		}
		status, err := reader.submit(
			chromedp.SendKeys(chromedp.ID("search-q"), "buuz dumplings"),
			chromedp.Click(chromedp.CSS(`form.search-form button[type=submit]`)),
		)
		if err != nil || status != 200 {
			t.Fatalf("search from the sidebar: status %d, %v; now at %s\n%s", status, err, reader.location(), reader.text())
		}
		if loc := reader.location(); !strings.Contains(loc, "/search?q=buuz+dumplings") {
			t.Errorf("the search form led to %s, want /search?q=buuz+dumplings", loc)
		}
		type result struct{ Href, Marks string }
		found, err := eval[[]result](reader, `Array.from(document.querySelectorAll("article.search-result")).map(a => ({
			href: a.querySelector(".entry-title a").getAttribute("href"),
			marks: Array.from(a.querySelectorAll("mark")).map(m => m.textContent.toLowerCase()).join(" ")}))`)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 1 || found[0].Href != permalink || !strings.Contains(found[0].Marks, "dumplings") || !strings.Contains(found[0].Marks, "buuz") {
			t.Errorf("search results %+v, want %s with “dumplings” and “buuz” marked\n%s", found, permalink, reader.html("main"))
		}
		// WordPress's search address leads to the same page.
		if status, err := reader.open(srv.base + "/?s=buuz"); err != nil || status != 200 {
			t.Fatalf("GET /?s=buuz: %d, %v", status, err)
		}
		if n, _ := eval[int](reader, `document.querySelectorAll("article.search-result").length`); n != 1 || !strings.Contains(reader.location(), "/search?q=buuz") {
			t.Errorf("/?s=buuz: at %s with %d results", reader.location(), n)
		}
	})

	s.run("screenshot", []string{"write-and-publish"}, func(t *testing.T) {
		if status, err := reader.open(srv.base + permalink + "#comments"); err != nil || status != 200 {
			t.Fatalf("GET %s: %d, %v", permalink, status, err)
		}
		// Lazy images below the fold load now, so the picture shows them.
		_ = reader.do(chromedp.Evaluate[chromedp.Void](`Promise.all(Array.from(document.images).map(i => { i.loading = "eager"; return i.decode().catch(() => {}); }))`, chromedp.EvalAwaitPromise))
		path := filepath.Join(dir, "article.png")
		if err := reader.screenshot(path); err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		t.Logf("screenshot of %s: %s", permalink, path)
		if d := os.Getenv("FEDPRESS_SCREENSHOT_DIR"); d != "" {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err == nil {
				keep := filepath.Join(d, "article.png")
				if err = os.WriteFile(keep, b, 0o644); err == nil {
					t.Logf("screenshot kept at %s", keep)
				}
			}
			if err != nil {
				t.Errorf("copy the screenshot to FEDPRESS_SCREENSHOT_DIR: %v", err)
			}
		}
	})

	s.run("content-security-policy", []string{"setup"}, func(t *testing.T) {
		// The console does report violations of the pages' policy: an
		// inline script added to a page is refused and reported.
		c := reader.incognito("csp-canary")
		if status, err := c.open(srv.base + "/"); err != nil || status != 200 {
			t.Fatalf("GET /: %d, %v", status, err)
		}
		if err := c.do(chromedp.Evaluate[chromedp.Void](`(() => { const s = document.createElement("script"); s.textContent = "window.__inline = 1"; document.head.appendChild(s); })()`)); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(c.cspList()) == 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if len(c.cspList()) == 0 {
			t.Fatal("an inline script ran or went unreported: the page has no working Content-Security-Policy")
		}
		if ran, _ := eval[bool](c, `window.__inline === 1`); ran {
			t.Fatal("the inline script ran")
		}
	})

	for _, b := range []*tab{author, reader} {
		if v := b.cspList(); len(v) > 0 {
			t.Errorf("%s browser: the pages broke their own Content-Security-Policy: %q", b.name, v)
		}
		if d := b.dialogList(); len(d) > 0 {
			t.Errorf("%s browser: unexpected JavaScript dialogs: %q", b.name, d)
		}
		if ex := b.exceptionList(); len(ex) > 0 {
			t.Errorf("%s browser: uncaught JavaScript exceptions: %q", b.name, ex)
		}
	}
}
