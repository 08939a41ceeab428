package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image/color"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"fedpress/federation"
	"fedpress/models"
	"fedpress/models/modelstest"
	"fedpress/web"
)

// `fedpress post` gives each uploaded image the alt text and caption the
// Markdown writes (![Alt](photo.png "Caption")), unless the front matter
// says otherwise, and the federated attachment carries that alt text.
func TestPostFederatesMarkdownAltText(t *testing.T) {
	ctx := context.Background()
	store := modelstest.SQLite(t)
	if _, err := store.EnsureSettings(ctx, fakeSettingsKeys); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateAuthor(ctx, &models.Author{Username: "alice", Name: "Alice", PasswordHash: "!", PrivateKeyPEM: "k", PublicKeyPEM: "p"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "photo.png"), 40, 30, color.RGBA{0, 0, 200, 255})
	writePNG(t, filepath.Join(dir, "chart.png"), 20, 10, color.RGBA{200, 0, 0, 255})
	writePNG(t, filepath.Join(dir, "plain.png"), 30, 30, color.RGBA{0, 200, 0, 255})
	media := web.DirStore{Dir: filepath.Join(dir, "media")}
	if err := os.MkdirAll(media.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	urls, _ := federation.NewURLs("https://news.example")
	svc, err := federation.NewService(federation.Config{URLs: urls}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name         string
		fm           frontMatter
		body         string
		alt, caption string // of photo.png's media row afterwards
		attachments  []string
	}{
		{"markdown alt and title", frontMatter{Title: "One", Slug: "one"},
			"![The harbour at dawn](photo.png \"Where the delegations arrived\")\n",
			"The harbour at dawn", "Where the delegations arrived", []string{"The harbour at dawn"}},
		{"front matter wins", frontMatter{Title: "Two", Slug: "two", Images: []frontMatterImage{{Path: "chart.png", Alt: "Trade, 2010 to 2012"}}},
			"![chart](chart.png)\n", "The harbour at dawn", "Where the delegations arrived", []string{"Trade, 2010 to 2012"}},
		{"the same file again keeps its description", frontMatter{Title: "Three", Slug: "three"},
			"![Another view](photo.png)\n", "The harbour at dawn", "Where the delegations arrived", []string{"The harbour at dawn"}},
		{"a file first posted without alt gets it later", frontMatter{Title: "Four", Slug: "four"},
			"![](plain.png)\n\nThen: ![A green square](plain.png)\n", "The harbour at dawn", "Where the delegations arrived", []string{"A green square"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := publishFile(ctx, store, media, dir, tc.fm, tc.body, postOptions{Now: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			art := res.Article
			photo, err := store.MediaByPath(ctx, mediaName(t, dir, "photo.png"))
			if err != nil {
				t.Fatal(err)
			}
			if photo.Alt != tc.alt || photo.Caption != tc.caption {
				t.Errorf("photo.png row: alt %q caption %q, want %q %q", photo.Alt, photo.Caption, tc.alt, tc.caption)
			}
			art, err = store.ArticleByID(ctx, art.ID)
			if err != nil {
				t.Fatal(err)
			}
			d, err := svc.ArticleObject(ctx, art)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, a := range d["attachment"].([]any) {
				names = append(names, a.(map[string]any)["name"].(string))
			}
			if !slices.Equal(names, tc.attachments) {
				t.Errorf("attachment names %q, want %q", names, tc.attachments)
			}
		})
	}
	if plain, err := store.MediaByPath(ctx, mediaName(t, dir, "plain.png")); err != nil || plain.Alt != "A green square" {
		t.Errorf("plain.png row: %+v %v", plain, err)
	}
}

// mediaName is the media file name `fedpress post` gives a local PNG: its
// content hash.
func mediaName(t *testing.T, dir, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:12]) + ".png"
}
