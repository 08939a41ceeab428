package handlers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"fedpress/models"
)

func TestLegacyRedirects(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	ctx := context.Background()
	if err := f.Store.CreateLegacyRedirect(ctx, "/?p=123", f.october.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.Store.CreateLegacyRedirect(ctx, "/2012/10/04/old-october-slug/", f.october.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.Store.CreateLegacyRedirect(ctx, "/?p=7", f.draft.ID); err != nil {
		t.Fatal(err)
	}
	// An imported article without a redirect row is found by its WordPress id.
	_, err := f.Store.SaveArticle(ctx, 0, models.ArticleInput{
		Title: "Imported", Slug: "imported", HTML: "<p>old</p>", Status: models.StatusPublished,
		PublishedAt: ptrTime(time.Date(2010, 3, 4, 5, 0, 0, 0, time.UTC)), AuthorID: f.alice.ID, Imported: true, WPPostID: 55,
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path     string
		status   int
		location string
	}{
		{"/2012/11/17/hello-world/", 301, "/2012/11/hello-world/"},
		{"/2012/10/04/old-october-slug/", 301, "/2012/10/october-news/"},
		{"/2012/11/17/no-such-slug/", 404, ""},
		{"/2012/11/17/draft-post/", 404, ""},
		{"/?p=123", 301, "/2012/10/october-news/"},
		{"/?p=55", 301, "/2010/03/imported/"},
		{"/?p=7", 404, ""},
		{"/?p=999", 404, ""},
		{"/?p=abc", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := f.get(tt.path)
			pubStatus(t, rec, tt.status)
			if got := rec.Header().Get("Location"); got != tt.location {
				t.Errorf("Location = %q, want %q", got, tt.location)
			}
		})
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func TestLegacySlugOnlyRedirect(t *testing.T) {
	ts := newTestServer(t)
	a := ts.author("alice")
	ts.article(a, "harbour-reopens", "Harbour reopens", "Text.", time.Date(2012, 11, 17, 9, 0, 0, 0, time.UTC))
	tests := []struct {
		path   string
		status int
		loc    string
	}{
		{"/harbour-reopens/", http.StatusMovedPermanently, "/2012/11/harbour-reopens/"},
		{"/no-such-article/", http.StatusNotFound, ""},
		{"/2012/", http.StatusOK, ""},
	}
	for _, tc := range tests {
		rec := ts.get(tc.path)
		if rec.Code != tc.status || rec.Header().Get("Location") != tc.loc {
			t.Errorf("GET %s = %d %q, want %d %q", tc.path, rec.Code, rec.Header().Get("Location"), tc.status, tc.loc)
		}
	}
}
