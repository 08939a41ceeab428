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
		{5, "settings: blog avatar, header and site icon", func(tx *gorm.DB) error {
			for _, col := range []string{"BlogAvatarPath", "BlogHeaderPath", "SiteIconPath"} {
				if tx.Migrator().HasColumn(&Settings{}, col) {
					continue // created by v1 from the current struct
				}
				if err := tx.Migrator().AddColumn(&Settings{}, col); err != nil {
					return err
				}
			}
			return nil
		}},
		{6, "account roles and article edits", migrateRoles},
		{7, "quote authorizations", func(tx *gorm.DB) error {
			if tx.Migrator().HasColumn(&Interaction{}, "StampedAt") {
				return nil // created by v1 from the current struct
			}
			return tx.Migrator().AddColumn(&Interaction{}, "StampedAt")
		}},
		{8, "inbox limits: pending items by actor, follows answered", func(tx *gorm.DB) error {
			if !tx.Migrator().HasColumn(&Follower{}, "AnsweredAt") {
				if err := tx.Migrator().AddColumn(&Follower{}, "AnsweredAt"); err != nil {
					return err
				}
			}
			return tx.Exec(`CREATE INDEX IF NOT EXISTS idx_inbox_items_pending_actor ON inbox_items (actor_uri) WHERE processed_at IS NULL`).Error
		}},
		{11, "article revisions, file ids, date settings", migrateRevisions},
		{12, "full-text search index", migrateSearch},
		{13, "image variants and featured image", func(tx *gorm.DB) error {
			if !tx.Migrator().HasColumn(&Media{}, "Variants") {
				if err := tx.Migrator().AddColumn(&Media{}, "Variants"); err != nil {
					return err
				}
			}
			if tx.Migrator().HasColumn(&Article{}, "FeaturedMediaID") {
				return nil // created by v1 from the current struct
			}
			return tx.Migrator().AddColumn(&Article{}, "FeaturedMediaID")
		}},
		{14, "mail queue, password resets, authors' mail settings", func(tx *gorm.DB) error {
			if err := tx.AutoMigrate(&MailJob{}, &PasswordReset{}); err != nil {
				return err
			}
			for _, col := range []string{"MuteHeldMail", "MuteReplyMail"} {
				if tx.Migrator().HasColumn(&Author{}, col) {
					continue // created by v1 from the current struct
				}
				if err := tx.Migrator().AddColumn(&Author{}, col); err != nil {
					return err
				}
			}
			return nil
		}},
		{15, "static pages and the navigation menu", func(tx *gorm.DB) error {
			// Columns only if missing: v1 creates them from the current structs.
			if !tx.Migrator().HasColumn(&Article{}, "Kind") {
				if err := tx.Migrator().AddColumn(&Article{}, "Kind"); err != nil {
					return err
				}
			}
			if !tx.Migrator().HasIndex(&Article{}, "Kind") {
				if err := tx.Migrator().CreateIndex(&Article{}, "Kind"); err != nil {
					return err
				}
			}
			if tx.Migrator().HasColumn(&Settings{}, "Menu") {
				return nil
			}
			return tx.Migrator().AddColumn(&Settings{}, "Menu")
		}},
		{16, "interactions: the local actor a direct message names", func(tx *gorm.DB) error {
			if tx.Migrator().HasColumn(&Interaction{}, "LocalActor") {
				return nil // created by v1 from the current struct
			}
			return tx.Migrator().AddColumn(&Interaction{}, "LocalActor")
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

// migrateRoles gives accounts roles and records who edits articles. The
// earliest-created account that can log in (imported WordPress accounts
// have no password) becomes the owner. The others become authors,
// not editors: until now any account could rewrite any article, which is
// the hole this closes, so an upgrade must not keep it open by default.
// Where co-authors did rely on editing each other's work, the owner makes
// them editors in one click on the Accounts page.
func migrateRoles(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, c := range []struct {
		model any
		field string
	}{{&Author{}, "Role"}, {&Article{}, "LastEditedByID"}} {
		if !m.HasColumn(c.model, c.field) { // v1 of a new database has them
			if err := m.AddColumn(c.model, c.field); err != nil {
				return fmt.Errorf("add %s: %w", c.field, err)
			}
		}
	}
	if err := tx.AutoMigrate(&ArticleEdit{}); err != nil {
		return fmt.Errorf("create article_edits: %w", err)
	}
	var owners int64
	if err := tx.Model(&Author{}).Where("role = ?", RoleOwner).Count(&owners).Error; err != nil {
		return fmt.Errorf("count owners: %w", err)
	}
	if owners > 0 {
		return nil
	}
	var first []Author
	err := tx.Select("id").Order("CASE WHEN password_hash = '!' THEN 1 ELSE 0 END, created_at, id").Limit(1).Find(&first).Error
	if err != nil {
		return fmt.Errorf("find the first account: %w", err)
	}
	if len(first) == 0 {
		return nil // a new blog: setup makes its first account the owner
	}
	return tx.Model(&Author{}).Where("id = ?", first[0].ID).Update("role", RoleOwner).Error
}

// migrateRevisions adds article revisions, the file id `fedpress post`
// records, and the blog's time zone and date format.
func migrateRevisions(tx *gorm.DB) error {
	if err := tx.AutoMigrate(&ArticleRevision{}); err != nil {
		return fmt.Errorf("create article_revisions: %w", err)
	}
	m := tx.Migrator()
	for _, c := range []struct {
		model any
		field string
	}{{&Article{}, "FileKey"}, {&Settings{}, "TimeZone"}, {&Settings{}, "DateFormat"}} {
		if !m.HasColumn(c.model, c.field) { // v1 of a new database has them
			if err := m.AddColumn(c.model, c.field); err != nil {
				return fmt.Errorf("add %s: %w", c.field, err)
			}
		}
	}
	if !m.HasIndex(&Article{}, "FileKey") {
		if err := m.CreateIndex(&Article{}, "FileKey"); err != nil {
			return fmt.Errorf("index file_key: %w", err)
		}
	}
	return nil
}
