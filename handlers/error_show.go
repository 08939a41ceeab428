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
	v := errorView{Status: status, Heading: http.StatusText(status), Message: msg}
	switch {
	case status == http.StatusNotFound:
		v.Heading = "Page not found"
		if v.Message == "" || v.Message == http.StatusText(status) {
			v.Message = "Sorry, nothing lives at this address. It may have moved, or it never existed."
		}
	case status >= 500:
		v.Heading = "Something went wrong"
		v.Message = "The server could not show this page. Please try again in a moment."
	}
	if v.Heading == "" {
		v.Heading = "Error"
	}
	if v.Message == "" {
		v.Message = v.Heading + "."
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
