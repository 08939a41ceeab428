package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// articleCollectionShow is GET /articles/:id/{replies,likes,shares,context}[?page=N].
func (s *Server) articleCollectionShow(c echo.Context) error {
	a, err := s.loadArticleByID(c)
	if err != nil {
		return err
	}
	if a.DeletedAt != nil {
		return echo.NewHTTPError(http.StatusGone, "This article was deleted.")
	}
	if !a.IsVisible(s.Now()) {
		return notFoundf("article %d not visible", a.ID)
	}
	if err := s.requireSignedFetch(c); err != nil {
		return err
	}
	page, err := collectionPage(c)
	if err != nil {
		return err
	}
	doc, err := s.Fed.ArticleCollection(c.Request().Context(), a, c.Param("collection"), page)
	if err != nil {
		return err
	}
	return s.writeAS2(c, http.StatusOK, doc)
}
