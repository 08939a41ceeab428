package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// followingShow is GET /users/:username/following: always empty.
func (s *Server) followingShow(c echo.Context) error {
	if err := s.requireSignedFetch(c); err != nil {
		return err
	}
	doc, err := s.Fed.Following(c.Request().Context(), c.Param("username"))
	if err != nil {
		return err
	}
	return s.writeAS2(c, http.StatusOK, doc)
}
