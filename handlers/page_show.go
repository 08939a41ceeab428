package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/web"
)

// pageOrLegacyShow answers a one-segment path /slug/ that is not a year: a
// static page (About, Contact) when one has that slug, else WordPress's
// /slug/ permalink shape redirecting to the post.
func (s *Server) pageOrLegacyShow(c echo.Context) error {
	slug := c.Param("year") // the route /:year/ is shared with year archives
	a, err := s.Store.ArticleBySlug(c.Request().Context(), slug)
	if err != nil && !isNotFound(err) {
		return err
	}
	if err != nil || !a.IsPage() {
		return s.legacyRedirect(c)
	}
	if a.DeletedAt != nil {
		return echo.NewHTTPError(http.StatusGone, "This page was deleted.")
	}
	if !a.IsVisible(s.Now()) {
		return notFoundf("page %q not visible", slug)
	}
	// Pages are not ActivityPub objects (they are not federated): an AS2
	// client gets the HTML, as for any other non-federated page.
	p, err := s.newPage(c, a.Title, a)
	if err != nil {
		return err
	}
	p.Canonical = s.Cfg.URLs.Abs(a.Permalink())
	p.Description = web.Excerpt(articleExcerpt(a, 40), 40)
	p.Meta["og:type"] = "website"
	p.Meta["og:title"] = a.Title
	p.Meta["og:url"] = p.Canonical
	p.Meta["og:site_name"] = p.Site.Title
	p.Meta["og:description"] = p.Description
	return s.render(c, http.StatusOK, "site/page", p)
}

// reservedPageWords are first path segments a page may not take although
// no route of this branch registers them: addresses WordPress readers and
// tools use (search, feeds, archives by category or author, wp-*).
var reservedPageWords = []string{
	"search", "feed", "page", "category", "author", "comments", "tag", "tags",
	"wp-admin", "wp-content", "wp-includes", "wp-json", "wp-login.php", "embed", "trackback",
}

// pageSlugProblem tells why slug cannot be a page's address /slug/, or ""
// when it can: it must not be a route's first segment (admin, static,
// media, feed.xml…) nor all digits (year archives /2012/, WordPress ?p=).
func (s *Server) pageSlugProblem(slug string) string {
	if slug == "" {
		return "Give the page a slug."
	}
	if allDigits(slug, len(slug)) {
		return "A page’s slug cannot be only digits: /" + slug + "/ is the address of an archive. Add a word."
	}
	lower := strings.ToLower(slug)
	for _, w := range reservedPageWords {
		if lower == w {
			return "The address /" + slug + "/ is used by the blog itself; choose another slug."
		}
	}
	if s.routeWords[lower] {
		return "The address /" + slug + "/ is used by the blog itself; choose another slug."
	}
	return ""
}

// routeSegments collects the first path segment of every static route
// (admin, static, media, tag, sitemap.xml…), which a page slug must not
// shadow; routes registered by other parts of the code are covered too.
func routeSegments(routes []*echo.Route) map[string]bool {
	out := map[string]bool{}
	for _, r := range routes {
		seg := strings.TrimPrefix(r.Path, "/")
		if i := strings.IndexByte(seg, '/'); i >= 0 {
			seg = seg[:i]
		}
		if seg == "" || strings.ContainsAny(seg, ":*") {
			continue
		}
		out[strings.ToLower(seg)] = true
	}
	return out
}
