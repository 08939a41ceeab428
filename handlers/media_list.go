package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

const mediaListSize = 200

type mediaListData struct {
	Items    []mediaItem
	Uploaded string // name of the upload just made, highlighted
	MaxSize  string
}

// mediaList is the media library: every upload with the Markdown to use it
// (an author's own uploads only).
func (s *Server) mediaList(c echo.Context) error {
	ms, err := s.Store.ListMedia(c.Request().Context(), workScope(currentUser(c)), mediaListSize)
	if err != nil {
		return err
	}
	d := mediaListData{Uploaded: c.QueryParam("uploaded"), MaxSize: sizeLabel(s.Cfg.MaxUploadBytes)}
	for _, m := range ms {
		d.Items = append(d.Items, mediaItemOf(m))
	}
	return s.renderAdmin(c, http.StatusOK, "media", "Media", "media", d)
}
