package models_test

import (
	"context"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// Variants survive the round trip and an article keeps, clears or drops
// its featured image as the editor asks; FeaturedMedia falls back to the
// first image.
func TestMediaVariantsAndFeaturedImage(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newAuthor(t, s, "alice")
		first := &models.Media{AuthorID: a.ID, Path: "first.png", MimeType: "image/png", Width: 64, Height: 48}
		photo := &models.Media{AuthorID: a.ID, Path: "photo.jpg", MimeType: "image/jpeg", Width: 1200, Height: 800,
			Variants: []models.MediaVariant{{Name: "photo-480w.jpg", Width: 480, Height: 320, Size: 9000}, {Name: "photo-960w.jpg", Width: 960, Height: 640, Size: 30000}}}
		for _, m := range []*models.Media{first, photo} {
			if err := s.CreateMedia(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.MediaByPath(ctx, "photo.jpg")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Variants) != 2 || got.Variants[1] != photo.Variants[1] {
			t.Errorf("variants %+v, want %+v", got.Variants, photo.Variants)
		}

		now := time.Now()
		id := func(n uint) *uint { return &n }
		save := func(artID uint, featured *uint) *models.Article {
			t.Helper()
			art, err := s.SaveArticle(ctx, artID, models.ArticleInput{Title: "Pics", Slug: "pics", Status: models.StatusPublished,
				PublishedAt: &now, AuthorID: a.ID, MediaIDs: []uint{first.ID, photo.ID}, FeaturedMediaID: featured,
				HTML: `<p><img src="/media/first.png"></p><p><img src="/media/photo.jpg"></p>`})
			if err != nil {
				t.Fatal(err)
			}
			return art
		}
		firstSrc := "/media/first.png"
		tests := []struct {
			name     string
			featured *uint
			want     string // the featured media's path
		}{
			{"none chosen: the first image", nil, "first.png"},
			{"the author's choice", id(photo.ID), "photo.jpg"},
			{"a save without a choice keeps it", nil, "photo.jpg"},
			{"0 clears it", id(0), "first.png"},
		}
		var artID uint
		for _, tt := range tests {
			art := save(artID, tt.featured)
			artID = art.ID
			if f := art.FeaturedMedia(firstSrc); f == nil || f.Path != tt.want {
				t.Errorf("%s: featured %+v, want %s", tt.name, f, tt.want)
			}
		}
		// A chosen image the article no longer shows is not featured.
		art := save(artID, id(photo.ID))
		art.Media = []models.Media{*first}
		if f := art.FeaturedMedia(firstSrc); f == nil || f.Path != "first.png" {
			t.Errorf("detached choice: featured %+v, want first.png", f)
		}
		if f := art.FeaturedMedia("https://elsewhere.example/x.jpg"); f != nil {
			t.Errorf("remote first image: featured %+v, want none", f)
		}
	})
}

// TestMigrateImageVariants upgrades a database from before v13: media
// rows load without variants, articles without a featured image, and both
// can be set afterwards.
func TestMigrateImageVariants(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			opt, dial := upgradeTarget(t, backend)
			s, err := models.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			a := newAuthor(t, s, "alice")
			m := &models.Media{AuthorID: a.ID, Path: "old.jpg", MimeType: "image/jpeg", Width: 2000, Height: 1000}
			if err := s.CreateMedia(ctx, m); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			art, err := s.SaveArticle(ctx, 0, models.ArticleInput{Title: "Old", Slug: "old", Status: models.StatusPublished,
				PublishedAt: &now, AuthorID: a.ID, MediaIDs: []uint{m.ID}})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			s = upgradeFrom(ctx, t, opt, dial, 13,
				"ALTER TABLE media DROP COLUMN variants",
				"ALTER TABLE articles DROP COLUMN featured_media_id",
				"DELETE FROM schema_migrations WHERE version >= 13",
			)
			defer s.Close()
			got, err := s.MediaByPath(ctx, "old.jpg")
			if err != nil || len(got.Variants) != 0 {
				t.Fatalf("media after the migration: %+v %v", got, err)
			}
			got.Variants = []models.MediaVariant{{Name: "old-480w.jpg", Width: 480, Height: 240}}
			if err := s.SaveMedia(ctx, got); err != nil {
				t.Fatal(err)
			}
			featured := m.ID
			saved, err := s.SaveArticle(ctx, art.ID, models.ArticleInput{Title: "Old", Slug: "old", Status: models.StatusPublished,
				PublishedAt: &now, AuthorID: a.ID, MediaIDs: []uint{m.ID}, FeaturedMediaID: &featured})
			if err != nil {
				t.Fatal(err)
			}
			if f := saved.FeaturedMedia(""); f == nil || len(f.Variants) != 1 {
				t.Errorf("featured after the migration: %+v", f)
			}
		})
	}
}
