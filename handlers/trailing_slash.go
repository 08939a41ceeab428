package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// addTrailingSlash answers a GET or HEAD for a path without its trailing
// slash with a 301 to the path with one, as WordPress does (see
// trailingSlashSkipper for the addresses that keep none). The Location is
// built from the escaped path: Echo's AddTrailingSlash writes the decoded
// one, so a request for /a%25%01 was sent to "/a%\x01/", which is no URL.
// Leading slashes and backslashes fold into one, so it never names
// another host.
func addTrailingSlash(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if strings.HasSuffix(r.URL.Path, "/") || trailingSlashSkipper(c) {
			return next(c)
		}
		p := "/" + strings.TrimLeft(r.URL.Path, `/\`)
		if !strings.HasSuffix(p, "/") {
			p += "/"
		}
		u := url.URL{Path: p, RawQuery: r.URL.RawQuery}
		return c.Redirect(http.StatusMovedPermanently, u.String())
	}
}
