package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// RemoteActorByURI loads a cached remote actor by its id.
func (s *Store) RemoteActorByURI(ctx context.Context, uri string) (*RemoteActor, error) {
	var a RemoteActor
	if err := s.q(ctx).Where("uri = ?", uri).First(&a).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load remote actor %q", uri))
	}
	return &a, nil
}

// RemoteActorByKeyID loads the cached actor owning a public key id.
func (s *Store) RemoteActorByKeyID(ctx context.Context, keyID string) (*RemoteActor, error) {
	var a RemoteActor
	if err := s.q(ctx).Where("public_key_id = ?", keyID).Order("fetched_at DESC").First(&a).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load remote actor of key %q", keyID))
	}
	return &a, nil
}

// UpsertRemoteActor inserts or refreshes an actor by URI and fills a.ID.
// A key id belongs to one actor: storing a.PublicKeyID takes it from any
// other actor holding it (the caller has established that a owns it). An
// empty PublicKeyID keeps the key already stored for a.
func (s *Store) UpsertRemoteActor(ctx context.Context, a *RemoteActor) error {
	now := time.Now().UTC()
	if a.FetchedAt.IsZero() {
		a.FetchedAt = now
	}
	a.UpdatedAt = now
	cols := []string{"type", "username", "host", "name", "summary", "url",
		"avatar_url", "inbox", "shared_inbox", "followers", "also_known_as", "moved_to", "fetched_at", "updated_at"}
	if a.PublicKeyID != "" {
		cols = append(cols, "public_key_id", "public_key_pem")
	}
	return s.Tx(ctx, func(tx *Store) error {
		if a.PublicKeyID != "" {
			err := tx.q(ctx).Model(&RemoteActor{}).Where("public_key_id = ? AND uri <> ?", a.PublicKeyID, a.URI).
				Updates(map[string]any{"public_key_id": "", "public_key_pem": ""}).Error
			if err != nil {
				return fmt.Errorf("release key %q for %q: %w", a.PublicKeyID, a.URI, err)
			}
		}
		err := tx.q(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "uri"}},
			DoUpdates: clause.AssignmentColumns(cols),
		}).Create(a).Error
		if err != nil {
			return fmt.Errorf("store remote actor %q: %w", a.URI, err)
		}
		// On conflict some drivers leave the id unset: read it back.
		stored, err := tx.RemoteActorByURI(ctx, a.URI)
		if err != nil {
			return err
		}
		*a = *stored
		return nil
	})
}

// SetActorMovedTo records that an actor moved to another account.
func (s *Store) SetActorMovedTo(ctx context.Context, id uint, target string) error {
	if err := s.q(ctx).Model(&RemoteActor{}).Where("id = ?", id).Update("moved_to", target).Error; err != nil {
		return fmt.Errorf("set moved_to of remote actor %d: %w", id, err)
	}
	return nil
}

// DeleteRemoteActorData forgets an actor that deleted itself: its follows
// end, its interactions become deleted with their content and name wiped
// (rows stay so that replies under them keep their thread), and the cached
// profile goes. It reports whether the actor was known.
func (s *Store) DeleteRemoteActorData(ctx context.Context, uri string) (bool, error) {
	known := false
	err := s.Tx(ctx, func(tx *Store) error {
		a, err := tx.RemoteActorByURI(ctx, uri)
		if ErrIsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		known = true
		if err := tx.q(ctx).Where("remote_actor_id = ?", a.ID).Delete(&Follower{}).Error; err != nil {
			return fmt.Errorf("delete follows of %q: %w", uri, err)
		}
		err = tx.q(ctx).Model(&Interaction{}).Where("remote_actor_id = ?", a.ID).Updates(map[string]any{
			"status": StatusRemoved, "content": "", "summary": "", "attachments": "", "emojis": "",
			"author_name": "", "author_url": "", "remote_actor_id": nil,
		}).Error
		if err != nil {
			return fmt.Errorf("delete interactions of %q: %w", uri, err)
		}
		if err := tx.q(ctx).Delete(&RemoteActor{}, a.ID).Error; err != nil {
			return fmt.Errorf("delete remote actor %q: %w", uri, err)
		}
		return nil
	})
	return known, err
}
