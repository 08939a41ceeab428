package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// commentObjectShow is GET /comments/:id: an author's reply as a Note for
// AS2 clients; a fediverse comment redirects to its origin; browsers go to
// the comment on the article page; anything else is 404.
func (s *Server) commentObjectShow(c echo.Context) error {
	addVary(c, "Accept")
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	in, err := s.Store.InteractionByID(ctx, id)
	if err != nil {
		return fmt.Errorf("comment object %d: %w", id, err)
	}
	if in.Kind != models.KindComment || in.Status != models.StatusApproved {
		return notFoundf("comment %d not public", id)
	}
	a, err := s.Store.ArticleByID(ctx, in.ArticleID)
	if err != nil {
		return fmt.Errorf("comment %d article: %w", id, err)
	}
	if !a.IsVisible(s.Now()) {
		return notFoundf("comment %d on a hidden article", id)
	}
	if !wantsAS2(c) {
		return c.Redirect(http.StatusFound, a.Permalink()+"#comment-"+strconv.FormatUint(uint64(in.ID), 10))
	}
	switch {
	case in.Source == models.SourceLocal && in.LocalAuthorID != nil:
		if err := s.requireSignedFetch(c); err != nil {
			return err
		}
		doc, err := s.Fed.LocalReplyNote(ctx, in.ID)
		if err != nil {
			return err
		}
		return s.writeAS2(c, http.StatusOK, doc)
	case in.ObjectURI != nil && *in.ObjectURI != "":
		return c.Redirect(http.StatusFound, *in.ObjectURI)
	}
	return notFoundf("comment %d has no ActivityPub object", id)
}
