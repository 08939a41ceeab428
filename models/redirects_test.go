package models_test

import (
	"context"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

func TestSaveArticleKeepsOldPermalinks(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		alice := newAuthor(t, s, "alice")
		jan := time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)
		mar := time.Date(2024, 3, 2, 9, 0, 0, 0, time.UTC)
		ids := map[string]uint{} // article name → id
		save := func(name, slug, status string, at time.Time) {
			t.Helper()
			a, err := s.SaveArticle(ctx, ids[name], models.ArticleInput{Title: name, Slug: slug, Status: status, PublishedAt: &at, AuthorID: alice.ID})
			if err != nil {
				t.Fatalf("save %s as %q: %v", name, slug, err)
			}
			ids[name] = a.ID
		}
		steps := []struct {
			name string
			do   func()
			want map[string]string // old path → article name; "" = no redirect
		}{
			{"first publication records nothing", func() { save("x", "foo", models.StatusPublished, jan) },
				map[string]string{"/2024/01/foo/": ""}},
			{"a title fix keeping the slug records nothing", func() { save("x", "foo", models.StatusPublished, jan) },
				map[string]string{"/2024/01/foo/": ""}},
			{"renamed", func() { save("x", "bar", models.StatusPublished, jan) },
				map[string]string{"/2024/01/foo/": "x", "/2024/01/bar/": ""}},
			{"renamed twice: both old paths lead to it", func() { save("x", "baz", models.StatusPublished, jan) },
				map[string]string{"/2024/01/foo/": "x", "/2024/01/bar/": "x"}},
			{"moved to another month", func() { save("x", "baz", models.StatusPublished, mar) },
				map[string]string{"/2024/01/baz/": "x", "/2024/03/baz/": ""}},
			{"a draft taking an old slug claims nothing", func() { save("y", "foo", models.StatusDraft, jan) },
				map[string]string{"/2024/01/foo/": "x"}},
			{"published there, the new article owns the path", func() { save("y", "foo", models.StatusPublished, jan) },
				map[string]string{"/2024/01/foo/": "", "/2024/01/bar/": "x"}},
			{"that one renamed in turn: the path leads to it", func() { save("y", "qux", models.StatusPublished, jan) },
				map[string]string{"/2024/01/foo/": "y"}},
			{"renaming a draft records nothing", func() { save("z", "draft-1", models.StatusDraft, jan); save("z", "draft-2", models.StatusDraft, jan) },
				map[string]string{"/2024/01/draft-1/": ""}},
			{"unpublished and renamed: the published path is kept", func() { save("x", "last", models.StatusDraft, mar) },
				map[string]string{"/2024/03/baz/": "x", "/2024/01/foo/": "y"}},
		}
		for _, st := range steps {
			st.do()
			for path, name := range st.want {
				id, err := s.LegacyRedirectTarget(ctx, path)
				switch {
				case name == "" && !models.ErrIsNotFound(err):
					t.Errorf("%s: %s redirects to %d (err %v), want no redirect", st.name, path, id, err)
				case name != "" && (err != nil || id != ids[name]):
					t.Errorf("%s: %s redirects to %d (err %v), want %s (%d)", st.name, path, id, err, name, ids[name])
				}
			}
		}
	})
}

func TestUnmarkFederated(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		alice := newAuthor(t, s, "alice")
		now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
		past, future := now.Add(-time.Hour), now.Add(time.Hour)
		tests := []struct {
			name      string
			status    string
			at        time.Time
			federated bool
			deleted   bool
			want      bool
		}{
			{"back to draft", models.StatusDraft, past, true, false, true},
			{"rescheduled", models.StatusPublished, future, true, false, true},
			{"still visible (published again meanwhile)", models.StatusPublished, past, true, false, false},
			{"never announced", models.StatusDraft, past, false, false, false},
			{"deleted: the deletion retracts it", models.StatusDeleted, past, true, true, false},
		}
		for i, tt := range tests {
			a, err := s.SaveArticle(ctx, 0, models.ArticleInput{Title: tt.name, Slug: "a" + string(rune('a'+i)), Status: models.StatusPublished, PublishedAt: &past, AuthorID: alice.ID})
			if err != nil {
				t.Fatal(err)
			}
			if tt.federated {
				if _, err := s.MarkFederated(ctx, a.ID, past); err != nil {
					t.Fatal(err)
				}
			}
			if tt.deleted {
				if err := s.DeleteArticle(ctx, a.ID, now); err != nil {
					t.Fatal(err)
				}
			} else if _, err := s.SaveArticle(ctx, a.ID, models.ArticleInput{Title: tt.name, Slug: a.Slug, Status: tt.status, PublishedAt: &tt.at, AuthorID: alice.ID}); err != nil {
				t.Fatal(err)
			}
			won, err := s.UnmarkFederated(ctx, a.ID, now)
			if err != nil || won != tt.want {
				t.Errorf("%s: UnmarkFederated = %v, %v; want %v", tt.name, won, err, tt.want)
			}
			if again, _ := s.UnmarkFederated(ctx, a.ID, now); again {
				t.Errorf("%s: a second UnmarkFederated won too", tt.name)
			}
			got, err := s.ArticleByID(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if wantSet := tt.federated && !tt.want; (got.FederatedAt != nil) != wantSet {
				t.Errorf("%s: FederatedAt = %v", tt.name, got.FederatedAt)
			}
		}
	})
}
