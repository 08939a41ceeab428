package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// messageRow is one private reply: a comment row plus what only messages show.
type messageRow struct {
	commentRow
	ActorURI   string // for the "Block sender" form
	Summary    string
	Visibility string
	Own        bool // an author's answer
}

// messageThread is a conversation: a message and what answers it, oldest
// first. AnswerID is the newest message of the sender's to answer (0: none
// can be answered).
type messageThread struct {
	Rows     []messageRow
	AnswerID uint
}

type messagesData struct {
	Threads []messageThread
}

// messagesList shows direct and followers-only replies and direct messages
// (with the authors' private answers), by conversation: they are stored as
// private and never shown on the site, so this page is where they are read
// and answered.
// Authors read those on their own articles; direct messages that answer no
// article are read by those who may handle all work.
func (s *Server) messagesList(c echo.Context) error {
	ctx := c.Request().Context()
	list, err := s.Store.ListPrivateMessages(ctx, workScope(currentUser(c)), 200)
	if err != nil {
		return err
	}
	ids := make([]uint, 0, len(list))
	for _, in := range list {
		ids = append(ids, in.ArticleID)
	}
	arts, err := s.Store.AdminArticlesByIDs(ctx, ids)
	if err != nil {
		return err
	}
	now := s.Now()
	var d messagesData
	byID := make(map[uint]*models.Interaction, len(list))
	for i := range list {
		byID[list[i].ID] = &list[i]
	}
	// The list is newest first: a thread takes the place of its newest message.
	threadOf := map[uint]int{}
	for i := range list {
		in := &list[i]
		root := in
		for steps := 0; root.ParentID != nil && byID[*root.ParentID] != nil && steps < len(list); steps++ {
			root = byID[*root.ParentID]
		}
		t, ok := threadOf[root.ID]
		if !ok {
			t = len(d.Threads)
			threadOf[root.ID] = t
			d.Threads = append(d.Threads, messageThread{})
		}
		row := messageRow{commentRow: commentRowOf(in, arts, now), Visibility: in.Visibility, Summary: web.PlainText(in.Summary),
			Own: in.Source == models.SourceLocal}
		if in.ArticleID == 0 {
			row.ArticleTitle = "" // a direct message, about no article
		}
		if ra := in.RemoteActor; ra != nil {
			row.ActorURI = ra.URI
		}
		th := &d.Threads[t]
		if th.AnswerID == 0 && in.Source == models.SourceActivityPub && in.RemoteActor != nil && in.ObjectURI != nil {
			th.AnswerID = in.ID
		}
		th.Rows = append([]messageRow{row}, th.Rows...)
	}
	return s.renderAdmin(c, http.StatusOK, "messages", "Messages", "messages", d)
}
