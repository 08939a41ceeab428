package handlers

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// maxMenuItems bounds the header navigation: a menu, not a link list.
const maxMenuItems = 30

// menuUpdate saves the navigation menu: one "Label | URL" entry per line,
// the URL a path on this blog (/about/) or an http(s) address. An empty
// menu restores the default (Home and the published pages).
func (s *Server) menuUpdate(c echo.Context) error {
	if ok, err := s.requireBlogManager(c, "change the menu"); !ok {
		return err
	}
	ctx := c.Request().Context()
	if err := s.parseBody(c); err != nil {
		return s.bodyError(c, err)
	}
	text := strings.ReplaceAll(c.Request().PostFormValue("menu"), "\r\n", "\n")
	items, problems := parseMenu(text)
	if len(problems) > 0 {
		st, err := s.Store.GetSettings(ctx)
		if err != nil {
			return err
		}
		s.Log.Info("menu refused", "by", currentUser(c).Username, "problems", len(problems))
		return s.renderMenu(c, http.StatusUnprocessableEntity, st, text, problems)
	}
	if err := s.Store.SaveMenu(ctx, items); err != nil {
		return err
	}
	s.Log.Info("menu saved", "by", currentUser(c).Username, "entries", len(items))
	return redirectSeeOther(c, withMsg("/admin/menu/", "menu"))
}

// parseMenu reads the editor's lines, naming each line it refuses.
func parseMenu(text string) ([]models.MenuItem, []string) {
	var items []models.MenuItem
	var problems []string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		n := i + 1
		label, target, ok := strings.Cut(line, "|")
		label, target = strings.TrimSpace(label), strings.TrimSpace(target)
		switch {
		case !ok || label == "" || target == "":
			problems = append(problems, fmt.Sprintf("Line %d: write a label, a | and an address, like “About | /about/”.", n))
			continue
		case utf8.RuneCountInString(label) > 100:
			problems = append(problems, fmt.Sprintf("Line %d: labels can have at most 100 characters.", n))
			continue
		}
		u, ok := menuURL(target)
		if !ok {
			problems = append(problems, fmt.Sprintf("Line %d: the address must start with / (a page of this blog) or http:// or https://.", n))
			continue
		}
		items = append(items, models.MenuItem{Label: label, URL: u})
	}
	if len(items) > maxMenuItems {
		problems = append(problems, fmt.Sprintf("A menu can have at most %d entries.", maxMenuItems))
	}
	return items, problems
}

// menuURL accepts a local path (not //host, which browsers read as
// another site) or an http(s) URL.
func menuURL(v string) (string, bool) {
	if len(v) > 500 || strings.ContainsAny(v, " \t<>\"\\") {
		return "", false
	}
	if strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//") {
		return v, true
	}
	return web.HTTPURL(v)
}
