package models

import (
	"context"
	"fmt"
	"html"
	"net"
	"strings"

	"gorm.io/gorm"
)

// Matches reports whether the block applies to an actor (its URI and host)
// or to content. Domain blocks cover subdomains and every port; keyword
// blocks are case-insensitive substrings of the content.
func (b Block) Matches(actorURI, host, content string) bool {
	switch b.Kind {
	case BlockActor:
		return actorURI != "" && actorURI == b.Value
	case BlockDomain:
		h := HostWithoutPort(host)
		d := strings.ToLower(b.Value)
		return h != "" && (h == d || strings.HasSuffix(h, "."+d))
	case BlockKeyword:
		return ContainsKeyword(content, b.Value)
	}
	return false
}

// ContainsKeyword is the keyword-block test: a case-insensitive substring
// of the HTML with entities decoded (so "&amp;" matches "&").
func ContainsKeyword(content, keyword string) bool {
	k := strings.ToLower(strings.TrimSpace(keyword))
	if k == "" || content == "" {
		return false
	}
	return strings.Contains(strings.ToLower(html.UnescapeString(content)), k)
}

// HostWithoutPort lower-cases a host[:port].
func HostWithoutPort(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if h, _, err := net.SplitHostPort(host); err == nil {
		return strings.Trim(h, "[]")
	}
	return strings.Trim(host, "[]")
}

// ListBlocks returns every block, by kind then value.
func (s *Store) ListBlocks(ctx context.Context) ([]Block, error) {
	var out []Block
	if err := s.q(ctx).Order("kind, value").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list blocks: %w", err)
	}
	return out, nil
}

// MatchBlock returns the first block applying to an actor or content, or
// nil. The table is small (an admin's list), so it is matched in Go.
func (s *Store) MatchBlock(ctx context.Context, actorURI, host, content string) (*Block, error) {
	blocks, err := s.ListBlocks(ctx)
	if err != nil {
		return nil, err
	}
	for i := range blocks {
		if blocks[i].Matches(actorURI, host, content) {
			return &blocks[i], nil
		}
	}
	return nil, nil
}

// hideableStatuses are what a new block hides: shown comments and private
// messages. Pending ones stay in the moderation queue for the admin.
var hideableStatuses = []string{StatusApproved, StatusPrivate}

// CreateBlock adds a block and, in the same transaction, hides what it
// covers: the blocked actors' (or domain's) interactions, or the comments
// and quotes containing the keyword. Blocking an actor or a domain also ends
// its follows. A block that already exists is returned as is (created=false).
func (s *Store) CreateBlock(ctx context.Context, kind, value string) (b *Block, hidden int64, err error) {
	value = strings.TrimSpace(value)
	if kind != BlockActor && kind != BlockDomain && kind != BlockKeyword {
		return nil, 0, fmt.Errorf("create block: unknown kind %q", kind)
	}
	if value == "" {
		return nil, 0, fmt.Errorf("create block: empty value")
	}
	if kind != BlockActor {
		value = strings.ToLower(value)
	}
	err = s.Tx(ctx, func(tx *Store) error {
		row := Block{Kind: kind, Value: value}
		if err := tx.q(ctx).Where(Block{Kind: kind, Value: value}).FirstOrCreate(&row).Error; err != nil {
			return fmt.Errorf("create block %s %q: %w", kind, value, err)
		}
		b = &row
		if kind == BlockKeyword {
			var ids []uint
			var batch []Interaction
			res := tx.q(ctx).Select("id", "content", "summary").
				Where("status IN ? AND kind IN ?", hideableStatuses, []string{KindComment, KindQuote}).
				FindInBatches(&batch, 500, func(_ *gorm.DB, _ int) error {
					for _, in := range batch {
						if ContainsKeyword(in.Content+" "+in.Summary, value) {
							ids = append(ids, in.ID)
						}
					}
					return nil
				})
			if res.Error != nil {
				return fmt.Errorf("scan comments for %q: %w", value, res.Error)
			}
			n, err := tx.setStatus(ctx, ids, StatusHidden)
			hidden = n
			return err
		}
		actorIDs, err := tx.blockedActorIDs(ctx, row)
		if err != nil {
			return err
		}
		if len(actorIDs) == 0 {
			return nil
		}
		res := tx.q(ctx).Model(&Interaction{}).Where("remote_actor_id IN ? AND status IN ?", actorIDs, hideableStatuses).Update("status", StatusHidden)
		if res.Error != nil {
			return fmt.Errorf("hide interactions of blocked actors: %w", res.Error)
		}
		hidden = res.RowsAffected
		if err := tx.q(ctx).Where("remote_actor_id IN ?", actorIDs).Delete(&Follower{}).Error; err != nil {
			return fmt.Errorf("end follows of blocked actors: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return b, hidden, nil
}

// blockedActorIDs finds the cached actors an actor or domain block covers.
func (s *Store) blockedActorIDs(ctx context.Context, b Block) ([]uint, error) {
	var actors []RemoteActor
	db := s.q(ctx).Select("id", "uri", "host")
	if b.Kind == BlockActor {
		db = db.Where("uri = ?", b.Value)
	} else {
		// LIKE narrows; Matches decides (a "_" in the pattern is a wildcard).
		d := b.Value
		db = db.Where("LOWER(host) = ? OR LOWER(host) LIKE ? OR LOWER(host) LIKE ? OR LOWER(host) LIKE ?", d, "%."+d, d+":%", "%."+d+":%")
	}
	if err := db.Find(&actors).Error; err != nil {
		return nil, fmt.Errorf("find actors blocked by %s %q: %w", b.Kind, b.Value, err)
	}
	var ids []uint
	for _, a := range actors {
		if b.Matches(a.URI, a.Host, "") {
			ids = append(ids, a.ID)
		}
	}
	return ids, nil
}

func (s *Store) setStatus(ctx context.Context, ids []uint, status string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var total int64
	for start := 0; start < len(ids); start += 500 {
		end := min(start+500, len(ids))
		res := s.q(ctx).Model(&Interaction{}).Where("id IN ?", ids[start:end]).Update("status", status)
		if res.Error != nil {
			return total, fmt.Errorf("set %d interactions %s: %w", end-start, status, res.Error)
		}
		total += res.RowsAffected
	}
	return total, nil
}

// DeleteBlock removes a block and shows again what no remaining block
// covers: public interactions become approved, direct and followers-only
// ones private again (a direct message must never turn public).
func (s *Store) DeleteBlock(ctx context.Context, id uint) (unhidden int64, err error) {
	err = s.Tx(ctx, func(tx *Store) error {
		res := tx.q(ctx).Delete(&Block{}, id)
		if res.Error != nil {
			return fmt.Errorf("delete block %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("delete block %d: %w", id, ErrNotFound)
		}
		rest, err := tx.ListBlocks(ctx)
		if err != nil {
			return err
		}
		var hiddenRows []Interaction
		if err := tx.q(ctx).Preload("RemoteActor").Where("status = ?", StatusHidden).Find(&hiddenRows).Error; err != nil {
			return fmt.Errorf("load hidden interactions: %w", err)
		}
		var public, private []uint
		for _, in := range hiddenRows {
			uri, host := "", ""
			if in.RemoteActor != nil {
				uri, host = in.RemoteActor.URI, in.RemoteActor.Host
			}
			covered := false
			for _, b := range rest {
				if b.Matches(uri, host, in.Content+" "+in.Summary) {
					covered = true
					break
				}
			}
			if covered {
				continue
			}
			if in.Visibility == "direct" || in.Visibility == "followers" {
				private = append(private, in.ID)
			} else {
				public = append(public, in.ID)
			}
		}
		n1, err := tx.setStatus(ctx, public, StatusApproved)
		if err != nil {
			return err
		}
		n2, err := tx.setStatus(ctx, private, StatusPrivate)
		unhidden = n1 + n2
		return err
	})
	return unhidden, err
}
