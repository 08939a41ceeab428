package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Mail job kinds.
const (
	MailCommentHeld   = "comment_held"   // a comment on the author's article awaits moderation
	MailNewReply      = "new_reply"      // a fediverse reply was published on the author's article
	MailPasswordReset = "password_reset" // a "lost your password" link; Body holds the text
)

// MailJob is one e-mail to send: the durable mail queue. Writing it is a
// database insert, so a request never waits for (or fails with) the SMTP
// server; the worker sends it and retries while the server is down.
//
// Notifications name the comment (InteractionID) and are written at send
// time; a password reset carries its text (with the one-time link) in Body,
// which is cleared once sent.
type MailJob struct {
	ID            uint   `gorm:"primaryKey"`
	Kind          string `gorm:"size:32;not null"`
	AuthorID      uint   `gorm:"index;not null"`
	InteractionID *uint  `gorm:"index"`
	To            string `gorm:"size:200"` // the address, for password resets
	Subject       string `gorm:"type:text"`
	Body          string `gorm:"type:text"`
	Attempts      int
	NextAt        time.Time `gorm:"index"`
	LastError     string    `gorm:"type:text"`
	ClaimedBy     string    `gorm:"size:100"`
	ClaimedAt     *time.Time
	SentAt        *time.Time `gorm:"index"`
	FailedAt      *time.Time // given up after too many attempts
	CreatedAt     time.Time  `gorm:"index"`
}

// PasswordReset is a one-time password link. Only the SHA-256 of its token
// is stored, as for sessions.
type PasswordReset struct {
	TokenHash string    `gorm:"primaryKey;size:64"`
	AuthorID  uint      `gorm:"index;not null"`
	ExpiresAt time.Time `gorm:"not null"`
	UsedAt    *time.Time
	CreatedAt time.Time `gorm:"index"`
}

// commentMailKind tells which notification, if any, a newly stored
// interaction gives its article's author: held visitor comments and held
// or published fediverse replies; never the author's own answers, private
// messages, reactions or imports.
func commentMailKind(in *Interaction) string {
	if in.Kind != KindComment {
		return ""
	}
	switch {
	case in.Status == StatusPending && (in.Source == SourceWeb || in.Source == SourceActivityPub):
		return MailCommentHeld
	case in.Status == StatusApproved && in.Source == SourceActivityPub:
		return MailNewReply
	}
	return ""
}

// queueCommentMail queues the notification for a new comment when its
// article's author has an e-mail address and wants this kind of mail.
func (s *Store) queueCommentMail(ctx context.Context, in *Interaction) error {
	kind := commentMailKind(in)
	if kind == "" {
		return nil
	}
	var a Author
	err := s.q(ctx).Select("authors.id", "authors.email", "authors.mute_held_mail", "authors.mute_reply_mail").
		Joins("JOIN articles ON articles.author_id = authors.id").Where("articles.id = ?", in.ArticleID).First(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("author of article %d: %w", in.ArticleID, err)
	}
	if a.Email == "" || (kind == MailCommentHeld && a.MuteHeldMail) || (kind == MailNewReply && a.MuteReplyMail) {
		return nil
	}
	id := in.ID
	job := &MailJob{Kind: kind, AuthorID: a.ID, InteractionID: &id, NextAt: time.Now().UTC()}
	if err := s.q(ctx).Create(job).Error; err != nil {
		return fmt.Errorf("queue %s mail for comment %d: %w", kind, in.ID, err)
	}
	return nil
}

// QueueMail adds a ready message (a password reset) to the mail queue.
func (s *Store) QueueMail(ctx context.Context, job *MailJob) error {
	if job.NextAt.IsZero() {
		job.NextAt = time.Now().UTC()
	}
	if err := s.q(ctx).Create(job).Error; err != nil {
		return fmt.Errorf("queue %s mail: %w", job.Kind, err)
	}
	return nil
}

// ClaimMail takes up to limit due, unsent jobs for holder. A claim older
// than staleAfter (a worker that died) is taken over. Each row is claimed
// by a conditional update, so two workers never send the same mail.
func (s *Store) ClaimMail(ctx context.Context, holder string, now time.Time, staleAfter time.Duration, limit int) ([]MailJob, error) {
	stale := now.Add(-staleAfter)
	var due []MailJob
	err := s.q(ctx).Where("sent_at IS NULL AND failed_at IS NULL AND next_at <= ? AND (claimed_at IS NULL OR claimed_at < ?)", now, stale).
		Order("id").Limit(limit).Find(&due).Error
	if err != nil {
		return nil, fmt.Errorf("list due mail: %w", err)
	}
	claimed := due[:0]
	for _, j := range due {
		res := s.q(ctx).Model(&MailJob{}).
			Where("id = ? AND sent_at IS NULL AND (claimed_at IS NULL OR claimed_at < ?)", j.ID, stale).
			Updates(map[string]any{"claimed_by": holder, "claimed_at": now})
		if res.Error != nil {
			return nil, fmt.Errorf("claim mail %d: %w", j.ID, res.Error)
		}
		if res.RowsAffected == 1 {
			j.ClaimedBy, j.ClaimedAt = holder, &now
			claimed = append(claimed, j)
		}
	}
	return claimed, nil
}

// MailSent marks a job sent and drops its text (a reset link stays in the
// database no longer than needed).
func (s *Store) MailSent(ctx context.Context, id uint, now time.Time) error {
	err := s.q(ctx).Model(&MailJob{}).Where("id = ?", id).
		Updates(map[string]any{"sent_at": now, "body": "", "claimed_by": "", "claimed_at": nil, "last_error": ""}).Error
	if err != nil {
		return fmt.Errorf("mark mail %d sent: %w", id, err)
	}
	return nil
}

// MailFailed records a failed attempt: the job is retried at next, or given
// up (giveUp) and its text dropped.
func (s *Store) MailFailed(ctx context.Context, id uint, msg string, next time.Time, giveUp bool, now time.Time) error {
	up := map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_error": msg, "next_at": next, "claimed_by": "", "claimed_at": nil}
	if giveUp {
		up["failed_at"], up["body"] = now, ""
	}
	if err := s.q(ctx).Model(&MailJob{}).Where("id = ?", id).Updates(up).Error; err != nil {
		return fmt.Errorf("mark mail %d failed: %w", id, err)
	}
	return nil
}

// MailJobs lists the queue, oldest first (tests and the operator).
func (s *Store) MailJobs(ctx context.Context) ([]MailJob, error) {
	var jobs []MailJob
	if err := s.q(ctx).Order("id").Find(&jobs).Error; err != nil {
		return nil, fmt.Errorf("list mail jobs: %w", err)
	}
	return jobs, nil
}

// PurgeMail deletes jobs created before cutoff, sent or not: a
// notification weeks late (e-mail was never configured) helps nobody.
func (s *Store) PurgeMail(ctx context.Context, cutoff time.Time) error {
	if err := s.q(ctx).Where("created_at < ?", cutoff).Delete(&MailJob{}).Error; err != nil {
		return fmt.Errorf("purge mail: %w", err)
	}
	return nil
}

// PasswordResetTTL is how long a reset link works.
const PasswordResetTTL = time.Hour

// resetHash is what the database keeps of a reset token.
func resetHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// IssuePasswordReset makes a one-time reset token for an author, valid for
// PasswordResetTTL from now, and returns it; only its hash is stored.
func (s *Store) IssuePasswordReset(ctx context.Context, authorID uint, now time.Time) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random reset token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	r := &PasswordReset{TokenHash: resetHash(token), AuthorID: authorID, ExpiresAt: now.Add(PasswordResetTTL), CreatedAt: now}
	if err := s.q(ctx).Create(r).Error; err != nil {
		return "", fmt.Errorf("create password reset for author %d: %w", authorID, err)
	}
	return token, nil
}

// CountPasswordResets counts the reset links made for an author since a
// time (the per-account limit on "Lost your password?").
func (s *Store) CountPasswordResets(ctx context.Context, authorID uint, since time.Time) (int64, error) {
	var n int64
	err := s.q(ctx).Model(&PasswordReset{}).Where("author_id = ? AND created_at >= ?", authorID, since).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count password resets of author %d: %w", authorID, err)
	}
	return n, nil
}

// PasswordResetAuthor returns the author of a live (unused, unexpired)
// reset token, or ErrNotFound.
func (s *Store) PasswordResetAuthor(ctx context.Context, token string, now time.Time) (*Author, error) {
	var r PasswordReset
	if err := s.q(ctx).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", resetHash(token), now).First(&r).Error; err != nil {
		return nil, notFound(err, "load password reset")
	}
	return s.AuthorByID(ctx, r.AuthorID)
}

// ResetPassword uses a live reset token once: it sets the author's new
// password hash, logs every browser of theirs out and voids their other
// reset links, all or nothing. A used, expired or unknown token gives
// ErrNotFound.
func (s *Store) ResetPassword(ctx context.Context, token, passwordHash string, now time.Time) (*Author, error) {
	hash := resetHash(token)
	var a *Author
	err := s.Tx(ctx, func(tx *Store) error {
		var r PasswordReset
		if err := tx.q(ctx).Where("token_hash = ?", hash).First(&r).Error; err != nil {
			return notFound(err, "load password reset")
		}
		// The conditional update is what makes the token single-use even
		// when two requests race.
		res := tx.q(ctx).Model(&PasswordReset{}).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", hash, now).Update("used_at", now)
		if res.Error != nil {
			return fmt.Errorf("use password reset: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("password reset used or expired: %w", ErrNotFound)
		}
		if err := tx.q(ctx).Model(&Author{}).Where("id = ?", r.AuthorID).Update("password_hash", passwordHash).Error; err != nil {
			return fmt.Errorf("set password of author %d: %w", r.AuthorID, err)
		}
		if err := tx.q(ctx).Where("author_id = ?", r.AuthorID).Delete(&Session{}).Error; err != nil {
			return fmt.Errorf("log out author %d: %w", r.AuthorID, err)
		}
		if err := tx.q(ctx).Model(&PasswordReset{}).Where("author_id = ? AND used_at IS NULL", r.AuthorID).Update("used_at", now).Error; err != nil {
			return fmt.Errorf("void other resets of author %d: %w", r.AuthorID, err)
		}
		var err error
		a, err = tx.AuthorByID(ctx, r.AuthorID)
		return err
	})
	return a, err
}

// AuthorByLogin finds an author by username or e-mail address
// (case-insensitive), for "Lost your password?".
func (s *Store) AuthorByLogin(ctx context.Context, login string) (*Author, error) {
	var a Author
	if err := s.q(ctx).Where("username = LOWER(?) OR (email <> '' AND LOWER(email) = LOWER(?))", login, login).Order("id").First(&a).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load author %q", login))
	}
	return &a, nil
}
