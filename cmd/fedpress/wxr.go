package main

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// A WordPress export (WXR) is RSS 2.0 with wp:, content:, excerpt: and dc:
// elements. parseWXR streams it with xml.Decoder and hands over one author
// or one item at a time, so memory is bounded by the largest item, not by
// the file.

const nsContent = "http://purl.org/rss/1.0/modules/content/"

// maxWXRText bounds one element's text (a post's content): a WordPress post
// is never near it, and a hostile file cannot make us buffer gigabytes.
const maxWXRText = 32 << 20

// wxrChannel is the blog-level information of the export.
type wxrChannel struct {
	Title, Link, Language string
	BaseSiteURL           string // wp:base_site_url
	BaseBlogURL           string // wp:base_blog_url
	Version               string // wp:wxr_version
}

// SiteLink identifies the exported blog, in comment ObjectURIs.
func (c wxrChannel) SiteLink() string {
	for _, u := range []string{c.Link, c.BaseBlogURL, c.BaseSiteURL} {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			return u
		}
	}
	return ""
}

// wxrAuthor is a wp:author.
type wxrAuthor struct {
	ID                                     int
	Login, Email, DisplayName, First, Last string
}

// wxrCategory is a category or tag of an item.
type wxrCategory struct {
	Domain, Nicename, Name string
}

// wxrComment is a wp:comment.
type wxrComment struct {
	ID, Parent, UserID                       int
	Author, AuthorEmail, AuthorURL, AuthorIP string
	Date, DateGMT                            time.Time
	Content, Approved, Type                  string
}

// wxrItem is one item: a post, page, attachment or anything else.
type wxrItem struct {
	Line                        int // where the item starts, for messages
	Title, Link, Creator        string
	Content, Excerpt            string
	PostID, PostParent          int
	PostDate, PostDateGMT       time.Time
	PostName, Status, PostType  string
	AttachmentURL               string
	Sticky                      bool
	Categories                  []wxrCategory
	AttachedFile, AttachmentAlt string // postmeta _wp_attached_file, _wp_attachment_image_alt
	Comments                    []wxrComment
}

// wxrHandler receives what parseWXR reads; a nil func skips that kind, and
// an error stops the parse and is returned.
type wxrHandler struct {
	Author func(wxrAuthor) error
	Item   func(*wxrItem) error
}

// wxrParser holds the decoder of one parse.
type wxrParser struct {
	d *xml.Decoder
}

// wxrError is every parse error: "wxr: line N: …", the line of the
// problem (or of the item whose import failed).
type wxrError struct {
	Line int
	Err  error
}

func (e *wxrError) Error() string { return fmt.Sprintf("wxr: line %d: %v", e.Line, e.Err) }
func (e *wxrError) Unwrap() error { return e.Err }

func wxrErrorf(line int, format string, args ...any) error {
	return &wxrError{Line: line, Err: fmt.Errorf(format, args...)}
}

func (p *wxrParser) line() int {
	l, _ := p.d.InputPos()
	return l
}

// fail turns a decoder error into a wxr error with its line; io.EOF inside
// the document means the file was cut short.
func (p *wxrParser) fail(err error) error {
	var (
		se *xml.SyntaxError
		we *wxrError
	)
	switch {
	case errors.As(err, &we):
		return err
	case errors.As(err, &se):
		msg := se.Msg
		if msg == "unexpected EOF" {
			msg += " (is the file truncated?)"
		}
		return wxrErrorf(se.Line, "%s", msg)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return wxrErrorf(p.line(), "unexpected end of file (is the file truncated?)")
	default:
		return &wxrError{Line: p.line(), Err: err}
	}
}

// parseWXR reads a whole export, calling h for each author and item, and
// returns the channel information. Any malformation, including a file cut
// short, is an error naming the line.
func parseWXR(r io.Reader, h wxrHandler) (wxrChannel, error) {
	d := xml.NewDecoder(bufio.NewReaderSize(xmlCharFilter{r}, 64<<10))
	d.Strict = true
	// Exports hand-edited or written by plugins use HTML entities outside
	// CDATA; the HTML set is a superset of XML's five.
	d.Entity = xml.HTMLEntity
	p := &wxrParser{d: d}
	var ch wxrChannel
	root, err := p.next()
	if errors.Is(err, io.EOF) {
		return ch, wxrErrorf(1, "empty file: not a WordPress export")
	}
	if err != nil {
		return ch, p.fail(err)
	}
	if root.Name.Local != "rss" {
		return ch, wxrErrorf(p.line(), "root element is <%s>, want <rss>: not a WordPress export", root.Name.Local)
	}
	sawChannel := false
	for {
		tok, err := p.d.Token()
		if err != nil {
			return ch, p.fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "channel" || sawChannel {
				if err := p.d.Skip(); err != nil {
					return ch, p.fail(err)
				}
				continue
			}
			sawChannel = true
			if err := p.channel(&ch, h); err != nil {
				return ch, err
			}
		case xml.EndElement: // </rss>
			if !sawChannel {
				return ch, wxrErrorf(p.line(), "no <channel> in <rss>: not a WordPress export")
			}
			// Anything after the root must be comments or whitespace; the
			// decoder reports stray elements or text as errors.
			for {
				tok, err := p.d.Token()
				if errors.Is(err, io.EOF) {
					return ch, nil
				}
				if err != nil {
					return ch, p.fail(err)
				}
				switch tok := tok.(type) {
				case xml.StartElement:
					return ch, wxrErrorf(p.line(), "unexpected <%s> after </rss>", tok.Name.Local)
				case xml.CharData:
					if len(strings.TrimSpace(string(tok))) != 0 {
						return ch, wxrErrorf(p.line(), "unexpected text after </rss>")
					}
				}
			}
		}
	}
}

// next returns the next start element, skipping the prolog.
func (p *wxrParser) next() (xml.StartElement, error) {
	for {
		tok, err := p.d.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		if t, ok := tok.(xml.StartElement); ok {
			return t, nil
		}
	}
}

// wp: is versioned (export/1.0/ … 1.2/); an undeclared prefix stays "wp".
func isWP(space string) bool {
	return space == "wp" || strings.HasPrefix(space, "http://wordpress.org/export/") && !strings.HasSuffix(space, "/excerpt/")
}

func isExcerpt(space string) bool {
	return space == "excerpt" || strings.HasPrefix(space, "http://wordpress.org/export/") && strings.HasSuffix(space, "/excerpt/")
}

func isContent(space string) bool { return space == "content" || space == nsContent }

func (p *wxrParser) channel(ch *wxrChannel, h wxrHandler) error {
	// The version comes before authors and items in every export WordPress
	// writes; checking it there rejects plain RSS feeds early and clearly.
	needVersion := func() error {
		if ch.Version == "" {
			return wxrErrorf(p.line(), "no wp:wxr_version before the first author or item: not a WordPress export (WXR)")
		}
		return nil
	}
	for {
		tok, err := p.d.Token()
		if err != nil {
			return p.fail(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			var err error
			switch n := t.Name; {
			case n.Space == "" && n.Local == "title":
				ch.Title, err = p.text(t)
			case n.Space == "" && n.Local == "link":
				ch.Link, err = p.text(t)
			case n.Space == "" && n.Local == "language":
				ch.Language, err = p.text(t)
			case isWP(n.Space) && n.Local == "wxr_version":
				ch.Version, err = p.text(t)
			case isWP(n.Space) && n.Local == "base_site_url":
				ch.BaseSiteURL, err = p.text(t)
			case isWP(n.Space) && n.Local == "base_blog_url":
				ch.BaseBlogURL, err = p.text(t)
			case isWP(n.Space) && n.Local == "author":
				if err = needVersion(); err != nil {
					return err
				}
				line := p.line()
				var a wxrAuthor
				if a, err = p.author(); err == nil && h.Author != nil {
					if err = h.Author(a); err != nil {
						return &wxrError{Line: line, Err: err}
					}
				}
			case n.Space == "" && n.Local == "item":
				if err = needVersion(); err != nil {
					return err
				}
				line := p.line()
				var it *wxrItem
				if it, err = p.item(line); err == nil && h.Item != nil {
					if err = h.Item(it); err != nil {
						return &wxrError{Line: line, Err: err}
					}
				}
			default:
				err = p.d.Skip()
			}
			if err != nil {
				return p.fail(err)
			}
		}
	}
}

// text reads the character data of the element just started (CDATA
// included) up to its end. Nested elements are skipped: no WXR text field
// has any, and a stray one is not worth failing an import for.
func (p *wxrParser) text(start xml.StartElement) (string, error) {
	var b strings.Builder
	for {
		tok, err := p.d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if b.Len()+len(t) > maxWXRText {
				return "", wxrErrorf(p.line(), "<%s> is larger than %d MiB", start.Name.Local, maxWXRText>>20)
			}
			b.Write(t)
		case xml.StartElement:
			if err := p.d.Skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			return b.String(), nil
		}
	}
}

// intText reads an element holding a number; empty means 0.
func (p *wxrParser) intText(start xml.StartElement) (int, error) {
	line := p.line()
	s, err := p.text(start)
	if err != nil {
		return 0, err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, wxrErrorf(line, "<%s> %q is not a number", start.Name.Local, s)
	}
	return n, nil
}

// wxrNoDate is how WordPress writes "no date" (drafts have no GMT date).
const wxrNoDate = "0000-00-00 00:00:00"

// dateText reads a WordPress date ("2012-11-17 09:30:00"); zero for none.
func (p *wxrParser) dateText(start xml.StartElement) (time.Time, error) {
	line := p.line()
	s, err := p.text(start)
	if err != nil {
		return time.Time{}, err
	}
	s = strings.TrimSpace(s)
	if s == "" || s == wxrNoDate {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		return time.Time{}, wxrErrorf(line, "<%s> %q is not a date like 2012-11-17 09:30:00", start.Name.Local, s)
	}
	return t, nil
}

func (p *wxrParser) author() (wxrAuthor, error) {
	var a wxrAuthor
	err := p.wpChildren(func(t xml.StartElement) (err error) {
		switch t.Name.Local {
		case "author_id":
			a.ID, err = p.intText(t)
		case "author_login":
			a.Login, err = p.text(t)
		case "author_email":
			a.Email, err = p.text(t)
		case "author_display_name":
			a.DisplayName, err = p.text(t)
		case "author_first_name":
			a.First, err = p.text(t)
		case "author_last_name":
			a.Last, err = p.text(t)
		default:
			err = p.d.Skip()
		}
		return err
	})
	return a, err
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (p *wxrParser) item(line int) (*wxrItem, error) {
	it := &wxrItem{Line: line}
	for {
		tok, err := p.d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return it, nil
		case xml.StartElement:
			var err error
			n := t.Name
			switch {
			case n.Space == "" && n.Local == "title":
				it.Title, err = p.text(t)
			case n.Space == "" && n.Local == "link":
				it.Link, err = p.text(t)
			case n.Space == "" && n.Local == "category":
				var c wxrCategory
				c.Domain, c.Nicename = attr(t, "domain"), attr(t, "nicename")
				if c.Name, err = p.text(t); err == nil {
					it.Categories = append(it.Categories, c)
				}
			case n.Local == "creator": // dc:creator
				it.Creator, err = p.text(t)
			case n.Local == "encoded" && isContent(n.Space):
				it.Content, err = p.text(t)
			case n.Local == "encoded" && isExcerpt(n.Space):
				it.Excerpt, err = p.text(t)
			case isWP(n.Space):
				err = p.wpItemField(it, t)
			default:
				err = p.d.Skip()
			}
			if err != nil {
				return nil, err
			}
		}
	}
}

func (p *wxrParser) wpItemField(it *wxrItem, t xml.StartElement) error {
	var err error
	switch t.Name.Local {
	case "post_id":
		it.PostID, err = p.intText(t)
	case "post_parent":
		it.PostParent, err = p.intText(t)
	case "post_date":
		it.PostDate, err = p.dateText(t)
	case "post_date_gmt":
		it.PostDateGMT, err = p.dateText(t)
	case "post_name":
		it.PostName, err = p.text(t)
	case "status":
		it.Status, err = p.text(t)
	case "post_type":
		it.PostType, err = p.text(t)
	case "attachment_url":
		it.AttachmentURL, err = p.text(t)
	case "is_sticky":
		var n int
		n, err = p.intText(t)
		it.Sticky = n == 1
	case "postmeta":
		var k, v string
		if k, v, err = p.postmeta(); err == nil {
			// Only the two keys the importer uses are kept: other meta
			// (serialized image sizes, plugin data) can be large.
			switch k {
			case "_wp_attached_file":
				it.AttachedFile = v
			case "_wp_attachment_image_alt":
				it.AttachmentAlt = v
			}
		}
	case "comment":
		var c wxrComment
		if c, err = p.comment(); err == nil {
			it.Comments = append(it.Comments, c)
		}
	default:
		err = p.d.Skip()
	}
	return err
}

func (p *wxrParser) postmeta() (key, value string, err error) {
	for {
		tok, err := p.d.Token()
		if err != nil {
			return "", "", err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return key, value, nil
		case xml.StartElement:
			switch {
			case isWP(t.Name.Space) && t.Name.Local == "meta_key":
				key, err = p.text(t)
			case isWP(t.Name.Space) && t.Name.Local == "meta_value":
				value, err = p.text(t)
			default:
				err = p.d.Skip()
			}
			if err != nil {
				return "", "", err
			}
		}
	}
}

func (p *wxrParser) comment() (wxrComment, error) {
	var c wxrComment
	err := p.wpChildren(func(t xml.StartElement) (err error) {
		switch t.Name.Local {
		case "comment_id":
			c.ID, err = p.intText(t)
		case "comment_parent":
			c.Parent, err = p.intText(t)
		case "comment_user_id":
			c.UserID, err = p.intText(t)
		case "comment_author":
			c.Author, err = p.text(t)
		case "comment_author_email":
			c.AuthorEmail, err = p.text(t)
		case "comment_author_url":
			c.AuthorURL, err = p.text(t)
		case "comment_author_IP":
			c.AuthorIP, err = p.text(t)
		case "comment_date":
			c.Date, err = p.dateText(t)
		case "comment_date_gmt":
			c.DateGMT, err = p.dateText(t)
		case "comment_content":
			c.Content, err = p.text(t)
		case "comment_approved":
			c.Approved, err = p.text(t)
		case "comment_type":
			c.Type, err = p.text(t)
		default: // commentmeta and others
			err = p.d.Skip()
		}
		return err
	})
	return c, err
}

// wpChildren reads an element's children up to its end: wp: elements go to
// fn, which must consume them; others are skipped.
func (p *wxrParser) wpChildren(fn func(t xml.StartElement) error) error {
	for {
		tok, err := p.d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if !isWP(t.Name.Space) {
				err = p.d.Skip()
			} else {
				err = fn(t)
			}
			if err != nil {
				return err
			}
		}
	}
}

// xmlCharFilter drops the ASCII control characters XML forbids (all below
// 0x20 except tab, LF and CR). WordPress writes them verbatim when a post
// contains one (pasted from a word processor), and encoding/xml would then
// reject the whole file. Such bytes never occur inside UTF-8 sequences.
type xmlCharFilter struct{ r io.Reader }

func (f xmlCharFilter) Read(b []byte) (int, error) {
	for {
		n, err := f.r.Read(b)
		j := 0
		for _, c := range b[:n] {
			if c >= 0x20 || c == '\t' || c == '\n' || c == '\r' {
				b[j] = c
				j++
			}
		}
		// A read made only of dropped bytes must not look like a 0-byte
		// read without error; read again instead.
		if j > 0 || err != nil {
			return j, err
		}
	}
}
