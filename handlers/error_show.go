package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// errorView is what site/error shows.
type errorView struct {
	Status  int
	Heading string
	Message string
}

// errorHandler turns a handler's error into a response: echo.HTTPError
// keeps its status, models.ErrNotFound is 404, anything else is a logged
// 500 whose details stay in the log. Browsers get a page in the site's
// style, ActivityPub and JSON clients a JSON body.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, ""
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status = he.Code
		if m, ok := he.Message.(string); ok && status < 500 {
			msg = m
		}
		if status >= 500 && he.Internal != nil {
			s.Log.Error("request error", "method", c.Request().Method, "path", c.Request().URL.Path, "status", status, "err", he.Internal)
		}
	case isNotFound(err):
		status = http.StatusNotFound
	default:
		s.Log.Error("internal error", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	heading, explanation := statusWords(status)
	v := errorView{Status: status, Heading: heading, Message: msg}
	// Echo's own errors (405 from the router, 415 from Bind…) carry the
	// protocol's status text: people get a sentence instead.
	if status >= 500 || v.Message == "" || v.Message == http.StatusText(status) {
		v.Message = explanation
	}

	if err := s.writeError(c, v); err != nil {
		s.Log.Error("write error page", "path", c.Request().URL.Path, "status", status, "err", err)
	}
}

func (s *Server) writeError(c echo.Context, v errorView) error {
	r := c.Request()
	// Caching headers set before the handler failed belong to the content
	// it meant to send, not to this error.
	h := c.Response().Header()
	for _, k := range []string{"Cache-Control", "ETag", "Last-Modified", "Content-Disposition"} {
		h.Del(k)
	}
	if r.Method == http.MethodHead {
		return c.NoContent(v.Status)
	}
	accept := r.Header.Get("Accept")
	if wantsAS2(c) || (strings.Contains(accept, "json") && !strings.Contains(accept, "text/html")) {
		return c.JSON(v.Status, map[string]any{"error": v.Message, "status": v.Status})
	}
	// A page that cannot be built (database down) still answers, in plain text.
	p, err := s.newPage(c, v.Heading, v)
	if err == nil {
		p.Canonical = ""
		if err = s.render(c, v.Status, "site/error", p); err == nil {
			return nil
		}
	}
	s.Log.Error("render error page", "status", v.Status, "err", err)
	return c.String(v.Status, v.Heading+"\n\n"+v.Message+"\n")
}

// statusWords is the heading and the default explanation of an error page
// for status, in words for people rather than the protocol's status text
// ("Unsupported Media Type").
func statusWords(status int) (heading, explanation string) {
	switch status {
	case http.StatusBadRequest:
		return "That did not work", "Something in the request was missing or could not be read. Go back, reload the page and try again."
	case http.StatusUnauthorized:
		return "Please log in", "This page is only for people who are logged in."
	case http.StatusForbidden:
		return "Not allowed", "You are not allowed to do this."
	case http.StatusNotFound:
		return "Page not found", "Sorry, nothing lives at this address. It may have moved, or it never existed."
	case http.StatusMethodNotAllowed:
		return "Not possible here", "This address cannot be used that way. Use the site's links and forms."
	case http.StatusNotAcceptable:
		return "Not available in that form", "This page is not available in the format that was asked for."
	case http.StatusConflict:
		return "Changed in the meantime", "Something changed while you were working. Reload the page and try again."
	case http.StatusGone:
		return "Deleted", "What lived at this address has been deleted."
	case http.StatusRequestEntityTooLarge:
		return "Too large", "What you sent is larger than this site accepts."
	case http.StatusUnsupportedMediaType:
		return "Not a kind of file accepted here", "This kind of file or content cannot be accepted here."
	case http.StatusUnprocessableEntity:
		return "Please check what you entered", "Some of what you entered cannot be used. Go back and correct it."
	case http.StatusTooManyRequests:
		return "Too many attempts", "Please wait a little and try again."
	}
	if status >= 500 {
		return "Something went wrong", "The server could not show this page. Please try again in a moment."
	}
	return "That did not work", "This request could not be completed. Go back and try again."
}
