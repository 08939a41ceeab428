package models

import (
	"context"
	"fmt"
	"time"
)

// ArticleEdit records one save or deletion of an article by an account:
// who changed it and when, even when an editor changes an author's
// article. It keeps no text; revisions are another matter.
type ArticleEdit struct {
	ID        uint   `gorm:"primaryKey"`
	ArticleID uint   `gorm:"index;not null"`
	AuthorID  uint   `gorm:"not null"` // the account that made the change
	Action    string `gorm:"size:16;not null"`
	CreatedAt time.Time
}

// Article edit actions.
const (
	EditCreated = "created"
	EditUpdated = "updated"
	EditDeleted = "deleted"
)

// recordEdit notes that by changed article id; by 0 (imports, tests) is
// not recorded.
func (s *Store) recordEdit(ctx context.Context, articleID, by uint, action string) error {
	if by == 0 {
		return nil
	}
	if err := s.q(ctx).Create(&ArticleEdit{ArticleID: articleID, AuthorID: by, Action: action}).Error; err != nil {
		return fmt.Errorf("record %s of article %d by author %d: %w", action, articleID, by, err)
	}
	return nil
}

// ArticleEditRow is an edit with the name of the account that made it.
type ArticleEditRow struct {
	ArticleEdit
	Username, Name string
}

// ArticleEdits returns the latest edits of an article, newest first.
func (s *Store) ArticleEdits(ctx context.Context, articleID uint, limit int) ([]ArticleEditRow, error) {
	var out []ArticleEditRow
	err := s.q(ctx).Model(&ArticleEdit{}).
		Select("article_edits.*, authors.username, authors.name").
		Joins("LEFT JOIN authors ON authors.id = article_edits.author_id").
		Where("article_edits.article_id = ?", articleID).
		Order("article_edits.id DESC").Limit(limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("edits of article %d: %w", articleID, err)
	}
	return out, nil
}
