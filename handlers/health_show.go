package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// healthShow answers while the process is alive.
func (s *Server) healthShow(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// readyShow answers 200 when the database is reachable and migrated.
func (s *Server) readyShow(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.Log.Warn("readyz: database unreachable", "err", err)
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	v, err := s.Store.SchemaVersion(ctx)
	if err != nil || v < models.LatestSchemaVersion() {
		return c.String(http.StatusServiceUnavailable, "migrations pending\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
