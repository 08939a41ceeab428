package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// modesUnder lists every file and folder under root whose mode lets other
// users in (group or other bits).
func modesUnder(t *testing.T, root string) []string {
	t.Helper()
	var loose []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o077 != 0 {
			loose = append(loose, p+" "+st.Mode().Perm().String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return loose
}

// TestDataFilesArePrivate: the data folder, the SQLite database with its
// -wal and -shm files, backups and exports are readable by their owner
// only, whatever the umask; an older folder is tightened at start.
func TestDataFilesArePrivate(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	cfg := config{Data: data}
	store, _, err := openStore(ctx, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{sqliteFile, sqliteFile + "-wal", sqliteFile + "-shm"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if loose := modesUnder(t, data); len(loose) > 0 {
		t.Errorf("a new data folder lets others in: %q", loose)
	}
	if err := os.WriteFile(filepath.Join(data, "media", "a.png"), []byte("png"), 0o600); err != nil {
		t.Fatal(err)
	}
	store.Close()

	bak := filepath.Join(t.TempDir(), "bak")
	if out, err := runCmd(t, "backup", bak, "--data", data); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if loose := modesUnder(t, bak); len(loose) > 0 {
		t.Errorf("the backup lets others in: %q", loose)
	}
	exp := filepath.Join(t.TempDir(), "export")
	if out, err := runCmd(t, "export", exp, "--data", data); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if loose := modesUnder(t, exp); len(loose) > 0 {
		t.Errorf("the export lets others in: %q", loose)
	}

	// A folder made by an older version (0755 and 0644) is tightened at
	// start, with a warning naming each file.
	for p, mode := range map[string]os.FileMode{data: 0o755, filepath.Join(data, "media"): 0o755, filepath.Join(data, sqliteFile): 0o644} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	var warn bytes.Buffer
	cfg = config{Data: data, stderr: &warn}
	store, _, err = openStore(ctx, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if loose := modesUnder(t, data); len(loose) > 0 {
		t.Errorf("an old data folder was not tightened: %q", loose)
	}
	for _, p := range []string{data + " ", filepath.Join(data, sqliteFile) + " "} {
		if !strings.Contains(warn.String(), "warning: "+p) {
			t.Errorf("no warning about %s:\n%s", p, warn.String())
		}
	}
}
