package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// WordPress addresses that readers, search engines and feed readers of a
// migrated blog still use. Each answers a permanent redirect to the page
// or feed that replaces it (feed readers follow 301 and update the
// subscription).

// wpFeedRedirect answers /feed/, /feed/rss2/, /feed/atom/ and
// /comments/feed/ with the matching feed.
func (s *Server) wpFeedRedirect(c echo.Context) error {
	p := c.Request().URL.Path
	switch {
	case strings.HasPrefix(p, "/comments/"):
		return c.Redirect(http.StatusMovedPermanently, "/comments/feed.xml")
	case c.Param("kind") == "atom":
		return c.Redirect(http.StatusMovedPermanently, "/atom.xml")
	case c.Param("kind") == "", c.Param("kind") == "rss2", c.Param("kind") == "rss", c.Param("kind") == "rdf":
		return c.Redirect(http.StatusMovedPermanently, "/feed.xml")
	}
	return notFoundf("feed kind %q", c.Param("kind"))
}

// wpPageRedirect answers WordPress's pagination, /page/2/,
// /tag/name/page/2/ and /author/name/page/2/, with the listing's ?page=.
// "/page/2/?s=words" is a search's second page.
func (s *Server) wpPageRedirect(c echo.Context) error {
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 || n > 100000 {
		return notFoundf("page %q", c.Param("n"))
	}
	var target string
	switch {
	case c.Param("slug") != "":
		slug, err := url.PathUnescape(c.Param("slug"))
		if err != nil {
			return notFoundf("tag %q", c.Param("slug"))
		}
		target = "/tag/" + url.PathEscape(slug) + "/"
	case c.Param("name") != "":
		a, isBlog, err := s.wpAuthor(c)
		if err != nil {
			return err
		}
		target = profilePath(a.Username)
		if isBlog {
			target = "/"
		}
	case c.QueryParam("s") != "":
		target = "/search?q=" + url.QueryEscape(c.QueryParam("s"))
	default:
		target = "/"
	}
	if n > 1 {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + "page=" + strconv.Itoa(n)
	}
	return c.Redirect(http.StatusMovedPermanently, target)
}

// categoryRedirect answers /category/name/ (and a child category's
// /category/parent/child/, its /feed/ and /page/N/) with the tag the
// importer made of the category.
func (s *Server) categoryRedirect(c echo.Context) error {
	segs := strings.Split(strings.Trim(c.Param("*"), "/"), "/")
	suffix := ""
	switch n := len(segs); {
	case n >= 2 && segs[n-1] == "feed":
		segs, suffix = segs[:n-1], "feed/"
	case n >= 3 && segs[n-2] == "feed":
		segs, suffix = segs[:n-2], "feed/"
	case n >= 3 && segs[n-2] == "page":
		p, err := strconv.Atoi(segs[n-1])
		if err != nil || p < 1 || p > 100000 {
			return notFoundf("category page %q", segs[n-1])
		}
		segs = segs[:n-2]
		if p > 1 {
			suffix = "?page=" + strconv.Itoa(p)
		}
	}
	raw := segs[len(segs)-1]
	name, err := url.PathUnescape(raw)
	if err != nil || name == "" {
		return notFoundf("category %q", raw)
	}
	tag, err := s.tagByWPSlug(c, name)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusMovedPermanently, "/tag/"+url.PathEscape(tag.Slug)+"/"+suffix)
}

// tagByWPSlug finds the tag for a WordPress category or tag slug: the same
// slug, or the slug fedpress makes of that name.
func (s *Server) tagByWPSlug(c echo.Context, slug string) (*models.Tag, error) {
	ctx := c.Request().Context()
	tag, err := s.Store.TagBySlug(ctx, slug)
	if isNotFound(err) {
		if alt := models.TagSlug(slug); alt != "" && alt != slug {
			return s.Store.TagBySlug(ctx, alt)
		}
	}
	return tag, err
}

// authorRedirect answers /author/name/ with the author's profile page.
func (s *Server) authorRedirect(c echo.Context) error {
	a, _, err := s.wpAuthor(c)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusMovedPermanently, profilePath(a.Username))
}

// wpAuthor resolves the :name of a WordPress author address: a username,
// or a WordPress login as the importer turned it into one ("J.Tanaka" →
// j_tanaka, "admin" → admin_wp; see models.WXRUsername). isBlog is the blog actor's name; then a
// carries only the username.
func (s *Server) wpAuthor(c echo.Context) (a *models.Author, isBlog bool, err error) {
	ctx := c.Request().Context()
	name, err := url.PathUnescape(c.Param("name"))
	if err != nil {
		return nil, false, notFoundf("author %q", c.Param("name"))
	}
	st, err := s.Store.GetSettings(ctx)
	if err != nil {
		return nil, false, err
	}
	for _, cand := range []string{strings.ToLower(name), models.WXRUsername(name, st.BlogUsername)} {
		if cand == st.BlogUsername {
			return &models.Author{Username: cand}, true, nil
		}
		a, err := s.Store.AuthorByUsername(ctx, cand)
		if err == nil {
			return a, false, nil
		}
		if !isNotFound(err) {
			return nil, false, err
		}
	}
	return nil, false, notFoundf("author %q", name)
}

// wpQueryTarget is where a WordPress query-string address on the home page
// now lives ("/?s=words", "/?feed=rss2", "/?paged=2", "/?tag=name"), or
// "" when the query is none of them.
func wpQueryTarget(c echo.Context) string {
	q := c.Request().URL.Query()
	page := ""
	if n, err := strconv.Atoi(q.Get("paged")); err == nil && n > 1 && n <= 100000 {
		page = "page=" + strconv.Itoa(n)
	}
	with := func(target string) string {
		if page == "" {
			return target
		}
		if strings.Contains(target, "?") {
			return target + "&" + page
		}
		return target + "?" + page
	}
	switch {
	case q.Has("s"):
		return with("/search?q=" + url.QueryEscape(q.Get("s")))
	case q.Get("feed") != "":
		if q.Get("feed") == "atom" {
			return "/atom.xml"
		}
		if q.Get("feed") == "comments-rss2" {
			return "/comments/feed.xml"
		}
		return "/feed.xml"
	case q.Get("tag") != "":
		return with("/tag/" + url.PathEscape(q.Get("tag")) + "/")
	case q.Get("paged") != "":
		return with("/")
	}
	return ""
}
