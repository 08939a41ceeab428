package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"fedpress/web"
)

// messageRow is one private reply: a comment row plus what only messages show.
type messageRow struct {
	commentRow
	ActorURI   string // for the "Block sender" form
	Summary    string
	Visibility string
}

type messagesData struct {
	Rows []messageRow
}

// messagesList shows direct and followers-only replies: they are stored as
// private and never shown on the site, so this page is where they are read.
// Authors read those on their own articles.
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
	for i := range list {
		in := &list[i]
		row := messageRow{commentRow: commentRowOf(in, arts, now), Visibility: in.Visibility, Summary: web.PlainText(in.Summary)}
		if ra := in.RemoteActor; ra != nil {
			row.ActorURI = ra.URI
		}
		d.Rows = append(d.Rows, row)
	}
	return s.renderAdmin(c, http.StatusOK, "messages", "Messages", "messages", d)
}
