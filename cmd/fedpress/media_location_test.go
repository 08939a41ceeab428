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
	"fedpress/models/modelstest"
	"fedpress/web"
)

// gpsLatitude is the fixture photo's latitude seconds (2953/100, little-endian).
var gpsLatitude = []byte{0x89, 0x0b, 0, 0, 100, 0, 0, 0}

// `fedpress post` and the WordPress import store photos as the editor
// does: without location or camera data, upright size, resized copies.
func TestCLIUploadsStripLocation(t *testing.T) {
	ctx := context.Background()
	photo, err := os.ReadFile("../../web/testdata/gps-orientation6.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(photo, gpsLatitude) {
		t.Fatal("fixture lacks GPS")
	}
	store := modelstest.SQLite(t)
	if _, err := store.EnsureSettings(ctx, fakeSettingsKeys); err != nil {
		t.Fatal(err)
	}
	author := &models.Author{Username: "alice", Name: "Alice", PasswordHash: "!", PrivateKeyPEM: "k", PublicKeyPEM: "p"}
	if err := store.CreateAuthor(ctx, author); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "holiday.jpg"), photo, 0o644); err != nil {
		t.Fatal(err)
	}
	media := web.DirStore{Dir: filepath.Join(dir, "media")}

	check := func(t *testing.T, m *models.Media) {
		t.Helper()
		if m.Width != 600 || m.Height != 1200 || len(m.Variants) != 1 {
			t.Errorf("media %+v: want 600×1200 with one variant", m)
		}
		for _, name := range []string{m.Path, m.Variants[0].Name} {
			b, err := os.ReadFile(filepath.Join(media.Dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, gpsLatitude) || bytes.Contains(b, []byte("SecretCam")) {
				t.Errorf("%s still holds location or camera data", name)
			}
		}
	}

	t.Run("fedpress post", func(t *testing.T) {
		res, err := publishFile(ctx, store, media, dir, frontMatter{Title: "Holiday", Slug: "holiday"}, "![The beach](holiday.jpg)\n", postOptions{Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		art := res.Article
		if len(art.Media) != 1 {
			t.Fatalf("media %+v", art.Media)
		}
		check(t, &art.Media[0])
		if !strings.Contains(art.HTML, `srcset="/media/`+art.Media[0].Variants[0].Name+` 480w, /media/`+art.Media[0].Path+` 600w"`) {
			t.Errorf("article HTML lacks the srcset:\n%s", art.HTML)
		}
	})
	t.Run("WordPress import", func(t *testing.T) {
		im := &wxrImporter{opt: wxrOptions{Media: media}, tx: store}
		// Bytes after the end of the image (phones append depth maps and
		// such there) make it another file here, and are dropped.
		m, created, err := im.localMedia(ctx, append(append([]byte{}, photo...), 0xFF, 0xD9), models.Media{AuthorID: author.ID})
		if err != nil || !created {
			t.Fatalf("import: created %v, %v", created, err)
		}
		check(t, m)
	})
}

// media-clean gives uploads made before the pipeline the same treatment,
// in place; a second run finds nothing left to remove.
func TestMediaCleanExistingUploads(t *testing.T) {
	ctx := context.Background()
	photo, err := os.ReadFile("../../web/testdata/gps-orientation6.jpg")
	if err != nil {
		t.Fatal(err)
	}
	store := modelstest.SQLite(t)
	media := web.DirStore{Dir: t.TempDir()}
	if err := media.Put("old.jpg", bytes.NewReader(photo)); err != nil {
		t.Fatal(err)
	}
	old := &models.Media{Path: "old.jpg", MimeType: "image/jpeg", Width: 1200, Height: 600, Size: int64(len(photo))}
	remote := &models.Media{Path: "wxr-1.jpg", MimeType: "image/jpeg", RemoteURL: "https://old.example/a.jpg"}
	gone := &models.Media{Path: "gone.png", MimeType: "image/png"}
	for _, m := range []*models.Media{old, remote, gone} {
		if err := store.CreateMedia(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for run := 1; run <= 2; run++ {
		var warn bytes.Buffer
		sum, err := cleanMedia(ctx, store, media, &warn)
		if err != nil {
			t.Fatal(err)
		}
		if sum.images != 1 || sum.variants != 1 || sum.skipped != 1 || !strings.Contains(warn.String(), "gone.png: file missing") {
			t.Errorf("run %d: %+v, warnings %q", run, sum, warn.String())
		}
		b, err := os.ReadFile(filepath.Join(media.Dir, "old.jpg"))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, gpsLatitude) || bytes.Contains(b, []byte("SecretCam")) {
			t.Errorf("run %d: old.jpg still holds location or camera data", run)
		}
		m, err := store.MediaByPath(ctx, "old.jpg")
		if err != nil {
			t.Fatal(err)
		}
		if m.Width != 600 || m.Height != 1200 || m.Size != int64(len(b)) || len(m.Variants) != 1 || m.Variants[0].Name != "old-480w.jpg" {
			t.Errorf("run %d: row %+v", run, m)
		}
	}
}
