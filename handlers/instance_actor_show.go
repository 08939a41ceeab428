package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// instanceActorShow is GET /actor, the server's own actor (FEP-2677). It is
// always public: peers fetch it to verify our signed fetches, even in
// authorized-fetch mode.
func (s *Server) instanceActorShow(c echo.Context) error {
	addVary(c, "Accept")
	if !wantsAS2(c) {
		return c.Redirect(http.StatusFound, "/")
	}
	doc, err := s.Fed.InstanceActorDocument(c.Request().Context())
	if err != nil {
		return err
	}
	return s.writeAS2(c, http.StatusOK, doc)
}
