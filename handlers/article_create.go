package handlers

import "github.com/labstack/echo/v4"

// articleCreate saves a new article as a draft or publishes it.
func (s *Server) articleCreate(c echo.Context) error {
	return s.articleSaveResponse(c, 0, readArticleForm(c))
}
