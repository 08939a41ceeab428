package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/federation"
	"fedpress/models"
)

// maxWebmentionBody bounds the form: two URLs.
const maxWebmentionBody = 64 << 10

// webmentionLimit bounds webmentions per client address: each stored one
// makes the link verifier fetch its source.
func (s *Server) webmentionLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return s.rateLimited(next, s.writeLimits.webmention, func(c echo.Context, wait string) error {
		return c.String(http.StatusTooManyRequests, "Too many webmentions from your address; please try again "+wait+".\n")
	})
}

// webmentionCreate is the Webmention endpoint (W3C Recommendation, §3.2):
// source and target are checked synchronously, the source page is fetched
// later by the link verifier, so a valid request answers 202 at once. The
// answers are plain text: senders are programs.
func (s *Server) webmentionCreate(c echo.Context) error {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, maxWebmentionBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return c.String(http.StatusRequestEntityTooLarge, "The request is too large.\n")
		}
		return c.String(http.StatusBadRequest, "The form could not be read: send source and target as application/x-www-form-urlencoded.\n")
	}
	source := strings.TrimSpace(r.PostForm.Get("source"))
	target := strings.TrimSpace(r.PostForm.Get("target"))
	if source == "" || target == "" {
		return c.String(http.StatusBadRequest, "Both source and target are required.\n")
	}
	err := s.Fed.ReceiveMention(r.Context(), federation.MentionRequest{
		Kind: models.KindWebmention, Source: source, Target: target,
		RemoteIP: c.RealIP(), UserAgent: r.UserAgent(),
	})
	var refused *federation.MentionError
	if errors.As(err, &refused) {
		return c.String(http.StatusBadRequest, refused.Msg+"\n")
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(http.StatusAccepted, "Accepted: the webmention will appear once the source page has been checked.\n")
}
