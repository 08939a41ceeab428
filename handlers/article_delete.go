package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// articleDelete deletes an article: readers get 410 Gone from then on, and
// followers a Delete.
func (s *Server) articleDelete(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := idParam(c)
	if err == nil {
		err = s.Store.DeleteArticle(ctx, id, s.Now())
	}
	if isNotFound(err) {
		return s.adminErrorBack(c, http.StatusNotFound, "This article does not exist or was already deleted.", "/admin/articles/")
	}
	if err != nil {
		return err
	}
	s.Log.Info("article deleted", "article", id, "by", currentUser(c).Username)
	if err := s.Fed.ArticleDeleted(ctx, id); err != nil {
		s.Log.Error("federate deleted article", "article", id, "err", err)
	}
	return redirectSeeOther(c, withMsg("/admin/articles/", "deleted"))
}
