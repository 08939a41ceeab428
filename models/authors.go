package models

import (
	"context"
	"fmt"
	"strings"
)

// CreateAuthor inserts a new author; the username must be free and must not
// be the blog actor's.
func (s *Store) CreateAuthor(ctx context.Context, a *Author) error {
	a.Username = strings.ToLower(strings.TrimSpace(a.Username))
	if err := s.q(ctx).Create(a).Error; err != nil {
		if IsDuplicate(err) {
			return fmt.Errorf("create author %q: username taken: %w", a.Username, err)
		}
		return fmt.Errorf("create author %q: %w", a.Username, err)
	}
	return nil
}

// SaveAuthor updates an author.
func (s *Store) SaveAuthor(ctx context.Context, a *Author) error {
	if err := s.q(ctx).Save(a).Error; err != nil {
		return fmt.Errorf("save author %d: %w", a.ID, err)
	}
	return nil
}

// AuthorByID loads an author.
func (s *Store) AuthorByID(ctx context.Context, id uint) (*Author, error) {
	var a Author
	if err := s.q(ctx).First(&a, id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load author %d", id))
	}
	return &a, nil
}

// AuthorByUsername loads an author by (case-insensitive) username.
func (s *Store) AuthorByUsername(ctx context.Context, username string) (*Author, error) {
	var a Author
	if err := s.q(ctx).Where("username = ?", strings.ToLower(username)).First(&a).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load author %q", username))
	}
	return &a, nil
}

// ListAuthors returns every author, oldest first.
func (s *Store) ListAuthors(ctx context.Context) ([]Author, error) {
	var as []Author
	if err := s.q(ctx).Order("id").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("list authors: %w", err)
	}
	return as, nil
}

// CountAuthors counts authors (zero means first-run setup is open).
func (s *Store) CountAuthors(ctx context.Context) (int64, error) {
	var n int64
	if err := s.q(ctx).Model(&Author{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count authors: %w", err)
	}
	return n, nil
}
