package handlers

import (
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/web"
)

// staticShow serves the embedded CSS, icons and images. Templates link them
// as /static/name?v=hash (web.StaticURL): a request carrying the current
// hash may be cached forever, others revalidate with the ETag.
func (s *Server) staticShow(c echo.Context) error {
	name := strings.TrimPrefix(path.Clean("/"+c.Param("*")), "/")
	version, ok := web.StaticVersion(name)
	if !ok {
		return notFoundf("static file %q", name)
	}
	f, err := web.StaticFS().Open(name)
	if err != nil {
		return notFoundf("static file %q", name)
	}
	defer f.Close()
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		return notFoundf("static file %q is not seekable", name)
	}
	if st, err := f.Stat(); err != nil || st.IsDir() {
		return notFoundf("static file %q", name)
	}
	h := c.Response().Header()
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+version+`"`)
	if c.QueryParam("v") == version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=3600, must-revalidate")
	}
	http.ServeContent(c.Response(), c.Request(), name, time.Time{}, rs)
	return nil
}
