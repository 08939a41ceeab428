package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// robotsShow is /robots.txt: everything public may be crawled, the admin
// area and first-run setup not.
func (s *Server) robotsShow(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	body := "User-agent: *\nAllow: /\nDisallow: /admin/\nDisallow: /setup\n\nSitemap: " + s.Cfg.URLs.Abs("/sitemap.xml") + "\n"
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(body))
}
