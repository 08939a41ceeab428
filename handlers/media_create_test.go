package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestMediaCreate(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	ctx := context.Background()
	png := pngBytes(t, 64, 48)

	rec := ad.upload("/admin/media", "file", "photo.jpg", png, url.Values{"alt": {"A red line"}, "caption": {"My \"best\" shot"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("upload: status %d\n%s", rec.Code, rec.Body)
	}
	loc, _ := url.Parse(rec.Header().Get("Location"))
	name := loc.Query().Get("uploaded")
	if loc.Path != "/admin/media/" || !strings.HasSuffix(name, ".png") {
		t.Fatalf("redirect %q: want the media library and a .png name (type from the bytes)", loc)
	}
	m, err := ts.Store.MediaByPath(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if m.Width != 64 || m.Height != 48 || m.Size != int64(len(png)) || m.MimeType != "image/png" ||
		m.Alt != "A red line" || m.Caption != `My "best" shot` || m.AuthorID != ad.author.ID {
		t.Errorf("stored media %+v", m)
	}
	f, _, err := ts.Media.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(stored, png) {
		t.Error("stored file differs from the upload")
	}

	// The library shows it with its Markdown.
	page := ad.get("/admin/media/?uploaded=" + name)
	mustContain(t, page.Body.String(), `![A red line](/media/`+name+` &#34;My \&#34;best\&#34; shot&#34;)`, "64×48", `id="uploaded"`)

	// An article using it gets its size and attaches it.
	a := ad.savedArticle(t, ad.post("/admin/articles", url.Values{"title": {"With image"}, "action": {"publish"},
		"body": {"![A red line](/media/" + name + " \"Cap\")"}}))
	mustContain(t, a.HTML, `width="64" height="48"`)
	if len(a.Media) != 1 || a.Media[0].ID != m.ID {
		t.Errorf("article media %+v, want the upload", a.Media)
	}

	// Back to the editor when asked.
	rec = ad.upload("/admin/media", "file", "x.png", png, url.Values{"return_to": {"/admin/articles/new/"}})
	if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, "/admin/articles/new/?uploaded=") {
		t.Errorf("return_to: redirect %q", loc)
	}
	if rec := ad.upload("/admin/media", "file", "x.png", png, url.Values{"return_to": {"//evil.example/"}}); strings.Contains(rec.Header().Get("Location"), "evil") {
		t.Errorf("return_to followed off-site: %q", rec.Header().Get("Location"))
	}

	// admin.js gets JSON, with the token in a header.
	rec = ad.upload("/admin/media", "file", "x.png", png, url.Values{"alt": {"Alt"}}, "Accept", "application/json", csrfHeader, ad.csrf)
	if rec.Code != http.StatusCreated {
		t.Fatalf("JSON upload: %d %s", rec.Code, rec.Body)
	}
	var got mediaJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Markdown != "![Alt](/media/"+got.Name+")" || got.URL != "/media/"+got.Name || got.Width != 64 {
		t.Errorf("JSON answer %+v", got)
	}
}

func TestMediaCreateRefused(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	tests := []struct {
		name     string
		field    string
		filename string
		data     []byte
		json     bool
		want     int
		body     string
	}{
		{"too large", "file", "big.png", bytes.Repeat([]byte{0}, 2<<20), false, http.StatusRequestEntityTooLarge, "File too large (max 1 MB)"},
		{"too large, JSON", "file", "big.png", bytes.Repeat([]byte{0}, 2<<20), true, http.StatusRequestEntityTooLarge, "File too large (max 1 MB)"},
		{"text named .jpg", "file", "notes.jpg", []byte("Just some notes, not a photo.\n"), false, http.StatusUnsupportedMediaType, "“notes.jpg” is not an image this blog can show"},
		{"text named .jpg, JSON", "file", "notes.jpg", []byte("Just some notes, not a photo.\n"), true, http.StatusUnsupportedMediaType, "“notes.jpg” is not an image this blog can show"},
		{"html", "file", "x.gif", []byte("<html><script>alert(1)</script></html>"), false, http.StatusUnsupportedMediaType, "saved as JPEG, PNG, GIF or WebP"},
		{"no file", "", "", nil, false, http.StatusBadRequest, "Choose an image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			if tt.json {
				headers = []string{"Accept", "application/json"}
			}
			rec := ad.upload("/admin/media", tt.field, tt.filename, tt.data, nil, headers...)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d\n%.500s", rec.Code, tt.want, rec.Body)
			}
			mustContain(t, rec.Body.String(), tt.body)
			// People read the page: no protocol status text, no MIME types.
			for _, raw := range []string{"Unsupported Media Type", "Request Entity Too Large", "Bad Request", "text/plain", "text/html"} {
				if strings.Contains(rec.Body.String(), raw) {
					t.Errorf("the answer shows %q:\n%.800s", raw, rec.Body)
				}
			}
		})
	}
	if ms, _ := ts.Store.ListMedia(context.Background(), 0, 10); len(ms) != 0 {
		t.Errorf("%d refused uploads were recorded", len(ms))
	}
}

// An image uploaded in the editor reaches followers with its alt text: the
// one given on upload, else the one the article's Markdown writes.
func TestEditorUploadAltTextIsFederated(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	tests := []struct {
		name, uploadAlt, markdownAlt, want string
		w, h                               int
	}{
		{"described on upload", "A red line", "", "A red line", 64, 48},
		{"described in the article", "", "A blue square", "A blue square", 32, 32},
		{"upload wins", "Harbour at dawn, seen from the quay", "harbour", "Harbour at dawn, seen from the quay", 40, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := ad.upload("/admin/media", "file", "p.png", pngBytes(t, tc.w, tc.h), url.Values{"alt": {tc.uploadAlt}})
			loc, _ := url.Parse(rec.Header().Get("Location"))
			name := loc.Query().Get("uploaded")
			if rec.Code != http.StatusSeeOther || name == "" {
				t.Fatalf("upload: %d %s", rec.Code, rec.Header().Get("Location"))
			}
			a := ad.savedArticle(t, ad.post("/admin/articles", url.Values{"title": {"Pictures " + tc.name}, "action": {"publish"},
				"body": {"Text.\n\n![" + tc.markdownAlt + "](/media/" + name + ")"}}))
			doc := jsonBody(t, ts.get("/articles/"+fedID(a.ID), "Accept", as2Accept))
			att, _ := doc["attachment"].([]any)
			if len(att) != 1 || field(att[0], "name") != tc.want || field(att[0], "url") != "http://blog.test/media/"+name {
				t.Errorf("attachment %v, want name %q", att, tc.want)
			}
		})
	}
}
