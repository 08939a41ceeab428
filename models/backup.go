package models

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// BackupSQLite writes a consistent snapshot of the SQLite database to path
// with VACUUM INTO. It runs in one read transaction, so `serve` may keep
// writing meanwhile: the copy is the database as of the statement's start,
// compacted, and needs no WAL file beside it. path must not exist yet.
func (s *Store) BackupSQLite(ctx context.Context, path string) error {
	if s.dialect != "sqlite" {
		return fmt.Errorf("backup: VACUUM INTO is SQLite only; this database is %s (use pg_dump)", s.dialect)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("backup path %s: %w", path, err)
	}
	// VACUUM INTO refuses a non-empty file; say so before SQLite does,
	// clearly. It fills an empty one, which is created here readable by
	// its owner only: the snapshot holds private keys and password hashes.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("backup: %s already exists", abs)
	} else if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	if err := s.q(ctx).Exec("VACUUM INTO ?", abs).Error; err != nil {
		os.Remove(abs)
		return fmt.Errorf("backup: vacuum into %s: %w", abs, err)
	}
	return nil
}

// countedTables are the tables whose row counts go in a backup manifest;
// restore compares them to check that the copy is complete.
func countedTables() []struct {
	name  string
	model any
} {
	return []struct {
		name  string
		model any
	}{
		{"authors", &Author{}}, {"articles", &Article{}}, {"tags", &Tag{}}, {"media", &Media{}},
		{"interactions", &Interaction{}}, {"remote_actors", &RemoteActor{}}, {"followers", &Follower{}},
		{"inbox_items", &InboxItem{}}, {"deliveries", &Delivery{}}, {"blocks", &Block{}},
		{"legacy_redirects", &LegacyRedirect{}}, {"delivery_bodies", &DeliveryBody{}},
	}
}

// TableCounts counts the rows of the content tables, by table name.
func (s *Store) TableCounts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, t := range countedTables() {
		var n int64
		if err := s.q(ctx).Model(t.model).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("count %s: %w", t.name, err)
		}
		out[t.name] = n
	}
	return out, nil
}
