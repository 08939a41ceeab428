package federation

import (
	"bytes"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"fedpress/models"
)

// Limits on what a source page may contribute to our page.
const (
	mentionExcerptWords = 40
	mentionTitleRunes   = 200
	mentionNameRunes    = 100
)

// mentionSource is what a fetched source page says about the article.
type mentionSource struct {
	Links       bool   // an <a href> (or <area>) points at one of the targets
	Title       string // h-entry p-name, else <title>
	Excerpt     string // plain text, ~40 words around the link or the entry's summary
	Flavour     string // models.Mention*
	AuthorName  string // h-entry p-author (h-card name), else og:site_name
	AuthorURL   string
	AuthorPhoto string // found but not stored: Interaction has no avatar column
}

// parseMentionSource reads a fetched source page. pageURL is the final URL
// (after redirects) that relative links resolve against; targets are the
// URLs of the article a link may point at.
func parseMentionSource(body []byte, contentType string, pageURL *url.URL, targets []string) (*mentionSource, error) {
	want := map[string]bool{}
	for _, t := range targets {
		if k := linkKey(t, nil); k != "" {
			want[k] = true
		}
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "text/plain":
		return plainMentionSource(string(body), targets), nil
	case mt != "" && mt != "text/html" && mt != "application/xhtml+xml":
		// JSON, images…: nothing we can read a link from.
		return &mentionSource{}, nil
	}
	r, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		return nil, fmt.Errorf("decode source page: %w", err)
	}
	doc, err := html.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("parse source page: %w", err)
	}
	base := pageURL
	if b := htmlFind(doc, atom.Base); b != nil {
		if href, ok := htmlAttr(b, "href"); ok {
			if u, err := pageURL.Parse(strings.TrimSpace(href)); err == nil {
				base = u
			}
		}
	}

	// The first link to the article, in document order.
	var anchor *html.Node
	htmlWalk(doc, func(n *html.Node) bool {
		if n.DataAtom != atom.A && n.DataAtom != atom.Area {
			return true
		}
		if href, ok := htmlAttr(n, "href"); ok && want[linkKey(href, base)] {
			anchor = n
			return false
		}
		return true
	})
	out := &mentionSource{Flavour: models.MentionMention}
	if anchor == nil {
		return out, nil
	}
	out.Links = true

	items := parseMicroformats(doc, base)
	entry := pickEntry(items, anchor)
	if entry != nil {
		out.Flavour = entryFlavour(entry, want, base)
		if name := entry.first("name"); name != nil && name.explicit && name.text != "" {
			if content := entry.first("content"); content == nil || !sameProse(name.text, content.text) {
				out.Title = name.text
			}
		}
		out.AuthorName, out.AuthorURL, out.AuthorPhoto = entryAuthor(entry)
	}
	if out.Title == "" {
		if t := htmlFind(doc, atom.Title); t != nil {
			out.Title = squashSpace(htmlText(t))
		}
	}
	switch {
	case out.Flavour == models.MentionLike || out.Flavour == models.MentionRepost:
		// "Alice liked this": a quote of the like page says nothing more.
	case entry != nil && entry.first("summary") != nil:
		out.Excerpt = wordWindow(strings.Fields(entry.first("summary").text), 0, 0, mentionExcerptWords)
	case entry != nil && entry.first("content") != nil:
		c := entry.first("content")
		if c.node != nil && htmlContains(c.node, anchor) {
			out.Excerpt = excerptAround(c.node, anchor)
		} else {
			out.Excerpt = wordWindow(strings.Fields(c.text), 0, 0, mentionExcerptWords)
		}
	default:
		out.Excerpt = excerptAround(excerptContainer(anchor), anchor)
	}
	if out.AuthorName == "" {
		out.AuthorName = htmlMeta(doc, "og:site_name")
	}
	out.Title = clipRunes(out.Title, mentionTitleRunes)
	out.AuthorName = clipRunes(out.AuthorName, mentionNameRunes)
	return out, nil
}

// plainMentionSource handles text/plain sources: the URL must appear as is.
func plainMentionSource(text string, targets []string) *mentionSource {
	words := strings.Fields(text)
	for i, w := range words {
		for _, t := range targets {
			if t != "" && strings.Contains(w, t) {
				return &mentionSource{Links: true, Flavour: models.MentionMention,
					Excerpt: wordWindow(words, i, i+1, mentionExcerptWords)}
			}
		}
	}
	return &mentionSource{}
}

// linkKey normalises a link for comparison: resolved against base, host
// lower-cased without default port, no fragment, no trailing slash; the
// scheme is ignored (http and https links to us are the same article).
// "" for anything that is not an http(s) URL.
func linkKey(raw string, base *url.URL) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Host == "" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && p != "80" && p != "443" {
		host += ":" + p
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return host + path
}

// excerptContainer is the nearest block around the link with enough words
// to quote, without leaving the page's main article.
func excerptContainer(anchor *html.Node) *html.Node {
	var last *html.Node
	for n := anchor.Parent; n != nil && n.Type == html.ElementNode; n = n.Parent {
		switch n.DataAtom {
		case atom.P, atom.Li, atom.Blockquote, atom.Dd, atom.Td, atom.Figcaption, atom.Div, atom.Section:
		case atom.Article, atom.Main, atom.Body:
			return n
		default:
			continue
		}
		last = n
		if len(strings.Fields(htmlText(n))) >= mentionExcerptWords/2 {
			return n
		}
	}
	if last != nil {
		return last
	}
	return anchor
}

// excerptAround quotes the words of container around the anchor: some
// before it, the link text, and the rest after it.
func excerptAround(container, anchor *html.Node) string {
	var b strings.Builder
	start, end := -1, -1
	writeText(&b, container, func(n *html.Node, entering bool) {
		if n != anchor {
			return
		}
		if entering {
			start = b.Len()
		} else {
			end = b.Len()
		}
	})
	text := b.String()
	if start < 0 || end < start {
		return wordWindow(strings.Fields(text), 0, 0, mentionExcerptWords)
	}
	// Word indexes of the link; a link glued to the word before it
	// ("(link)") starts in that word.
	first := len(strings.Fields(text[:start]))
	if start > 0 && start < len(text) && !isSpaceByte(text[start-1]) && !isSpaceByte(text[start]) {
		first--
	}
	last := len(strings.Fields(text[:end]))
	return wordWindow(strings.Fields(text), first, last, mentionExcerptWords)
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// writeText appends the visible text under n to b: inline elements join
// their neighbours, block elements and <br> separate words. mark, if set,
// is called on entering and leaving every element.
func writeText(b *strings.Builder, n *html.Node, mark func(n *html.Node, entering bool)) {
	switch n.Type {
	case html.TextNode:
		b.WriteString(n.Data)
		return
	case html.ElementNode:
		if htmlSkipText(n) {
			return
		}
		if mark != nil {
			mark(n, true)
		}
		if n.DataAtom == atom.Img {
			if alt, ok := htmlAttr(n, "alt"); ok {
				b.WriteString(alt)
			}
		}
	}
	block := n.Type == html.ElementNode && isBlockElement(n.DataAtom)
	if block {
		b.WriteByte(' ')
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		writeText(b, c, mark)
	}
	if block {
		b.WriteByte(' ')
	}
	if n.Type == html.ElementNode && mark != nil {
		mark(n, false)
	}
}

// isBlockElement reports elements that break a line of text.
func isBlockElement(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Br, atom.Li, atom.Ul, atom.Ol, atom.Dl, atom.Dt, atom.Dd,
		atom.Blockquote, atom.Pre, atom.Figure, atom.Figcaption, atom.Table, atom.Tr, atom.Td, atom.Th,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Hr, atom.Section, atom.Article,
		atom.Aside, atom.Header, atom.Footer, atom.Nav, atom.Main, atom.Details, atom.Summary,
		atom.Address, atom.Body, atom.Html, atom.Title:
		return true
	}
	return false
}

// wordWindow picks max words of words keeping [start,end) (the link text)
// in view, about half the budget before it, with "…" where text was cut.
func wordWindow(words []string, start, end, max int) string {
	if len(words) == 0 {
		return ""
	}
	from := start - max/2
	if from < 0 {
		from = 0
	}
	to := from + max
	if to < end {
		to = end
	}
	if to > len(words) {
		to = len(words)
		if from = to - max; from < 0 {
			from = 0
		}
	}
	s := strings.Join(words[from:to], " ")
	if from > 0 {
		s = "… " + s
	}
	if to < len(words) {
		s += " …"
	}
	return s
}

// mfValue is one microformats property value.
type mfValue struct {
	text     string     // p-/dt- text, u- URL, e- plain text
	node     *html.Node // the property's element
	item     *mfItem    // set when the value is itself a microformat (p-author h-card)
	explicit bool       // a class said so (not implied)
}

// mfItem is one microformats2 object (h-entry, h-card, h-cite…).
type mfItem struct {
	node  *html.Node
	types []string
	props map[string][]mfValue
	// which property kinds were seen, for the implied-property rules
	hasP, hasE, hasU, hasNested bool
}

func (it *mfItem) first(name string) *mfValue {
	if v := it.props[name]; len(v) > 0 {
		return &v[0]
	}
	return nil
}

func (it *mfItem) is(typ string) bool {
	for _, t := range it.types {
		if t == typ {
			return true
		}
	}
	return false
}

// parseMicroformats returns every microformats2 item of the page, nested
// ones included, in document order. A subset of the mf2 parsing rules:
// enough for h-entry, h-card and h-cite as blogs publish them.
func parseMicroformats(doc *html.Node, base *url.URL) []*mfItem {
	parsed := map[*html.Node]*mfItem{}
	var all []*mfItem
	var parse func(el *html.Node) *mfItem
	parse = func(el *html.Node) *mfItem {
		if it, ok := parsed[el]; ok {
			return it
		}
		it := &mfItem{node: el, types: rootClasses(el), props: map[string][]mfValue{}}
		parsed[el] = it
		var visit func(n *html.Node)
		visit = func(n *html.Node) {
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type != html.ElementNode {
					continue
				}
				props := propClasses(c)
				if len(rootClasses(c)) > 0 {
					nested := parse(c)
					it.hasNested = true
					for _, p := range props {
						v := mfValue{node: c, item: nested, explicit: true}
						v.text = nestedValue(p, nested, c, base)
						it.add(p, v)
					}
					continue // its descendants are its own properties
				}
				for _, p := range props {
					it.add(p, propValue(p, c, base))
				}
				visit(c)
			}
		}
		visit(el)
		it.implied(base)
		return it
	}
	htmlWalk(doc, func(n *html.Node) bool {
		if len(rootClasses(n)) > 0 {
			all = append(all, parse(n))
		}
		return true
	})
	return all
}

func (it *mfItem) add(class string, v mfValue) {
	prefix, name, _ := strings.Cut(class, "-")
	switch prefix {
	case "p", "dt":
		it.hasP = true
	case "u":
		it.hasU = true
	case "e":
		it.hasE = true
	}
	it.props[name] = append(it.props[name], v)
}

// implied applies the mf2 implied name, photo and url rules (simplified:
// the element itself or its only child).
func (it *mfItem) implied(base *url.URL) {
	el := it.node
	if it.first("name") == nil && !it.hasP && !it.hasE && !it.hasNested {
		name := ""
		if v, ok := htmlAttr(el, "alt"); ok && (el.DataAtom == atom.Img || el.DataAtom == atom.Area) {
			name = v
		} else if v, ok := htmlAttr(el, "title"); ok && el.DataAtom == atom.Abbr {
			name = v
		} else if c := htmlOnlyChild(el); c != nil && c.DataAtom == atom.Img {
			name, _ = htmlAttr(c, "alt")
		}
		if name == "" {
			name = htmlText(el)
		}
		if name = squashSpace(name); name != "" {
			it.props["name"] = []mfValue{{text: name, node: el}}
		}
	}
	if it.first("photo") == nil && !it.hasU {
		img := el
		if img.DataAtom != atom.Img {
			img = htmlOnlyChild(el)
		}
		if img != nil && img.DataAtom == atom.Img {
			if src, ok := htmlAttr(img, "src"); ok {
				it.props["photo"] = []mfValue{{text: resolveRef(src, base), node: img}}
			}
		}
	}
	if it.first("url") == nil && !it.hasU {
		a := el
		if a.DataAtom != atom.A && a.DataAtom != atom.Area {
			a = htmlOnlyChild(el)
		}
		if a != nil && (a.DataAtom == atom.A || a.DataAtom == atom.Area) {
			if href, ok := htmlAttr(a, "href"); ok {
				it.props["url"] = []mfValue{{text: resolveRef(href, base), node: a}}
			}
		}
	}
}

// propValue parses one property of a plain (non-microformat) element.
func propValue(class string, el *html.Node, base *url.URL) mfValue {
	v := mfValue{node: el, explicit: true}
	prefix, _, _ := strings.Cut(class, "-")
	switch prefix {
	case "u":
		for _, a := range urlAttrs(el) {
			if s, ok := htmlAttr(el, a); ok {
				v.text = resolveRef(s, base)
				return v
			}
		}
		if s, ok := htmlAttr(el, "value"); ok && (el.DataAtom == atom.Data || el.DataAtom == atom.Input) {
			v.text = resolveRef(s, base)
			return v
		}
		v.text = resolveRef(squashSpace(htmlText(el)), base)
	case "dt":
		if s, ok := htmlAttr(el, "datetime"); ok {
			v.text = s
			return v
		}
		v.text = squashSpace(htmlText(el))
	default: // p-, e-: the text (e- keeps the node for the excerpt)
		v.text = plainValue(el)
	}
	return v
}

// nestedValue is the text value of a property that is itself an item: its
// url for u-, its name for p-, its text otherwise.
func nestedValue(class string, it *mfItem, el *html.Node, base *url.URL) string {
	prefix, _, _ := strings.Cut(class, "-")
	switch prefix {
	case "u":
		if u := it.first("url"); u != nil {
			return u.text
		}
		return propValue(class, el, base).text
	case "p":
		if n := it.first("name"); n != nil {
			return n.text
		}
	}
	return plainValue(el)
}

// plainValue is the p- text of an element (title/value/alt where mf2 says so).
func plainValue(el *html.Node) string {
	switch el.DataAtom {
	case atom.Abbr, atom.Link:
		if s, ok := htmlAttr(el, "title"); ok {
			return squashSpace(s)
		}
	case atom.Data, atom.Input:
		if s, ok := htmlAttr(el, "value"); ok {
			return squashSpace(s)
		}
	case atom.Img, atom.Area:
		if s, ok := htmlAttr(el, "alt"); ok {
			return squashSpace(s)
		}
	}
	return squashSpace(htmlText(el))
}

func urlAttrs(el *html.Node) []string {
	switch el.DataAtom {
	case atom.A, atom.Area, atom.Link:
		return []string{"href"}
	case atom.Img, atom.Audio, atom.Source, atom.Iframe:
		return []string{"src"}
	case atom.Video:
		return []string{"src", "poster"}
	case atom.Object:
		return []string{"data"}
	}
	return nil
}

// pickEntry chooses the h-entry the mention is about: the innermost one
// around the link, else the only h-entry of the page. A page listing many
// entries whose link sits outside all of them has none.
func pickEntry(items []*mfItem, anchor *html.Node) *mfItem {
	var around, only *mfItem
	n := 0
	for _, it := range items {
		if !it.is("h-entry") {
			continue
		}
		n++
		only = it
		if htmlContains(it.node, anchor) {
			around = it // later items in document order are nested deeper
		}
	}
	if around != nil {
		return around
	}
	if n == 1 {
		return only
	}
	return nil
}

// entryFlavour is reply, like or repost when the entry says so about the
// article; a mention otherwise.
func entryFlavour(entry *mfItem, want map[string]bool, base *url.URL) string {
	for _, f := range []struct{ prop, flavour string }{
		{"in-reply-to", models.MentionReply}, {"like-of", models.MentionLike}, {"repost-of", models.MentionRepost},
	} {
		for _, v := range entry.props[f.prop] {
			if want[linkKey(v.text, base)] {
				return f.flavour
			}
		}
	}
	return models.MentionMention
}

// entryAuthor reads p-author: an h-card (name, url, photo) or plain text.
func entryAuthor(entry *mfItem) (name, link, photo string) {
	a := entry.first("author")
	if a == nil {
		return "", "", ""
	}
	if a.item == nil {
		if u, ok := cleanHTTPURL(a.text); ok {
			return "", u, ""
		}
		return a.text, "", ""
	}
	if v := a.item.first("name"); v != nil {
		name = v.text
	}
	if v := a.item.first("url"); v != nil {
		link, _ = cleanHTTPURL(v.text)
	}
	if v := a.item.first("photo"); v != nil {
		photo, _ = cleanHTTPURL(v.text)
	}
	return name, link, photo
}

// rootClasses are the h-* classes of an element (mf2 vocabulary names:
// lower-case letters and digits in hyphen-separated words).
func rootClasses(n *html.Node) []string {
	return classesWith(n, func(c string) bool { return strings.HasPrefix(c, "h-") })
}

// propClasses are the p-, u-, dt- and e- classes of an element.
func propClasses(n *html.Node) []string {
	return classesWith(n, func(c string) bool {
		for _, p := range []string{"p-", "u-", "dt-", "e-"} {
			if strings.HasPrefix(c, p) {
				return true
			}
		}
		return false
	})
}

func classesWith(n *html.Node, keep func(string) bool) []string {
	if n.Type != html.ElementNode {
		return nil
	}
	cls, ok := htmlAttr(n, "class")
	if !ok {
		return nil
	}
	var out []string
	for _, c := range strings.Fields(cls) {
		if keep(c) && validMFName(c[strings.IndexByte(c, '-')+1:]) {
			out = append(out, c)
		}
	}
	return out
}

func validMFName(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Small DOM helpers.

func htmlAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// htmlWalk visits elements depth-first until visit returns false.
func htmlWalk(n *html.Node, visit func(*html.Node) bool) bool {
	if n.Type == html.ElementNode && !visit(n) {
		return false
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if !htmlWalk(c, visit) {
			return false
		}
	}
	return true
}

func htmlFind(doc *html.Node, a atom.Atom) *html.Node {
	var found *html.Node
	htmlWalk(doc, func(n *html.Node) bool {
		if n.DataAtom == a {
			found = n
			return false
		}
		return true
	})
	return found
}

func htmlContains(anc, n *html.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == anc {
			return true
		}
	}
	return false
}

// htmlOnlyChild is the single element child of n (ignoring whitespace), if any.
func htmlOnlyChild(n *html.Node) *html.Node {
	var only *html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.ElementNode:
			if only != nil {
				return nil
			}
			only = c
		case c.Type == html.TextNode && strings.TrimSpace(c.Data) != "":
			return nil
		}
	}
	return only
}

// htmlSkipText reports elements whose content is not prose.
func htmlSkipText(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Template, atom.Noscript, atom.Iframe, atom.Object,
		atom.Svg, atom.Math, atom.Head, atom.Textarea, atom.Select, atom.Button:
		return true
	}
	return false
}

// htmlText is the visible text under n (raw whitespace).
func htmlText(n *html.Node) string {
	var b strings.Builder
	writeText(&b, n, nil)
	return b.String()
}

func htmlMeta(doc *html.Node, prop string) string {
	var out string
	htmlWalk(doc, func(n *html.Node) bool {
		if n.DataAtom != atom.Meta {
			return true
		}
		p, _ := htmlAttr(n, "property")
		if p == "" {
			p, _ = htmlAttr(n, "name")
		}
		if strings.EqualFold(p, prop) {
			out, _ = htmlAttr(n, "content")
			out = squashSpace(out)
			return false
		}
		return true
	})
	return out
}

func resolveRef(s string, base *url.URL) string {
	s = strings.TrimSpace(s)
	if base == nil {
		return s
	}
	u, err := base.Parse(s)
	if err != nil {
		return s
	}
	return u.String()
}

// cleanHTTPURL returns s when it is an absolute http(s) URL with a host.
func cleanHTTPURL(s string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", false
	}
	return u.String(), true
}

func squashSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

func sameProse(a, b string) bool {
	a, b = squashSpace(a), squashSpace(b)
	return a == b || (a != "" && strings.HasPrefix(b, strings.TrimRight(a, ".…")))
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
