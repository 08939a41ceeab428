package browser

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserAutosaveAndRestore: the editor saves a new article as a draft
// while the author writes (the address becomes the draft's), keeps the
// changes to a published article aside without readers seeing them, and
// the revisions page restores an earlier version.
func TestBrowserAutosaveAndRestore(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	srv := newServer(t)
	if out, err := srv.cli(authorPassword+"\n", []string{"author", "add"}, "--username", "grace", "--name", "Grace", "--password-stdin"); err != nil {
		t.Fatalf("author add: %v\n%s", err, out)
	}
	srv.start(t)
	b := newBrowser(t, "author")
	reEdit := regexp.MustCompile(`/admin/articles/(\d+)/edit/`)
	var editURL, permalink string
	// autosave.js waits 10 s after the first keystroke.
	const autosaveWait = 40 * time.Second

	s := newSteps(t)
	s.run("login", nil, func(t *testing.T) {
		if _, err := b.open(srv.base + "/admin/login"); err != nil {
			t.Fatal(err)
		}
		if err := b.do(chromedp.SendKeys(chromedp.ID("username"), "grace"), chromedp.SendKeys(chromedp.ID("password"), authorPassword)); err != nil {
			t.Fatal(err)
		}
		if status, err := b.submit(chromedp.Click(chromedp.CSS(`form button[type=submit]`))); err != nil || status != 200 {
			t.Fatalf("log in: %d %v\n%s", status, err, b.text())
		}
	})

	s.run("autosave-new-draft", []string{"login"}, func(t *testing.T) {
		if _, err := b.open(srv.base + "/admin/articles/new/"); err != nil {
			t.Fatal(err)
		}
		if err := b.do(chromedp.SendKeys(chromedp.ID("title"), "Night ferry"), chromedp.SendKeys(chromedp.ID("body"), "First version.")); err != nil {
			t.Fatal(err)
		}
		if err := b.waitJS(`/Draft saved automatically/.test(document.querySelector(".autosave-status").textContent)`, autosaveWait); err != nil {
			t.Fatalf("no autosave: %v\n%s", err, b.html(".autosave-status"))
		}
		editURL = b.location()
		if !reEdit.MatchString(editURL) {
			t.Fatalf("after the autosave the address is %s, want the draft's editor", editURL)
		}
		// The saved draft is what a reload shows.
		if _, err := b.open(editURL); err != nil {
			t.Fatal(err)
		}
		if body, _ := eval[string](b, `document.getElementById("body").value`); body != "First version." {
			t.Fatalf("reloaded draft body %q", body)
		}
		if status, err := b.submit(chromedp.Click(chromedp.CSS(`.publish-buttons button[value=publish]`))); err != nil || status != 200 {
			t.Fatalf("publish: %d %v", status, err)
		}
		permalink, _ = eval[string](b, `document.querySelector(".page-head a.button").getAttribute("href")`)
		if !strings.HasPrefix(permalink, "/") {
			t.Fatalf("no permalink after publishing: %q", permalink)
		}
	})

	s.run("autosave-aside", []string{"autosave-new-draft"}, func(t *testing.T) {
		if err := b.do(chromedp.SendKeys(chromedp.ID("body"), " Typed later.")); err != nil {
			t.Fatal(err)
		}
		if err := b.waitJS(`/Changes kept aside/.test(document.querySelector(".autosave-status").textContent)`, autosaveWait); err != nil {
			t.Fatalf("no autosave of the published article: %v\n%s", err, b.html(".autosave-status"))
		}
		if _, page, err := srv.get(permalink); err != nil || strings.Contains(page, "Typed later") || !strings.Contains(page, "First version.") {
			t.Fatalf("readers see the autosave (%v)", err)
		}
		// Update with a second version: the first becomes a revision.
		if err := b.do(chromedp.SetValue(chromedp.ID("body"), "Second version.")); err != nil {
			t.Fatal(err)
		}
		if status, err := b.submit(chromedp.Click(chromedp.CSS(`.publish-buttons button[value=publish]`))); err != nil || status != 200 {
			t.Fatalf("update: %d %v", status, err)
		}
	})

	s.run("restore", []string{"autosave-aside"}, func(t *testing.T) {
		id := reEdit.FindStringSubmatch(editURL)[1]
		if _, err := b.open(srv.base + "/admin/articles/" + id + "/revisions/"); err != nil {
			t.Fatal(err)
		}
		if del := b.html(".diff-line.diff-del"); !strings.Contains(del, "First version.") {
			t.Fatalf("the comparison does not show the first version as removed:\n%s", b.html("main"))
		}
		// The restore form asks for confirmation; say yes.
		if _, err := eval[bool](b, `(window.confirm = () => true, true)`); err != nil {
			t.Fatal(err)
		}
		if status, err := b.submit(chromedp.Click(chromedp.CSS(`form[action$="/restore"] button`))); err != nil || status != 200 {
			t.Fatalf("restore: %d %v", status, err)
		}
		if flash, _ := eval[string](b, `document.querySelector(".notice-success").textContent`); !strings.Contains(flash, "Revision restored") {
			t.Errorf("after the restore: %q at %s", flash, b.location())
		}
		if _, page, err := srv.get(permalink); err != nil || !strings.Contains(page, "First version.") || strings.Contains(page, "Second version.") {
			t.Errorf("readers do not get the restored version (%v)", err)
		}
		if ex := b.exceptionList(); len(ex) > 0 {
			t.Errorf("JavaScript exceptions: %v", ex)
		}
	})
}
