package models

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ErrNotFound is returned by lookups that find no row.
var ErrNotFound = errors.New("not found")

// Store is the database. Every query of the application is a method on it.
type Store struct {
	db      *gorm.DB
	dialect string // "sqlite" or "postgres"
	gen     *pageGen
}

// Options configure Open.
type Options struct {
	// DatabaseURL selects PostgreSQL when it starts with postgres:// or
	// postgresql://; empty means SQLite in DataDir.
	DatabaseURL string
	DataDir     string
	// SQLitePath overrides the SQLite file (tests use a temp dir).
	SQLitePath string
	// MaxOpenConns for PostgreSQL; 0 means a sensible default.
	MaxOpenConns int
}

// IsPostgresURL reports whether a database URL selects PostgreSQL.
func IsPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// Open connects to the database and runs pending migrations.
func Open(ctx context.Context, opt Options) (*Store, error) {
	// UTC timestamps everywhere: SQLite stores times as text, and comparing
	// local-time values with UTC ones would be off by the zone offset.
	cfg := &gorm.Config{Logger: logger.Discard, TranslateError: true, NowFunc: func() time.Time { return time.Now().UTC() }}
	var (
		db      *gorm.DB
		err     error
		dialect string
	)
	if IsPostgresURL(opt.DatabaseURL) {
		dialect = "postgres"
		db, err = gorm.Open(postgres.Open(opt.DatabaseURL), cfg)
		if err != nil {
			return nil, fmt.Errorf("database unreachable: open postgres: %w", err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, fmt.Errorf("postgres pool: %w", err)
		}
		n := opt.MaxOpenConns
		if n <= 0 {
			n = 20
		}
		sqlDB.SetMaxOpenConns(n)
		sqlDB.SetMaxIdleConns(n)
	} else {
		if opt.DatabaseURL != "" {
			return nil, fmt.Errorf("unsupported database URL %q: use postgres://… or leave empty for SQLite", opt.DatabaseURL)
		}
		dialect = "sqlite"
		path := opt.SQLitePath
		if path == "" {
			if err := os.MkdirAll(opt.DataDir, 0o700); err != nil {
				return nil, fmt.Errorf("create data folder: %w", err)
			}
			path = filepath.Join(opt.DataDir, "fedpress.db")
		}
		// The database holds private keys and password hashes: only its
		// owner may read it. SQLite gives the -wal and -shm files the mode
		// of the database file, so creating that one 0600 covers all three.
		if err := createPrivate(path); err != nil {
			return nil, err
		}
		// WAL lets readers run beside the writer; busy_timeout makes a second
		// process (fedpress post while serve runs) wait instead of failing.
		// journal_size_limit cuts the WAL file back after a checkpoint: a
		// burst of large writes (inbox bodies) would otherwise leave it at
		// its high-water mark for good.
		dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=journal_size_limit(4194304)&_txlock=immediate"
		db, err = gorm.Open(sqlite.Open(dsn), cfg)
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, fmt.Errorf("sqlite pool: %w", err)
		}
		// One writer at a time is SQLite's rule; a small pool still lets
		// reads proceed during a write thanks to WAL.
		sqlDB.SetMaxOpenConns(4)
	}
	gen := &pageGen{}
	if err := registerCacheCallbacks(db, gen); err != nil {
		return nil, fmt.Errorf("register callbacks: %w", err)
	}
	s := &Store{db: db.WithContext(ctx), dialect: dialect, gen: gen}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Ping(pingCtx); err != nil {
		s.Close()
		return nil, fmt.Errorf("database unreachable: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Dialect is "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Ping checks the database connection.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close closes the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Tx runs fn in a transaction; fn receives a Store bound to it.
func (s *Store) Tx(ctx context.Context, fn func(tx *Store) error) error {
	err := s.db.WithContext(ctx).Transaction(func(t *gorm.DB) error {
		return fn(&Store{db: t, dialect: s.dialect, gen: s.gen})
	})
	// A generation bumped inside the transaction becomes visible only now:
	// a page-generation read in between may have remembered the old value.
	s.gen.localWrite()
	return err
}

func (s *Store) q(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// notFound maps gorm's record-not-found to ErrNotFound with context.
func notFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// IsDuplicate reports a unique-constraint violation.
func IsDuplicate(err error) bool { return errors.Is(err, gorm.ErrDuplicatedKey) }

// createPrivate creates an empty file readable by its owner only, unless
// it exists (its mode is then left to the caller).
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return f.Close()
}
