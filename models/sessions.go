package models

import (
	"context"
	"fmt"
	"time"
)

// CreateSession stores a session (the token's hash, never the token).
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	if err := s.q(ctx).Create(sess).Error; err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionByHash loads a live session with its author.
func (s *Store) SessionByHash(ctx context.Context, hash string, now time.Time) (*Session, *Author, error) {
	var sess Session
	if err := s.q(ctx).Where("token_hash = ? AND expires_at > ?", hash, now).First(&sess).Error; err != nil {
		return nil, nil, notFound(err, "load session")
	}
	a, err := s.AuthorByID(ctx, sess.AuthorID)
	if err != nil {
		return nil, nil, err
	}
	return &sess, a, nil
}

// DeleteSession logs a browser out.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	if err := s.q(ctx).Where("token_hash = ?", hash).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// PurgeSessions removes the sessions expired at now and returns how many.
func (s *Store) PurgeSessions(ctx context.Context, now time.Time) (int64, error) {
	res := s.q(ctx).Where("expires_at <= ?", now).Delete(&Session{})
	if res.Error != nil {
		return 0, fmt.Errorf("purge sessions: %w", res.Error)
	}
	return res.RowsAffected, nil
}
