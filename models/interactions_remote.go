package models

import (
	"context"
	"fmt"
)

// DeleteInteractionByObjectURI removes a like, reaction or boost undone by
// its actor. actorID guards against one account undoing another's: 0 skips
// the check.
func (s *Store) DeleteInteractionByObjectURI(ctx context.Context, uri string, actorID uint) (int64, error) {
	db := s.q(ctx).Where("object_uri = ? AND kind IN ?", uri, []string{KindLike, KindBoost, KindReaction})
	if actorID != 0 {
		db = db.Where("remote_actor_id = ?", actorID)
	}
	res := db.Delete(&Interaction{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete interaction %q: %w", uri, res.Error)
	}
	return res.RowsAffected, nil
}

// DeleteReactions removes an actor's likes or boosts of an article: for an
// Undo that names only the object, not the activity being undone.
func (s *Store) DeleteReactions(ctx context.Context, kind string, actorID, articleID uint) (int64, error) {
	res := s.q(ctx).Where("kind = ? AND remote_actor_id = ? AND article_id = ?", kind, actorID, articleID).Delete(&Interaction{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete %s of actor %d on article %d: %w", kind, actorID, articleID, res.Error)
	}
	return res.RowsAffected, nil
}

// HasReaction reports whether an actor already has an interaction of kind
// on an article.
func (s *Store) HasReaction(ctx context.Context, kind string, actorID, articleID uint) (bool, error) {
	var n int64
	err := s.q(ctx).Model(&Interaction{}).Where("kind = ? AND remote_actor_id = ? AND article_id = ?", kind, actorID, articleID).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("check %s of actor %d on article %d: %w", kind, actorID, articleID, err)
	}
	return n > 0, nil
}

// MarkInteractionDeleted applies a remote Delete: the row stays (replies
// below it keep their place) but its content is gone.
func (s *Store) MarkInteractionDeleted(ctx context.Context, id uint) error {
	err := s.q(ctx).Model(&Interaction{}).Where("id = ?", id).Updates(map[string]any{
		"status": StatusRemoved, "content": "", "summary": "", "attachments": "", "emojis": "",
	}).Error
	if err != nil {
		return fmt.Errorf("mark interaction %d deleted: %w", id, err)
	}
	return nil
}

// ListPrivateMessages lists direct and followers-only replies, newest first,
// on one author's articles or (authorID 0) on all.
func (s *Store) ListPrivateMessages(ctx context.Context, authorID uint, limit int) ([]Interaction, error) {
	if limit <= 0 {
		limit = 200
	}
	var out []Interaction
	err := onArticlesOf(s.q(ctx), authorID).Preload("RemoteActor").Where("status = ?", StatusPrivate).
		Order("published_at DESC, id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list private messages: %w", err)
	}
	return out, nil
}
