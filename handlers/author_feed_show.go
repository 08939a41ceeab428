package handlers

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// authorFeedPath is an author's RSS feed, at WordPress's address.
func authorFeedPath(username string) string { return "/author/" + url.PathEscape(username) + "/feed/" }

// authorFeedShow is /author/name/feed/: an author's newest articles as
// RSS. The blog actor's is the blog's feed.
func (s *Server) authorFeedShow(c echo.Context) error {
	a, isBlog, err := s.wpAuthor(c)
	if err != nil {
		return err
	}
	if isBlog {
		return c.Redirect(http.StatusMovedPermanently, "/feed.xml")
	}
	if c.Param("name") != a.Username { // a WordPress login, or another case
		return c.Redirect(http.StatusMovedPermanently, authorFeedPath(a.Username))
	}
	st, arts, err := s.feedArticles(c, models.ArticleQuery{AuthorID: a.ID})
	if err != nil {
		return err
	}
	return s.writeArticlesRSS(c, st, feedChannel{
		Title: st.Title + " » " + a.Name, Link: profilePath(a.Username),
		Self: authorFeedPath(a.Username), Description: "Articles by " + a.Name + ".",
	}, arts)
}
