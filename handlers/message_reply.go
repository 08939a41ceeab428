package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// messageReply answers a private message privately: the answer is kept in
// the Messages thread (private, like the message) and goes to the sender
// alone as a Note from the author, never to followers or a public page.
func (s *Server) messageReply(c echo.Context) error {
	ctx := c.Request().Context()
	parent, err := s.moderatedComment(c)
	if parent == nil {
		return err
	}
	if parent.Status != models.StatusPrivate || parent.Source != models.SourceActivityPub ||
		parent.RemoteActor == nil || parent.ObjectURI == nil {
		s.Log.Info("admin: answer refused: not a private message from the fediverse", "interaction", parent.ID, "status", parent.Status)
		return s.adminErrorBack(c, http.StatusBadRequest, "Only private messages from the fediverse are answered here; answer comments from Comments.", "/admin/messages/")
	}
	html, err := replyHTML(c.Request().PostFormValue("content"))
	if err != nil {
		return s.adminErrorBack(c, http.StatusBadRequest, err.Error(), "/admin/messages/")
	}
	user := currentUser(c)
	// Answer as the actor the conversation is held with (the blog, when
	// the message was sent to it); a private reply on an article is the
	// author's to answer.
	as := user.Username
	if parent.ArticleID == 0 {
		held, err := s.Store.MessageLocalActor(ctx, parent.ID)
		if err != nil {
			return fmt.Errorf("answer to message %d: %w", parent.ID, err)
		}
		if held != "" {
			as = held
		}
	}
	pid := parent.ID
	in := &models.Interaction{
		LocalActor: as,
		ArticleID:  parent.ArticleID, ParentID: &pid, Kind: models.KindComment, Source: models.SourceLocal,
		Status: models.StatusPrivate, LocalAuthorID: &user.ID, AuthorName: user.Name,
		AuthorURL: s.Cfg.URLs.Profile(user.Username), Content: html, Visibility: "direct",
		InReplyTo: *parent.ObjectURI, PublishedAt: s.Now(),
	}
	if _, err := s.Store.CreateInteraction(ctx, in); err != nil {
		return fmt.Errorf("save answer to message %d: %w", parent.ID, err)
	}
	if err := s.Fed.MessageAnswerSaved(ctx, in.ID); err != nil {
		s.Log.Error("federate answer to message", "interaction", in.ID, "err", err)
	}
	s.Log.Info("author answered a message", "interaction", in.ID, "parent", parent.ID, "by", user.Username)
	return redirectSeeOther(c, withMsg("/admin/messages/", "answered"))
}
