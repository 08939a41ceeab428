package models

import (
	"context"
	"fmt"

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
func registerCacheCallbacks(db *gorm.DB) error {
	bump := func(tx *gorm.DB) {
		if tx.Error != nil || tx.Statement == nil || !pageTables[tx.Statement.Table] || tx.Statement.RowsAffected == 0 {
			return
		}
		// Exec goes through the raw callback chain, so this does not recurse.
		tx.Session(&gorm.Session{NewDB: true}).Exec("UPDATE cache_generations SET generation = generation + 1 WHERE id = 1")
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
