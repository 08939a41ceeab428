package models_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

func keys() (string, string, string, string, error) { return "bp", "bpub", "ip", "ipub", nil }

func newAuthor(t *testing.T, s *models.Store, name string) *models.Author {
	t.Helper()
	a := &models.Author{Username: name, Name: name, PasswordHash: "x", PrivateKeyPEM: "k", PublicKeyPEM: "p"}
	if err := s.CreateAuthor(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestArticlesAndArchive(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		if _, err := s.EnsureSettings(ctx, keys); err != nil {
			t.Fatal(err)
		}
		// A second EnsureSettings must keep the first keys.
		st, err := s.EnsureSettings(ctx, func() (string, string, string, string, error) { return "X", "X", "X", "X", nil })
		if err != nil || st.BlogPrivateKeyPEM != "bp" {
			t.Fatalf("settings not stable: %v %+v", err, st)
		}
		a := newAuthor(t, s, "alice")
		now := time.Date(2012, 11, 20, 12, 0, 0, 0, time.UTC)
		dates := []time.Time{
			time.Date(2012, 11, 17, 10, 0, 0, 0, time.UTC),
			time.Date(2012, 11, 2, 10, 0, 0, 0, time.UTC),
			time.Date(2012, 10, 5, 10, 0, 0, 0, time.UTC),
			time.Date(2012, 12, 1, 10, 0, 0, 0, time.UTC), // scheduled
		}
		for i, d := range dates {
			d := d
			_, err := s.SaveArticle(ctx, 0, models.ArticleInput{
				Title: "T", Slug: []string{"a", "b", "c", "d"}[i], Status: models.StatusPublished,
				PublishedAt: &d, AuthorID: a.ID, Tags: []string{"News", "Asia Pacific"},
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.SaveArticle(ctx, 0, models.ArticleInput{Title: "draft", Slug: "a", Status: models.StatusDraft, AuthorID: a.ID}); err == nil {
			t.Fatal("duplicate slug accepted")
		}
		slug, err := s.UniqueSlug(ctx, "a", 0)
		if err != nil || slug != "a-2" {
			t.Fatalf("UniqueSlug = %q, %v", slug, err)
		}
		months, err := s.MonthArchive(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		want := []models.MonthCount{{2012, 11, 2}, {2012, 10, 1}}
		if len(months) != len(want) || months[0] != want[0] || months[1] != want[1] {
			t.Fatalf("MonthArchive = %+v, want %+v", months, want)
		}
		list, total, err := s.ListVisible(ctx, models.ArticleQuery{Now: now, TagSlug: "asia-pacific", PerPage: 2})
		if err != nil || total != 3 || len(list) != 2 || list[0].Slug != "a" {
			t.Fatalf("ListVisible tag = %d %d %v", total, len(list), err)
		}
		nov := time.Date(2012, 11, 1, 0, 0, 0, 0, time.UTC)
		_, total, _ = s.ListVisible(ctx, models.ArticleQuery{Now: now, From: nov, To: nov.AddDate(0, 1, 0)})
		if total != 2 {
			t.Fatalf("November total = %d", total)
		}
		art, err := s.ArticleBySlug(ctx, "a")
		if err != nil || art.Permalink() != "/2012/11/a/" || len(art.Tags) != 2 {
			t.Fatalf("ArticleBySlug: %v %+v", err, art)
		}
		uri := "https://remote.example/notes/1"
		in := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceActivityPub, Status: models.StatusApproved, ObjectURI: &uri}
		created, err := s.CreateInteraction(ctx, in)
		if err != nil || !created {
			t.Fatalf("create interaction: %v %v", created, err)
		}
		dup := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceActivityPub, Status: models.StatusApproved, ObjectURI: &uri}
		created, err = s.CreateInteraction(ctx, dup)
		if err != nil || created || dup.ID != in.ID {
			t.Fatalf("duplicate interaction: created=%v err=%v id=%d", created, err, dup.ID)
		}
		counts, err := s.CommentCounts(ctx, []uint{art.ID})
		if err != nil || counts[art.ID] != 1 {
			t.Fatalf("CommentCounts = %v %v", counts, err)
		}
		due, err := s.DueForFederation(ctx, now)
		if err != nil || len(due) != 3 {
			t.Fatalf("due = %d %v", len(due), err)
		}
		ok1, _ := s.MarkFederated(ctx, due[0].ID, now)
		ok2, _ := s.MarkFederated(ctx, due[0].ID, now)
		if !ok1 || ok2 {
			t.Fatalf("MarkFederated not once: %v %v", ok1, ok2)
		}
	})
}

func TestPageGenerationBumpsOnWrites(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		g0, err := s.PageGeneration(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a := newAuthor(t, s, "bob")
		g1, _ := s.PageGeneration(ctx)
		if g1 <= g0 {
			t.Fatalf("creating an author did not bump: %d -> %d", g0, g1)
		}
		now := time.Now()
		art, err := s.SaveArticle(ctx, 0, models.ArticleInput{Title: "x", Slug: "x", Status: models.StatusPublished, PublishedAt: &now, AuthorID: a.ID})
		if err != nil {
			t.Fatal(err)
		}
		g2, _ := s.PageGeneration(ctx)
		in := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceWeb, Status: models.StatusPending}
		if _, err := s.CreateInteraction(ctx, in); err != nil {
			t.Fatal(err)
		}
		g3, _ := s.PageGeneration(ctx)
		if err := s.SetInteractionStatus(ctx, in.ID, models.StatusApproved); err != nil {
			t.Fatal(err)
		}
		g4, _ := s.PageGeneration(ctx)
		if !(g1 < g2 && g2 < g3 && g3 < g4) {
			t.Fatalf("generations not increasing: %d %d %d %d", g1, g2, g3, g4)
		}
		// A write to a table that no page shows leaves the generation alone.
		if _, err := s.PurgeSessions(ctx, now); err != nil {
			t.Fatal(err)
		}
		if g5, _ := s.PageGeneration(ctx); g5 != g4 {
			t.Fatalf("session purge bumped the generation: %d -> %d", g4, g5)
		}
	})
}

// TestRecentPageGeneration: a write through this Store shows at once, even
// inside a transaction; a write by another process's Store shows once the
// remembered reading is older than maxAge.
func TestRecentPageGeneration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *models.Store {
		s, err := models.Open(ctx, models.Options{SQLitePath: filepath.Join(dir, "shared.db")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	here, other := open(), open()
	const long = time.Hour
	g0, err := here.RecentPageGeneration(ctx, long)
	if err != nil {
		t.Fatal(err)
	}
	newAuthor(t, here, "local")
	if g, _ := here.RecentPageGeneration(ctx, long); g <= g0 {
		t.Fatalf("local write not seen: %d -> %d", g0, g)
	}
	g1, _ := here.RecentPageGeneration(ctx, long)
	if err := here.Tx(ctx, func(tx *models.Store) error {
		newAuthor(t, tx, "intx")
		// A reading taken before the commit must not be remembered past it.
		here.RecentPageGeneration(ctx, long)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	g2, _ := here.RecentPageGeneration(ctx, long)
	if g2 <= g1 {
		t.Fatalf("write committed in a transaction not seen: %d -> %d", g1, g2)
	}
	newAuthor(t, other, "remote")
	if g, _ := here.RecentPageGeneration(ctx, long); g != g2 {
		t.Fatalf("another process's write seen before maxAge: %d -> %d (the reading should be reused)", g2, g)
	}
	if g, _ := here.RecentPageGeneration(ctx, 0); g <= g2 {
		t.Fatalf("another process's write not seen after maxAge: %d -> %d", g2, g)
	}
}
