package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// articleUpdate saves changes to an article.
func (s *Server) articleUpdate(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return s.adminErrorBack(c, http.StatusNotFound, "This article does not exist.", "/admin/articles/")
	}
	return s.articleSaveResponse(c, id, readArticleForm(c))
}
