package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// commentModerate moves a comment to approved, pending, spam or deleted.
func (s *Server) commentModerate(c echo.Context) error {
	ctx := c.Request().Context()
	status := c.Request().PostFormValue("status")
	switch status {
	case models.StatusApproved, models.StatusPending, models.StatusSpam, models.StatusRemoved:
	default:
		return s.adminErrorBack(c, http.StatusBadRequest, "Unknown moderation status.", "/admin/comments/")
	}
	id, err := idParam(c)
	var in *models.Interaction
	if err == nil {
		in, err = s.Store.InteractionByID(ctx, id)
	}
	if isNotFound(err) {
		return s.adminErrorBack(c, http.StatusNotFound, "This comment does not exist.", "/admin/comments/")
	}
	if err != nil {
		return err
	}
	if ok, err := s.requireModeration(c, in); !ok {
		return err
	}
	if in.Status == models.StatusPrivate { // its own page manages it; moving it here could publish it later
		return s.adminErrorBack(c, http.StatusForbidden, "Private messages are managed on the Messages page.", "/admin/messages/")
	}
	if status == models.StatusApproved && isPrivateInteraction(in) {
		return s.adminErrorBack(c, http.StatusForbidden, "This is a private message: it cannot be published.", "/admin/comments/")
	}
	if err := s.Store.SetInteractionStatus(ctx, id, status); err != nil {
		return err
	}
	// The author's own federated answers follow their status to the fediverse.
	if in.Source == models.SourceLocal && in.Status != status {
		var ferr error
		switch status {
		case models.StatusApproved:
			ferr = s.Fed.ReplySaved(ctx, id)
		case models.StatusRemoved, models.StatusSpam, models.StatusPending:
			ferr = s.Fed.ReplyDeleted(ctx, id)
		}
		if ferr != nil {
			s.Log.Error("federate moderated reply", "interaction", id, "err", ferr)
		}
	}
	// Removing a quote, or calling it spam, revokes the permission its
	// server was given (FEP-044f).
	revoked := func(st string) bool { return st == models.StatusRemoved || st == models.StatusSpam }
	if in.Kind == models.KindQuote && revoked(status) && !revoked(in.Status) {
		if err := s.Fed.QuoteRevoked(ctx, id); err != nil {
			s.Log.Error("federate revoked quote", "interaction", id, "err", err)
		}
	}
	s.Log.Info("comment moderated", "interaction", id, "from", in.Status, "to", status, "by", currentUser(c).Username)
	back := localPath(c.Request().PostFormValue("return_to"), "/admin/comments/?status="+in.Status)
	return redirectSeeOther(c, withMsg(back, "moderated"))
}
