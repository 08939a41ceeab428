package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// homeShow lists the newest visible articles. A WordPress "/?p=123" link
// is answered with a permanent redirect to the article instead.
func (s *Server) homeShow(c echo.Context) error {
	if p := c.QueryParam("p"); p != "" {
		return s.legacyPostRedirect(c, p)
	}
	if target := wpQueryTarget(c); target != "" {
		return c.Redirect(http.StatusMovedPermanently, target)
	}
	page, err := pageParam(c)
	if err != nil {
		return err
	}
	v, err := s.loadList(c, models.ArticleQuery{Page: page}, "/")
	if err != nil {
		return err
	}
	title := ""
	if page > 1 {
		title = "Page " + strconv.Itoa(page)
	}
	return s.renderList(c, "site/home", title, "", v)
}

// legacyPostRedirect resolves "/?p=123": a recorded redirect first, then
// the WordPress id kept on imported articles.
func (s *Server) legacyPostRedirect(c echo.Context, p string) error {
	ctx := c.Request().Context()
	id, err := strconv.Atoi(strings.TrimSpace(p))
	if err != nil || id <= 0 {
		return notFoundf("legacy post id %q", p)
	}
	a, err := s.redirectedArticle(ctx, "/?p="+strconv.Itoa(id))
	if isNotFound(err) {
		a, err = s.Store.ArticleByWPPostID(ctx, id)
	}
	if err != nil {
		return err
	}
	if !a.IsVisible(s.Now()) {
		return notFoundf("legacy post %d: article %d not visible", id, a.ID)
	}
	return c.Redirect(http.StatusMovedPermanently, a.Permalink())
}
