package handlers

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"fedpress/web"
)

// mediaTypes are the only types served inline: uploads are sniffed images,
// and anything else must never render as a page on our origin.
var mediaTypes = map[string]string{
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
	".gif": "image/gif", ".webp": "image/webp",
}

// mediaShow serves an uploaded file. Names never change content, so they
// are cached for a year; http.ServeContent answers ranges and
// If-Modified-Since.
func (s *Server) mediaShow(c echo.Context) error {
	name := c.Param("name")
	f, mod, err := s.Media.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, web.ErrBadName) {
			return notFoundf("media %q", name)
		}
		return err
	}
	defer f.Close()
	h := c.Response().Header()
	ct, ok := mediaTypes[strings.ToLower(path.Ext(name))]
	if !ok {
		ct = sniff(f)
	}
	if !strings.HasPrefix(ct, "image/") || ct == "image/svg+xml" {
		ct = "application/octet-stream"
		h.Set("Content-Disposition", "attachment")
	}
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox; frame-ancestors 'none'")
	http.ServeContent(c.Response(), c.Request(), name, mod, f)
	return nil
}

// sniff guesses a type from the first bytes and rewinds.
func sniff(f io.ReadSeeker) string {
	buf := make([]byte, 512)
	n, _ := io.ReadFull(f, buf)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "application/octet-stream"
	}
	return http.DetectContentType(buf[:n])
}
