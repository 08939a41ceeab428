package handlers

import (
	"time"

	"github.com/labstack/echo/v4"
)

// requestLog logs each request at debug level and server errors at error.
func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		attrs := []any{"method", c.Request().Method, "path", c.Request().URL.Path, "status", status, "dur", time.Since(start)}
		switch {
		case status >= 500:
			s.Log.Error("request failed", append(attrs, "err", err)...)
		default:
			s.Log.Debug("request", attrs...)
		}
		return nil
	}
}
