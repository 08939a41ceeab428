package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
	"fedpress/web"
)

func writeTestPNG(t *testing.T, path string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		img.Set(x, x%30, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// postFile publishes a Markdown source the way `fedpress post` does.
func postFile(t *testing.T, s *models.Store, media web.MediaStore, path string, now time.Time) *models.Article {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fm, body, _, err := parsePost(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	res, err := publishFile(context.Background(), s, media, filepath.Dir(path), fm, body, postOptions{Now: now})
	if err != nil {
		t.Fatalf("post %s: %v", path, err)
	}
	if res.FileID != fm.ID {
		if err := recordFileID(path, data, res.FileID); err != nil {
			t.Fatalf("record the id in %s: %v", path, err)
		}
	}
	return res.Article
}

func addAuthors(t *testing.T, s *models.Store, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := s.CreateAuthor(context.Background(), &models.Author{Username: n, Name: n, PasswordHash: "!", PrivateKeyPEM: "k", PublicKeyPEM: "p"}); err != nil {
			t.Fatal(err)
		}
	}
}

func tagNames(a *models.Article) []string {
	var out []string
	for _, t := range a.Tags {
		out = append(out, t.Name)
	}
	slices.Sort(out)
	return out
}

func localMedia(a *models.Article) []string {
	var out []string
	for _, m := range a.Media {
		if m.RemoteURL == "" {
			out = append(out, m.Path+"|"+m.Alt+"|"+m.Caption)
		}
	}
	slices.Sort(out)
	return out
}

// TestExportRoundTrip: a blog written with `fedpress post` and the WordPress
// importer, exported, then posted file by file into a fresh blog, gives the
// same articles.
func TestExportRoundTrip(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2012, 11, 20, 12, 0, 0, 0, time.UTC)
	srcData := t.TempDir()
	src, err := models.Open(ctx, models.Options{DataDir: srcData})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.EnsureSettings(ctx, fakeSettingsKeys); err != nil {
		t.Fatal(err)
	}
	srcMedia := web.DirStore{Dir: filepath.Join(srcData, "media")}
	addAuthors(t, src, "alice", "bob")

	// Imported articles: HTML, comments in threads, a local and a remote image.
	opt, _ := wxrTestOptions(t, wxrUploads)
	opt.Media, opt.Now = srcMedia, now
	if _, err := importWXR(ctx, src, fromBytes(readFixture(t)), opt); err != nil {
		t.Fatal(err)
	}
	// Markdown articles, written as `fedpress post` files.
	in := t.TempDir()
	writeTestPNG(t, filepath.Join(in, "chart.png"))
	files := map[string]string{
		"with-image.md": "---\ntitle: \"Trade: the numbers\"\ndate: 2012-11-12T08:00:00Z\ntags: [Economy, Japan]\nsummary: Exports fell.\nauthor: alice\npinned: true\nimages:\n  - path: chart.png\n    alt: A falling line\n    caption: Exports, 2012\n---\n# Numbers\n\nExports *fell*.\n\n![A falling line](chart.png \"Exports, 2012\")\n",
		"draft.md":      "---\ntitle: Notes for later\ndate: 2012-11-13T08:00:00Z\ndraft: true\nauthor: bob\n---\nSome *notes*.\n",
		"scheduled.md":  "---\ntitle: Coming soon\ndate: 2012-12-24T08:00:00Z\nauthor: alice\ntags: [Roundup]\n---\nSoon.\n",
		"gone.md":       "---\ntitle: Deleted one\ndate: 2012-11-01T08:00:00Z\nauthor: bob\n---\nGone.\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(in, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		a := postFile(t, src, srcMedia, filepath.Join(in, name), now)
		if name == "gone.md" {
			if err := src.DeleteArticle(ctx, a.ID, now); err != nil {
				t.Fatal(err)
			}
		}
	}

	out := filepath.Join(t.TempDir(), "export")
	var stdout bytes.Buffer
	if err := run(ctx, []string{"export", out, "--data", srcData}, strings.NewReader(""), &stdout, &stdout); err != nil {
		t.Fatalf("export: %v\n%s", err, stdout.String())
	}
	if !strings.Contains(stdout.String(), "exported 8 articles (2 with comments) and 2 media files") {
		t.Errorf("output: %s", stdout.String())
	}
	mds, _ := filepath.Glob(filepath.Join(out, "articles", "*.md"))
	var names []string
	for _, p := range mds {
		names = append(names, filepath.Base(p))
	}
	for _, want := range []string{"2012-11-16-" + dprkSlug + ".md", "2012-11-12-trade-the-numbers.md", "2012-12-24-coming-soon.md"} {
		if !slices.Contains(names, want) {
			t.Errorf("no %s in %v", want, names)
		}
	}
	if len(mds) != 8 || slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, "deleted-one") }) {
		t.Errorf("exported files: %v", names)
	}

	// Comments of the DPRK article: every status, threads, e-mails.
	raw, err := os.ReadFile(filepath.Join(out, "articles", "2012-11-16-"+dprkSlug+".comments.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cj exportComments
	if err := json.Unmarshal(raw, &cj); err != nil {
		t.Fatal(err)
	}
	byURI := map[string]exportInteraction{}
	kinds := map[string]int{}
	for _, in := range cj.Interactions {
		byURI[in.ObjectURI] = in
		kinds[in.Kind+"/"+in.Status]++
	}
	if cj.Article.Slug != dprkSlug || len(cj.Interactions) != 7 || kinds["comment/approved"] != 3 || kinds["comment/pending"] != 1 ||
		kinds["comment/spam"] != 1 || kinds["pingback/approved"] != 1 || kinds["trackback/approved"] != 1 {
		t.Errorf("comments.json: %s %d %v", cj.Article.Slug, len(cj.Interactions), kinds)
	}
	c1, c2, c3 := byURI[commentURI("1")], byURI[commentURI("2")], byURI[commentURI("3")]
	if c2.ParentID == nil || *c2.ParentID != c1.ID || c3.ParentID == nil || *c3.ParentID != c2.ID || c1.AuthorEmail != "keiko.m@mail.example.jp" ||
		!c1.PublishedAt.Equal(time.Date(2012, 11, 16, 22, 12, 33, 0, time.UTC)) || c1.Content == "" || c1.AuthorURL != "http://keiko.example.jp/" {
		t.Errorf("exported thread: %+v / %+v / %+v", c1, c2, c3)
	}

	// Post every file into a fresh blog with the same authors.
	dst := modelstest.SQLite(t)
	dstMedia := web.DirStore{Dir: t.TempDir()}
	addAuthors(t, dst, "alice", "bob", "admin_wp", "j_tanaka")
	for _, p := range mds {
		postFile(t, dst, dstMedia, p, now.Add(time.Hour))
	}
	compared := 0
	err = src.ExportArticles(ctx, func(a *models.Article, _ []models.Interaction) error {
		b, err := dst.ArticleBySlug(ctx, a.Slug)
		if err != nil {
			t.Errorf("%s not recreated: %v", a.Slug, err)
			return nil
		}
		compared++
		if b.Title != a.Title || b.Status != a.Status || b.Summary != a.Summary || b.Pinned != a.Pinned || b.Author.Username != a.Author.Username {
			t.Errorf("%s: got %q %s %q pinned=%v by %s; want %q %s %q pinned=%v by %s", a.Slug,
				b.Title, b.Status, b.Summary, b.Pinned, b.Author.Username, a.Title, a.Status, a.Summary, a.Pinned, a.Author.Username)
		}
		if a.PublishedAt != nil && (b.PublishedAt == nil || !b.PublishedAt.Equal(*a.PublishedAt)) {
			t.Errorf("%s: date %v, want %v", a.Slug, b.PublishedAt, a.PublishedAt)
		}
		if !slices.Equal(tagNames(a), tagNames(b)) {
			t.Errorf("%s: tags %v, want %v", a.Slug, tagNames(b), tagNames(a))
		}
		if !slices.Equal(localMedia(a), localMedia(b)) {
			t.Errorf("%s: media %v, want %v", a.Slug, localMedia(b), localMedia(a))
		}
		want := a.HTML
		if a.Format == "html" {
			// Re-rendering HTML through Markdown may only change spacing.
			want, b.HTML = strings.Join(strings.Fields(want), " "), strings.Join(strings.Fields(b.HTML), " ")
		} else if b.Markdown != a.Markdown {
			t.Errorf("%s: markdown\n%q\nwant\n%q", a.Slug, b.Markdown, a.Markdown)
		}
		if b.HTML != want {
			t.Errorf("%s: HTML\n%s\nwant\n%s", a.Slug, b.HTML, want)
		}
		return nil
	})
	if err != nil || compared != 8 {
		t.Errorf("compared %d articles: %v", compared, err)
	}
}
