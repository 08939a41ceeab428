package web

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Excerpt returns the first words words of the HTML's visible text on one
// line, with "…" appended when text was cut.
func Excerpt(s string, words int) string {
	if words <= 0 {
		return ""
	}
	fields := strings.Fields(PlainText(s))
	if len(fields) <= words {
		return strings.Join(fields, " ")
	}
	fields = fields[:words]
	// "word,…" reads badly; drop dangling punctuation before the ellipsis.
	for len(fields) > 0 {
		last := strings.TrimRight(fields[len(fields)-1], ",;:-–—(")
		if last != "" {
			fields[len(fields)-1] = last
			break
		}
		fields = fields[:len(fields)-1]
	}
	return strings.Join(fields, " ") + "…"
}

// PlainText extracts the visible text of an HTML fragment. Whitespace is
// collapsed as a browser would, block elements become line breaks
// (paragraph-like ones a blank line), and <pre> keeps its layout.
// Scripts, styles, embedded objects and footnote markup are left out:
// none of it is prose a reader would want quoted.
func PlainText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var p plainWriter
	var skip atom.Atom // element whose content is being skipped
	skipDepth := 0
	preDepth := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break // io.EOF: a strings.Reader has no other errors
		}
		tok := z.Token()
		if skipDepth > 0 {
			switch {
			case tt == html.StartTagToken && tok.DataAtom == skip:
				skipDepth++
			case tt == html.EndTagToken && tok.DataAtom == skip:
				skipDepth--
			}
			continue
		}
		switch tt {
		case html.TextToken:
			if preDepth > 0 {
				p.raw(tok.Data)
			} else {
				p.text(tok.Data)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			if tt == html.StartTagToken && skipContent(tok) {
				skip, skipDepth = tok.DataAtom, 1
				continue
			}
			switch {
			case tok.DataAtom == atom.Br:
				p.lineBreak()
			case tok.DataAtom == atom.Td || tok.DataAtom == atom.Th:
				p.space()
			default:
				p.block(blockBreaks[tok.DataAtom])
			}
			if tok.DataAtom == atom.Pre && tt == html.StartTagToken {
				preDepth++
			}
		case html.EndTagToken:
			if tok.DataAtom == atom.Pre && preDepth > 0 {
				preDepth--
			}
			switch tok.DataAtom {
			case atom.Td, atom.Th:
				p.space()
			default:
				p.block(blockBreaks[tok.DataAtom])
			}
		}
	}
	return p.String()
}

// blockBreaks is how many newlines separate a block element from its
// surroundings; elements not listed are inline.
var blockBreaks = map[atom.Atom]int{
	atom.P: 2, atom.Div: 2, atom.Blockquote: 2, atom.Pre: 2, atom.Figure: 2,
	atom.Table: 2, atom.Ul: 2, atom.Ol: 2, atom.Dl: 2, atom.Hr: 2,
	atom.H1: 2, atom.H2: 2, atom.H3: 2, atom.H4: 2, atom.H5: 2, atom.H6: 2,
	atom.Section: 2, atom.Article: 2, atom.Aside: 2, atom.Header: 2,
	atom.Footer: 2, atom.Nav: 2, atom.Main: 2, atom.Details: 2, atom.Address: 2,
	atom.Li: 1, atom.Tr: 1, atom.Dt: 1, atom.Dd: 1, atom.Figcaption: 1,
	atom.Summary: 1, atom.Caption: 1,
}

// skipContent reports elements whose text must not leak into plain text.
func skipContent(t html.Token) bool {
	switch t.DataAtom {
	case atom.Script, atom.Style, atom.Template, atom.Noscript, atom.Iframe,
		atom.Object, atom.Svg, atom.Math, atom.Head, atom.Title, atom.Textarea, atom.Select:
		return true
	}
	// Footnote numbers and the footnote list would garble an excerpt.
	for _, a := range t.Attr {
		if a.Key == "class" {
			for _, c := range strings.Fields(a.Val) {
				if c == "footnotes" || c == "footnote-ref" || c == "footnote-backref" {
					return true
				}
			}
		}
	}
	return false
}

// plainWriter accumulates text, collapsing whitespace and merging the
// breaks requested by adjacent block boundaries.
type plainWriter struct {
	b            strings.Builder
	pendingSpace bool
	newlines     int // trailing newlines already written
}

func (p *plainWriter) text(s string) {
	for _, r := range s {
		if unicode.IsSpace(r) {
			p.pendingSpace = true
			continue
		}
		p.writeRune(r)
	}
}

func (p *plainWriter) raw(s string) {
	for _, r := range s {
		if r == '\n' {
			p.b.WriteByte('\n')
			p.newlines++
			p.pendingSpace = false
			continue
		}
		p.writeRune(r)
	}
}

func (p *plainWriter) writeRune(r rune) {
	if p.pendingSpace && p.b.Len() > 0 && p.newlines == 0 {
		p.b.WriteByte(' ')
	}
	p.pendingSpace = false
	p.newlines = 0
	p.b.WriteRune(r)
}

func (p *plainWriter) space() { p.pendingSpace = true }

func (p *plainWriter) lineBreak() {
	p.pendingSpace = false
	if p.b.Len() == 0 {
		return
	}
	p.b.WriteByte('\n')
	p.newlines++
}

// block makes sure at least n newlines separate what came before from
// what follows (n == 0 is an inline element: nothing to do).
func (p *plainWriter) block(n int) {
	if n == 0 {
		return
	}
	p.pendingSpace = false
	if p.b.Len() == 0 {
		return
	}
	for p.newlines < n {
		p.b.WriteByte('\n')
		p.newlines++
	}
}

var reManyNewlines = regexp.MustCompile(`\n[ \t]*\n(?:[ \t]*\n)+`)

func (p *plainWriter) String() string {
	s := reManyNewlines.ReplaceAllString(p.b.String(), "\n\n")
	return strings.TrimSpace(s)
}

// maxSlugLen keeps URLs readable and well under path-segment limits.
const maxSlugLen = 80

// SlugOf makes a URL path segment from a title: lowercase ASCII letters
// and digits separated by single hyphens. Common Latin accents are
// transliterated (é→e, ß→ss) so titles in European languages keep their
// words; anything else becomes a separator. It is empty when nothing is left.
func SlugOf(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
			b.WriteRune(r)
			dash = false
		case r == '\'' || r == '’' || unicode.Is(unicode.Mn, r):
			// Apostrophes join words ("don't" → "dont", not "don-t"), and
			// combining accents of decomposed text just drop off the letter.
		default:
			if t, ok := translit[r]; ok {
				b.WriteString(t)
				dash = false
				continue
			}
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	slug := strings.Trim(b.String(), "-")
	if len(slug) > maxSlugLen {
		cut := slug[:maxSlugLen]
		// Prefer ending on a whole word when the cut lands mid-word.
		if slug[maxSlugLen] != '-' {
			if i := strings.LastIndexByte(cut, '-'); i > 0 {
				cut = cut[:i]
			}
		}
		slug = strings.Trim(cut, "-")
	}
	return slug
}

// Slugify makes an ASCII slug of s: "article" when s has no letter or
// digit that has one (SlugOf tells that case apart).
func Slugify(s string) string {
	if slug := SlugOf(s); slug != "" {
		return slug
	}
	return "article"
}

// translit maps lowercase Latin-1 and Latin Extended-A letters to ASCII.
var translit = func() map[rune]string {
	groups := map[string]string{
		"àáâãäåāăą": "a", "çćĉċč": "c", "ďđð": "d", "èéêëēĕėęě": "e",
		"ĝğġģ": "g", "ĥħ": "h", "ìíîïĩīĭįı": "i", "ĵ": "j", "ķ": "k",
		"ĺļľŀł": "l", "ñńņňŉ": "n", "òóôõöøōŏő": "o", "ŕŗř": "r",
		"śŝşšſ": "s", "ţťŧ": "t", "ùúûüũūŭůűų": "u", "ŵ": "w", "ýÿŷ": "y",
		"źżž": "z", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ĳ": "ij", "ŋ": "ng",
	}
	m := make(map[rune]string)
	for from, to := range groups {
		for _, r := range from {
			m[r] = to
		}
	}
	return m
}()
