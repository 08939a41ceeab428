package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// seededDataDir makes a data folder with a SQLite blog: an author, a few
// articles with a comment, one media file. It returns the open store.
func seededDataDir(t *testing.T) (string, *models.Store) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := models.Open(ctx, models.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.EnsureSettings(ctx, fakeSettingsKeys); err != nil {
		t.Fatal(err)
	}
	a := &models.Author{Username: "alice", Name: "Alice", PasswordHash: "x", PrivateKeyPEM: "k", PublicKeyPEM: "p"}
	if err := s.CreateAuthor(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "media"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "media", "abc.png"), []byte("not really a png"), 0o640); err != nil {
		t.Fatal(err)
	}
	// Upload leftovers are not part of a backup.
	if err := os.WriteFile(filepath.Join(dir, "media", ".upload-123"), []byte("partial"), 0o640); err != nil {
		t.Fatal(err)
	}
	m := &models.Media{AuthorID: a.ID, Path: "abc.png", MimeType: "image/png"}
	if err := s.CreateMedia(ctx, m); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		d := time.Date(2012, 11, 10+i, 9, 0, 0, 0, time.UTC)
		art, err := s.SaveArticle(ctx, 0, models.ArticleInput{
			Title: fmt.Sprintf("Article %d", i), Slug: fmt.Sprintf("article-%d", i), Markdown: "Hello", HTML: "<p>Hello</p>",
			Status: models.StatusPublished, PublishedAt: &d, AuthorID: a.ID, Tags: []string{"News"}, MediaIDs: []uint{m.ID},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateInteraction(ctx, &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceWeb,
			Status: models.StatusApproved, AuthorName: "Bob", AuthorEmail: "bob@example.com", Content: "<p>Hi</p>"}); err != nil {
			t.Fatal(err)
		}
	}
	return dir, s
}

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestBackupRestoreSQLite(t *testing.T) {
	ctx := context.Background()
	data, live := seededDataDir(t)

	// Writes go on while the backup runs, as with `fedpress serve`: the
	// snapshot must still be consistent and open cleanly.
	var (
		stop    atomic.Bool
		wg      sync.WaitGroup
		written atomic.Int64
		werr    error
	)
	authors, err := live.ListAuthors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			d := time.Now().UTC()
			if _, err := live.SaveArticle(ctx, 0, models.ArticleInput{Title: "w", Slug: fmt.Sprintf("w-%d", i), Status: models.StatusPublished,
				PublishedAt: &d, AuthorID: authors[0].ID, Tags: []string{fmt.Sprintf("t%d", i%5)}}); err != nil {
				werr = err
				return
			}
			written.Add(1)
		}
	}()
	for written.Load() < 5 {
		time.Sleep(5 * time.Millisecond)
	}
	bak := filepath.Join(t.TempDir(), "bak")
	out, err := runCmd(t, "backup", bak, "--data", data)
	for n := written.Load(); written.Load() < n+5 && werr == nil; {
		time.Sleep(5 * time.Millisecond) // the writer must outlive the backup
	}
	stop.Store(true)
	wg.Wait()
	if err != nil || werr != nil {
		t.Fatalf("backup: %v (writer: %v)\n%s", err, werr, out)
	}

	var man backupManifest
	raw, err := os.ReadFile(filepath.Join(bak, manifestName))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	if man.Version != 1 || man.Dialect != "sqlite" || man.SchemaVersion != models.LatestSchemaVersion() || man.MediaFiles != 1 || man.Database != sqliteFile || man.Time.IsZero() {
		t.Errorf("manifest = %+v", man)
	}
	final, err := live.TableCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a := man.Counts["articles"]; a < 3+5 || a >= final["articles"] || man.Counts["interactions"] != 3 || man.Counts["authors"] != 1 {
		t.Errorf("manifest counts %v (live now %v)", man.Counts, final)
	}
	if !strings.Contains(out, fmt.Sprintf("%d articles", man.Counts["articles"])) {
		t.Errorf("output: %s", out)
	}
	// The snapshot is self-contained: no WAL beside it, no upload leftovers.
	for _, name := range []string{sqliteFile + "-wal", sqliteFile + "-shm", "media/.upload-123"} {
		if _, err := os.Stat(filepath.Join(bak, name)); err == nil {
			t.Errorf("%s in the backup", name)
		}
	}
	if b, err := os.ReadFile(filepath.Join(bak, "media", "abc.png")); err != nil || string(b) != "not really a png" {
		t.Errorf("media copy: %q %v", b, err)
	}
	counts, schema, err := sqliteInfo(ctx, filepath.Join(bak, sqliteFile))
	if err != nil || schema != man.SchemaVersion {
		t.Fatalf("open snapshot: %v, schema %d", err, schema)
	}
	for k, v := range man.Counts {
		if counts[k] != v {
			t.Errorf("snapshot %s = %d, manifest %d", k, counts[k], v)
		}
	}

	// Restore into a fresh data folder.
	fresh := filepath.Join(t.TempDir(), "data")
	if out, err := runCmd(t, "restore", "--data", fresh, bak); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	restored, err := models.Open(ctx, models.Options{DataDir: fresh})
	if err != nil {
		t.Fatal(err)
	}
	got, err := restored.TableCounts(ctx)
	restored.Close()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range man.Counts {
		if got[k] != v {
			t.Errorf("restored %s = %d, want %d", k, got[k], v)
		}
	}
	if _, err := os.Stat(filepath.Join(fresh, "media", "abc.png")); err != nil {
		t.Errorf("media not restored: %v", err)
	}

	// An existing database is only replaced with --force, and kept aside.
	if out, err := runCmd(t, "restore", "--data", fresh, bak); err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), "pass --force") {
		t.Errorf("restore over a database: %v\n%s", err, out)
	}
	if out, err := runCmd(t, "restore", "--force", "--data", fresh, bak); err != nil || !strings.Contains(out, "previous database kept as") {
		t.Errorf("restore --force: %v\n%s", err, out)
	}
	if aside, _ := filepath.Glob(filepath.Join(fresh, sqliteFile+".before-restore-*")); len(aside) != 1 {
		t.Errorf("old database not kept: %v", aside)
	}
}

func TestBackupRestoreRefusals(t *testing.T) {
	data, _ := seededDataDir(t)
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"backup into a non-empty folder": {[]string{"backup", "--data", data, full}, "not empty"},
		"backup of no database":          {[]string{"backup", "--data", t.TempDir(), filepath.Join(t.TempDir(), "b")}, "no database at"},
		"backup without folder":          {[]string{"backup", "--data", data}, "usage"},
		"restore of no backup":           {[]string{"restore", "--data", t.TempDir(), full}, "not a finished fedpress backup"},
		"export into a non-empty folder": {[]string{"export", "--data", data, full}, "not empty"},
	} {
		t.Run(name, func(t *testing.T) {
			if out, err := runCmd(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q\n%s", err, tc.want, out)
			}
		})
	}
	// A backup from a newer fedpress, or of the other dialect, is refused.
	for name, tc := range map[string]struct {
		man  backupManifest
		args []string
		want string
	}{
		"newer schema":         {backupManifest{Version: 1, Dialect: "sqlite", Database: sqliteFile, SchemaVersion: models.LatestSchemaVersion() + 1}, nil, "newer fedpress"},
		"postgres into sqlite": {backupManifest{Version: 1, Dialect: "postgres", Database: pgDumpFile}, nil, "PostgreSQL backup"},
		"sqlite into postgres": {backupManifest{Version: 1, Dialect: "sqlite", Database: sqliteFile}, []string{"--database-url", "postgres://x@127.0.0.1:1/x"}, "SQLite backup"},
		"bad file name":        {backupManifest{Version: 1, Dialect: "sqlite", Database: "../etc/passwd"}, nil, "bad database file name"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := writeJSON(filepath.Join(dir, manifestName), tc.man); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"restore", "--data", t.TempDir(), dir}, tc.args...)
			if out, err := runCmd(t, args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q\n%s", err, tc.want, out)
			}
		})
	}
}

// TestBackupPostgres checks the PostgreSQL path: media copied, manifest
// written, and the pg_dump / pg_restore commands printed.
func TestBackupPostgres(t *testing.T) {
	dsn := modelstest.PostgresDSN(t)
	ctx := context.Background()
	data := t.TempDir()
	s, err := models.Open(ctx, models.Options{DatabaseURL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := os.MkdirAll(filepath.Join(data, "media"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "media", "a.jpg"), []byte("jpg"), 0o640); err != nil {
		t.Fatal(err)
	}
	bak := filepath.Join(t.TempDir(), "bak")
	out, err := runCmd(t, "backup", "--database-url", dsn, "--data", data, bak)
	if err != nil || !strings.Contains(out, "pg_dump --format=custom --file "+filepath.Join(bak, pgDumpFile)+` "$DATABASE_URL"`) {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	man, err := readManifest(bak)
	if err != nil || man.Dialect != "postgres" || man.MediaFiles != 1 || man.Counts == nil {
		t.Fatalf("manifest %+v: %v", man, err)
	}
	target := t.TempDir()
	if out, err := runCmd(t, "restore", "--database-url", dsn, "--data", target, bak); err == nil || !strings.Contains(err.Error(), "no database dump") {
		t.Errorf("restore without a dump: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(bak, pgDumpFile), []byte("PGDMP"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, "restore", "--force", "--database-url", dsn, "--data", target, bak)
	if err != nil || !strings.Contains(out, "pg_restore --no-owner --clean --if-exists --dbname \"$DATABASE_URL\"") {
		t.Errorf("restore: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(target, "media", "a.jpg")); err != nil {
		t.Errorf("media not restored: %v", err)
	}
}

func TestParseFlagsAnywhere(t *testing.T) {
	var cfg config
	fs := newFlagSet("x", &bytes.Buffer{}, &cfg, false)
	force := fs.Bool("force", false, "")
	pos, err := parseFlagsAnywhere(fs, []string{"a", "--data", "/d", "b", "--force", "--", "-c"})
	if err != nil || strings.Join(pos, ",") != "a,b,-c" || cfg.Data != "/d" || !*force {
		t.Errorf("pos=%v data=%q force=%v err=%v", pos, cfg.Data, *force, err)
	}
	if _, err := parseFlagsAnywhere(fs, []string{"a", "--nope"}); !errors.Is(err, errUsage) {
		t.Errorf("unknown flag after an argument: %v", err)
	}
}
