package handlers

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// maxSearchLength bounds the query shown back to the reader; the store
// cuts what it searches for further.
const maxSearchLength = 200

// searchView is the search results page.
type searchView struct {
	Query    string
	Searched bool // the query held words to search for
	Items    []searchItem
	Page     int
	Pages    int
	Total    int64
	NewerURL string
	OlderURL string
}

// searchItem is a found article with its title and excerpt highlighted.
type searchItem struct {
	listItem
	TitleHTML   template.HTML
	ExcerptHTML template.HTML
}

// searchShow is /search?q=words: the visible articles whose title, text or
// tags hold every word, best match first, with the matches marked.
func (s *Server) searchShow(c echo.Context) error {
	query := strings.TrimSpace(strings.ToValidUTF8(c.QueryParam("q"), ""))
	if len(query) > maxSearchLength {
		query = strings.ToValidUTF8(query[:maxSearchLength], "")
	}
	page, err := pageParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	st, err := s.Store.GetSettings(ctx)
	if err != nil {
		return fmt.Errorf("search settings: %w", err)
	}
	per := st.PostsPerPage
	if per <= 0 {
		per = models.DefaultPostsPerPage
	}
	v := &searchView{Query: query, Page: page, Searched: len(models.SearchTerms(query)) > 0}
	if v.Searched {
		hits, total, err := s.Store.SearchArticles(ctx, models.SearchQuery{Text: query, Now: s.Now(), Page: page, PerPage: per})
		if err != nil {
			return err
		}
		v.Total = total
		v.Pages = int((total + int64(per) - 1) / int64(per))
		ids := make([]uint, len(hits))
		for i := range hits {
			ids[i] = hits[i].Article.ID
		}
		counts, err := s.Store.CommentCounts(ctx, ids)
		if err != nil {
			return err
		}
		for i := range hits {
			h := &hits[i]
			v.Items = append(v.Items, searchItem{
				listItem:    s.listItemOf(&h.Article, counts[h.Article.ID]),
				TitleHTML:   web.Highlight(h.Title, models.HighlightStart, models.HighlightEnd),
				ExcerptHTML: web.Highlight(h.Excerpt, models.HighlightStart, models.HighlightEnd),
			})
		}
	}
	if page > 1 && page > v.Pages {
		return notFoundf("search %q: page %d of %d", query, page, v.Pages)
	}
	pageURL := func(n int) string {
		u := "/search?q=" + url.QueryEscape(query)
		if n > 1 {
			u += "&page=" + strconv.Itoa(n)
		}
		return u
	}
	if page > 1 {
		v.NewerURL = pageURL(page - 1)
	}
	if page < v.Pages {
		v.OlderURL = pageURL(page + 1)
	}
	title := "Search"
	if query != "" {
		title = "Search results for “" + query + "”"
	}
	if page > 1 {
		title += ", page " + strconv.Itoa(page)
	}
	p, err := s.newPage(c, title, v)
	if err != nil {
		return err
	}
	p.Canonical = s.Cfg.URLs.Abs(pageURL(page))
	if query == "" {
		p.Canonical = s.Cfg.URLs.Abs("/search")
	}
	p.Description = "Search the articles of " + st.Title + "."
	return s.render(c, http.StatusOK, "site/search", p)
}

// searchRedirect answers WordPress's search addresses, /search/words/
// and /?s=words, with the search page.
func (s *Server) searchRedirect(c echo.Context) error {
	q := c.QueryParam("s")
	if c.Param("q") != "" {
		var err error
		if q, err = url.PathUnescape(c.Param("q")); err != nil {
			return notFoundf("search path %q", c.Param("q"))
		}
		// WordPress writes spaces in /search/ paths as "+".
		q = strings.ReplaceAll(q, "+", " ")
	}
	return c.Redirect(http.StatusMovedPermanently, "/search?q="+url.QueryEscape(q))
}
