package handlers

import (
	"github.com/labstack/echo/v4"
)

// articleUpdate saves changes to an article the account may edit.
func (s *Server) articleUpdate(c echo.Context) error {
	a, err := s.editableArticle(c)
	if a == nil {
		return err
	}
	return s.articleSaveResponse(c, a.ID, readArticleForm(c))
}
