package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/federation"
	"fedpress/web"
)

// authorizeInteraction is our remote-interaction landing page: other
// servers send their users here (our WebFinger subscribe template) with
// uri= the thing they want to act on. Our own objects redirect to their
// page; anything else gets an explanation, since a blog is not a
// fediverse client that could reply to or follow remote accounts.
func (s *Server) authorizeInteraction(c echo.Context) error {
	uri := strings.TrimSpace(c.QueryParam("uri"))
	if uri == "" {
		return s.renderInteract(c, http.StatusBadRequest, interactView{
			Heading: "Nothing to show", Message: "No address was given (?uri=…).",
		})
	}
	obj, err := s.Fed.LocalObjectPage(c.Request().Context(), uri)
	switch {
	case err == nil:
		// Only ever a path of this site: uri is the visitor's to choose.
		return c.Redirect(http.StatusFound, localPath(obj.Page, "/"))
	case !errors.Is(err, federation.ErrNotLocal):
		return err // ours but not shown: 404
	}
	v := interactView{
		Heading: "This blog cannot interact with other posts",
		Message: "This is a blog on the fediverse, not a fediverse account you can act from: it cannot follow, reply to or like posts and accounts of other servers. Open the address on your own server instead.",
	}
	if u, ok := web.HTTPURL(uri); ok {
		v.RemoteURL = u
	}
	return s.renderInteract(c, http.StatusOK, v)
}
