package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"
)

// resetPasswordData is the "choose a new password" form.
type resetPasswordData struct {
	Token    string
	Username string
	Invalid  bool // the link is unknown, used or expired
	Error    string
}

// resetPasswordShow shows the new-password form for a live reset link.
func (s *Server) resetPasswordShow(c echo.Context) error {
	adminHeaders(c)
	token := c.QueryParam("token")
	a, err := s.Store.PasswordResetAuthor(c.Request().Context(), token, s.Now())
	if isNotFound(err) {
		s.Log.Info("password reset: unknown, used or expired link", "ip", c.RealIP())
		return s.renderResetPassword(c, http.StatusNotFound, resetPasswordData{Invalid: true})
	}
	if err != nil {
		return err
	}
	return s.renderResetPassword(c, http.StatusOK, resetPasswordData{Token: token, Username: a.Username})
}

func (s *Server) renderResetPassword(c echo.Context, status int, d resetPasswordData) error {
	tok, err := s.preSessionToken(c)
	if err != nil {
		return err
	}
	p, err := s.newPage(c, "Choose a new password", d)
	if err != nil {
		return err
	}
	p.CSRF = tok
	return s.render(c, status, "admin/reset_password", p)
}

// resetPasswordCreate sets the new password, using the link up; every
// browser logged in to the account is logged out, and this one logged in.
func (s *Server) resetPasswordCreate(c echo.Context) error {
	adminHeaders(c)
	if err := s.parseBody(c); err != nil {
		return s.bodyError(c, err)
	}
	r := c.Request()
	token := r.PostFormValue("token")
	if !s.validPreSessionCSRF(c) {
		return s.adminErrorBack(c, http.StatusForbidden,
			"invalid CSRF token: the form expired or your browser refused its cookie. Open the link from your mail again.", lostPasswordPath)
	}
	ctx, now := r.Context(), s.Now()
	a, err := s.Store.PasswordResetAuthor(ctx, token, now)
	if isNotFound(err) {
		s.Log.Info("password reset: unknown, used or expired link", "ip", c.RealIP())
		return s.renderResetPassword(c, http.StatusNotFound, resetPasswordData{Invalid: true})
	}
	if err != nil {
		return err
	}
	pw := r.PostFormValue("password")
	if p := passwordProblem(pw, r.PostFormValue("password2")); p != "" {
		return s.renderResetPassword(c, http.StatusUnprocessableEntity, resetPasswordData{Token: token, Username: a.Username, Error: p})
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hash new password: %w", err)
	}
	// The token is checked again inside ResetPassword: of two racing
	// requests only one sets a password.
	a, err = s.Store.ResetPassword(ctx, token, string(hash), now)
	if isNotFound(err) {
		return s.renderResetPassword(c, http.StatusNotFound, resetPasswordData{Invalid: true})
	}
	if err != nil {
		return err
	}
	s.Log.Info("password reset: new password set", "username", a.Username, "ip", c.RealIP())
	if err := s.startSession(c, a.ID); err != nil {
		return err
	}
	return redirectSeeOther(c, withMsg("/admin/", "password"))
}
