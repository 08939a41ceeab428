package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// articleDelete deletes an article the account may edit: readers get 410
// Gone from then on, and followers a Delete.
func (s *Server) articleDelete(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := s.editableArticle(c)
	if a == nil {
		return err
	}
	id := a.ID
	err = s.Store.DeleteArticleBy(ctx, id, currentUser(c).ID, s.Now())
	if isNotFound(err) { // deleted meanwhile
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
