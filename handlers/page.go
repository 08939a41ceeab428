package handlers

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// Page is what every HTML template receives: the site-wide parts (settings,
// sidebar, login, CSRF) and the page's own Data.
type Page struct {
	Site        *models.Settings
	BaseURL     string
	Host        string
	Title       string // <title>, without the site name
	Description string
	Canonical   string // absolute URL of this page
	// AlternateAS2 is the ActivityPub JSON of this page, if it has one.
	AlternateAS2 string
	Months       []models.MonthCount
	User         *models.Author // logged-in author, nil for readers
	CSRF         string
	Flash        string
	Meta         map[string]string // OpenGraph / Twitter card properties
	// Feeds are this page's own feeds (a tag's, an author's), advertised
	// beside the blog's.
	Feeds []FeedLink
	// Me are rel="me" links: the profiles of whoever this page is by.
	Me []string
	// Creator is the fediverse handle credited on link previews
	// (fediverse:creator), for article pages.
	Creator string
	Data    any

	Menu []models.MenuItem // the header navigation

	// FeaturedImage is the article's image for link previews (og:image,
	// absolute URL), nil on other pages and articles without one.
	FeaturedImage *FeaturedImage
}

// FeaturedImage is an image with its size as link previews want it.
type FeaturedImage struct {
	URL, Alt      string
	Width, Height int // 0 when unknown
}

// FeedLink is one <link rel="alternate"> to a feed.
type FeedLink struct {
	Title, Href string
}

// DateStyle is the blog's time zone and date format: every page shows its
// dates so (web.Views.Render).
func (p *Page) DateStyle() web.DateStyle {
	if p.Site == nil {
		return web.DateStyle{}
	}
	return web.DateStyle{TimeZone: p.Site.TimeZone, Format: p.Site.DateFormat}
}

type ctxKey string

const (
	ctxUser    ctxKey = "user"
	ctxSession ctxKey = "session"
)

// currentUser is the logged-in author, set by the session middleware.
func currentUser(c echo.Context) *models.Author {
	u, _ := c.Get(string(ctxUser)).(*models.Author)
	return u
}

// currentSession is the admin session, set by the session middleware.
func currentSession(c echo.Context) *models.Session {
	sess, _ := c.Get(string(ctxSession)).(*models.Session)
	return sess
}

// newPage fills the site-wide parts of a page.
func (s *Server) newPage(c echo.Context, title string, data any) (*Page, error) {
	ctx := c.Request().Context()
	st, err := s.Store.GetSettings(ctx)
	if err != nil {
		return nil, fmt.Errorf("page settings: %w", err)
	}
	months, err := s.Store.MonthArchive(ctx, s.Now())
	if err != nil {
		return nil, err
	}
	p := &Page{
		Site: st, BaseURL: s.Cfg.URLs.Base.String(), Host: s.Cfg.URLs.Host(),
		Title: title, Months: months, User: currentUser(c), Data: data,
		Canonical: s.Cfg.URLs.Abs(c.Request().URL.Path), Meta: map[string]string{},
	}
	if st.BlogUsername != "" {
		p.Me = []string{s.Cfg.URLs.Profile(st.BlogUsername)}
	}
	if sess := currentSession(c); sess != nil {
		p.CSRF = sess.CSRFToken
	}
	if p.Menu, err = s.siteMenu(c, st); err != nil {
		return nil, err
	}
	return p, nil
}

// render writes a page with status code.
func (s *Server) render(c echo.Context, status int, name string, p *Page) error {
	var buf bytes.Buffer
	if err := s.Views.Render(&buf, name, p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	h := c.Response().Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache")
	}
	return c.Blob(status, "text/html; charset=utf-8", buf.Bytes())
}

// redirectSeeOther answers a POST with 303 to a page.
func redirectSeeOther(c echo.Context, path string) error {
	return c.Redirect(http.StatusSeeOther, path)
}
