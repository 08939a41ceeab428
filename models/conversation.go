package models

import (
	"context"
	"fmt"
	"time"
)

// Queries of the conversation around an article (replies and context
// collections, retraction of the authors' answers), of emoji reactions and
// of quote authorizations.

// ConversationComments lists the approved comments of articles, oldest
// first, with the columns that place them in the conversation (ids,
// parent, source, object id, author): the replies and context collections
// are computed from them. Private, pending and removed comments are never
// part of it.
func (s *Store) ConversationComments(ctx context.Context, articleIDs []uint) ([]Interaction, error) {
	if len(articleIDs) == 0 {
		return nil, nil
	}
	var out []Interaction
	err := s.q(ctx).Select("id", "article_id", "parent_id", "kind", "source", "status", "object_uri", "local_author_id", "published_at").
		Where("article_id IN ? AND kind = ? AND status = ?", articleIDs, KindComment, StatusApproved).
		Order("published_at, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("conversation of articles %v: %w", articleIDs, err)
	}
	return out, nil
}

// LocalReplyIDs lists the ids of the authors' own answers on an article
// that are approved (those still standing on remote servers).
func (s *Store) LocalReplyIDs(ctx context.Context, articleID uint) ([]uint, error) {
	var ids []uint
	err := s.q(ctx).Model(&Interaction{}).
		Where("article_id = ? AND kind = ? AND source = ? AND status = ? AND local_author_id IS NOT NULL", articleID, KindComment, SourceLocal, StatusApproved).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("local replies of article %d: %w", articleID, err)
	}
	return ids, nil
}

// HasReactionWith reports whether an actor already reacted to an article
// with this emoji.
func (s *Store) HasReactionWith(ctx context.Context, actorID, articleID uint, emoji string) (bool, error) {
	var n int64
	err := s.q(ctx).Model(&Interaction{}).
		Where("kind = ? AND remote_actor_id = ? AND article_id = ? AND content = ?", KindReaction, actorID, articleID, emoji).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("check reaction of actor %d on article %d: %w", actorID, articleID, err)
	}
	return n > 0, nil
}

// DeleteReactionsWith removes an actor's reactions with one emoji to an
// article: for an Undo that names the reaction but not its id.
func (s *Store) DeleteReactionsWith(ctx context.Context, actorID, articleID uint, emoji string) (int64, error) {
	res := s.q(ctx).Where("kind = ? AND remote_actor_id = ? AND article_id = ? AND content = ?", KindReaction, actorID, articleID, emoji).
		Delete(&Interaction{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete reactions of actor %d on article %d: %w", actorID, articleID, res.Error)
	}
	return res.RowsAffected, nil
}

// StampQuote records that a quote got its QuoteAuthorization; the first
// time stays.
func (s *Store) StampQuote(ctx context.Context, id uint, at time.Time) error {
	err := s.q(ctx).Model(&Interaction{}).Where("id = ? AND kind = ? AND stamped_at IS NULL", id, KindQuote).
		Update("stamped_at", at).Error
	if err != nil {
		return fmt.Errorf("stamp quote %d: %w", id, err)
	}
	return nil
}
