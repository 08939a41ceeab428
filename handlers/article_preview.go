package handlers

import (
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// previewData is an unsaved article as readers would see it.
type previewData struct {
	Title     string
	Summary   string
	HTML      template.HTML // sanitized by web.RenderMarkdown
	Published time.Time
	Scheduled bool
	Author    string
	Tags      []string
}

// articlePreview renders the editor's fields in the site's look without
// saving anything. The editor's Preview button posts here (formaction), so
// it works without JavaScript.
func (s *Server) articlePreview(c echo.Context) error {
	f := readArticleForm(c)
	html, _, err := s.renderArticleBody(c.Request().Context(), f.Body)
	if err != nil {
		return err
	}
	d := previewData{
		Title: f.Title, Summary: f.Summary, HTML: template.HTML(html), //nolint:gosec // sanitized by RenderMarkdown
		Published: s.Now(), Author: currentUser(c).Name, Tags: f.tagNames(),
	}
	if d.Title == "" {
		d.Title = "(no title)"
	}
	if t, err := f.publishTime(); err == nil && t != nil {
		d.Published = *t
		d.Scheduled = t.After(s.Now())
	}
	return s.renderAdmin(c, http.StatusOK, "preview", "Preview: "+d.Title, "", d)
}
