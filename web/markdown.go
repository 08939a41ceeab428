package web

import (
	"bufio"
	"bytes"
	"fmt"
	stdhtml "html"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// MarkdownOptions tunes RenderMarkdownOpts. The zero value is valid.
type MarkdownOptions struct {
	// ImageSize reports the intrinsic pixel size of an image destination
	// (the unescaped value, as in ImageRef.Src). When ok, width/height are
	// emitted on the <img> so browsers can reserve space (no layout shift).
	ImageSize func(src string) (w, h int, ok bool)
	// ImageSrcset gives the srcset of an image destination ("" for none);
	// images with one get sizes="ArticleImageSizes" too.
	ImageSrcset func(src string) string
}

// ImageRef is an image referenced from markdown, in document order.
type ImageRef struct {
	Src   string // destination with backslash escapes and entities resolved
	Alt   string // plain-text alt
	Title string // link title, unescaped; non-empty makes the image a <figure>
}

// RenderMarkdown renders author markdown to sanitized HTML.
func RenderMarkdown(src string) (string, error) {
	return RenderMarkdownOpts(src, MarkdownOptions{})
}

// RenderMarkdownOpts renders author markdown to sanitized HTML. Raw HTML is
// allowed while rendering so authors can use it, but every result goes
// through SanitizeArticle, so nothing unsafe survives.
func RenderMarkdownOpts(src string, opts MarkdownOptions) (string, error) {
	// Per-call data travels in the parser context so the goldmark instance
	// itself stays shared and immutable.
	pc := parser.NewContext()
	if opts.ImageSize != nil {
		pc.Set(imageSizeKey, opts.ImageSize)
	}
	if opts.ImageSrcset != nil {
		pc.Set(imageSrcsetKey, opts.ImageSrcset)
	}
	var buf bytes.Buffer
	if err := articleMarkdown().Convert([]byte(src), &buf, parser.WithContext(pc)); err != nil {
		return "", fmt.Errorf("render markdown: %w", err)
	}
	return SanitizeArticle(buf.String()), nil
}

// ImageRefs lists the images referenced in markdown src, in document order.
// Reference-style images are resolved through their definitions.
func ImageRefs(src string) []ImageRef {
	source := []byte(src)
	doc := articleMarkdown().Parser().Parse(text.NewReader(source))
	var refs []ImageRef
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		img, ok := n.(*ast.Image)
		if !ok || !entering {
			return ast.WalkContinue, nil
		}
		refs = append(refs, ImageRef{
			Src:   resolveMarkdownText(img.Destination),
			Alt:   stdhtml.UnescapeString(altHTML(source, img)),
			Title: resolveMarkdownText(img.Title),
		})
		// Images nested in alt text are still images the article uses.
		return ast.WalkContinue, nil
	})
	return refs
}

// RewriteImageSrc returns src with image destinations replaced by rewrite
// (called with the unescaped destination, as in ImageRef.Src; return false
// to keep it). Only the destination bytes change; everything else stays
// byte-identical. For reference-style images the definition is rewritten.
func RewriteImageSrc(src string, rewrite func(old string) (string, bool)) string {
	source := []byte(src)
	doc := articleMarkdown().Parser().Parse(text.NewReader(source))

	type edit struct {
		start, stop int
		repl        string
	}
	var edits []edit
	seen := map[int]bool{} // shared reference definitions must be edited once
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		img, ok := n.(*ast.Image)
		if !ok || !entering || len(img.Destination) == 0 {
			return ast.WalkContinue, nil
		}
		start := subsliceOffset(source, img.Destination, max(img.Pos(), 0))
		if start < 0 || seen[start] {
			return ast.WalkContinue, nil
		}
		seen[start] = true
		stop := start + len(img.Destination)
		newDest, ok := rewrite(resolveMarkdownText(img.Destination))
		if !ok || newDest == resolveMarkdownText(img.Destination) {
			return ast.WalkContinue, nil
		}
		angled := start > 0 && source[start-1] == '<' && stop < len(source) && source[stop] == '>'
		edits = append(edits, edit{start, stop, encodeDestination(newDest, angled)})
		return ast.WalkContinue, nil
	})
	if len(edits) == 0 {
		return src
	}
	// Walk order is not source order when reference definitions are involved.
	slices.SortFunc(edits, func(a, b edit) int { return a.start - b.start })

	var out strings.Builder
	out.Grow(len(src))
	last := 0
	for _, e := range edits {
		out.WriteString(src[last:e.start])
		out.WriteString(e.repl)
		last = e.stop
	}
	out.WriteString(src[last:])
	return out.String()
}

// subsliceOffset finds where sub (a slice goldmark cut from source) starts in
// source. Goldmark keeps destinations as views into the source buffer, so the
// exact offset is recoverable from capacities without any re-parsing; the
// textual search is a fallback for the rare copied slice (tab padding).
func subsliceOffset(source, sub []byte, from int) int {
	if len(sub) == 0 {
		return -1
	}
	if off := cap(source) - cap(sub); off >= 0 && off+len(sub) <= len(source) && &source[off] == &sub[0] {
		return off
	}
	if from > len(source) {
		return -1
	}
	if i := bytes.Index(source[from:], sub); i >= 0 {
		return from + i
	}
	return -1
}

// encodeDestination writes dest so that goldmark reads back exactly dest.
// Values with spaces (or empty ones) need the <...> form; parentheses are
// escaped in the bare form, and control characters are percent-encoded.
func encodeDestination(dest string, angled bool) string {
	needAngle := dest == "" || strings.Contains(dest, " ")
	var b strings.Builder
	if needAngle && !angled {
		b.WriteByte('<')
	}
	for i := 0; i < len(dest); i++ {
		c := dest[i]
		switch {
		case c < 0x20 || c == 0x7f:
			// Line breaks would end the destination; percent-encoding is
			// what the renderer would produce anyway.
			fmt.Fprintf(&b, "%%%02X", c)
		case c == '&':
			// Goldmark unescapes backslashes before resolving entities, so
			// `\&amp;` would still decode to "&"; only an entity is exact.
			b.WriteString("&amp;")
		case c == '<' || c == '>' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case (c == '(' || c == ')') && !(needAngle || angled):
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	if needAngle && !angled {
		b.WriteByte('>')
	}
	return b.String()
}

// resolveMarkdownText applies markdown's backslash-escape and entity rules,
// giving the value the author meant (what the HTML attribute will carry).
func resolveMarkdownText(v []byte) string {
	v = util.UnescapePunctuations(v)
	v = util.ResolveNumericReferences(v)
	v = util.ResolveEntityNames(v)
	return string(v)
}

var imageSizeKey = parser.NewContextKey()

var imageSrcsetKey = parser.NewContextKey()

// articleMarkdown is the shared goldmark instance for articles; goldmark
// instances are safe for concurrent use once built.
var articleMarkdown = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(
			// align= instead of style= so the sanitizer needs no CSS rules.
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough,
			extension.Linkify,
			extension.TaskList,
			extension.Footnote,
			extension.Typographer,
		),
		goldmark.WithParserOptions(
			parser.WithAutoHeadingID(),
			parser.WithASTTransformers(util.Prioritized(figureTransformer{}, 500)),
		),
		goldmark.WithRendererOptions(
			html.WithUnsafe(), // author HTML; SanitizeArticle runs afterwards
			renderer.WithNodeRenderers(util.Prioritized(&imageRenderer{}, 100)),
		),
	)
})

// captionMarkdown renders figure captions: inline markdown only. Only the
// paragraph block parser is registered so "# x" or "- x" stay literal, and
// the raw-HTML inline parser is dropped so tags in a title show as text.
var captionMarkdown = sync.OnceValue(func() goldmark.Markdown {
	var inlines []util.PrioritizedValue
	for _, v := range parser.DefaultInlineParsers() {
		if v.Value != parser.NewRawHTMLParser() {
			inlines = append(inlines, v)
		}
	}
	p := parser.NewParser(
		parser.WithBlockParsers(util.Prioritized(parser.NewParagraphParser(), 100)),
		parser.WithInlineParsers(inlines...),
	)
	return goldmark.New(
		goldmark.WithParser(p),
		goldmark.WithExtensions(extension.Strikethrough, extension.Linkify, extension.Typographer),
	)
})

// kindFigure marks a paragraph that held only a titled image.
var kindFigure = ast.NewNodeKind("Figure")

type figureNode struct {
	ast.BaseBlock
}

func (n *figureNode) Kind() ast.NodeKind { return kindFigure }

func (n *figureNode) Dump(source []byte, level int) { ast.DumpHelper(n, source, level, nil, nil) }

// figureTransformer turns "![alt](src "Caption")" standing alone in a
// paragraph into a figure, and records known image sizes on every image.
type figureTransformer struct{}

func (figureTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	source := reader.Source()
	sizeFn, _ := pc.Get(imageSizeKey).(func(string) (int, int, bool))
	srcsetFn, _ := pc.Get(imageSrcsetKey).(func(string) string)

	var paras []*ast.Paragraph
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Paragraph:
			paras = append(paras, n)
		case *ast.Image:
			if sizeFn != nil {
				if w, h, ok := sizeFn(resolveMarkdownText(n.Destination)); ok && w > 0 && h > 0 {
					n.SetAttributeString("width", []byte(strconv.Itoa(w)))
					n.SetAttributeString("height", []byte(strconv.Itoa(h)))
				}
			}
			if srcsetFn != nil {
				if set := srcsetFn(resolveMarkdownText(n.Destination)); set != "" {
					n.SetAttributeString("srcset", []byte(set))
					n.SetAttributeString("sizes", []byte(ArticleImageSizes))
				}
			}
		}
		return ast.WalkContinue, nil
	})
	// Replace after walking; mutating the tree mid-walk would skip nodes.
	for _, p := range paras {
		img := soleImage(p, source)
		if img == nil || len(bytes.TrimSpace(img.Title)) == 0 {
			continue
		}
		fig := &figureNode{}
		p.Parent().ReplaceChild(p.Parent(), p, fig)
		fig.AppendChild(fig, img)
	}
}

// soleImage returns the paragraph's image if it is the only non-blank child.
func soleImage(p *ast.Paragraph, source []byte) *ast.Image {
	var img *ast.Image
	for c := p.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Image:
			if img != nil {
				return nil
			}
			img = c
		case *ast.Text:
			if len(bytes.TrimSpace(c.Segment.Value(source))) != 0 {
				return nil
			}
		default:
			return nil
		}
	}
	return img
}

// imageRenderer replaces goldmark's <img> output to add loading="lazy" and
// known dimensions, and renders figures.
type imageRenderer struct{}

func (r *imageRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindImage, r.renderImage)
	reg.Register(kindFigure, r.renderFigure)
}

func (r *imageRenderer) renderImage(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Image)
	_, _ = w.WriteString(`<img src="`)
	_, _ = w.Write(util.EscapeHTML(util.URLEscape(n.Destination, true)))
	_, _ = w.WriteString(`" alt="`)
	_, _ = w.WriteString(altHTML(source, n))
	_ = w.WriteByte('"')
	// Inside a figure the title is already shown as the caption.
	if _, inFigure := n.Parent().(*figureNode); !inFigure && n.Title != nil {
		_, _ = w.WriteString(` title="`)
		html.DefaultWriter.Write(w, n.Title)
		_ = w.WriteByte('"')
	}
	for _, name := range []string{"width", "height", "srcset", "sizes"} {
		if v, ok := n.AttributeString(name); ok {
			fmt.Fprintf(w, ` %s="%s"`, name, util.EscapeHTML(v.([]byte)))
		}
	}
	_, _ = w.WriteString(` loading="lazy">`)
	return ast.WalkSkipChildren, nil
}

func (r *imageRenderer) renderFigure(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.WriteString("<figure>")
		return ast.WalkContinue, nil
	}
	img, ok := node.FirstChild().(*ast.Image)
	if !ok {
		return ast.WalkStop, fmt.Errorf("render figure: first child is %s, want image", node.FirstChild().Kind())
	}
	_, _ = w.WriteString("<figcaption>")
	_, _ = w.WriteString(renderCaption(img.Title))
	_, _ = w.WriteString("</figcaption></figure>\n")
	return ast.WalkContinue, nil
}

// renderCaption renders a title as inline markdown without raw HTML. On
// any surprise it falls back to the escaped plain title.
func renderCaption(title []byte) string {
	var buf bytes.Buffer
	if err := captionMarkdown().Convert(title, &buf); err == nil {
		out := strings.TrimSpace(buf.String())
		if inner, ok := strings.CutPrefix(out, "<p>"); ok {
			if inner, ok = strings.CutSuffix(inner, "</p>"); ok && !strings.Contains(inner, "<p>") {
				return inner
			}
		}
	}
	return stdhtml.EscapeString(resolveMarkdownText(title))
}

// altHTML renders an image's children as escaped text, matching goldmark's
// own alt rendering (typographer entities included).
func altHTML(source []byte, n ast.Node) string {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	writeAltText(w, source, n)
	_ = w.Flush() // cannot fail: bytes.Buffer writes never error
	return buf.String()
}

func writeAltText(buf util.BufWriter, source []byte, n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.String:
			switch {
			case c.IsCode():
				_, _ = buf.Write(c.Value)
			case c.IsRaw():
				html.DefaultWriter.RawWrite(buf, c.Value)
			default:
				html.DefaultWriter.Write(buf, c.Value)
			}
		case *ast.Text:
			if c.IsRaw() {
				html.DefaultWriter.RawWrite(buf, c.Segment.Value(source))
			} else {
				html.DefaultWriter.Write(buf, c.Segment.Value(source))
			}
			if c.SoftLineBreak() || c.HardLineBreak() {
				_ = buf.WriteByte(' ')
			}
		default:
			writeAltText(buf, source, c)
		}
	}
}
