package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// PingbackKinds are shown in the pingbacks list under the comments.
var pingbackKinds = []string{KindPingback, KindTrackback, KindWebmention, KindBoost, KindQuote}

// PingbackKinds returns the kinds listed as pingbacks.
func PingbackKinds() []string { return append([]string(nil), pingbackKinds...) }

// CreateInteraction inserts an interaction. When ObjectURI is set and already
// known it returns the existing row and created=false: duplicates have no
// second effect. A new comment that its article's author is told of by
// e-mail (held for moderation, or a fediverse reply) queues that mail in
// the same transaction: this is the one place web comments and fediverse
// replies are both stored.
func (s *Store) CreateInteraction(ctx context.Context, in *Interaction) (created bool, err error) {
	if commentMailKind(in) == "" {
		return s.createInteraction(ctx, in)
	}
	err = s.Tx(ctx, func(tx *Store) error {
		if created, err = tx.createInteraction(ctx, in); err != nil || !created {
			return err
		}
		return tx.queueCommentMail(ctx, in)
	})
	return created, err
}

func (s *Store) createInteraction(ctx context.Context, in *Interaction) (created bool, err error) {
	if in.PublishedAt.IsZero() {
		in.PublishedAt = time.Now().UTC()
	}
	res := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(in)
	if res.Error != nil {
		return false, fmt.Errorf("create %s on article %d: %w", in.Kind, in.ArticleID, res.Error)
	}
	if res.RowsAffected == 0 && in.ObjectURI != nil {
		existing, err := s.InteractionByObjectURI(ctx, *in.ObjectURI)
		if err != nil {
			return false, err
		}
		*in = *existing
		return false, nil
	}
	return true, nil
}

// SaveInteraction updates an interaction.
func (s *Store) SaveInteraction(ctx context.Context, in *Interaction) error {
	if err := s.q(ctx).Omit(clause.Associations).Save(in).Error; err != nil {
		return fmt.Errorf("save interaction %d: %w", in.ID, err)
	}
	return nil
}

// InteractionByID loads an interaction with its actors.
func (s *Store) InteractionByID(ctx context.Context, id uint) (*Interaction, error) {
	var in Interaction
	if err := s.q(ctx).Preload("RemoteActor").Preload("LocalAuthor").First(&in, id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load interaction %d", id))
	}
	return &in, nil
}

// MessageLocalActor is the local actor a private conversation with no
// article is held as: the nearest LocalActor up the thread from id (the
// actor the direct message named, or our last answer was sent as), or ""
// when none is recorded.
func (s *Store) MessageLocalActor(ctx context.Context, id uint) (string, error) {
	seen := map[uint]bool{}
	for id != 0 && !seen[id] && len(seen) < 100 {
		seen[id] = true
		var in Interaction
		if err := s.q(ctx).Select("id", "parent_id", "local_actor").First(&in, id).Error; err != nil {
			return "", notFound(err, fmt.Sprintf("thread of interaction %d", id))
		}
		if in.LocalActor != "" {
			return in.LocalActor, nil
		}
		if in.ParentID == nil {
			break
		}
		id = *in.ParentID
	}
	return "", nil
}

// InteractionByObjectURI finds an interaction by its remote object id.
func (s *Store) InteractionByObjectURI(ctx context.Context, uri string) (*Interaction, error) {
	var in Interaction
	if err := s.q(ctx).Preload("RemoteActor").Where("object_uri = ?", uri).First(&in).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load interaction %q", uri))
	}
	return &in, nil
}

// ArticleInteractions holds what the article page shows under the body.
type ArticleInteractions struct {
	Comments  []Interaction // approved comments, oldest first (threaded by the view)
	Pingbacks []Interaction // approved pingbacks, webmentions, boosts, quotes
	Likes     []Interaction
	Reactions []Interaction // emoji reactions, oldest first
}

// ListArticleInteractions loads the approved, public interactions of an article.
func (s *Store) ListArticleInteractions(ctx context.Context, articleID uint) (*ArticleInteractions, error) {
	var all []Interaction
	err := s.q(ctx).Preload("RemoteActor").Preload("LocalAuthor").
		Where("article_id = ? AND status = ?", articleID, StatusApproved).
		Order("published_at, id").Find(&all).Error
	if err != nil {
		return nil, fmt.Errorf("load interactions of article %d: %w", articleID, err)
	}
	out := &ArticleInteractions{}
	for _, in := range all {
		switch in.Kind {
		case KindComment:
			out.Comments = append(out.Comments, in)
		case KindLike:
			out.Likes = append(out.Likes, in)
		case KindReaction:
			out.Reactions = append(out.Reactions, in)
		default:
			out.Pingbacks = append(out.Pingbacks, in)
		}
	}
	return out, nil
}

// CountApproved counts approved interactions of one kind on an article.
func (s *Store) CountApproved(ctx context.Context, articleID uint, kinds ...string) (int64, error) {
	var n int64
	err := s.q(ctx).Model(&Interaction{}).Where("article_id = ? AND status = ? AND kind IN ?", articleID, StatusApproved, kinds).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count interactions of article %d: %w", articleID, err)
	}
	return n, nil
}

// CommentCounts returns approved comment counts for many articles at once.
func (s *Store) CommentCounts(ctx context.Context, articleIDs []uint) (map[uint]int64, error) {
	out := map[uint]int64{}
	if len(articleIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ArticleID uint
		N         int64
	}
	err := s.q(ctx).Model(&Interaction{}).Select("article_id, COUNT(*) AS n").
		Where("article_id IN ? AND status = ? AND kind = ?", articleIDs, StatusApproved, KindComment).
		Group("article_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("comment counts: %w", err)
	}
	for _, r := range rows {
		out[r.ArticleID] = r.N
	}
	return out, nil
}

// ModerationQuery selects interactions for the admin area.
type ModerationQuery struct {
	Status string // empty: all but deleted
	Kind   string
	Limit  int
}

// ListForModeration returns interactions, newest first, with their article.
func (s *Store) ListForModeration(ctx context.Context, q ModerationQuery) ([]Interaction, error) {
	db := s.q(ctx).Preload("RemoteActor").Preload("LocalAuthor")
	if q.Status != "" {
		db = db.Where("status = ?", q.Status)
	} else {
		db = db.Where("status NOT IN ?", []string{StatusRemoved, StatusVerifying})
	}
	if q.Kind != "" {
		db = db.Where("kind = ?", q.Kind)
	}
	if q.Limit <= 0 {
		q.Limit = 200
	}
	var out []Interaction
	if err := db.Order("created_at DESC, id DESC").Limit(q.Limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list for moderation: %w", err)
	}
	return out, nil
}

// CountByStatus counts interactions in one status (e.g. the pending badge).
func (s *Store) CountByStatus(ctx context.Context, status string) (int64, error) {
	var n int64
	if err := s.q(ctx).Model(&Interaction{}).Where("status = ?", status).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count %s interactions: %w", status, err)
	}
	return n, nil
}

// SetInteractionStatus moves an interaction through moderation.
func (s *Store) SetInteractionStatus(ctx context.Context, id uint, status string) error {
	res := s.q(ctx).Model(&Interaction{}).Where("id = ?", id).Update("status", status)
	if res.Error != nil {
		return fmt.Errorf("set interaction %d %s: %w", id, status, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("set interaction %d %s: %w", id, status, ErrNotFound)
	}
	return nil
}

// RecentComments returns the newest approved comments across visible
// articles, for the comments feed.
func (s *Store) RecentComments(ctx context.Context, now time.Time, limit int) ([]Interaction, []Article, error) {
	var ins []Interaction
	err := s.q(ctx).Preload("RemoteActor").Preload("LocalAuthor").
		Joins("JOIN articles ON articles.id = interactions.article_id").
		Where("interactions.status = ? AND interactions.kind = ?", StatusApproved, KindComment).
		Where("articles.status = ? AND articles.published_at <= ? AND articles.deleted_at IS NULL", StatusPublished, now).
		Order("interactions.published_at DESC, interactions.id DESC").Limit(limit).Find(&ins).Error
	if err != nil {
		return nil, nil, fmt.Errorf("recent comments: %w", err)
	}
	ids := make([]uint, 0, len(ins))
	for _, in := range ins {
		ids = append(ids, in.ArticleID)
	}
	var arts []Article
	if len(ids) > 0 {
		if err := s.q(ctx).Where("id IN ?", ids).Find(&arts).Error; err != nil {
			return nil, nil, fmt.Errorf("articles of recent comments: %w", err)
		}
	}
	return ins, arts, nil
}

// HasApprovedComment reports whether a remote actor or an e-mail address has
// had a comment approved before (for "hold first-time commenters").
func (s *Store) HasApprovedComment(ctx context.Context, remoteActorID uint, email string) (bool, error) {
	db := s.q(ctx).Model(&Interaction{}).Where("status = ? AND kind = ?", StatusApproved, KindComment)
	switch {
	case remoteActorID != 0:
		db = db.Where("remote_actor_id = ?", remoteActorID)
	case email != "":
		db = db.Where("author_email = ?", email)
	default:
		return false, nil
	}
	var n int64
	if err := db.Limit(1).Count(&n).Error; err != nil {
		return false, fmt.Errorf("has approved comment: %w", err)
	}
	return n > 0, nil
}
