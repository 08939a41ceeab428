package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
	"fedpress/web"
)

// The fixture is a 2012 WordPress 3.4 export: 3 published posts, a draft,
// a scheduled post, a page and a trashed post; 6 comments (a thread three
// deep, one pending, one spam), 2 pingbacks and a trackback; 2 attachments,
// one whose file is in testdata/wp-uploads and one that is not.
const (
	wxrFixture  = "testdata/wordpress.xml"
	wxrUploads  = "testdata/wp-uploads"
	wxrSite     = "http://asiadesk.example.org"
	dprkSlug    = "dprk-japan-talks-in-ulan-bator-end"
	missingJPEG = "http://asiadesk.example.org/wp-content/uploads/2012/11/delegation-arrives.jpg"
)

func readFixture(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(wxrFixture)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func fromBytes(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

func fakeKeys() (string, string, error) { return "test-private", "test-public", nil }

func fakeSettingsKeys() (string, string, string, string, error) {
	return "bp", "bpub", "ip", "ipub", nil
}

// wxrTestOptions imports into a fresh media folder, returned for checks.
func wxrTestOptions(t *testing.T, uploads string) (wxrOptions, string) {
	media := t.TempDir()
	return wxrOptions{
		MediaDir: uploads, Media: web.DirStore{Dir: media}, BlogUsername: "blog",
		Keys: fakeKeys, Now: time.Date(2012, 11, 20, 12, 0, 0, 0, time.UTC),
	}, media
}

// dbState is what "a second import changes nothing" compares.
type dbState struct {
	Counts                          map[string]int64
	Articles, Interactions, Authors map[uint]int64 // id → updated_at
}

func stateOf(t *testing.T, s *models.Store) dbState {
	t.Helper()
	ctx := context.Background()
	st := dbState{Articles: map[uint]int64{}, Interactions: map[uint]int64{}, Authors: map[uint]int64{}}
	var err error
	if st.Counts, err = s.TableCounts(ctx); err != nil {
		t.Fatal(err)
	}
	err = s.ExportArticles(ctx, func(a *models.Article, ins []models.Interaction) error {
		st.Articles[a.ID] = a.UpdatedAt.UnixNano()
		for _, in := range ins {
			st.Interactions[in.ID] = in.UpdatedAt.UnixNano()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	as, err := s.ListAuthors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		st.Authors[a.ID] = a.UpdatedAt.UnixNano()
	}
	return st
}

func sameState(t *testing.T, before, after dbState) {
	t.Helper()
	for k, v := range before.Counts {
		if after.Counts[k] != v {
			t.Errorf("%s: %d rows, then %d", k, v, after.Counts[k])
		}
	}
	for name, m := range map[string][2]map[uint]int64{
		"article": {before.Articles, after.Articles}, "interaction": {before.Interactions, after.Interactions},
		"author": {before.Authors, after.Authors},
	} {
		if len(m[0]) != len(m[1]) {
			t.Errorf("%d %ss, then %d", len(m[0]), name, len(m[1]))
		}
		for id, u := range m[0] {
			if m[1][id] != u {
				t.Errorf("%s %d updated_at changed", name, id)
			}
		}
	}
}

// interactionsByURI loads every interaction (all statuses) keyed by ObjectURI.
func interactionsByURI(t *testing.T, s *models.Store) map[string]models.Interaction {
	t.Helper()
	out := map[string]models.Interaction{}
	err := s.ExportArticles(context.Background(), func(_ *models.Article, ins []models.Interaction) error {
		for _, in := range ins {
			out[*in.ObjectURI] = in
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func commentURI(id string) string { return "wxr:" + wxrSite + ":comment:" + id }

func TestImportWXR(t *testing.T) {
	data := readFixture(t)
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		if _, err := s.EnsureSettings(ctx, fakeSettingsKeys); err != nil {
			t.Fatal(err)
		}
		// An author of the same (normalised) name exists: it is reused.
		tanaka := &models.Author{Username: "j_tanaka", Name: "J. Tanaka", PasswordHash: "x", PrivateKeyPEM: "k", PublicKeyPEM: "p"}
		if err := s.CreateAuthor(ctx, tanaka); err != nil {
			t.Fatal(err)
		}
		opt, mediaDir := wxrTestOptions(t, wxrUploads)
		sum, err := importWXR(ctx, s, fromBytes(data), opt)
		if err != nil {
			t.Fatal(err)
		}
		want := wxrSummary{
			Site:    `"Asia Desk" (` + wxrSite + `)`,
			Authors: wxrCount{1, 1}, Articles: wxrCount{5, 0}, Comments: wxrCount{6, 0}, Pings: wxrCount{3, 0},
			Media: wxrCount{2, 0}, Redirects: 13, Ignored: 2,
		}
		if sum != want {
			t.Fatalf("summary = %+v\nwant      %+v", sum, want)
		}
		counts, err := s.TableCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for table, n := range map[string]int64{"authors": 2, "articles": 5, "interactions": 9, "media": 2, "legacy_redirects": 13, "tags": 11} {
			if counts[table] != n {
				t.Errorf("%s = %d, want %d", table, counts[table], n)
			}
		}

		admin, err := s.AuthorByUsername(ctx, "admin_wp") // "admin" is reserved
		if err != nil {
			t.Fatal(err)
		}
		if admin.Name != "Asia Desk Editors" || admin.PasswordHash != "!" || admin.PrivateKeyPEM != "test-private" || admin.Email != "editors@asiadesk.example.org" {
			t.Errorf("imported author = %+v", admin)
		}

		dprk, err := s.ArticleBySlug(ctx, dprkSlug)
		if err != nil {
			t.Fatal(err)
		}
		if !dprk.Imported || dprk.FederatedAt != nil || dprk.Format != "html" || dprk.Markdown != "" || dprk.WPPostID != 101 {
			t.Errorf("DPRK article flags: imported=%v federated=%v format=%q wp=%d", dprk.Imported, dprk.FederatedAt, dprk.Format, dprk.WPPostID)
		}
		if dprk.AuthorID != tanaka.ID || !dprk.Pinned || dprk.Status != models.StatusPublished || dprk.Language != "en-US" {
			t.Errorf("DPRK article: author=%d pinned=%v status=%s lang=%s", dprk.AuthorID, dprk.Pinned, dprk.Status, dprk.Language)
		}
		if want := time.Date(2012, 11, 16, 16, 10, 0, 0, time.UTC); dprk.PublishedAt == nil || !dprk.PublishedAt.Equal(want) {
			t.Errorf("DPRK published %v, want %v", dprk.PublishedAt, want)
		}
		if dprk.Summary != "Both sides agree to keep talking, but set no date for the next round." {
			t.Errorf("summary %q", dprk.Summary)
		}
		var tags []string
		for _, tg := range dprk.Tags {
			tags = append(tags, tg.Slug)
		}
		if strings.Join(tags, ",") != "abductions,asia-pacific,diplomacy,japan,mongolia,north-korea" {
			t.Errorf("tags = %v", tags)
		}

		// Captions became figures; the photo in --media-dir is served by us,
		// the missing one stays a link to the old blog.
		var local *models.Media
		for i, m := range dprk.Media {
			if m.RemoteURL == "" {
				local = &dprk.Media[i]
			} else if m.RemoteURL != missingJPEG {
				t.Errorf("remote media %q", m.RemoteURL)
			} else if m.Alt != "The North Korean delegation arrives" {
				// No _wp_attachment_image_alt: the post's <img alt> describes it.
				t.Errorf("remote media alt %q, want the post's", m.Alt)
			}
		}
		if len(dprk.Media) != 2 || local == nil {
			t.Fatalf("DPRK media = %+v", dprk.Media)
		}
		if local.Width != 120 || local.Height != 80 || local.MimeType != "image/jpeg" || local.Alt != "Delegates at the negotiating table" ||
			!strings.HasPrefix(local.Caption, "Delegations from Pyongyang") || local.AuthorID != tanaka.ID {
			t.Errorf("local media = %+v", local)
		}
		if _, err := os.Stat(filepath.Join(mediaDir, local.Path)); err != nil {
			t.Errorf("media file not stored: %v", err)
		}
		html := dprk.HTML
		for _, want := range []string{
			`<figure><a href="/media/` + local.Path + `"><img`,
			`src="/media/` + local.Path + `"`,
			`<figcaption>Delegations from Pyongyang and Tokyo face each other on the second day of talks in Ulan Bator.</figcaption></figure>`,
			`src="` + missingJPEG + `"`,
			`<figcaption>The North Korean delegation arrives at the government guest house.</figcaption>`,
			"<p>ULAN BATOR — Two days",
			"<br/>\nNorth Korea", // a single newline is a line break
			"<blockquote><p>We agreed to continue consultations. The question of the abductions was discussed.</p></blockquote>",
			"<li>the abduction issue remains unresolved;</li>",
		} {
			if !strings.Contains(html, want) {
				t.Errorf("DPRK HTML lacks %q:\n%s", want, html)
			}
		}
		if n := strings.Count(html, "<figure>"); n != 2 {
			t.Errorf("%d figures", n)
		}
		for _, bad := range []string{"[caption", "[/caption]", "<script", "alert(", "<p><blockquote", "<p><ul", "<p><figure"} {
			if strings.Contains(html, bad) {
				t.Errorf("DPRK HTML has %q:\n%s", bad, html)
			}
		}

		xi, err := s.ArticleBySlug(ctx, "xi-jinping-takes-the-helm")
		if err != nil {
			t.Fatal(err)
		}
		if xi.Title != "Xi Jinping takes the helm of China’s Communist Party" || strings.Count(xi.HTML, "<p>") != 3 || xi.AuthorID != admin.ID {
			t.Errorf("Xi article: %q author %d\n%s", xi.Title, xi.AuthorID, xi.HTML)
		}
		obama, err := s.ArticleBySlug(ctx, "obama-in-myanmar")
		if err != nil {
			t.Fatal(err)
		}
		// Already HTML: kept, and the photo of another site is untouched.
		if !strings.Contains(obama.HTML, "<h3>What was on the table</h3>") || !strings.Contains(obama.HTML, `src="http://photos.example.com/obama-yangon.jpg"`) ||
			strings.Count(obama.HTML, "<p>") != 3 {
			t.Errorf("Obama HTML:\n%s", obama.HTML)
		}
		draft, err := s.ArticleBySlug(ctx, "asean-summit-in-phnom-penh-what-to-watch")
		if err != nil {
			t.Fatal(err)
		}
		if draft.Status != models.StatusDraft || draft.PublishedAt != nil || len(draft.Tags) != 0 || !strings.Contains(draft.HTML, "[gallery ids=") {
			t.Errorf("draft: status=%s published=%v tags=%v\n%s", draft.Status, draft.PublishedAt, draft.Tags, draft.HTML)
		}
		future, err := s.ArticleBySlug(ctx, "weekly-roundup-november-23")
		if err != nil {
			t.Fatal(err)
		}
		if !future.IsScheduled(opt.Now) || !future.PublishedAt.Equal(time.Date(2012, 11, 23, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("future post: status=%s published=%v", future.Status, future.PublishedAt)
		}
		if _, err := s.ArticleBySlug(ctx, "about"); !models.ErrIsNotFound(err) {
			t.Errorf("the page was imported: %v", err)
		}
		if _, err := s.ArticleBySlug(ctx, "hello-world__trashed"); !models.ErrIsNotFound(err) {
			t.Errorf("the trashed post was imported: %v", err)
		}

		// Comments: threads, moderation states, dates and authors.
		ins := interactionsByURI(t, s)
		c1, c2, c3 := ins[commentURI("1")], ins[commentURI("2")], ins[commentURI("3")]
		if c1.ParentID != nil || c2.ParentID == nil || *c2.ParentID != c1.ID || c3.ParentID == nil || *c3.ParentID != c2.ID {
			t.Errorf("thread: c1.parent=%v c2.parent=%v (c1=%d) c3.parent=%v (c2=%d)", c1.ParentID, c2.ParentID, c1.ID, c3.ParentID, c2.ID)
		}
		if c3.LocalAuthorID == nil || *c3.LocalAuthorID != tanaka.ID {
			t.Errorf("the author's own reply has local author %v", c3.LocalAuthorID)
		}
		for id, status := range map[string]string{"1": "approved", "2": "approved", "3": "approved", "4": "pending", "5": "spam", "7": "approved"} {
			in := ins[commentURI(id)]
			if in.Status != status || in.Kind != models.KindComment || in.Source != models.SourceWXR || in.Visibility != "public" {
				t.Errorf("comment %s: kind=%s status=%s source=%s, want status %s", id, in.Kind, in.Status, in.Source, status)
			}
		}
		if !c1.PublishedAt.Equal(time.Date(2012, 11, 16, 22, 12, 33, 0, time.UTC)) || c1.AuthorName != "Keiko M." ||
			c1.AuthorEmail != "keiko.m@mail.example.jp" || c1.AuthorURL != "http://keiko.example.jp/" || c1.AuthorIP != "192.0.2.41" ||
			c1.ArticleID != dprk.ID || strings.Count(c1.Content, "<p>") != 2 {
			t.Errorf("comment 1 = %+v", c1)
		}
		if spam := ins[commentURI("5")]; strings.Contains(spam.Content, "<script") || !strings.Contains(spam.Content, `rel="nofollow ugc noopener"`) {
			t.Errorf("spam content not sanitized as visitor HTML: %s", spam.Content)
		}
		pb := ins[commentURI("6")]
		if pb.Kind != models.KindPingback || pb.URL != "http://koreawatch.example.net/2012/11/17/talks-end/" ||
			pb.Title != "Korea Watch » Talks end without a date for the next round" || !strings.Contains(pb.Content, "both sides agreed") {
			t.Errorf("pingback = %+v", pb)
		}
		if pb2 := ins[commentURI("8")]; pb2.Kind != models.KindPingback || pb2.ArticleID != xi.ID {
			t.Errorf("pingback on Xi = %+v", pb2)
		}
		if tb := ins[commentURI("9")]; tb.Kind != models.KindTrackback || tb.Title != "Mongolia Today" || tb.Status != models.StatusApproved {
			t.Errorf("trackback = %+v", tb)
		}

		// Old URLs lead to the articles.
		for path, art := range map[string]uint{
			"/?p=101": dprk.ID, "/2012/11/17/" + dprkSlug + "/": dprk.ID, "/" + dprkSlug + "/": dprk.ID,
			"/2012/11/15/xi-jinping-takes-the-helm/": xi.ID, "/?p=112": draft.ID, "/weekly-roundup-november-23/": future.ID,
		} {
			if got, err := s.LegacyRedirectTarget(ctx, path); err != nil || got != art {
				t.Errorf("redirect %s → %d, %v; want %d", path, got, err, art)
			}
		}
		if _, err := s.LegacyRedirectTarget(ctx, "/about/"); !models.ErrIsNotFound(err) {
			t.Errorf("page redirect: %v", err)
		}

		// Imported articles are never announced to followers.
		due, err := s.DueForFederation(ctx, time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil || len(due) != 0 {
			t.Errorf("due for federation: %d %v", len(due), err)
		}

		// Running it again finds everything and changes nothing.
		before := stateOf(t, s)
		sum, err = importWXR(ctx, s, fromBytes(data), opt)
		if err != nil {
			t.Fatal(err)
		}
		want = wxrSummary{
			Site:    want.Site,
			Authors: wxrCount{0, 2}, Articles: wxrCount{0, 5}, Comments: wxrCount{0, 6}, Pings: wxrCount{0, 3},
			Media: wxrCount{0, 2}, Redirects: 0, Ignored: 2,
		}
		if sum != want {
			t.Errorf("second summary = %+v\nwant             %+v", sum, want)
		}
		sameState(t, before, stateOf(t, s))
	})
}

// emptyDB fails the test unless nothing was imported.
func emptyDB(t *testing.T, s *models.Store) {
	t.Helper()
	counts, err := s.TableCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range counts {
		if n != 0 {
			t.Errorf("%s has %d rows after a failed import", table, n)
		}
	}
}

func TestImportWXRTruncatedImportsNothing(t *testing.T) {
	data := readFixture(t)
	cut := data[:len(data)*2/3]
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		opt, _ := wxrTestOptions(t, wxrUploads)
		_, err := importWXR(ctx, s, fromBytes(cut), opt)
		if err == nil || !regexp.MustCompile(`^wxr: line \d+: .*truncated`).MatchString(err.Error()) {
			t.Fatalf("truncated file: err = %v", err)
		}
		emptyDB(t, s)
	})
}

// TestImportWXRRollsBack makes the second pass fail late (the file changed
// between the passes): authors, media and posts written before the failure
// must be rolled back with it.
func TestImportWXRRollsBack(t *testing.T) {
	data := readFixture(t)
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		opt, _ := wxrTestOptions(t, wxrUploads)
		calls := 0
		open := func() (io.ReadCloser, error) {
			calls++
			if calls == 1 {
				return io.NopCloser(bytes.NewReader(data)), nil
			}
			end := bytes.Index(data, []byte("<title>Weekly roundup"))
			return io.NopCloser(bytes.NewReader(data[:end])), nil
		}
		_, err := importWXR(ctx, s, open, opt)
		if err == nil || !strings.HasPrefix(err.Error(), "wxr: line ") {
			t.Fatalf("err = %v", err)
		}
		emptyDB(t, s)
	})
}

func TestImportWXRWithoutMediaDir(t *testing.T) {
	ctx := context.Background()
	s := modelstest.SQLite(t)
	opt, _ := wxrTestOptions(t, "")
	sum, err := importWXR(ctx, s, fromBytes(readFixture(t)), opt)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Media != (wxrCount{2, 0}) {
		t.Errorf("media = %+v", sum.Media)
	}
	a, err := s.ArticleBySlug(ctx, dprkSlug)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range a.Media {
		if m.RemoteURL == "" || !strings.HasPrefix(m.Path, "wxr-") || m.MimeType != "image/jpeg" {
			t.Errorf("media without --media-dir: %+v", m)
		}
	}
	if strings.Contains(a.HTML, "/media/") || !strings.Contains(a.HTML, `src="http://asiadesk.example.org/wp-content/uploads/2012/11/talks-ulaanbaatar.jpg"`) {
		t.Errorf("image URLs rewritten without --media-dir:\n%s", a.HTML)
	}
}

// TestImportWXRPostThreadsOutOfOrder covers replies listed before their
// parent, which hand-made or merged exports have.
func TestImportWXRPostThreadsOutOfOrder(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := &models.Author{Username: "ed", Name: "Ed", PasswordHash: "!", PrivateKeyPEM: "k", PublicKeyPEM: "p"}
		if err := s.CreateAuthor(ctx, a); err != nil {
			t.Fatal(err)
		}
		uri := func(s string) *string { return &s }
		comment := func(id, parent int) models.WXRComment {
			return models.WXRComment{WPID: id, WPParentID: parent, Interaction: models.Interaction{
				Kind: models.KindComment, Source: models.SourceWXR, Status: models.StatusApproved,
				ObjectURI: uri("wxr:x:comment:" + string(rune('0'+id))),
			}}
		}
		post := models.WXRPost{
			Article:  models.ArticleInput{Title: "T", Slug: "t", Status: models.StatusDraft, AuthorID: a.ID, Format: "html", WPPostID: 7},
			Comments: []models.WXRComment{comment(3, 2), comment(2, 1), comment(1, 0), comment(4, 99)},
		}
		res, err := s.ImportWXRPost(ctx, post)
		if err != nil || !res.Created || res.Added[models.KindComment] != 4 {
			t.Fatalf("ImportWXRPost = %+v, %v", res, err)
		}
		get := func(id int) *models.Interaction {
			in, err := s.InteractionByObjectURI(ctx, "wxr:x:comment:"+string(rune('0'+id)))
			if err != nil {
				t.Fatal(err)
			}
			return in
		}
		c1, c2, c3, c4 := get(1), get(2), get(3), get(4)
		if c2.ParentID == nil || *c2.ParentID != c1.ID || c3.ParentID == nil || *c3.ParentID != c2.ID || c4.ParentID != nil {
			t.Errorf("parents: c2=%v c3=%v c4=%v", c2.ParentID, c3.ParentID, c4.ParentID)
		}
		// Same post again, slug taken by now: found by WordPress id.
		res, err = s.ImportWXRPost(ctx, post)
		if err != nil || res.Created || res.Skipped[models.KindComment] != 4 {
			t.Errorf("second ImportWXRPost = %+v, %v", res, err)
		}
	})
}

func TestParseWXRErrors(t *testing.T) {
	head := `<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><wp:wxr_version>1.2</wp:wxr_version>`
	for name, tc := range map[string]struct{ in, want string }{
		"empty":       {"", "wxr: line 1: empty file"},
		"not rss":     {`<html><body/></html>`, "root element is <html>"},
		"plain rss":   {`<rss><channel><item><title>x</title></item></channel></rss>`, "no wp:wxr_version"},
		"no channel":  {`<rss></rss>`, "no <channel>"},
		"bad number":  {head + "\n<item>\n<wp:post_id>12a</wp:post_id></item></channel></rss>", `wxr: line 3: <post_id> "12a" is not a number`},
		"bad date":    {head + "<item><wp:post_date>yesterday</wp:post_date></item></channel></rss>", `not a date`},
		"truncated":   {head + "<item><title>x</ti", "truncated"},
		"mismatched":  {head + "<item></channel></rss>", "wxr: line 1: element <item> closed by </channel>"},
		"trailing":    {head + "</channel></rss><rss/>", "after </rss>"},
		"bad entity":  {head + "<title>&nosuch;</title></channel></rss>", "wxr: line 1: invalid character entity &nosuch;"},
		"bad charset": {`<?xml version="1.0" encoding="KOI8-R"?><rss/>`, "wxr: line 1: "},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseWXR(strings.NewReader(tc.in), wxrHandler{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// Control characters WordPress writes verbatim do not fail a file,
	// and HTML entities outside CDATA are understood.
	in := head + "<item><title>A\x0bB&nbsp;C</title><wp:post_type>post</wp:post_type></item></channel></rss>"
	var title string
	if _, err := parseWXR(strings.NewReader(in), wxrHandler{Item: func(it *wxrItem) error { title = it.Title; return nil }}); err != nil || title != "AB\u00a0C" {
		t.Errorf("title %q, err %v", title, err)
	}
}

func TestWPContent(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"paragraphs":   {"One\ntwo\n\nThree", "<p>One<br />\ntwo</p>\n<p>Three</p>"},
		"blocks kept":  {"<p>Already</p>\n\n<ul>\n<li>a</li>\n</ul>", "<p>Already</p>\n<ul>\n<li>a</li>\n</ul>"},
		"mixed":        {"Intro:\n<ul><li>x</li></ul>\nAfter", "<p>Intro:</p>\n<ul>\n<li>x</li>\n</ul>\n<p>After</p>"},
		"pre kept":     {"Code:\n\n<pre>a\n\nb</pre>\n\nEnd", "<p>Code:</p>\n<pre>a\n\nb</pre>\n<p>End</p>"},
		"blockquote":   {"<blockquote>Quote\n\nTwo</blockquote>", "<blockquote><p>Quote</p>\n<p>Two</p></blockquote>"},
		"quote inline": {"<blockquote>One line</blockquote>\nAfter", "<blockquote><p>One line</p></blockquote>\n<p>After</p>"},
		"div text":     {"<div class=\"x\">A\n\nB</div>", "<div class=\"x\">A\n<p>B</p></div>"},
		"more":         {"Lead\n\n<!--more-->\n\nRest", "<p>Lead</p>\n<!--more-->\n<p>Rest</p>"},
		"block editor": {"<!-- wp:paragraph -->\n<p>Hi</p>\n<!-- /wp:paragraph -->\n\nx", "<!-- wp:paragraph -->\n<p>Hi</p>\n<!-- /wp:paragraph -->\n\nx"},
		"caption": {`[caption id="a" align="alignleft" width="300"]<img src="p.jpg" alt="" /> A <em>photo</em>[/caption]`,
			"<figure><img src=\"p.jpg\" alt=\"\" /><figcaption>A <em>photo</em></figcaption></figure>"},
		"old caption": {`[caption id="a" caption="Old style"]<a href="p.jpg"><img src="p.jpg" /></a>[/caption]`,
			"<figure><a href=\"p.jpg\"><img src=\"p.jpg\" /></a><figcaption>Old style</figcaption></figure>"},
		"no image":        {`[caption]just text[/caption]`, "<p>[caption]just text[/caption]</p>"},
		"other shortcode": {`[youtube id="x"]`, `<p>[youtube id="x"]</p>`},
		"crlf":            {"a\r\nb", "<p>a<br />\nb</p>"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := wpContent(tc.in); got != tc.want {
				t.Errorf("wpContent(%q) =\n%q\nwant\n%q", tc.in, got, tc.want)
			}
		})
	}
}

func TestWXRNames(t *testing.T) {
	for login, want := range map[string]string{
		"j.tanaka": "j_tanaka", "Admin": "admin_wp", "blog": "blog_wp", "": "wp_author", "  Ünïcode-Üser ": "n_code_ser",
		"a_very_long_login_name_that_goes_on": "a_very_long_login_name_that", "___": "wp_author",
	} {
		if got := wxrUsername(login, "blog"); got != want || models.ValidUsername(got, "blog") != nil {
			t.Errorf("wxrUsername(%q) = %q, want %q", login, got, want)
		}
	}
	for _, tc := range []struct {
		name, title string
		id          int
		want        string
	}{
		{"dprk-talks", "x", 1, "dprk-talks"},
		{"%e6%97%a5%e6%9c%ac", "Japan and China", 5, "japan-and-china"},
		{"", "Café société", 5, "cafe-societe"},
		{"", "日本", 5, "post-5"},
		{"Mixed_Case", "", 5, "mixed-case"},
	} {
		if got := wxrSlug(tc.name, tc.title, tc.id); got != tc.want {
			t.Errorf("wxrSlug(%q, %q) = %q, want %q", tc.name, tc.title, got, tc.want)
		}
	}
	for in, want := range map[string]string{"1": "approved", "0": "pending", "spam": "spam", "trash": "deleted", "post-trashed": "deleted", "x": "pending"} {
		if got := wxrCommentStatus(in); got != want {
			t.Errorf("wxrCommentStatus(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"": "comment", "comment": "comment", "pingback": "pingback", "trackback": "trackback", "review": "comment"} {
		if got := wxrCommentKind(in); got != want {
			t.Errorf("wxrCommentKind(%q) = %q, want %q", in, got, want)
		}
	}
	im := &wxrImporter{hosts: map[string]bool{"asiadesk.example.org": true}}
	for in, want := range map[string]string{
		"http://asiadesk.example.org/wp-content/uploads/2012/11/a.jpg":    "2012/11/a.jpg",
		"/wp-content/uploads/2012/11/a.jpg":                               "2012/11/a.jpg",
		"http://other.example/wp-content/uploads/2012/11/a.jpg":           "",
		"http://asiadesk.example.org/wp-content/uploads/../../etc/passwd": "",
		"http://asiadesk.example.org/about/":                              "",
	} {
		if got, _ := im.uploadPath(in); got != want {
			t.Errorf("uploadPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestImportWXRCommand runs the command line as a user would, with the
// flag after the file name.
func TestImportWXRCommand(t *testing.T) {
	data := t.TempDir()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"import-wxr", wxrFixture, "--media-dir", wxrUploads, "--data", data}, strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Fatalf("import-wxr: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{`imported "Asia Desk"`, `articles:\s+5 imported`, `comments:\s+6 imported`, `pingbacks:\s+3 imported`, `media:\s+2 imported`, `redirects:\s+13`} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	ents, err := os.ReadDir(filepath.Join(data, "media"))
	if err != nil || len(ents) != 1 {
		t.Errorf("media folder: %v %v", ents, err)
	}
	// A damaged file: a clear error naming the file and the line.
	bad := filepath.Join(t.TempDir(), "cut.xml")
	full := readFixture(t)
	if err := os.WriteFile(bad, full[:len(full)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"import-wxr", "--data", t.TempDir(), bad}, strings.NewReader(""), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "cut.xml: wxr: line ") || !strings.Contains(err.Error(), "nothing was imported") {
		t.Errorf("damaged file: %v", err)
	}
}

// TestImportWXRRefusesLinksOutOfMediaDir: a symbolic link among the
// uploads that leads out of --media-dir (to a file, or a folder) is not
// followed: the image stays a link to the old site. A link that stays
// inside the folder is fine.
func TestImportWXRRefusesLinksOutOfMediaDir(t *testing.T) {
	jpeg, err := os.ReadFile(filepath.Join(wxrUploads, "2012", "11", "talks-ulaanbaatar.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir() // stands for /etc, or the data folder
	if err := os.MkdirAll(filepath.Join(outside, "11"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(outside, "secret.jpg"), filepath.Join(outside, "11", "talks-ulaanbaatar.jpg")} {
		if err := os.WriteFile(p, jpeg, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		build func(t *testing.T, uploads string)
		local bool
	}{
		{"a file linked to outside", func(t *testing.T, uploads string) {
			mkdir(t, filepath.Join(uploads, "2012", "11"))
			symlink(t, filepath.Join(outside, "secret.jpg"), filepath.Join(uploads, "2012", "11", "talks-ulaanbaatar.jpg"))
		}, false},
		{"a relative link climbing out", func(t *testing.T, uploads string) {
			mkdir(t, filepath.Join(uploads, "2012", "11"))
			rel, err := filepath.Rel(filepath.Join(uploads, "2012", "11"), filepath.Join(outside, "secret.jpg"))
			if err != nil {
				t.Fatal(err)
			}
			symlink(t, rel, filepath.Join(uploads, "2012", "11", "talks-ulaanbaatar.jpg"))
		}, false},
		{"a folder linked to outside", func(t *testing.T, uploads string) {
			symlink(t, outside, filepath.Join(uploads, "2012"))
		}, false},
		{"wp-content/uploads linked to outside", func(t *testing.T, uploads string) {
			mkdir(t, filepath.Join(uploads, "wp-content"))
			mkdir(t, filepath.Join(outside, "up", "2012", "11"))
			if err := os.WriteFile(filepath.Join(outside, "up", "2012", "11", "talks-ulaanbaatar.jpg"), jpeg, 0o600); err != nil {
				t.Fatal(err)
			}
			symlink(t, filepath.Join(outside, "up"), filepath.Join(uploads, "wp-content", "uploads"))
		}, false},
		{"a link inside the folder", func(t *testing.T, uploads string) {
			mkdir(t, filepath.Join(uploads, "2012", "11"))
			if err := os.WriteFile(filepath.Join(uploads, "original.jpg"), jpeg, 0o600); err != nil {
				t.Fatal(err)
			}
			symlink(t, filepath.Join("..", "..", "original.jpg"), filepath.Join(uploads, "2012", "11", "talks-ulaanbaatar.jpg"))
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			uploads := t.TempDir()
			tt.build(t, uploads)
			s := modelstest.SQLite(t)
			opt, media := wxrTestOptions(t, uploads)
			if _, err := importWXR(ctx, s, fromBytes(readFixture(t)), opt); err != nil {
				t.Fatal(err)
			}
			a, err := s.ArticleBySlug(ctx, dprkSlug)
			if err != nil {
				t.Fatal(err)
			}
			files, err := os.ReadDir(media)
			if err != nil {
				t.Fatal(err)
			}
			local := strings.Contains(a.HTML, "/media/")
			if local != tt.local || (len(files) > 0) != tt.local {
				t.Fatalf("imported locally: %v (want %v); media folder %d files\n%s", local, tt.local, len(files), a.HTML)
			}
		})
	}
}

func mkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o700); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
