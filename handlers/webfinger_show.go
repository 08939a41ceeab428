package handlers

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"fedpress/federation"
)

// webfingerShow is GET /.well-known/webfinger?resource=…, how the fediverse
// turns @user@host into an actor. Public and cross-origin (web clients
// look accounts up from the browser).
func (s *Server) webfingerShow(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Origin", "*")
	resource := c.QueryParam("resource")
	if resource == "" {
		return jrdError(c, http.StatusBadRequest, "missing resource parameter")
	}
	jrd, err := s.Fed.WebFinger(c.Request().Context(), resource)
	switch {
	case errors.Is(err, federation.ErrBadResource):
		return jrdError(c, http.StatusBadRequest, err.Error())
	case isNotFound(err):
		return jrdError(c, http.StatusNotFound, "no such account here")
	case err != nil:
		return err
	}
	body, err := json.Marshal(jrd)
	if err != nil {
		return err
	}
	h.Set("Cache-Control", "max-age=300, public")
	return c.Blob(http.StatusOK, "application/jrd+json; charset=utf-8", body)
}

func jrdError(c echo.Context, status int, msg string) error {
	return c.JSON(status, map[string]any{"error": msg})
}
