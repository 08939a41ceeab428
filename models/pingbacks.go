package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// Pingbacks and webmentions ("mentions") received from other sites are
// Interactions with Source SourcePingback or SourceWebmention. They are
// stored before their source is fetched, in StatusVerifying, and a worker
// decides: approved (the source links to the article) or deleted outright.
//
// Columns used by mentions:
//   - ObjectURI: MentionObjectURI(article, source), so a repeated ping
//     updates its row instead of adding one.
//   - URL: the source page. InReplyTo: the target URL as the sender gave it
//     (re-verification accepts a link to it, the permalink or the AP id).
//   - Summary: the microformats flavour, one of the Mention* constants.
//     (For comments Summary is a content warning; mentions never have one.)
//   - Title, Content (escaped excerpt in <p>), AuthorName, AuthorURL.
//   - UpdatedAt: when the source was last fetched (or claimed for a
//     fetch); mentionDueNow marks a row to fetch as soon as possible.

// StatusVerifying is a mention whose source has not been checked yet: never
// shown, never counted, not a moderation state.
const StatusVerifying = "verifying"

// Mention flavours, from the source's h-entry (u-in-reply-to, u-like-of,
// u-repost-of pointing at the article); stored in Interaction.Summary.
const (
	MentionReply   = "reply"
	MentionLike    = "like"
	MentionRepost  = "repost"
	MentionMention = "mention"
)

// mentionSources are the interaction sources the verifier owns. Imported
// (WXR) pingbacks are history and are never re-fetched.
func mentionSources() []string { return []string{SourcePingback, SourceWebmention} }

// mentionDueNow is the UpdatedAt that puts a mention at the front of the
// verification queue: older than any cutoff.
func mentionDueNow() time.Time { return time.Unix(0, 0).UTC() }

// MentionObjectURI is the unique key of a mention: one row per source page
// and article, whichever protocol (pingback or webmention) announced it.
func MentionObjectURI(articleID uint, source string) string {
	return fmt.Sprintf("mention:%d:%s", articleID, source)
}

// RequestMention records that in.URL claims to link to in.ArticleID and
// queues the claim for verification. in carries ArticleID, Kind, Source,
// URL, InReplyTo, AuthorIP and UserAgent; ObjectURI is derived.
//
// A new claim is stored as StatusVerifying. A repeated claim for a row that
// is verifying or approved updates its protocol and target and makes it due
// for a fetch now (approved rows stay visible meanwhile). Rows a moderator
// put elsewhere (pending, spam, deleted) are left alone: queued is false.
func (s *Store) RequestMention(ctx context.Context, in *Interaction, now time.Time) (queued bool, err error) {
	key := MentionObjectURI(in.ArticleID, in.URL)
	in.ObjectURI = &key
	in.Status = StatusVerifying
	in.PublishedAt, in.CreatedAt, in.UpdatedAt = now, now, mentionDueNow()
	res := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(in)
	if res.Error != nil {
		return false, fmt.Errorf("store %s from %s: %w", in.Kind, in.URL, res.Error)
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	// Raw SQL on purpose: the page changes only once the fetch confirms
	// (ApproveMention), which is what must refresh page caches.
	upd := s.q(ctx).Exec(`UPDATE interactions SET kind = ?, source = ?, in_reply_to = ?, updated_at = ?
		WHERE object_uri = ? AND status IN (?, ?)`,
		in.Kind, in.Source, in.InReplyTo, mentionDueNow(), key, StatusVerifying, StatusApproved)
	if upd.Error != nil {
		return false, fmt.Errorf("requeue %s from %s: %w", in.Kind, in.URL, upd.Error)
	}
	existing, err := s.InteractionByObjectURI(ctx, key)
	if err != nil {
		return false, err
	}
	*in = *existing
	return upd.RowsAffected == 1, nil
}

// MentionsDue lists received mentions in status whose last fetch is at or
// before updatedBefore and whose id is above afterID, oldest fetch first
// (afterID > 0 orders by id instead, for paging through a snapshot).
func (s *Store) MentionsDue(ctx context.Context, status string, updatedBefore time.Time, afterID uint, limit int) ([]Interaction, error) {
	db := s.q(ctx).Where("status = ? AND source IN ? AND updated_at <= ?", status, mentionSources(), updatedBefore)
	if afterID > 0 {
		db = db.Where("id > ?", afterID).Order("id")
	} else {
		db = db.Order("updated_at, id")
	}
	var out []Interaction
	if err := db.Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list %s mentions due: %w", status, err)
	}
	return out, nil
}

// ClaimMention marks a due mention as being fetched by this process (its
// UpdatedAt becomes now). Only one of several processes racing for the same
// row gets true, so no lease is needed: work is split row by row.
func (s *Store) ClaimMention(ctx context.Context, id uint, status string, updatedBefore, now time.Time) (bool, error) {
	// Raw SQL: a claim changes nothing visible, so page caches stay.
	res := s.q(ctx).Exec("UPDATE interactions SET updated_at = ? WHERE id = ? AND status = ? AND updated_at <= ?",
		now, id, status, updatedBefore)
	if res.Error != nil {
		return false, fmt.Errorf("claim mention %d: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// MentionVerified is what a successful fetch learned about the source.
type MentionVerified struct {
	Title, Content, Flavour string
	AuthorName, AuthorURL   string
}

// ApproveMention stores a verified mention and shows it (mentions need no
// moderation: the link is the proof). A row a moderator moved meanwhile is
// left alone.
func (s *Store) ApproveMention(ctx context.Context, id uint, v MentionVerified, now time.Time) error {
	res := s.q(ctx).Model(&Interaction{}).
		Where("id = ? AND status IN ?", id, []string{StatusVerifying, StatusApproved}).
		Updates(map[string]any{
			"status": StatusApproved, "title": v.Title, "content": v.Content, "summary": v.Flavour,
			"author_name": v.AuthorName, "author_url": v.AuthorURL, "updated_at": now,
		})
	if res.Error != nil {
		return fmt.Errorf("approve mention %d: %w", id, res.Error)
	}
	return nil
}

// DropMention deletes a mention whose source does not (or no longer) link
// to the article: the row goes entirely, so nothing of it can show and a
// later, honest ping starts afresh. Moderated rows are left alone.
func (s *Store) DropMention(ctx context.Context, id uint) error {
	res := s.q(ctx).Where("id = ? AND status IN ? AND source IN ?", id,
		[]string{StatusVerifying, StatusApproved}, mentionSources()).Delete(&Interaction{})
	if res.Error != nil {
		return fmt.Errorf("drop mention %d: %w", id, res.Error)
	}
	return nil
}

// MentionTargetsSent lists the links an article's webmentions or pingbacks
// were delivered to (deliveries of kind), so an update or a deletion can
// notify links that are gone from it.
func (s *Store) MentionTargetsSent(ctx context.Context, articleID uint, kind string) ([]string, error) {
	var out []string
	err := s.q(ctx).Model(&Delivery{}).Distinct("inbox").
		Where("article_id = ? AND kind = ? AND status = ?", articleID, kind, DeliveryDelivered).
		Order("inbox").Pluck("inbox", &out).Error
	if err != nil {
		return nil, fmt.Errorf("mention targets of article %d: %w", articleID, err)
	}
	return out, nil
}
