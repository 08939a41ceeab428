package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// bodyChunk bounds the hashes of one IN list (and the bodies of one insert).
const bodyChunk = 500

// bodyHash is the key of a body in delivery_bodies.
func bodyHash(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}

// storeDeliveryBodies sets BodyHash on ds and writes each distinct body
// once (db is the enqueue's transaction). A body already stored only gets
// its used_at refreshed, which keeps the purge off it while the rows that
// need it are being inserted.
func storeDeliveryBodies(db *gorm.DB, ds []Delivery, now time.Time) error {
	var bodies []DeliveryBody
	seen := map[string]bool{}
	var last, lastHash string
	for i := range ds {
		// The rows of a fan-out share one body string: hash it once.
		if i == 0 || ds[i].Body != last {
			last, lastHash = ds[i].Body, bodyHash(ds[i].Body)
			if !seen[lastHash] {
				seen[lastHash] = true
				bodies = append(bodies, DeliveryBody{Hash: lastHash, Body: last, UsedAt: now})
			}
		}
		ds[i].BodyHash = lastHash
	}
	err := db.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "hash"}},
		DoUpdates: clause.AssignmentColumns([]string{"used_at"}),
	}).CreateInBatches(bodies, 100).Error
	if err != nil {
		return fmt.Errorf("store %d delivery bodies: %w", len(bodies), err)
	}
	return nil
}

// fillDeliveryBodies loads the bodies of ds, one query for up to
// bodyChunk distinct bodies (a claim's rows take one). A row whose body is
// gone keeps Body empty.
func (s *Store) fillDeliveryBodies(ctx context.Context, ds []Delivery) error {
	seen := map[string]bool{}
	var hashes []string
	for _, d := range ds {
		if d.BodyHash != "" && !seen[d.BodyHash] {
			seen[d.BodyHash] = true
			hashes = append(hashes, d.BodyHash)
		}
	}
	byHash := make(map[string]string, len(hashes))
	for start := 0; start < len(hashes); start += bodyChunk {
		var got []DeliveryBody
		chunk := hashes[start:min(start+bodyChunk, len(hashes))]
		if err := s.q(ctx).Select("hash", "body").Where("hash IN ?", chunk).Find(&got).Error; err != nil {
			return fmt.Errorf("load %d delivery bodies: %w", len(chunk), err)
		}
		for _, b := range got {
			byHash[b.Hash] = b.Body
		}
	}
	for i := range ds {
		ds[i].Body = byHash[ds[i].BodyHash]
	}
	return nil
}

// PurgeDeliveryBodies deletes the bodies no pending delivery needs that
// were last queued before cutoff, and returns how many it deleted.
// Delivered and failed rows are final, so their bodies are never read
// again; the rows themselves stay (the admin page, re-notifying mention
// targets and Delete of federated replies read them). The cutoff spares
// bodies an enqueue has just (re)stored but whose rows are not committed.
func (s *Store) PurgeDeliveryBodies(ctx context.Context, cutoff time.Time) (int64, error) {
	args := map[string]any{"cutoff": cutoff, "pending": DeliveryPending}
	// PostgreSQL runs NOT EXISTS as one hash anti join; SQLite would run it
	// once per body without an index on body_hash, but builds NOT IN's
	// list once.
	q := `DELETE FROM delivery_bodies WHERE used_at < @cutoff AND hash NOT IN
		(SELECT body_hash FROM deliveries WHERE status = @pending AND body_hash IS NOT NULL)`
	if s.dialect == "postgres" {
		q = `DELETE FROM delivery_bodies b WHERE b.used_at < @cutoff AND NOT EXISTS
			(SELECT 1 FROM deliveries d WHERE d.body_hash = b.hash AND d.status = @pending)`
	}
	res := s.q(ctx).Exec(q, args)
	if res.Error != nil {
		return 0, fmt.Errorf("purge delivery bodies: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// moveDeliveryBodies is migration 3: the bodies of a version-2 deliveries
// table (one copy per row) move to delivery_bodies, one per distinct body,
// and the column goes. SQLite has no SHA-256 in SQL, so Go hashes: per
// batch of activities, one read of their distinct bodies, one insert, and
// one UPDATE per distinct body through the (activity_id, inbox) index.
func moveDeliveryBodies(tx *gorm.DB) error {
	if !tx.Migrator().HasColumn(&Delivery{}, "body") {
		return nil // a version-1 schema made by this binary has no body column
	}
	now := time.Now().UTC()
	var after *string // keyset position; nil before the first batch
	for {
		q := tx.Table("deliveries").Distinct("activity_id").Order("activity_id").Limit(bodyChunk)
		if after != nil {
			q = q.Where("activity_id > ?", *after)
		}
		var ids []string
		if err := q.Pluck("activity_id", &ids).Error; err != nil {
			return fmt.Errorf("read activity ids: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		after = &ids[len(ids)-1]
		var pairs []struct {
			ActivityID string
			Body       *string
		}
		err := tx.Raw(`SELECT DISTINCT activity_id, body FROM deliveries WHERE activity_id IN ?`, ids).Scan(&pairs).Error
		if err != nil {
			return fmt.Errorf("read bodies of %d activities: %w", len(ids), err)
		}
		var bodies []DeliveryBody
		hashes := make([]string, len(pairs))
		seen := map[string]bool{}
		for i, p := range pairs {
			body := ""
			if p.Body != nil {
				body = *p.Body
			}
			hashes[i] = bodyHash(body)
			if !seen[hashes[i]] {
				seen[hashes[i]] = true
				bodies = append(bodies, DeliveryBody{Hash: hashes[i], Body: body, UsedAt: now})
			}
		}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(bodies, 100).Error; err != nil {
			return fmt.Errorf("store bodies of %d activities: %w", len(ids), err)
		}
		for i, p := range pairs {
			var err error
			if p.Body == nil {
				err = tx.Exec(`UPDATE deliveries SET body_hash = ? WHERE activity_id = ? AND body IS NULL`, hashes[i], p.ActivityID).Error
			} else {
				err = tx.Exec(`UPDATE deliveries SET body_hash = ? WHERE activity_id = ? AND body = ?`, hashes[i], p.ActivityID, *p.Body).Error
			}
			if err != nil {
				return fmt.Errorf("point rows of %s at their body: %w", p.ActivityID, err)
			}
		}
	}
	if err := tx.Exec(`ALTER TABLE deliveries DROP COLUMN body`).Error; err != nil {
		return fmt.Errorf("drop deliveries.body: %w", err)
	}
	return nil
}
