package models_test

import (
	"context"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// TestPagesOutsideLists: static pages never appear where posts are listed
// or federated, and have their own list; the menu round-trips.
func TestPagesOutsideLists(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		if _, err := s.EnsureSettings(ctx, keys); err != nil {
			t.Fatal(err)
		}
		a := newAuthor(t, s, "alice")
		now := time.Date(2012, 11, 20, 12, 0, 0, 0, time.UTC)
		when := time.Date(2012, 11, 17, 10, 0, 0, 0, time.UTC)
		save := func(slug, title, kind string) *models.Article {
			t.Helper()
			art, err := s.SaveArticle(ctx, 0, models.ArticleInput{
				Title: title, Slug: slug, Status: models.StatusPublished, PublishedAt: &when,
				AuthorID: a.ID, Tags: []string{"News"}, Pinned: true, Kind: kind,
			})
			if err != nil {
				t.Fatal(err)
			}
			return art
		}
		post := save("news", "News", "")
		page := save("about", "About", models.ArticlePage)
		if post.Kind != models.ArticlePost || page.Kind != models.ArticlePage || page.Permalink() != "/about/" || post.Permalink() != "/2012/11/news/" {
			t.Fatalf("kinds %q %q, permalinks %s %s", post.Kind, page.Kind, post.Permalink(), page.Permalink())
		}
		onlyPost := func(what string, as []models.Article) {
			t.Helper()
			if len(as) != 1 || as[0].ID != post.ID {
				t.Errorf("%s: %d articles, want the post only", what, len(as))
			}
		}
		for _, q := range []models.ArticleQuery{{Now: now}, {Now: now, TagSlug: "news"}, {Now: now, AuthorID: a.ID}, {Now: now, Pinned: true}} {
			as, total, err := s.ListVisible(ctx, q)
			if err != nil || total != 1 {
				t.Fatalf("ListVisible(%+v): total %d, %v", q, total, err)
			}
			onlyPost("ListVisible", as)
		}
		sm, err := s.ListSitemap(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		onlyPost("ListSitemap", sm)
		due, err := s.DueForFederation(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		onlyPost("DueForFederation", due)
		if n, err := s.CountVisible(ctx, now); err != nil || n != 1 {
			t.Errorf("CountVisible = %d, %v", n, err)
		}
		months, err := s.MonthArchive(ctx, now)
		if err != nil || len(months) != 1 || months[0].Count != 1 {
			t.Errorf("MonthArchive = %+v, %v", months, err)
		}
		pages, err := s.ListVisiblePages(ctx, now)
		if err != nil || len(pages) != 1 || pages[0].ID != page.ID {
			t.Errorf("ListVisiblePages = %+v, %v", pages, err)
		}
		// An update naming no kind (`fedpress post`) keeps a page a page.
		kept, err := s.SaveArticle(ctx, page.ID, models.ArticleInput{Title: "About", Slug: "about", Status: models.StatusPublished, PublishedAt: &when, AuthorID: a.ID})
		if err != nil || kept.Kind != models.ArticlePage {
			t.Errorf("page updated without a kind: %+v, %v", kept, err)
		}
		counts, err := s.AdminArticleCounts(ctx, now, 0)
		if err != nil || counts.All != 1 || counts.Pages != 1 || counts.Published != 1 {
			t.Errorf("AdminArticleCounts = %+v, %v", counts, err)
		}

		// An announced post turned into a page is due for retraction.
		if ok, err := s.MarkFederated(ctx, post.ID, now); err != nil || !ok {
			t.Fatal(ok, err)
		}
		in := models.ArticleInput{Title: "News", Slug: "news", Status: models.StatusPublished, PublishedAt: &when, AuthorID: a.ID, Kind: models.ArticlePage}
		if _, err := s.SaveArticle(ctx, post.ID, in); err != nil {
			t.Fatal(err)
		}
		gone, err := s.DueForRetraction(ctx, now)
		if err != nil || len(gone) != 1 || gone[0].ID != post.ID {
			t.Errorf("DueForRetraction = %d articles, %v", len(gone), err)
		}
		if ok, err := s.UnmarkFederated(ctx, post.ID, now); err != nil || !ok {
			t.Errorf("UnmarkFederated = %v, %v", ok, err)
		}

		// The menu.
		st, err := s.GetSettings(ctx)
		if err != nil || st.MenuItems() != nil {
			t.Fatalf("default menu %+v, %v", st.MenuItems(), err)
		}
		items := []models.MenuItem{{Label: "Home", URL: "/"}, {Label: "About", URL: "/about/"}}
		if err := s.SaveMenu(ctx, items); err != nil {
			t.Fatal(err)
		}
		if st, err = s.GetSettings(ctx); err != nil || len(st.MenuItems()) != 2 || st.MenuItems()[1] != items[1] {
			t.Errorf("menu %+v, %v", st.MenuItems(), err)
		}
		if err := s.SaveMenu(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if st, err = s.GetSettings(ctx); err != nil || st.MenuItems() != nil {
			t.Errorf("menu after reset %+v, %v", st.MenuItems(), err)
		}
	})
}

// TestMigratePages: an older database gets the kind column, existing
// articles stay posts, and the menu column is added.
func TestMigratePages(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			opt, dial := upgradeTarget(t, backend)
			s, err := models.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.EnsureSettings(ctx, keys); err != nil {
				t.Fatal(err)
			}
			a := newAuthor(t, s, "alice")
			when := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
			art, err := s.SaveArticle(ctx, 0, models.ArticleInput{Title: "Old", Slug: "old", Status: models.StatusPublished, PublishedAt: &when, AuthorID: a.ID})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()

			s = upgradeFrom(ctx, t, opt, dial, 15,
				"DROP INDEX idx_articles_kind",
				"ALTER TABLE articles DROP COLUMN kind",
				"ALTER TABLE settings DROP COLUMN menu",
				"DELETE FROM schema_migrations WHERE version = 15",
			)
			defer s.Close()
			got, err := s.ArticleByID(ctx, art.ID)
			if err != nil || got.Kind != models.ArticlePost || got.Permalink() != art.Permalink() {
				t.Fatalf("article after the migration: %+v %v", got, err)
			}
			if as, total, err := s.ListVisible(ctx, models.ArticleQuery{Now: time.Now()}); err != nil || total != 1 || len(as) != 1 {
				t.Errorf("ListVisible after the migration: %d %v", total, err)
			}
			if err := s.SaveMenu(ctx, []models.MenuItem{{Label: "Home", URL: "/"}}); err != nil {
				t.Error(err)
			}
		})
	}
}
