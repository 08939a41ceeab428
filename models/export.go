package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// exportBatch bounds how many articles ExportArticles holds at once.
const exportBatch = 100

// ExportArticles calls fn for every article that is not deleted, by id, with
// its author, tags and media, and every interaction on it with its remote
// actor (all statuses, oldest first). Articles are read in batches so memory stays bounded
// whatever the size of the blog.
func (s *Store) ExportArticles(ctx context.Context, fn func(a *Article, ins []Interaction) error) error {
	var last uint
	for {
		var batch []Article
		err := s.q(ctx).Preload("Author").
			Preload("Tags", func(db *gorm.DB) *gorm.DB { return db.Order("tags.name") }).
			Preload("Media").
			Where("id > ? AND deleted_at IS NULL AND status <> ?", last, StatusDeleted).
			Order("id").Limit(exportBatch).Find(&batch).Error
		if err != nil {
			return fmt.Errorf("export articles after %d: %w", last, err)
		}
		for i := range batch {
			a := &batch[i]
			var ins []Interaction
			if err := s.q(ctx).Preload("RemoteActor").Where("article_id = ?", a.ID).Order("published_at, id").Find(&ins).Error; err != nil {
				return fmt.Errorf("export interactions of article %d: %w", a.ID, err)
			}
			if err := fn(a, ins); err != nil {
				return err
			}
			last = a.ID
		}
		if len(batch) < exportBatch {
			return nil
		}
	}
}
