package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

const adminPageSize = 50

// adminArticleRow is one line of the admin article list.
type adminArticleRow struct {
	ID            uint
	Title         string
	Status        string // draft, scheduled, published
	Date          *time.Time
	Author        string
	LastEditedBy  string // when not the author
	Comments      int64
	Pinned        bool
	EditURL       string
	ViewURL       string // empty unless readers can see it
	DeliveriesURL string
}

// adminTab is a filter tab with its count.
type adminTab struct {
	Key, Label, URL string
	Count           int64
	Current         bool
}

type articleListData struct {
	Tabs     []adminTab
	Rows     []adminArticleRow
	Page     int
	PrevURL  string
	NextURL  string
	Filter   string
	Total    int64
	Empty    string
	Multiple bool // more than one author: show the author column
}

// adminArticlesList lists every article, drafts and scheduled ones too;
// authors see their own.
func (s *Server) adminArticlesList(c echo.Context) error {
	ctx := c.Request().Context()
	now := s.Now()
	scope := workScope(currentUser(c))
	filter := c.QueryParam("status")
	if filter == "" {
		filter = models.FilterAll
	}
	page, err := strconv.Atoi(c.QueryParam("page"))
	if err != nil || page < 1 {
		page = 1
	}
	counts, err := s.Store.AdminArticleCounts(ctx, now, scope)
	if err != nil {
		return err
	}
	arts, total, err := s.Store.AdminListArticles(ctx, filter, now, scope, adminPageSize, (page-1)*adminPageSize)
	if isNotFound(err) {
		return redirectSeeOther(c, "/admin/articles/")
	}
	if err != nil {
		return err
	}
	ids := make([]uint, len(arts))
	for i := range arts {
		ids[i] = arts[i].ID
	}
	comments, err := s.Store.CommentCounts(ctx, ids)
	if err != nil {
		return err
	}
	authors, err := s.Store.ListAuthors(ctx)
	if err != nil {
		return err
	}
	names := make(map[uint]string, len(authors))
	for _, a := range authors {
		names[a.ID] = a.Name
	}
	d := articleListData{Page: page, Filter: filter, Total: total, Multiple: len(authors) > 1 && scope == 0}
	for _, t := range []struct {
		key, label string
		n          int64
	}{
		{models.FilterAll, "All", counts.All}, {models.FilterPublished, "Published", counts.Published},
		{models.FilterScheduled, "Scheduled", counts.Scheduled}, {models.FilterDrafts, "Drafts", counts.Drafts},
		{models.FilterPages, "Pages", counts.Pages},
	} {
		d.Tabs = append(d.Tabs, adminTab{Key: t.key, Label: t.label, Count: t.n, Current: t.key == filter,
			URL: "/admin/articles/?status=" + t.key})
	}
	for i := range arts {
		a := &arts[i]
		row := adminArticleRow{
			ID: a.ID, Title: a.Title, Status: articleStatus(a, now), Date: a.PublishedAt,
			Author: a.Author.Name, Comments: comments[a.ID], Pinned: a.Pinned,
			EditURL:       fmt.Sprintf("/admin/articles/%d/edit/", a.ID),
			DeliveriesURL: fmt.Sprintf("/admin/articles/%d/deliveries/", a.ID),
		}
		if row.Date == nil {
			row.Date = &a.UpdatedAt
		}
		if ed := a.LastEditedByID; ed != nil && *ed != a.AuthorID {
			row.LastEditedBy = names[*ed]
		}
		if a.IsVisible(now) {
			row.ViewURL = a.Permalink()
		}
		d.Rows = append(d.Rows, row)
	}
	pageURL := func(n int) string { return fmt.Sprintf("/admin/articles/?status=%s&page=%d", filter, n) }
	if page > 1 {
		d.PrevURL = pageURL(page - 1)
	}
	if int64(page*adminPageSize) < total {
		d.NextURL = pageURL(page + 1)
	}
	if len(d.Rows) == 0 {
		d.Empty = map[string]string{
			models.FilterAll: "No articles yet.", models.FilterPublished: "Nothing published yet.",
			models.FilterScheduled: "Nothing scheduled.", models.FilterDrafts: "No drafts.",
			models.FilterPages: "No pages yet.",
		}[filter]
	}
	return s.renderAdmin(c, http.StatusOK, "articles", "Articles", "articles", d)
}
