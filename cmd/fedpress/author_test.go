package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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

// TestAuthorResetPassword: `fedpress author reset-password USERNAME`
// prints a link on the blog's base URL whose token the store accepts once;
// an unknown username or a missing one is a usage error.
func TestAuthorResetPassword(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"author", "add", "--data", data, "--username", "alice", "--name", "A", "--password-stdin"},
		strings.NewReader("correct horse battery\n"), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantExit int
	}{
		{"ok", []string{"--base-url", "https://blog.example", "alice"}, 0},
		{"handle with @ and capitals", []string{"--base-url", "https://blog.example", "@Alice"}, 0},
		{"unknown", []string{"--base-url", "https://blog.example", "bob"}, 2},
		{"no username", []string{"--base-url", "https://blog.example"}, 2},
		{"two usernames", []string{"alice", "bob"}, 2},
	}
	linkRE := regexp.MustCompile(`https://blog\.example/admin/reset-password/\?token=([A-Za-z0-9_-]{43})\n`)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(ctx, append([]string{"author", "reset-password", "--data", data}, tc.args...), strings.NewReader(""), &out, &errOut)
			if tc.wantExit != 0 {
				if err == nil || exitCode(err) != tc.wantExit {
					t.Fatalf("err %v (exit %d), want exit %d", err, exitCode(err), tc.wantExit)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut.String())
			}
			m := linkRE.FindStringSubmatch(out.String())
			if m == nil {
				t.Fatalf("no reset link in %q", out.String())
			}
			store, err := models.Open(ctx, models.Options{DataDir: data})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			now := time.Now().UTC()
			if a, err := store.PasswordResetAuthor(ctx, m[1], now); err != nil || a.Username != "alice" {
				t.Fatalf("token: %v %v", a, err)
			}
			if _, err := store.ResetPassword(ctx, m[1], "$2a$new", now); err != nil {
				t.Fatal(err)
			}
			if _, err := store.ResetPassword(ctx, m[1], "$2a$again", now); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("second use: %v", err)
			}
		})
	}
}
