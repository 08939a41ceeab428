package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// activityShow is GET /activities/:kind/:id/:version. Activities are not
// stored as JSON: the current version of one is rebuilt from its article,
// reply or profile; older versions are gone (404).
func (s *Server) activityShow(c echo.Context) error {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return notFoundf("activity id %q", c.Param("id"))
	}
	ver, err := strconv.ParseInt(c.Param("version"), 10, 64)
	if err != nil {
		return notFoundf("activity version %q", c.Param("version"))
	}
	if err := s.requireSignedFetch(c); err != nil {
		return err
	}
	doc, err := s.Fed.ActivityDocument(c.Request().Context(), c.Param("kind"), uint(id), ver)
	if err != nil {
		return err
	}
	return s.writeAS2(c, http.StatusOK, doc)
}
