package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/federation"
)

// maxInteractBody bounds the "Reply from your own instance" form.
const maxInteractBody = 16 << 10

// interactView is what site/interact shows: an error of the remote
// interaction form (with the form again), or the explanation of
// /authorize_interaction for posts that are not ours.
type interactView struct {
	Heading   string
	Message   string
	URI       string // the object to interact with, kept for a new try
	Handle    string
	BackURL   string // our page the visitor came from
	RemoteURL string // a remote object, linked for the visitor
	ShowForm  bool
}

// interactCreate handles "Reply from your own instance" under articles and
// "Follow" on profiles: uri is the article's or actor's id, handle the
// visitor's @user@host. WebFinger on their server gives the interaction
// page, and the visitor is sent there (303).
func (s *Server) interactCreate(c echo.Context) error {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, maxInteractBody)
	if err := r.ParseForm(); err != nil {
		return s.renderInteract(c, http.StatusBadRequest, interactView{Heading: "Could not read the form", Message: "The form could not be read. Please go back and try again."})
	}
	uri := strings.TrimSpace(r.PostForm.Get("uri"))
	handle := strings.TrimSpace(r.PostForm.Get("handle"))
	ctx := r.Context()
	obj, err := s.Fed.LocalObjectPage(ctx, uri)
	switch {
	case errors.Is(err, federation.ErrNotLocal), isNotFound(err),
		err == nil && obj.Kind != federation.LocalArticle && obj.Kind != federation.LocalComment && obj.Kind != federation.LocalActor:
		return s.renderInteract(c, http.StatusBadRequest, interactView{
			Heading: "Nothing to interact with",
			Message: "This form only works for the articles, comments and profiles of this blog.",
		})
	case err != nil:
		return err
	}
	v := interactView{URI: uri, Handle: handle, BackURL: obj.Page, ShowForm: true}
	if handle == "" {
		v.Heading, v.Message = "Which account?", "Enter your fediverse handle, like @you@your.server."
		return s.renderInteract(c, http.StatusBadRequest, v)
	}
	dest, err := s.Fed.RemoteInteractURL(ctx, handle, obj.ID, obj.Kind == federation.LocalActor)
	var ie *federation.InteractError
	if errors.As(err, &ie) {
		s.Log.Info("remote interaction failed", "handle", handle, "uri", obj.ID, "err", err)
		v.Heading, v.Message = "Could not reach your server", ie.Msg
		return s.renderInteract(c, http.StatusBadRequest, v)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, dest)
}

// interactLimit bounds remote interactions per client address: each one
// makes the server query the WebFinger of a host the visitor names.
func (s *Server) interactLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return s.rateLimited(next, s.writeLimits.interact,
		s.refusePage("Too many tries", "This form was sent too often from your network."))
}

// renderInteract renders site/interact; these pages are never indexed.
func (s *Server) renderInteract(c echo.Context, status int, v interactView) error {
	p, err := s.newPage(c, v.Heading, &v)
	if err != nil {
		return err
	}
	p.Canonical = ""
	return s.render(c, status, "site/interact", p)
}
