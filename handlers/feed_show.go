package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/models"
	"fedpress/web"
)

// feedSize is how many entries every feed carries.
const feedSize = 20

// RSS 2.0 with the content, dc and atom extensions, as WordPress writes it.
type rssDoc struct {
	XMLName   xml.Name   `xml:"rss"`
	Version   string     `xml:"version,attr"`
	NSContent string     `xml:"xmlns:content,attr"`
	NSDC      string     `xml:"xmlns:dc,attr"`
	NSAtom    string     `xml:"xmlns:atom,attr"`
	Channel   rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Self          atomLink  `xml:"atom:link"`
	Description   string    `xml:"description"`
	Language      string    `xml:"language,omitempty"`
	LastBuildDate string    `xml:"lastBuildDate,omitempty"`
	Generator     string    `xml:"generator"`
	Items         []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string   `xml:"title"`
	Link        string   `xml:"link"`
	GUID        rssGUID  `xml:"guid"`
	PubDate     string   `xml:"pubDate"`
	Creator     string   `xml:"dc:creator,omitempty"`
	Categories  []string `xml:"category"`
	Comments    string   `xml:"comments,omitempty"`
	Description string   `xml:"description"`
	Content     *cdata   `xml:"content:encoded"`
}

// cdata keeps HTML readable in feeds; encoding/xml splits any "]]>".
type cdata struct {
	Value string `xml:",cdata"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

// Atom 1.0 (RFC 4287).
type atomFeed struct {
	XMLName  xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang     string      `xml:"xml:lang,attr,omitempty"`
	ID       string      `xml:"id"`
	Title    string      `xml:"title"`
	Subtitle string      `xml:"subtitle,omitempty"`
	Updated  string      `xml:"updated"`
	Links    []atomLink  `xml:"link"`
	Author   *atomPerson `xml:"author,omitempty"`
	Gen      string      `xml:"generator"`
	Entries  []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Links      []atomLink     `xml:"link"`
	Published  string         `xml:"published"`
	Updated    string         `xml:"updated"`
	Author     atomPerson     `xml:"author"`
	Categories []atomCategory `xml:"category"`
	Summary    atomText       `xml:"summary"`
	Content    atomHTML       `xml:"content"`
}

type atomHTML struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",cdata"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

type atomText struct {
	Type  string `xml:"type,attr,omitempty"`
	Value string `xml:",chardata"`
}

// feedRSS is /feed.xml: the newest articles with their full HTML.
func (s *Server) feedRSS(c echo.Context) error {
	st, arts, err := s.feedArticles(c, models.ArticleQuery{})
	if err != nil {
		return err
	}
	return s.writeArticlesRSS(c, st, feedChannel{
		Title: st.Title, Link: "/", Self: "/feed.xml", Description: st.Tagline,
	}, arts)
}

// feedChannel is what differs between the article feeds: the blog's, a
// tag's, an author's. Link and Self are paths.
type feedChannel struct {
	Title, Link, Self, Description string
}

// writeArticlesRSS sends arts as an RSS feed.
func (s *Server) writeArticlesRSS(c echo.Context, st *models.Settings, ch feedChannel, arts []models.Article) error {
	base := s.Cfg.URLs.Base.String()
	doc := rssDoc{
		Version: "2.0", NSContent: "http://purl.org/rss/1.0/modules/content/",
		NSDC: "http://purl.org/dc/elements/1.1/", NSAtom: "http://www.w3.org/2005/Atom",
		Channel: rssChannel{
			Title: ch.Title, Link: s.Cfg.URLs.Abs(ch.Link), Description: ch.Description, Language: st.Language,
			Self:      atomLink{Href: s.Cfg.URLs.Abs(ch.Self), Rel: "self", Type: "application/rss+xml"},
			Generator: "fedpress",
		},
	}
	if len(arts) > 0 {
		doc.Channel.LastBuildDate = newest(arts).Format(time.RFC1123Z)
	}
	for i := range arts {
		a := &arts[i]
		link := s.Cfg.URLs.Abs(a.Permalink())
		it := rssItem{
			Title: a.Title, Link: link, GUID: rssGUID{IsPermaLink: false, Value: s.Cfg.URLs.Article(a.ID)},
			PubDate: a.PublishedAt.UTC().Format(time.RFC1123Z), Creator: a.Author.Name,
			Comments: link + "#comments", Description: articleExcerpt(a, excerptWords),
			Content: &cdata{web.AbsoluteURLs(a.HTML, base)},
		}
		for _, t := range a.Tags {
			it.Categories = append(it.Categories, t.Name)
		}
		doc.Channel.Items = append(doc.Channel.Items, it)
	}
	return s.writeXML(c, "application/rss+xml; charset=utf-8", doc)
}

// feedAtom is /atom.xml, the same articles as Atom.
func (s *Server) feedAtom(c echo.Context) error {
	st, arts, err := s.feedArticles(c, models.ArticleQuery{})
	if err != nil {
		return err
	}
	base := s.Cfg.URLs.Base.String()
	feed := atomFeed{
		Lang: st.Language, ID: base + "/", Title: st.Title, Subtitle: st.Tagline, Gen: "fedpress",
		Links: []atomLink{
			{Href: s.Cfg.URLs.Abs("/atom.xml"), Rel: "self", Type: "application/atom+xml"},
			{Href: base + "/", Rel: "alternate", Type: "text/html"},
		},
		// An Atom feed needs an author when an entry lacks one; ours never
		// do, but readers show the feed author too.
		Author:  &atomPerson{Name: st.Title, URI: base + "/"},
		Updated: time.Unix(0, 0).UTC().Format(time.RFC3339),
	}
	if len(arts) > 0 {
		feed.Updated = newest(arts).Format(time.RFC3339)
	}
	for i := range arts {
		a := &arts[i]
		link := s.Cfg.URLs.Abs(a.Permalink())
		e := atomEntry{
			ID: s.Cfg.URLs.Article(a.ID), Title: a.Title,
			Links:     []atomLink{{Href: link, Rel: "alternate", Type: "text/html"}},
			Published: a.PublishedAt.UTC().Format(time.RFC3339),
			Updated:   maxTime(*a.PublishedAt, a.UpdatedAt).Format(time.RFC3339),
			Author:    atomPerson{Name: a.Author.Name, URI: s.Cfg.URLs.Abs(profilePath(a.Author.Username))},
			Summary:   atomText{Type: "text", Value: articleExcerpt(a, excerptWords)},
			Content:   atomHTML{Type: "html", Value: web.AbsoluteURLs(a.HTML, base)},
		}
		for _, t := range a.Tags {
			e.Categories = append(e.Categories, atomCategory{Term: t.Slug, Label: t.Name})
		}
		feed.Entries = append(feed.Entries, e)
	}
	return s.writeXML(c, "application/atom+xml; charset=utf-8", feed)
}

// feedComments is /comments/feed.xml: the newest approved comments.
func (s *Server) feedComments(c echo.Context) error {
	ctx := c.Request().Context()
	st, err := s.Store.GetSettings(ctx)
	if err != nil {
		return err
	}
	ins, arts, err := s.Store.RecentComments(ctx, s.Now(), feedSize)
	if err != nil {
		return err
	}
	byID := make(map[uint]*models.Article, len(arts))
	for i := range arts {
		byID[arts[i].ID] = &arts[i]
	}
	base := s.Cfg.URLs.Base.String()
	doc := rssDoc{
		Version: "2.0", NSContent: "http://purl.org/rss/1.0/modules/content/",
		NSDC: "http://purl.org/dc/elements/1.1/", NSAtom: "http://www.w3.org/2005/Atom",
		Channel: rssChannel{
			Title: "Comments on " + st.Title, Link: base + "/", Language: st.Language,
			Description: "The latest comments on " + st.Title + ".",
			Self:        atomLink{Href: s.Cfg.URLs.Abs("/comments/feed.xml"), Rel: "self", Type: "application/rss+xml"},
			Generator:   "fedpress",
		},
	}
	if len(ins) > 0 {
		doc.Channel.LastBuildDate = ins[0].PublishedAt.UTC().Format(time.RFC1123Z)
	}
	for i := range ins {
		in := &ins[i]
		a, ok := byID[in.ArticleID]
		if !ok {
			continue
		}
		cv := commentOf(in)
		content := string(cv.Content)
		if cv.Warning != "" {
			content = "<p><strong>Content warning: " + html.EscapeString(cv.Warning) + "</strong></p>" + content
		}
		link := s.Cfg.URLs.Abs(a.Permalink()) + "#comment-" + strconv.FormatUint(uint64(in.ID), 10)
		doc.Channel.Items = append(doc.Channel.Items, rssItem{
			Title: fmt.Sprintf("Comment on %s by %s", a.Title, cv.Name), Link: link,
			GUID:    rssGUID{IsPermaLink: false, Value: s.Cfg.URLs.Comment(in.ID)},
			PubDate: in.PublishedAt.UTC().Format(time.RFC1123Z), Creator: cv.Name,
			Description: web.Excerpt(in.Content, excerptWords),
			Content:     &cdata{web.AbsoluteURLs(content, base)},
		})
	}
	return s.writeXML(c, "application/rss+xml; charset=utf-8", doc)
}

// feedArticles loads the settings and the newest visible articles matching
// q (all of them for a zero q).
func (s *Server) feedArticles(c echo.Context, q models.ArticleQuery) (*models.Settings, []models.Article, error) {
	ctx := c.Request().Context()
	st, err := s.Store.GetSettings(ctx)
	if err != nil {
		return nil, nil, err
	}
	q.Now, q.Page, q.PerPage = s.Now(), 1, feedSize
	arts, _, err := s.Store.ListVisible(ctx, q)
	if err != nil {
		return nil, nil, fmt.Errorf("feed articles: %w", err)
	}
	return st, arts, nil
}

// newest is the latest publication or edit among visible articles.
func newest(arts []models.Article) time.Time {
	var t time.Time
	for i := range arts {
		t = maxTime(t, maxTime(*arts[i].PublishedAt, arts[i].UpdatedAt))
	}
	return t.UTC()
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b.UTC()
	}
	return a.UTC()
}

// writeXML sends an XML document with an ETag, so feed readers polling
// every few minutes mostly get 304 Not Modified.
func (s *Server) writeXML(c echo.Context, contentType string, doc any) error {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode %s: %w", c.Request().URL.Path, err)
	}
	buf.WriteByte('\n')
	sum := sha256.Sum256(buf.Bytes())
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "public, max-age=300")
	if inm := c.Request().Header.Get("If-None-Match"); inm == "*" || strings.Contains(inm, etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, contentType, buf.Bytes())
}
