package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// quoteAuthorizationShow is GET /quote_authorizations/:id: the stamp
// allowing a quote of one of our articles (FEP-044f), 410 with a Tombstone
// once revoked, under the same signed-fetch rule as our other objects.
func (s *Server) quoteAuthorizationShow(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := s.requireSignedFetch(c); err != nil {
		return err
	}
	doc, gone, err := s.Fed.QuoteAuthorization(c.Request().Context(), id)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if gone {
		status = http.StatusGone
	}
	return s.writeAS2(c, status, doc)
}
