package models

import (
	"context"
	"fmt"
	"strings"
)

// CreateMedia records an uploaded file.
func (s *Store) CreateMedia(ctx context.Context, m *Media) error {
	if err := s.q(ctx).Create(m).Error; err != nil {
		return fmt.Errorf("create media %q: %w", m.Path, err)
	}
	return nil
}

// SaveMedia updates alt text and caption.
func (s *Store) SaveMedia(ctx context.Context, m *Media) error {
	if err := s.q(ctx).Save(m).Error; err != nil {
		return fmt.Errorf("save media %d: %w", m.ID, err)
	}
	return nil
}

// MediaByPath finds media by its file name.
func (s *Store) MediaByPath(ctx context.Context, path string) (*Media, error) {
	var m Media
	if err := s.q(ctx).Where("path = ?", path).First(&m).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load media %q", path))
	}
	return &m, nil
}

// MediaByID loads media.
func (s *Store) MediaByID(ctx context.Context, id uint) (*Media, error) {
	var m Media
	if err := s.q(ctx).First(&m, id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load media %d", id))
	}
	return &m, nil
}

// ListMedia returns the newest uploads first, of one author or (authorID
// 0) of all.
func (s *Store) ListMedia(ctx context.Context, authorID uint, limit int) ([]Media, error) {
	var ms []Media
	db := s.q(ctx)
	if authorID != 0 {
		db = db.Where("author_id = ?", authorID)
	}
	if err := db.Order("id DESC").Limit(limit).Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("list media: %w", err)
	}
	return ms, nil
}

// MediaByPaths loads media by file names, for attaching images referenced in
// an article's Markdown.
func (s *Store) MediaByPaths(ctx context.Context, paths []string) ([]Media, error) {
	var ms []Media
	if len(paths) == 0 {
		return nil, nil
	}
	if err := s.q(ctx).Where("path IN ?", paths).Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("load media by paths: %w", err)
	}
	return ms, nil
}

// FeaturedMedia is the image that represents the article in lists, link
// previews and the federated preview: the one the author chose while it
// is still attached, else the attached image firstSrc shows (the first
// <img> of the HTML). nil when neither is one of the article's media.
func (a *Article) FeaturedMedia(firstSrc string) *Media {
	if a.FeaturedMediaID != nil {
		for i := range a.Media {
			if a.Media[i].ID == *a.FeaturedMediaID && strings.HasPrefix(a.Media[i].MimeType, "image/") {
				return &a.Media[i]
			}
		}
	}
	if firstSrc == "" {
		return nil
	}
	for i := range a.Media {
		m := &a.Media[i]
		if m.RemoteURL != "" && firstSrc == m.RemoteURL || m.RemoteURL == "" && strings.HasSuffix(firstSrc, "/media/"+m.Path) {
			return m
		}
	}
	return nil
}
