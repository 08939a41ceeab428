package browser

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// startWithAuthor adds an author with the CLI, starts the server and
// returns it with a browser tab where that author is logged in.
func startWithAuthor(t *testing.T, username, name string) (*server, *tab) {
	t.Helper()
	srv := newServer(t)
	if out, err := srv.cli(authorPassword+"\n", []string{"author", "add"}, "--username", username, "--name", name, "--password-stdin"); err != nil {
		t.Fatalf("author add: %v\n%s", err, out)
	}
	srv.start(t)
	b := newBrowser(t, "author")
	if _, err := b.open(srv.base + "/admin/login"); err != nil {
		t.Fatal(err)
	}
	if err := b.do(chromedp.SendKeys(chromedp.ID("username"), username), chromedp.SendKeys(chromedp.ID("password"), authorPassword)); err != nil {
		t.Fatal(err)
	}
	if status, err := b.submit(chromedp.Click(chromedp.CSS(`form button[type=submit]`))); err != nil || status != 200 {
		t.Fatalf("log in: %d %v\n%s", status, err, b.text())
	}
	if loc := b.location(); strings.Contains(loc, "/admin/login") {
		t.Fatalf("still on the login page after logging in:\n%s", b.text())
	}
	return srv, b
}

// publishInEditor writes an article in the admin editor, as kind "post" or
// "page", publishes it and returns the editor's "View article" address.
func publishInEditor(t *testing.T, b *tab, base, kind, title, body string) string {
	t.Helper()
	if status, err := b.open(base + "/admin/articles/new/"); err != nil || status != 200 {
		t.Fatalf("GET /admin/articles/new/: %d %v", status, err)
	}
	if err := b.do(
		chromedp.SendKeys(chromedp.ID("title"), title),
		chromedp.SendKeys(chromedp.ID("body"), body),
		chromedp.SetValue(chromedp.ID("kind"), kind),
	); err != nil {
		t.Fatalf("write %q: %v\n%s", title, err, b.html("#article-form"))
	}
	if status, err := b.submit(chromedp.Click(chromedp.CSS(`.publish-buttons button[value=publish]`))); err != nil || status != 200 {
		t.Fatalf("publish %q: %d %v; now at %s\n%s", title, status, err, b.location(), b.text())
	}
	if got, _ := eval[string](b, `document.getElementById("kind").value`); got != kind {
		t.Errorf("the saved %q has Type %q in the editor, want %q", title, got, kind)
	}
	view, _ := eval[string](b, `(document.querySelector(".page-head a.button")||{getAttribute(){return ""}}).getAttribute("href")`)
	if !strings.HasPrefix(view, "/") {
		t.Fatalf("no “View article” link after publishing %q:\n%s", title, b.html(".page-head"))
	}
	return view
}

// keepScreenshot copies a screenshot to $FEDPRESS_SCREENSHOT_DIR when it is
// set, since the test's own temporary folder is removed at its end.
func keepScreenshot(t *testing.T, path string) {
	t.Helper()
	d := os.Getenv("FEDPRESS_SCREENSHOT_DIR")
	if d == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err == nil {
		err = os.MkdirAll(d, 0o755)
	}
	keep := filepath.Join(d, filepath.Base(path))
	if err == nil {
		err = os.WriteFile(keep, b, 0o644)
	}
	if err != nil {
		t.Errorf("copy the screenshot to FEDPRESS_SCREENSHOT_DIR: %v", err)
		return
	}
	t.Logf("screenshot kept at %s", keep)
}

// checkPolicy fails t for CSP violations, dialogs and uncaught exceptions
// any of the tabs saw.
func checkPolicy(t *testing.T, tabs ...*tab) {
	t.Helper()
	for _, b := range tabs {
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

// TestBrowserStaticPage: a page written in the editor with Type "Page" is
// in the header menu, opens at /slug/ and stays out of the home list.
func TestBrowserStaticPage(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	srv, author := startWithAuthor(t, "hedy", "Hedy Lamarr")
	reader := author.incognito("reader")
	const pageText = "I write about radios and frequency hopping (marker p41)."

	s := newSteps(t)
	var pageURL, postURL string
	s.run("publish", nil, func(t *testing.T) {
		postURL = publishInEditor(t, author, srv.base, "post", "Spread spectrum notes", "An ordinary post.")
		pageURL = publishInEditor(t, author, srv.base, "page", "About", pageText)
		if pageURL != "/about/" {
			t.Errorf("the page is at %q, want /about/", pageURL)
		}
		if !regexp.MustCompile(`^/\d{4}/\d{2}/[^/]+/$`).MatchString(postURL) {
			t.Errorf("the post is at %q, want /YYYY/MM/slug/", postURL)
		}
	})

	s.run("menu-and-page", []string{"publish"}, func(t *testing.T) {
		if status, err := reader.open(srv.base + "/"); err != nil || status != 200 {
			t.Fatalf("GET /: %d %v", status, err)
		}
		menu, err := eval[[]listLink](reader, `Array.from(document.querySelectorAll(".site-header .site-nav a")).map(a => ({
			title: a.textContent.trim(), href: a.getAttribute("href")}))`)
		if err != nil {
			t.Fatal(err)
		}
		// The page replaces the default "About" (the blog's profile).
		var abouts []listLink
		for _, l := range menu {
			if l.Title == "About" {
				abouts = append(abouts, l)
			}
		}
		if len(abouts) != 1 || abouts[0].Href != pageURL {
			t.Fatalf("the header menu should have one “About” → %s: %+v", pageURL, menu)
		}
		sel := `.site-header .site-nav a[href="` + pageURL + `"]`
		if status, err := reader.submit(chromedp.Click(chromedp.CSS(sel))); err != nil || status != 200 {
			t.Fatalf("click “About” in the menu: %d %v; now at %s", status, err, reader.location())
		}
		if err := reader.do(chromedp.WaitVisible(chromedp.CSS(`article.page .entry-content`))); err != nil {
			t.Fatalf("the page shows no content: %v\n%s", err, reader.html("main"))
		}
		if loc := reader.location(); loc != srv.base+"/about/" {
			t.Errorf("the menu led to %s, want %s/about/", loc, srv.base)
		}
		title, _ := eval[string](reader, `document.querySelector("h1.entry-title").textContent.trim()`)
		body, _ := eval[string](reader, `document.querySelector(".entry-content").textContent.trim()`)
		if title != "About" || body != pageText {
			t.Errorf("the page shows %q / %q, want “About” / %q", title, body, pageText)
		}
		// A page has no comment form.
		if n, _ := eval[int](reader, `document.querySelectorAll("form.comment-form").length`); n != 0 {
			t.Errorf("the page has a comment form")
		}
	})

	s.run("not-in-home-list", []string{"publish"}, func(t *testing.T) {
		if status, err := reader.open(srv.base + "/"); err != nil || status != 200 {
			t.Fatalf("GET /: %d %v", status, err)
		}
		links, err := eval[[]listLink](reader, listDOMJS)
		if err != nil {
			t.Fatal(err)
		}
		var post bool
		for _, l := range links {
			if l.Href == pageURL || l.Title == "About" {
				t.Errorf("the home list shows the page: %+v", l)
			}
			post = post || l.Href == postURL
		}
		if !post {
			t.Errorf("the home list does not show the post %s: %+v", postURL, links)
		}
	})

	checkPolicy(t, author, reader)
}

// TestBrowserVisitorHeldComment: with visitors' comments held (the
// default), the visitor who posted one sees it marked as awaiting
// moderation, finds the form filled in on the next visit when they ticked
// "Save my name…", and another visitor does not see it.
func TestBrowserVisitorHeldComment(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	srv, author := startWithAuthor(t, "joan", "Joan Clarke")
	visitor := author.incognito("visitor")
	other := author.incognito("other visitor")
	const (
		name        = "Vera Visitor"
		email       = "vera@example.org"
		site        = "https://vera.example.org/"
		commentText = "Held until approved, I suppose (marker h9q)."
	)

	s := newSteps(t)
	var permalink string
	s.run("publish", nil, func(t *testing.T) {
		permalink = publishInEditor(t, author, srv.base, "post", "Codebreaking at Hut 8", "Notes from the hut.")
		// The default setting holds first-time visitors' comments.
		if status, err := author.open(srv.base + "/admin/settings/"); err != nil || status != 200 {
			t.Fatalf("GET /admin/settings/: %d %v", status, err)
		}
		if on, err := eval[bool](author, `document.querySelector("input[name=hold_visitor_comments]").checked`); err != nil || !on {
			t.Fatalf("“Hold comments from visitors for approval” is not on by default (%v)", err)
		}
	})

	s.run("post-comment", []string{"publish"}, func(t *testing.T) {
		if status, err := visitor.open(srv.base + permalink); err != nil || status != 200 {
			t.Fatalf("GET %s: %d %v", permalink, status, err)
		}
		if err := visitor.do(
			chromedp.SendKeys(chromedp.ID("comment"), commentText),
			chromedp.SendKeys(chromedp.ID("author"), name),
			chromedp.SendKeys(chromedp.ID("email"), email),
			chromedp.SendKeys(chromedp.ID("url"), site),
			chromedp.Click(chromedp.ID("remember")),
		); err != nil {
			t.Fatalf("fill the comment form: %v\n%s", err, visitor.html("form.comment-form"))
		}
		if status, err := visitor.submit(chromedp.Click(chromedp.CSS(`form.comment-form button[type=submit]`))); err != nil || status != 200 {
			t.Fatalf("post the comment: %d %v; now at %s\n%s", status, err, visitor.location(), visitor.text())
		}
		if err := visitor.do(chromedp.WaitVisible(chromedp.CSS(`li.comment.comment-held .comment-awaiting-moderation`))); err != nil {
			t.Fatalf("the visitor does not see their held comment: %v\n%s", err, visitor.html("#comments"))
		}
		if n, _ := eval[string](visitor, `document.querySelector(".notice-pending").textContent`); !strings.Contains(n, "awaiting moderation") {
			t.Errorf("no “awaiting moderation” notice above the form: %q", n)
		}
		path := filepath.Join(t.TempDir(), "held-comment.png")
		if err := visitor.screenshot(path); err != nil {
			t.Errorf("screenshot: %v", err)
		} else {
			t.Logf("screenshot of the held comment: %s", path)
			keepScreenshot(t, path)
		}
	})

	// heldShown reads the held comments a tab's page shows.
	type held struct {
		Name, Text, Mark string
	}
	heldShown := func(t *testing.T, b *tab) []held {
		t.Helper()
		h, err := eval[[]held](b, `Array.from(document.querySelectorAll(".comment-list li.comment")).map(li => ({
			name: li.querySelector(".fn").textContent.trim(),
			text: li.querySelector(".comment-content").textContent.trim(),
			mark: (li.querySelector(".comment-awaiting-moderation")||{textContent:""}).textContent.trim()}))`)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}

	s.run("next-visit", []string{"post-comment"}, func(t *testing.T) {
		if status, err := visitor.open(srv.base + permalink); err != nil || status != 200 {
			t.Fatalf("GET %s: %d %v", permalink, status, err)
		}
		if err := visitor.do(chromedp.WaitVisible(chromedp.CSS(`form.comment-form`))); err != nil {
			t.Fatal(err)
		}
		h := heldShown(t, visitor)
		if len(h) != 1 || h[0].Name != name || h[0].Text != commentText || !strings.Contains(h[0].Mark, "awaiting moderation") {
			t.Errorf("on the next visit the visitor sees %+v, want their comment marked as awaiting moderation\n%s", h, visitor.html("#comments"))
		}
		type form struct {
			Name, Email, URL, Content string
			Remember                  bool
		}
		f, err := eval[form](visitor, `({name: document.getElementById("author").value, email: document.getElementById("email").value,
			url: document.getElementById("url").value, content: document.getElementById("comment").value,
			remember: document.getElementById("remember").checked})`)
		if err != nil {
			t.Fatal(err)
		}
		if want := (form{Name: name, Email: email, URL: site, Remember: true}); f != want {
			t.Errorf("the form on the next visit is %+v, want %+v", f, want)
		}
	})

	s.run("other-visitor", []string{"post-comment"}, func(t *testing.T) {
		if status, err := other.open(srv.base + permalink); err != nil || status != 200 {
			t.Fatalf("GET %s: %d %v", permalink, status, err)
		}
		if err := other.do(chromedp.WaitVisible(chromedp.CSS(`form.comment-form`))); err != nil {
			t.Fatal(err)
		}
		if h := heldShown(t, other); len(h) != 0 {
			t.Errorf("another visitor sees comments: %+v", h)
		}
		if text := other.text(); strings.Contains(text, "marker h9q") || strings.Contains(text, "awaiting moderation") {
			t.Errorf("another visitor's page shows the held comment:\n%s", text)
		}
		if n, _ := eval[string](other, `document.getElementById("author").value`); n != "" {
			t.Errorf("another visitor's form is prefilled with %q", n)
		}
		// Nor does a client without cookies (the page cache must not
		// have kept the visitor's personal page).
		if _, page, err := srv.get(permalink); err != nil || strings.Contains(page, "marker h9q") {
			t.Errorf("a cookieless GET %s shows the held comment (%v)", permalink, err)
		}
	})

	checkPolicy(t, author, visitor, other)
}
