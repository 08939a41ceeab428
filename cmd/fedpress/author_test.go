package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// TestAuthorAddRole: `fedpress author add --role` gives the role asked
// for, authors by default, except that the first account ever is the owner
// whatever it asks; an unknown role is a usage error that creates nothing.
func TestAuthorAddRole(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			data := filepath.Join(t.TempDir(), "data")
			base := []string{"author", "add", "--data", data}
			opt := models.Options{DataDir: data}
			if backend == "postgres" {
				dsn := modelstest.PostgresDSN(t)
				base = append(base, "--database-url", dsn)
				opt = models.Options{DatabaseURL: dsn}
			}
			steps := []struct {
				username string
				flags    []string
				want     string // role; "" for a refusal
			}{
				{"first", []string{"--role", "author"}, models.RoleOwner},
				{"plain", nil, models.RoleAuthor},
				{"ed", []string{"--role", "editor"}, models.RoleEditor},
				{"second_owner", []string{"--role", "owner"}, models.RoleOwner},
				{"writer", []string{"--role", "author"}, models.RoleAuthor},
				{"boss", []string{"--role", "admin"}, ""},
			}
			for _, st := range steps {
				args := append(append([]string{}, base...), "--username", st.username, "--name", "N", "--password-stdin")
				var out, errOut bytes.Buffer
				err := run(ctx, append(args, st.flags...), strings.NewReader("correct horse battery\n"), &out, &errOut)
				if st.want == "" {
					if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "--role") {
						t.Errorf("%s: err %v (exit %d), want a usage error naming --role", st.username, err, exitCode(err))
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v %s", st.username, err, errOut.String())
				}
				if !strings.Contains(out.String(), "role "+st.want) {
					t.Errorf("%s: output %q does not name the role %s", st.username, out.String(), st.want)
				}
			}
			store, err := models.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			for _, st := range steps {
				a, err := store.AuthorByUsername(ctx, st.username)
				switch {
				case st.want == "" && err == nil:
					t.Errorf("%s was created despite the bad role", st.username)
				case st.want != "" && (err != nil || a.Role != st.want):
					t.Errorf("%s: %+v %v, want role %s", st.username, a, err, st.want)
				}
			}
		})
	}
}
