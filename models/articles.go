package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrNotDraft refuses an autosave over an article readers may see: its
// autosaves go to a revision (SaveAutosave), never over the live text.
var ErrNotDraft = errors.New("the article is not a draft")

// visible restricts a query to the posts readers may see at now. Static
// pages are never listed (home, archives, feeds, tags, outbox, search) nor
// federated; ListVisiblePages lists them.
func visible(db *gorm.DB, now time.Time) *gorm.DB {
	return visibleKinds(db, now).Where("articles.kind <> ?", ArticlePage)
}

func visibleKinds(db *gorm.DB, now time.Time) *gorm.DB {
	return db.Where("articles.status = ? AND articles.published_at <= ? AND articles.deleted_at IS NULL", StatusPublished, now)
}

// IsPage reports a static page (About, Contact), as opposed to a post.
func (a *Article) IsPage() bool { return a.Kind == ArticlePage }

// IsVisible reports whether readers may see the article at now.
func (a *Article) IsVisible(now time.Time) bool {
	return a.Status == StatusPublished && a.DeletedAt == nil && a.PublishedAt != nil && !a.PublishedAt.After(now)
}

// IsScheduled reports a published article whose date is still to come.
func (a *Article) IsScheduled(now time.Time) bool {
	return a.Status == StatusPublished && a.PublishedAt != nil && a.PublishedAt.After(now)
}

// Permalink is the article's path, /2012/11/slug/, or a page's /slug/.
func (a *Article) Permalink() string {
	if a.IsPage() {
		return "/" + a.Slug + "/"
	}
	t := a.CreatedAt
	if a.PublishedAt != nil {
		t = *a.PublishedAt
	}
	t = t.UTC()
	return fmt.Sprintf("/%04d/%02d/%s/", t.Year(), int(t.Month()), a.Slug)
}

// ArticleInput is what the editor, `fedpress post` and the importer save.
type ArticleInput struct {
	Title, Slug, Summary, Markdown, HTML, Format, Status, Language string
	PublishedAt                                                    *time.Time
	AuthorID                                                       uint
	Tags                                                           []string // names
	MediaIDs                                                       []uint
	Pinned, Imported                                               bool
	WPPostID                                                       int
	Kind                                                           string // ArticlePost or ArticlePage; "" is a post, or on update the kind as it was
	// EditorID is the account saving: recorded as the last editor and in
	// the article's edits. 0 (imports) records nobody.
	EditorID uint
	// Autosave marks the editor's automatic save of a draft: a run of them
	// by one account keeps one revision, the version before the first.
	Autosave bool
	// FileKey, when set, ties the article to the Markdown file that
	// `fedpress post` saves it from; empty leaves the current key.
	FileKey string
	// FeaturedMediaID, when not nil, sets the article's featured image (0:
	// the first image); nil leaves it as it is (the CLI and imports).
	FeaturedMediaID *uint
}

// SaveArticle creates (a.ID == 0) or updates an article with its tags and
// media in one transaction. The slug must be unique (see SlugTakenBy).
// When a published article's permalink changes, the old one keeps
// redirecting to it (see keepPermalinks). Every update keeps the version it
// replaces as a revision, in the same transaction: this is the one place
// that does it, whoever saves (editor, autosave, restore, `fedpress post`).
func (s *Store) SaveArticle(ctx context.Context, id uint, in ArticleInput) (*Article, error) {
	var out Article
	err := s.Tx(ctx, func(tx *Store) error {
		a := Article{}
		var was permalinkState
		if id != 0 {
			q := tx.q(ctx).Preload("Tags")
			if tx.dialect == "postgres" {
				// Two saves at once: the second waits, and keeps the
				// first's version as its revision instead of losing it.
				q = q.Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "articles"}})
			}
			if err := q.First(&a, id).Error; err != nil {
				return notFound(err, fmt.Sprintf("load article %d", id))
			}
			if in.Autosave && a.Status != StatusDraft {
				return fmt.Errorf("autosave article %d: %w", id, ErrNotDraft)
			}
			was = permalinkStateOf(&a)
			if err := tx.keepRevision(ctx, &a, in); err != nil {
				return err
			}
			a.Tags = nil // replaced below; Save must not write the old ones back
		}
		a.Title, a.Slug, a.Summary, a.Markdown, a.HTML = in.Title, in.Slug, in.Summary, in.Markdown, in.HTML
		a.Format, a.Status, a.Language, a.PublishedAt = in.Format, in.Status, in.Language, in.PublishedAt
		a.AuthorID, a.Pinned, a.Imported, a.WPPostID = in.AuthorID, in.Pinned, in.Imported, in.WPPostID
		if in.FeaturedMediaID != nil {
			a.FeaturedMediaID = nil
			if *in.FeaturedMediaID != 0 {
				a.FeaturedMediaID = in.FeaturedMediaID
			}
		}
		if in.EditorID != 0 {
			a.LastEditedByID = &in.EditorID
		}
		if in.FileKey != "" {
			a.FileKey = &in.FileKey
		}
		if a.Format == "" {
			a.Format = "markdown"
		}
		// An update that names no kind (`fedpress post`, imports) keeps
		// the stored one: a page stays a page.
		if in.Kind != "" || id == 0 {
			a.Kind = in.Kind
		}
		if a.Kind != ArticlePage {
			a.Kind = ArticlePost
		}
		if err := tx.q(ctx).Omit("Author", "Tags", "Media").Save(&a).Error; err != nil {
			if IsDuplicate(err) {
				return fmt.Errorf("save article: slug %q already used: %w", a.Slug, err)
			}
			return fmt.Errorf("save article %q: %w", a.Slug, err)
		}
		if err := tx.keepPermalinks(ctx, &a, was); err != nil {
			return err
		}
		switch {
		case id == 0:
			if err := tx.recordEdit(ctx, a.ID, in.EditorID, EditCreated); err != nil {
				return err
			}
		case in.Autosave:
			if err := tx.recordAutosave(ctx, a.ID, in.EditorID); err != nil {
				return err
			}
		default:
			if err := tx.recordEdit(ctx, a.ID, in.EditorID, EditUpdated); err != nil {
				return err
			}
		}
		if in.EditorID != 0 && !in.Autosave {
			if err := tx.dropAutosaves(ctx, a.ID, in.EditorID); err != nil {
				return err
			}
		}
		tags, err := tx.ensureTags(ctx, in.Tags)
		if err != nil {
			return err
		}
		if err := tx.q(ctx).Model(&a).Association("Tags").Replace(tags); err != nil {
			return fmt.Errorf("set tags of article %d: %w", a.ID, err)
		}
		if err := tx.indexArticle(ctx, &a, tags); err != nil {
			return err
		}
		var media []Media
		if len(in.MediaIDs) > 0 {
			if err := tx.q(ctx).Where("id IN ?", in.MediaIDs).Find(&media).Error; err != nil {
				return fmt.Errorf("load media of article %d: %w", a.ID, err)
			}
		}
		if err := tx.q(ctx).Model(&a).Association("Media").Replace(media); err != nil {
			return fmt.Errorf("set media of article %d: %w", a.ID, err)
		}
		out = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.ArticleByID(ctx, out.ID)
}

func (s *Store) ensureTags(ctx context.Context, names []string) ([]Tag, error) {
	var tags []Tag
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		slug := TagSlug(n)
		if n == "" || slug == "" || seen[slug] {
			continue
		}
		seen[slug] = true
		t := Tag{Name: n, Slug: slug}
		if err := s.q(ctx).Where(Tag{Slug: slug}).Attrs(Tag{Name: n}).FirstOrCreate(&t).Error; err != nil {
			return nil, fmt.Errorf("tag %q: %w", n, err)
		}
		tags = append(tags, t)
	}
	return tags, nil
}

// TagSlug makes a URL-safe tag slug, keeping Unicode letters (tags are often
// in the blog's language) but no spaces or punctuation.
func TagSlug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r):
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	return strings.Trim(b.String(), "-")
}

func (s *Store) withRelations(ctx context.Context) *gorm.DB {
	return s.q(ctx).Preload("Author").Preload("Tags", func(db *gorm.DB) *gorm.DB { return db.Order("tags.name") }).Preload("Media")
}

// ArticleByID loads an article with its author, tags and media.
func (s *Store) ArticleByID(ctx context.Context, id uint) (*Article, error) {
	var a Article
	if err := s.withRelations(ctx).First(&a, id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load article %d", id))
	}
	return &a, nil
}

// ArticleBySlug loads an article by slug, whatever its status.
func (s *Store) ArticleBySlug(ctx context.Context, slug string) (*Article, error) {
	var a Article
	if err := s.withRelations(ctx).Where("slug = ?", slug).First(&a).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load article %q", slug))
	}
	return &a, nil
}

// SlugTakenBy returns the article other than exceptID that uses slug,
// deleted ones included, or nil when the slug is free.
func (s *Store) SlugTakenBy(ctx context.Context, slug string, exceptID uint) (*Article, error) {
	var as []Article
	if err := s.q(ctx).Where("slug = ? AND id <> ?", slug, exceptID).Limit(1).Find(&as).Error; err != nil {
		return nil, fmt.Errorf("check slug %q: %w", slug, err)
	}
	if len(as) == 0 {
		return nil, nil
	}
	return &as[0], nil
}

// ArticleByFileKey loads the article `fedpress post` saved from the file
// whose front matter holds key, deleted ones included.
func (s *Store) ArticleByFileKey(ctx context.Context, key string) (*Article, error) {
	var a Article
	if err := s.withRelations(ctx).Where("file_key = ?", key).First(&a).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load article of file id %q", key))
	}
	return &a, nil
}

// UniqueSlug returns base, or base-2, base-3… so that no other article than
// exceptID uses it. The importer uses it; people choosing a slug are told
// when it is taken instead (SlugTakenBy).
func (s *Store) UniqueSlug(ctx context.Context, base string, exceptID uint) (string, error) {
	for i := 1; i < 1000; i++ {
		cand := base
		if i > 1 {
			cand = base + "-" + strconv.Itoa(i)
		}
		var n int64
		if err := s.q(ctx).Model(&Article{}).Where("slug = ? AND id <> ?", cand, exceptID).Count(&n).Error; err != nil {
			return "", fmt.Errorf("check slug %q: %w", cand, err)
		}
		if n == 0 {
			return cand, nil
		}
	}
	return "", fmt.Errorf("no free slug for %q", base)
}

// ArticleQuery selects visible articles for listings.
type ArticleQuery struct {
	Now      time.Time
	Page     int // 1-based
	PerPage  int
	From, To time.Time // optional published_at range [From, To)
	TagSlug  string
	AuthorID uint
	Pinned   bool
}

// ListVisible returns one page of visible articles, newest first, and the total.
func (s *Store) ListVisible(ctx context.Context, q ArticleQuery) ([]Article, int64, error) {
	db := visible(s.q(ctx).Model(&Article{}), q.Now)
	if !q.From.IsZero() {
		db = db.Where("articles.published_at >= ?", q.From)
	}
	if !q.To.IsZero() {
		db = db.Where("articles.published_at < ?", q.To)
	}
	if q.AuthorID != 0 {
		db = db.Where("articles.author_id = ?", q.AuthorID)
	}
	if q.Pinned {
		db = db.Where("articles.pinned = ?", true)
	}
	if q.TagSlug != "" {
		db = db.Where("articles.id IN (SELECT article_tags.article_id FROM article_tags JOIN tags ON tags.id = article_tags.tag_id WHERE tags.slug = ?)", q.TagSlug)
	}
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count articles: %w", err)
	}
	if q.PerPage <= 0 {
		q.PerPage = DefaultPostsPerPage
	}
	if q.Page < 1 {
		q.Page = 1
	}
	var as []Article
	err := db.Preload("Author").Preload("Tags").Preload("Media").
		Order("articles.published_at DESC, articles.id DESC").
		Limit(q.PerPage).Offset((q.Page - 1) * q.PerPage).Find(&as).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list articles: %w", err)
	}
	return as, total, nil
}

// ListAllArticles is the admin list: every article not deleted, newest first.
func (s *Store) ListAllArticles(ctx context.Context, authorID uint) ([]Article, error) {
	var as []Article
	db := s.q(ctx).Preload("Author").Where("deleted_at IS NULL")
	if authorID != 0 {
		db = db.Where("author_id = ?", authorID)
	}
	if err := db.Order("COALESCE(published_at, created_at) DESC, id DESC").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("list all articles: %w", err)
	}
	return as, nil
}

// ListVisiblePages returns the pages readers can see at now, by title
// (the default menu, sitemap.xml).
func (s *Store) ListVisiblePages(ctx context.Context, now time.Time) ([]Article, error) {
	var as []Article
	err := visibleKinds(s.q(ctx).Model(&Article{}), now).Where("articles.kind = ?", ArticlePage).
		Select("id, slug, title, kind, published_at, updated_at, created_at").
		Order("title, id").Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("list pages: %w", err)
	}
	return as, nil
}

// MonthCount is one line of the archive sidebar.
type MonthCount struct {
	Year, Month int
	Count       int
}

// Time is the first instant of the month, for formatting.
func (m MonthCount) Time() time.Time {
	return time.Date(m.Year, time.Month(m.Month), 1, 0, 0, 0, 0, time.UTC)
}

// MonthArchive counts visible articles per month, newest month first.
func (s *Store) MonthArchive(ctx context.Context, now time.Time) ([]MonthCount, error) {
	var dates []time.Time
	if err := visible(s.q(ctx).Model(&Article{}), now).Order("published_at DESC").Pluck("published_at", &dates).Error; err != nil {
		return nil, fmt.Errorf("month archive: %w", err)
	}
	// Grouping in Go keeps one query for SQLite and PostgreSQL; the page cache
	// makes its cost irrelevant.
	var out []MonthCount
	for _, d := range dates {
		d = d.UTC()
		if n := len(out); n > 0 && out[n-1].Year == d.Year() && out[n-1].Month == int(d.Month()) {
			out[n-1].Count++
			continue
		}
		out = append(out, MonthCount{Year: d.Year(), Month: int(d.Month()), Count: 1})
	}
	return out, nil
}

// TagBySlug loads a tag.
func (s *Store) TagBySlug(ctx context.Context, slug string) (*Tag, error) {
	var t Tag
	if err := s.q(ctx).Where("slug = ?", slug).First(&t).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load tag %q", slug))
	}
	return &t, nil
}

// DeleteArticle marks an article deleted; its id then answers 410 Gone.
func (s *Store) DeleteArticle(ctx context.Context, id uint, now time.Time) error {
	return s.DeleteArticleBy(ctx, id, 0, now)
}

// DeleteArticleBy is DeleteArticle recording the account that deleted it.
func (s *Store) DeleteArticleBy(ctx context.Context, id, by uint, now time.Time) error {
	return s.Tx(ctx, func(tx *Store) error {
		res := tx.q(ctx).Model(&Article{}).Where("id = ? AND deleted_at IS NULL", id).
			Updates(map[string]any{"status": StatusDeleted, "deleted_at": now})
		if res.Error != nil {
			return fmt.Errorf("delete article %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("delete article %d: %w", id, ErrNotFound)
		}
		if err := tx.unindexArticle(ctx, id); err != nil {
			return err
		}
		return tx.recordEdit(ctx, id, by, EditDeleted)
	})
}

// DueForFederation lists published, visible, non-imported articles that have
// not been announced yet (scheduled ones whose time has come).
func (s *Store) DueForFederation(ctx context.Context, now time.Time) ([]Article, error) {
	var as []Article
	err := visible(s.withRelations(ctx).Model(&Article{}), now).
		Where("articles.federated_at IS NULL AND articles.imported = ?", false).
		Order("articles.published_at").Limit(100).Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("articles due for federation: %w", err)
	}
	return as, nil
}

// DueForRetraction lists announced articles that readers can no longer see
// as posts (back to draft, rescheduled, or turned into a page) and whose Delete was not queued: a process
// that stopped between the save and the retraction leaves them so.
func (s *Store) DueForRetraction(ctx context.Context, now time.Time) ([]Article, error) {
	var as []Article
	err := s.withRelations(ctx).Model(&Article{}).
		Where("articles.federated_at IS NOT NULL AND articles.deleted_at IS NULL AND articles.imported = ?", false).
		Where("(articles.status <> ? OR articles.published_at IS NULL OR articles.published_at > ? OR articles.kind = ?)", StatusPublished, now, ArticlePage).
		Order("articles.id").Limit(100).Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("articles due for retraction: %w", err)
	}
	return as, nil
}

// MarkFederated sets FederatedAt if still unset and reports whether this call
// did it, so that only one process announces an article.
func (s *Store) MarkFederated(ctx context.Context, id uint, at time.Time) (bool, error) {
	// UpdateColumn: federating is bookkeeping, not an edit; bumping
	// updated_at would mark the article edited ("updated" in its AS2 form)
	// and change the version in its Update activity ids.
	res := s.q(ctx).Model(&Article{}).Where("id = ? AND federated_at IS NULL", id).UpdateColumn("federated_at", at)
	if res.Error != nil {
		return false, fmt.Errorf("mark article %d federated: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// UnmarkFederated clears FederatedAt of an announced article that readers
// can no longer see at now (back to draft, rescheduled, or turned into a
// page), and reports whether this call did it: exactly one process
// retracts it, and once visible again it is announced anew. A concurrent
// republish wins.
func (s *Store) UnmarkFederated(ctx context.Context, id uint, now time.Time) (bool, error) {
	// UpdateColumn, as in MarkFederated: bookkeeping, not an edit.
	res := s.q(ctx).Model(&Article{}).
		Where("id = ? AND federated_at IS NOT NULL AND deleted_at IS NULL", id).
		Where("(status <> ? OR published_at IS NULL OR published_at > ? OR kind = ?)", StatusPublished, now, ArticlePage).
		UpdateColumn("federated_at", nil)
	if res.Error != nil {
		return false, fmt.Errorf("unmark article %d federated: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// CancelArticleActivities cancels queued deliveries of an article's own
// activities of the given kinds that no worker holds. Unlike
// CancelArticleDeliveries it leaves the author's replies on the article
// alone: they stay due when the article is only withdrawn.
func (s *Store) CancelArticleActivities(ctx context.Context, articleID uint, kinds []string, reason string, at time.Time) (int64, error) {
	return s.cancelArticleRows(ctx, articleID, kinds, reason, at, true)
}

// ActivityQueued reports whether deliveries of activityID were ever queued,
// whatever became of them: queueing the same id again would add nothing.
func (s *Store) ActivityQueued(ctx context.Context, activityID string) (bool, error) {
	var ids []uint
	if err := s.q(ctx).Model(&Delivery{}).Where("activity_id = ?", activityID).Limit(1).Pluck("id", &ids).Error; err != nil {
		return false, fmt.Errorf("deliveries of %s: %w", activityID, err)
	}
	return len(ids) > 0, nil
}

// ListSitemap returns every visible article (id, slug, dates) for sitemap.xml.
func (s *Store) ListSitemap(ctx context.Context, now time.Time) ([]Article, error) {
	var as []Article
	if err := visible(s.q(ctx).Model(&Article{}), now).Select("id, slug, published_at, updated_at, created_at").
		Order("published_at DESC").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("sitemap articles: %w", err)
	}
	return as, nil
}

// CountVisible counts articles readers can see (NodeInfo usage).
func (s *Store) CountVisible(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	if err := visible(s.q(ctx).Model(&Article{}), now).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count articles: %w", err)
	}
	return n, nil
}

// ErrIsNotFound reports whether err wraps ErrNotFound.
func ErrIsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
