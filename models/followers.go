package models

import (
	"context"
	"fmt"
	"sort"
)

// deliveryInboxExpr is where a follower's deliveries go: the shared inbox of
// its server when it has one, so a server hosting many followers gets one
// request per activity, else its personal inbox.
const deliveryInboxExpr = "COALESCE(NULLIF(remote_actors.shared_inbox, ''), remote_actors.inbox)"

// FollowerTarget is one accepted follow with the inbox it is delivered to.
type FollowerTarget struct {
	LocalUsername string
	RemoteActorID uint
	Inbox         string
}

// FollowerTargets lists the accepted follows of the given local actors with
// their delivery inbox, for fan-outs that treat followers of each local
// actor differently.
func (s *Store) FollowerTargets(ctx context.Context, usernames ...string) ([]FollowerTarget, error) {
	var out []FollowerTarget
	if len(usernames) == 0 {
		return nil, nil
	}
	err := s.q(ctx).Table("followers").
		Select("followers.local_username, followers.remote_actor_id, "+deliveryInboxExpr+" AS inbox").
		Joins("JOIN remote_actors ON remote_actors.id = followers.remote_actor_id").
		Where("followers.status = ? AND followers.local_username IN ?", FollowAccepted, usernames).
		Where(deliveryInboxExpr + " <> ''").
		Order("followers.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("follower targets of %v: %w", usernames, err)
	}
	return out, nil
}

// FollowerInboxes returns the distinct delivery inboxes of the accepted
// followers of the given local actors: a remote actor following several of
// them, or many actors on one server, is one inbox.
func (s *Store) FollowerInboxes(ctx context.Context, usernames ...string) ([]string, error) {
	var out []string
	if len(usernames) == 0 {
		return nil, nil
	}
	err := s.q(ctx).Table("followers").
		Joins("JOIN remote_actors ON remote_actors.id = followers.remote_actor_id").
		Where("followers.status = ? AND followers.local_username IN ?", FollowAccepted, usernames).
		Where(deliveryInboxExpr + " <> ''").
		Select("DISTINCT " + deliveryInboxExpr + " AS inbox").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("follower inboxes of %v: %w", usernames, err)
	}
	sort.Strings(out)
	return out, nil
}

// CountFollowers counts the accepted followers of a local actor.
func (s *Store) CountFollowers(ctx context.Context, username string) (int64, error) {
	var n int64
	err := s.q(ctx).Model(&Follower{}).Where("local_username = ? AND status = ?", username, FollowAccepted).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count followers of %s: %w", username, err)
	}
	return n, nil
}

// FollowerURIs returns one page of a local actor's accepted followers'
// actor ids, newest follow first.
func (s *Store) FollowerURIs(ctx context.Context, username string, offset, limit int) ([]string, error) {
	var out []string
	err := s.q(ctx).Table("followers").
		Joins("JOIN remote_actors ON remote_actors.id = followers.remote_actor_id").
		Where("followers.local_username = ? AND followers.status = ?", username, FollowAccepted).
		Order("followers.id DESC").Offset(offset).Limit(limit).
		Pluck("remote_actors.uri", &out).Error
	if err != nil {
		return nil, fmt.Errorf("followers of %s: %w", username, err)
	}
	return out, nil
}
