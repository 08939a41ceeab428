package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"fedpress/models"
)

// savedArticle follows a save's redirect to the article it made.
func (ad *admin) savedArticle(t *testing.T, rec interface {
	Result() *http.Response
}) *models.Article {
	t.Helper()
	res := rec.Result()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: status %d", res.StatusCode)
	}
	m := regexp.MustCompile(`^/admin/articles/(\d+)/edit/\?msg=`).FindStringSubmatch(res.Header.Get("Location"))
	if m == nil {
		t.Fatalf("save redirected to %q", res.Header.Get("Location"))
	}
	id, _ := strconv.Atoi(m[1])
	a, err := ad.ts.Store.ArticleByID(context.Background(), uint(id))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// siteStatus is what a reader gets at path.
func (ts *testServer) siteStatus(path string) int {
	return ts.get(path).Code
}

func TestArticleCreate(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	now := ts.Now()
	future := now.Add(48 * time.Hour).UTC()
	past := time.Date(2012, 11, 17, 10, 4, 0, 0, time.UTC)
	tests := []struct {
		name       string
		form       url.Values
		msg        string
		status     string // models status
		visible    bool
		scheduled  bool
		slug       string
		publishing *time.Time // exact PublishedAt expected, nil: about now / none
	}{
		{
			name: "draft", msg: "draft", status: models.StatusDraft, slug: "my-first-draft",
			form: url.Values{"title": {"My first draft"}, "body": {"Draft *text*"}, "action": {"draft"}},
		},
		{
			name: "publish now", msg: "published", status: models.StatusPublished, visible: true, slug: "hello-world",
			form: url.Values{"title": {"Hello, World!"}, "body": {"Hi"}, "tags": {"Travel, photos ,travel"}, "action": {"publish"}},
		},
		{
			name: "publish with a past date", msg: "published", status: models.StatusPublished, visible: true, slug: "old-news", publishing: &past,
			form: url.Values{"title": {"Old news"}, "body": {"Hi"}, "published_at": {"2012-11-17T10:04"}, "action": {"publish"}},
		},
		{
			name: "schedule", msg: "scheduled", status: models.StatusPublished, scheduled: true, slug: "coming-soon",
			form: url.Values{"title": {"Coming soon"}, "body": {"Soon"}, "published_utc": {future.Format(time.RFC3339)}, "action": {"publish"}},
		},
		{
			name: "own slug", msg: "published", status: models.StatusPublished, visible: true, slug: "custom-slug",
			form: url.Values{"title": {"Whatever"}, "slug": {"Custom Slug!"}, "body": {"x"}, "action": {"publish"}},
		},
		{
			name: "untitled draft", msg: "draft", status: models.StatusDraft, slug: "untitled-",
			form: url.Values{"title": {""}, "body": {"An idea"}, "action": {"draft"}},
		},
		{
			name: "another untitled draft", msg: "draft", status: models.StatusDraft, slug: "untitled-",
			form: url.Values{"body": {"Another idea"}, "action": {"draft"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := ad.post("/admin/articles", tt.form)
			a := ad.savedArticle(t, rec)
			if got := rec.Header().Get("Location"); got != fmt.Sprintf("/admin/articles/%d/edit/?msg=%s", a.ID, tt.msg) {
				t.Errorf("redirect %q", got)
			}
			if tt.slug == "untitled-" && reUntitledSlug.MatchString(a.Slug) {
				tt.slug = a.Slug // made up
			}
			if a.Status != tt.status || a.Slug != tt.slug || a.AuthorID != ad.author.ID {
				t.Errorf("saved status %q slug %q author %d", a.Status, a.Slug, a.AuthorID)
			}
			if a.IsVisible(ts.Now()) != tt.visible || a.IsScheduled(ts.Now()) != tt.scheduled {
				t.Errorf("visible %v scheduled %v", a.IsVisible(ts.Now()), a.IsScheduled(ts.Now()))
			}
			if tt.publishing != nil && (a.PublishedAt == nil || !a.PublishedAt.Equal(*tt.publishing)) {
				t.Errorf("published at %v, want %v", a.PublishedAt, tt.publishing)
			}
			if a.HTML == "" || a.Markdown != tt.form.Get("body") {
				t.Errorf("markdown %q html %q", a.Markdown, a.HTML)
			}
			// What readers get at the permalink.
			perma := a.Permalink()
			want := http.StatusNotFound
			if tt.visible {
				want = http.StatusOK
			}
			if got := ts.siteStatus(perma); got != want {
				t.Errorf("GET %s: %d, want %d", perma, got, want)
			}
			// The editor shows it again.
			page := ad.get(fmt.Sprintf("/admin/articles/%d/edit/", a.ID))
			if page.Code != http.StatusOK {
				t.Fatalf("edit page: %d", page.Code)
			}
			if a.Title != "" {
				mustContain(t, page.Body.String(), `value="`+a.Slug+`"`)
			}
		})
	}

	hello, err := ts.Store.ArticleBySlug(context.Background(), "hello-world")
	if err != nil {
		t.Fatal(err)
	}
	if len(hello.Tags) != 2 {
		t.Errorf("tags %+v, want travel and photos once each", hello.Tags)
	}
}

func TestArticleCreateRefused(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	tests := []struct {
		name string
		form url.Values
		body string
	}{
		{"no title", url.Values{"title": {" "}, "body": {"text kept"}, "action": {"publish"}}, "Give the article a title before publishing it"},
		{"title of another article", url.Values{"title": {"Hello, World!"}, "body": {"text kept"}, "action": {"publish"}},
			"The title makes the slug “hello-world”, which the article “Hello, World!” already uses"},
		{"slug of another article", url.Values{"title": {"T"}, "slug": {"hello-world"}, "body": {"text kept"}, "action": {"draft"}},
			"The slug “hello-world” is already used by the article “Hello, World!”"},
		{"slug of a deleted article", url.Values{"title": {"T"}, "slug": {"gone"}, "body": {"text kept"}, "action": {"draft"}},
			"The slug “gone” is already used by the deleted article “Gone”"},
		{"slug without letters", url.Values{"title": {"T"}, "slug": {"!!"}, "body": {"text kept"}, "action": {"draft"}},
			"The slug needs at least one letter (a to z) or digit"},
		{"bad date", url.Values{"title": {"T"}, "body": {"text kept"}, "published_at": {"yesterday"}, "action": {"publish"}}, "not a valid date"},
		{"no action", url.Values{"title": {"T"}, "body": {"text kept"}}, "Save draft"},
	}
	ad.savedArticle(t, ad.post("/admin/articles", url.Values{"title": {"Hello, World!"}, "action": {"publish"}}))
	gone := ad.savedArticle(t, ad.post("/admin/articles", url.Values{"title": {"Gone"}, "action": {"publish"}}))
	if err := ts.Store.DeleteArticle(context.Background(), gone.ID, ts.Now()); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := ad.post("/admin/articles", tt.form)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", rec.Code)
			}
			mustContain(t, rec.Body.String(), tt.body, ">text kept</textarea>")
		})
	}
	if n, _ := ts.Store.AdminArticleCounts(context.Background(), ts.Now(), 0); n.All != 1 {
		t.Errorf("%d articles saved", n.All)
	}
}

func TestArticleAdminList(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	ad.post("/admin/articles", url.Values{"title": {"A draft"}, "action": {"draft"}})
	ad.post("/admin/articles", url.Values{"title": {"Live one"}, "action": {"publish"}})
	ad.post("/admin/articles", url.Values{"title": {"Later one"}, "published_at": {ts.Now().Add(72 * time.Hour).Format(dateInputLayout)}, "action": {"publish"}})
	live, _ := ts.Store.ArticleBySlug(context.Background(), "live-one")
	in := &models.Interaction{ArticleID: live.ID, Kind: models.KindComment, Source: models.SourceWeb, Status: models.StatusApproved, AuthorName: "Bob", Content: "<p>hi</p>"}
	if _, err := ts.Store.CreateInteraction(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query     string
		has, nots []string
	}{
		{"", []string{"A draft", "Live one", "Later one", "Draft</span>", "Scheduled</span>", "Published</span>",
			"All <span class=\"count\">(3)</span>", fmt.Sprintf(`href="/admin/articles/%d/deliveries/"`, live.ID), `href="` + live.Permalink() + `"`,
			`<td class="num">1</td>`}, nil},
		{"?status=drafts", []string{"A draft"}, []string{"Live one", "Later one"}},
		{"?status=scheduled", []string{"Later one"}, []string{"A draft", "Live one"}},
		{"?status=published", []string{"Live one"}, []string{"A draft", "Later one"}},
	}
	for _, tt := range tests {
		rec := ad.get("/admin/articles/" + tt.query)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", tt.query, rec.Code)
		}
		mustContain(t, rec.Body.String(), tt.has...)
		for _, n := range tt.nots {
			if regexp.MustCompile(`>` + n + `<`).MatchString(rec.Body.String()) {
				t.Errorf("%s lists %q", tt.query, n)
			}
		}
	}
}
