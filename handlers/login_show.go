package handlers

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"
)

// timingHash is compared against when the username does not exist, so an
// unknown name takes as long as a wrong password and does not reveal itself.
const timingHash = "$2a$10$pqaNZl.nfbSZVuu0VF12tenJd883TWJpGrfNgoqPfc5CXf7LTt.7K"

// loginData is the login form.
type loginData struct {
	Next      string
	Username  string
	Error     string
	NoAuthors bool // first run: point to the setup link instead
}

// loginShow shows the login form, or goes straight on when already logged in.
func (s *Server) loginShow(c echo.Context) error {
	adminHeaders(c)
	next := localPath(c.QueryParam("next"), "/admin/")
	sess, _, err := s.sessionOf(c)
	if err != nil {
		return err
	}
	if sess != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return s.renderLogin(c, http.StatusOK, loginData{Next: next})
}

func (s *Server) renderLogin(c echo.Context, status int, d loginData) error {
	n, err := s.Store.CountAuthors(c.Request().Context())
	if err != nil {
		return err
	}
	d.NoAuthors = n == 0
	tok, err := s.preSessionToken(c)
	if err != nil {
		return err
	}
	adminHeaders(c)
	p, err := s.newPage(c, "Log in", d)
	if err != nil {
		return err
	}
	p.CSRF = tok
	p.Flash = flashText(c.QueryParam("msg"))
	return s.render(c, status, "admin/login", p)
}

// loginCreate checks a username and password. Failed attempts count per IP
// and per account; past the limiter's allowance even a right password is refused until the
// window passes, so guessing stays slow.
func (s *Server) loginCreate(c echo.Context) error {
	adminHeaders(c)
	if err := s.parseBody(c); err != nil {
		return s.bodyError(c, err)
	}
	if !s.validPreSessionCSRF(c) {
		return s.adminErrorBack(c, http.StatusForbidden,
			"invalid CSRF token: the login form expired or your browser refused its cookie. Reload the login page and try again.", loginPath)
	}
	r := c.Request()
	d := loginData{
		Next:     localPath(r.PostFormValue("next"), "/admin/"),
		Username: strings.ToLower(strings.TrimSpace(r.PostFormValue("username"))),
	}
	ip, now := c.RealIP(), s.Now()
	if wait := s.loginLimiter.wait(ip, d.Username, now); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		s.Log.Warn("login: rate limited", "ip", ip, "username", d.Username, "retry_after_s", secs)
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
		d.Error = "Too many failed logins for this account or from your network. Please try again " + waitText(secs) + "."
		return s.renderLogin(c, http.StatusTooManyRequests, d)
	}
	password := r.PostFormValue("password")
	a, err := s.Store.AuthorByUsername(r.Context(), d.Username)
	if err != nil && !isNotFound(err) {
		return err
	}
	hash := timingHash
	if a != nil {
		hash = a.PasswordHash
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || a == nil {
		s.loginLimiter.fail(ip, d.Username, now)
		s.Log.Info("login: failed", "ip", ip, "username", d.Username)
		d.Error = "Wrong username or password."
		return s.renderLogin(c, http.StatusUnauthorized, d)
	}
	s.loginLimiter.reset(ip, d.Username)
	if err := s.startSession(c, a.ID); err != nil {
		return err
	}
	s.Log.Info("login", "username", a.Username, "ip", ip)
	return redirectSeeOther(c, d.Next)
}
