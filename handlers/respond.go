package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/models"
)

// noSlashPrefixes are paths whose URLs never end in "/": ActivityPub ids,
// files and machine endpoints. Everything else is a page and gets one.
var noSlashPrefixes = []string{
	"/users/", "/articles/", "/comments/", "/activities/", "/quote_authorizations/", "/.well-known/", "/nodeinfo/",
	"/actor", "/inbox", "/media/", "/static/", "/healthz", "/readyz", "/metrics", "/setup",
	"/authorize_interaction", "/interact", "/xmlrpc", "/webmention", "/admin/login",
}

// trailingSlashSkipper decides which requests the add-slash redirect skips.
func trailingSlashSkipper(c echo.Context) bool {
	r := c.Request()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return true
	}
	p := r.URL.Path
	if p == "/search" { // the search form's address, /search?q=
		return true
	}
	for _, pre := range noSlashPrefixes {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	last := p[strings.LastIndex(p, "/")+1:]
	return strings.Contains(last, ".") // feed.xml, robots.txt, sitemap.xml
}

// isNotFound reports errors that should answer 404.
func isNotFound(err error) bool { return errors.Is(err, models.ErrNotFound) }

// wantsAS2 reports whether the client asked for ActivityPub JSON rather than
// HTML (Accept: application/activity+json, or ld+json with the AS profile).
func wantsAS2(c echo.Context) bool {
	for _, part := range strings.Split(c.Request().Header.Get("Accept"), ",") {
		mt := strings.ToLower(strings.TrimSpace(part))
		if strings.HasPrefix(mt, "application/activity+json") {
			return true
		}
		if strings.HasPrefix(mt, "application/ld+json") && strings.Contains(mt, "activitystreams") {
			return true
		}
	}
	return false
}

// headAsGet routes HEAD like GET; net/http drops the body of HEAD answers.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if r := c.Request(); r.Method == http.MethodHead {
			r.Method = http.MethodGet
		}
		return next(c)
	}
}
