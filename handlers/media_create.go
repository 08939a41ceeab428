package handlers

import (
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

// uploadError is an upload refused for a reason the author can fix.
type uploadError struct {
	status int
	msg    string
}

func (e *uploadError) Error() string { return e.msg }

// storeUpload checks that fh is an image we accept (by its bytes, never its
// name), stores it without private metadata and with resized copies under
// a random name (see web.StoreImage) and records it.
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
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("media name: %w", err)
	}
	im, err := web.StoreImage(s.Media, hex.EncodeToString(b), data)
	if errors.Is(err, web.ErrNotImage) {
		s.Log.Info("upload refused", "file", fh.Filename, "err", err)
		return nil, &uploadError{http.StatusUnsupportedMediaType,
			fmt.Sprintf("“%s” is not an image this blog can show. Upload a photo or picture saved as JPEG, PNG, GIF or WebP.", fh.Filename)}
	}
	if errors.Is(err, web.ErrTooManyPixels) {
		return nil, &uploadError{http.StatusUnprocessableEntity,
			fmt.Sprintf("“%s” is too large (%v); resize it below 100 megapixels.", fh.Filename, err)}
	}
	if err != nil {
		return nil, fmt.Errorf("store upload: %w", err)
	}
	m := mediaOf(im)
	m.AuthorID, m.Alt, m.Caption = authorID, clip(alt, 1000), clip(caption, 1000)
	if err := s.Store.CreateMedia(ctx, m); err != nil {
		web.RemoveImage(s.Media, im)
		return nil, err
	}
	s.Log.Info("media uploaded", "name", im.Name, "type", im.MimeType, "bytes", len(data), "stored_bytes", im.Size, "variants", len(im.Variants))
	return m, nil
}

// mediaOf is the media row of a stored image.
func mediaOf(im web.StoredImage) *models.Media {
	m := &models.Media{Path: im.Name, MimeType: im.MimeType, Width: im.Width, Height: im.Height, Size: im.Size}
	for _, v := range im.Variants {
		m.Variants = append(m.Variants, models.MediaVariant(v))
	}
	return m
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

// mediaImage is what rendering needs to know of an upload.
func mediaImage(m models.Media) web.MediaImage {
	im := web.MediaImage{Width: m.Width, Height: m.Height}
	for _, v := range m.Variants {
		im.Variants = append(im.Variants, web.ImageVariant(v))
	}
	return im
}
