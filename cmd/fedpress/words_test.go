package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fedpress/models/modelstest"
)

// TestErrorsInWords: what the CLI prints on the usual mistakes is a
// sentence for people, not a database error or a Go time layout.
func TestErrorsInWords(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "data")
			db := []string{"--data", data}
			if backend == "postgres" {
				db = append(db, "--database-url", modelstest.PostgresDSN(t))
			}
			write := func(name, text string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			addBob := append(append([]string{"author", "add"}, db...), "--username", "bob", "--name", "Bob", "--password-stdin")
			if err := run(context.Background(), addBob, strings.NewReader("correct horse battery\n"), new(bytes.Buffer), new(bytes.Buffer)); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name string
				args []string
				want string
			}{
				{"duplicate username", addBob, `there is already an account named "bob": choose another --username`},
				{"bad date", append(append([]string{"post"}, db...), write("bad-date.md", "---\ntitle: T\ndate: 12/01/2026\n---\nText.\n")),
					`the date "12/01/2026" is not one fedpress reads: write it as 2026-12-01, 2026-12-01 10:00:00 +0100 or 2026-12-01T10:00:00Z`},
				{"no such file", append(append([]string{"post"}, db...), filepath.Join(dir, "missing.md")), "missing.md: no such file or folder"},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					err := run(context.Background(), tc.args, strings.NewReader("correct horse battery\n"), new(bytes.Buffer), new(bytes.Buffer))
					if err == nil {
						t.Fatal("succeeded, want an error")
					}
					msg := userMessage(err)
					if !strings.Contains(msg, tc.want) {
						t.Errorf("message %q does not say %q", msg, tc.want)
					}
					for _, raw := range []string{"duplicated key", "duplicate key", "UNIQUE constraint", "2006", "15:04", "parsing time", "open /", "stat /"} {
						if strings.Contains(msg, raw) {
							t.Errorf("message %q shows %q", msg, raw)
						}
					}
				})
			}
		})
	}
}
