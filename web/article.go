package web

import "strings"

// MediaPrefix is the URL path under which uploads are served.
const MediaPrefix = "/media/"

// MediaName returns the upload file name of an image source "/media/NAME",
// or false for any other source (remote images, other paths, queries).
func MediaName(src string) (string, bool) {
	name, ok := strings.CutPrefix(src, MediaPrefix)
	if !ok || name == "" || strings.HasPrefix(name, ".") || strings.ContainsAny(name, "/\\?#") {
		return "", false
	}
	return name, true
}

// MediaNames lists the uploads that markdown shows, each once, in document
// order: what an article must attach.
func MediaNames(markdown string) []string {
	var names []string
	seen := map[string]bool{}
	for _, ref := range ImageRefs(markdown) {
		if name, ok := MediaName(ref.Src); ok && !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	return names
}

// MediaImage is what rendering needs to know about an upload.
type MediaImage struct {
	Width, Height int
	Variants      []ImageVariant
}

// PrepareArticle renders an article's markdown as it is saved, by the editor
// and by `fedpress post` alike: sanitized HTML in which uploaded images carry
// the width and height that lookup reports (so pages do not jump while
// images load) and a srcset of their resized copies (so phones load small
// ones), plus the upload names the article references (see MediaNames).
// lookup gets an upload file name; it may be nil.
func PrepareArticle(markdown string, lookup func(name string) (MediaImage, bool)) (html string, media []string, err error) {
	var opts MarkdownOptions
	if lookup != nil {
		opts.ImageSize = func(src string) (int, int, bool) {
			name, ok := MediaName(src)
			if !ok {
				return 0, 0, false
			}
			im, ok := lookup(name)
			return im.Width, im.Height, ok
		}
		opts.ImageSrcset = func(src string) string {
			name, ok := MediaName(src)
			if !ok {
				return ""
			}
			im, ok := lookup(name)
			if !ok {
				return ""
			}
			return Srcset(MediaPrefix+name, im.Width, im.Variants)
		}
	}
	html, err = RenderMarkdownOpts(markdown, opts)
	if err != nil {
		return "", nil, err
	}
	return html, MediaNames(markdown), nil
}

// ImageMarkdown is the snippet that shows an upload in an article:
// ![alt](/media/NAME "Caption"), or without the title when there is no
// caption. Alt and caption are escaped so that they read back unchanged.
func ImageMarkdown(name, alt, caption string) string {
	oneLine := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	altEsc := strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, "`", "\\`", `*`, `\*`, `_`, `\_`, `<`, `\<`, `&`, `\&`).Replace(oneLine(alt))
	s := "![" + altEsc + "](" + MediaPrefix + name
	if c := oneLine(caption); c != "" {
		s += ` "` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(c) + `"`
	}
	return s + ")"
}
