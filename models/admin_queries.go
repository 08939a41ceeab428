package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Admin article list filters.
const (
	FilterAll       = "all"
	FilterPublished = "published"
	FilterScheduled = "scheduled"
	FilterDrafts    = "drafts"
	FilterPages     = "pages" // static pages, whatever their status; the other tabs list posts
)

// ArticleCounts are the admin article list's tab counts.
type ArticleCounts struct {
	All, Published, Scheduled, Drafts, Pages int64
}

// adminArticleColumns leaves out markdown and HTML: lists never show them and
// they are most of a row's size.
const adminArticleColumns = "articles.id, articles.author_id, articles.slug, articles.title, articles.status, " +
	"articles.last_edited_by_id, articles.kind, " +
	"articles.published_at, articles.pinned, articles.imported, articles.federated_at, " +
	"articles.created_at, articles.updated_at, articles.deleted_at"

// adminFilter selects the not-deleted articles of one list tab; authorID,
// when not 0, keeps one author's (an author's admin shows only theirs).
func adminFilter(db *gorm.DB, filter string, now time.Time, authorID uint) (*gorm.DB, error) {
	db = db.Where("articles.deleted_at IS NULL")
	if authorID != 0 {
		db = db.Where("articles.author_id = ?", authorID)
	}
	if filter == FilterPages {
		return db.Where("articles.kind = ?", ArticlePage), nil
	}
	db = db.Where("articles.kind <> ?", ArticlePage)
	switch filter {
	case FilterAll, "":
		return db, nil
	case FilterPublished:
		return db.Where("articles.status = ? AND articles.published_at <= ?", StatusPublished, now), nil
	case FilterScheduled:
		return db.Where("articles.status = ? AND articles.published_at > ?", StatusPublished, now), nil
	case FilterDrafts:
		return db.Where("articles.status = ?", StatusDraft), nil
	}
	return nil, fmt.Errorf("article filter %q: %w", filter, ErrNotFound)
}

// AdminArticleCounts counts articles per admin list tab at now, of one
// author or (authorID 0) of all.
func (s *Store) AdminArticleCounts(ctx context.Context, now time.Time, authorID uint) (ArticleCounts, error) {
	var out ArticleCounts
	for _, f := range []struct {
		filter string
		n      *int64
	}{{FilterAll, &out.All}, {FilterPublished, &out.Published}, {FilterScheduled, &out.Scheduled}, {FilterDrafts, &out.Drafts}, {FilterPages, &out.Pages}} {
		db, err := adminFilter(s.q(ctx).Model(&Article{}), f.filter, now, authorID)
		if err != nil {
			return out, err
		}
		if err := db.Count(f.n).Error; err != nil {
			return out, fmt.Errorf("count %s articles: %w", f.filter, err)
		}
	}
	return out, nil
}

// AdminListArticles returns one page of not-deleted articles for the admin
// list (without their bodies), newest first, and how many match filter;
// authorID, when not 0, keeps one author's.
func (s *Store) AdminListArticles(ctx context.Context, filter string, now time.Time, authorID uint, limit, offset int) ([]Article, int64, error) {
	db, err := adminFilter(s.q(ctx).Model(&Article{}), filter, now, authorID)
	if err != nil {
		return nil, 0, err
	}
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count %s articles: %w", filter, err)
	}
	var as []Article
	err = db.Select(adminArticleColumns).Preload("Author").
		Order("COALESCE(articles.published_at, articles.created_at) DESC, articles.id DESC").
		Limit(limit).Offset(offset).Find(&as).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list %s articles: %w", filter, err)
	}
	return as, total, nil
}

// AdminArticlesByIDs loads articles (without bodies) by id, for labelling
// comments in moderation; deleted ones are included.
func (s *Store) AdminArticlesByIDs(ctx context.Context, ids []uint) (map[uint]Article, error) {
	out := map[uint]Article{}
	if len(ids) == 0 {
		return out, nil
	}
	var as []Article
	if err := s.q(ctx).Select(adminArticleColumns).Where("id IN ?", ids).Find(&as).Error; err != nil {
		return nil, fmt.Errorf("load articles by ids: %w", err)
	}
	for _, a := range as {
		out[a.ID] = a
	}
	return out, nil
}

// onArticlesOf keeps the interactions on one author's articles; authorID 0
// keeps all.
func onArticlesOf(db *gorm.DB, authorID uint) *gorm.DB {
	if authorID == 0 {
		return db
	}
	return db.Where("article_id IN (?)", db.Session(&gorm.Session{NewDB: true}).
		Model(&Article{}).Select("id").Where("author_id = ?", authorID))
}

// AdminModerationCounts counts interactions of the given kinds per status
// (the moderation tabs and the pending badge), on one author's articles or
// (authorID 0) on all.
func (s *Store) AdminModerationCounts(ctx context.Context, kinds []string, authorID uint) (map[string]int64, error) {
	var rows []struct {
		Status string
		N      int64
	}
	err := onArticlesOf(s.q(ctx).Model(&Interaction{}), authorID).Select("status, COUNT(*) AS n").
		Where("kind IN ?", kinds).Group("status").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count interactions by status: %w", err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// AdminModerationList returns interactions of the given kinds in one status,
// newest first, on one author's articles or (authorID 0) on all.
func (s *Store) AdminModerationList(ctx context.Context, status string, kinds []string, authorID uint, limit, offset int) ([]Interaction, error) {
	var out []Interaction
	err := onArticlesOf(s.q(ctx), authorID).Preload("RemoteActor").Preload("LocalAuthor").
		Where("status = ? AND kind IN ?", status, kinds).
		Order("created_at DESC, id DESC").Limit(limit).Offset(offset).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list %s interactions: %w", status, err)
	}
	return out, nil
}

// DeleteOtherSessions logs an author out of every browser but the one whose
// session hash is keepHash (after a password change).
func (s *Store) DeleteOtherSessions(ctx context.Context, authorID uint, keepHash string) error {
	if err := s.q(ctx).Where("author_id = ? AND token_hash <> ?", authorID, keepHash).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("delete other sessions of author %d: %w", authorID, err)
	}
	return nil
}

// AdminFollowerCount counts accepted followers of one local actor, or of
// all of them when username is empty.
func (s *Store) AdminFollowerCount(ctx context.Context, username string) (int64, error) {
	db := s.q(ctx).Model(&Follower{}).Where("status = ?", FollowAccepted)
	if username != "" {
		db = db.Where("local_username = ?", username)
	}
	var n int64
	if err := db.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count followers: %w", err)
	}
	return n, nil
}

// AdminCreateFirstAuthor consumes the one-time setup token and creates the
// first author in one transaction, so a failed creation leaves the token
// usable. It reports false when the token was wrong or already used, or
// when an author exists already.
func (s *Store) AdminCreateFirstAuthor(ctx context.Context, token string, a *Author) (bool, error) {
	ok := false
	err := s.Tx(ctx, func(tx *Store) error {
		consumed, err := tx.ConsumeSetupToken(ctx, token)
		if err != nil || !consumed {
			return err
		}
		if n, err := tx.CountAuthors(ctx); err != nil || n > 0 {
			return err // n > 0: commit, the token is spent either way
		}
		if err := tx.CreateAuthor(ctx, a); err != nil {
			return err
		}
		ok = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("first author: %w", err)
	}
	return ok, nil
}
