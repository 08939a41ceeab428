package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fedpress/models"
)

// `fedpress post` prints a public URL only for an article that is live: a
// draft or a scheduled article answers 404 there, so the output says what
// was saved and where to preview it.
func TestPostSaysWhatItSaved(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"author", "add", "--data", data, "--username", "alice", "--name", "Alice", "--password-stdin"},
		strings.NewReader("correct horse battery\n"), &out, &errOut); err != nil {
		t.Fatalf("author add: %v %s", err, errOut.String())
	}
	future := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Minute)
	tests := []struct {
		name, front string
		status      string
		want, never []string
	}{
		{"draft", "title: Notes on ferries\ndraft: true\ndate: 2012-11-17T10:00:00Z", models.StatusDraft,
			[]string{"Draft saved, not published", "https://news.example/admin/articles/1/edit/", "draft: false"},
			[]string{"https://news.example/2012/11/notes-on-ferries/"}},
		{"scheduled", "title: Harbour reopens\ndate: " + future.Format(time.RFC3339), models.StatusPublished,
			[]string{"Scheduled:", "will be published on " + future.Format("2006-01-02 15:04") + " UTC",
				"at https://news.example" + future.Format("/2006/01/") + "harbour-reopens/", "https://news.example/admin/articles/2/edit/"},
			[]string{"Draft"}},
		{"published", "title: Talks end\ndate: 2012-11-17T10:00:00Z", models.StatusPublished,
			[]string{"https://news.example/2012/11/talks-end/\n"},
			[]string{"Draft", "Scheduled", "/admin/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, tt.name+".md")
			if err := os.WriteFile(file, []byte("---\n"+tt.front+"\n---\nText.\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			out.Reset()
			if err := run(ctx, []string{"post", "--data", data, "--base-url", "https://news.example", file}, nil, &out, &errOut); err != nil {
				t.Fatalf("post: %v %s", err, errOut.String())
			}
			got := out.String()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(got, n) {
					t.Errorf("output has %q:\n%s", n, got)
				}
			}
		})
	}
	store, err := models.Open(ctx, models.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i, tt := range tests {
		a, err := store.ArticleByID(ctx, uint(i+1))
		if err != nil || a.Status != tt.status {
			t.Errorf("article %d (%s): %v %+v", i+1, tt.name, err, a)
		}
	}
}
