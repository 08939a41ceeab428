package handlers

import (
	"net/url"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// tagShow lists the visible articles of a tag: /tag/slug/.
func (s *Server) tagShow(c echo.Context) error {
	page, err := pageParam(c)
	if err != nil {
		return err
	}
	// Echo hands over the raw segment when the path had escapes; tag slugs
	// hold only letters, digits and hyphens, so unescaping is safe.
	slug, err := url.PathUnescape(c.Param("slug"))
	if err != nil {
		return notFoundf("tag %q", c.Param("slug"))
	}
	tag, err := s.Store.TagBySlug(c.Request().Context(), slug)
	if err != nil {
		return err
	}
	v, err := s.loadList(c, models.ArticleQuery{Page: page, TagSlug: tag.Slug}, "/tag/"+url.PathEscape(tag.Slug)+"/")
	if err != nil {
		return err
	}
	if v.Total == 0 {
		return notFoundf("tag %q: no visible articles", tag.Slug)
	}
	v.Heading = "Tag Archives: " + tag.Name
	feed := FeedLink{Title: tag.Name + " Tag Feed", Href: tagFeedPath(tag.Slug)}
	return s.renderList(c, "site/archive", tag.Name, "Articles tagged “"+tag.Name+"”.", v, feed)
}
