package federation

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"fedpress/models"
	"fedpress/web"
)

// What a follower on Mastodon and on GoToSocial sees of the document we
// serve, by each server's own rules. The rules were written from reading
// their sources (not copied), and are cited where they are applied.

// peerView is what one server shows of a status.
type peerView struct {
	shown bool     // the server makes a status of it at all
	cw    string   // content warning hiding the text ("" for none)
	text  string   // visible text, whitespace collapsed
	links []string // hrefs of the links in the text
	tags  []string // elements left in the text after sanitizing
	alts  []string // attachment descriptions, in order
}

// first returns the first present string of m[keys...], then the first
// value of a language map (name → nameMap, as both servers fall back).
func firstString(m map[string]any, key string) string {
	if s, _ := m[key].(string); strings.TrimSpace(s) != "" {
		return s
	}
	if lm, ok := m[key+"Map"].(map[string]any); ok {
		for _, v := range lm {
			if s, _ := v.(string); s != "" {
				return s
			}
		}
	}
	return ""
}

// attachmentAlts reads each attachment's description: summary, else name.
// Mastodon app/lib/activitypub/parser/media_attachment_parser.rb
// (description) and GoToSocial internal/ap/extract.go (ExtractDescription)
// agree on this order.
func attachmentAlts(obj map[string]any) []string {
	var out []string
	list, ok := obj["attachment"].([]any)
	if !ok && obj["attachment"] != nil {
		list = []any{obj["attachment"]}
	}
	for _, a := range list {
		am, _ := a.(map[string]any)
		if am == nil || am["url"] == nil {
			continue // both skip attachments without a URL
		}
		alt := firstString(am, "summary")
		if alt == "" {
			alt, _ = am["name"].(string)
		}
		out = append(out, strings.TrimSpace(alt))
	}
	return out
}

// mastodonView applies Mastodon's rule.
//   - app/lib/activitypub/activity/create.rb: Note and Question are
//     supported; Image, Audio, Video, Article, Page and Event are
//     "converted": their text is converted_text, and spoiler_text is "".
//   - app/lib/activitypub/preview_builder.rb (converted text): "<h2>name</h2>",
//     then summary, then a link to url (else id), joined by blank lines.
//   - app/lib/activitypub/parser/status_parser.rb: text is content (else
//     contentMap), spoiler_text is summary (else summaryMap).
//   - lib/sanitize_ext/sanitize_config.rb, MASTODON_STRICT: only p br span a
//     del s pre blockquote code b strong u i em ul ol li ruby rt rp are kept;
//     h1-h6 become <p><strong>; anything else is unwrapped, img dropped.
func mastodonView(obj map[string]any) peerView {
	typ, _ := obj["type"].(string)
	v := peerView{alts: attachmentAlts(obj)}
	var text string
	switch typ {
	case "Note", "Question":
		v.shown = true
		text = firstString(obj, "content")
		v.cw = firstString(obj, "summary")
	case "Image", "Audio", "Video", "Article", "Page", "Event":
		v.shown = true
		var parts []string
		if name := firstString(obj, "name"); name != "" {
			parts = append(parts, "<h2>"+html.EscapeString(name)+"</h2>")
		}
		if s := firstString(obj, "summary"); s != "" {
			parts = append(parts, s)
		}
		link, _ := obj["url"].(string)
		if link == "" {
			link, _ = obj["id"].(string)
		}
		parts = append(parts, `<a href="`+html.EscapeString(link)+`">`+html.EscapeString(link)+`</a>`)
		text = strings.Join(parts, "\n\n")
	default:
		return v
	}
	allowed := set("p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i", "em", "ul", "ol", "li", "ruby", "rt", "rp",
		"h1", "h2", "h3", "h4", "h5", "h6") // headings survive as <p><strong>
	v.text, v.links, v.tags = sanitizedText(text, allowed)
	return v
}

// gotosocialView applies GoToSocial's rule.
//   - internal/typeutils/astointernal.go (ASStatusToStatus): every
//     statusable type (Article, Document, Image, Video, Note, Page, Event,
//     Place, Profile, Question) keeps its content, and ContentWarning is
//     summary, else name ("prefer Summary, fall back to Name").
//   - internal/ap/extract.go (ExtractContent): content, else contentMap.
//   - internal/text/sanitize.go (regular policy): figcaption, headings,
//     p, a, lists… are allowed; img and figure are not (figure is unwrapped).
func gotosocialView(obj map[string]any) peerView {
	typ, _ := obj["type"].(string)
	v := peerView{alts: attachmentAlts(obj)}
	switch typ {
	case "Article", "Document", "Image", "Video", "Note", "Page", "Event", "Place", "Profile", "Question":
		v.shown = true
	default:
		return v
	}
	v.cw = firstString(obj, "summary")
	if v.cw == "" {
		v.cw = firstString(obj, "name")
	}
	allowed := set("article", "aside", "details", "section", "summary", "h1", "h2", "h3", "h4", "h5", "h6", "hgroup", "blockquote",
		"br", "div", "hr", "p", "span", "wbr", "abbr", "acronym", "cite", "code", "dfn", "em", "figcaption", "mark", "s", "samp",
		"strong", "sub", "sup", "var", "q", "time", "b", "i", "pre", "small", "strike", "tt", "u", "del", "ins", "ul", "ol", "li",
		"dl", "dt", "dd", "bdi", "bdo", "rp", "rt", "ruby", "a")
	v.text, v.links, v.tags = sanitizedText(firstString(obj, "content"), allowed)
	return v
}

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// sanitizedText keeps the allowed elements of fragment (others are
// unwrapped, script and style dropped) and returns the visible text, the
// link targets and the elements that remain.
func sanitizedText(fragment string, allowed map[string]bool) (text string, links, tags []string) {
	nodes, err := html.ParseFragment(strings.NewReader(fragment), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return "", nil, nil
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			if n.Data == "script" || n.Data == "style" {
				return
			}
			if allowed[n.Data] {
				tags = append(tags, n.Data)
				if n.Data == "a" {
					for _, a := range n.Attr {
						if a.Key == "href" {
							links = append(links, a.Val)
						}
					}
				}
			}
			b.WriteString(" ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		b.WriteString(" ")
	}
	for _, n := range nodes {
		walk(n)
	}
	return strings.Join(strings.Fields(b.String()), " "), links, tags
}

// peerArticle publishes an article with a summary or not, a captioned
// figure and an inline image. The first image's media row has no alt text
// of its own (the article's alt must reach the attachment); the second's
// was described on upload, which wins over the article's terse alt.
func peerArticle(t *testing.T, e *outEnv, slug, summary string) *models.Article {
	t.Helper()
	ctx := context.Background()
	a, err := e.store.AuthorByUsername(ctx, "alice")
	if err != nil {
		a = e.author("alice")
	}
	photo := &models.Media{Path: slug + "-talks.jpg", MimeType: "image/jpeg", Width: 800, Height: 600}
	chart := &models.Media{Path: slug + "-chart.png", MimeType: "image/png", Width: 400, Height: 300, Alt: "Bar chart of trade, 2010 to 2012"}
	for _, m := range []*models.Media{chart, photo} {
		if err := e.store.CreateMedia(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	md := "![Delegations at the table](/media/" + photo.Path + ` "The delegations on the second day")` + "\n\n" +
		"The talks ended on Friday without a date for the next round. Both sides called them useful.\n\n" +
		"Trade figures: ![chart](/media/" + chart.Path + ")\n"
	body, err := web.RenderMarkdown(md)
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2012, 11, 17, 10, 0, 0, 0, time.UTC)
	art, err := e.store.SaveArticle(ctx, 0, models.ArticleInput{
		Title: "DPRK-Japan talks in Ulan Bator end", Slug: slug, Summary: summary, Markdown: md, HTML: body,
		Status: models.StatusPublished, PublishedAt: &when, AuthorID: a.ID, MediaIDs: []uint{chart.ID, photo.ID}, Language: "en",
	})
	if err != nil {
		t.Fatal(err)
	}
	return art
}

func TestFollowersSeeTitleLeadAltTextsAndLink(t *testing.T) {
	e := newOutEnv(t, nil)
	ctx := context.Background()
	withSummary := peerArticle(t, e, "talks", "Two days of talks ended without a date for the next round.")
	noSummary := peerArticle(t, e, "talks-2", "")
	wantAlts := []string{"Delegations at the table", "Bar chart of trade, 2010 to 2012"}

	servers := []struct {
		name string
		view func(map[string]any) peerView
	}{
		{"Mastodon", mastodonView},
		{"GoToSocial", gotosocialView},
	}
	tests := []struct {
		setting string // Settings.ObjectType as stored
		art     *models.Article
		lead    string
	}{
		{models.ObjectTypeLead, withSummary, "Two days of talks ended without a date for the next round."},
		{models.ObjectTypeLead, noSummary, "The talks ended on Friday without a date for the next round."},
		{"Article", withSummary, "Two days of talks ended without a date for the next round."}, // the old default
		{models.ObjectTypeNote, withSummary, "The talks ended on Friday without a date for the next round."},
		{models.ObjectTypeNote, noSummary, "Both sides called them useful."},
	}
	for _, tc := range tests {
		st, _ := e.store.GetSettings(ctx)
		st.ObjectType = tc.setting
		if err := e.store.SaveSettings(ctx, st); err != nil {
			t.Fatal(err)
		}
		d, err := e.svc.ArticleObject(ctx, tc.art)
		if err != nil {
			t.Fatal(err)
		}
		obj := asPeerSees(t, d)
		permalink := testBase + tc.art.Permalink()
		for _, srv := range servers {
			t.Run(srv.name+"/"+tc.setting+"/"+tc.art.Slug, func(t *testing.T) {
				v := srv.view(obj)
				if !v.shown {
					t.Fatalf("%s makes no status of type %v", srv.name, obj["type"])
				}
				if v.cw != "" {
					t.Errorf("content warning %q hides the article", v.cw)
				}
				for _, want := range []string{tc.art.Title, tc.lead} {
					if !strings.Contains(v.text, want) {
						t.Errorf("text lacks %q:\n%s", want, v.text)
					}
				}
				if !slices.Contains(v.links, permalink) {
					t.Errorf("no link back to %s in %v", permalink, v.links)
				}
				if !slices.Equal(v.alts, wantAlts) {
					t.Errorf("attachment alt texts %q, want %q (the figure's image first)", v.alts, wantAlts)
				}
				if slices.Contains(v.tags, "figcaption") {
					t.Errorf("a bare <figcaption> is left once <img> is dropped: %s", obj["content"])
				}
			})
		}
	}
}

// The rules tell the shapes apart: the Article we sent before this
// representation showed its lead as a content warning on GoToSocial, and
// its text not at all on Mastodon.
func TestPeerRulesOnTheOldArticleShape(t *testing.T) {
	old := map[string]any{
		"type": "Article", "id": testBase + "/articles/1", "url": testBase + "/2012/11/talks/",
		"name": "DPRK-Japan talks end", "summary": "Two days of talks.",
		"content":    `<figure><img src="x.jpg" alt="Delegations"><figcaption>The delegations</figcaption></figure><p>The talks ended on Friday.</p>`,
		"attachment": []any{map[string]any{"type": "Image", "url": testBase + "/media/x.jpg", "name": "Delegations"}},
	}
	m := mastodonView(old)
	if m.cw != "" || !strings.Contains(m.text, "DPRK-Japan talks end Two days of talks.") || strings.Contains(m.text, "Friday") ||
		!slices.Equal(m.links, []string{testBase + "/2012/11/talks/"}) {
		t.Errorf("Mastodon's view of an Article: %+v", m)
	}
	g := gotosocialView(old)
	if g.cw != "Two days of talks." || !slices.Contains(g.tags, "figcaption") || slices.Contains(g.tags, "img") {
		t.Errorf("GoToSocial's view of an Article: %+v", g)
	}
	delete(old, "summary")
	if g := gotosocialView(old); g.cw != "DPRK-Japan talks end" {
		t.Errorf("GoToSocial without summary: content warning %q, want the name", g.cw)
	}
	old["type"] = "Note"
	if m := mastodonView(old); m.cw != "" || !strings.Contains(m.text, "Friday") || strings.Contains(m.text, "DPRK") {
		t.Errorf("Mastodon's view of a Note: %+v", m)
	}
}

// otherPeer is what a server keeps of a Note apart from its text: a title
// field of its own, a content warning, and each attachment's description.
type otherPeer struct {
	name    string
	shown   func(obj map[string]any) bool // nil: the accepted types were not read
	title   func(obj map[string]any) string
	warning func(obj map[string]any) string
	alts    func(obj map[string]any) []string
}

// attachmentNames reads name as the description of every attachment with a
// usable url (a string, or a list whose first entry has an href).
func attachmentNames(obj map[string]any, summaryFirst bool) []string {
	list, ok := obj["attachment"].([]any)
	if !ok && obj["attachment"] != nil {
		list = []any{obj["attachment"]}
	}
	var out []string
	for _, a := range list {
		am, _ := a.(map[string]any)
		if am == nil {
			continue
		}
		switch u := am["url"].(type) {
		case string:
			if u == "" {
				continue
			}
		case []any:
			if len(u) == 0 {
				continue
			}
		default:
			continue
		}
		alt, _ := am["name"].(string)
		if s, _ := am["summary"].(string); summaryFirst && s != "" {
			alt = s
		}
		out = append(out, alt)
	}
	return out
}

// The rules of the servers other than Mastodon and GoToSocial, each read
// from its source (cited per server), applied to the default Note: none
// shows a separate title (the title is the first line of the content),
// none hides the text behind a warning, and every one keeps each image's
// alt text, the featured image first.
func TestOtherPeersKeepAltTextsAndShowNoWarning(t *testing.T) {
	noteTypes := func(types ...string) func(map[string]any) bool {
		return func(obj map[string]any) bool { return slices.Contains(types, str(obj["type"])) }
	}
	peers := []otherPeer{
		{
			// friendica/friendica src/Protocol/ActivityPub/Receiver.php:
			// CONTENT_TYPES; processObject reads name, summary, content;
			// processAttachments keeps each attachment's name.
			// src/Protocol/ActivityPub/Processor.php: processContent makes
			// title of name and content-warning of summary;
			// storeAttachmentAsMedia skips an empty url and stores name as
			// the media description.
			name:    "Friendica",
			shown:   noteTypes("Note", "Article", "Video", "Image", "Event", "Audio", "Page", "Question"),
			title:   func(o map[string]any) string { return str(o["name"]) },
			warning: func(o map[string]any) string { return str(o["summary"]) },
			alts:    func(o map[string]any) []string { return attachmentNames(o, false) },
		},
		{
			// misskey-dev/misskey packages/backend/src/core/activitypub/
			// type.ts: validPost lists the types made notes of;
			// models/ApNoteService.ts: cw is summary, every attachment goes
			// through ApImageService.createImage, which wants a string url
			// (https in production) and stores name as the file's comment.
			// A Misskey note has no title.
			name:    "Misskey",
			shown:   noteTypes("Note", "Question", "Article", "Audio", "Document", "Image", "Page", "Video", "Event"),
			title:   func(map[string]any) string { return "" },
			warning: func(o map[string]any) string { return str(o["summary"]) },
			alts:    func(o map[string]any) []string { return attachmentNames(o, false) },
		},
		{
			// pleroma-social/pleroma lib/pleroma/web/mastodon_api/views/
			// status_view.ex: spoiler_text is summary, render_content puts
			// name (linked) before content, attachment.json's description is
			// the attachment's name.
			name:    "Pleroma",
			title:   func(o map[string]any) string { return str(o["name"]) },
			warning: func(o map[string]any) string { return str(o["summary"]) },
			alts:    func(o map[string]any) []string { return attachmentNames(o, false) },
		},
		{
			// external-mirrors/akkoma (Akkoma) the same status_view.ex, but
			// the description is the attachment's summary, else its name.
			name:    "Akkoma",
			title:   func(o map[string]any) string { return str(o["name"]) },
			warning: func(o map[string]any) string { return str(o["summary"]) },
			alts:    func(o map[string]any) []string { return attachmentNames(o, true) },
		},
		{
			// Automattic/wordpress-activitypub includes/handler/class-create.php:
			// validate_object wants a content; a public non-reply is stored only when the activitypub_create_posts
			// option is on (off by default), through includes/collection/
			// class-posts.php: post_title is name, post_content the content,
			// post_excerpt summary (an excerpt, not a warning);
			// includes/class-attachments.php appends a gallery whose <img alt>
			// is each attachment's name.
			name:    "WordPress-AP",
			shown:   func(o map[string]any) bool { _, ok := o["content"].(string); return ok },
			title:   func(o map[string]any) string { return str(o["name"]) },
			warning: func(map[string]any) string { return "" },
			alts:    func(o map[string]any) []string { return attachmentNames(o, false) },
		},
		{
			// TryGhost/ActivityPub src/post/post.service.ts (getByApId):
			// Note and Article only; title is name, summary goes through
			// classifySummary (src/post/post.entity.ts), a content warning
			// only when sensitive is true; getPostAttachments keeps each
			// attachment with a url and its name.
			name:  "Ghost",
			shown: noteTypes("Note", "Article"),
			title: func(o map[string]any) string { return str(o["name"]) },
			warning: func(o map[string]any) string {
				if s, _ := o["sensitive"].(bool); s {
					return str(o["summary"])
				}
				return ""
			},
			alts: func(o map[string]any) []string { return attachmentNames(o, false) },
		},
	}

	e := newOutEnv(t, nil)
	ctx := context.Background()
	st, _ := e.store.GetSettings(ctx)
	st.ObjectType = models.ObjectTypeLead
	if err := e.store.SaveSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	wantAlts := []string{"Delegations at the table", "Bar chart of trade, 2010 to 2012"}
	for _, tc := range []struct{ slug, summary string }{
		{"talks", "Two days of talks ended without a date for the next round."},
		{"talks-2", ""},
	} {
		art := peerArticle(t, e, tc.slug, tc.summary)
		d, err := e.svc.ArticleObject(ctx, art)
		if err != nil {
			t.Fatal(err)
		}
		obj := asPeerSees(t, d)
		for _, p := range peers {
			t.Run(p.name+"/"+art.Slug, func(t *testing.T) {
				if p.shown != nil && !p.shown(obj) {
					t.Fatalf("%s makes nothing of type %v", p.name, obj["type"])
				}
				if title := p.title(obj); title != "" {
					t.Errorf("a separate title %q besides the one in the content", title)
				}
				if w := p.warning(obj); w != "" {
					t.Errorf("content warning %q hides the article", w)
				}
				if alts := p.alts(obj); !slices.Equal(alts, wantAlts) {
					t.Errorf("alt texts %q, want %q (the figure's image first)", alts, wantAlts)
				}
			})
		}
	}
}
