package models

import (
	"context"
	"fmt"

	"gorm.io/gorm/clause"
)

// Old permalinks live in the legacy_redirects table next to the WordPress
// URLs the importer records: one lookup answers both, and every row names
// the article, not a path, so a renamed-twice article's oldest URL still
// leads to its newest.

// permalinkState is what an article's permalink was before a save.
type permalinkState struct {
	path      string
	published bool // published or scheduled, not deleted: people may link it
}

func permalinkStateOf(a *Article) permalinkState {
	return permalinkState{path: a.Permalink(), published: a.Status == StatusPublished && a.DeletedAt == nil}
}

// keepPermalinks records what a save did to a's permalink. An earlier
// published permalink redirects to a from now on (the newest article to leave
// a path owns its row). A published article newly at a path owns it: a row
// left there by an article that once had this slug no longer applies.
// Drafts claim nothing, so the old URL keeps redirecting until they go out.
func (s *Store) keepPermalinks(ctx context.Context, a *Article, was permalinkState) error {
	path := a.Permalink()
	if a.Status == StatusPublished && (!was.published || was.path != path) {
		if err := s.q(ctx).Where("path = ?", path).Delete(&LegacyRedirect{}).Error; err != nil {
			return fmt.Errorf("claim permalink %s for article %d: %w", path, a.ID, err)
		}
	}
	if !was.published || was.path == path {
		return nil
	}
	err := s.q(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "path"}},
		DoUpdates: clause.AssignmentColumns([]string{"article_id"}),
	}).Create(&LegacyRedirect{Path: was.path, ArticleID: a.ID}).Error
	if err != nil {
		return fmt.Errorf("redirect old permalink %s to article %d: %w", was.path, a.ID, err)
	}
	return nil
}
