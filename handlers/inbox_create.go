package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// inboxCreate receives activities: the shared inbox (/inbox), personal
// inboxes (/users/:username/inbox) and the instance actor's (/actor/inbox).
// Checking and storing is federation's (ReceiveInbox); the worker applies
// the activity later, so this answers in milliseconds.
func (s *Server) inboxCreate(c echo.Context) error {
	res := s.Fed.ReceiveInbox(c.Request().Context(), c.Request(), c.Param("username"))
	if res.Status == http.StatusAccepted {
		return c.NoContent(http.StatusAccepted)
	}
	// Refusals carry their reason: it is what a peer's admin needs to fix
	// a federation problem, and it reveals nothing about us.
	return c.JSON(res.Status, map[string]any{"error": res.Reason, "status": res.Status})
}
