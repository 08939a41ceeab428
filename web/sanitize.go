package web

import (
	"bytes"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// SanitizeArticle cleans HTML written by the blog's own authors (rendered
// markdown plus inline HTML): rich formatting, figures, tables, footnotes
// and task lists survive; scripts, styles, event handlers, iframes, forms
// and non-http(s)/mailto URLs do not.
func SanitizeArticle(s string) string {
	p := policies()
	return postProcess(p.article.Sanitize(s), fixArticleTag)
}

// SanitizeRemote cleans HTML from other servers (ActivityPub notes,
// pingback excerpts): basic text formatting and links only. Every link gets
// rel="nofollow ugc noopener"; only Mastodon's mention/hashtag classes are
// kept so their markup still renders as intended.
func SanitizeRemote(s string) string {
	p := policies()
	return postProcess(p.remote.Sanitize(s), fixRemoteTag)
}

// sanitizers holds the bluemonday policies. They are immutable once built
// and bluemonday policies are safe for concurrent Sanitize calls.
type sanitizers struct {
	article *bluemonday.Policy
	remote  *bluemonday.Policy
}

var policies = sync.OnceValue(func() *sanitizers {
	return &sanitizers{article: newArticlePolicy(), remote: newRemotePolicy()}
})

var (
	reID          = regexp.MustCompile(`^[a-zA-Z0-9_:.-]+$`)
	reLanguage    = regexp.MustCompile(`^language-[a-zA-Z0-9_+#.-]+$`)
	reLoading     = regexp.MustCompile(`^(?:lazy|eager)$`)
	reMediaSrcset = regexp.MustCompile(`^/media/[0-9A-Za-z][0-9A-Za-z._-]* [1-9][0-9]{0,4}w(?:, /media/[0-9A-Za-z][0-9A-Za-z._-]* [1-9][0-9]{0,4}w)*$`)
	reSizes       = regexp.MustCompile(`^[0-9A-Za-z(): ,.-]{1,200}$`)
	reRole        = regexp.MustCompile(`^doc-(?:noteref|backlink|endnotes|footnote)$`)
	reFootnoteA   = regexp.MustCompile(`^footnote-(?:ref|backref)$`)
	reFootnotes   = regexp.MustCompile(`^footnotes$`)
	reCheckbox    = regexp.MustCompile(`(?i)^checkbox$`)
	reBoolAttr    = regexp.MustCompile(`(?i)^(?:|checked|disabled)$`)
	reClassTokens = regexp.MustCompile(`^[a-zA-Z0-9_ -]*$`)
)

func newArticlePolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	// The author's own links are editorial, not user-generated: no forced
	// nofollow, and rel="me" must survive for fediverse profile verification.
	p.RequireNoFollowOnLinks(false)
	p.AllowAttrs("rel").Matching(bluemonday.SpaceSeparatedTokens).OnElements("a")
	// UGC already allows id, but with an unanchored pattern, and bluemonday
	// ORs patterns; fixArticleTag enforces reID instead.

	p.AllowAttrs("class").Matching(reLanguage).OnElements("code")
	p.AllowAttrs("class").Matching(reFootnoteA).OnElements("a")
	p.AllowAttrs("class").Matching(reFootnotes).OnElements("div", "section")
	p.AllowAttrs("role").Matching(reRole).OnElements("a", "div", "section", "aside", "li")
	p.AllowElements("section", "ol", "sup", "hr", "figure", "figcaption",
		"details", "summary", "abbr", "mark", "del", "ins", "s")

	p.AllowAttrs("src").OnElements("img") // URL-checked by AllowImages' URL policy
	p.AllowAttrs("loading").Matching(reLoading).OnElements("img")
	// Resized copies of our own uploads only (see Srcset): a srcset naming
	// other hosts would load what the src policy would not.
	p.AllowAttrs("srcset").Matching(reMediaSrcset).OnElements("img")
	p.AllowAttrs("sizes").Matching(reSizes).OnElements("img")

	// GFM task lists render as disabled checkboxes; fixArticleTag drops any
	// other kind of input.
	p.AllowAttrs("type").Matching(reCheckbox).OnElements("input")
	p.AllowAttrs("checked", "disabled").Matching(reBoolAttr).OnElements("input")
	return p
}

func newRemotePolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span", "ul", "ol", "li", "code", "pre",
		"blockquote", "strong", "em", "b", "i", "u", "del", "s")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false) // relative to what? the remote page, not us
	// Broad shape check here; fixRemoteTag narrows to the class whitelist
	// per token (bluemonday can only accept or reject the whole value).
	p.AllowAttrs("class").Matching(reClassTokens).OnElements("a", "span")
	return p
}

// remoteClasses are the Mastodon microformat/mention classes worth keeping.
var remoteClasses = []string{"h-card", "mention", "hashtag", "u-url", "invisible", "ellipsis"}

const remoteRel = "nofollow ugc noopener"

// fixRemoteTag forces rel on links and filters class tokens. It reports
// whether the tag should be kept.
func fixRemoteTag(t *html.Token) bool {
	if t.Data != "a" && t.Data != "span" {
		return true
	}
	attrs := t.Attr[:0]
	hasHref := false
	for _, a := range t.Attr {
		switch a.Key {
		case "rel": // replaced below
			continue
		case "href":
			hasHref = true
		case "class":
			var keep []string
			for _, c := range strings.Fields(a.Val) {
				if slices.Contains(remoteClasses, c) && !slices.Contains(keep, c) {
					keep = append(keep, c)
				}
			}
			if len(keep) == 0 {
				continue
			}
			a.Val = strings.Join(keep, " ")
		}
		attrs = append(attrs, a)
	}
	if t.Data == "a" && hasHref {
		attrs = append(attrs, html.Attribute{Key: "rel", Val: remoteRel})
	}
	t.Attr = attrs
	return true
}

// fixArticleTag enforces what bluemonday cannot express: ids must be
// plain tokens (heading and footnote anchors), and inputs must be
// task-list checkboxes, which are made read-only.
func fixArticleTag(t *html.Token) bool {
	t.Attr = slices.DeleteFunc(t.Attr, func(a html.Attribute) bool {
		return a.Key == "id" && !reID.MatchString(a.Val)
	})
	if t.Data != "input" {
		return true
	}
	checkbox, disabled := false, false
	for _, a := range t.Attr {
		checkbox = checkbox || (a.Key == "type" && strings.EqualFold(a.Val, "checkbox"))
		disabled = disabled || a.Key == "disabled"
	}
	if !checkbox {
		return false
	}
	if !disabled {
		t.Attr = append(t.Attr, html.Attribute{Key: "disabled"})
	}
	return true
}

// postProcess re-tokenizes bluemonday's (well-formed) output and lets fix
// rewrite or drop start tags; everything else is copied byte for byte.
func postProcess(s string, fix func(*html.Token) bool) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var out bytes.Buffer
	out.Grow(len(s) + len(s)/8)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				// Cannot happen on a strings.Reader; fail closed anyway.
				return ""
			}
			return out.String()
		case html.StartTagToken, html.SelfClosingTagToken:
			raw := string(z.Raw()) // Token() below invalidates Raw
			t := z.Token()
			before := t.String()
			if !fix(&t) {
				continue
			}
			if after := t.String(); after != before {
				out.WriteString(after)
			} else {
				out.WriteString(raw)
			}
		default:
			out.Write(z.Raw())
		}
	}
}
