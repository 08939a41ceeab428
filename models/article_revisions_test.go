package models_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

func revisionAuthors(t *testing.T, s *models.Store, names ...string) []uint {
	t.Helper()
	var ids []uint
	for _, n := range names {
		a := &models.Author{Username: n, Name: n, PasswordHash: "!", PrivateKeyPEM: "k", PublicKeyPEM: "k"}
		if err := s.CreateAuthor(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	return ids
}

// TestSaveArticleKeepsRevisions: an update keeps the version it replaces
// (text, tags, who saved it and when), in the same transaction; a save
// that changes no text keeps none; one account's autosaves of a draft keep
// only the version before them; autosaves of a published article never
// change it and are dropped by that account's next save.
func TestSaveArticleKeepsRevisions(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ids := revisionAuthors(t, s, "alice", "eddie")
		alice, eddie := ids[0], ids[1]
		in := models.ArticleInput{Title: "T", Slug: "t", Markdown: "v1", HTML: "<p>v1</p>", Status: models.StatusDraft,
			AuthorID: alice, EditorID: alice, Tags: []string{"Boats", "Sea"}}
		a, err := s.SaveArticle(ctx, 0, in)
		if err != nil {
			t.Fatal(err)
		}
		v1 := *a
		save := func(by uint, body string, autosave bool, tags ...string) {
			t.Helper()
			in.Markdown, in.HTML, in.EditorID, in.Autosave, in.Tags = body, "<p>"+body+"</p>", by, autosave, tags
			if _, err := s.SaveArticle(ctx, a.ID, in); err != nil {
				t.Fatalf("save %q: %v", body, err)
			}
		}
		bodies := func() []string {
			t.Helper()
			revs, err := s.ArticleRevisions(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range revs {
				out = append(out, r.Markdown+"/"+r.Kind)
			}
			return out
		}
		steps := []struct {
			name string
			do   func()
			want []string
		}{
			{"the editor rewrites it", func() { save(eddie, "v2", false, "Boats", "Sea") }, []string{"v1/version"}},
			{"same text and tags, in another order", func() { save(eddie, "v2", false, "sea", "Boats") }, []string{"v1/version"}},
			{"tags only", func() { save(eddie, "v2", false, "Boats") }, []string{"v2/version", "v1/version"}},
			{"alice's autosaves", func() {
				save(alice, "v3", true, "Boats")
				save(alice, "v3+", true, "Boats")
			}, []string{"v2/version", "v2/version", "v1/version"}},
			{"alice saves after her autosaves", func() { save(alice, "v4", false, "Boats") }, []string{"v2/version", "v2/version", "v1/version"}},
			{"eddie autosaves alice's version", func() { save(eddie, "v5", true, "Boats") }, []string{"v4/version", "v2/version", "v2/version", "v1/version"}},
		}
		for _, st := range steps {
			st.do()
			if got := bodies(); !slices.Equal(got, st.want) {
				t.Fatalf("%s: revisions %q, want %q", st.name, got, st.want)
			}
		}
		revs, _ := s.ArticleRevisions(ctx, a.ID)
		first := revs[len(revs)-1]
		if first.SavedByID == nil || *first.SavedByID != alice || first.Name != "alice" || !first.SavedAt.Equal(v1.UpdatedAt) ||
			!slices.Equal(first.TagNames(), []string{"Boats", "Sea"}) || first.Title != "T" || first.HTML != "<p>v1</p>" {
			t.Errorf("first revision: %+v tags %v (article saved at %v)", first, first.TagNames(), v1.UpdatedAt)
		}
		edits, _ := s.ArticleEdits(ctx, a.ID, 10)
		var actions []string
		for _, e := range edits {
			actions = append(actions, e.Action+"/"+e.Username)
		}
		if want := []string{"autosaved/eddie", "updated/alice", "autosaved/alice", "updated/eddie", "updated/eddie", "updated/eddie", "created/alice"}; !slices.Equal(actions, want) {
			t.Errorf("edits %v, want %v (one line per run of autosaves)", actions, want)
		}

		// Published: an autosave in place is refused, the aside one kept.
		in.Status = models.StatusPublished
		now := time.Now().UTC().Truncate(time.Second)
		in.PublishedAt = &now
		save(alice, "live", false, "Boats")
		live, _ := s.ArticleByID(ctx, a.ID)
		in.Markdown, in.Autosave = "overwritten", true
		if _, err := s.SaveArticle(ctx, a.ID, in); !errors.Is(err, models.ErrNotDraft) {
			t.Fatalf("autosave over a published article: %v", err)
		}
		for _, body := range []string{"aside 1", "aside 2"} {
			if _, err := s.SaveAutosave(ctx, a.ID, eddie, models.RevisionContent{Title: "T", Markdown: body, Tags: []string{"x"}}, now); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.SaveAutosave(ctx, a.ID, alice, models.RevisionContent{Title: "T", Markdown: "alice aside"}, now); err != nil {
			t.Fatal(err)
		}
		got, _ := s.ArticleByID(ctx, a.ID)
		if got.Markdown != "live" || !got.UpdatedAt.Equal(live.UpdatedAt) {
			t.Errorf("autosaves changed the published article: %q at %v", got.Markdown, got.UpdatedAt)
		}
		as, err := s.LatestAutosave(ctx, a.ID, eddie)
		if err != nil || as == nil || as.Markdown != "aside 2" || !slices.Equal(as.TagNames(), []string{"x"}) {
			t.Fatalf("eddie's autosave: %+v %v", as, err)
		}
		save(eddie, "live 2", false, "Boats")
		if as, _ := s.LatestAutosave(ctx, a.ID, eddie); as != nil {
			t.Errorf("eddie's autosave survived his save: %+v", as)
		}
		if as, _ := s.LatestAutosave(ctx, a.ID, alice); as == nil || as.Markdown != "alice aside" {
			t.Errorf("alice's autosave went with eddie's save: %+v", as)
		}
		if n, _ := s.CountArticleRevisions(ctx, a.ID); n != 7 {
			t.Errorf("%d revisions, want 7 (6 versions and alice's autosave)", n)
		}
		if _, err := s.ArticleRevision(ctx, a.ID+1, first.ID); !models.ErrIsNotFound(err) {
			t.Errorf("revision under another article: %v", err)
		}
	})
}

// TestConcurrentSavesKeepEveryVersion: saves racing on one article each
// keep the version they replace, so every text saved is found afterwards.
func TestConcurrentSavesKeepEveryVersion(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		author := revisionAuthors(t, s, "alice")[0]
		base := models.ArticleInput{Title: "T", Slug: "t", Markdown: "v0", Status: models.StatusDraft, AuthorID: author, EditorID: author}
		a, err := s.SaveArticle(ctx, 0, base)
		if err != nil {
			t.Fatal(err)
		}
		const n = 6
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := base
				in.Markdown = fmt.Sprintf("v%d", i+1)
				_, err := s.SaveArticle(ctx, a.ID, in)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		revs, err := s.ArticleRevisions(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		cur, _ := s.ArticleByID(ctx, a.ID)
		seen := []string{cur.Markdown}
		for _, r := range revs {
			seen = append(seen, r.Markdown)
		}
		slices.Sort(seen)
		want := []string{"v0"}
		for i := range n {
			want = append(want, fmt.Sprintf("v%d", i+1))
		}
		if !slices.Equal(seen, want) {
			t.Errorf("texts kept %v, want every one of %v", seen, want)
		}
	})
}

// TestSlugTakenByAndFileKey: who holds a slug (deleted articles too), and
// the article a posted file's id names.
func TestSlugTakenByAndFileKey(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		author := revisionAuthors(t, s, "alice")[0]
		a, err := s.SaveArticle(ctx, 0, models.ArticleInput{Title: "A", Slug: "a", Status: models.StatusDraft, AuthorID: author, FileKey: "k1"})
		if err != nil {
			t.Fatal(err)
		}
		if other, err := s.SlugTakenBy(ctx, "a", 0); err != nil || other == nil || other.ID != a.ID {
			t.Errorf("slug a: %+v %v", other, err)
		}
		if other, err := s.SlugTakenBy(ctx, "a", a.ID); err != nil || other != nil {
			t.Errorf("slug a except itself: %+v %v", other, err)
		}
		if got, err := s.ArticleByFileKey(ctx, "k1"); err != nil || got.ID != a.ID {
			t.Errorf("file key k1: %+v %v", got, err)
		}
		if _, err := s.ArticleByFileKey(ctx, "k2"); !models.ErrIsNotFound(err) {
			t.Errorf("unknown file key: %v", err)
		}
		// A save without a key keeps the article's.
		if _, err := s.SaveArticle(ctx, a.ID, models.ArticleInput{Title: "A2", Slug: "a", Status: models.StatusDraft, AuthorID: author}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ArticleByFileKey(ctx, "k1"); err != nil || got.Title != "A2" {
			t.Errorf("file key after an editor save: %+v %v", got, err)
		}
		if _, err := s.SaveArticle(ctx, 0, models.ArticleInput{Title: "B", Slug: "b", Status: models.StatusDraft, AuthorID: author, FileKey: "k1"}); !models.IsDuplicate(err) {
			t.Errorf("a second article with file key k1: %v", err)
		}
		if err := s.DeleteArticle(ctx, a.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if other, err := s.SlugTakenBy(ctx, "a", 0); err != nil || other == nil || other.DeletedAt == nil {
			t.Errorf("slug of a deleted article: %+v %v", other, err)
		}
	})
}

// TestMigrateRevisions upgrades a version-6 database: revisions, file ids
// and the date settings appear, and existing articles keep their versions
// from the first save on.
func TestMigrateRevisions(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			opt, dial := upgradeTarget(t, backend)
			s, err := models.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			author := revisionAuthors(t, s, "alice")[0]
			art, err := s.SaveArticle(ctx, 0, models.ArticleInput{Title: "Old", Slug: "old", Markdown: "before", Status: models.StatusDraft, AuthorID: author})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()

			s = upgradeFrom(ctx, t, opt, dial, 11,
				"DROP TABLE article_revisions",
				"DROP INDEX idx_articles_file_key",
				"ALTER TABLE articles DROP COLUMN file_key",
				"ALTER TABLE settings DROP COLUMN time_zone",
				"ALTER TABLE settings DROP COLUMN date_format",
				"DELETE FROM schema_migrations WHERE version >= 11",
			)
			defer s.Close()
			if v, _ := s.SchemaVersion(ctx); v < 11 {
				t.Fatalf("schema version %d", v)
			}
			if _, err := s.SaveArticle(ctx, art.ID, models.ArticleInput{Title: "Old", Slug: "old", Markdown: "after", Status: models.StatusDraft,
				AuthorID: author, EditorID: author, FileKey: "f1"}); err != nil {
				t.Fatal(err)
			}
			revs, err := s.ArticleRevisions(ctx, art.ID)
			if err != nil || len(revs) != 1 || revs[0].Markdown != "before" || revs[0].SavedByID != nil {
				t.Fatalf("revisions after the upgrade: %+v %v", revs, err)
			}
			if _, err := s.SaveArticle(ctx, 0, models.ArticleInput{Title: "New", Slug: "new", Status: models.StatusDraft, AuthorID: author, FileKey: "f1"}); !models.IsDuplicate(err) {
				t.Errorf("file ids are not unique after the upgrade: %v", err)
			}
			st, err := s.EnsureSettings(ctx, func() (string, string, string, string, error) { return "k", "k", "k", "k", nil })
			if err != nil {
				t.Fatal(err)
			}
			st.TimeZone, st.DateFormat = "Europe/Paris", "dmy"
			if err := s.SaveSettings(ctx, st); err != nil {
				t.Fatal(err)
			}
			if got, err := s.GetSettings(ctx); err != nil || got.TimeZone != "Europe/Paris" || got.DateFormat != "dmy" {
				t.Errorf("date settings after the upgrade: %+v %v", got, err)
			}
		})
	}
}
