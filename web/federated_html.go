package web

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// What an article's HTML becomes on the way to other servers. Mastodon and
// GoToSocial both drop <img> (the images travel as attachments) and
// <figure>, but GoToSocial keeps <figcaption>, which then stands alone with
// nothing to caption.

// FlattenFigures rewrites each <figure> as its content with the
// <figcaption> turned into a plain paragraph: <img …><p>Caption</p>. Where
// the image is dropped the caption still reads as a sentence of the text.
func FlattenFigures(s string) string {
	if !strings.Contains(s, "<figure") {
		return s
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	b.Grow(len(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return b.String()
		}
		name, _ := z.TagName()
		switch a := atom.Lookup(name); {
		case a == atom.Figure && (tt == html.StartTagToken || tt == html.EndTagToken):
			// dropped: its content stays
		case a == atom.Figcaption && tt == html.StartTagToken:
			b.WriteString("<p>")
		case a == atom.Figcaption && tt == html.EndTagToken:
			b.WriteString("</p>")
		default:
			b.Write(z.Raw())
		}
	}
}

// WithoutFigures drops every <figure> with its content (image and
// caption), for a lead made of the article's own sentences.
func WithoutFigures(s string) string {
	if !strings.Contains(s, "<figure") {
		return s
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	depth := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return b.String()
		}
		name, _ := z.TagName()
		if atom.Lookup(name) == atom.Figure {
			switch tt {
			case html.StartTagToken:
				depth++
				continue
			case html.EndTagToken:
				if depth > 0 {
					depth--
				}
				continue
			}
		}
		if depth == 0 {
			b.Write(z.Raw())
		}
	}
}

// ImageAlts maps each <img> src of HTML to its alt text (the first
// non-empty one when an image appears more than once).
func ImageAlts(s string) map[string]string {
	out := map[string]string{}
	if !strings.Contains(s, "<img") {
		return out
	}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if t.DataAtom != atom.Img {
				continue
			}
			var src, alt string
			for _, a := range t.Attr {
				switch a.Key {
				case "src":
					src = a.Val
				case "alt":
					alt = strings.TrimSpace(a.Val)
				}
			}
			if src != "" && out[src] == "" {
				out[src] = alt
			}
		}
	}
}
