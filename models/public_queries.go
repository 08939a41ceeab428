package models

import (
	"context"
	"fmt"
)

// LegacyRedirectTarget returns the article an old URL (WordPress "/?p=123"
// or "/2012/11/17/slug/") maps to.
func (s *Store) LegacyRedirectTarget(ctx context.Context, path string) (uint, error) {
	var r LegacyRedirect
	if err := s.q(ctx).Where("path = ?", path).First(&r).Error; err != nil {
		return 0, notFound(err, fmt.Sprintf("legacy redirect %q", path))
	}
	return r.ArticleID, nil
}

// ArticleByWPPostID finds an imported article by its WordPress post id, for
// "/?p=123" links when the importer recorded no redirect row.
func (s *Store) ArticleByWPPostID(ctx context.Context, wpID int) (*Article, error) {
	var a Article
	if wpID <= 0 {
		return nil, fmt.Errorf("load article with WordPress id %d: %w", wpID, ErrNotFound)
	}
	if err := s.q(ctx).Where("wp_post_id = ? AND deleted_at IS NULL", wpID).Order("id").First(&a).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load article with WordPress id %d", wpID))
	}
	return &a, nil
}

// CreateLegacyRedirect records an old URL for an article (importer, tests).
func (s *Store) CreateLegacyRedirect(ctx context.Context, path string, articleID uint) error {
	if err := s.q(ctx).Create(&LegacyRedirect{Path: path, ArticleID: articleID}).Error; err != nil {
		return fmt.Errorf("create legacy redirect %q: %w", path, err)
	}
	return nil
}
