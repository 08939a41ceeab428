package models

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
)

// Full-text search over published articles: an FTS5 table on SQLite, a
// tsvector table with a GIN index on PostgreSQL, both named article_search
// and kept in step with articles by SaveArticle and DeleteArticleBy, in
// their transactions. Only published articles are indexed; queries also
// apply the reader's visibility (scheduled articles stay hidden until due).

// HighlightStart and HighlightEnd surround matched words in SearchHit's
// Title and Excerpt. They are private-use characters, which indexed text
// never holds (searchText removes them), so the caller can escape the text
// and turn them into markup without ambiguity.
const (
	HighlightStart = "\uE000"
	HighlightEnd   = "\uE001"
)

// Search limits: a query is cut to these many terms, each to so many
// bytes, so that no query string costs more than a reasonable search.
const (
	maxSearchTerms    = 12
	maxSearchTermSize = 64
	maxSearchQuery    = 1024
)

// SearchQuery is a reader's search.
type SearchQuery struct {
	Text    string
	Now     time.Time
	Page    int // 1-based
	PerPage int
}

// SearchHit is one found article, best first.
type SearchHit struct {
	Article Article
	Title   string // the title with matches between HighlightStart and HighlightEnd
	Excerpt string // the best passage of the body, marked the same way
}

// SearchTerms turns what a reader typed into the words and "quoted
// phrases" searched for: every other character separates words, so that no
// input is ever read as FTS5 or tsquery syntax. Each term is a list of
// words (more than one for a phrase). Empty when nothing searchable is left.
func SearchTerms(text string) [][]string {
	if len(text) > maxSearchQuery {
		text = text[:maxSearchQuery]
	}
	var (
		terms  [][]string
		phrase []string
		inQ    bool
	)
	add := func(t []string) {
		if len(t) > 0 && len(terms) < maxSearchTerms {
			terms = append(terms, t)
		}
	}
	for _, part := range strings.Split(text, `"`) {
		words := searchWords(part)
		if inQ {
			phrase = append(phrase, words...)
			add(phrase)
			phrase = nil
		} else {
			for _, w := range words {
				add([]string{w})
			}
		}
		inQ = !inQ
	}
	return terms
}

// searchWords splits text into lower-case words of letters, digits and
// combining marks without diacritics, the same boundaries as SQLite's
// unicode61 tokenizer, so both databases see the same words.
func searchWords(text string) []string {
	words := strings.FieldsFunc(foldText(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for i, w := range words {
		for len(w) > maxSearchTermSize { // whole runes off the end
			_, n := utf8.DecodeLastRuneInString(w)
			w = w[:len(w)-n]
		}
		words[i] = w
	}
	return words
}

// foldText lower-cases text and removes diacritics (café → cafe), as
// unicode61 does on SQLite; PostgreSQL's simple configuration does not.
func foldText(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// searchText is the text of an article's body for the index and excerpts:
// what a reader sees, without tags or markup. The HTML is our own rendered
// and sanitized article, so words and a space at every tag are enough
// (models imports nothing of ours, so web's fuller PlainText is not used).
func searchText(body string) string {
	z := html.NewTokenizer(strings.NewReader(body))
	var b strings.Builder
	skip := 0 // inside script or style
	for {
		switch z.Next() {
		case html.ErrorToken:
			return stripHighlightMarks(strings.Join(strings.Fields(b.String()), " "))
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken:
			name, _ := z.TagName()
			if a := atom.Lookup(name); a == atom.Script || a == atom.Style {
				if z.Token().Type == html.StartTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
			}
			b.WriteByte(' ')
		}
	}
}

func stripHighlightMarks(s string) string {
	return strings.NewReplacer(HighlightStart, "", HighlightEnd, "").Replace(s)
}

// searchDoc is what the index holds for one article. The publication date
// is kept beside the text so that a search needs no join with articles,
// whose rows are long (only published, undeleted articles are indexed; the
// date hides the scheduled ones until due). On SQLite it is in a table of
// its own, article_search_dates: FTS5 reads a whole row, body included, to
// give one column, which made a search matching 800 articles take 30 ms
// instead of 2.
type searchDoc struct {
	id                uint
	publishedAt       time.Time
	title, body, tags string
}

func searchDocOf(a *Article, tags []Tag) searchDoc {
	names := make([]string, 0, len(tags))
	for _, t := range tags {
		names = append(names, t.Name)
	}
	d := searchDoc{
		id: a.ID, title: stripHighlightMarks(a.Title), body: searchText(a.HTML),
		tags: stripHighlightMarks(strings.Join(names, ", ")),
	}
	if a.PublishedAt != nil {
		d.publishedAt = a.PublishedAt.UTC()
	}
	return d
}

// indexArticle puts a saved article in the search index, or takes it out
// when readers are not meant to find it (draft, deleted).
func (s *Store) indexArticle(ctx context.Context, a *Article, tags []Tag) error {
	if err := s.unindexArticle(ctx, a.ID); err != nil {
		return err
	}
	if a.Status != StatusPublished || a.DeletedAt != nil || a.PublishedAt == nil {
		return nil
	}
	return insertSearchDoc(s.q(ctx), s.dialect, searchDocOf(a, tags))
}

// unindexArticle takes an article out of the search index.
func (s *Store) unindexArticle(ctx context.Context, id uint) error {
	col := "article_id"
	if s.dialect == "sqlite" {
		col = "rowid"
	}
	if err := s.q(ctx).Exec("DELETE FROM article_search WHERE "+col+" = ?", id).Error; err != nil {
		return fmt.Errorf("unindex article %d: %w", id, err)
	}
	if s.dialect == "sqlite" {
		if err := s.q(ctx).Exec("DELETE FROM article_search_dates WHERE article_id = ?", id).Error; err != nil {
			return fmt.Errorf("unindex article %d: %w", id, err)
		}
	}
	return nil
}

func insertSearchDoc(db *gorm.DB, dialect string, d searchDoc) error {
	var err error
	if dialect == "sqlite" {
		err = db.Exec("INSERT INTO article_search (rowid, title, body, tags) VALUES (?, ?, ?, ?)",
			d.id, d.title, d.body, d.tags).Error
		if err == nil {
			err = db.Exec("INSERT INTO article_search_dates (article_id, published_at) VALUES (?, ?)", d.id, d.publishedAt).Error
		}
	} else {
		// The vector is built from searchWords, not PostgreSQL's parser, so
		// words split as on SQLite (example.com is two words on both).
		words := func(s string) string { return strings.Join(searchWords(s), " ") }
		err = db.Exec(`INSERT INTO article_search (article_id, published_at, title, body, tags, document) VALUES (?, ?, ?, ?, ?,
			setweight(to_tsvector('simple', ?), 'A') || setweight(to_tsvector('simple', ?), 'B') || setweight(to_tsvector('simple', ?), 'C'))`,
			d.id, d.publishedAt, d.title, d.body, d.tags, words(d.title), words(d.tags), words(d.body)).Error
	}
	if err != nil {
		return fmt.Errorf("index article %d: %w", d.id, err)
	}
	return nil
}

// migrateSearch (v12) creates the search index and fills it with every
// published article.
func migrateSearch(tx *gorm.DB) error {
	dialect := tx.Dialector.Name()
	var stmts []string
	if dialect == "sqlite" {
		// rowid is the article id. unicode61 folds case and diacritics.
		stmts = []string{
			`CREATE VIRTUAL TABLE IF NOT EXISTS article_search USING fts5(title, body, tags, tokenize = 'unicode61 remove_diacritics 2')`,
			`CREATE TABLE IF NOT EXISTS article_search_dates (article_id INTEGER PRIMARY KEY, published_at DATETIME NOT NULL)`,
			"DELETE FROM article_search_dates",
		}
	} else {
		stmts = []string{
			`CREATE TABLE IF NOT EXISTS article_search (
				article_id bigint PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
				published_at timestamptz NOT NULL,
				title text NOT NULL, body text NOT NULL, tags text NOT NULL,
				document tsvector NOT NULL)`,
			`CREATE INDEX IF NOT EXISTS article_search_document ON article_search USING GIN (document)`,
		}
	}
	// Filled from scratch, so that running again (a restored database, a
	// schema_migrations row lost) leaves one entry per article.
	stmts = append(stmts, "DELETE FROM article_search")
	for _, st := range stmts {
		if err := tx.Exec(st).Error; err != nil {
			return fmt.Errorf("create search index: %w", err)
		}
	}
	var last uint
	for {
		var batch []Article
		err := tx.Preload("Tags").Where("id > ? AND status = ? AND deleted_at IS NULL AND published_at IS NOT NULL", last, StatusPublished).
			Order("id").Limit(200).Find(&batch).Error
		if err != nil {
			return fmt.Errorf("articles to index after %d: %w", last, err)
		}
		for i := range batch {
			if err := insertSearchDoc(tx, dialect, searchDocOf(&batch[i], batch[i].Tags)); err != nil {
				return err
			}
			last = batch[i].ID
		}
		if len(batch) < 200 {
			return nil
		}
	}
}

// searchRow is one ranked match before its article is loaded.
type searchRow struct {
	ID      uint
	Title   string
	Excerpt string
}

// SearchArticles finds visible articles matching q.Text: title matches
// rank above tag matches, which rank above body matches. It returns one
// page of hits and the number of matching articles. A query with no
// searchable words finds nothing (not an error).
func (s *Store) SearchArticles(ctx context.Context, q SearchQuery) ([]SearchHit, int64, error) {
	terms := SearchTerms(q.Text)
	if len(terms) == 0 {
		return nil, 0, nil
	}
	if q.PerPage <= 0 {
		q.PerPage = DefaultPostsPerPage
	}
	if q.Page < 1 {
		q.Page = 1
	}
	// Every term is quoted: inside quotes FTS5 and websearch_to_tsquery read
	// words, never operators (AND, OR, NEAR, -, *).
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + strings.Join(t, " ") + `"`
	}
	match := strings.Join(quoted, " ")
	var (
		total int64
		rows  []searchRow
		err   error
	)
	db := s.q(ctx)
	now := q.Now.UTC()
	offset := (q.Page - 1) * q.PerPage
	if s.dialect == "sqlite" {
		// CROSS JOIN keeps the match as the outer loop.
		where := `FROM article_search CROSS JOIN article_search_dates AS d ON d.article_id = article_search.rowid
			WHERE article_search MATCH ? AND d.published_at <= ?`
		err = db.Raw(`SELECT COUNT(*) `+where, match, now).Scan(&total).Error
		if err == nil && total > 0 {
			// bm25 weights: title 10, body 1, tags 5; lower is better.
			var ids []uint
			err = db.Raw(`SELECT d.article_id `+where+`
				ORDER BY bm25(article_search, 10.0, 1.0, 5.0), d.published_at DESC, d.article_id DESC
				LIMIT ? OFFSET ?`, match, now, q.PerPage, offset).Scan(&ids).Error
			if err == nil && len(ids) > 0 {
				// Marks for the page's rows only: in one query SQLite would
				// make them for every match before sorting.
				var marked []searchRow
				err = db.Raw(`SELECT rowid AS id, highlight(article_search, 0, ?, ?) AS title,
					snippet(article_search, 1, ?, ?, '…', 40) AS excerpt
					FROM article_search WHERE article_search MATCH ? AND rowid IN ?`,
					HighlightStart, HighlightEnd, HighlightStart, HighlightEnd, match, ids).Scan(&marked).Error
				byID := make(map[uint]searchRow, len(marked))
				for _, r := range marked {
					byID[r.ID] = r
				}
				for _, id := range ids {
					if r, ok := byID[id]; ok {
						rows = append(rows, r)
					}
				}
			}
		}
	} else {
		err = db.Raw(`SELECT COUNT(*) FROM article_search
			WHERE document @@ websearch_to_tsquery('simple', ?) AND published_at <= ?`, match, now).Scan(&total).Error
		if err == nil && total > 0 {
			// Weights D, C (body), B (tags), A (title). Headlines are made
			// for the page's rows only: ts_headline reads the whole text.
			opts := "StartSel=" + HighlightStart + ", StopSel=" + HighlightEnd
			err = db.Raw(`SELECT m.article_id AS id,
				ts_headline('simple', m.title, m.query, ?) AS title,
				ts_headline('simple', m.body, m.query, ?) AS excerpt
				FROM (SELECT article_id, title, body, query, published_at,
					ts_rank('{0.1, 0.2, 0.5, 1.0}', document, query) AS rank
					FROM article_search, websearch_to_tsquery('simple', ?) AS query
					WHERE document @@ query AND published_at <= ?
					ORDER BY rank DESC, published_at DESC, article_id DESC
					LIMIT ? OFFSET ?) AS m
				ORDER BY m.rank DESC, m.published_at DESC, m.article_id DESC`,
				opts+", HighlightAll=true",
				opts+`, MinWords=25, MaxWords=40, MaxFragments=2, FragmentDelimiter=" … "`,
				match, now, q.PerPage, offset).Scan(&rows).Error
		}
	}
	if err != nil {
		return nil, 0, fmt.Errorf("search %q: %w", match, err)
	}
	if len(rows) == 0 {
		return nil, total, nil
	}
	ids := make([]uint, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var arts []Article
	if err := s.withRelations(ctx).Where("id IN ?", ids).Find(&arts).Error; err != nil {
		return nil, 0, fmt.Errorf("load found articles: %w", err)
	}
	byID := make(map[uint]*Article, len(arts))
	for i := range arts {
		byID[arts[i].ID] = &arts[i]
	}
	hits := make([]SearchHit, 0, len(rows))
	for _, r := range rows {
		// The index follows every save; checking again costs nothing.
		if a, ok := byID[r.ID]; ok && a.IsVisible(q.Now) {
			hits = append(hits, SearchHit{Article: *a, Title: r.Title, Excerpt: r.Excerpt})
		}
	}
	return hits, total, nil
}
