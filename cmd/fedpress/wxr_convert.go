package main

import (
	"regexp"
	"strings"

	"golang.org/x/net/html"

	"fedpress/models"
)

// WordPress stores post content as the author typed it in the classic
// editor: paragraphs as blank lines, images as [caption] shortcodes. It
// renders both on display; the importer renders them once, here.

// wpBlocks are the tags wpautop treats as block-level (WordPress's own
// $allblocks list): text is never wrapped in <p> across them.
const wpBlocks = `table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary`

var (
	reBlockOpen  = regexp.MustCompile(`(?i)<(?:` + wpBlocks + `)[\s/>]`)
	reBlockClose = regexp.MustCompile(`(?i)</(?:` + wpBlocks + `)>`)
	reBlockStart = regexp.MustCompile(`(?i)^</?(?:` + wpBlocks + `)[\s/>]`)
	// <pre> keeps its newlines; figures (from captions) are inline content
	// that must not be split into paragraphs.
	reRaw        = regexp.MustCompile(`(?is)<pre[\s>].*?</pre>|<figure[\s>].*?</figure>`)
	reQuoteOpen  = regexp.MustCompile(`(?i)^<blockquote\b[^>]*>`)
	reCloseAtEnd = regexp.MustCompile(`(?i)</(?:` + wpBlocks + `)>$`)
	reEmptyPara  = regexp.MustCompile(`<p>\s*</p>\n?`)
	reComment    = regexp.MustCompile(`(?s)^<!--.*-->$`)
	reParaBreak  = regexp.MustCompile(`\n\s*\n`)
	reCaption    = regexp.MustCompile(`(?is)\[caption([^\]]*)\](.*?)\[/caption\]`)
	reCaptionImg = regexp.MustCompile(`(?is)^\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$`)
	reShortAttr  = regexp.MustCompile(`(?is)\b([a-z_]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))`)
)

// wpContent turns stored WordPress content into HTML: captions become
// figures, then paragraphs are made (unless the post was written in the
// block editor, whose content is already HTML). The result still needs
// web.SanitizeArticle.
func wpContent(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = wpCaptions(s)
	if strings.Contains(s, "<!-- wp:") {
		return s
	}
	return wpautop(s)
}

// wpCaptions rewrites [caption …]<img …> Text[/caption] (and the pre-3.4
// form with a caption="…" attribute) as <figure><img …><figcaption>Text
// </figcaption></figure>. A caption without an image is left as it was.
func wpCaptions(s string) string {
	return reCaption.ReplaceAllStringFunc(s, func(m string) string {
		sub := reCaption.FindStringSubmatch(m)
		parts := reCaptionImg.FindStringSubmatch(sub[2])
		if parts == nil {
			return m
		}
		img, text := parts[1], strings.TrimSpace(parts[2])
		if text == "" {
			text = strings.TrimSpace(shortcodeAttrs(sub[1])["caption"])
		}
		if text == "" {
			return "<figure>" + img + "</figure>"
		}
		return "<figure>" + img + "<figcaption>" + text + "</figcaption></figure>"
	})
}

// shortcodeAttrs parses ` id="a" align='b' width=600`.
func shortcodeAttrs(s string) map[string]string {
	out := map[string]string{}
	for _, m := range reShortAttr.FindAllStringSubmatch(s, -1) {
		out[strings.ToLower(m[1])] = m[2] + m[3] + m[4]
	}
	return out
}

// wpautop is WordPress's auto-paragraph filter: text separated by a blank
// line becomes a <p>, a single newline a <br />. Block-level elements are
// kept as they are (so content that already has paragraphs is unchanged),
// and <pre> and <figure> content is never touched.
func wpautop(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	var out strings.Builder
	last := 0
	for _, loc := range reRaw.FindAllStringIndex(s, -1) {
		out.WriteString(autopChunks(s[last:loc[0]]))
		if out.Len() > 0 && !strings.HasSuffix(out.String(), "\n") {
			out.WriteString("\n")
		}
		out.WriteString(s[loc[0]:loc[1]] + "\n")
		last = loc[1]
	}
	out.WriteString(autopChunks(s[last:]))
	return strings.TrimSpace(out.String())
}

func autopChunks(s string) string {
	// A blank line around every block tag puts each block tag in its own
	// chunk, so a chunk is either markup to keep or text to wrap.
	s = reBlockOpen.ReplaceAllStringFunc(s, func(m string) string { return "\n\n" + m })
	s = reBlockClose.ReplaceAllStringFunc(s, func(m string) string { return m + "\n\n" })
	var out strings.Builder
	for _, chunk := range reParaBreak.Split(s, -1) {
		if chunk = strings.Trim(chunk, "\n\t "); chunk != "" {
			out.WriteString(autopChunk(chunk))
			out.WriteString("\n")
		}
	}
	return out.String()
}

// autopChunk wraps one chunk. Block tags start or end chunks (never sit
// inside one), so a chunk is markup, text, or text at the start or end of
// a block opened or closed in another chunk.
func autopChunk(chunk string) string {
	// Text in a blockquote is a paragraph of the quote, as WordPress does.
	if m := reQuoteOpen.FindString(chunk); m != "" {
		rest := strings.TrimLeft(chunk[len(m):], " \t\n")
		if rest == "" || reBlockStart.MatchString(rest) {
			return chunk
		}
		return m + autopChunk(rest)
	}
	if reBlockStart.MatchString(chunk) || reComment.MatchString(chunk) {
		return chunk
	}
	// "…text</div>": the paragraph closes before the block does.
	if loc := reCloseAtEnd.FindStringIndex(chunk); loc != nil {
		if strings.TrimSpace(chunk[:loc[0]]) == "" {
			return chunk
		}
		return autopPara(chunk[:loc[0]]) + chunk[loc[0]:]
	}
	return autopPara(chunk)
}

func autopPara(s string) string {
	return "<p>" + strings.ReplaceAll(strings.TrimSpace(s), "\n", "<br />\n") + "</p>"
}

// dropEmptyParas removes the <p></p> left where the sanitizer took out a
// script or an empty shortcode line.
func dropEmptyParas(s string) string { return reEmptyPara.ReplaceAllString(s, "") }

// rewriteHTMLURLs calls fn with the src of every <img> and the href of every
// <a> and replaces the value when fn says so. Everything else is copied
// byte for byte.
func rewriteHTMLURLs(s string, fn func(u string) (string, bool)) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var out strings.Builder
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out.String() // io.EOF: a strings.Reader fails no other way
		}
		raw := string(z.Raw())
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			out.WriteString(raw)
			continue
		}
		t := z.Token()
		key := map[string]string{"img": "src", "a": "href"}[t.Data]
		changed := false
		for i, a := range t.Attr {
			if key != "" && a.Key == key {
				if v, ok := fn(a.Val); ok {
					t.Attr[i].Val, changed = v, true
				}
			}
		}
		if changed {
			out.WriteString(t.String())
		} else {
			out.WriteString(raw)
		}
	}
}

// wxrPostStatus maps wp:status to an article status; ok=false skips the
// item (trash, auto-drafts, revisions).
func wxrPostStatus(wp string) (status string, ok bool) {
	switch wp {
	case "publish", "future":
		return models.StatusPublished, true
	case "draft", "pending", "private":
		return models.StatusDraft, true
	}
	return "", false
}

// wxrCommentStatus maps wp:comment_approved.
func wxrCommentStatus(approved string) string {
	switch strings.TrimSpace(approved) {
	case "1":
		return models.StatusApproved
	case "spam":
		return models.StatusSpam
	case "trash", "post-trashed":
		return models.StatusRemoved
	}
	return models.StatusPending // "0", and anything a plugin invented
}

// wxrCommentKind maps wp:comment_type. Unknown types (plugin notes,
// reviews) are kept as comments rather than lost.
func wxrCommentKind(typ string) string {
	switch strings.TrimSpace(typ) {
	case "pingback":
		return models.KindPingback
	case "trackback":
		return models.KindTrackback
	case "webmention":
		return models.KindWebmention
	}
	return models.KindComment
}

// wxrUsername makes a fedpress username from a WordPress login (see
// models.WXRUsername; the reading side maps /author/login/ the same way).
func wxrUsername(login, blogUsername string) string {
	return models.WXRUsername(login, blogUsername)
}
