package models

import (
	"context"
	"fmt"
	"time"
)

// UpsertFollower records a Follow of a local actor. A repeated Follow keeps
// the row (and its status) and remembers the newest Follow id, which the
// Accept must name. created reports a new row.
func (s *Store) UpsertFollower(ctx context.Context, localUsername string, actorID uint, followID, status string) (f *Follower, created bool, err error) {
	err = s.Tx(ctx, func(tx *Store) error {
		var row Follower
		res := tx.q(ctx).Where("local_username = ? AND remote_actor_id = ?", localUsername, actorID).Limit(1).Find(&row)
		if res.Error != nil {
			return fmt.Errorf("load follower: %w", res.Error)
		}
		if res.RowsAffected == 1 {
			if err := tx.q(ctx).Model(&row).Updates(map[string]any{"follow_activity_id": followID, "updated_at": time.Now().UTC()}).Error; err != nil {
				return fmt.Errorf("update follower %d: %w", row.ID, err)
			}
			row.FollowActivityID = followID
			f = &row
			return nil
		}
		row = Follower{LocalUsername: localUsername, RemoteActorID: actorID, FollowActivityID: followID, Status: status}
		if err := tx.q(ctx).Omit("RemoteActor").Create(&row).Error; err != nil {
			return fmt.Errorf("create follower: %w", err)
		}
		f, created = &row, true
		return nil
	})
	return f, created, err
}

// SetFollowerAnswered records when a follower's Follow was last answered.
func (s *Store) SetFollowerAnswered(ctx context.Context, id uint, at time.Time) error {
	if err := s.q(ctx).Model(&Follower{}).Where("id = ?", id).Update("answered_at", at).Error; err != nil {
		return fmt.Errorf("follower %d answered: %w", id, err)
	}
	return nil
}

// FollowerByID loads a follower with its actor.
func (s *Store) FollowerByID(ctx context.Context, id uint) (*Follower, error) {
	var f Follower
	if err := s.q(ctx).Preload("RemoteActor").First(&f, id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load follower %d", id))
	}
	return &f, nil
}

// FollowerOf loads the follow of one local actor by one remote actor.
func (s *Store) FollowerOf(ctx context.Context, localUsername string, actorID uint) (*Follower, error) {
	var f Follower
	if err := s.q(ctx).Preload("RemoteActor").Where("local_username = ? AND remote_actor_id = ?", localUsername, actorID).First(&f).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load follow of %s by actor %d", localUsername, actorID))
	}
	return &f, nil
}

// SetFollowerStatus accepts a pending follower.
func (s *Store) SetFollowerStatus(ctx context.Context, id uint, status string) error {
	res := s.q(ctx).Model(&Follower{}).Where("id = ?", id).Updates(map[string]any{"status": status, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return fmt.Errorf("set follower %d %s: %w", id, status, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("set follower %d %s: %w", id, status, ErrNotFound)
	}
	return nil
}

// RemoveFollower ends one follow by id.
func (s *Store) RemoveFollower(ctx context.Context, id uint) error {
	if err := s.q(ctx).Delete(&Follower{}, id).Error; err != nil {
		return fmt.Errorf("remove follower %d: %w", id, err)
	}
	return nil
}

// RemoveFollows ends a follow by a remote actor (Undo{Follow}): the one
// whose Follow id is followID or, when none matches, its follow of
// localUsername (skipped when empty). It returns the rows removed.
func (s *Store) RemoveFollows(ctx context.Context, actorID uint, followID, localUsername string) (int64, error) {
	if followID != "" {
		res := s.q(ctx).Where("remote_actor_id = ? AND follow_activity_id = ?", actorID, followID).Delete(&Follower{})
		if res.Error != nil {
			return 0, fmt.Errorf("remove follow %q: %w", followID, res.Error)
		}
		if res.RowsAffected > 0 {
			return res.RowsAffected, nil
		}
	}
	if localUsername == "" {
		return 0, nil
	}
	res := s.q(ctx).Where("remote_actor_id = ? AND local_username = ?", actorID, localUsername).Delete(&Follower{})
	if res.Error != nil {
		return 0, fmt.Errorf("remove follows of actor %d: %w", actorID, res.Error)
	}
	return res.RowsAffected, nil
}

// TransferFollowers moves the follows of one actor to another (Move). A
// local actor already followed by the new account keeps that row.
func (s *Store) TransferFollowers(ctx context.Context, fromActorID, toActorID uint) (int, error) {
	moved := 0
	err := s.Tx(ctx, func(tx *Store) error {
		var rows []Follower
		if err := tx.q(ctx).Where("remote_actor_id = ?", fromActorID).Find(&rows).Error; err != nil {
			return fmt.Errorf("load follows of actor %d: %w", fromActorID, err)
		}
		for _, f := range rows {
			var n int64
			if err := tx.q(ctx).Model(&Follower{}).Where("local_username = ? AND remote_actor_id = ?", f.LocalUsername, toActorID).Count(&n).Error; err != nil {
				return fmt.Errorf("check follow of %s: %w", f.LocalUsername, err)
			}
			if n == 0 {
				if err := tx.q(ctx).Model(&Follower{}).Where("id = ?", f.ID).Updates(map[string]any{"remote_actor_id": toActorID, "updated_at": time.Now().UTC()}).Error; err != nil {
					return fmt.Errorf("transfer follower %d: %w", f.ID, err)
				}
				moved++
				continue
			}
			if err := tx.q(ctx).Delete(&Follower{}, f.ID).Error; err != nil {
				return fmt.Errorf("drop duplicate follower %d: %w", f.ID, err)
			}
		}
		return nil
	})
	return moved, err
}

// ListFollowersAdmin lists follows for the admin area: pending first, then
// newest first. status "" lists all.
func (s *Store) ListFollowersAdmin(ctx context.Context, status string, limit int) ([]Follower, error) {
	if limit <= 0 {
		limit = 500
	}
	db := s.q(ctx).Preload("RemoteActor")
	if status != "" {
		db = db.Where("status = ?", status)
	}
	var out []Follower
	order := "CASE WHEN status = '" + FollowPending + "' THEN 0 ELSE 1 END, created_at DESC, id DESC"
	if err := db.Order(order).Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list followers: %w", err)
	}
	return out, nil
}
