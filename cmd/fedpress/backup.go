package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fedpress/models"
)

// A backup folder holds:
//
//	backup.json      manifest, written last: its presence means the backup finished
//	fedpress.db      SQLite snapshot (VACUUM INTO), or fedpress.pgdump made by pg_dump
//	media/           copy of the data folder's media
const (
	manifestName   = "backup.json"
	manifestFormat = 1
	sqliteFile     = "fedpress.db"
	pgDumpFile     = "fedpress.pgdump"
)

// backupManifest describes a backup, so that restore can check it.
type backupManifest struct {
	Version         int              `json:"version"` // manifestFormat
	FedpressVersion string           `json:"fedpress_version"`
	Time            time.Time        `json:"time"`
	Dialect         string           `json:"dialect"`
	SchemaVersion   int              `json:"schema_version"`
	Database        string           `json:"database"` // file name inside the backup folder
	MediaFiles      int              `json:"media_files"`
	Counts          map[string]int64 `json:"counts"`
}

// parseFlagsAnywhere parses flags before and after positional arguments
// ("fedpress backup /srv/bak --data /srv/fp"): the flag package alone stops
// at the first non-flag. It returns the positional arguments.
func parseFlagsAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	var pos []string
	for rest := fs.Args(); len(rest) > 0; rest = fs.Args() {
		pos = append(pos, rest[0])
		if err := parseArgs(fs, rest[1:]); err != nil {
			return nil, err
		}
	}
	return pos, nil
}

// oneDirArg parses the flags of a command taking one folder.
func oneDirArg(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 || pos[0] == "" {
		fs.Usage()
		return "", errUsage
	}
	return pos[0], nil
}

// openExisting opens the database of cfg without creating one: backing up
// or exporting an empty, freshly created database would only hide a wrong
// --data.
func openExisting(ctx context.Context, cfg *config) (*models.Store, error) {
	if !models.IsPostgresURL(cfg.DatabaseURL) {
		p := filepath.Join(cfg.Data, sqliteFile)
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("no database at %s (wrong --data?): %w", p, err)
		}
		tightenDataModes(cfg.Data, cfg.warnings())
	}
	return models.Open(ctx, models.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.Data})
}

// emptyDir creates dir, or accepts it if it exists and is empty, so that a
// backup or export never mixes with older files.
func emptyDir(dir string) error {
	if err := mkdirPrivate(dir); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	if len(ents) > 0 {
		return fmt.Errorf("%s is not empty: choose a new folder", dir)
	}
	return nil
}

func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet("fedpress backup", stderr, &cfg, false)
	setUsage(fs, "usage: fedpress backup [flags] DIR\n\n"+
		"Writes a consistent snapshot of the SQLite database (safe while `fedpress serve`\n"+
		"runs), a copy of the media folder and a manifest into the new folder DIR.\n"+
		"With PostgreSQL it copies the media and prints the pg_dump command to run.", storeOnly()...)
	dir, store, err := intoNewDir(ctx, fs, args, &cfg, "backup")
	if store == nil {
		return err
	}
	defer store.Close()
	man, err := backupTo(ctx, store, cfg.Data, dir, time.Now().UTC())
	if err != nil {
		return err
	}
	if man.Dialect == "postgres" {
		fmt.Fprintf(stdout, "media copied to %s; now dump the database (same folder, so restore finds it):\n\n"+
			"  pg_dump --format=custom --file %s \"$DATABASE_URL\"\n\n",
			filepath.Join(dir, "media"), shellQuote(filepath.Join(dir, pgDumpFile)))
	}
	fmt.Fprintf(stdout, "backup in %s: %d articles, %d interactions, %d authors, %d media files\n",
		dir, man.Counts["articles"], man.Counts["interactions"], man.Counts["authors"], man.MediaFiles)
	return nil
}

// backupTo fills the empty folder dir. The database is copied before the
// media: uploads write the file before the row, so every media row of the
// snapshot has its file by then.
func backupTo(ctx context.Context, store *models.Store, dataDir, dir string, now time.Time) (backupManifest, error) {
	man := backupManifest{Version: manifestFormat, FedpressVersion: version, Time: now, Dialect: store.Dialect()}
	switch store.Dialect() {
	case "sqlite":
		man.Database = sqliteFile
		snap := filepath.Join(dir, sqliteFile)
		if err := store.BackupSQLite(ctx, snap); err != nil {
			return man, err
		}
		// The manifest describes the snapshot itself, and opening it proves
		// the copy is a readable database.
		counts, schema, err := sqliteInfo(ctx, snap)
		if err != nil {
			return man, fmt.Errorf("check snapshot: %w", err)
		}
		man.Counts, man.SchemaVersion = counts, schema
	default:
		man.Database = pgDumpFile
		var err error
		if man.Counts, err = store.TableCounts(ctx); err != nil {
			return man, err
		}
		if man.SchemaVersion, err = store.SchemaVersion(ctx); err != nil {
			return man, err
		}
	}
	n, err := copyMedia(filepath.Join(dataDir, "media"), filepath.Join(dir, "media"))
	if err != nil {
		return man, fmt.Errorf("backup media: %w", err)
	}
	man.MediaFiles = n
	if err := writeJSON(filepath.Join(dir, manifestName), man); err != nil {
		return man, fmt.Errorf("backup manifest: %w", err)
	}
	return man, nil
}

// sqliteInfo opens a SQLite file and returns its row counts and schema
// version. Open switches it to WAL mode; closing the only connection
// checkpoints and removes the -wal and -shm files again.
func sqliteInfo(ctx context.Context, path string) (map[string]int64, int, error) {
	s, err := models.Open(ctx, models.Options{SQLitePath: path, DataDir: filepath.Dir(path)})
	if err != nil {
		return nil, 0, err
	}
	defer s.Close()
	counts, err := s.TableCounts(ctx)
	if err != nil {
		return nil, 0, err
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return nil, 0, err
	}
	return counts, v, nil
}

func cmdRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet("fedpress restore", stderr, &cfg, false)
	force := fs.Bool("force", false, "replace the existing database (SQLite: the old file is kept beside it; PostgreSQL: print pg_restore --clean)")
	setUsage(fs, "usage: fedpress restore [flags] DIR\n\n"+
		"Brings a `fedpress backup` folder back into --data. Stop `fedpress serve` and\n"+
		"`fedpress worker` first: the SQLite file is replaced underneath them otherwise.\n"+
		"With PostgreSQL it copies the media and prints the pg_restore command to run.", storeOnly()...)
	dir, err := oneDirArg(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	man, err := readManifest(dir)
	if err != nil {
		return err
	}
	pg := models.IsPostgresURL(cfg.DatabaseURL)
	switch {
	case man.Dialect == "sqlite" && pg:
		return fmt.Errorf("%s is a SQLite backup: restore it without --database-url (restore does not convert to PostgreSQL)", dir)
	case man.Dialect == "postgres" && !pg:
		return fmt.Errorf("%s is a PostgreSQL backup: pass the target's --database-url", dir)
	case man.Dialect != "sqlite" && man.Dialect != "postgres":
		return fmt.Errorf("%s: unknown dialect %q in %s", dir, man.Dialect, manifestName)
	}
	if man.Dialect == "postgres" {
		if _, err := os.Stat(filepath.Join(dir, man.Database)); err != nil {
			return fmt.Errorf("%s: no database dump (run the pg_dump command `fedpress backup` printed): %w", dir, err)
		}
	}
	if man.Dialect == "sqlite" {
		if err := restoreSQLite(ctx, dir, cfg.Data, man, *force, stderr); err != nil {
			return err
		}
	}
	n, err := copyMedia(filepath.Join(dir, "media"), filepath.Join(cfg.Data, "media"))
	if err != nil {
		return fmt.Errorf("restore media: %w", err)
	}
	if man.Dialect == "postgres" {
		clean := ""
		if *force {
			clean = "--clean --if-exists "
		}
		fmt.Fprintf(stdout, "%d media files restored into %s; now load the database with fedpress stopped:\n\n"+
			"  pg_restore --no-owner %s--dbname \"$DATABASE_URL\" %s\n\n",
			n, filepath.Join(cfg.Data, "media"), clean, shellQuote(filepath.Join(dir, man.Database)))
		if !*force {
			fmt.Fprintln(stdout, "The target database must be empty; to replace one that has tables, use --force for the --clean variant.")
		}
		return nil
	}
	fmt.Fprintf(stdout, "restored %s into %s: %d articles, %d interactions, %d authors, %d media files\n",
		dir, cfg.Data, man.Counts["articles"], man.Counts["interactions"], man.Counts["authors"], n)
	return nil
}

func readManifest(dir string) (backupManifest, error) {
	var man backupManifest
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return man, fmt.Errorf("%s is not a finished fedpress backup: %w", dir, err)
	}
	if err := json.Unmarshal(data, &man); err != nil {
		return man, fmt.Errorf("%s: %w", filepath.Join(dir, manifestName), err)
	}
	if man.Version != manifestFormat {
		return man, fmt.Errorf("%s: backup format %d, this fedpress reads %d", dir, man.Version, manifestFormat)
	}
	if man.SchemaVersion > models.LatestSchemaVersion() {
		return man, fmt.Errorf("%s: made by a newer fedpress (schema %d, this one knows %d): upgrade fedpress first", dir, man.SchemaVersion, models.LatestSchemaVersion())
	}
	if man.Database == "" || filepath.Base(man.Database) != man.Database {
		return man, fmt.Errorf("%s: bad database file name %q in %s", dir, man.Database, manifestName)
	}
	return man, nil
}

// restoreSQLite puts the snapshot in place as data/fedpress.db. It copies
// to a temporary file and renames, so a failed copy leaves the old
// database; with --force the old one is moved aside, never deleted.
func restoreSQLite(ctx context.Context, dir, dataDir string, man backupManifest, force bool, stderr io.Writer) error {
	src := filepath.Join(dir, man.Database)
	dst := filepath.Join(dataDir, sqliteFile)
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	_, err := os.Stat(dst)
	exists := err == nil
	if exists && !force {
		return fmt.Errorf("%s already exists: stop fedpress and pass --force to replace it (the old file is kept)", dst)
	}
	// A WAL beside the database means a process has it open, or crashed.
	for _, sfx := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(dst + sfx); err == nil {
			fmt.Fprintf(stderr, "warning: %s exists: is fedpress still running on %s? Stop it before restoring.\n", dst+sfx, dataDir)
			break
		}
	}
	if err := mkdirPrivate(dataDir); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	tmp := filepath.Join(dataDir, ".fedpress.db.restore")
	if err := copyFile(src, tmp); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	// Check the copy before it replaces anything.
	counts, _, err := sqliteInfo(ctx, tmp)
	if err == nil {
		for table, want := range man.Counts {
			if got := counts[table]; got != want {
				err = fmt.Errorf("%s has %d rows, the manifest says %d", table, got, want)
				break
			}
		}
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: %s is damaged: %w", src, err)
	}
	if exists {
		aside := dst + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
		for _, sfx := range []string{"", "-wal", "-shm"} {
			// The WAL goes with its database: a stale one beside the
			// restored file would be replayed into it.
			if err := os.Rename(dst+sfx, aside+sfx); err != nil && !errors.Is(err, os.ErrNotExist) {
				os.Remove(tmp)
				return fmt.Errorf("restore: keep old database: %w", err)
			}
		}
		fmt.Fprintf(stderr, "previous database kept as %s\n", aside)
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

// copyMedia copies the files of the flat media folder src into dst and
// returns how many. Hidden files are uploads in progress or probes.
func copyMedia(src, dst string) (int, error) {
	ents, err := os.ReadDir(src)
	if errors.Is(err, os.ErrNotExist) {
		return 0, mkdirPrivate(dst)
	}
	if err != nil {
		return 0, err
	}
	if err := mkdirPrivate(dst); err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// copyFile copies through a temporary file and renames, keeping the
// modification time (media is served with Last-Modified).
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".copy-*")
	if err != nil {
		return err
	}
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := os.Chtimes(tmp.Name(), st.ModTime(), st.ModTime()); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

// writeJSON writes indented JSON with HTML left as is (comment content is
// HTML, and the files are for reading).
func writeJSON(path string, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// shellQuote quotes a path for the printed commands when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// intoNewDir is the start shared by backup and export: parse the one DIR
// argument, check it is a new or empty folder, open the existing database.
// A nil store with a nil error means --help was shown.
func intoNewDir(ctx context.Context, fs *flag.FlagSet, args []string, cfg *config, verb string) (string, *models.Store, error) {
	dir, err := oneDirArg(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", nil, nil
		}
		return "", nil, err
	}
	if err := emptyDir(dir); err != nil {
		return "", nil, fmt.Errorf("%s: %w", verb, err)
	}
	store, err := openExisting(ctx, cfg)
	if err != nil {
		return "", nil, err
	}
	return dir, store, nil
}
