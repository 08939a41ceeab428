package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Setting defaults applied when the row is first created.
const (
	DefaultBlogUsername = "blog"
	DefaultPostsPerPage = 10
)

// EnsureSettings returns the settings row, creating it with defaults and the
// given key material on first start. keys is called only when a row is
// created, so keys stay stable across restarts.
func (s *Store) EnsureSettings(ctx context.Context, keys func() (blogPriv, blogPub, instPriv, instPub string, err error)) (*Settings, error) {
	var st Settings
	err := s.q(ctx).First(&st, 1).Error
	if err == nil {
		return &st, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	bp, bpub, ip, ipub, err := keys()
	if err != nil {
		return nil, fmt.Errorf("generate blog keys: %w", err)
	}
	st = Settings{
		ID: 1, Title: "fedpress", Tagline: "A federated blog", Language: "en",
		BlogUsername: DefaultBlogUsername, BlogName: "fedpress",
		BlogPrivateKeyPEM: bp, BlogPublicKeyPEM: bpub,
		InstancePrivateKeyPEM: ip, InstancePublicKeyPEM: ipub,
		ObjectType: ObjectTypeLead, FediModeration: "open", HoldVisitorComments: true,
		PostsPerPage: DefaultPostsPerPage,
	}
	// Two processes starting at once: the loser re-reads the winner's row.
	if err := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&st).Error; err != nil {
		return nil, fmt.Errorf("create settings: %w", err)
	}
	if err := s.q(ctx).First(&st, 1).Error; err != nil {
		return nil, fmt.Errorf("reload settings: %w", err)
	}
	return &st, nil
}

// GetSettings loads the settings row.
func (s *Store) GetSettings(ctx context.Context) (*Settings, error) {
	var st Settings
	if err := s.q(ctx).First(&st, 1).Error; err != nil {
		return nil, notFound(err, "load settings")
	}
	return &st, nil
}

// SaveSettings writes the settings row.
func (s *Store) SaveSettings(ctx context.Context, st *Settings) error {
	st.ID = 1
	if err := s.q(ctx).Save(st).Error; err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}

// ConsumeSetupToken clears the one-time setup token if it matches; it reports
// whether it did, atomically, so a token works once.
func (s *Store) ConsumeSetupToken(ctx context.Context, token string) (bool, error) {
	if token == "" {
		return false, nil
	}
	res := s.q(ctx).Model(&Settings{}).Where("id = 1 AND setup_token = ?", token).Update("setup_token", "")
	if res.Error != nil {
		return false, fmt.Errorf("consume setup token: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// How articles are federated (Settings.ObjectType). Both are Notes without
// name or summary, because GoToSocial shows summary (or else name) as a
// content warning on any object type, and Mastodon drops the content of
// anything but Note and Question. See FEDERATION.md.
const (
	// ObjectTypeLead (the default): the title, a lead paragraph and a
	// link back, with the article's images attached.
	ObjectTypeLead = "Lead"
	// ObjectTypeNote: the title, the full text and a link back.
	ObjectTypeNote = "Note"
)

// ArticleObjectType is what a stored setting means: "Note" (any case) is the
// full text; anything else is ObjectTypeLead, including "Article", the old
// default, which Mastodon showed as title, lead and link too.
func ArticleObjectType(v string) string {
	if strings.EqualFold(strings.TrimSpace(v), ObjectTypeNote) {
		return ObjectTypeNote
	}
	return ObjectTypeLead
}

// MenuItems decodes the header navigation; nil when none was set (the
// site then shows Home and the published pages) or the JSON is unreadable.
func (st *Settings) MenuItems() []MenuItem {
	if strings.TrimSpace(st.Menu) == "" {
		return nil
	}
	var items []MenuItem
	if err := json.Unmarshal([]byte(st.Menu), &items); err != nil {
		return nil
	}
	return items
}

// SaveMenu stores the header navigation; an empty list restores the default.
func (s *Store) SaveMenu(ctx context.Context, items []MenuItem) error {
	val := ""
	if len(items) > 0 {
		b, err := json.Marshal(items)
		if err != nil {
			return fmt.Errorf("encode menu: %w", err)
		}
		val = string(b)
	}
	if err := s.q(ctx).Model(&Settings{}).Where("id = 1").Update("menu", val).Error; err != nil {
		return fmt.Errorf("save menu: %w", err)
	}
	return nil
}
