package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseWXR feeds arbitrary bytes to the parser and to the conversions
// each item goes through: none may panic, whatever the file holds.
func FuzzParseWXR(f *testing.F) {
	data, err := os.ReadFile(wxrFixture)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte(`<rss><channel><wp:wxr_version>1.2</wp:wxr_version><item><content:encoded>[caption]<img src=x>[/caption]</content:encoded></item></channel></rss>`))
	im := &wxrImporter{hosts: map[string]bool{"asiadesk.example.org": true}}
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = parseWXR(bytes.NewReader(in), wxrHandler{
			Author: func(a wxrAuthor) error {
				if u := wxrUsername(a.Login, "blog"); u == "" {
					t.Errorf("empty username for %q", a.Login)
				}
				return nil
			},
			Item: func(it *wxrItem) error {
				body := rewriteHTMLURLs(wpContent(it.Content), func(u string) (string, bool) {
					rel, ok := im.uploadPath(u)
					return "/media/" + rel, ok
				})
				_ = wxrSlug(it.PostName, it.Title, it.PostID)
				_ = wxrRedirects(it)
				_ = wpautop(body)
				for _, c := range it.Comments {
					_ = wxrCommentStatus(c.Approved)
					_ = wpautop(c.Content)
				}
				return nil
			},
		})
	})
}

// TestParseWXRMutations runs the fuzz body's checks over deterministic
// mutations of the fixture (flipped bytes, cuts, duplicated spans) on every
// `go test`, not only when fuzzing. A hang fails through the test timeout.
func TestParseWXRMutations(t *testing.T) {
	data, err := os.ReadFile(wxrFixture)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		in := append([]byte(nil), data...)
		for k := 0; k < 1+r.IntN(6); k++ {
			switch p := r.IntN(len(in)); r.IntN(3) {
			case 0:
				in[p] = byte(r.IntN(256))
			case 1:
				in = append(in[:p], in[min(len(in), p+r.IntN(40)):]...)
			default:
				q := min(len(in), p+r.IntN(200))
				at := r.IntN(len(in))
				in = append(in[:at], append(append([]byte(nil), in[p:q]...), in[at:]...)...)
			}
			if len(in) == 0 {
				in = []byte("<")
			}
		}
		_, _ = parseWXR(bytes.NewReader(in), wxrHandler{Item: func(it *wxrItem) error {
			_ = wpautop(rewriteHTMLURLs(wpContent(it.Content), func(string) (string, bool) { return "/media/x", true }))
			_ = wxrRedirects(it)
			return nil
		}})
	}
}

// FuzzReadUpload: whatever media URL a WXR file names, the importer reads
// nothing from outside --media-dir, through ".." or symbolic links.
func FuzzReadUpload(f *testing.F) {
	base := f.TempDir()
	uploads, outside := filepath.Join(base, "uploads"), filepath.Join(base, "outside")
	secret := []byte("SECRET-OUTSIDE-THE-UPLOADS")
	for _, d := range []string{filepath.Join(uploads, "2012", "11"), outside} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			f.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "secret.jpg"), secret, 0o600); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(uploads, "2012", "11", "inside.jpg"), []byte("INSIDE"), 0o600); err != nil {
		f.Fatal(err)
	}
	for link, target := range map[string]string{
		filepath.Join(uploads, "2012", "11", "link.jpg"): filepath.Join(outside, "secret.jpg"),
		filepath.Join(uploads, "2012", "rel.jpg"):        filepath.Join("..", "..", "outside", "secret.jpg"),
		filepath.Join(uploads, "out"):                    outside,
	} {
		if err := os.Symlink(target, link); err != nil {
			f.Fatal(err)
		}
	}
	for _, s := range []string{
		"http://asiadesk.example.org/wp-content/uploads/2012/11/inside.jpg",
		"http://asiadesk.example.org/wp-content/uploads/2012/11/link.jpg",
		"/wp-content/uploads/2012/rel.jpg",
		"/wp-content/uploads/out/secret.jpg",
		"/wp-content/uploads/../../outside/secret.jpg",
		"/wp-content/uploads/%2e%2e/outside/secret.jpg",
		"/wp-content/uploads/2012/11/..%2f..%2f..%2foutside/secret.jpg",
	} {
		f.Add(s)
	}
	im := &wxrImporter{hosts: map[string]bool{"asiadesk.example.org": true}, opt: wxrOptions{MediaDir: uploads}}
	f.Fuzz(func(t *testing.T, u string) {
		rel, ok := im.uploadPath(u)
		if !ok {
			return
		}
		data, found, err := im.readUpload(rel)
		if err != nil {
			return
		}
		if found && bytes.Equal(data, secret) {
			t.Fatalf("%q (→ %q) read a file outside the uploads folder", u, rel)
		}
	})
}
