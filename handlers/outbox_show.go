package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// outboxShow is GET /users/:username/outbox[?page=N].
func (s *Server) outboxShow(c echo.Context) error {
	if err := s.requireSignedFetch(c); err != nil {
		return err
	}
	page, err := collectionPage(c)
	if err != nil {
		return err
	}
	doc, err := s.Fed.Outbox(c.Request().Context(), c.Param("username"), page)
	if err != nil {
		return err
	}
	return s.writeAS2(c, http.StatusOK, doc)
}
