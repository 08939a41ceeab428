package handlers

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
)

// actorShow is GET /users/:username: the actor to ActivityPub clients, a
// redirect to the profile page for browsers.
func (s *Server) actorShow(c echo.Context) error {
	addVary(c, "Accept")
	username := c.Param("username")
	if !wantsAS2(c) {
		return c.Redirect(http.StatusFound, "/@"+url.PathEscape(username)+"/")
	}
	return s.profileAS2(c, username)
}
