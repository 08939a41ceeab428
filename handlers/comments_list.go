package handlers

import (
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

const commentsPageSize = 100

// commentAction is one moderation button.
type commentAction struct {
	Status, Label string
	Danger        bool
}

// commentRow is one interaction awaiting or past moderation.
type commentRow struct {
	ID           uint
	Kind         string // "Comment", "Pingback"…
	Source       string
	AuthorName   string
	AuthorURL    string // safe http(s) link, or empty
	AuthorHandle string // @user@host for fediverse replies
	AuthorEmail  string
	AuthorIP     string
	Title        string // pingback source title
	Content      template.HTML
	LinkURL      string // the remote note or source page
	Date         time.Time
	ArticleTitle string
	ArticleURL   string // on the site, when visible
	EditURL      string
	Private      bool
	Actions      []commentAction
	// CanReply offers the answer form; Own marks the author's own answers,
	// editable in place (EditText is their text without markup).
	CanReply  bool
	Own       bool
	EditText  string
	Fediverse bool // the answer will be federated
}

type commentsData struct {
	Tabs     []adminTab
	Status   string
	Rows     []commentRow
	ReturnTo string
	Empty    string
}

// commentTabs are the moderation tabs, in order.
func commentTabs() []struct{ status, label string } {
	return []struct{ status, label string }{
		{models.StatusPending, "Pending"}, {models.StatusApproved, "Approved"},
		{models.StatusSpam, "Spam"}, {models.StatusRemoved, "Trash"},
	}
}

// commentActions are the moves offered from a status.
func commentActions(status string, private bool) []commentAction {
	approve := commentAction{models.StatusApproved, "Approve", false}
	unapprove := commentAction{models.StatusPending, "Unapprove", false}
	spam := commentAction{models.StatusSpam, "Spam", true}
	trash := commentAction{models.StatusRemoved, "Trash", true}
	var out []commentAction
	switch status {
	case models.StatusPending:
		out = []commentAction{approve, spam, trash}
	case models.StatusApproved:
		out = []commentAction{unapprove, spam, trash}
	case models.StatusSpam:
		out = []commentAction{{models.StatusPending, "Not spam", false}, trash}
	case models.StatusRemoved:
		out = []commentAction{{models.StatusPending, "Restore", false}}
	}
	if private { // never offer to publish a private message
		kept := out[:0]
		for _, a := range out {
			if a.Status != models.StatusApproved {
				kept = append(kept, a)
			}
		}
		out = kept
	}
	return out
}

// isPrivateInteraction reports messages that must never become public.
func isPrivateInteraction(in *models.Interaction) bool {
	return in.Status == models.StatusPrivate || in.Visibility == "direct" || in.Visibility == "followers"
}

// commentsList is comment moderation, one status per tab (pending first):
// authors see the comments on their own articles only.
func (s *Server) commentsList(c echo.Context) error {
	ctx := c.Request().Context()
	scope := workScope(currentUser(c))
	status := c.QueryParam("status")
	valid := false
	for _, t := range commentTabs() {
		valid = valid || t.status == status
	}
	if !valid {
		status = models.StatusPending
	}
	counts, err := s.Store.AdminModerationCounts(ctx, moderatedKinds(), scope)
	if err != nil {
		return err
	}
	list, err := s.Store.AdminModerationList(ctx, status, moderatedKinds(), scope, commentsPageSize, 0)
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
	d := commentsData{Status: status, ReturnTo: "/admin/comments/?status=" + status}
	for _, t := range commentTabs() {
		d.Tabs = append(d.Tabs, adminTab{Key: t.status, Label: t.label, Count: counts[t.status],
			Current: t.status == status, URL: "/admin/comments/?status=" + t.status})
	}
	now := s.Now()
	for i := range list {
		row := commentRowOf(&list[i], arts, now)
		in := &list[i]
		row.CanReply = in.Kind == models.KindComment && !row.Private && in.Status != models.StatusSpam && in.Status != models.StatusRemoved
		row.Own = in.Source == models.SourceLocal && in.LocalAuthorID != nil && *in.LocalAuthorID == currentUser(c).ID
		row.Fediverse = federatedThread(in)
		if row.Own {
			row.EditText = web.PlainText(in.Content)
		}
		d.Rows = append(d.Rows, row)
	}
	if len(d.Rows) == 0 {
		d.Empty = map[string]string{
			models.StatusPending: "No comments are waiting for you.", models.StatusApproved: "No approved comments yet.",
			models.StatusSpam: "No spam.", models.StatusRemoved: "The trash is empty.",
		}[status]
	}
	return s.renderAdmin(c, http.StatusOK, "comments", "Comments", "comments", d)
}

func commentRowOf(in *models.Interaction, arts map[uint]models.Article, now time.Time) commentRow {
	row := commentRow{
		ID: in.ID, Kind: kindLabel(in.Kind), Source: in.Source,
		AuthorName: in.AuthorName, AuthorEmail: in.AuthorEmail, AuthorIP: in.AuthorIP,
		Title: in.Title, Date: in.PublishedAt, Private: isPrivateInteraction(in),
		//nolint:gosec // re-sanitized here: moderation shows what nobody vetted yet
		Content: template.HTML(web.SanitizeRemote(in.Content)),
	}
	if u, ok := web.HTTPURL(in.AuthorURL); ok {
		row.AuthorURL = u
	}
	if u, ok := web.HTTPURL(in.URL); ok {
		row.LinkURL = u
	}
	if ra := in.RemoteActor; ra != nil {
		row.AuthorHandle = ra.Handle()
		if row.AuthorName == "" {
			row.AuthorName = ra.Name
		}
		if row.AuthorURL == "" {
			if u, ok := web.HTTPURL(ra.URL); ok {
				row.AuthorURL = u
			} else if u, ok := web.HTTPURL(ra.URI); ok {
				row.AuthorURL = u
			}
		}
	}
	if la := in.LocalAuthor; la != nil && row.AuthorName == "" {
		row.AuthorName = la.Name
	}
	if row.AuthorName == "" {
		row.AuthorName = "Anonymous"
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
	row.Actions = commentActions(in.Status, row.Private)
	return row
}

func kindLabel(kind string) string {
	switch kind {
	case models.KindComment:
		return "Comment"
	case models.KindPingback:
		return "Pingback"
	case models.KindTrackback:
		return "Trackback"
	case models.KindWebmention:
		return "Webmention"
	case models.KindQuote:
		return "Quote"
	case models.KindBoost:
		return "Boost"
	case models.KindLike:
		return "Like"
	}
	return kind
}
