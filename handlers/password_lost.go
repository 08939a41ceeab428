package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/federation"
	"fedpress/models"
)

const (
	lostPasswordPath = "/admin/lost-password/"
	// resetsPerAccount bounds the reset mails one account gets per
	// resetAccountWindow, whoever asks and from however many addresses.
	resetsPerAccount   = 3
	resetAccountWindow = time.Hour
)

// PasswordResetURL is the address of the page that sets a new password
// with a reset token (mailed, or printed by `fedpress author reset-password`).
func PasswordResetURL(urls federation.URLs, token string) string {
	return urls.Abs("/admin/reset-password/?token=" + url.QueryEscape(token))
}

// lostPasswordData is the "Lost your password?" form.
type lostPasswordData struct {
	Login       string
	Sent        bool // the neutral "if an account matches…" answer
	MailEnabled bool
	Minutes     int
}

// lostPasswordShow shows the form asking for a username or e-mail address.
func (s *Server) lostPasswordShow(c echo.Context) error {
	return s.renderLostPassword(c, http.StatusOK, lostPasswordData{})
}

func (s *Server) renderLostPassword(c echo.Context, status int, d lostPasswordData) error {
	adminHeaders(c)
	d.MailEnabled, d.Minutes = s.Cfg.MailEnabled, int(models.PasswordResetTTL/time.Minute)
	tok, err := s.preSessionToken(c)
	if err != nil {
		return err
	}
	p, err := s.newPage(c, "Lost your password?", d)
	if err != nil {
		return err
	}
	p.CSRF = tok
	return s.render(c, status, "admin/lost_password", p)
}

// lostPasswordCreate mails a reset link to the account named by username
// or e-mail address. The answer is the same whether or not the account
// exists, has an address or was asked for too often, so the form tells
// nobody which accounts exist.
func (s *Server) lostPasswordCreate(c echo.Context) error {
	adminHeaders(c)
	if err := s.parseBody(c); err != nil {
		return s.bodyError(c, err)
	}
	if !s.validPreSessionCSRF(c) {
		return s.adminErrorBack(c, http.StatusForbidden,
			"invalid CSRF token: the form expired or your browser refused its cookie. Reload the page and try again.", lostPasswordPath)
	}
	if !s.Cfg.MailEnabled {
		return s.renderLostPassword(c, http.StatusOK, lostPasswordData{})
	}
	login := strings.TrimSpace(c.Request().PostFormValue("login"))
	d := lostPasswordData{Login: login, Sent: true}
	if login == "" || len(login) > 200 {
		d.Sent = false
		return s.renderLostPassword(c, http.StatusBadRequest, d)
	}
	if err := s.mailResetLink(c, login); err != nil {
		return err
	}
	return s.renderLostPassword(c, http.StatusOK, d)
}

// mailResetLink queues the reset mail when login names an account with an
// address that has not had too many links lately; otherwise it only logs.
func (s *Server) mailResetLink(c echo.Context, login string) error {
	ctx, now, ip := c.Request().Context(), s.Now(), c.RealIP()
	a, err := s.Store.AuthorByLogin(ctx, login)
	if isNotFound(err) {
		s.Log.Info("password reset: no such account", "login", login, "ip", ip)
		return nil
	}
	if err != nil {
		return err
	}
	if a.Email == "" {
		s.Log.Warn("password reset: account has no e-mail address", "username", a.Username, "ip", ip)
		return nil
	}
	n, err := s.Store.CountPasswordResets(ctx, a.ID, now.Add(-resetAccountWindow))
	if err != nil {
		return err
	}
	if n >= resetsPerAccount {
		s.Log.Warn("password reset: too many links for this account, none sent", "username", a.Username, "ip", ip, "recent", n)
		return nil
	}
	token, err := s.Store.IssuePasswordReset(ctx, a.ID, now)
	if err != nil {
		return err
	}
	st, err := s.Store.GetSettings(ctx)
	if err != nil {
		return err
	}
	subject := "Reset your password"
	if st.Title != "" {
		subject = "[" + st.Title + "] " + subject
	}
	body := fmt.Sprintf(`Someone (from address %s) asked to reset the password of your account %q on %s.

To choose a new password, open this link within %d minutes. It works once:

%s

If you did not ask for this, ignore this mail: your password stays as it is.
`, ip, a.Username, s.Cfg.URLs.Abs("/"), int(models.PasswordResetTTL/time.Minute), PasswordResetURL(s.Cfg.URLs, token))
	if err := s.Store.QueueMail(ctx, &models.MailJob{Kind: models.MailPasswordReset, AuthorID: a.ID, To: a.Email, Subject: subject, Body: body}); err != nil {
		return err
	}
	s.Log.Info("password reset: link queued for mail", "username", a.Username, "ip", ip)
	return nil
}

// lostPasswordLimit bounds reset requests per client address.
func (s *Server) lostPasswordLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return s.rateLimited(next, s.resetLimiter,
		s.refusePage("Too many requests", "Too many password resets were asked for from your network."))
}
