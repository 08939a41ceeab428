package handlers

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// siteMenu is the header navigation: the owner's menu, or by default Home
// and the published pages (the blog's profile as "About" while there is
// no page, as before pages existed).
func (s *Server) siteMenu(c echo.Context, st *models.Settings) ([]models.MenuItem, error) {
	if items := st.MenuItems(); items != nil {
		return items, nil
	}
	return s.defaultMenu(c.Request().Context(), st)
}

func (s *Server) defaultMenu(ctx context.Context, st *models.Settings) ([]models.MenuItem, error) {
	pages, err := s.Store.ListVisiblePages(ctx, s.Now())
	if err != nil {
		return nil, err
	}
	items := []models.MenuItem{{Label: "Home", URL: "/"}}
	for i := range pages {
		items = append(items, models.MenuItem{Label: pages[i].Title, URL: pages[i].Permalink()})
	}
	if len(pages) == 0 && st.BlogUsername != "" {
		items = append(items, models.MenuItem{Label: "About", URL: profilePath(st.BlogUsername)})
	}
	return items, nil
}

// menuData is the menu editor.
type menuData struct {
	Text    string // one "Label | URL" line per entry
	Errors  []string
	Default string // what an empty menu shows, in the same form
	Pages   []models.MenuItem
}

// menuText writes entries one per line, as the editor takes them.
func menuText(items []models.MenuItem) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString(it.Label + " | " + it.URL + "\n")
	}
	return b.String()
}

// menuEdit shows the navigation menu editor (the owner's, like settings).
func (s *Server) menuEdit(c echo.Context) error {
	if ok, err := s.requireBlogManager(c, "change the menu"); !ok {
		return err
	}
	st, err := s.Store.GetSettings(c.Request().Context())
	if err != nil {
		return err
	}
	return s.renderMenu(c, http.StatusOK, st, menuText(st.MenuItems()), nil)
}

func (s *Server) renderMenu(c echo.Context, status int, st *models.Settings, text string, problems []string) error {
	ctx := c.Request().Context()
	def, err := s.defaultMenu(ctx, st)
	if err != nil {
		return err
	}
	pages, err := s.Store.ListVisiblePages(ctx, s.Now())
	if err != nil {
		return err
	}
	d := menuData{Text: text, Errors: problems, Default: menuText(def)}
	for i := range pages {
		d.Pages = append(d.Pages, models.MenuItem{Label: pages[i].Title, URL: pages[i].Permalink()})
	}
	return s.renderAdmin(c, status, "menu", "Menu", "menu", d)
}
