package models

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// ArticleRevision is a past version of an article's text, kept so that no
// save loses anything: SaveArticle writes one, in its transaction, with the
// version it replaces. An autosave of a published article writes one too
// (Kind autosave) instead of touching what readers see.
type ArticleRevision struct {
	ID        uint   `gorm:"primaryKey"`
	ArticleID uint   `gorm:"index;not null"`
	Kind      string `gorm:"size:16;not null"`
	Title     string `gorm:"size:500;not null"`
	Summary   string `gorm:"type:text"`
	Markdown  string `gorm:"type:text"`
	HTML      string `gorm:"type:text"`
	Format    string `gorm:"size:16"`
	Tags      string `gorm:"type:text"` // JSON array of tag names
	// SavedByID is the account that wrote this version (nil: imported, or
	// saved before accounts were recorded); SavedAt is when.
	SavedByID *uint
	SavedAt   time.Time `gorm:"not null"`
	CreatedAt time.Time
}

// Revision kinds.
const (
	RevisionVersion  = "version"  // a version a later save replaced
	RevisionAutosave = "autosave" // unsaved changes to a published article
)

// EditAutosaved is the article edit action of an autosave of a draft.
const EditAutosaved = "autosaved"

// autosaveSession is how long a run of one account's autosaves counts as
// one writing session: its intermediate states are not kept as revisions.
const autosaveSession = time.Hour

// TagNames decodes the revision's tags.
func (r *ArticleRevision) TagNames() []string {
	var names []string
	if r.Tags != "" {
		_ = json.Unmarshal([]byte(r.Tags), &names) // written by encodeTags only
	}
	return names
}

func encodeTags(names []string) string {
	if len(names) == 0 {
		return ""
	}
	b, _ := json.Marshal(names) // a []string always encodes
	return string(b)
}

// RevisionContent is what an autosave keeps of the editor's fields.
type RevisionContent struct {
	Title, Summary, Markdown, HTML string
	Tags                           []string
}

// revisionOf is the article's text as a revision keeps it.
func revisionOf(a *Article, kind string) ArticleRevision {
	names := make([]string, len(a.Tags))
	for i, t := range a.Tags {
		names[i] = t.Name
	}
	return ArticleRevision{
		ArticleID: a.ID, Kind: kind, Title: a.Title, Summary: a.Summary, Markdown: a.Markdown,
		HTML: a.HTML, Format: a.Format, Tags: encodeTags(names), SavedByID: a.LastEditedByID, SavedAt: a.UpdatedAt,
	}
}

// sameText reports whether saving in over a keeps the same text: a save
// that changes only the status, date or flags keeps no revision, since
// nothing would be lost.
func sameText(a *Article, in ArticleInput) bool {
	if a.Title != in.Title || a.Summary != in.Summary || a.Markdown != in.Markdown {
		return false
	}
	// Imported articles keep their text in HTML only.
	if a.Markdown == "" && a.HTML != in.HTML {
		return false
	}
	var was, now []string
	for _, t := range a.Tags {
		was = append(was, t.Slug)
	}
	for _, n := range in.Tags {
		if s := TagSlug(n); s != "" && !slices.Contains(now, s) {
			now = append(now, s)
		}
	}
	slices.Sort(was)
	slices.Sort(now)
	return slices.Equal(was, now)
}

// keepRevision stores the version of old that in is about to replace, unless
// the text does not change or old is an autosave of the same writing session
// (the same account's autosave, less than autosaveSession ago).
func (s *Store) keepRevision(ctx context.Context, old *Article, in ArticleInput) error {
	if sameText(old, in) {
		return nil
	}
	if in.EditorID != 0 {
		last, err := s.lastEdit(ctx, old.ID)
		if err != nil {
			return err
		}
		if last != nil && last.Action == EditAutosaved && last.AuthorID == in.EditorID && time.Since(last.CreatedAt) < autosaveSession {
			return nil
		}
	}
	rev := revisionOf(old, RevisionVersion)
	if err := s.q(ctx).Create(&rev).Error; err != nil {
		return fmt.Errorf("keep revision of article %d: %w", old.ID, err)
	}
	return nil
}

// lastEdit is the article's latest edit, nil when none was recorded.
func (s *Store) lastEdit(ctx context.Context, articleID uint) (*ArticleEdit, error) {
	var es []ArticleEdit
	if err := s.q(ctx).Where("article_id = ?", articleID).Order("id DESC").Limit(1).Find(&es).Error; err != nil {
		return nil, fmt.Errorf("last edit of article %d: %w", articleID, err)
	}
	if len(es) == 0 {
		return nil, nil
	}
	return &es[0], nil
}

// dropAutosaves removes by's autosaves of an article: a save supersedes them.
func (s *Store) dropAutosaves(ctx context.Context, articleID, by uint) error {
	err := s.q(ctx).Where("article_id = ? AND kind = ? AND saved_by_id = ?", articleID, RevisionAutosave, by).
		Delete(&ArticleRevision{}).Error
	if err != nil {
		return fmt.Errorf("drop autosaves of article %d by %d: %w", articleID, by, err)
	}
	return nil
}

// SaveAutosave keeps by's unsaved changes to an article (a published one:
// drafts are autosaved in place by SaveArticle) as its autosave revision,
// replacing by's previous autosave. The article itself is not changed.
func (s *Store) SaveAutosave(ctx context.Context, articleID, by uint, c RevisionContent, at time.Time) (*ArticleRevision, error) {
	rev := ArticleRevision{
		ArticleID: articleID, Kind: RevisionAutosave, Title: c.Title, Summary: c.Summary, Markdown: c.Markdown,
		HTML: c.HTML, Format: "markdown", Tags: encodeTags(c.Tags), SavedByID: &by, SavedAt: at,
	}
	err := s.Tx(ctx, func(tx *Store) error {
		if err := tx.dropAutosaves(ctx, articleID, by); err != nil {
			return err
		}
		if err := tx.q(ctx).Create(&rev).Error; err != nil {
			return fmt.Errorf("autosave article %d: %w", articleID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &rev, nil
}

// ArticleRevisionRow is a revision with the name of the account that wrote it.
type ArticleRevisionRow struct {
	ArticleRevision
	Username, Name string
}

// revisionsListed bounds the revisions list of one article.
const revisionsListed = 500

// ArticleRevisions lists an article's revisions, newest first.
func (s *Store) ArticleRevisions(ctx context.Context, articleID uint) ([]ArticleRevisionRow, error) {
	var out []ArticleRevisionRow
	err := s.q(ctx).Model(&ArticleRevision{}).
		Select("article_revisions.*, authors.username, authors.name").
		Joins("LEFT JOIN authors ON authors.id = article_revisions.saved_by_id").
		Where("article_revisions.article_id = ?", articleID).
		Order("article_revisions.saved_at DESC, article_revisions.id DESC").Limit(revisionsListed).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("revisions of article %d: %w", articleID, err)
	}
	return out, nil
}

// ArticleRevision loads one revision of an article.
func (s *Store) ArticleRevision(ctx context.Context, articleID, revID uint) (*ArticleRevision, error) {
	var r ArticleRevision
	if err := s.q(ctx).Where("article_id = ?", articleID).First(&r, revID).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load revision %d of article %d", revID, articleID))
	}
	return &r, nil
}

// LatestAutosave is by's autosave of an article, nil when there is none.
func (s *Store) LatestAutosave(ctx context.Context, articleID, by uint) (*ArticleRevision, error) {
	var rs []ArticleRevision
	err := s.q(ctx).Where("article_id = ? AND kind = ? AND saved_by_id = ?", articleID, RevisionAutosave, by).
		Order("id DESC").Limit(1).Find(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("autosave of article %d: %w", articleID, err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	return &rs[0], nil
}

// recordAutosave notes an autosave of a draft in the article's edits; the
// autosaves of one writing session are one line, whose time moves on.
func (s *Store) recordAutosave(ctx context.Context, articleID, by uint) error {
	last, err := s.lastEdit(ctx, articleID)
	if err != nil {
		return err
	}
	if last != nil && last.Action == EditAutosaved && last.AuthorID == by && time.Since(last.CreatedAt) < autosaveSession {
		err := s.q(ctx).Model(&ArticleEdit{}).Where("id = ?", last.ID).Update("created_at", time.Now().UTC()).Error
		if err != nil {
			return fmt.Errorf("record autosave of article %d: %w", articleID, err)
		}
		return nil
	}
	return s.recordEdit(ctx, articleID, by, EditAutosaved)
}

// CountArticleRevisions counts an article's revisions.
func (s *Store) CountArticleRevisions(ctx context.Context, articleID uint) (int64, error) {
	var n int64
	if err := s.q(ctx).Model(&ArticleRevision{}).Where("article_id = ?", articleID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count revisions of article %d: %w", articleID, err)
	}
	return n, nil
}
