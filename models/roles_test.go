package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// TestMigrateRoles upgrades a version-5 database, whose accounts have no
// roles and whose articles record no editor: the earliest-created account
// that can log in becomes the owner (whatever its id; a WordPress import
// made earlier has no password), the others authors, articles keep
// loading and saving, and saves are recorded from then on.
func TestMigrateRoles(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			opt, dial := upgradeTarget(t, backend)
			s, err := models.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			// Ids and creation times in different orders: WordPress imports
			// and restores do not keep them aligned.
			created := map[string]time.Time{
				"imported": time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC),
				"first_id": time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
				"earliest": time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC),
				"later":    time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC),
			}
			ids := map[string]uint{}
			for _, u := range []string{"first_id", "earliest", "later", "imported"} {
				hash := "$2a$10$hash"
				if u == "imported" {
					hash = "!"
				}
				a := &models.Author{Username: u, Name: u, PasswordHash: hash, PrivateKeyPEM: "k", PublicKeyPEM: "k", CreatedAt: created[u]}
				if err := s.CreateAuthor(ctx, a); err != nil {
					t.Fatal(err)
				}
				ids[u] = a.ID
			}
			now := time.Now().UTC().Truncate(time.Second)
			art, err := s.SaveArticle(ctx, 0, models.ArticleInput{Title: "Old", Slug: "old", Markdown: "x", HTML: "<p>x</p>",
				Status: models.StatusPublished, PublishedAt: &now, AuthorID: ids["later"]})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()

			s = upgradeFrom(ctx, t, opt, dial, 6,
				"ALTER TABLE authors DROP COLUMN role",
				"ALTER TABLE articles DROP COLUMN last_edited_by_id",
				"DROP TABLE article_edits",
				"DELETE FROM schema_migrations WHERE version >= 6",
			)
			defer s.Close()
			if v, _ := s.SchemaVersion(ctx); v < 6 {
				t.Fatalf("schema version %d", v)
			}
			want := map[string]string{"first_id": models.RoleAuthor, "earliest": models.RoleOwner, "later": models.RoleAuthor, "imported": models.RoleAuthor}
			for u, role := range want {
				a, err := s.AuthorByUsername(ctx, u)
				if err != nil || a.Role != role {
					t.Errorf("%s: %+v %v, want role %s", u, a, err, role)
				}
			}
			got, err := s.ArticleByID(ctx, art.ID)
			if err != nil || got.LastEditedByID != nil || got.Author.Username != "later" {
				t.Fatalf("article after the migration: %+v %v", got, err)
			}
			if _, err := s.SaveArticle(ctx, art.ID, models.ArticleInput{Title: "Old, edited", Slug: "old", Markdown: "y", HTML: "<p>y</p>",
				Status: models.StatusPublished, PublishedAt: &now, AuthorID: ids["later"], EditorID: ids["earliest"]}); err != nil {
				t.Fatal(err)
			}
			got, err = s.ArticleByID(ctx, art.ID)
			if err != nil || got.LastEditedByID == nil || *got.LastEditedByID != ids["earliest"] || got.AuthorID != ids["later"] {
				t.Fatalf("article after an editor's save: %+v %v", got, err)
			}
			edits, err := s.ArticleEdits(ctx, art.ID, 5)
			if err != nil || len(edits) != 1 || edits[0].Username != "earliest" || edits[0].Action != models.EditUpdated {
				t.Fatalf("edits %+v %v", edits, err)
			}
			// A new account after the upgrade is an author: the blog has its owner.
			a := &models.Author{Username: "newcomer", Name: "N", PasswordHash: "!", PrivateKeyPEM: "k", PublicKeyPEM: "k"}
			if err := s.CreateAuthor(ctx, a); err != nil || a.Role != models.RoleAuthor {
				t.Fatalf("new account: role %q %v", a.Role, err)
			}
		})
	}
}

// TestAuthorRoles: the first account is the owner whatever it asks for
// (accounts imported before it, which cannot log in, are not), later ones
// get the role asked (author by default), unknown roles are refused, and
// the last owner cannot be demoted.
func TestAuthorRoles(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		imported, created, err := s.ImportWXRAuthor(ctx, models.Author{Username: "wp", Name: "WP"},
			func() (string, string, error) { return "k", "k", nil })
		if err != nil || !created || imported.Role != models.RoleAuthor {
			t.Fatalf("imported account: %+v %v %v, want an author", imported, created, err)
		}
		add := func(username, role string) (*models.Author, error) {
			a := &models.Author{Username: username, Name: username, Role: role, PasswordHash: "!", PrivateKeyPEM: "k", PublicKeyPEM: "k"}
			return a, s.CreateAuthor(ctx, a)
		}
		steps := []struct {
			username, ask, want string
		}{
			{"first", models.RoleEditor, models.RoleOwner},
			{"second", "", models.RoleAuthor},
			{"third", models.RoleEditor, models.RoleEditor},
			{"fourth", "superuser", ""},
		}
		accounts := map[string]*models.Author{}
		for _, st := range steps {
			a, err := add(st.username, st.ask)
			if st.want == "" {
				if err == nil {
					t.Errorf("%s: role %q accepted", st.username, st.ask)
				}
				continue
			}
			if err != nil || a.Role != st.want {
				t.Fatalf("%s: role %q %v, want %s", st.username, a.Role, err, st.want)
			}
			accounts[st.username] = a
		}
		first := accounts["first"].ID
		if err := s.SetAuthorRole(ctx, first, models.RoleAuthor); !errors.Is(err, models.ErrLastOwner) {
			t.Errorf("demoting the only owner: %v", err)
		}
		if err := s.SetAuthorRole(ctx, accounts["second"].ID, "root"); err == nil {
			t.Error("unknown role accepted")
		}
		if err := s.SetAuthorRole(ctx, accounts["third"].ID, models.RoleOwner); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAuthorRole(ctx, first, models.RoleAuthor); err != nil {
			t.Fatalf("demoting one of two owners: %v", err)
		}
		for u, want := range map[string]string{"first": models.RoleAuthor, "second": models.RoleAuthor, "third": models.RoleOwner} {
			if a, err := s.AuthorByUsername(ctx, u); err != nil || a.Role != want {
				t.Errorf("%s: %v %v, want %s", u, a, err, want)
			}
		}
		if err := s.SetAuthorRole(ctx, 9999, models.RoleEditor); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("role of a missing account: %v", err)
		}
	})
}
