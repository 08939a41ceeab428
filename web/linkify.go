package web

import (
	"bytes"
	"html"
	"io"
	"net/url"
	"strings"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"mvdan.cc/xurls/v2"
)

// urlFinder finds addresses that carry a scheme; which schemes become
// links is decided by linkTarget.
var urlFinder = xurls.Strict()

// Linkify turns the plain http(s) addresses written in the text of
// sanitized HTML (a visitor's comment) into links marked as user content,
// rel="nofollow ugc noopener", as WordPress does. Text already inside a
// link, code or pre stays as it is; other schemes (javascript:, data:)
// never become links.
func Linkify(s string) string {
	z := xhtml.NewTokenizer(strings.NewReader(s))
	var out bytes.Buffer
	skip := 0 // depth inside a, code, pre
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			if z.Err() != io.EOF {
				return s // cannot happen on a strings.Reader
			}
			return out.String()
		case xhtml.StartTagToken, xhtml.EndTagToken:
			raw := bytes.Clone(z.Raw())
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.A, atom.Code, atom.Pre:
				if tt == xhtml.StartTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
			}
			out.Write(raw)
		case xhtml.TextToken:
			if skip > 0 {
				out.Write(z.Raw())
				continue
			}
			linkifyText(&out, string(z.Text()))
		default:
			out.Write(z.Raw())
		}
	}
}

// linkifyText writes text escaped, with its http(s) addresses as links.
func linkifyText(out *bytes.Buffer, text string) {
	last := 0
	for _, m := range urlFinder.FindAllStringIndex(text, -1) {
		href, ok := linkTarget(text[m[0]:m[1]])
		if !ok {
			continue
		}
		out.WriteString(html.EscapeString(text[last:m[0]]))
		out.WriteString(`<a href="` + html.EscapeString(href) + `" rel="` + remoteRel + `">`)
		out.WriteString(html.EscapeString(text[m[0]:m[1]]))
		out.WriteString(`</a>`)
		last = m[1]
	}
	out.WriteString(html.EscapeString(text[last:]))
}

// linkTarget accepts http(s) addresses with a host only.
func linkTarget(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (!strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https")) {
		return "", false
	}
	return u.String(), true
}
