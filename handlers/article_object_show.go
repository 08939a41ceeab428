package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// articleObjectShow is GET /articles/:id, an article's stable ActivityPub
// id: the object for AS2 clients, a redirect to the permalink (which may
// change with the slug) for browsers, 410 with a Tombstone once deleted.
func (s *Server) articleObjectShow(c echo.Context) error {
	addVary(c, "Accept")
	a, err := s.loadArticleByID(c)
	if err != nil {
		return err
	}
	if a.DeletedAt != nil {
		return s.articleGone(c, a)
	}
	if !a.IsVisible(s.Now()) {
		return notFoundf("article %d not visible", a.ID)
	}
	if !wantsAS2(c) {
		return c.Redirect(http.StatusFound, a.Permalink())
	}
	if a.IsPage() { // pages are not federated, so no ActivityPub object
		return notFoundf("article %d is a page", a.ID)
	}
	return s.articleAS2(c, a)
}

// loadArticleByID reads :id and loads the article, whatever its state.
func (s *Server) loadArticleByID(c echo.Context) (*models.Article, error) {
	id, err := idParam(c)
	if err != nil {
		return nil, err
	}
	a, err := s.Store.ArticleByID(c.Request().Context(), id)
	if err != nil {
		return nil, fmt.Errorf("article object %d: %w", id, err)
	}
	return a, nil
}

// articleGone answers for a deleted article: 410, with a Tombstone for AS2
// clients and the site's error page for browsers.
func (s *Server) articleGone(c echo.Context, a *models.Article) error {
	if !wantsAS2(c) {
		return echo.NewHTTPError(http.StatusGone, "This article was deleted.")
	}
	doc, err := s.Fed.ArticleTombstone(a)
	if err != nil {
		return err
	}
	return s.writeAS2(c, http.StatusGone, doc)
}
