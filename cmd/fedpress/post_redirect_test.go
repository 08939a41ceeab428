package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
	"fedpress/web"
)

// Posting a file again with another date moves the article's permalink;
// the old one keeps leading to it (SaveArticle records it).
func TestPostAgainWithAnotherDateKeepsOldPermalink(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		addAuthors(t, s, "alice")
		dir := t.TempDir()
		media := web.DirStore{Dir: filepath.Join(dir, "media")}
		file := filepath.Join(dir, "post.md")
		post := func(date string) *models.Article {
			t.Helper()
			src := "---\ntitle: Harbour reopens\ndate: " + date + "\n---\nText.\n"
			if old, err := os.ReadFile(file); err == nil { // the same file, its id kept
				src = regexp.MustCompile(`date: .*`).ReplaceAllString(string(old), "date: "+date)
			}
			if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			return postFile(t, s, media, file, time.Now().UTC())
		}
		first := post("2012-11-17T10:00:00Z")
		moved := post("2012-12-01T10:00:00Z")
		if moved.ID != first.ID || moved.Permalink() != "/2012/12/harbour-reopens/" {
			t.Fatalf("re-post made article %d at %s", moved.ID, moved.Permalink())
		}
		if id, err := s.LegacyRedirectTarget(ctx, first.Permalink()); err != nil || id != first.ID {
			t.Errorf("old permalink %s leads to %d (%v), want article %d", first.Permalink(), id, err, first.ID)
		}
	})
}
