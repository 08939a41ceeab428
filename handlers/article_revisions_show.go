package handlers

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// diffContext is how many unchanged lines the comparison shows around a change.
const diffContext = 3

// revisionItem is one line of an article's revisions list.
type revisionItem struct {
	ID       uint
	Autosave bool
	Who      string
	When     time.Time
	URL      string
	Selected bool
}

// diffSection compares one field of a revision with the current version.
type diffSection struct {
	Name  string
	Lines []web.DiffLine // nil: the same in both
}

// revisionView is the selected revision compared with the current version.
type revisionView struct {
	revisionItem
	Sections   []diffSection
	Same       bool // no field differs
	RestoreURL string
}

type revisionsData struct {
	ID        uint
	Title     string
	Status    string
	EditURL   string
	Revisions []revisionItem
	Selected  *revisionView
	Errors    []string
}

// articleRevisionsShow lists an article's revisions (who saved each
// version, when) and compares one (?rev=, the newest by default) with the
// current version. Whoever may edit the article may see them.
func (s *Server) articleRevisionsShow(c echo.Context) error {
	a, err := s.editableArticle(c)
	if a == nil {
		return err
	}
	var sel uint
	if v := c.QueryParam("rev"); v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return s.adminErrorBack(c, http.StatusNotFound, "This revision does not exist.", fmt.Sprintf("/admin/articles/%d/revisions/", a.ID))
		}
		sel = uint(n)
	}
	return s.renderRevisions(c, http.StatusOK, a, sel, nil)
}

// renderRevisions shows the revisions page of a with revision sel (0: the
// newest) compared.
func (s *Server) renderRevisions(c echo.Context, status int, a *models.Article, sel uint, problems []string) error {
	ctx := c.Request().Context()
	revs, err := s.Store.ArticleRevisions(ctx, a.ID)
	if err != nil {
		return err
	}
	base := fmt.Sprintf("/admin/articles/%d/revisions/", a.ID)
	d := revisionsData{ID: a.ID, Title: a.Title, Status: articleStatus(a, s.Now()), EditURL: fmt.Sprintf("/admin/articles/%d/edit/", a.ID), Errors: problems}
	if sel == 0 && len(revs) > 0 {
		sel = revs[0].ID
	}
	for i := range revs {
		r := &revs[i]
		it := revisionItem{ID: r.ID, Autosave: r.Kind == models.RevisionAutosave, Who: revisionAuthor(r, a),
			When: r.SavedAt, URL: base + "?rev=" + strconv.FormatUint(uint64(r.ID), 10), Selected: r.ID == sel}
		d.Revisions = append(d.Revisions, it)
		if it.Selected {
			d.Selected = &revisionView{revisionItem: it, RestoreURL: fmt.Sprintf("%s%d/restore", base, r.ID)}
			d.Selected.Sections, d.Selected.Same = compareWithArticle(&r.ArticleRevision, a)
		}
	}
	if sel != 0 && d.Selected == nil {
		return s.adminErrorBack(c, http.StatusNotFound, "This revision does not exist.", base)
	}
	title := "Revisions of “" + a.Title + "”"
	if a.Title == "" {
		title = "Revisions of an untitled draft"
	}
	return s.renderAdmin(c, status, "revisions", title, "articles", d)
}

// revisionAuthor names who wrote a revision's version.
func revisionAuthor(r *models.ArticleRevisionRow, a *models.Article) string {
	switch {
	case r.SavedByID == nil && a.Imported:
		return "the WordPress import"
	case r.SavedByID == nil:
		return "not recorded"
	case r.Name == "":
		return "a removed account"
	}
	return r.Name
}

// revisionBody is the text a revision's body holds: Markdown, or the HTML
// of an imported article.
func revisionBody(r *models.ArticleRevision) string {
	if r.Markdown == "" && r.Format == "html" {
		return r.HTML
	}
	return r.Markdown
}

// compareWithArticle compares each field of r (−) with the article's
// current version (+).
func compareWithArticle(r *models.ArticleRevision, a *models.Article) ([]diffSection, bool) {
	was := r.TagNames()
	now := make([]string, len(a.Tags))
	for i, t := range a.Tags {
		now[i] = t.Name
	}
	slices.Sort(was)
	slices.Sort(now)
	fields := []struct{ name, was, now string }{
		{"Title", r.Title, a.Title},
		{"Summary", r.Summary, a.Summary},
		{"Tags", strings.Join(was, ", "), strings.Join(now, ", ")},
		{"Body", revisionBody(r), formFromArticle(a).Body},
	}
	same := true
	var out []diffSection
	for _, f := range fields {
		lines := web.LineDiff(f.was, f.now, diffContext)
		if lines != nil {
			same = false
		}
		out = append(out, diffSection{Name: f.name, Lines: lines})
	}
	return out, same
}
