package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CreateInboxItem stores an incoming activity before it is acknowledged. An
// ActivityID already stored inserts nothing and returns created=false, so a
// peer's retry or a replay has no second effect.
func (s *Store) CreateInboxItem(ctx context.Context, it *InboxItem) (created bool, err error) {
	res := s.q(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "activity_id"}}, DoNothing: true}).Create(it)
	if res.Error != nil {
		return false, fmt.Errorf("store inbox item %q: %w", it.ActivityID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ClaimInboxItems marks up to limit due, unprocessed items as taken by
// worker and returns them oldest first. Claims older than staleBefore are
// taken over (their worker died). On PostgreSQL a MATERIALIZED CTE picks
// the rows FOR UPDATE SKIP LOCKED, so the LIMIT holds (a plain IN
// subquery may be re-planned to lock more) and concurrent workers take
// disjoint rows without waiting; SQLite runs the single UPDATE under its
// one-writer lock. Either way no row is handed out twice.
func (s *Store) ClaimInboxItems(ctx context.Context, worker string, now, staleBefore time.Time, limit int) ([]InboxItem, error) {
	if limit <= 0 {
		limit = 1
	}
	const due = `processed_at IS NULL AND next_at <= @now AND (claimed_at IS NULL OR claimed_at < @stale)`
	sql := `UPDATE inbox_items SET claimed_by = @worker, claimed_at = @now
WHERE id IN (SELECT id FROM inbox_items WHERE ` + due + ` ORDER BY id LIMIT @limit)
RETURNING *`
	if s.dialect == "postgres" {
		sql = `WITH picked AS MATERIALIZED (
  SELECT id FROM inbox_items WHERE ` + due + ` ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED)
UPDATE inbox_items SET claimed_by = @worker, claimed_at = @now
FROM picked WHERE inbox_items.id = picked.id
RETURNING inbox_items.*`
	}
	args := map[string]any{"worker": worker, "now": now, "stale": staleBefore, "limit": limit}
	var items []InboxItem
	if err := s.q(ctx).Raw(sql, args).Scan(&items).Error; err != nil {
		return nil, fmt.Errorf("claim inbox items: %w", err)
	}
	// RETURNING gives no order guarantee; the worker relies on id order.
	slices.SortFunc(items, func(a, b InboxItem) int { return cmp.Compare(a.ID, b.ID) })
	return items, nil
}

// KeptFailedBody is how much of a given-up item's body is kept for
// debugging, in characters.
const KeptFailedBody = 64 << 10

// FinishInboxItem marks an item processed; errText records why it was
// given up (empty for success). The body is dropped (the row stays, so its
// activity id still deduplicates) or, for a failure, cut to
// KeptFailedBody: what the worker applied no longer takes space.
func (s *Store) FinishInboxItem(ctx context.Context, id uint, at time.Time, attempts int, errText string) error {
	body := gorm.Expr("''")
	if errText != "" {
		body = gorm.Expr("substr(body, 1, ?)", KeptFailedBody)
	}
	err := s.q(ctx).Model(&InboxItem{}).Where("id = ?", id).Updates(map[string]any{
		"processed_at": at, "error": errText, "attempts": attempts, "claimed_by": "", "claimed_at": nil, "body": body,
	}).Error
	if err != nil {
		return fmt.Errorf("finish inbox item %d: %w", id, err)
	}
	return nil
}

// RetryInboxItem releases an item to be tried again at next.
func (s *Store) RetryInboxItem(ctx context.Context, id uint, next time.Time, attempts int, errText string) error {
	err := s.q(ctx).Model(&InboxItem{}).Where("id = ?", id).Updates(map[string]any{
		"next_at": next, "error": errText, "attempts": attempts, "claimed_by": "", "claimed_at": nil,
	}).Error
	if err != nil {
		return fmt.Errorf("reschedule inbox item %d: %w", id, err)
	}
	return nil
}

// RenewInboxClaims re-stamps holder's claims on the given unprocessed
// items, so that a worker still holding them is not taken for dead.
func (s *Store) RenewInboxClaims(ctx context.Context, holder string, ids []uint, now time.Time) error {
	for chunk := range slices.Chunk(ids, 500) {
		err := s.q(ctx).Model(&InboxItem{}).Where("claimed_by = ? AND processed_at IS NULL AND id IN ?", holder, chunk).
			Update("claimed_at", now).Error
		if err != nil {
			return fmt.Errorf("renew inbox claims of %s: %w", holder, err)
		}
	}
	return nil
}

// CountPendingInboxOf counts actor's unprocessed items, up to limit (an
// index range scan of at most limit entries; see migration 8).
func (s *Store) CountPendingInboxOf(ctx context.Context, actor string, limit int) (int64, error) {
	var n int64
	err := s.q(ctx).Raw(`SELECT COUNT(*) FROM (SELECT 1 FROM inbox_items WHERE actor_uri = ? AND processed_at IS NULL LIMIT ?) AS pending`, actor, limit).
		Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count pending inbox items of %s: %w", actor, err)
	}
	return n, nil
}

// PurgeFailedInboxBodies drops the kept bodies of processed items
// processed before cutoff, and of all but the newest keep failed ones, and
// returns how many it dropped. Rows stay (see PurgeInboxItems).
func (s *Store) PurgeFailedInboxBodies(ctx context.Context, cutoff time.Time, keep int) (int64, error) {
	res := s.q(ctx).Exec(`UPDATE inbox_items SET body = '' WHERE processed_at IS NOT NULL AND body <> '' AND (
		error = '' OR processed_at < ? OR id NOT IN (
			SELECT id FROM inbox_items WHERE processed_at IS NOT NULL AND body <> '' AND error <> '' ORDER BY id DESC LIMIT ?))`,
		cutoff, keep)
	if res.Error != nil {
		return 0, fmt.Errorf("purge bodies of failed inbox items: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// InboxBodyBytes is the size of the stored inbox bodies, in characters.
func (s *Store) InboxBodyBytes(ctx context.Context) (int64, error) {
	var n int64
	if err := s.q(ctx).Model(&InboxItem{}).Select("COALESCE(SUM(LENGTH(body)), 0)").Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("size of inbox bodies: %w", err)
	}
	return n, nil
}

// CountPendingInbox counts items not yet processed (the queue depth).
func (s *Store) CountPendingInbox(ctx context.Context) (int64, error) {
	var n int64
	if err := s.q(ctx).Model(&InboxItem{}).Where("processed_at IS NULL").Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count pending inbox items: %w", err)
	}
	return n, nil
}

// InboxItemByActivityID loads one stored item (tests and the admin area).
func (s *Store) InboxItemByActivityID(ctx context.Context, id string) (*InboxItem, error) {
	var it InboxItem
	if err := s.q(ctx).Where("activity_id = ?", id).First(&it).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load inbox item %q", id))
	}
	return &it, nil
}

// PurgeInboxItems deletes items processed before cutoff. Their ids no longer
// deduplicate, but a replay that old fails the signature's date window.
func (s *Store) PurgeInboxItems(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.q(ctx).Where("processed_at IS NOT NULL AND processed_at < ?", cutoff).Delete(&InboxItem{})
	if res.Error != nil {
		return 0, fmt.Errorf("purge inbox items: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// CountInboxItems counts every stored item, processed or not.
func (s *Store) CountInboxItems(ctx context.Context) (int64, error) {
	var n int64
	if err := s.q(ctx).Model(&InboxItem{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count inbox items: %w", err)
	}
	return n, nil
}

// ReleaseInboxItems gives back every unprocessed item claimed by holder,
// untouched (no attempt counted), and returns how many. A process that
// restarts under a stable name calls it before its workers start: what the
// name still holds is its previous life's, and is due again at once rather
// than after the stale-claim timeout.
func (s *Store) ReleaseInboxItems(ctx context.Context, holder string) (int64, error) {
	if holder == "" {
		return 0, fmt.Errorf("release inbox items: no holder given")
	}
	res := s.q(ctx).Model(&InboxItem{}).Where("claimed_by = ? AND processed_at IS NULL", holder).
		Updates(map[string]any{"claimed_by": "", "claimed_at": nil})
	if res.Error != nil {
		return 0, fmt.Errorf("release inbox items of %s: %w", holder, res.Error)
	}
	return res.RowsAffected, nil
}
