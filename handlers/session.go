package handlers

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

const (
	sessionCookie = "fedpress_session"
	sessionTTL    = 30 * 24 * time.Hour
	loginPath     = "/admin/login"
)

// randomToken is n random bytes in URL-safe base64.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashToken is what the database keeps of a session token, so a leaked
// database does not leak live sessions.
func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// cookie builds the admin cookies: HttpOnly, SameSite=Lax, Secure behind
// https. A zero expires makes a browser-session cookie; a past one clears it.
func (s *Server) cookie(name, value string, expires time.Time) *http.Cookie {
	ck := &http.Cookie{
		Name: name, Value: value, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.Cfg.SecureCookies,
	}
	switch {
	case expires.IsZero():
	case !expires.After(s.Now()):
		ck.MaxAge = -1
	default:
		ck.Expires = expires
		ck.MaxAge = int(expires.Sub(s.Now()).Seconds())
	}
	return ck
}

// startSession logs author in on this browser with a fresh token (a token
// planted before login is never reused).
func (s *Server) startSession(c echo.Context, authorID uint) error {
	if old, err := c.Cookie(sessionCookie); err == nil && old.Value != "" {
		if err := s.Store.DeleteSession(c.Request().Context(), hashToken(old.Value)); err != nil {
			return fmt.Errorf("drop previous session: %w", err)
		}
	}
	tok, err := randomToken(32)
	if err != nil {
		return err
	}
	csrf, err := randomToken(32)
	if err != nil {
		return err
	}
	sess := &models.Session{TokenHash: hashToken(tok), AuthorID: authorID, CSRFToken: csrf, ExpiresAt: s.Now().Add(sessionTTL)}
	if err := s.Store.CreateSession(c.Request().Context(), sess); err != nil {
		return fmt.Errorf("start session for author %d: %w", authorID, err)
	}
	c.SetCookie(s.cookie(sessionCookie, tok, sess.ExpiresAt))
	return nil
}

// sessionOf returns the browser's live session and its author, or nils when
// it has none. Public pages may use it to know whether an author is reading.
func (s *Server) sessionOf(c echo.Context) (*models.Session, *models.Author, error) {
	ck, err := c.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, nil, nil
	}
	sess, a, err := s.Store.SessionByHash(c.Request().Context(), hashToken(ck.Value), s.Now())
	if isNotFound(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("session lookup: %w", err)
	}
	return sess, a, nil
}

// requireLogin lets logged-in authors through. Others are sent to the login
// page when they were just looking (GET), and refused when they were
// changing something: a form replayed after login could surprise them.
func (s *Server) requireLogin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		adminHeaders(c)
		sess, a, err := s.sessionOf(c)
		if err != nil {
			return err
		}
		if sess == nil {
			r := c.Request()
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				return c.Redirect(http.StatusSeeOther, loginPath+"?next="+url.QueryEscape(r.URL.RequestURI()))
			}
			return s.adminErrorBack(c, http.StatusForbidden, "You are not logged in, or your session has expired. Log in and try again.", loginPath)
		}
		c.Set(string(ctxUser), a)
		c.Set(string(ctxSession), sess)
		return next(c)
	}
}
