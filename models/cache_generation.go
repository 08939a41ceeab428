package models

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// CacheGeneration is a counter bumped by every write that can change a
// rendered page. Page caches key on it, so a change made by any process (or
// by `fedpress post`) invalidates every process's cache.
type CacheGeneration struct {
	ID         uint `gorm:"primaryKey"`
	Generation int64
}

// pageTables are the tables whose rows show on public pages. remote_actors
// is left out on purpose: key lookups upsert it on every inbox request, and
// a changed remote name or avatar may wait for the cache TTL.
var pageTables = map[string]bool{
	"articles": true, "article_tags": true, "article_media": true, "tags": true, "media": true,
	"interactions": true, "authors": true, "settings": true, "legacy_redirects": true,
}

// registerCacheCallbacks bumps the generation after any create, update or
// delete on a page table, whichever code path made it.
func registerCacheCallbacks(db *gorm.DB, gen *pageGen) error {
	bump := func(tx *gorm.DB) {
		if tx.Error != nil || tx.Statement == nil || !pageTables[tx.Statement.Table] || tx.Statement.RowsAffected == 0 {
			return
		}
		// Exec goes through the raw callback chain, so this does not recurse.
		tx.Session(&gorm.Session{NewDB: true}).Exec("UPDATE cache_generations SET generation = generation + 1 WHERE id = 1")
		gen.localWrite()
	}
	cb := db.Callback()
	if err := cb.Create().After("gorm:create").Register("fedpress:cache_create", bump); err != nil {
		return err
	}
	if err := cb.Update().After("gorm:update").Register("fedpress:cache_update", bump); err != nil {
		return err
	}
	return cb.Delete().After("gorm:delete").Register("fedpress:cache_delete", bump)
}

// PageGeneration returns the current cache generation.
func (s *Store) PageGeneration(ctx context.Context) (int64, error) {
	var g int64
	if err := s.q(ctx).Model(&CacheGeneration{}).Where("id = 1").Select("generation").Scan(&g).Error; err != nil {
		return 0, fmt.Errorf("cache generation: %w", err)
	}
	return g, nil
}

// pageGen remembers the last generation read, so a page-cache hit need not
// ask the database on every request. Writes made through this process's
// Store invalidate it at once; writes by other processes are seen within
// the caller's maxAge.
type pageGen struct {
	writes atomic.Int64 // local writes that may have bumped the generation
	last   atomic.Pointer[genReading]
}

type genReading struct {
	gen    int64
	at     time.Time
	writes int64 // pageGen.writes when the reading was taken
}

func (g *pageGen) localWrite() { g.writes.Add(1) }

// RecentPageGeneration is PageGeneration read at most once per maxAge,
// unless this process wrote since: a change made here shows at once, one
// made by another process (a worker, `fedpress post`) within maxAge.
func (s *Store) RecentPageGeneration(ctx context.Context, maxAge time.Duration) (int64, error) {
	w := s.gen.writes.Load()
	if r := s.gen.last.Load(); r != nil && r.writes == w && time.Since(r.at) < maxAge {
		return r.gen, nil
	}
	at := time.Now()
	g, err := s.PageGeneration(ctx)
	if err != nil {
		return 0, err
	}
	s.gen.last.Store(&genReading{gen: g, at: at, writes: w})
	return g, nil
}
