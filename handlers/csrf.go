package handlers

import (
	"crypto/subtle"
	"fmt"
	"mime"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

const (
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
	// csrfCookie carries the double-submit token of the login and setup
	// forms, which are posted before any session exists.
	csrfCookie = "fedpress_csrf"

	// formOverhead is room for an upload form's other fields and multipart
	// framing on top of MaxUploadBytes.
	formOverhead = 64 << 10
	// maxFormFiles is how many files one form may carry (the settings
	// form's blog avatar, header and site icon); each is checked against
	// MaxUploadBytes on its own.
	maxFormFiles = 3
	// multipartMemory is how much of a multipart body is kept in memory;
	// the rest goes to temporary files.
	multipartMemory = 4 << 20

	ctxBodyParsed = "admin.bodyParsed"
)

// tokensEqual compares tokens in constant time; empty never matches.
func tokensEqual(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// csrfCheck refuses any non-GET admin request that does not carry the
// session's CSRF token in the csrf form field or the X-CSRF-Token header.
// It runs after requireLogin, so a session exists.
func (s *Server) csrfCheck(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if safeMethod(c.Request().Method) {
			return next(c)
		}
		sess := currentSession(c)
		if sess == nil {
			return s.adminError(c, http.StatusForbidden, "invalid CSRF token")
		}
		got := c.Request().Header.Get(csrfHeader)
		if got == "" {
			if err := s.parseBody(c); err != nil {
				return s.bodyError(c, err)
			}
			got = c.Request().PostFormValue(csrfField)
		}
		if !tokensEqual(got, sess.CSRFToken) {
			return s.adminError(c, http.StatusForbidden, "invalid CSRF token")
		}
		return next(c)
	}
}

// parseBody parses a POST body once per request (later calls return the
// first result). Uploads are capped at maxFormFiles times MaxUploadBytes
// plus the form's other fields; other bodies at net/http's 10 MB. Only the
// body is read: a token or value in the query string is never taken for a
// form field.
func (s *Server) parseBody(c echo.Context) error {
	if v, done := c.Get(ctxBodyParsed).(parsedBody); done {
		return v.err
	}
	r := c.Request()
	var err error
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		r.Body = http.MaxBytesReader(c.Response(), r.Body, maxFormFiles*s.Cfg.MaxUploadBytes+formOverhead)
		err = r.ParseMultipartForm(multipartMemory)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		err = fmt.Errorf("parse form: %w", err)
	}
	c.Set(ctxBodyParsed, parsedBody{err})
	return err
}

type parsedBody struct{ err error }

// bodyError answers a body parseBody refused.
func (s *Server) bodyError(c echo.Context, err error) error {
	if bodyTooLarge(err) {
		return s.adminError(c, http.StatusRequestEntityTooLarge, s.tooLargeMessage())
	}
	s.Log.Info("admin: unreadable form", "path", c.Request().URL.Path, "err", err)
	return s.adminError(c, http.StatusBadRequest, "The form could not be read. Reload the page and try again.")
}

func (s *Server) tooLargeMessage() string {
	return fmt.Sprintf("File too large (max %s).", sizeLabel(s.Cfg.MaxUploadBytes))
}

// preSessionToken returns this browser's double-submit token for the login
// and setup forms, setting its cookie when missing.
func (s *Server) preSessionToken(c echo.Context) (string, error) {
	if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 && len(ck.Value) <= 64 {
		return ck.Value, nil
	}
	tok, err := randomToken(32)
	if err != nil {
		return "", err
	}
	c.SetCookie(s.cookie(csrfCookie, tok, time.Time{}))
	return tok, nil
}

// validPreSessionCSRF checks the login/setup form's token against its
// cookie: another site can make a browser post the form, but cannot read
// or set the cookie to match.
func (s *Server) validPreSessionCSRF(c echo.Context) bool {
	ck, err := c.Cookie(csrfCookie)
	if err != nil {
		return false
	}
	return tokensEqual(ck.Value, c.Request().PostFormValue(csrfField))
}
