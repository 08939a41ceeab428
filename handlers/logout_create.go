package handlers

import (
	"github.com/labstack/echo/v4"
)

// logoutCreate ends this browser's session.
func (s *Server) logoutCreate(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if err := s.Store.DeleteSession(c.Request().Context(), hashToken(ck.Value)); err != nil {
			return err
		}
	}
	c.SetCookie(s.cookie(sessionCookie, "", s.Now()))
	return redirectSeeOther(c, withMsg(loginPath, "logged_out"))
}
