package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// articleRevisionRestore makes a revision the current version of its
// article. It is a save like any other: the version it replaces is kept as
// a revision, and a published article federates an Update. The status,
// date, slug and pin stay as they are; only the text comes back.
func (s *Server) articleRevisionRestore(c echo.Context) error {
	a, err := s.editableArticle(c)
	if a == nil {
		return err
	}
	ctx := c.Request().Context()
	back := fmt.Sprintf("/admin/articles/%d/revisions/", a.ID)
	n, err := strconv.ParseUint(c.Param("rev"), 10, 32)
	if err != nil {
		return s.adminErrorBack(c, http.StatusNotFound, "This revision does not exist.", back)
	}
	rev, err := s.Store.ArticleRevision(ctx, a.ID, uint(n))
	if isNotFound(err) {
		return s.adminErrorBack(c, http.StatusNotFound, "This revision does not exist.", back)
	}
	if err != nil {
		return err
	}
	f := formFromArticle(a)
	f.Title, f.Summary, f.Body = rev.Title, rev.Summary, revisionBody(rev)
	f.Tags = joinTags(rev.TagNames())
	f.Action = "publish"
	if a.Status == models.StatusDraft {
		f.Action = "draft"
	}
	if a.PublishedAt != nil { // to the second, as saved
		f.PublishedUTC = a.PublishedAt.UTC().Format(time.RFC3339)
	}
	saved, _, problems, err := s.saveArticle(ctx, a.ID, f, currentUser(c), false)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return s.renderRevisions(c, http.StatusUnprocessableEntity, a, rev.ID, problems)
	}
	s.Log.Info("revision restored", "article", a.ID, "revision", rev.ID, "by", currentUser(c).Username)
	return redirectSeeOther(c, withMsg(fmt.Sprintf("/admin/articles/%d/edit/", saved.ID), "restored"))
}
