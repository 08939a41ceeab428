package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// autosaveResult is what web/static/autosave.js reads.
type autosaveResult struct {
	// Saved is "draft" (the draft itself was saved), "autosave" (a
	// published article's changes were kept aside, readers see no change)
	// or "unchanged".
	Saved       string `json:"saved,omitempty"`
	ID          uint   `json:"id,omitempty"`
	Action      string `json:"action,omitempty"`       // where the editor form now posts
	EditURL     string `json:"edit_url,omitempty"`     // the editor's address for this article
	AutosaveURL string `json:"autosave_url,omitempty"` // where the next autosave goes
	Time        string `json:"time,omitempty"`         // when, as the blog shows dates
	Error       string `json:"error,omitempty"`
}

// articleAutosave saves what the editor holds while the author types:
// a draft (or a new article, which becomes a draft) is saved in place; the
// changes to a published or scheduled article go to the author's autosave
// revision only, never over what readers see or followers got.
func (s *Server) articleAutosave(c echo.Context) error {
	ctx := c.Request().Context()
	user := currentUser(c)
	var a *models.Article
	if c.Param("id") != "" {
		id, err := idParam(c)
		if err == nil {
			a, err = s.Store.ArticleByID(ctx, id)
		}
		if isNotFound(err) || (err == nil && a.DeletedAt != nil) {
			return c.JSON(http.StatusNotFound, autosaveResult{Error: "Not saved automatically: this article was deleted."})
		}
		if err != nil {
			return err
		}
		if !mayEditArticle(user, a) {
			s.Log.Warn("admin action refused", "user", user.Username, "role", user.Role, "path", c.Request().URL.Path)
			return c.JSON(http.StatusForbidden, autosaveResult{Error: "Not saved automatically: " + othersArticle})
		}
	}
	f := readArticleForm(c)
	f.Action = "draft"
	if a != nil && a.Status != models.StatusDraft {
		return s.autosaveAside(c, a, f)
	}
	saved, _, problems, err := s.saveArticle(ctx, idOf(a), f, user, true)
	if errors.Is(err, models.ErrNotDraft) { // published meanwhile, in another tab
		return s.autosaveAside(c, a, f)
	}
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		s.Log.Info("autosave refused", "article", idOf(a), "problems", strings.Join(problems, " "))
		return c.JSON(http.StatusUnprocessableEntity, autosaveResult{Error: "Not saved automatically: " + strings.Join(problems, " ")})
	}
	return c.JSON(http.StatusOK, s.autosaveAnswer(c, saved, "draft"))
}

// autosaveAside keeps the editor's text as the user's autosave revision of
// a published article.
func (s *Server) autosaveAside(c echo.Context, a *models.Article, f articleForm) error {
	ctx := c.Request().Context()
	user := currentUser(c)
	content := models.RevisionContent{Title: f.Title, Summary: f.Summary, Markdown: f.Body, Tags: f.tagNames()}
	if sameAsArticle(a, content) {
		return c.JSON(http.StatusOK, s.autosaveAnswer(c, a, "unchanged"))
	}
	if _, err := s.Store.SaveAutosave(ctx, a.ID, user.ID, content, s.Now()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.autosaveAnswer(c, a, "autosave"))
}

// sameAsArticle reports whether the editor holds the article's saved text.
func sameAsArticle(a *models.Article, c models.RevisionContent) bool {
	body := a.Markdown
	if body == "" && a.Format == "html" {
		body = a.HTML
	}
	if a.Title != c.Title || a.Summary != c.Summary || body != c.Markdown {
		return false
	}
	var was, now []string
	for _, t := range a.Tags {
		was = append(was, models.TagSlug(t.Name))
	}
	for _, n := range c.Tags {
		now = append(now, models.TagSlug(n))
	}
	slices.Sort(was)
	slices.Sort(now)
	return slices.Equal(slices.Compact(was), slices.Compact(now))
}

func (s *Server) autosaveAnswer(c echo.Context, a *models.Article, saved string) autosaveResult {
	style := web.DateStyle{}
	if st, err := s.Store.GetSettings(c.Request().Context()); err == nil {
		style = web.DateStyle{TimeZone: st.TimeZone, Format: st.DateFormat}
	}
	return autosaveResult{
		Saved: saved, ID: a.ID,
		Action:      fmt.Sprintf("/admin/articles/%d", a.ID),
		EditURL:     fmt.Sprintf("/admin/articles/%d/edit/", a.ID),
		AutosaveURL: fmt.Sprintf("/admin/articles/%d/autosave", a.ID),
		Time:        style.DateTime(s.Now()),
	}
}
