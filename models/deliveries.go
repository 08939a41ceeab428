package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// EnqueueDeliveries inserts delivery rows, storing each distinct Body once
// in the same transaction; a row for the same activity and inbox already
// queued is skipped, so re-running a fan-out is harmless.
func (s *Store) EnqueueDeliveries(ctx context.Context, ds []Delivery) (int64, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	var n int64
	err := s.q(ctx).Transaction(func(tx *gorm.DB) error {
		if err := storeDeliveryBodies(tx, ds, time.Now().UTC()); err != nil {
			return err
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(ds, 500)
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue %d deliveries: %w", len(ds), err)
	}
	return n, nil
}

// DeliveryClaim asks for due delivery rows.
type DeliveryClaim struct {
	Holder string // the claiming process
	Now    time.Time
	// StaleBefore: a claim older than this belongs to a process that died
	// mid-delivery and is taken over.
	StaleBefore time.Time
	Limit       int
	// PerHost caps the rows of one host in one claim, so a host with a deep
	// backlog cannot fill every free worker.
	PerHost int
	// SkipHosts are hosts the caller has no free slot for.
	SkipHosts []string
}

// claimableSQL selects rows nobody works on: pending, due, unclaimed or
// claimed by a dead process, of a host not marked unreachable.
const claimableSQL = `status = @pending AND next_attempt_at <= @now
	AND (claimed_by = '' OR claimed_by IS NULL OR claimed_at IS NULL OR claimed_at < @stale)`

// ClaimDeliveries marks up to Limit due rows as claimed by Holder and
// returns them, oldest due first, at most PerHost rows of one host.
//
// The claim reads a window of due rows in queue order (an index range
// scan that stops at the window, never a ranking of the whole queue),
// applies the per-host cap in Go and marks the chosen rows. On PostgreSQL
// that runs in one short transaction whose SELECT locks the window FOR
// UPDATE SKIP LOCKED, so concurrent claimers take disjoint rows without
// waiting and the rows not chosen are unlocked at commit. On SQLite the
// writer lock serializes claimers. Either way the UPDATE re-checks that a
// row is still claimable, so a row is never handed to two workers.
//
// (An earlier form, UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP
// LOCKED) with a per-host ROW_NUMBER, let PostgreSQL's planner run the
// ranking over the whole queue and ignore the LIMIT on fresh tables: one
// process claimed everything while the others waited on its locks.)
func (s *Store) ClaimDeliveries(ctx context.Context, c DeliveryClaim) ([]Delivery, error) {
	if c.Limit <= 0 {
		return nil, nil
	}
	if c.PerHost <= 0 {
		c.PerHost = c.Limit
	}
	var ids []uint
	claim := func(db *gorm.DB) error {
		var err error
		ids, err = s.claimDeliveryRows(db, c)
		return err
	}
	var err error
	if s.dialect == "postgres" {
		err = s.q(ctx).Transaction(claim)
	} else {
		err = claim(s.q(ctx))
	}
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var out []Delivery
	if err := s.q(ctx).Where("id IN ? AND claimed_by = ?", ids, c.Holder).Order("next_attempt_at, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("load claimed deliveries: %w", err)
	}
	if err := s.fillDeliveryBodies(ctx, out); err != nil {
		return nil, fmt.Errorf("claimed deliveries: %w", err)
	}
	return out, nil
}

// claimWindow bounds the rows one claim looks at: enough to fill Limit
// across several hosts when the head of the queue is one host's backlog.
func claimWindow(c DeliveryClaim) int {
	return min(max(4*c.Limit, c.Limit+c.PerHost), 2000)
}

// claimDeliveryRows picks and marks the rows of one claim on db (the
// transaction on PostgreSQL) and returns the ids it marked.
func (s *Store) claimDeliveryRows(db *gorm.DB, c DeliveryClaim) ([]uint, error) {
	args := map[string]any{
		"pending": DeliveryPending, "now": c.Now, "stale": c.StaleBefore, "holder": c.Holder,
		"window": claimWindow(c), "unreachable": true,
	}
	hosts := ""
	if len(c.SkipHosts) > 0 {
		hosts = " AND host NOT IN @skip"
		args["skip"] = c.SkipHosts
	}
	lock := ""
	if s.dialect == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	type candidate struct {
		ID   uint
		Host string
	}
	var window []candidate
	err := db.Raw(`SELECT id, host FROM deliveries WHERE `+claimableSQL+hosts+`
		AND host NOT IN (SELECT host FROM remote_hosts WHERE unreachable = @unreachable)
		ORDER BY next_attempt_at, id LIMIT @window`+lock, args).Scan(&window).Error
	if err != nil {
		return nil, fmt.Errorf("read due window: %w", err)
	}
	perHost := map[string]int{}
	picked := make([]uint, 0, c.Limit)
	for _, w := range window {
		if perHost[w.Host] >= c.PerHost {
			continue
		}
		perHost[w.Host]++
		picked = append(picked, w.ID)
		if len(picked) == c.Limit {
			break
		}
	}
	if len(picked) == 0 {
		return nil, nil
	}
	args["ids"] = picked
	var ids []uint
	err = db.Raw(`UPDATE deliveries SET claimed_by = @holder, claimed_at = @now
		WHERE id IN @ids AND `+claimableSQL+` RETURNING id`, args).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("mark %d rows claimed: %w", len(picked), err)
	}
	return ids, nil
}

// ClaimHostDelivery claims the oldest pending row of one host regardless
// of its schedule or the host's state: the daily probe of an unreachable
// host. It returns nil when the host has nothing queued.
func (s *Store) ClaimHostDelivery(ctx context.Context, host, holder string, now, staleBefore time.Time) (*Delivery, error) {
	args := map[string]any{"pending": DeliveryPending, "now": now, "stale": staleBefore, "holder": holder, "host": host}
	var ids []uint
	err := s.q(ctx).Raw(`UPDATE deliveries SET claimed_by = @holder, claimed_at = @now
		WHERE id = (SELECT id FROM deliveries WHERE host = @host AND status = @pending
			AND (claimed_by = '' OR claimed_by IS NULL OR claimed_at IS NULL OR claimed_at < @stale)
			ORDER BY created_at, id LIMIT 1)
		AND (claimed_by = '' OR claimed_by IS NULL OR claimed_at IS NULL OR claimed_at < @stale) RETURNING id`, args).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("claim probe delivery for %s: %w", host, err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	ds := make([]Delivery, 1)
	if err := s.q(ctx).First(&ds[0], ids[0]).Error; err != nil {
		return nil, fmt.Errorf("load probe delivery %d: %w", ids[0], err)
	}
	if err := s.fillDeliveryBodies(ctx, ds); err != nil {
		return nil, fmt.Errorf("probe delivery %d: %w", ids[0], err)
	}
	return &ds[0], nil
}

// DeliveryOutcome is the result of one attempt.
type DeliveryOutcome struct {
	ID            uint
	Attempts      int
	Status        string // DeliveryDelivered, DeliveryFailed, or DeliveryPending for a retry
	NextAttemptAt time.Time
	LastStatus    int
	LastError     string
	At            time.Time
}

// FinishDelivery records an attempt and releases the claim. It only touches
// the row while holder still owns it (a process that stalled past the claim
// timeout must not overwrite its successor's result); ok reports that.
func (s *Store) FinishDelivery(ctx context.Context, holder string, o DeliveryOutcome) (ok bool, err error) {
	up := map[string]any{
		"status": o.Status, "attempts": o.Attempts, "last_status": o.LastStatus, "last_error": o.LastError,
		"claimed_by": "", "claimed_at": nil, "updated_at": o.At,
	}
	switch o.Status {
	case DeliveryDelivered:
		up["delivered_at"] = o.At
	case DeliveryPending:
		up["next_attempt_at"] = o.NextAttemptAt
	}
	res := s.q(ctx).Model(&Delivery{}).Where("id = ? AND claimed_by = ?", o.ID, holder).Updates(up)
	if res.Error != nil {
		return false, fmt.Errorf("record delivery %d: %w", o.ID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// MarkDelivered records many successful first-time or retried attempts in
// one statement (fan-outs finish thousands of rows a second).
func (s *Store) MarkDelivered(ctx context.Context, holder string, ids []uint, status int, at time.Time) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	res := s.q(ctx).Model(&Delivery{}).Where("id IN ? AND claimed_by = ?", ids, holder).Updates(map[string]any{
		"status": DeliveryDelivered, "attempts": gorm.Expr("attempts + 1"), "last_status": status, "last_error": "",
		"claimed_by": "", "claimed_at": nil, "delivered_at": at, "updated_at": at,
	})
	if res.Error != nil {
		return 0, fmt.Errorf("mark %d deliveries delivered: %w", len(ids), res.Error)
	}
	return res.RowsAffected, nil
}

// ReleaseDeliveries gives claimed rows back untouched (shutdown, or rows
// claimed beyond a host's free slots).
func (s *Store) ReleaseDeliveries(ctx context.Context, holder string, ids []uint) error {
	db := s.q(ctx).Model(&Delivery{}).Where("claimed_by = ? AND status = ?", holder, DeliveryPending)
	if ids != nil {
		if len(ids) == 0 {
			return nil
		}
		db = db.Where("id IN ?", ids)
	}
	if err := db.Updates(map[string]any{"claimed_by": "", "claimed_at": nil}).Error; err != nil {
		return fmt.Errorf("release deliveries of %s: %w", holder, err)
	}
	return nil
}

// DeferHostDeliveries pushes the due rows of unreachable hosts to until, so
// claim queries stop scanning them; they stay pending for when the host
// comes back.
func (s *Store) DeferUnreachableDeliveries(ctx context.Context, now, until time.Time) (int64, error) {
	res := s.q(ctx).Model(&Delivery{}).
		Where("status = ? AND next_attempt_at <= ? AND host IN (SELECT host FROM remote_hosts WHERE unreachable = ?)", DeliveryPending, now, true).
		Where("claimed_by = '' OR claimed_by IS NULL").
		Update("next_attempt_at", until)
	if res.Error != nil {
		return 0, fmt.Errorf("defer deliveries of unreachable hosts: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// WakeHostDeliveries makes a host's pending rows due now (it is back).
func (s *Store) WakeHostDeliveries(ctx context.Context, host string, now time.Time) (int64, error) {
	res := s.q(ctx).Model(&Delivery{}).Where("host = ? AND status = ? AND next_attempt_at > ?", host, DeliveryPending, now).
		Update("next_attempt_at", now)
	if res.Error != nil {
		return 0, fmt.Errorf("wake deliveries of %s: %w", host, res.Error)
	}
	return res.RowsAffected, nil
}

// CancelArticleDeliveries fails the still-pending, unclaimed rows of an
// article's activities of the given kinds (a Delete supersedes its Create).
func (s *Store) CancelArticleDeliveries(ctx context.Context, articleID uint, kinds []string, reason string, at time.Time) (int64, error) {
	return s.cancelArticleRows(ctx, articleID, kinds, reason, at, false)
}

// cancelArticleRows fails pending, unclaimed rows of an article; ownOnly
// keeps the rows of replies on it (interaction_id set).
func (s *Store) cancelArticleRows(ctx context.Context, articleID uint, kinds []string, reason string, at time.Time, ownOnly bool) (int64, error) {
	q := s.q(ctx).Model(&Delivery{}).
		Where("article_id = ? AND status = ? AND kind IN ? AND (claimed_by = '' OR claimed_by IS NULL)", articleID, DeliveryPending, kinds)
	if ownOnly {
		q = q.Where("interaction_id IS NULL")
	}
	res := q.Updates(map[string]any{"status": DeliveryFailed, "last_error": reason, "updated_at": at})
	if res.Error != nil {
		return 0, fmt.Errorf("cancel %v of article %d: %w", kinds, articleID, res.Error)
	}
	return res.RowsAffected, nil
}

// CountPendingDeliveries is the queue depth.
func (s *Store) CountPendingDeliveries(ctx context.Context) (int64, error) {
	var n int64
	if err := s.q(ctx).Model(&Delivery{}).Where("status = ?", DeliveryPending).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count pending deliveries: %w", err)
	}
	return n, nil
}

// HasDeliveries reports whether anything was ever queued for an interaction
// (a reply that was never federated needs no Delete).
func (s *Store) HasDeliveries(ctx context.Context, interactionID uint) (bool, error) {
	var n int64
	if err := s.q(ctx).Model(&Delivery{}).Where("interaction_id = ?", interactionID).Limit(1).Count(&n).Error; err != nil {
		return false, fmt.Errorf("deliveries of interaction %d: %w", interactionID, err)
	}
	return n > 0, nil
}

// DeliveriesOfArticle lists the deliveries of an article's activities
// (bodies left out), oldest activity first, for the admin page.
func (s *Store) DeliveriesOfArticle(ctx context.Context, articleID uint) ([]Delivery, error) {
	var out []Delivery
	err := s.q(ctx).Where("article_id = ?", articleID).Order("created_at, activity_id, inbox").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("deliveries of article %d: %w", articleID, err)
	}
	return out, nil
}

// DeliveryByID loads one row with its body (tests, admin).
func (s *Store) DeliveryByID(ctx context.Context, id uint) (*Delivery, error) {
	ds := make([]Delivery, 1)
	if err := s.q(ctx).First(&ds[0], id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load delivery %d", id))
	}
	if err := s.fillDeliveryBodies(ctx, ds); err != nil {
		return nil, fmt.Errorf("delivery %d: %w", id, err)
	}
	return &ds[0], nil
}

// ListDeliveries returns rows of one activity with their bodies, or all
// when activityID is "" (tests and tools).
func (s *Store) ListDeliveries(ctx context.Context, activityID string) ([]Delivery, error) {
	var out []Delivery
	db := s.q(ctx).Order("id")
	if activityID != "" {
		db = db.Where("activity_id = ?", activityID)
	}
	if err := db.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	if err := s.fillDeliveryBodies(ctx, out); err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}
