package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// View structs shared by the reader-facing pages (home, archives, tag and
// profile listings). Templates get plain, already-decided values: which
// link is safe, which avatar to show, so they stay free of logic.

// excerptWords is the listing excerpt length, as WordPress's default.
const excerptWords = 55

// listItem is one article in a listing.
type listItem struct {
	ID         uint
	Title      string
	Permalink  string
	Excerpt    string
	Published  time.Time
	AuthorName string
	AuthorURL  string
	ThumbSrc   string
	ThumbAlt   string
	Comments   int64
	Tags       []models.Tag

	// The featured image's resized copies and size, when it is ours.
	ThumbSrcset             string
	ThumbWidth, ThumbHeight int
}

// listView is a paginated list of articles.
type listView struct {
	Heading  string // "Monthly Archives: November 2012"; empty on the home page
	Items    []listItem
	Page     int
	Pages    int
	Total    int64
	NewerURL string // rel=prev, empty on the first page
	OlderURL string // rel=next, empty on the last page
}

// errBadPage is a ?page= that is not a positive number.
var errBadPage = fmt.Errorf("bad page number: %w", models.ErrNotFound)

// pageParam reads ?page=N (default 1); anything else than a positive
// number is a page that does not exist.
func pageParam(c echo.Context) (int, error) {
	v := c.QueryParam("page")
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100000 {
		return 0, errBadPage
	}
	return n, nil
}

// loadList loads one page of visible articles matching q; basePath is the
// listing's own path, for the pagination links. A page past the end is
// ErrNotFound; an empty first page is not (the caller decides).
func (s *Server) loadList(c echo.Context, q models.ArticleQuery, basePath string) (*listView, error) {
	ctx := c.Request().Context()
	if q.PerPage <= 0 {
		st, err := s.Store.GetSettings(ctx)
		if err != nil {
			return nil, fmt.Errorf("list settings: %w", err)
		}
		q.PerPage = st.PostsPerPage
		if q.PerPage <= 0 {
			q.PerPage = models.DefaultPostsPerPage
		}
	}
	q.Now = s.Now()
	arts, total, err := s.Store.ListVisible(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list %s page %d: %w", basePath, q.Page, err)
	}
	pages := int((total + int64(q.PerPage) - 1) / int64(q.PerPage))
	if q.Page > 1 && q.Page > pages {
		return nil, fmt.Errorf("list %s: page %d of %d: %w", basePath, q.Page, pages, models.ErrNotFound)
	}
	ids := make([]uint, len(arts))
	for i := range arts {
		ids[i] = arts[i].ID
	}
	counts, err := s.Store.CommentCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	v := &listView{Page: q.Page, Pages: pages, Total: total}
	for i := range arts {
		v.Items = append(v.Items, s.listItemOf(&arts[i], counts[arts[i].ID]))
	}
	pageURL := func(n int) string {
		if n <= 1 {
			return basePath
		}
		return basePath + "?page=" + strconv.Itoa(n)
	}
	if q.Page > 1 {
		v.NewerURL = pageURL(q.Page - 1)
	}
	if q.Page < pages {
		v.OlderURL = pageURL(q.Page + 1)
	}
	return v, nil
}

func (s *Server) listItemOf(a *models.Article, comments int64) listItem {
	it := listItem{
		ID: a.ID, Title: a.Title, Permalink: a.Permalink(), Comments: comments, Tags: a.Tags,
		AuthorName: a.Author.Name, AuthorURL: profilePath(a.Author.Username),
		Excerpt: articleExcerpt(a, excerptWords),
	}
	if a.PublishedAt != nil {
		it.Published = *a.PublishedAt
	}
	it.ThumbSrc, it.ThumbAlt = web.FirstImage(a.HTML)
	if f := featuredImage(a); f != nil {
		it.ThumbSrc, it.ThumbAlt = f.Src, f.Alt
		it.ThumbSrcset, it.ThumbWidth, it.ThumbHeight = f.Srcset, f.Width, f.Height
	}
	return it
}

// featuredView is an article's featured image as pages show it.
type featuredView struct {
	Src, Alt, Srcset string
	Width, Height    int // 0 when unknown (an imported remote image)
}

// featuredImage is the article's featured image (see
// models.Article.FeaturedMedia), nil when it shows none of its media.
func featuredImage(a *models.Article) *featuredView {
	first, firstAlt := web.FirstImage(a.HTML)
	m := a.FeaturedMedia(first)
	if m == nil {
		return nil
	}
	f := &featuredView{Src: m.RemoteURL, Alt: m.Alt, Width: m.Width, Height: m.Height}
	if f.Src == "" {
		f.Src = web.MediaPrefix + m.Path
		f.Srcset = web.Srcset(f.Src, m.Width, mediaImage(*m).Variants)
	}
	if f.Alt == "" && strings.HasSuffix(first, f.Src) {
		f.Alt = firstAlt
	}
	return f
}

// articleExcerpt is the author's summary, or the first words of the body.
func articleExcerpt(a *models.Article, words int) string {
	if s := strings.TrimSpace(a.Summary); s != "" {
		return s
	}
	return web.ArticleExcerpt(a.HTML, words)
}

// profilePath is the HTML profile of a local actor.
func profilePath(username string) string { return "/@" + username + "/" }

// renderList renders a listing page with rel=prev/next and a canonical URL
// that keeps the page number. An empty description uses the tagline; feeds
// are the listing's own feeds.
func (s *Server) renderList(c echo.Context, page, title, description string, v *listView, feeds ...FeedLink) error {
	p, err := s.newPage(c, title, v)
	if err != nil {
		return err
	}
	p.Feeds = feeds
	if description == "" {
		description = p.Site.Tagline
	}
	p.Description = description
	if v.Page > 1 {
		p.Canonical = s.Cfg.URLs.Abs(c.Request().URL.Path + "?page=" + strconv.Itoa(v.Page))
	}
	p.Meta["og:type"] = "website"
	p.Meta["og:title"] = pageTitle(p)
	p.Meta["og:url"] = p.Canonical
	p.Meta["og:site_name"] = p.Site.Title
	if description != "" {
		p.Meta["og:description"] = description
	}
	p.Meta["twitter:card"] = "summary"
	return s.render(c, http.StatusOK, page, p)
}

// pageTitle is the full <title> text the layout shows.
func pageTitle(p *Page) string {
	if p.Title == "" {
		return p.Site.Title
	}
	return p.Title + " – " + p.Site.Title
}

// absURL makes a root-relative URL absolute; absolute http(s) URLs pass,
// anything else is dropped.
func (s *Server) absURL(u string) string {
	if strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//") {
		return s.Cfg.URLs.Abs(u)
	}
	if v, ok := web.HTTPURL(u); ok {
		return v
	}
	return ""
}

// mediaURL is the path of a media file name, or "" for none.
func mediaURL(name string) string {
	if name == "" {
		return ""
	}
	return "/media/" + url.PathEscape(name)
}

// notFoundf wraps ErrNotFound with context, for the error handler's 404.
func notFoundf(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, models.ErrNotFound)...)
}
