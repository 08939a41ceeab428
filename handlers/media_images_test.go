package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"fedpress/models"
)

// gpsPhoto is a 1200×600 JPEG with orientation 6 (a portrait phone photo),
// a GPS position, a camera make, XMP and a comment (see web/testdata).
func gpsPhoto(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../web/testdata/gps-orientation6.jpg")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gpsLatitudeBytes is the fixture's latitude seconds (2953/100, little-endian).
var gpsLatitudeBytes = []byte{0x89, 0x0b, 0, 0, 100, 0, 0, 0}

// orientation6Exif is the only Exif tag an upload keeps: Orientation = 6.
var orientation6Exif = []byte("\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06")

func uploadJSON(t *testing.T, ad *admin, filename string, data []byte) *models.Media {
	t.Helper()
	rec := ad.upload("/admin/media", "file", filename, data, url.Values{"alt": {filename}}, "Accept", "application/json", csrfHeader, ad.csrf)
	if rec.Code != http.StatusCreated {
		t.Fatalf("upload %s: %d %s", filename, rec.Code, rec.Body)
	}
	var got mediaJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	m, err := ad.ts.Store.MediaByPath(context.Background(), got.Name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMediaCreateStripsLocation(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	photo := gpsPhoto(t)
	if !bytes.Contains(photo, gpsLatitudeBytes) {
		t.Fatal("fixture lacks GPS")
	}
	m := uploadJSON(t, ad, "holiday.jpg", photo)
	if m.Width != 600 || m.Height != 1200 || m.MimeType != "image/jpeg" {
		t.Errorf("media %+v: want 600×1200 (as displayed) JPEG", m)
	}
	if len(m.Variants) != 1 || m.Variants[0].Width != 480 || m.Variants[0].Height != 960 {
		t.Fatalf("variants %+v, want one 480×960", m.Variants)
	}
	rec := ts.get("/media/" + m.Path)
	body := rec.Body.Bytes()
	if rec.Code != http.StatusOK || int64(len(body)) != m.Size {
		t.Fatalf("GET original: %d, %d bytes (row says %d)", rec.Code, len(body), m.Size)
	}
	for _, secret := range [][]byte{gpsLatitudeBytes, []byte("SecretCam"), []byte("secret-xmp"), []byte("secret-comment")} {
		if bytes.Contains(body, secret) {
			t.Errorf("served photo still holds %q", secret)
		}
	}
	if !bytes.Contains(body, orientation6Exif) {
		t.Error("served photo lost its orientation")
	}
	v := ts.get("/media/" + m.Variants[0].Name)
	if v.Code != http.StatusOK || v.Header().Get("Content-Type") != "image/jpeg" || int64(v.Body.Len()) != m.Variants[0].Size {
		t.Errorf("GET variant: %d %s, %d bytes", v.Code, v.Header().Get("Content-Type"), v.Body.Len())
	}
}

func TestArticleFeaturedImage(t *testing.T) {
	ts := newTestServer(t)
	ad := ts.newAdmin("alice")
	small := uploadJSON(t, ad, "small.png", pngBytes(t, 64, 48))
	photo := uploadJSON(t, ad, "photo.jpg", gpsPhoto(t))
	body := "Intro.\n\n![Small](/media/" + small.Path + ")\n\n![Photo](/media/" + photo.Path + ")\n"
	a := ad.savedArticle(t, ad.post("/admin/articles", url.Values{"title": {"Two images"}, "action": {"publish"}, "body": {body}}))
	srcset := fmt.Sprintf(`srcset="/media/%s 480w, /media/%s 600w"`, photo.Variants[0].Name, photo.Path)

	// The body's images carry their size and, when resized, a srcset.
	page := ts.get(a.Permalink()).Body.String()
	mustContain(t, page,
		`<img src="/media/`+small.Path+`" alt="Small" width="64" height="48" loading="lazy">`,
		`<img src="/media/`+photo.Path+`" alt="Photo" width="600" height="1200" `+srcset+` sizes="(max-width: 42rem) 100vw, 42rem" loading="lazy">`,
		`<meta property="og:image" content="http://blog.test/media/`+small.Path+`">`)

	// The editor offers the article's images, the first one by default.
	form := ad.get(fmt.Sprintf("/admin/articles/%d/edit/", a.ID)).Body.String()
	mustContain(t, form, `<select id="featured_media" name="featured_media">`,
		`<option value="0">The first image in the text</option>`,
		fmt.Sprintf(`<option value="%d">photo.jpg</option>`, photo.ID))

	tests := []struct {
		name     string
		featured string
		status   int
		wantID   uint // 0: the first image
	}{
		{"choose the photo", fmt.Sprint(photo.ID), http.StatusSeeOther, photo.ID},
		{"not a number", "photo", http.StatusUnprocessableEntity, photo.ID},
		{"back to the first image", "0", http.StatusSeeOther, 0},
		{"an image not in the article", fmt.Sprint(photo.ID + 100), http.StatusSeeOther, 0},
		{"the photo again", fmt.Sprint(photo.ID), http.StatusSeeOther, photo.ID},
	}
	for _, tt := range tests {
		rec := ad.post(fmt.Sprintf("/admin/articles/%d", a.ID), url.Values{"title": {"Two images"}, "action": {"publish"},
			"body": {body}, "slug": {a.Slug}, "featured_media": {tt.featured}})
		if rec.Code != tt.status {
			t.Fatalf("%s: status %d, want %d\n%s", tt.name, rec.Code, tt.status, rec.Body)
		}
		got, err := ts.Store.ArticleByID(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if id := derefID(got.FeaturedMediaID); id != tt.wantID {
			t.Errorf("%s: featured media %d, want %d", tt.name, id, tt.wantID)
		}
	}

	// Chosen: lists show it small, link previews and the fediverse lead with it.
	home := ts.get("/").Body.String()
	mustContain(t, home, `<img src="/media/`+photo.Path+`" alt="" `+srcset+` sizes="(min-width: 40em) 12rem, 100vw" width="600" height="1200" loading="lazy">`)
	page = ts.get(a.Permalink()).Body.String()
	mustContain(t, page, `<meta property="og:image" content="http://blog.test/media/`+photo.Path+`">`)
	doc := jsonBody(t, ts.get("/articles/"+fedID(a.ID), "Accept", as2Accept))
	att, _ := doc["attachment"].([]any)
	if len(att) != 2 {
		t.Fatalf("attachments %v", doc["attachment"])
	}
	if first, _ := att[0].(map[string]any); !strings.HasSuffix(fmt.Sprint(first["url"]), "/media/"+photo.Path) || first["width"] != float64(600) {
		t.Errorf("first attachment %v, want the featured photo", first)
	}
}

func derefID(p *uint) uint {
	if p == nil {
		return 0
	}
	return *p
}
