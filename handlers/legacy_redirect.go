package handlers

import (
	"context"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// legacyRedirect answers WordPress permalinks (/2012/11/17/slug/, /slug/)
// with a permanent redirect to the article: the importer's recorded path
// first, then the slug itself.
func (s *Server) legacyRedirect(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := s.redirectedArticle(ctx, c.Request().URL.Path)
	if isNotFound(err) {
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

// redirectedArticle is the article a recorded old URL leads to: a WordPress
// URL kept by the importer, or an earlier permalink of a renamed article.
func (s *Server) redirectedArticle(ctx context.Context, path string) (*models.Article, error) {
	id, err := s.Store.LegacyRedirectTarget(ctx, path)
	if err != nil {
		return nil, err
	}
	a, err := s.Store.ArticleByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("redirect %s: %w", path, err)
	}
	return a, nil
}
