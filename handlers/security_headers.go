package handlers

import (
	"strings"

	"github.com/labstack/echo/v4"
)

// securityHeaders sets on every response what browsers need to keep the
// blog's pages to themselves: no MIME sniffing, no framing by other sites,
// no full URLs in the Referer sent to other sites, and a
// Content-Security-Policy that allows only our own scripts and styles (the
// templates have no inline script, style or event handler; keep it so).
// Handlers may tighten it (media files are sandboxed) or the referrer
// policy (admin pages send none to other sites).
func (s *Server) securityHeaders() echo.MiddlewareFunc {
	csp := contentSecurityPolicy(s.Cfg.AllowPrivatePeers)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			return next(c)
		}
	}
}

// contentSecurityPolicy is the policy of every page. Images may come from
// other sites (commenters' avatars, custom emoji, pictures in imported
// articles); forms may lead to other sites because "reply from your own
// instance" redirects the visitor to their server. Plain http joins https
// only for local test federations.
func contentSecurityPolicy(allowHTTP bool) string {
	remote := "https:"
	if allowHTTP {
		remote = "https: http:"
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' " + remote,
		"connect-src 'self'",
		"form-action 'self' " + remote,
		"base-uri 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}
