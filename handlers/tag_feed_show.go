package handlers

import (
	"net/url"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// tagFeedPath is a tag's RSS feed, at WordPress's address.
func tagFeedPath(slug string) string { return "/tag/" + url.PathEscape(slug) + "/feed/" }

// tagFeedShow is /tag/slug/feed/: the newest articles of a tag as RSS.
// Like the tag page, a tag without visible articles is not found.
func (s *Server) tagFeedShow(c echo.Context) error {
	slug, err := url.PathUnescape(c.Param("slug"))
	if err != nil {
		return notFoundf("tag feed %q", c.Param("slug"))
	}
	tag, err := s.Store.TagBySlug(c.Request().Context(), slug)
	if err != nil {
		return err
	}
	st, arts, err := s.feedArticles(c, models.ArticleQuery{TagSlug: tag.Slug})
	if err != nil {
		return err
	}
	if len(arts) == 0 {
		return notFoundf("tag feed %q: no visible articles", tag.Slug)
	}
	return s.writeArticlesRSS(c, st, feedChannel{
		Title: st.Title + " » " + tag.Name, Link: "/tag/" + url.PathEscape(tag.Slug) + "/",
		Self: tagFeedPath(tag.Slug), Description: "Articles tagged “" + tag.Name + "”.",
	}, arts)
}
