package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
	"fedpress/web"
)

// reIDLine is the line `fedpress post` writes into a file it created an
// article from.
var reIDLine = regexp.MustCompile(`(?m)^id: ([0-9a-f]{24})\r?\n`)

// browserArticle saves an article as the editor does.
func browserArticle(t *testing.T, s *models.Store, title, slug, body string) *models.Article {
	t.Helper()
	ctx := context.Background()
	as, err := s.ListAuthors(ctx)
	if err != nil || len(as) == 0 {
		t.Fatalf("authors: %v %v", as, err)
	}
	when := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	a, err := s.SaveArticle(ctx, 0, models.ArticleInput{Title: title, Slug: slug, Markdown: body, HTML: "<p>" + body + "</p>",
		Status: models.StatusPublished, PublishedAt: &when, AuthorID: as[0].ID, EditorID: as[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestPostCommandNeverOverwritesBrowserArticle runs `fedpress post` as the
// issue did: a file whose title is the one of an article written in the
// browser. It is refused, nothing changes; --update updates that article,
// keeps its text as a revision and records the id in the file, after which
// the file updates it without --update.
func TestPostCommandNeverOverwritesBrowserArticle(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"author", "add", "--data", data, "--username", "alice", "--name", "Alice", "--password-stdin"},
		strings.NewReader("correct horse battery\n"), &out, &errOut); err != nil {
		t.Fatalf("author add: %v %s", err, errOut.String())
	}
	store, err := models.Open(ctx, models.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	twoFigures := "Morning.\n\n![Boats](/media/a.jpg \"Boats\")\n\n![Quay](/media/b.jpg \"Quay\")\n"
	web1 := browserArticle(t, store, "Harbour reopens", "harbour-reopens", twoFigures)

	file := filepath.Join(dir, "harbour.md")
	src := "---\ntitle: Harbour reopens\ndate: 2026-06-01 10:00:00 +0200\ntags: [Port]\n---\nOne line.\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	post := func(args ...string) (string, string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := run(ctx, append(append([]string{"post", "--data", data, "--base-url", "https://news.example"}, args...), file), nil, &out, &errOut)
		return out.String(), errOut.String(), err
	}

	stdout, _, err := post()
	if err == nil || !strings.Contains(err.Error(), `already used by article 1 "Harbour reopens", which this file did not create`) ||
		!strings.Contains(err.Error(), "--update") || stdout != "" {
		t.Fatalf("post over the browser's article: %v, printed %q", err, stdout)
	}
	if got, _ := store.ArticleByID(ctx, web1.ID); got.Markdown != twoFigures || !got.PublishedAt.Equal(*web1.PublishedAt) || got.Permalink() != web1.Permalink() {
		t.Fatalf("refused post changed the article: %q at %s", got.Markdown, got.Permalink())
	}
	if b, _ := os.ReadFile(file); string(b) != src {
		t.Fatalf("refused post changed the file: %q", b)
	}
	if all, _ := store.ListAllArticles(ctx, 0); len(all) != 1 {
		t.Fatalf("%d articles after a refused post", len(all))
	}

	// The environment cannot say --update for every post.
	t.Setenv("FEDPRESS_UPDATE", "true")
	if _, _, err := post(); err == nil {
		t.Fatal("FEDPRESS_UPDATE=true overwrote the browser's article")
	}

	stdout, _, err = post("--update")
	if err != nil || stdout != "updated https://news.example/2026/06/harbour-reopens/\n" {
		t.Fatalf("post --update: %v, printed %q", err, stdout)
	}
	got, _ := store.ArticleByID(ctx, web1.ID)
	if got.Markdown != "One line.\n" || len(got.Tags) != 1 {
		t.Errorf("after --update: %q tags %v", got.Markdown, got.Tags)
	}
	revs, _ := store.ArticleRevisions(ctx, web1.ID)
	if len(revs) != 1 || revs[0].Markdown != twoFigures || revs[0].Name != "Alice" {
		t.Fatalf("the browser's version is not kept: %+v", revs)
	}
	b, _ := os.ReadFile(file)
	m := reIDLine.FindStringSubmatch(string(b))
	if m == nil || strings.Replace(string(b), m[0], "", 1) != src || !strings.HasPrefix(string(b), "---\nid: ") {
		t.Fatalf("file after --update: %q", b)
	}
	if got.FileKey == nil || *got.FileKey != m[1] {
		t.Errorf("article file id %v, file says %s", got.FileKey, m[1])
	}

	// From now on the file updates its article, and only it.
	os.WriteFile(file, []byte(strings.Replace(string(b), "One line.", "Two lines.\nReally.", 1)), 0o644)
	stdout, _, err = post()
	if err != nil || !strings.HasPrefix(stdout, "updated ") {
		t.Fatalf("re-post: %v %q", err, stdout)
	}
	if got, _ := store.ArticleByID(ctx, web1.ID); got.Markdown != "Two lines.\nReally.\n" {
		t.Errorf("re-post: %q", got.Markdown)
	}
	if all, _ := store.ListAllArticles(ctx, 0); len(all) != 1 {
		t.Errorf("%d articles after re-posting", len(all))
	}
}

// TestPostFileSafety: which article a file may update, on both databases.
func TestPostFileSafety(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		addAuthors(t, s, "alice")
		dir := t.TempDir()
		media := web.DirStore{Dir: filepath.Join(dir, "media")}
		now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
		write := func(name, src string) string {
			t.Helper()
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		postErr := func(path string, update bool) (postResult, error) {
			t.Helper()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			fm, body, _, err := parsePost(data)
			if err != nil {
				t.Fatal(err)
			}
			res, err := publishFile(ctx, s, media, dir, fm, body, postOptions{Now: now, Update: update})
			if err == nil && res.FileID != fm.ID {
				if err := recordFileID(path, data, res.FileID); err != nil {
					t.Fatal(err)
				}
			}
			return res, err
		}

		browser := browserArticle(t, s, "Market day", "market-day", "Written in the browser.")
		// 1. Same title as the browser's article: refused, whatever the date.
		p := write("market.md", "---\ntitle: Market day\n---\nFrom a file.\n")
		if _, err := postErr(p, false); err == nil || !strings.Contains(err.Error(), "which this file did not create") {
			t.Fatalf("same title: %v", err)
		}
		// Nor by naming the slug.
		p2 := write("market2.md", "---\ntitle: Other\nslug: market-day\n---\nx\n")
		if _, err := postErr(p2, false); err == nil {
			t.Fatal("a file took the browser article's slug")
		}
		if got, _ := s.ArticleByID(ctx, browser.ID); got.Markdown != "Written in the browser." {
			t.Fatalf("browser article changed: %q", got.Markdown)
		}

		// 2. A new file: created, its id recorded; posted again: updated.
		p3 := write("new.md", "---\ntitle: Fish prices\n---\nHigh.\n")
		res, err := postErr(p3, false)
		if err != nil || !res.Created {
			t.Fatalf("new file: %+v %v", res, err)
		}
		again, err := postErr(p3, false)
		if err != nil || again.Created || again.Article.ID != res.Article.ID {
			t.Fatalf("same file again: %+v %v", again, err)
		}
		if n, _ := s.CountArticleRevisions(ctx, res.Article.ID); n != 0 {
			t.Errorf("posting an unchanged file kept %d revisions", n)
		}
		// A new title keeps the address; the old text is a revision.
		b, _ := os.ReadFile(p3)
		os.WriteFile(p3, []byte(strings.Replace(strings.Replace(string(b), "Fish prices", "Fish prices fall", 1), "High.", "Lower.", 1)), 0o600)
		renamed, err := postErr(p3, false)
		if err != nil || renamed.Article.ID != res.Article.ID || renamed.Article.Slug != "fish-prices" || renamed.Article.Title != "Fish prices fall" {
			t.Fatalf("retitled file: %+v %v", renamed.Article, err)
		}
		if revs, _ := s.ArticleRevisions(ctx, res.Article.ID); len(revs) != 1 || revs[0].Markdown != "High.\n" {
			t.Errorf("revisions after an update from the file: %+v", revs)
		}
		// A copy of the file without its id line is another article: the
		// id names the article, not the title.
		copyNoID := write("copy.md", reIDLine.ReplaceAllString(string(mustRead(t, p3)), ""))
		if cp, err := postErr(copyNoID, false); err != nil || !cp.Created || cp.Article.ID == res.Article.ID {
			t.Errorf("a copy of the file without its id: %+v %v", cp, err)
		}
		if got, _ := s.ArticleByID(ctx, res.Article.ID); got.Markdown != "Lower.\n" {
			t.Errorf("the copy changed the file's article: %q", got.Markdown)
		}

		// 3. --update adopts the browser's article.
		adopted, err := postErr(p, true)
		if err != nil || adopted.Created || adopted.Article.ID != browser.ID || adopted.Article.AuthorID != browser.AuthorID {
			t.Fatalf("--update: %+v %v", adopted, err)
		}
		if revs, _ := s.ArticleRevisions(ctx, browser.ID); len(revs) != 1 || revs[0].Markdown != "Written in the browser." {
			t.Errorf("--update kept no revision of the browser's text: %+v", revs)
		}
		// 4. --update with nothing to update creates.
		p4 := write("fresh.md", "---\ntitle: Fresh\n---\nx\n")
		if res, err := postErr(p4, true); err != nil || !res.Created {
			t.Errorf("--update of a new slug: %+v %v", res, err)
		}
		// 5. A file from another blog (an id this blog does not know)
		// makes an article here, under its id.
		p5 := write("elsewhere.md", "---\nid: 0123456789abcdef01234567\ntitle: From elsewhere\n---\nx\n")
		res5, err := postErr(p5, false)
		if err != nil || !res5.Created || res5.FileID != "0123456789abcdef01234567" || *res5.Article.FileKey != res5.FileID {
			t.Fatalf("file with an unknown id: %+v %v", res5, err)
		}
		if b := mustRead(t, p5); strings.Count(string(b), "id:") != 1 {
			t.Errorf("file with an id was rewritten: %q", b)
		}
		// 6. The article of a file was deleted: the file says so.
		if err := s.DeleteArticle(ctx, res5.Article.ID, now); err != nil {
			t.Fatal(err)
		}
		if _, err := postErr(p5, false); err == nil || !strings.Contains(err.Error(), "was deleted") {
			t.Errorf("post of a deleted article's file: %v", err)
		}
		// 7. An update may not move to another article's slug.
		b, _ = os.ReadFile(p3)
		os.WriteFile(p3, []byte(strings.Replace(string(b), "title:", "slug: fresh\ntitle:", 1)), 0o600)
		if _, err := postErr(p3, false); err == nil || !strings.Contains(err.Error(), `"fresh" is already used by article`) {
			t.Errorf("update onto a taken slug: %v", err)
		}
	})
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRecordFileIDKeepsTheFile: the id goes in as one line in the file's
// own line endings; every other byte stays.
func TestRecordFileIDKeepsTheFile(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"LF", "---\ntitle: A\n---\nBody  \n\n\tcode\n", "---\nid: KEY\ntitle: A\n---\nBody  \n\n\tcode\n"},
		{"CRLF", "---\r\ntitle: A\r\n---\r\nBody\r\n", "---\r\nid: KEY\r\ntitle: A\r\n---\r\nBody\r\n"},
		{"BOM", "\ufeff---\r\ntitle: A # note\r\n---\r\nBody", "\ufeff---\r\nid: KEY\r\ntitle: A # note\r\n---\r\nBody"},
		{"empty id line filled", "---\ntitle: A\nid:\n---\nB\n", "---\ntitle: A\nid: KEY\n---\nB\n"},
		{"quoted empty id", "---\nid: \"\"\ntitle: A\n---\nB\n", "---\nid: KEY\ntitle: A\n---\nB\n"},
		{"id: in the body is not touched", "---\ntitle: A\n---\nid:\n", "---\nid: KEY\ntitle: A\n---\nid:\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "post.md")
			if err := os.WriteFile(p, []byte(tc.in), 0o640); err != nil {
				t.Fatal(err)
			}
			if err := recordFileID(p, []byte(tc.in), "KEY"); err != nil {
				t.Fatal(err)
			}
			got := mustRead(t, p)
			if string(got) != tc.want {
				t.Errorf("file is %q, want %q", got, tc.want)
			}
			if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
				t.Errorf("mode %v", fi.Mode().Perm())
			}
			fm, _, _, err := parsePost(got)
			if err != nil || fm.ID != "KEY" || fm.Title != "A" {
				t.Errorf("parsed back: %+v %v", fm, err)
			}
			if names, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".*")); len(names) != 0 {
				t.Errorf("temporary files left: %v", names)
			}
		})
	}
	// A file changed since it was read is left alone.
	p := filepath.Join(t.TempDir(), "post.md")
	os.WriteFile(p, []byte("---\ntitle: B\n---\nnew\n"), 0o600)
	if err := recordFileID(p, []byte("---\ntitle: B\n---\nold\n"), "KEY"); err == nil {
		t.Error("wrote into a file that changed meanwhile")
	}
	if string(mustRead(t, p)) != "---\ntitle: B\n---\nnew\n" {
		t.Error("the changed file was rewritten")
	}
}

// TestFrontMatterDates reads the date shapes of fedpress, Jekyll and Hugo;
// dates without a zone are in the blog's.
func TestFrontMatterDates(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		date string
		want string // RFC 3339 in UTC; "" for no date
	}{
		{"2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z"},
		{"2026-12-01T10:00:00+01:00", "2026-12-01T09:00:00Z"},
		{"2026-12-01T10:00:00.5-05:00", "2026-12-01T15:00:00Z"},
		{"2026-12-01 10:00:00 +0100", "2026-12-01T09:00:00Z"},  // Jekyll
		{"2026-12-01 10:00:00 -07:00", "2026-12-01T17:00:00Z"}, // Jekyll, colon
		{"2026-12-01 10:00 +0100", "2026-12-01T09:00:00Z"},
		{"'2026-12-01 10:00:00 +0100'", "2026-12-01T09:00:00Z"}, // quoted
		{"2026-12-01 10:00:00", "2026-12-01T09:00:00Z"},         // the blog's zone
		{"2026-12-01T10:00:00", "2026-12-01T09:00:00Z"},         // Hugo without zone
		{"2026-07-01 10:00", "2026-07-01T08:00:00Z"},            // summer time
		{"2026-12-01", "2026-11-30T23:00:00Z"},                  // midnight in the blog's zone
		{`""`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.date, func(t *testing.T) {
			fm, _, _, err := parsePost([]byte("---\ntitle: T\ndate: " + tc.date + "\n---\n"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := fm.Date.Time(paris)
			if err != nil {
				t.Fatal(err)
			}
			s := ""
			if got != nil {
				s = got.Format(time.RFC3339)
			}
			if s != tc.want {
				t.Errorf("%s read as %q, want %q", tc.date, s, tc.want)
			}
		})
	}
	for _, bad := range []string{"tomorrow", "2026-13-01", "01/12/2026", "[2026]"} {
		_, _, _, err := parsePost([]byte("---\ntitle: T\ndate: " + bad + "\n---\n"))
		if err == nil {
			t.Errorf("date %s accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "2006") || strings.Contains(err.Error(), "parsing time") {
			t.Errorf("date %s: the error shows a Go layout: %v", bad, err)
		}
	}
}

// TestFrontMatterKeys: categories join the tags, Jekyll's published:
// false makes a draft, unknown keys are named, and YAML mistakes are
// told in words with the file's line numbers.
func TestFrontMatterKeys(t *testing.T) {
	fm, _, warnings, err := parsePost([]byte("---\ntitle: T\nlayout: post\ntags: travel, Food\ncategories: [food, Japan]\npermalink: /x/\npublished: false\n---\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fm.allTags(); !slices.Equal(got, []string{"travel", "Food", "Japan"}) {
		t.Errorf("tags %v", got)
	}
	if !fm.isDraft() {
		t.Error("published: false is not a draft")
	}
	if len(warnings) != 1 || warnings[0] != "front matter: not used: layout, permalink" {
		t.Errorf("warnings %q", warnings)
	}
	errs := []struct{ in, want string }{
		{"---\ntitle: A\ntitle: B\n---\n", "front matter: line 3: the key “title” appears twice (also on line 2)"},
		{"---\ntitle: [a, b]\n---\n", "front matter: line 2: a list where text was expected"},
		{"---\ntitle: T\ndraft: maybe\n---\n", "front matter: line 3: text where true or false was expected"},
		{"---\ntitle: T\ntags: {a: b}\n---\n", "a list of names was expected"},
		{"---\ntitle: T\nid: two words\n---\n", "remove that line to post the file as a new article"},
	}
	for _, e := range errs {
		_, _, _, err := parsePost([]byte(e.in))
		if err == nil || !strings.Contains(err.Error(), e.want) {
			t.Errorf("%q: %v, want %q", e.in, err, e.want)
		}
		if err != nil && (strings.Contains(err.Error(), "!!") || strings.Contains(err.Error(), "unmarshal") || strings.Contains(err.Error(), "mapping key")) {
			t.Errorf("%q: YAML words in %v", e.in, err)
		}
	}
}
