package handlers

import (
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/web"
)

// messageRow is one private reply.
type messageRow struct {
	ID           uint
	AuthorName   string
	AuthorURL    string
	AuthorHandle string
	ActorURI     string // for the "Block sender" form
	Summary      string
	Content      template.HTML
	LinkURL      string
	Date         time.Time
	Visibility   string
	ArticleTitle string
	ArticleURL   string
	EditURL      string
}

type messagesData struct {
	Rows []messageRow
}

// messagesList shows direct and followers-only replies: they are stored as
// private and never shown on the site, so this page is where they are read.
func (s *Server) messagesList(c echo.Context) error {
	ctx := c.Request().Context()
	list, err := s.Store.ListPrivateMessages(ctx, 200)
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
		row := messageRow{
			ID: in.ID, AuthorName: in.AuthorName, Date: in.PublishedAt, Visibility: in.Visibility,
			Summary: web.PlainText(in.Summary),
			//nolint:gosec // re-sanitized: shown as stored by the inbox, which sanitized it already
			Content: template.HTML(web.SanitizeRemote(in.Content)),
		}
		if u, ok := web.HTTPURL(in.URL); ok {
			row.LinkURL = u
		}
		if u, ok := web.HTTPURL(in.AuthorURL); ok {
			row.AuthorURL = u
		}
		if ra := in.RemoteActor; ra != nil {
			row.AuthorHandle, row.ActorURI = ra.Handle(), ra.URI
			if row.AuthorName == "" {
				row.AuthorName = ra.Name
			}
		}
		if row.AuthorName == "" {
			row.AuthorName = "Unknown"
		}
		if a, ok := arts[in.ArticleID]; ok {
			row.ArticleTitle = a.Title
			row.EditURL = fmt.Sprintf("/admin/articles/%d/edit/", a.ID)
			if a.IsVisible(now) {
				row.ArticleURL = a.Permalink()
			}
		} else {
			row.ArticleTitle = fmt.Sprintf("article %d", in.ArticleID)
		}
		d.Rows = append(d.Rows, row)
	}
	return s.renderAdmin(c, http.StatusOK, "messages", "Messages", "messages", d)
}
