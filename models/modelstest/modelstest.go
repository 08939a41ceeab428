// Package modelstest opens real databases for tests: SQLite in a temp folder,
// and PostgreSQL in a fresh schema when FEDPRESS_TEST_POSTGRES holds a DSN.
package modelstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"fedpress/models"
)

// EnvPostgres names the variable holding the test PostgreSQL DSN.
const EnvPostgres = "FEDPRESS_TEST_POSTGRES"

// SQLite opens a migrated SQLite store in t's temp folder.
func SQLite(t testing.TB) *models.Store {
	t.Helper()
	dir := t.TempDir()
	s, err := models.Open(context.Background(), models.Options{SQLitePath: filepath.Join(dir, "test.db"), DataDir: dir})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// PostgresDSN creates a fresh schema and returns a DSN bound to it, or skips
// the test when no PostgreSQL is configured. The schema is dropped after.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skipf("%s not set: skipping PostgreSQL", EnvPostgres)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("connect postgres: %v", err)
	}
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		if db, err := admin.DB(); err == nil {
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres opens a migrated store in a fresh schema, or skips.
func Postgres(t testing.TB) *models.Store {
	t.Helper()
	dsn := PostgresDSN(t)
	s, err := models.Open(context.Background(), models.Options{DatabaseURL: dsn, MaxOpenConns: 8})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Each runs fn once per available backend as subtests "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}
