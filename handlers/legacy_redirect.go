package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// legacyRedirect answers WordPress permalinks (/2012/11/17/slug/, /slug/)
// with a permanent redirect to the article: the importer's recorded path
// first, then the slug itself.
func (s *Server) legacyRedirect(c echo.Context) error {
	ctx := c.Request().Context()
	var a *models.Article
	id, err := s.Store.LegacyRedirectTarget(ctx, c.Request().URL.Path)
	switch {
	case err == nil:
		a, err = s.Store.ArticleByID(ctx, id)
	case isNotFound(err):
		slug := c.Param("slug")
		if slug == "" { // the /slug/ shape arrives as the year parameter
			slug = c.Param("year")
		}
		a, err = s.Store.ArticleBySlug(ctx, slug)
	}
	if err != nil {
		return err
	}
	if !a.IsVisible(s.Now()) {
		return notFoundf("legacy path %s: article %d not visible", c.Request().URL.Path, a.ID)
	}
	return c.Redirect(http.StatusMovedPermanently, a.Permalink())
}
