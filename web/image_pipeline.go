package web

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strconv"
	"strings"

	"golang.org/x/image/draw"
)

// VariantWidths are the widths resized copies are made at: a phone's
// column, a tablet or 2x phone, a desktop at 2x. Never upscaled.
var VariantWidths = []int{480, 960, 1600}

// MaxImagePixels refuses images whose decode would need too much memory
// (the header can claim any size in a few bytes).
const MaxImagePixels = 100_000_000

// ErrTooManyPixels is an image too large to process.
var ErrTooManyPixels = errors.New("image has too many pixels")

// ImageVariant is a resized copy of an upload.
type ImageVariant struct {
	Name          string
	Width, Height int
	Size          int64
}

// StoredImage is an upload as StoreImage wrote it. Width and Height are
// as displayed (after the Exif orientation).
type StoredImage struct {
	Name          string
	MimeType      string
	Width, Height int
	Size          int64
	Variants      []ImageVariant // narrowest first
}

// StoreImage is the one path every upload takes (admin, profile images,
// `fedpress post`, WordPress import): it checks the bytes are an image we
// accept, strips private metadata (GPS and other Exif, XMP, IPTC,
// comments) while keeping orientation and colour profile, writes it as
// base+ext, and writes resized copies as base-<width>w+ext.
//
// JPEG, PNG and WebP keep their compressed pixels untouched (containers
// are rewritten, not re-encoded). GIFs are re-encoded losslessly without
// comment and application blocks (except the loop count), and get no
// variants: resizing every frame of an animation costs more than it saves
// and a first-frame still would stop it moving.
func StoreImage(store MediaStore, base string, data []byte) (StoredImage, error) {
	info, err := SniffImage(data)
	if err != nil {
		return StoredImage{}, err
	}
	if int64(info.Width)*int64(info.Height) > MaxImagePixels {
		return StoredImage{}, fmt.Errorf("%w: %d×%d", ErrTooManyPixels, info.Width, info.Height)
	}
	var (
		clean       []byte
		orientation = 1
		icc         []byte
	)
	switch info.MimeType {
	case "image/jpeg":
		clean, orientation, icc, err = cleanJPEG(data)
	case "image/png":
		clean, orientation, icc, err = cleanPNG(data)
	case "image/webp":
		clean, orientation, icc, err = cleanWebP(data)
	case "image/gif":
		clean, err = cleanGIF(data)
	}
	if err != nil {
		return StoredImage{}, fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	// The rewritten file must still be the same picture to a decoder.
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(clean)); err != nil || cfg.Width != info.Width || cfg.Height != info.Height {
		return StoredImage{}, fmt.Errorf("%w: unreadable after removing metadata: %v", ErrNotImage, err)
	}
	out := StoredImage{Name: base + info.Ext, MimeType: info.MimeType, Width: info.Width, Height: info.Height, Size: int64(len(clean))}
	if orientation >= 5 {
		out.Width, out.Height = out.Height, out.Width
	}
	var variants []encodedVariant
	if info.MimeType != "image/gif" && out.Width > VariantWidths[0] {
		variants, err = makeVariants(clean, info, orientation, icc, out.Width, out.Height)
		if err != nil {
			return StoredImage{}, fmt.Errorf("%w: %v", ErrNotImage, err)
		}
	}
	if err := store.Put(out.Name, bytes.NewReader(clean)); err != nil {
		return StoredImage{}, err
	}
	for _, v := range variants {
		name := base + "-" + strconv.Itoa(v.w) + "w" + v.ext
		if err := store.Put(name, bytes.NewReader(v.data)); err != nil {
			RemoveImage(store, out)
			return StoredImage{}, err
		}
		out.Variants = append(out.Variants, ImageVariant{Name: name, Width: v.w, Height: v.h, Size: int64(len(v.data))})
	}
	return out, nil
}

// RemoveImage deletes an image and its variants, best effort (for an
// upload whose database row could not be written).
func RemoveImage(store MediaStore, im StoredImage) {
	_ = store.Remove(im.Name)
	for _, v := range im.Variants {
		_ = store.Remove(v.Name)
	}
}

type encodedVariant struct {
	w, h int
	ext  string
	data []byte
}

// makeVariants decodes once and scales to every width below the image's
// own, applying the orientation to the pixels (a variant carries no Exif).
// JPEG variants carry the original's ICC profile, PNG ones too; WebP
// cannot be encoded in pure Go, so its variants are JPEG (PNG when
// transparent).
func makeVariants(data []byte, info ImageInfo, orientation int, icc []byte, w, h int) ([]encodedVariant, error) {
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", info.MimeType, err)
	}
	asPNG := info.MimeType == "image/png" || info.MimeType == "image/webp" && !opaque(src)
	var out []encodedVariant
	for _, vw := range VariantWidths {
		if vw >= w {
			break
		}
		vh := max(1, (h*vw+w/2)/w)
		// Scale in the stored orientation, then turn the small result.
		sw, sh := vw, vh
		if orientation >= 5 {
			sw, sh = vh, vw
		}
		scaled := image.NewRGBA(image.Rect(0, 0, sw, sh))
		draw.CatmullRom.Scale(scaled, scaled.Bounds(), src, src.Bounds(), draw.Src, nil)
		img := orient(scaled, orientation)
		var buf bytes.Buffer
		ev := encodedVariant{w: vw, h: vh}
		if asPNG {
			if err := png.Encode(&buf, img); err != nil {
				return nil, fmt.Errorf("encode variant %d: %w", vw, err)
			}
			ev.ext, ev.data = ".png", pngWithICC(buf.Bytes(), icc)
		} else {
			if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 82}); err != nil {
				return nil, fmt.Errorf("encode variant %d: %w", vw, err)
			}
			ev.ext, ev.data = ".jpg", jpegWithICC(buf.Bytes(), icc)
		}
		if len(ev.data) >= len(data) {
			break // a wider copy would only be larger still
		}
		out = append(out, ev)
	}
	return out, nil
}

func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// orient applies an Exif orientation (1–8) to the pixels.
func orient(src *image.RGBA, orientation int) *image.RGBA {
	if orientation <= 1 || orientation > 8 {
		return src
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := w, h
	if orientation >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			var sx, sy int
			switch orientation {
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, h-1-x
			case 7:
				sx, sy = w-1-y, h-1-x
			case 8:
				sx, sy = w-1-y, x
			}
			si, di := src.PixOffset(sx, sy), dst.PixOffset(x, y)
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}

// cleanGIF re-encodes a GIF frame by frame: paletted frames, delays,
// disposal and loop count survive unchanged; comment, XMP and other
// application blocks do not.
func cleanGIF(data []byte) ([]byte, error) {
	g, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("gif: %w", err)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		return nil, fmt.Errorf("gif: %w", err)
	}
	return buf.Bytes(), nil
}

// Srcset is the srcset attribute for an image and its variants, or "" when
// there are none. full is the original's URL.
func Srcset(full string, width int, variants []ImageVariant) string {
	if len(variants) == 0 || width <= 0 {
		return ""
	}
	var b strings.Builder
	for _, v := range variants {
		b.WriteString(MediaPrefix + v.Name + " " + strconv.Itoa(v.Width) + "w, ")
	}
	b.WriteString(full + " " + strconv.Itoa(width) + "w")
	return b.String()
}

// ArticleImageSizes tells the browser how wide an article's image is
// shown, so it picks the smallest variant that fills it: the article
// column is 42rem at most (style.css). List thumbnails say theirs in
// _list.html.
const ArticleImageSizes = "(max-width: 42rem) 100vw, 42rem"
