package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// deliveriesView is admin/deliveries: where an article's activities went.
type deliveriesView struct {
	ArticleID   uint
	Title       string
	ViewURL     string // permalink while visible
	EditURL     string
	FederatedAt *time.Time
	Imported    bool
	Activities  []deliveryActivity
}

// deliveryActivity sums up one activity (Create, Update, …) of the article.
type deliveryActivity struct {
	ID, Kind  string
	Queued    time.Time
	Total     int
	Delivered int
	Queue     int // pending, never tried yet
	Retrying  int
	Failed    int
	Problems  []deliveryRow // every inbox not delivered to, with its last error
}

type deliveryRow struct {
	Inbox, Host, State   string // State: queued, retrying, failed
	Attempts, LastStatus int
	LastError            string
	NextAttempt          time.Time
}

// deliveriesShow is GET /admin/articles/:id/deliveries/: per activity,
// "delivered to N of M inboxes", and each inbox still retrying or failed
// with its last error.
func (s *Server) deliveriesShow(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return s.adminErrorBack(c, http.StatusNotFound, "This article does not exist.", "/admin/articles/")
	}
	ctx := c.Request().Context()
	a, err := s.Store.ArticleByID(ctx, id)
	if isNotFound(err) {
		return s.adminErrorBack(c, http.StatusNotFound, "This article does not exist.", "/admin/articles/")
	}
	if err != nil {
		return err
	}
	if !mayEditArticle(currentUser(c), a) {
		return s.forbidden(c, othersArticle, "/admin/articles/")
	}
	rows, err := s.Store.DeliveriesOfArticle(ctx, id)
	if err != nil {
		return err
	}
	v := deliveriesView{ArticleID: a.ID, Title: a.Title, FederatedAt: a.FederatedAt, Imported: a.Imported}
	if a.DeletedAt == nil {
		v.EditURL = "/admin/articles/" + c.Param("id") + "/edit/"
		if a.IsVisible(s.Now()) {
			v.ViewURL = a.Permalink()
		}
	}
	v.Activities = summarizeDeliveries(rows)
	return s.renderAdmin(c, http.StatusOK, "deliveries", "Deliveries: "+a.Title, "articles", v)
}

// summarizeDeliveries groups rows by activity, in the order they were queued.
func summarizeDeliveries(rows []models.Delivery) []deliveryActivity {
	var out []deliveryActivity
	index := map[string]int{}
	for _, d := range rows {
		i, ok := index[d.ActivityID]
		if !ok {
			i = len(out)
			index[d.ActivityID] = i
			out = append(out, deliveryActivity{ID: d.ActivityID, Kind: d.Kind, Queued: d.CreatedAt})
		}
		act := &out[i]
		act.Total++
		row := deliveryRow{Inbox: d.Inbox, Host: d.Host, Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError, NextAttempt: d.NextAttemptAt}
		switch {
		case d.Status == models.DeliveryDelivered:
			act.Delivered++
			continue
		case d.Status == models.DeliveryFailed:
			act.Failed++
			row.State = "failed"
		case d.Attempts > 0:
			act.Retrying++
			row.State = "retrying"
		default:
			act.Queue++
			row.State = "queued"
		}
		if row.State != "queued" {
			act.Problems = append(act.Problems, row)
		}
	}
	return out
}
