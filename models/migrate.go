package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migration is one schema step. Steps are append-only: a release adds a new
// version and never edits an applied one, so data survives upgrades.
type migration struct {
	version int
	name    string
	up      func(tx *gorm.DB) error
}

func migrations() []migration {
	return []migration{
		{1, "initial schema", func(tx *gorm.DB) error {
			return tx.AutoMigrate(
				&Author{}, &Settings{}, &Tag{}, &Media{}, &Article{},
				&RemoteActor{}, &Interaction{}, &Follower{}, &InboxItem{},
				&Delivery{}, &RemoteHost{}, &Block{}, &Session{}, &JobLease{},
				&LegacyRedirect{},
			)
		}},
		{2, "page cache generation", func(tx *gorm.DB) error {
			if err := tx.AutoMigrate(&CacheGeneration{}); err != nil {
				return err
			}
			return tx.Create(&CacheGeneration{ID: 1}).Error
		}},
		{3, "delivery bodies stored once", func(tx *gorm.DB) error {
			if err := tx.AutoMigrate(&DeliveryBody{}); err != nil {
				return err
			}
			if !tx.Migrator().HasColumn(&Delivery{}, "BodyHash") {
				if err := tx.Migrator().AddColumn(&Delivery{}, "BodyHash"); err != nil {
					return err
				}
			}
			return moveDeliveryBodies(tx)
		}},
		{4, "setting: notify linked pages", func(tx *gorm.DB) error {
			if tx.Migrator().HasColumn(&Settings{}, "SkipLinkNotifications") {
				return nil // created by v1 from the current struct
			}
			return tx.Migrator().AddColumn(&Settings{}, "SkipLinkNotifications")
		}},
		{8, "inbox limits: pending items by actor, follows answered", func(tx *gorm.DB) error {
			if !tx.Migrator().HasColumn(&Follower{}, "AnsweredAt") {
				if err := tx.Migrator().AddColumn(&Follower{}, "AnsweredAt"); err != nil {
					return err
				}
			}
			return tx.Exec(`CREATE INDEX IF NOT EXISTS idx_inbox_items_pending_actor ON inbox_items (actor_uri) WHERE processed_at IS NULL`).Error
		}},
	}
}

// migrate applies pending migrations in order, each in its own transaction.
// On PostgreSQL an advisory lock keeps two starting processes from racing.
func (s *Store) migrate(ctx context.Context) error {
	db := s.q(ctx)
	if err := db.AutoMigrate(&SchemaMigration{}); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	return db.Transaction(func(tx *gorm.DB) error {
		if s.dialect == "postgres" {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(4242001)").Error; err != nil {
				return fmt.Errorf("migration lock: %w", err)
			}
		}
		var applied []int
		if err := tx.Model(&SchemaMigration{}).Pluck("version", &applied).Error; err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		done := map[int]bool{}
		for _, v := range applied {
			done[v] = true
		}
		for _, m := range migrations() {
			if done[m.version] {
				continue
			}
			if err := m.up(tx); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
			if err := tx.Create(&SchemaMigration{Version: m.version, Name: m.name, AppliedAt: time.Now().UTC()}).Error; err != nil {
				return fmt.Errorf("record migration %d: %w", m.version, err)
			}
		}
		return nil
	})
}

// SchemaVersion is the newest applied migration, for /readyz.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.q(ctx).Model(&SchemaMigration{}).Select("COALESCE(MAX(version),0)").Scan(&v).Error
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// LatestSchemaVersion is the newest migration this binary knows.
func LatestSchemaVersion() int {
	m := migrations()
	return m[len(m)-1].version
}
