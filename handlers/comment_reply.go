package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// maxReplyLength bounds an author's reply, like visitor comments.
const maxReplyLength = 10000

// commentReply is the author answering a comment from the admin area. The
// answer shows in the thread at once; an answer in a fediverse thread is
// federated as a Note to the commenter and the followers.
func (s *Server) commentReply(c echo.Context) error {
	ctx := c.Request().Context()
	parent, err := s.moderatedComment(c)
	if parent == nil {
		return err
	}
	if parent.Status == models.StatusPrivate || isPrivateInteraction(parent) {
		return s.adminErrorBack(c, http.StatusForbidden, "Private messages cannot be answered in public.", "/admin/messages/")
	}
	html, err := replyHTML(c.Request().PostFormValue("content"))
	if err != nil {
		return s.adminErrorBack(c, http.StatusBadRequest, err.Error(), "/admin/comments/")
	}
	user := currentUser(c)
	pid := parent.ID
	in := &models.Interaction{
		ArticleID: parent.ArticleID, ParentID: &pid, Kind: models.KindComment, Source: models.SourceLocal,
		Status: models.StatusApproved, LocalAuthorID: &user.ID, AuthorName: user.Name,
		AuthorURL: s.Cfg.URLs.Profile(user.Username), Content: html, Visibility: "public",
		InReplyTo: parentURI(s, parent), PublishedAt: s.Now(),
	}
	if _, err := s.Store.CreateInteraction(ctx, in); err != nil {
		return fmt.Errorf("save reply to comment %d: %w", parent.ID, err)
	}
	// The parent being approved makes the thread public; answering approves it.
	if parent.Status == models.StatusPending {
		if err := s.Store.SetInteractionStatus(ctx, parent.ID, models.StatusApproved); err != nil {
			return err
		}
	}
	if federatedThread(parent) {
		if err := s.Fed.ReplySaved(ctx, in.ID); err != nil {
			s.Log.Error("federate reply", "interaction", in.ID, "err", err)
		}
	}
	s.Log.Info("author replied", "interaction", in.ID, "parent", parent.ID, "by", user.Username)
	return redirectSeeOther(c, withMsg(localPath(c.Request().PostFormValue("return_to"), "/admin/comments/?status=approved"), "replied"))
}

// commentEditReply edits the author's own reply; a federated one sends Update.
func (s *Server) commentEditReply(c echo.Context) error {
	ctx := c.Request().Context()
	in, err := s.moderatedComment(c)
	if in == nil {
		return err
	}
	user := currentUser(c)
	if in.Source != models.SourceLocal || in.LocalAuthorID == nil || *in.LocalAuthorID != user.ID {
		return s.adminErrorBack(c, http.StatusForbidden, "Only your own replies can be edited.", "/admin/comments/")
	}
	html, err := replyHTML(c.Request().PostFormValue("content"))
	if err != nil {
		return s.adminErrorBack(c, http.StatusBadRequest, err.Error(), "/admin/comments/")
	}
	now := s.Now()
	in.Content, in.EditedAt = html, &now
	if err := s.Store.SaveInteraction(ctx, in); err != nil {
		return err
	}
	if err := s.Fed.ReplySaved(ctx, in.ID); err != nil {
		s.Log.Error("federate reply edit", "interaction", in.ID, "err", err)
	}
	return redirectSeeOther(c, withMsg(localPath(c.Request().PostFormValue("return_to"), "/admin/comments/?status=approved"), "reply_edited"))
}

// moderatedComment loads the :id comment, on an article the account may
// moderate. When it returns nil, the answer (404 or 403 page) is written or
// the error is to be returned.
func (s *Server) moderatedComment(c echo.Context) (*models.Interaction, error) {
	id, err := idParam(c)
	var in *models.Interaction
	if err == nil {
		in, err = s.Store.InteractionByID(c.Request().Context(), id)
	}
	if isNotFound(err) || (err == nil && in.Kind != models.KindComment) {
		return nil, s.adminErrorBack(c, http.StatusNotFound, "This comment does not exist.", "/admin/comments/")
	}
	if err != nil {
		return nil, err
	}
	if ok, err := s.requireModeration(c, in); !ok {
		return nil, err
	}
	return in, nil
}

// replyHTML renders the author's Markdown answer.
func replyHTML(text string) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", fmt.Errorf("the reply is empty")
	case len(text) > maxReplyLength:
		return "", fmt.Errorf("the reply is longer than %d characters", maxReplyLength)
	}
	html, err := web.RenderMarkdown(text)
	if err != nil {
		return "", fmt.Errorf("render reply: %w", err)
	}
	return html, nil
}

// parentURI is what a reply answers: the remote object, or our comment URL.
func parentURI(s *Server, parent *models.Interaction) string {
	if parent.ObjectURI != nil && parent.Source == models.SourceActivityPub {
		return *parent.ObjectURI
	}
	return s.Cfg.URLs.Comment(parent.ID)
}

// federatedThread: answers to fediverse comments (and to the author's own
// answers in such threads) go to the fediverse; answers to visitor comments
// stay on the blog, like the visitor comments themselves.
func federatedThread(parent *models.Interaction) bool {
	return parent.Source == models.SourceActivityPub || parent.Source == models.SourceLocal
}
