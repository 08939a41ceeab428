package web

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// The filters below rewrite an image's container without touching the
// compressed pixels: the photo keeps its quality, and only what a reader's
// browser needs survives (orientation, colour profile). Metadata libraries
// for Go (goexif, go-exif) parse every tag; we need one tag and a list of
// segments to keep, which is less code than adapting them.

var errCorrupt = errors.New("corrupt image container")

// exifPrefix starts a JPEG APP1 Exif payload.
var exifPrefix = []byte("Exif\x00\x00")

// exifOrientation reads tag 0x0112 from IFD0 of a TIFF-structured Exif
// block; 1 (no transform) when it is absent or unreadable.
func exifOrientation(tiff []byte) int {
	tiff = bytes.TrimPrefix(tiff, exifPrefix)
	if len(tiff) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := int(bo.Uint32(tiff[4:8]))
	if ifd < 8 || ifd+2 > len(tiff) {
		return 1
	}
	n := int(bo.Uint16(tiff[ifd:]))
	for i := 0; i < n; i++ {
		e := ifd + 2 + 12*i
		if e+12 > len(tiff) {
			return 1
		}
		if bo.Uint16(tiff[e:]) == 0x0112 && bo.Uint16(tiff[e+2:]) == 3 {
			if o := int(bo.Uint16(tiff[e+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
	}
	return 1
}

// minimalExif is a TIFF block holding only the orientation tag.
func minimalExif(orientation int) []byte {
	b := []byte("MM\x00\x2a\x00\x00\x00\x08" + // header, IFD0 at 8
		"\x00\x01" + // one entry
		"\x01\x12\x00\x03\x00\x00\x00\x01\x00\x00\x00\x00" + // Orientation SHORT 1
		"\x00\x00\x00\x00") // no next IFD
	binary.BigEndian.PutUint16(b[18:], uint16(orientation))
	return b
}

// cleanJPEG keeps the segments a decoder needs plus JFIF, Adobe and ICC,
// drops Exif (GPS, maker notes, thumbnails), XMP, IPTC, comments and
// anything after the end of the image (appended secondary images), and
// writes back an Exif block carrying only the orientation.
func cleanJPEG(data []byte) (out []byte, orientation int, icc []byte, err error) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil, 0, nil, fmt.Errorf("jpeg: %w: no SOI", errCorrupt)
	}
	orientation = 1
	var iccParts [][]byte
	var segs [][]byte // kept segments, in order
	i := 2
	end := false
	for i < len(data) && !end {
		if data[i] != 0xFF || i+1 >= len(data) {
			return nil, 0, nil, fmt.Errorf("jpeg: %w at byte %d", errCorrupt, i)
		}
		m := data[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0xD9: // EOI
			segs = append(segs, data[i:i+2])
			end = true
			continue
		case m >= 0xD0 && m <= 0xD7 || m == 0x01:
			segs = append(segs, data[i:i+2])
			i += 2
			continue
		}
		if i+4 > len(data) {
			return nil, 0, nil, fmt.Errorf("jpeg: %w: truncated segment", errCorrupt)
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return nil, 0, nil, fmt.Errorf("jpeg: %w: segment length %d", errCorrupt, n)
		}
		seg, payload := data[i:i+2+n], data[i+4:i+2+n]
		keep := true
		switch {
		case m == 0xE0:
			keep = bytes.HasPrefix(payload, []byte("JFIF\x00"))
		case m == 0xE1:
			if bytes.HasPrefix(payload, exifPrefix) {
				orientation = exifOrientation(payload)
			}
			keep = false
		case m == 0xE2:
			keep = bytes.HasPrefix(payload, []byte("ICC_PROFILE\x00"))
			if keep && len(payload) > 14 {
				iccParts = append(iccParts, payload[14:])
			}
		case m == 0xEE:
			keep = bytes.HasPrefix(payload, []byte("Adobe"))
		case m >= 0xE3 && m <= 0xEF, m == 0xFE:
			keep = false
		}
		if keep {
			segs = append(segs, seg)
		}
		i += 2 + n
		if m == 0xDA { // entropy-coded data runs to the next real marker
			j := i
			for j+1 < len(data) {
				if data[j] == 0xFF {
					if nx := data[j+1]; nx != 0 && nx != 0xFF && (nx < 0xD0 || nx > 0xD7) {
						break
					}
				}
				j++
			}
			if j+1 >= len(data) {
				j = len(data)
			}
			segs = append(segs, data[i:j])
			i = j
		}
	}
	var buf bytes.Buffer
	buf.Grow(len(data))
	buf.Write(data[:2])
	if len(segs) > 0 && len(segs[0]) > 1 && segs[0][1] == 0xE0 {
		buf.Write(segs[0]) // JFIF stays first, as its spec wants
		segs = segs[1:]
	}
	if orientation != 1 {
		payload := append(append([]byte{}, exifPrefix...), minimalExif(orientation)...)
		buf.Write([]byte{0xFF, 0xE1, 0, 0})
		binary.BigEndian.PutUint16(buf.Bytes()[buf.Len()-2:], uint16(len(payload)+2))
		buf.Write(payload)
	}
	for _, s := range segs {
		buf.Write(s)
	}
	return buf.Bytes(), orientation, bytes.Join(iccParts, nil), nil
}

// jpegWithICC inserts an ICC profile as APP2 segments after SOI.
func jpegWithICC(jpg, icc []byte) []byte {
	if len(icc) == 0 || len(jpg) < 2 {
		return jpg
	}
	const max = 65519 // 65535 - 2 (length) - 14 (ICC_PROFILE\0 + seq + count)
	count := (len(icc) + max - 1) / max
	if count > 255 {
		return jpg
	}
	var buf bytes.Buffer
	buf.Write(jpg[:2])
	for k := 0; k < count; k++ {
		part := icc[k*max : min((k+1)*max, len(icc))]
		buf.Write([]byte{0xFF, 0xE2, byte((len(part) + 16) >> 8), byte(len(part) + 16)})
		buf.WriteString("ICC_PROFILE\x00")
		buf.Write([]byte{byte(k + 1), byte(count)})
		buf.Write(part)
	}
	buf.Write(jpg[2:])
	return buf.Bytes()
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// pngKeep are the chunks that affect how pixels look (colour, gamma,
// transparency, density, animation); text, time and Exif go.
var pngKeep = map[string]bool{
	"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true, "tRNS": true,
	"cHRM": true, "gAMA": true, "iCCP": true, "sBIT": true, "sRGB": true,
	"cICP": true, "mDCv": true, "cLLi": true, "bKGD": true, "pHYs": true,
	"acTL": true, "fcTL": true, "fdAT": true,
}

func pngChunk(typ string, data []byte) []byte {
	b := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(b, uint32(len(data)))
	copy(b[4:], typ)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// cleanPNG drops ancillary chunks that carry text or Exif, keeping an
// eXIf with only the orientation when the photo needs one.
func cleanPNG(data []byte) (out []byte, orientation int, icc []byte, err error) {
	if !bytes.HasPrefix(data, pngSignature) {
		return nil, 0, nil, fmt.Errorf("png: %w: no signature", errCorrupt)
	}
	orientation = 1
	buf := bytes.NewBuffer(make([]byte, 0, len(data)))
	buf.Write(pngSignature)
	for i := len(pngSignature); i < len(data); {
		if i+12 > len(data) {
			return nil, 0, nil, fmt.Errorf("png: %w: truncated chunk", errCorrupt)
		}
		n := int(binary.BigEndian.Uint32(data[i:]))
		if n < 0 || n > len(data)-i-12 {
			return nil, 0, nil, fmt.Errorf("png: %w: chunk length %d", errCorrupt, n)
		}
		typ, body := string(data[i+4:i+8]), data[i+8:i+8+n]
		switch {
		case typ == "eXIf":
			if orientation = exifOrientation(body); orientation != 1 {
				buf.Write(pngChunk("eXIf", minimalExif(orientation)))
			}
		case pngKeep[typ]:
			buf.Write(data[i : i+12+n])
			if typ == "iCCP" {
				icc = inflateICCP(body)
			}
		}
		i += 12 + n
		if typ == "IEND" {
			break
		}
	}
	return buf.Bytes(), orientation, icc, nil
}

// inflateICCP returns the profile of an iCCP chunk body (name, 0, method,
// zlib data); nil when unreadable.
func inflateICCP(body []byte) []byte {
	k := bytes.IndexByte(body, 0)
	if k < 0 || k+2 > len(body) {
		return nil
	}
	r, err := zlib.NewReader(bytes.NewReader(body[k+2:]))
	if err != nil {
		return nil
	}
	defer r.Close()
	p, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil
	}
	return p
}

// pngWithICC inserts an iCCP chunk after IHDR.
func pngWithICC(png, icc []byte) []byte {
	const ihdrEnd = 8 + 12 + 13
	if len(icc) == 0 || len(png) < ihdrEnd {
		return png
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(icc)
	zw.Close()
	chunk := pngChunk("iCCP", append([]byte("ICC\x00\x00"), z.Bytes()...))
	return append(append(append([]byte{}, png[:ihdrEnd]...), chunk...), png[ihdrEnd:]...)
}

// cleanWebP drops the EXIF and XMP chunks of an extended WebP (keeping an
// EXIF with only the orientation) and clears their flags.
func cleanWebP(data []byte) (out []byte, orientation int, icc []byte, err error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, 0, nil, fmt.Errorf("webp: %w: no RIFF header", errCorrupt)
	}
	orientation = 1
	var chunks [][]byte
	flagsAt := -1 // index in chunks of VP8X
	for i := 12; i+8 <= len(data); {
		typ := string(data[i : i+4])
		n := int(binary.LittleEndian.Uint32(data[i+4:]))
		padded := n + n&1
		if n < 0 || i+8+n > len(data) {
			return nil, 0, nil, fmt.Errorf("webp: %w: chunk %q length %d", errCorrupt, typ, n)
		}
		body := data[i+8 : i+8+n]
		switch typ {
		case "EXIF":
			if orientation = exifOrientation(body); orientation != 1 {
				ex := minimalExif(orientation)
				c := binary.LittleEndian.AppendUint32([]byte("EXIF"), uint32(len(ex)))
				chunks = append(chunks, append(c, ex...))
			}
		case "XMP ":
		case "VP8X":
			flagsAt = len(chunks)
			chunks = append(chunks, append([]byte{}, data[i:min(i+8+padded, len(data))]...))
		case "ICCP":
			icc = body
			chunks = append(chunks, data[i:min(i+8+padded, len(data))])
		case "VP8 ", "VP8L", "ALPH", "ANIM", "ANMF":
			chunks = append(chunks, data[i:min(i+8+padded, len(data))])
		}
		i += 8 + padded
	}
	if flagsAt >= 0 && len(chunks[flagsAt]) > 8 {
		f := &chunks[flagsAt][8]
		*f &^= 0x04 // XMP
		if orientation == 1 {
			*f &^= 0x08 // EXIF
		}
	}
	body := bytes.Join(chunks, nil)
	out = make([]byte, 0, 12+len(body))
	out = append(out, "RIFF"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(4+len(body)))
	out = append(out, "WEBP"...)
	return append(out, body...), orientation, icc, nil
}
