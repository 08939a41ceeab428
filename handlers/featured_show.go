package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// featuredShow is GET /users/:username/featured: the pinned articles.
func (s *Server) featuredShow(c echo.Context) error {
	if err := s.requireSignedFetch(c); err != nil {
		return err
	}
	doc, err := s.Fed.Featured(c.Request().Context(), c.Param("username"))
	if err != nil {
		return err
	}
	return s.writeAS2(c, http.StatusOK, doc)
}
