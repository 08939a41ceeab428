package handlers

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// editorMedia is how many recent uploads the editor offers to insert.
const editorMedia = 12

// articleFormData is the editor page.
type articleFormData struct {
	Form     articleForm
	Noun     string // "article" or "page"
	Errors   []string
	Action   string // where the form posts
	IsNew    bool
	ID       uint
	Status   string // "draft", "scheduled", "published"; "" for a new article
	DateUTC  string // RFC 3339 of the date field, for admin.js to show local time
	ViewURL  string // the article on the site, when readers can see it
	PermaDir string // "/2024/05/" the slug lives under
	Imported bool
	HTMLOnly bool // imported as HTML: the body field holds HTML
	Uploaded *mediaItem
	Media    []mediaItem
	MaxSize  string
	// AuthorName is whom the article is attributed to (and federated as);
	// LastEditedBy names the account that saved it last, Edits the latest
	// saves.
	AuthorName   string
	LastEditedBy string
	Edits        []models.ArticleEditRow
	// AutosaveURL is where autosave.js posts the fields; Revisions counts
	// the article's past versions; Autosaved is when the account's
	// autosave of this published article was made, if it holds changes
	// that are not saved.
	AutosaveURL string
	Revisions   int64
	Autosaved   *time.Time
	// Featured lists the article's images to choose its featured image
	// from (empty for a new article: it has none yet).
	Featured []mediaItem
}

// articleEditsShown is how many recent changes the editor lists.
const articleEditsShown = 10

// articleNew shows an empty editor.
func (s *Server) articleNew(c echo.Context) error {
	f := articleForm{Kind: models.ArticlePost}
	if c.QueryParam("kind") == models.ArticlePage {
		f.Kind = models.ArticlePage // "New page" in the admin menu
	}
	return s.renderArticleForm(c, http.StatusOK, nil, f, nil)
}

// articleEdit shows the editor for a saved article the account may edit.
func (s *Server) articleEdit(c echo.Context) error {
	a, err := s.editableArticle(c)
	if a == nil {
		return err
	}
	return s.renderArticleForm(c, http.StatusOK, a, formFromArticle(a), nil)
}

// articleStatus names an article's state for the admin.
func articleStatus(a *models.Article, now time.Time) string {
	switch {
	case a.Status == models.StatusDraft:
		return "draft"
	case a.IsScheduled(now):
		return "scheduled"
	}
	return "published"
}

// renderArticleForm shows the editor; a is nil for a new article.
func (s *Server) renderArticleForm(c echo.Context, status int, a *models.Article, f articleForm, problems []string) error {
	ctx := c.Request().Context()
	now := s.Now()
	d := articleFormData{Form: f, Errors: problems, Action: "/admin/articles", IsNew: a == nil, MaxSize: sizeLabel(s.Cfg.MaxUploadBytes),
		AutosaveURL: "/admin/articles/autosave"}
	when := now
	if a != nil {
		d.ID, d.Action = a.ID, fmt.Sprintf("/admin/articles/%d", a.ID)
		d.AutosaveURL = d.Action + "/autosave"
		n, err := s.Store.CountArticleRevisions(ctx, a.ID)
		if err != nil {
			return err
		}
		d.Revisions = n
		if as, err := s.Store.LatestAutosave(ctx, a.ID, currentUser(c).ID); err != nil {
			return err
		} else if as != nil && as.SavedAt.After(a.UpdatedAt) {
			d.Autosaved = &as.SavedAt
		}
		d.Status = articleStatus(a, now)
		d.Imported, d.HTMLOnly = a.Imported, a.Markdown == "" && a.Format == "html"
		if a.IsVisible(now) {
			d.ViewURL = a.Permalink()
		}
		if a.PublishedAt != nil {
			when = *a.PublishedAt
		}
		d.AuthorName = a.Author.Name
		for _, m := range a.Media {
			if strings.HasPrefix(m.MimeType, "image/") {
				d.Featured = append(d.Featured, mediaItemOf(m))
			}
		}
		edits, err := s.Store.ArticleEdits(ctx, a.ID, articleEditsShown)
		if err != nil {
			return err
		}
		d.Edits = edits
		if a.LastEditedByID != nil {
			if ed, err := s.Store.AuthorByID(ctx, *a.LastEditedByID); err == nil {
				d.LastEditedBy = ed.Name
			} else if !isNotFound(err) {
				return err
			}
		}
	}
	if t, err := f.publishTime(); err == nil && t != nil {
		d.DateUTC = t.Format(time.RFC3339)
		when = *t
	}
	d.PermaDir = fmt.Sprintf("/%04d/%02d/", when.UTC().Year(), int(when.UTC().Month()))
	d.Noun = "article"
	if f.Kind == models.ArticlePage {
		d.PermaDir, d.Noun = "/", "page"
	}

	media, err := s.Store.ListMedia(ctx, workScope(currentUser(c)), editorMedia)
	if err != nil {
		return err
	}
	for _, m := range media {
		d.Media = append(d.Media, mediaItemOf(m))
	}
	if name := c.QueryParam("uploaded"); name != "" {
		if m, err := s.Store.MediaByPath(ctx, name); err == nil {
			it := mediaItemOf(*m)
			d.Uploaded = &it
		}
	}
	title, section := "New article", "new"
	if d.Noun == "page" {
		title, section = "New page", "newpage"
	}
	if a != nil {
		title, section = "Edit “"+a.Title+"”", "articles"
		if a.Title == "" {
			title = "Edit an untitled draft"
		}
	}
	return s.renderAdmin(c, status, "article_form", title, section, d)
}

// mediaItem is one upload as the admin shows it.
type mediaItem struct {
	models.Media
	URL      string
	Markdown string // snippet to paste into an article
	Size     string
}

func mediaItemOf(m models.Media) mediaItem {
	return mediaItem{Media: m, URL: web.MediaPrefix + m.Path, Markdown: web.ImageMarkdown(m.Path, m.Alt, m.Caption), Size: sizeLabel(m.Size)}
}
