package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestErrorHandler(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tests := []struct {
		name   string
		err    error
		accept string
		status int
		want   []string
		lack   []string
	}{
		{"not found page", notFoundf("thing"), "text/html", 404, []string{"Page not found", `<meta name="robots" content="noindex">`, `class="sidebar"`}, nil},
		{"internal error hides details", errors.New("db password is hunter2"), "text/html", 500, []string{"Something went wrong"}, []string{"hunter2"}},
		{"http error keeps status", echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The comment is too long."), "", 413, []string{"The comment is too long."}, nil},
		{"AS2 client gets JSON", notFoundf("thing"), "application/activity+json", 404, []string{`"status":404`}, []string{"<html"}},
		{"JSON client gets JSON", errors.New("boom"), "application/json", 500, []string{`"status":500`}, []string{"boom"}},
		// Echo's own errors carry the protocol's status text; people get words.
		{"415 in words", echo.NewHTTPError(http.StatusUnsupportedMediaType), "text/html", 415, []string{"Not a kind of file accepted here", "cannot be accepted here"}, []string{"Unsupported Media Type"}},
		{"405 in words", echo.ErrMethodNotAllowed, "text/html", 405, []string{"Not possible here"}, []string{"Method Not Allowed"}},
		{"422 heading in words", echo.NewHTTPError(http.StatusUnprocessableEntity, "Enter your name."), "text/html", 422, []string{"Please check what you entered", "Enter your name."}, []string{"Unprocessable Entity"}},
		{"429 in words", echo.NewHTTPError(http.StatusTooManyRequests), "text/html", 429, []string{"Too many attempts", "wait"}, []string{"Too Many Requests"}},
		{"413 in JSON, in words", echo.ErrStatusRequestEntityTooLarge, "application/json", 413, []string{"larger than this site accepts"}, []string{"Request Entity Too Large"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			rec := httptest.NewRecorder()
			ts.errorHandler(tt.err, ts.Echo.NewContext(req, rec))
			pubStatus(t, rec, tt.status)
			pubHas(t, rec, tt.want...)
			pubLacks(t, rec, tt.lack...)
			if strings.Contains(tt.accept, "json") {
				var v map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
					t.Errorf("not JSON: %v", err)
				}
			}
		})
	}

	// Unknown routes go through the same handler.
	rec := ts.get("/no/such/page/here/either/")
	pubStatus(t, rec, http.StatusNotFound)
	pubHas(t, rec, "Page not found")
}

// TestAdminErrorInWords: the admin error page's heading and title are
// words, not the protocol's status text.
func TestAdminErrorInWords(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	rec := ad.upload("/admin/media", "file", "notes.txt", []byte("Just some notes.\n"), nil)
	pubStatus(t, rec, http.StatusUnsupportedMediaType)
	pubHas(t, rec, "<title>Not a kind of file accepted here", "<h1>Not a kind of file accepted here</h1>", "“notes.txt” is not an image")
	pubLacks(t, rec, "Unsupported Media Type")
}
