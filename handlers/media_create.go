package handlers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// maxImagePixels refuses images a browser would struggle to decode (the
// header can claim any size in a few bytes).
const maxImagePixels = 100_000_000

// uploadError is an upload refused for a reason the author can fix.
type uploadError struct {
	status int
	msg    string
}

func (e *uploadError) Error() string { return e.msg }

// storeUpload checks that fh is an image we accept (by its bytes, never its
// name), stores it under a random name and records it.
func (s *Server) storeUpload(ctx context.Context, fh *multipart.FileHeader, alt, caption string, authorID uint) (*models.Media, error) {
	if fh.Size > s.Cfg.MaxUploadBytes {
		return nil, &uploadError{http.StatusRequestEntityTooLarge, s.tooLargeMessage()}
	}
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, s.Cfg.MaxUploadBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if int64(len(data)) > s.Cfg.MaxUploadBytes {
		return nil, &uploadError{http.StatusRequestEntityTooLarge, s.tooLargeMessage()}
	}
	if len(data) == 0 {
		return nil, &uploadError{http.StatusBadRequest, "The file is empty."}
	}
	info, err := web.SniffImage(data)
	if errors.Is(err, web.ErrNotImage) {
		s.Log.Info("upload refused", "file", fh.Filename, "err", err)
		return nil, &uploadError{http.StatusUnsupportedMediaType,
			fmt.Sprintf("“%s” is not an image this blog can show. Upload a photo or picture saved as JPEG, PNG, GIF or WebP.", fh.Filename)}
	}
	if err != nil {
		return nil, fmt.Errorf("sniff upload: %w", err)
	}
	if int64(info.Width)*int64(info.Height) > maxImagePixels {
		return nil, &uploadError{http.StatusUnprocessableEntity,
			fmt.Sprintf("“%s” is %d×%d pixels; resize it below 100 megapixels.", fh.Filename, info.Width, info.Height)}
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("media name: %w", err)
	}
	name := hex.EncodeToString(b) + info.Ext
	if err := s.Media.Put(name, bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("store upload: %w", err)
	}
	m := &models.Media{
		AuthorID: authorID, Path: name, MimeType: info.MimeType, Width: info.Width, Height: info.Height,
		Size: int64(len(data)), Alt: clip(alt, 1000), Caption: clip(caption, 1000),
	}
	if err := s.Store.CreateMedia(ctx, m); err != nil {
		if rmErr := s.Media.Remove(name); rmErr != nil {
			s.Log.Error("remove orphan upload", "name", name, "err", rmErr)
		}
		return nil, err
	}
	s.Log.Info("media uploaded", "name", name, "type", info.MimeType, "bytes", len(data))
	return m, nil
}

// clip trims s and cuts it to n runes.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// mediaJSON is the answer to an upload made by admin.js.
type mediaJSON struct {
	Name     string `json:"name,omitempty"`
	URL      string `json:"url,omitempty"`
	Markdown string `json:"markdown,omitempty"`
	Width    int    `json:"width,omitempty"`
	Height   int    `json:"height,omitempty"`
	Error    string `json:"error,omitempty"`
}

func wantsJSON(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get("Accept"), "application/json")
}

// mediaCreate takes an upload (file, alt, caption). Forms come back to
// return_to (the editor) or the media library; admin.js gets JSON.
func (s *Server) mediaCreate(c echo.Context) error {
	fail := func(status int, msg string) error {
		if wantsJSON(c) {
			return c.JSON(status, mediaJSON{Error: msg})
		}
		back := localPath(c.Request().PostFormValue("return_to"), "/admin/media/")
		return s.adminErrorBack(c, status, msg, back)
	}
	if err := s.parseBody(c); err != nil {
		if bodyTooLarge(err) {
			return fail(http.StatusRequestEntityTooLarge, s.tooLargeMessage())
		}
		return fail(http.StatusBadRequest, "The upload could not be read. Try again.")
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return fail(http.StatusBadRequest, "Choose an image to upload.")
	}
	r := c.Request()
	m, err := s.storeUpload(r.Context(), fh, r.PostFormValue("alt"), r.PostFormValue("caption"), currentUser(c).ID)
	var ue *uploadError
	if errors.As(err, &ue) {
		return fail(ue.status, ue.msg)
	}
	if err != nil {
		return err
	}
	it := mediaItemOf(*m)
	if wantsJSON(c) {
		return c.JSON(http.StatusCreated, mediaJSON{Name: m.Path, URL: it.URL, Markdown: it.Markdown, Width: m.Width, Height: m.Height})
	}
	back := localPath(r.PostFormValue("return_to"), "/admin/media/")
	return redirectSeeOther(c, withMsg(withQuery(back, "uploaded", m.Path), "uploaded"))
}
