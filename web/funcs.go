package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"html/template"
	"io/fs"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Funcs are the template helpers shared by every page: the public ones
// below merged with the admin area's (funcs_admin.go). On a name clash the
// public helper wins; TestFuncNamesDistinct catches clashes.
func Funcs() template.FuncMap {
	m := publicFuncs()
	for k, v := range adminFuncs() {
		if _, taken := m[k]; !taken {
			m[k] = v
		}
	}
	return m
}

func publicFuncs() template.FuncMap {
	return template.FuncMap{
		"date":         FormatDate,
		"dateTime":     FormatDateTime,
		"rfc3339":      FormatRFC3339,
		"timeZone":     func() string { return "UTC" }, // Views gives each date style its own
		"monthName":    func(m int) string { return time.Month(m).String() },
		"monthYear":    func(y, m int) string { return fmt.Sprintf("%s %d", time.Month(m), y) },
		"plural":       Plural,
		"commentCount": CommentCount,
		"safeHTML":     safeHTML,
		"excerpt":      Excerpt,
		"static":       StaticURL,
		"hasPrefix":    strings.HasPrefix,
		"initial":      Initial,
		"avatarClass":  AvatarClass,
		"add":          func(a, b int) int { return a + b },
		"sub":          func(a, b int) int { return a - b },
		"pad2":         func(n int) string { return fmt.Sprintf("%02d", n) },
		"dict":         dict,
	}
}

// timeOf accepts the time shapes models use (value or nullable pointer).
func timeOf(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, !t.IsZero()
	case *time.Time:
		if t == nil || t.IsZero() {
			return time.Time{}, false
		}
		return *t, true
	}
	return time.Time{}, false
}

// FormatDate is the blog's date style: "November 17, 2012" (UTC).
func FormatDate(v any) string {
	t, ok := timeOf(v)
	if !ok {
		return ""
	}
	return t.UTC().Format("January 2, 2006")
}

// FormatDateTime is "November 17, 2012 at 10:04 am" (UTC), as comments show.
func FormatDateTime(v any) string {
	t, ok := timeOf(v)
	if !ok {
		return ""
	}
	return t.UTC().Format("January 2, 2006 at 3:04 pm")
}

// FormatRFC3339 is the machine-readable date of <time datetime> and feeds.
func FormatRFC3339(v any) string {
	t, ok := timeOf(v)
	if !ok {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Plural is "1 comment", "3 comments".
func Plural(n any, one, many string) string {
	k := toInt64(n)
	if k == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(k, 10) + " " + many
}

// CommentCount is the listing's comment link text.
func CommentCount(n any) string {
	if toInt64(n) == 0 {
		return "No comments"
	}
	return Plural(n, "comment", "comments")
}

func toInt64(n any) int64 {
	switch v := n.(type) {
	case int:
		return int64(v)
	case int64:
		return v
	case uint:
		return int64(v)
	case int32:
		return int64(v)
	}
	return 0
}

// safeHTML marks stored HTML as trusted. Only for HTML that went through
// SanitizeArticle or SanitizeRemote before it was stored.
func safeHTML(s string) template.HTML { return template.HTML(s) } //nolint:gosec // sanitized on write

// dict builds a map from key/value pairs, to pass several values to a
// sub-template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// Initial is the upper-cased first letter of a name, for letter avatars.
func Initial(name string) string {
	for _, r := range strings.TrimSpace(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return strings.ToUpper(string(r))
		}
	}
	return "?"
}

// AvatarClass picks one of eight colour classes from a name, so the same
// commenter always gets the same letter-avatar colour without inline styles.
func AvatarClass(name string) string {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(strings.TrimSpace(name))))
	return fmt.Sprintf("avatar-c%d", h.Sum32()%8)
}

// HTTPURL returns s when it is an absolute http(s) URL with a host: the only
// kind of remote URL we put in href or src.
func HTTPURL(s string) (string, bool) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	return u.String(), true
}

// TextToHTML turns a visitor's plain text into HTML: everything escaped,
// blank lines separate paragraphs and single newlines become <br>.
func TextToHTML(text string) string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	var b strings.Builder
	for _, para := range reBlankLine.Split(strings.TrimSpace(text), -1) {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		lines := strings.Split(para, "\n")
		for i, l := range lines {
			lines[i] = template.HTMLEscapeString(strings.TrimRight(l, " \t"))
		}
		b.WriteString("<p>" + strings.Join(lines, "<br>") + "</p>")
	}
	return b.String()
}

var (
	reBlankLine = regexp.MustCompile(`\n[ \t]*\n\s*`)
	reShortcode = regexp.MustCompile(`:([a-zA-Z0-9_]+):`)
)

// Emojify replaces :shortcode: in the text of sanitized HTML with custom
// emoji images. emojis maps shortcodes (without colons) to image URLs; only
// http(s) URLs are used. Attribute values and code are left untouched so a
// shortcode inside a link or a code sample stays as written.
func Emojify(s string, emojis map[string]string) string {
	safe := map[string]string{}
	for code, u := range emojis {
		if v, ok := HTTPURL(u); ok && code != "" {
			safe[strings.Trim(code, ":")] = v
		}
	}
	if len(safe) == 0 || !strings.Contains(s, ":") {
		return s
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	inCode := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken, html.EndTagToken:
			name, _ := z.TagName()
			if a := atom.Lookup(name); a == atom.Code || a == atom.Pre {
				if tt == html.StartTagToken {
					inCode++
				} else if inCode > 0 {
					inCode--
				}
			}
			b.Write(z.Raw())
		case html.TextToken:
			raw := string(z.Raw())
			if inCode > 0 {
				b.WriteString(raw)
				continue
			}
			b.WriteString(reShortcode.ReplaceAllStringFunc(raw, func(m string) string {
				code := m[1 : len(m)-1]
				u, ok := safe[code]
				if !ok {
					return m
				}
				alt := template.HTMLEscapeString(m)
				return `<img class="emoji" src="` + template.HTMLEscapeString(u) + `" alt="` + alt + `" title="` + alt + `" width="20" height="20" loading="lazy">`
			}))
		default:
			b.Write(z.Raw())
		}
	}
}

// absoluteSrcset makes each root-relative candidate of a srcset absolute.
func absoluteSrcset(set, base string) string {
	parts := strings.Split(set, ",")
	for i, p := range parts {
		c := strings.TrimSpace(p)
		if strings.HasPrefix(c, "/") && !strings.HasPrefix(c, "//") {
			parts[i] = base + c
		} else {
			parts[i] = c
		}
	}
	return strings.Join(parts, ", ")
}

// AbsoluteURLs rewrites root-relative href, src and srcset URLs
// ("/media/x.jpg") to absolute URLs on base, as feed readers and remote
// servers need.
func AbsoluteURLs(s, base string) string {
	base = strings.TrimRight(base, "/")
	if !strings.Contains(s, `="/`) {
		return s
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken, html.SelfClosingTagToken:
			raw := string(z.Raw())
			t := z.Token()
			changed := false
			for i, a := range t.Attr {
				if (a.Key == "href" || a.Key == "src") && strings.HasPrefix(a.Val, "/") && !strings.HasPrefix(a.Val, "//") {
					t.Attr[i].Val = base + a.Val
					changed = true
				}
				if a.Key == "srcset" {
					if v := absoluteSrcset(a.Val, base); v != a.Val {
						t.Attr[i].Val, changed = v, true
					}
				}
			}
			if changed {
				b.WriteString(t.String())
			} else {
				b.WriteString(raw)
			}
		default:
			b.Write(z.Raw())
		}
	}
}

// FirstImage returns the src and alt of the first <img> in HTML, for
// listing thumbnails and og:image.
func FirstImage(s string) (src, alt string) {
	if !strings.Contains(s, "<img") {
		return "", ""
	}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return "", ""
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if t.DataAtom != atom.Img {
				continue
			}
			for _, a := range t.Attr {
				switch a.Key {
				case "src":
					src = a.Val
				case "alt":
					alt = a.Val
				}
			}
			if src != "" {
				return src, alt
			}
		}
	}
}

// staticVersions hashes every embedded static file once: the files cannot
// change while the binary runs, so the result is immutable.
var staticVersions = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	_ = fs.WalkDir(StaticFS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(StaticFS(), p)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(data)
		out[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	return out
})

// StaticVersion is the content hash of a static file ("style.css"), false
// when there is no such file.
func StaticVersion(name string) (string, bool) {
	v, ok := staticVersions()[name]
	return v, ok
}

// StaticURL is the cache-busting URL of a static file: /static/name?v=hash.
// A URL carrying the current hash can be cached for a year.
func StaticURL(name string) string {
	if v, ok := StaticVersion(name); ok {
		return "/static/" + name + "?v=" + v
	}
	return "/static/" + name
}

// ArticleExcerpt is Excerpt without figure captions: a caption read in the
// middle of a listing's running text makes no sentence (WordPress strips
// its caption shortcodes from excerpts the same way).
func ArticleExcerpt(s string, words int) string {
	if !strings.Contains(s, "<figcaption") {
		return Excerpt(s, words)
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	depth := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		name, _ := z.TagName()
		isCaption := atom.Lookup(name) == atom.Figcaption
		switch {
		case tt == html.StartTagToken && isCaption:
			depth++
		case tt == html.EndTagToken && isCaption && depth > 0:
			depth--
		case depth == 0:
			b.Write(z.Raw())
		}
	}
	return Excerpt(b.String(), words)
}
