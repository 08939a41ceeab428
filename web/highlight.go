package web

import (
	"html"
	"html/template"
	"strings"
)

// Highlight escapes text and wraps the parts between start and end
// markers (a search engine's match marks) in <mark>. Markers out of order
// are dropped, and a mark left open is closed, so the result is always
// well-formed.
func Highlight(text, start, end string) template.HTML {
	var b strings.Builder
	open := false
	for text != "" {
		marker := start
		if open {
			marker = end
		}
		i := strings.Index(text, marker)
		if i < 0 {
			break
		}
		b.WriteString(html.EscapeString(dropMarkers(text[:i], start, end)))
		if open {
			b.WriteString("</mark>")
		} else {
			b.WriteString("<mark>")
		}
		open = !open
		text = text[i+len(marker):]
	}
	b.WriteString(html.EscapeString(dropMarkers(text, start, end)))
	if open {
		b.WriteString("</mark>")
	}
	return template.HTML(b.String()) //nolint:gosec // every piece of text is escaped above
}

func dropMarkers(s, start, end string) string {
	return strings.NewReplacer(start, "", end, "").Replace(s)
}
