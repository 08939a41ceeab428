package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// The data folder holds the database (private keys, password hashes) and
// the media: only the account running fedpress may read it. New files are
// created so (models.Open, backups, exports); tightenDataModes fixes a
// folder made by an older version or by hand, and says so.

// tightenDataModes takes group and other permissions off the data folder,
// its media folder and the SQLite files, writing a warning to warn for each
// it changes. A mode it cannot change (another owner) is a warning too,
// not an error: the server still runs.
func tightenDataModes(dir string, warn io.Writer) {
	db := filepath.Join(dir, sqliteFile)
	paths := []string{dir, filepath.Join(dir, "media"), db, db + "-wal", db + "-shm"}
	for _, p := range paths {
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			fmt.Fprintf(warn, "warning: %v\n", err)
			continue
		}
		mode := st.Mode().Perm()
		if mode&0o077 == 0 {
			continue
		}
		want := mode &^ 0o077
		if err := os.Chmod(p, want); err != nil {
			fmt.Fprintf(warn, "warning: %s can be read by other users (%04o) and its mode could not be changed: %v\n", p, mode, err)
			continue
		}
		fmt.Fprintf(warn, "warning: %s could be read by other users: its mode is now %04o (was %04o)\n", p, want, mode)
	}
}
