package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

type dashboardData struct {
	Articles     models.ArticleCounts
	Pending      int64
	Followers    int64
	BlogHandle   string
	AuthorHandle string
	Drafts       []adminArticleRow
	Scheduled    []adminArticleRow
	Comments     []commentRow
}

// dashboardShow is the admin home: what needs attention, at a glance.
// Authors see their own work only.
func (s *Server) dashboardShow(c echo.Context) error {
	ctx := c.Request().Context()
	now := s.Now()
	scope := workScope(currentUser(c))
	st, err := s.Store.GetSettings(ctx)
	if err != nil {
		return err
	}
	d := dashboardData{
		BlogHandle:   "@" + st.BlogUsername + "@" + s.Cfg.URLs.Host(),
		AuthorHandle: "@" + currentUser(c).Username + "@" + s.Cfg.URLs.Host(),
	}
	if d.Articles, err = s.Store.AdminArticleCounts(ctx, now, scope); err != nil {
		return err
	}
	counts, err := s.Store.AdminModerationCounts(ctx, moderatedKinds(), scope)
	if err != nil {
		return err
	}
	d.Pending = counts[models.StatusPending]
	if d.Followers, err = s.Store.AdminFollowerCount(ctx, ""); err != nil {
		return err
	}
	for _, part := range []struct {
		filter string
		into   *[]adminArticleRow
	}{{models.FilterDrafts, &d.Drafts}, {models.FilterScheduled, &d.Scheduled}} {
		arts, _, err := s.Store.AdminListArticles(ctx, part.filter, now, scope, 5, 0)
		if err != nil {
			return err
		}
		for i := range arts {
			a := &arts[i]
			*part.into = append(*part.into, adminArticleRow{ID: a.ID, Title: a.Title, Status: articleStatus(a, now),
				Date: a.PublishedAt, EditURL: fmt.Sprintf("/admin/articles/%d/edit/", a.ID)})
		}
	}
	pending, err := s.Store.AdminModerationList(ctx, models.StatusPending, moderatedKinds(), scope, 5, 0)
	if err != nil {
		return err
	}
	ids := make([]uint, 0, len(pending))
	for _, in := range pending {
		ids = append(ids, in.ArticleID)
	}
	arts, err := s.Store.AdminArticlesByIDs(ctx, ids)
	if err != nil {
		return err
	}
	for i := range pending {
		d.Comments = append(d.Comments, commentRowOf(&pending[i], arts, now))
	}
	return s.renderAdmin(c, http.StatusOK, "dashboard", "Dashboard", "dashboard", d)
}
