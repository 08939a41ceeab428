package models_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

func TestSearchTerms(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [][]string
	}{
		{"", nil},
		{`"`, nil},
		{`*`, nil},
		{`'`, nil},
		{`AND (`, [][]string{{"and"}}},
		{`NEAR`, [][]string{{"near"}}},
		{`NEAR(a b)`, [][]string{{"near"}, {"a"}, {"b"}}},
		{`title:Tomato*`, [][]string{{"title"}, {"tomato"}}},
		{`-beans OR peas`, [][]string{{"beans"}, {"or"}, {"peas"}}},
		{`"grew tomatoes" beans`, [][]string{{"grew", "tomatoes"}, {"beans"}}},
		{`"unclosed phrase`, [][]string{{"unclosed", "phrase"}}},
		{`Café Ökologie`, [][]string{{"cafe"}, {"okologie"}}},
		{`C++ & Go's`, [][]string{{"c"}, {"go"}, {"s"}}},
		{"日本語 テキスト", [][]string{{"日本語"}, {"テキスト"}}},
		{strings.Repeat("w ", 50), [][]string{{"w"}, {"w"}, {"w"}, {"w"}, {"w"}, {"w"}, {"w"}, {"w"}, {"w"}, {"w"}, {"w"}, {"w"}}},
		{strings.Repeat("é", 100), [][]string{{strings.Repeat("e", 64)}}},
		{strings.Repeat("日", 30), [][]string{{strings.Repeat("日", 21)}}},
	} {
		if got := models.SearchTerms(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SearchTerms(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// marked is word between the highlight marks.
func marked(word string) string { return models.HighlightStart + word + models.HighlightEnd }

func hitSlugs(hits []models.SearchHit) []string {
	out := []string{}
	for _, h := range hits {
		out = append(out, h.Article.Slug)
	}
	return out
}

func TestSearchArticles(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		au := newAuthor(t, s, "alice")
		now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
		day := func(d int) *time.Time { v := now.AddDate(0, 0, -d); return &v }
		save := func(id uint, slug, title, html, status string, at *time.Time, tags ...string) *models.Article {
			t.Helper()
			a, err := s.SaveArticle(ctx, id, models.ArticleInput{Title: title, Slug: slug, HTML: html, Status: status,
				PublishedAt: at, AuthorID: au.ID, Tags: tags})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		long := strings.Repeat("Filler words about the yard and the weather. ", 30)
		titled := save(0, "titled", "Growing tomatoes", "<p>Notes on soil and water.</p>", models.StatusPublished, day(9), "Garden")
		// Newer than titled, and the word twice: a title match still wins.
		body := save(0, "body", "Weekend notes", "<p>"+long+"</p><p>We grew <strong>tomatoes</strong> and beans; tomatoes again.</p>",
			models.StatusPublished, day(1))
		save(0, "tagged", "Harvest", "<p>Long green things.</p>", models.StatusPublished, day(5), "Zucchini")
		save(0, "draft", "Tomatoes draft", "<p>tomatoes tomatoes</p>", models.StatusDraft, nil)
		save(0, "scheduled", "Tomatoes soon", "<p>tomatoes</p>", models.StatusPublished, func() *time.Time { v := now.Add(time.Hour); return &v }())
		save(0, "markup", "Links", `<p class="secretclass"><a href="https://example.com/secretpath">a café &amp; <em>bistro</em></a></p>`,
			models.StatusPublished, day(3))

		search := func(text string, page, per int) ([]models.SearchHit, int64) {
			t.Helper()
			hits, total, err := s.SearchArticles(ctx, models.SearchQuery{Text: text, Now: now, Page: page, PerPage: per})
			if err != nil {
				t.Fatalf("search %q: %v", text, err)
			}
			return hits, total
		}

		hits, total := search("tomatoes", 1, 10)
		if got := hitSlugs(hits); total != 2 || !reflect.DeepEqual(got, []string{"titled", "body"}) {
			t.Fatalf("tomatoes: %v (total %d), want titled then body; drafts and scheduled articles hidden", got, total)
		}
		if !strings.Contains(hits[0].Title, marked("tomatoes")) || hits[0].Article.Title != "Growing tomatoes" {
			t.Errorf("title not highlighted: %q", hits[0].Title)
		}
		if ex := hits[1].Excerpt; !strings.Contains(ex, "grew "+marked("tomatoes")+" and beans") || strings.Contains(ex, "<") {
			t.Errorf("body excerpt %q: want the matching passage, highlighted, as text", ex)
		}
		if hits[1].Title != "Weekend notes" {
			t.Errorf("unmatched title changed: %q", hits[1].Title)
		}
		if ex := hits[0].Excerpt; !strings.Contains(ex, "Notes on soil") {
			t.Errorf("title match's excerpt %q: want the start of the body", ex)
		}

		// Pages.
		hits, total = search("tomatoes", 2, 1)
		if got := hitSlugs(hits); total != 2 || !reflect.DeepEqual(got, []string{"body"}) {
			t.Fatalf("page 2: %v (total %d)", got, total)
		}
		if hits, total = search("tomatoes", 3, 1); len(hits) != 0 || total != 2 {
			t.Fatalf("page past the end: %v (total %d)", hitSlugs(hits), total)
		}

		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"zucchini", []string{"tagged"}},      // tags
			{"GARDEN", []string{"titled"}},        // case
			{"cafe", []string{"markup"}},          // diacritics
			{"café bistro", []string{"markup"}},   // every word
			{"café nowhere", []string{}},          // every word, not any
			{`"grew tomatoes"`, []string{"body"}}, // phrase
			{`"tomatoes grew"`, []string{}},       // phrase order
			{"secretpath", []string{}},            // attributes are not text
			{"secretclass", []string{}},           // nor markup
			{"strong", []string{}},                // nor tag names
			{"draft", []string{}},                 // drafts never
			{"soon", []string{}},                  // nor scheduled articles
			{`"`, []string{}},                     // hostile strings
			{`*`, []string{}},
			{`'`, []string{}},
			{`AND (`, []string{"body", "titled"}}, // "and" is a word (body has it most)
			{`NEAR`, []string{}},
			{`NEAR(tomatoes beans)`, []string{}},
			{`tomatoes"`, []string{"titled", "body"}},
			{`-tomatoes`, []string{"titled", "body"}},
			{`title:tomatoes`, []string{}},
			{`tomatoes OR`, []string{}},
			{`tomato*`, []string{}},
			{"^tomatoes", []string{"titled", "body"}},
			{"tomatoes\x00", []string{"titled", "body"}},
			{`'); DROP TABLE articles; --`, []string{}},
			{strings.Repeat(`"(`, 600), []string{}},
		} {
			hits, _ := search(tc.q, 1, 10)
			if got := hitSlugs(hits); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("search %q = %v, want %v", tc.q, got, tc.want)
			}
		}

		// Saves, unpublishing and deleting show at once.
		save(body.ID, "body", "Weekend notes", "<p>Only beans now.</p>", models.StatusPublished, body.PublishedAt)
		if hits, _ := search("tomatoes", 1, 10); !reflect.DeepEqual(hitSlugs(hits), []string{"titled"}) {
			t.Errorf("after an edit: %v", hitSlugs(hits))
		}
		if hits, _ := search("beans", 1, 10); !reflect.DeepEqual(hitSlugs(hits), []string{"body"}) {
			t.Errorf("edited text: %v", hitSlugs(hits))
		}
		save(titled.ID, "titled", "Growing tomatoes", "<p>Notes on soil and water.</p>", models.StatusDraft, nil, "Garden")
		if hits, _ := search("tomatoes", 1, 10); len(hits) != 0 {
			t.Errorf("after unpublishing: %v", hitSlugs(hits))
		}
		save(titled.ID, "titled", "Growing tomatoes", "<p>Notes on soil and water.</p>", models.StatusPublished, day(9), "Garden", "Kitchen")
		if hits, _ := search("kitchen", 1, 10); !reflect.DeepEqual(hitSlugs(hits), []string{"titled"}) {
			t.Errorf("republished with a new tag: %v", hitSlugs(hits))
		}
		if err := s.DeleteArticle(ctx, titled.ID, now); err != nil {
			t.Fatal(err)
		}
		if hits, _ := search("tomatoes", 1, 10); len(hits) != 0 {
			t.Errorf("after deleting: %v", hitSlugs(hits))
		}
	})
}

// TestMigrateSearch: v12 builds the index for the articles of an existing
// blog (published ones only).
func TestMigrateSearch(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			opt, dial := upgradeTarget(t, backend)
			s, err := models.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			au := newAuthor(t, s, "alice")
			now := time.Now().UTC().Truncate(time.Second)
			for i, status := range []string{models.StatusPublished, models.StatusDraft, models.StatusPublished} {
				slug := []string{"one", "two", "three"}[i]
				if _, err := s.SaveArticle(ctx, 0, models.ArticleInput{Title: "Old " + slug, Slug: slug, HTML: "<p>kept words</p>",
					Status: status, PublishedAt: &now, AuthorID: au.ID, Tags: []string{"Archive"}}); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()

			raw := rawDB(t, dial)
			for _, stmt := range []string{"DROP TABLE article_search", "DELETE FROM schema_migrations WHERE version >= 12"} {
				if err := raw.Exec(stmt).Error; err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			s, err = models.Open(ctx, opt)
			if err != nil {
				t.Fatalf("migrate to v12: %v", err)
			}
			check := func(when string) {
				t.Helper()
				for _, q := range []string{"kept words", "archive", "old"} {
					hits, total, err := s.SearchArticles(ctx, models.SearchQuery{Text: q, Now: now, Page: 1, PerPage: 10})
					if err != nil || total != 2 || len(hits) != 2 {
						t.Errorf("search %q %s: %v %d %v", q, when, hitSlugs(hits), total, err)
					}
				}
			}
			check("after the migration")
			s.Close()

			// Run again over a full index: still one entry per article.
			if err := raw.Exec("DELETE FROM schema_migrations WHERE version >= 12").Error; err != nil {
				t.Fatal(err)
			}
			s, err = models.Open(ctx, opt)
			if err != nil {
				t.Fatalf("migrate to v12 again: %v", err)
			}
			defer s.Close()
			check("after a second run")
		})
	}
}

// BenchmarkSearchArticles searches a blog of 2,000 articles of about 300
// words: one page of ten hits with highlighted excerpts.
func BenchmarkSearchArticles(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			var s *models.Store
			if backend == "sqlite" {
				s = modelstest.SQLite(b)
			} else {
				s = modelstest.Postgres(b)
			}
			ctx := context.Background()
			au := &models.Author{Username: "alice", Name: "Alice", PasswordHash: "x", PrivateKeyPEM: "k", PublicKeyPEM: "p"}
			if err := s.CreateAuthor(ctx, au); err != nil {
				b.Fatal(err)
			}
			words := strings.Fields("harbour storm boats wall coast village market rain wind sea ferry island bridge school council road")
			now := time.Now().UTC()
			start := time.Now()
			for i := 0; i < 2000; i++ {
				var body strings.Builder
				for j := 0; j < 300; j++ {
					body.WriteString(words[(i*7+j*j)%len(words)] + " ")
				}
				at := now.Add(-time.Duration(i) * time.Hour)
				if _, err := s.SaveArticle(ctx, 0, models.ArticleInput{Title: fmt.Sprintf("Report %d on the %s", i, words[i%len(words)]),
					Slug: fmt.Sprintf("report-%d", i), HTML: "<p>" + body.String() + "</p>", Status: models.StatusPublished,
					PublishedAt: &at, AuthorID: au.ID, Tags: []string{words[i%5]}}); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("%s: 2,000 articles saved (and indexed) in %s", backend, time.Since(start).Round(time.Millisecond))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				q := []string{"harbour", "storm wall", `"ferry island"`, "council"}[i%4]
				if _, total, err := s.SearchArticles(ctx, models.SearchQuery{Text: q, Now: now, Page: 1, PerPage: 10}); err != nil || total == 0 {
					b.Fatalf("search %q: %d %v", q, total, err)
				}
			}
		})
	}
}
