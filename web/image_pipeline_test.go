package web

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// secrets are the private strings the fixtures carry in metadata.
var secrets = []string{"SecretCam", "secret-xmp", "secret-iptc", "secret-comment", "secret-text"}

// gpsTIFF is an Exif block (little-endian, as most phones write) with a
// camera make, the orientation and a GPS IFD at 48°51'29.53"N.
func gpsTIFF(orientation int) []byte {
	le := binary.LittleEndian
	b := []byte("II*\x00")
	b = le.AppendUint32(b, 8)
	entry := func(b []byte, tag, typ uint16, count, value uint32) []byte {
		b = le.AppendUint16(b, tag)
		b = le.AppendUint16(b, typ)
		b = le.AppendUint32(b, count)
		return le.AppendUint32(b, value)
	}
	b = le.AppendUint16(b, 3)                                      // IFD0 at 8: 3 entries, ends at 50
	b = entry(b, 0x010F, 2, 10, 50)                                // Make → "SecretCam"
	b = entry(b, 0x0112, 3, 1, uint32(orientation))                // Orientation
	b = entry(b, 0x8825, 4, 1, 60)                                 // GPS IFD
	b = le.AppendUint32(b, 0)                                      // no IFD1
	b = append(b, "SecretCam\x00"...)                              // 50..60
	b = le.AppendUint16(b, 2)                                      // GPS IFD at 60, ends at 90
	b = entry(b, 0x0001, 2, 2, uint32('N'))                        // GPSLatitudeRef "N"
	b = entry(b, 0x0002, 5, 3, 90)                                 // GPSLatitude
	b = le.AppendUint32(b, 0)                                      //
	for _, r := range [][2]uint32{{48, 1}, {51, 1}, {2953, 100}} { // 90..114
		b = le.AppendUint32(b, r[0])
		b = le.AppendUint32(b, r[1])
	}
	return b
}

// gpsLatitude is how the fixture's latitude looks in the file.
var gpsLatitude = func() []byte {
	b := binary.LittleEndian.AppendUint32(nil, 2953)
	return binary.LittleEndian.AppendUint32(b, 100)
}()

func segment(marker byte, payload []byte) []byte {
	b := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(len(payload)+2))
	return append(b, payload...)
}

// testPicture is w×h with a red top-left corner block and a busy pattern
// elsewhere, so that orientation can be checked on the variants.
func testPicture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{uint8(x / 40 * 37), uint8(200 - y/40*23), uint8((x + y) / 30 * 11), 255}
			if x < w/8 && y < h/8 {
				c = color.RGBA{255, 0, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// gpsJPEG is a photo as a phone writes it: Exif with GPS and orientation,
// XMP, IPTC, a comment and an ICC profile.
func gpsJPEG(t *testing.T, w, h, orientation int) (data, scan, icc []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testPicture(w, h), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	enc := buf.Bytes()
	icc = bytes.Repeat([]byte("fake-icc-profile "), 20)
	var out []byte
	out = append(out, enc[:2]...)
	out = append(out, segment(0xE1, append([]byte("Exif\x00\x00"), gpsTIFF(orientation)...))...)
	out = append(out, segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>secret-xmp</x:xmpmeta>"))...)
	out = append(out, segment(0xE2, append([]byte("ICC_PROFILE\x00\x01\x01"), icc...))...)
	out = append(out, segment(0xED, []byte("Photoshop 3.0\x00secret-iptc"))...)
	out = append(out, segment(0xFE, []byte("secret-comment"))...)
	out = append(out, enc[2:]...)
	sos := bytes.Index(enc, []byte{0xFF, 0xDA})
	return out, enc[sos:], icc
}

// jpegSegments lists the APPn/COM segments before the scan.
func jpegSegments(t *testing.T, data []byte) map[byte][][]byte {
	t.Helper()
	segs := map[byte][][]byte{}
	for i := 2; i+4 <= len(data); {
		m := data[i+1]
		if m == 0xDA {
			break
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		segs[m] = append(segs[m], data[i+4:i+2+n])
		i += 2 + n
	}
	return segs
}

func readStored(t *testing.T, store DirStore, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(store.Dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func assertNoSecrets(t *testing.T, name string, data []byte) {
	t.Helper()
	for _, s := range secrets {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("%s still holds %q", name, s)
		}
	}
	if bytes.Contains(data, gpsLatitude) {
		t.Errorf("%s still holds the GPS latitude", name)
	}
}

func isRed(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r > 0xC000 && g < 0x4000 && b < 0x4000
}

func TestStoreImageJPEGWithGPS(t *testing.T) {
	tests := []struct {
		name         string
		orientation  int
		w, h         int
		wantW, wantH int
		wantVariants []int
		redX, redY   float64 // where the red corner is on the variant (0 or 1)
	}{
		{"upright", 1, 1200, 600, 1200, 600, []int{480, 960}, 0, 0},
		{"rotated 90° (portrait phone photo)", 6, 1200, 600, 600, 1200, []int{480}, 1, 0},
		{"rotated 180°", 3, 1200, 600, 1200, 600, []int{480, 960}, 1, 1},
		{"rotated 270°", 8, 1200, 600, 600, 1200, []int{480}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := DirStore{Dir: t.TempDir()}
			data, scan, icc := gpsJPEG(t, tt.w, tt.h, tt.orientation)
			if !bytes.Contains(data, gpsLatitude) || !bytes.Contains(data, []byte("SecretCam")) {
				t.Fatal("fixture lacks its GPS Exif")
			}
			im, err := StoreImage(store, "photo", data)
			if err != nil {
				t.Fatal(err)
			}
			if im.Name != "photo.jpg" || im.MimeType != "image/jpeg" || im.Width != tt.wantW || im.Height != tt.wantH {
				t.Errorf("stored %+v, want photo.jpg %d×%d", im, tt.wantW, tt.wantH)
			}
			orig := readStored(t, store, im.Name)
			if im.Size != int64(len(orig)) {
				t.Errorf("size %d, file has %d bytes", im.Size, len(orig))
			}
			assertNoSecrets(t, "original", orig)
			if !bytes.Contains(orig, scan) {
				t.Error("the compressed pixels were re-encoded; want them kept byte for byte")
			}
			segs := jpegSegments(t, orig)
			wantOrient := 1
			if len(segs[0xE1]) > 0 {
				wantOrient = exifOrientation(segs[0xE1][0])
			}
			if wantOrient != tt.orientation {
				t.Errorf("orientation %d, want %d kept", wantOrient, tt.orientation)
			}
			if len(segs[0xE1]) > 1 || len(segs[0xED]) > 0 || len(segs[0xFE]) > 0 {
				t.Errorf("metadata segments left: %d APP1, %d APP13, %d COM", len(segs[0xE1]), len(segs[0xED]), len(segs[0xFE]))
			}
			if len(segs[0xE2]) != 1 || !bytes.HasSuffix(segs[0xE2][0], icc) {
				t.Error("ICC profile not kept")
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(orig))
			if err != nil || cfg.Width != tt.w || cfg.Height != tt.h {
				t.Errorf("cleaned original: %v %+v", err, cfg)
			}

			var widths []int
			for _, v := range im.Variants {
				widths = append(widths, v.Width)
				b := readStored(t, store, v.Name)
				assertNoSecrets(t, v.Name, b)
				if want := "photo-" + strconv.Itoa(v.Width) + "w.jpg"; v.Name != want {
					t.Errorf("variant name %q, want %q", v.Name, want)
				}
				if v.Size != int64(len(b)) || v.Size >= im.Size {
					t.Errorf("variant %s: size %d (file %d, original %d)", v.Name, v.Size, len(b), im.Size)
				}
				if s := jpegSegments(t, b); len(s[0xE2]) != 1 || !bytes.HasSuffix(s[0xE2][0], icc) || len(s[0xE1]) != 0 {
					t.Errorf("variant %s: want the ICC profile and no Exif", v.Name)
				}
				img, err := jpeg.Decode(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				bw, bh := img.Bounds().Dx(), img.Bounds().Dy()
				if bw != v.Width || bh != v.Height || bh != (tt.wantH*v.Width+tt.wantW/2)/tt.wantW {
					t.Errorf("variant %s is %d×%d, recorded %d×%d", v.Name, bw, bh, v.Width, v.Height)
				}
				// Pixels turned upright: the red corner is where a viewer sees it.
				x, y := int(tt.redX*float64(bw-1)), int(tt.redY*float64(bh-1))
				x, y = x+(1-2*int(tt.redX))*4, y+(1-2*int(tt.redY))*4
				if !isRed(img.At(x, y)) {
					t.Errorf("variant %s: pixel (%d,%d) = %v, want the red corner there", v.Name, x, y, img.At(x, y))
				}
			}
			if !slices.Equal(widths, tt.wantVariants) {
				t.Errorf("variant widths %v, want %v", widths, tt.wantVariants)
			}
		})
	}
}

func TestStoreImagePNG(t *testing.T) {
	var enc bytes.Buffer
	if err := png.Encode(&enc, testPicture(1000, 500)); err != nil {
		t.Fatal(err)
	}
	const ihdrEnd = 33
	icc := bytes.Repeat([]byte("png-icc "), 30)
	data := append([]byte{}, enc.Bytes()[:ihdrEnd]...)
	data = append(data, pngChunk("tEXt", []byte("Comment\x00secret-text"))...)
	data = append(data, pngChunk("eXIf", gpsTIFF(3))...)
	data = pngWithICC(append(data, enc.Bytes()[ihdrEnd:]...), icc)

	store := DirStore{Dir: t.TempDir()}
	im, err := StoreImage(store, "p", data)
	if err != nil {
		t.Fatal(err)
	}
	if im.Name != "p.png" || im.Width != 1000 || im.Height != 500 {
		t.Errorf("stored %+v", im)
	}
	orig := readStored(t, store, im.Name)
	assertNoSecrets(t, "original", orig)
	if _, o, gotICC, err := cleanPNG(orig); err != nil || o != 3 || !bytes.Equal(gotICC, icc) {
		t.Errorf("original: orientation %d, ICC kept %v, err %v; want 3, true", o, bytes.Equal(gotICC, icc), err)
	}
	// Flat drawings compress well: a copy as large as the original is
	// not made, but the phone-sized one always is.
	if len(im.Variants) == 0 || im.Variants[0].Width != 480 {
		t.Fatalf("variants %+v, want 480 first", im.Variants)
	}
	for _, v := range im.Variants {
		b := readStored(t, store, v.Name)
		if v.Size >= im.Size {
			t.Errorf("variant %s: %d bytes, original %d", v.Name, v.Size, im.Size)
		}
		if !strings.HasSuffix(v.Name, ".png") {
			t.Errorf("variant %s: want PNG", v.Name)
		}
		if _, o, gotICC, _ := cleanPNG(b); o != 1 || !bytes.Equal(gotICC, icc) {
			t.Errorf("variant %s: orientation %d, ICC kept %v", v.Name, o, bytes.Equal(gotICC, icc))
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		// 180°: the red corner moved to the bottom right.
		if bw, bh := img.Bounds().Dx(), img.Bounds().Dy(); bw != v.Width || bh != v.Height || !isRed(img.At(bw-3, bh-3)) || isRed(img.At(2, 2)) {
			t.Errorf("variant %s: %d×%d, corners %v %v", v.Name, bw, bh, img.At(2, 2), img.At(bw-3, bh-3))
		}
	}

	// A PNG without metadata is stored as it came (Go's encoder writes none).
	im, err = StoreImage(store, "plain", enc.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readStored(t, store, im.Name), enc.Bytes()) {
		t.Error("a PNG without metadata changed")
	}
}

// TestStoreImageWebP wraps a lossy WebP (from golang.org/x/image's test
// data) in the extended format with EXIF and XMP, as cameras apps write.
func TestStoreImageWebP(t *testing.T) {
	simple, err := os.ReadFile("testdata/lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(simple))
	if err != nil {
		t.Fatal(err)
	}
	chunk := func(typ string, body []byte) []byte {
		b := binary.LittleEndian.AppendUint32([]byte(typ), uint32(len(body)))
		b = append(b, body...)
		if len(body)%2 == 1 {
			b = append(b, 0)
		}
		return b
	}
	vp8x := make([]byte, 10)
	vp8x[0] = 0x08 | 0x04 // EXIF, XMP
	vp8x[4], vp8x[5] = byte(cfg.Width-1), byte((cfg.Width-1)>>8)
	vp8x[7], vp8x[8] = byte(cfg.Height-1), byte((cfg.Height-1)>>8)
	body := chunk("VP8X", vp8x)
	body = append(body, simple[12:]...)
	body = append(body, chunk("EXIF", gpsTIFF(1))...)
	body = append(body, chunk("XMP ", []byte("<x:xmpmeta>secret-xmp</x:xmpmeta>"))...)
	data := binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(4+len(body)))
	data = append(append(data, "WEBP"...), body...)
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		t.Fatalf("fixture does not decode: %v", err)
	}

	store := DirStore{Dir: t.TempDir()}
	im, err := StoreImage(store, "w", data)
	if err != nil {
		t.Fatal(err)
	}
	orig := readStored(t, store, im.Name)
	assertNoSecrets(t, "original", orig)
	if im.Name != "w.webp" || im.MimeType != "image/webp" || im.Width != cfg.Width || im.Height != cfg.Height {
		t.Errorf("stored %+v", im)
	}
	if got := orig[20]; got&0x0C != 0 {
		t.Errorf("VP8X flags %#x still announce EXIF/XMP", got)
	}
	if !bytes.Contains(orig, simple[12:]) {
		t.Error("the compressed pixels changed")
	}
	if _, _, err := image.Decode(bytes.NewReader(orig)); err != nil {
		t.Errorf("cleaned WebP does not decode: %v", err)
	}
	if cfg.Width <= VariantWidths[0] && len(im.Variants) != 0 {
		t.Errorf("a %d px wide image got variants %+v", cfg.Width, im.Variants)
	}
}

func TestStoreImageGIF(t *testing.T) {
	pal := color.Palette{color.Black, color.White, color.RGBA{255, 0, 0, 255}}
	g := &gif.GIF{LoopCount: 3}
	for i := range 2 {
		fr := image.NewPaletted(image.Rect(0, 0, 600, 300), pal)
		for x := range 600 {
			fr.SetColorIndex(x, (x+i*50)%300, uint8(1+i))
		}
		g.Image = append(g.Image, fr)
		g.Delay = append(g.Delay, 10*(i+1))
	}
	var enc bytes.Buffer
	if err := gif.EncodeAll(&enc, g); err != nil {
		t.Fatal(err)
	}
	b := enc.Bytes()
	// A comment and an XMP application block before the trailer.
	extra := append([]byte{0x21, 0xFE, 14}, "secret-comment\x00"...)
	extra = append(extra, 0x21, 0xFF, 11)
	extra = append(extra, "XMP DataXMP"...)
	extra = append(extra, 10)
	extra = append(extra, "secret-xmp\x00"...)
	data := append(append(append([]byte{}, b[:len(b)-1]...), extra...), 0x3B)
	if _, err := gif.DecodeAll(bytes.NewReader(data)); err != nil {
		t.Fatalf("fixture does not decode: %v", err)
	}

	store := DirStore{Dir: t.TempDir()}
	im, err := StoreImage(store, "g", data)
	if err != nil {
		t.Fatal(err)
	}
	orig := readStored(t, store, im.Name)
	assertNoSecrets(t, "original", orig)
	if im.Name != "g.gif" || im.Width != 600 || im.Height != 300 || len(im.Variants) != 0 {
		t.Errorf("stored %+v, want g.gif 600×300 without variants (animation kept)", im)
	}
	got, err := gif.DecodeAll(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Image) != 2 || got.LoopCount != 3 || got.Delay[1] != 20 || got.Image[1].ColorIndexAt(50, 100) != 2 {
		t.Errorf("animation changed: %d frames, loop %d, delays %v", len(got.Image), got.LoopCount, got.Delay)
	}
}

func TestStoreImageRefuses(t *testing.T) {
	huge := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", []byte("\x00\x00\x40\x00\x00\x00\x40\x00\x08\x02\x00\x00\x00"))...)
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"text", []byte("hello, world"), ErrNotImage},
		{"truncated JPEG", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F'}, ErrNotImage},
		{"16384×16384 PNG header", huge, ErrTooManyPixels},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := StoreImage(DirStore{Dir: dir}, "x", tt.data)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a refused upload left %d files", len(entries))
			}
		})
	}
}

func TestSrcsetInRenderedArticle(t *testing.T) {
	md := "![a](/media/p.jpg)\n\n![b](/media/small.png \"Cap\")\n\n![c](https://remote.example/x.jpg)\n"
	html, _, err := PrepareArticle(md, func(name string) (MediaImage, bool) {
		switch name {
		case "p.jpg":
			return MediaImage{Width: 1200, Height: 600, Variants: []ImageVariant{
				{Name: "p-480w.jpg", Width: 480, Height: 240}, {Name: "p-960w.jpg", Width: 960, Height: 480}}}, true
		case "small.png":
			return MediaImage{Width: 300, Height: 200}, true
		}
		return MediaImage{}, false
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<img src="/media/p.jpg" alt="a" width="1200" height="600" srcset="/media/p-480w.jpg 480w, /media/p-960w.jpg 960w, /media/p.jpg 1200w" sizes="` + ArticleImageSizes + `" loading="lazy">`,
		`<img src="/media/small.png" alt="b" width="300" height="200" loading="lazy">`,
		`<img src="https://remote.example/x.jpg" alt="c" loading="lazy">`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks\n%s\n%s", want, html)
		}
	}
	// An author's own srcset survives only when it names our uploads.
	for _, tt := range []struct{ in, want string }{
		{`<img src="/media/a.jpg" srcset="/media/a-480w.jpg 480w, /media/a.jpg 900w" sizes="100vw">`, `srcset="/media/a-480w.jpg 480w, /media/a.jpg 900w" sizes="100vw"`},
		{`<img src="/media/a.jpg" srcset="https://tracker.example/p.gif 480w">`, `<img src="/media/a.jpg">`},
	} {
		if got := SanitizeArticle(tt.in); !strings.Contains(got, tt.want) {
			t.Errorf("SanitizeArticle(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestGPSFixture checks the committed phone-like photo (also used by the
// handler tests) still carries what the pipeline must remove.
func TestGPSFixture(t *testing.T) {
	data, err := os.ReadFile("testdata/gps-orientation6.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, gpsLatitude) || !bytes.Contains(data, []byte("SecretCam")) {
		t.Fatal("fixture lacks its GPS Exif")
	}
	store := DirStore{Dir: t.TempDir()}
	im, err := StoreImage(store, "f", data)
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecrets(t, "fixture", readStored(t, store, im.Name))
	if im.Width != 600 || im.Height != 1200 || len(im.Variants) != 1 {
		t.Errorf("stored %+v, want 600×1200 with one variant", im)
	}
}

// A progressive JPEG has tables and scans after the first scan: the
// segment filter must walk them and change nothing.
func TestStoreImageProgressiveJPEG(t *testing.T) {
	data, err := os.ReadFile("testdata/progressive.jpg")
	if err != nil {
		t.Fatal(err)
	}
	// With a comment added after the first scan, where a filter that stops
	// at the first scan would not look.
	sos := bytes.Index(data, []byte{0xFF, 0xDA})
	next := sos + 2 + bytes.Index(data[sos+2:], []byte{0xFF, 0xC4}) // the DHT before the second scan
	withComment := append(append(append([]byte{}, data[:next]...), segment(0xFE, []byte("secret-comment"))...), data[next:]...)
	for _, in := range [][]byte{data, withComment} {
		store := DirStore{Dir: t.TempDir()}
		im, err := StoreImage(store, "p", in)
		if err != nil {
			t.Fatal(err)
		}
		if got := readStored(t, store, im.Name); !bytes.Equal(got, data) {
			t.Errorf("stored %d bytes, want the %d of the file without its comment", len(got), len(data))
		}
	}
}
