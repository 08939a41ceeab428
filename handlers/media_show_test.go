package handlers

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"testing"
)

func TestMediaShow(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if err := ts.Media.Put("photo.png", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := ts.Media.Put("page.html", strings.NewReader("<script>alert(1)</script>")); err != nil {
		t.Fatal(err)
	}

	rec := ts.get("/media/photo.png")
	pubStatus(t, rec, http.StatusOK)
	h := rec.Header()
	if h.Get("Content-Type") != "image/png" || h.Get("Cache-Control") != "public, max-age=31536000, immutable" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers = %v", h)
	}
	if !bytes.Equal(rec.Body.Bytes(), data) {
		t.Error("body differs from the stored file")
	}
	lastMod := h.Get("Last-Modified")
	if lastMod == "" {
		t.Fatal("no Last-Modified")
	}

	pubStatus(t, ts.get("/media/photo.png", "If-Modified-Since", lastMod), http.StatusNotModified)
	rec = ts.get("/media/photo.png", "Range", "bytes=0-3")
	pubStatus(t, rec, http.StatusPartialContent)
	if !bytes.Equal(rec.Body.Bytes(), data[:4]) {
		t.Errorf("range body = %q", rec.Body.Bytes())
	}
	// A stored file that is not an image never renders on our origin.
	rec = ts.get("/media/page.html")
	pubStatus(t, rec, http.StatusOK)
	if rec.Header().Get("Content-Type") != "application/octet-stream" || rec.Header().Get("Content-Disposition") != "attachment" {
		t.Errorf("non-image served as %q", rec.Header().Get("Content-Type"))
	}

	for _, p := range []string{"/media/missing.jpg", "/media/..%2Fsecret", "/media/.hidden"} {
		rec := ts.get(p)
		pubStatus(t, rec, http.StatusNotFound)
		if strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
			t.Errorf("%s: 404 cached as immutable", p)
		}
	}
}

func TestStaticShow(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	rec := ts.get("/")
	// The layout links the stylesheet with its content hash.
	i := strings.Index(rec.Body.String(), `href="/static/style.css?v=`)
	if i < 0 {
		t.Fatalf("layout lacks the versioned stylesheet")
	}
	href := rec.Body.String()[i+len(`href="`):]
	href = href[:strings.IndexByte(href, '"')]

	rec = ts.get(href)
	pubStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != "text/css; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("versioned Cache-Control = %q", cc)
	}
	pubHas(t, rec, ".skip-link", "@media print")
	etag := rec.Header().Get("ETag")

	rec = ts.get("/static/style.css")
	pubStatus(t, rec, http.StatusOK)
	if cc := rec.Header().Get("Cache-Control"); strings.Contains(cc, "immutable") {
		t.Errorf("unversioned Cache-Control = %q", cc)
	}
	pubStatus(t, ts.get("/static/style.css", "If-None-Match", etag), http.StatusNotModified)
	pubStatus(t, ts.get("/static/favicon.svg"), http.StatusOK)
	for _, p := range []string{"/static/nope.css", "/static/", "/static/../web/views.go"} {
		pubStatus(t, ts.get(p), http.StatusNotFound)
	}
}
