package models

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The WordPress importer (cmd/fedpress import-wxr) parses the export and
// does the HTML work; these methods only store plain values. The command
// runs them inside one Store.Tx so that a bad file imports nothing, and each
// one finds what an earlier run imported so that re-running changes nothing.

// ImportWXRAuthor returns the author with a.Username, creating it when the
// name is free. keys is only called for a new author (RSA generation is
// slow). created reports whether a row was inserted.
func (s *Store) ImportWXRAuthor(ctx context.Context, a Author, keys func() (priv, pub string, err error)) (*Author, bool, error) {
	existing, err := s.AuthorByUsername(ctx, a.Username)
	if err == nil {
		return existing, false, nil
	}
	if !ErrIsNotFound(err) {
		return nil, false, err
	}
	priv, pub, err := keys()
	if err != nil {
		return nil, false, fmt.Errorf("keys for author %q: %w", a.Username, err)
	}
	a.PrivateKeyPEM, a.PublicKeyPEM = priv, pub
	if a.PasswordHash == "" {
		a.PasswordHash = "!" // no password matches: the owner sets one later
	}
	if err := s.createAuthor(ctx, &a, false); err != nil {
		return nil, false, err
	}
	return &a, true, nil
}

// ImportWXRMedia returns the media row with m.Path, creating it from m when
// there is none. Paths are content hashes (local files) or derived from the
// remote URL, so the same attachment always maps to the same path. write,
// when not nil, stores the file (filling in what storing learnt: size,
// variants) and runs only for a new row, before it is inserted: a
// re-import touches no file.
func (s *Store) ImportWXRMedia(ctx context.Context, m Media, write func(*Media) error) (*Media, bool, error) {
	existing, err := s.MediaByPath(ctx, m.Path)
	if err == nil {
		return existing, false, nil
	}
	if !ErrIsNotFound(err) {
		return nil, false, err
	}
	if write != nil {
		if err := write(&m); err != nil {
			return nil, false, fmt.Errorf("store media %q: %w", m.Path, err)
		}
	}
	if err := s.CreateMedia(ctx, &m); err != nil {
		return nil, false, err
	}
	return &m, true, nil
}

// WXRPost is one WordPress post, converted: the article, the old URLs that
// should redirect to it, and its comments, pingbacks and trackbacks.
type WXRPost struct {
	// Article.WPPostID finds the post again on a later run; Article.Slug is
	// the wanted slug, made unique when the article is created.
	Article   ArticleInput
	Redirects []string // old paths, e.g. "/?p=123", "/2012/11/17/slug/"
	Comments  []WXRComment
}

// WXRComment is an interaction with its WordPress ids, so threads can be
// rebuilt. Interaction.ObjectURI must be set: it finds the row on re-import.
// ArticleID and ParentID are filled in by ImportWXRPost.
type WXRComment struct {
	WPID, WPParentID int
	Interaction      Interaction
}

// WXRPostResult tells what ImportWXRPost did.
type WXRPostResult struct {
	ArticleID uint
	Created   bool           // false: the article came from an earlier run and was left as it was
	Added     map[string]int // interactions created, by kind
	Skipped   map[string]int // interactions already there, by kind
	Redirects int            // legacy paths recorded
}

// ImportWXRPost creates the article unless an earlier import did (matched by
// WordPress post id, or by slug when the post has no id), then adds the
// comments and redirects that are missing. Existing rows are never changed.
func (s *Store) ImportWXRPost(ctx context.Context, p WXRPost) (WXRPostResult, error) {
	res := WXRPostResult{Added: map[string]int{}, Skipped: map[string]int{}}
	art, err := s.importedArticle(ctx, p.Article.WPPostID, p.Article.Slug)
	switch {
	case err == nil:
		res.ArticleID = art.ID
	case ErrIsNotFound(err):
		in := p.Article
		in.Imported = true
		if in.Slug, err = s.UniqueSlug(ctx, in.Slug, 0); err != nil {
			return res, err
		}
		a, err := s.SaveArticle(ctx, 0, in)
		if err != nil {
			return res, fmt.Errorf("import WordPress post %d: %w", in.WPPostID, err)
		}
		res.ArticleID, res.Created = a.ID, true
	default:
		return res, err
	}

	// WordPress exports comments by id, so a parent usually precedes its
	// replies; the rest get their parent once every id is known.
	ids := map[int]uint{}
	type orphan struct {
		id       uint
		wpParent int
	}
	var later []orphan
	for _, c := range p.Comments {
		in := c.Interaction
		if in.ObjectURI == nil || *in.ObjectURI == "" {
			return res, fmt.Errorf("import comment %d of WordPress post %d: no object URI", c.WPID, p.Article.WPPostID)
		}
		in.ArticleID, in.ParentID = res.ArticleID, nil
		parent, parentKnown := ids[c.WPParentID]
		if c.WPParentID != 0 && parentKnown {
			in.ParentID = &parent
		}
		created, err := s.CreateInteraction(ctx, &in)
		if err != nil {
			return res, fmt.Errorf("import comment %d of WordPress post %d: %w", c.WPID, p.Article.WPPostID, err)
		}
		ids[c.WPID] = in.ID
		if !created {
			res.Skipped[in.Kind]++
			continue
		}
		res.Added[in.Kind]++
		if c.WPParentID != 0 && !parentKnown {
			later = append(later, orphan{in.ID, c.WPParentID})
		}
	}
	for _, o := range later {
		parent, ok := ids[o.wpParent]
		if !ok {
			continue // answered a comment that is not in the file (a page's, or deleted)
		}
		if err := s.q(ctx).Model(&Interaction{}).Where("id = ?", o.id).Update("parent_id", parent).Error; err != nil {
			return res, fmt.Errorf("thread comment %d: %w", o.id, err)
		}
	}

	for _, path := range p.Redirects {
		if path == "" || len(path) > 500 {
			continue
		}
		// The first article to claim an old path keeps it.
		r := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&LegacyRedirect{Path: path, ArticleID: res.ArticleID})
		if r.Error != nil {
			return res, fmt.Errorf("legacy redirect %q: %w", path, r.Error)
		}
		res.Redirects += int(r.RowsAffected)
	}
	return res, nil
}

// importedArticle finds an article of an earlier import, deleted ones
// included so that a re-import does not bring back what the owner removed.
func (s *Store) importedArticle(ctx context.Context, wpID int, slug string) (*Article, error) {
	db := s.q(ctx).Where("imported = ?", true)
	if wpID > 0 {
		db = db.Where("wp_post_id = ?", wpID)
	} else {
		db = db.Where("slug = ? AND wp_post_id = 0", slug)
	}
	var a Article
	if err := db.Order("id").First(&a).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("imported article %d %q: %w", wpID, slug, ErrNotFound)
		}
		return nil, fmt.Errorf("imported article %d %q: %w", wpID, slug, err)
	}
	return &a, nil
}

// WXRUsername makes a fedpress username (a-z, 0-9, _; at most 30) from a
// WordPress login: "J.Tanaka" → "j_tanaka". A reserved name ("admin", the
// usual WordPress login) gets a "_wp" suffix; an empty one becomes
// "wp_author".
func WXRUsername(login, blogUsername string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(login)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	u := strings.Trim(b.String(), "_")
	if len(u) > 27 {
		u = strings.Trim(u[:27], "_")
	}
	if u == "" {
		u = "wp_author"
	}
	if ValidUsername(u, blogUsername) != nil {
		u += "_wp"
	}
	return u
}
