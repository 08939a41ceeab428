package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"fedpress/federation"
	"fedpress/models"
)

// commentObjectShow is GET /comments/:id. For AS2 clients: our comment
// objects (an author's answer, a visitor's comment) as Notes; a fediverse
// comment redirects to its origin. Browsers go to the comment on the
// article page. Once gone, an object that was pushed to other servers (an
// author's answer) or removed by moderation, or whose article was
// deleted, answers 410 with a Tombstone; anything else not public is 404.
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
	if in.Kind != models.KindComment {
		return notFoundf("interaction %d is not a comment", id)
	}
	a, err := s.Store.ArticleByID(ctx, in.ArticleID)
	if err != nil {
		return fmt.Errorf("comment %d article: %w", id, err)
	}
	ours := federation.CommentIsOurs(in)
	if in.Status != models.StatusApproved || !a.IsVisible(s.Now()) {
		// A private answer stays unknown (404) even once gone: a 410 would
		// tell strangers it existed.
		gone := ours && in.Status != models.StatusPrivate && (in.Source == models.SourceLocal || in.Status == models.StatusRemoved ||
			in.Status == models.StatusSpam || a.DeletedAt != nil)
		if !gone {
			return notFoundf("comment %d not public", id)
		}
		if !wantsAS2(c) {
			return echo.NewHTTPError(http.StatusGone, "This comment was deleted.")
		}
		doc, err := s.Fed.CommentTombstone(in)
		if err != nil {
			return err
		}
		return s.writeAS2(c, http.StatusGone, doc)
	}
	if !wantsAS2(c) {
		return c.Redirect(http.StatusFound, a.Permalink()+"#comment-"+strconv.FormatUint(uint64(in.ID), 10))
	}
	if !ours {
		return c.Redirect(http.StatusFound, *in.ObjectURI)
	}
	if err := s.requireSignedFetch(c); err != nil {
		return err
	}
	doc, err := s.Fed.CommentNote(ctx, in.ID)
	if err != nil {
		return err
	}
	return s.writeAS2(c, http.StatusOK, doc)
}

// commentRepliesShow is GET /comments/:id/replies[?page=N]: the replies
// collection of one of our comment objects.
func (s *Server) commentRepliesShow(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	in, err := s.Store.InteractionByID(ctx, id)
	if err != nil {
		return fmt.Errorf("comment replies %d: %w", id, err)
	}
	a, err := s.Store.ArticleByID(ctx, in.ArticleID)
	if err != nil {
		return fmt.Errorf("comment %d article: %w", id, err)
	}
	if !a.IsVisible(s.Now()) {
		return notFoundf("comment %d on a hidden article", id)
	}
	page, err := collectionPage(c)
	if err != nil {
		return err
	}
	if err := s.requireSignedFetch(c); err != nil {
		return err
	}
	doc, err := s.Fed.CommentReplies(ctx, a, in.ID, page)
	if err != nil {
		return err
	}
	return s.writeAS2(c, http.StatusOK, doc)
}
