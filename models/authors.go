package models

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm/clause"
)

// CreateAuthor inserts a new author; the username must be free, must not
// be the blog actor's and must be one every fediverse server accepts. The
// first account ever (more exactly: while the blog has no owner) is the
// owner whatever a.Role says, since a blog without one could never be
// administered; later ones are authors unless a.Role names another role.
func (s *Store) CreateAuthor(ctx context.Context, a *Author) error {
	return s.createAuthor(ctx, a, true)
}

// createAuthor is CreateAuthor; ownerless makes the account the owner when
// the blog has none. Imported accounts, which have no password to log in
// with, are never made the owner that way.
func (s *Store) createAuthor(ctx context.Context, a *Author, ownerless bool) error {
	a.Username = strings.ToLower(strings.TrimSpace(a.Username))
	if !ValidActorName(a.Username) {
		return fmt.Errorf("create author %q: %w", a.Username, ErrBadActorName)
	}
	if a.Role == "" {
		a.Role = RoleAuthor
	}
	if !ValidRole(a.Role) {
		return fmt.Errorf("create author %q: unknown role %q", a.Username, a.Role)
	}
	err := s.Tx(ctx, func(tx *Store) error {
		if ownerless {
			var owners int64
			if err := tx.q(ctx).Model(&Author{}).Where("role = ?", RoleOwner).Count(&owners).Error; err != nil {
				return fmt.Errorf("count owners: %w", err)
			}
			if owners == 0 {
				a.Role = RoleOwner
			}
		}
		return tx.q(ctx).Create(a).Error
	})
	if err != nil {
		if IsDuplicate(err) {
			return fmt.Errorf("create author %q: username taken: %w", a.Username, err)
		}
		return fmt.Errorf("create author %q: %w", a.Username, err)
	}
	return nil
}

// Roles lists the account roles, most powerful first.
func Roles() []string { return []string{RoleOwner, RoleEditor, RoleAuthor} }

// ValidRole reports whether r is one of Roles.
func ValidRole(r string) bool {
	for _, v := range Roles() {
		if r == v {
			return true
		}
	}
	return false
}

// IsOwner reports the blog's administrator role.
func (a *Author) IsOwner() bool { return a.Role == RoleOwner }

// ErrLastOwner refuses a role change that would leave the blog without an
// owner, and so without anyone able to change roles or settings.
var ErrLastOwner = errors.New("the blog needs at least one owner")

// SetAuthorRole changes an account's role. Taking the owner role from the
// last owner fails with ErrLastOwner.
func (s *Store) SetAuthorRole(ctx context.Context, id uint, role string) error {
	if !ValidRole(role) {
		return fmt.Errorf("set role of author %d: unknown role %q", id, role)
	}
	return s.Tx(ctx, func(tx *Store) error {
		a, err := tx.AuthorByID(ctx, id)
		if err != nil {
			return err
		}
		if a.Role == role {
			return nil
		}
		if a.Role == RoleOwner {
			// Locks the owner rows on PostgreSQL, so two owners demoting
			// each other at once cannot both succeed.
			var owners []uint
			q := tx.q(ctx).Model(&Author{}).Where("role = ?", RoleOwner)
			if tx.dialect == "postgres" {
				q = q.Clauses(clause.Locking{Strength: "UPDATE"})
			}
			if err := q.Pluck("id", &owners).Error; err != nil {
				return fmt.Errorf("count owners: %w", err)
			}
			if len(owners) <= 1 {
				return fmt.Errorf("set role of author %d: %w", id, ErrLastOwner)
			}
		}
		if err := tx.q(ctx).Model(&Author{}).Where("id = ?", id).Update("role", role).Error; err != nil {
			return fmt.Errorf("set role of author %d: %w", id, err)
		}
		return nil
	})
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

// ErrBadActorName is a username that some fediverse servers refuse.
var ErrBadActorName = errors.New("username must be 1 to 64 of A-Z, a-z, 0-9, _, . and -")

// ValidActorName reports whether u is a username that every server we
// federate with accepts in preferredUsername and in acct:user@host.
// GoToSocial's mention pattern (internal/regexes/regexes.go, usernameGrp)
// allows letters, digits, '.', '-' and '_' only: a ':' (host:port) makes it
// refuse the actor. Authors, the blog actor and the instance actor all
// follow this rule.
func ValidActorName(u string) bool {
	if u == "" || len(u) > 64 {
		return false
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// reservedUsernames would collide with routes or the blog's own accounts.
var reservedUsernames = map[string]bool{
	"admin": true, "actor": true, "inbox": true, "users": true, "setup": true, "static": true,
	"media": true, "tag": true, "feed": true, "api": true, "root": true, "instance": true,
	"webmaster": true, "postmaster": true, "comments": true, "articles": true, "activities": true,
}

// ValidUsername checks a new author's username: 1-30 of a-z, 0-9 and _, not
// reserved and not the blog actor's handle.
func ValidUsername(u, blogUsername string) error {
	if len(u) == 0 || len(u) > 30 {
		return fmt.Errorf("username must have 1 to 30 characters")
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return fmt.Errorf("username may only use a-z, 0-9 and _")
		}
	}
	if reservedUsernames[u] || u == strings.ToLower(blogUsername) {
		return fmt.Errorf("username %q is reserved", u)
	}
	return nil
}
