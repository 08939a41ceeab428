package main

import (
	"bytes"
	"os"
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
