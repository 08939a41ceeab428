package federation

import (
	"context"
	"fmt"
	"html"
	"strings"
	"time"
	"unicode"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"fedpress/models"
	"fedpress/web"
)

// articleType is the type articles federate as (see buildArticle), and so
// the formerType of their Tombstones.
const articleType = "Note"

// summaryWords is the excerpt length used when an article has no summary
// (WordPress's default excerpt length).
const summaryWords = 55

// Article collections served under /articles/:id/.
const (
	CollectionReplies = "replies"
	CollectionLikes   = "likes"
	CollectionShares  = "shares"
	CollectionContext = "context"
)

// ArticleCollectionURL is the id of one of an article's collections.
func (u URLs) ArticleCollection(id uint, name string) string { return u.Article(id) + "/" + name }

// articleCounts are the approved interactions shown as collection sizes.
// Replies are counted from the conversation (see vocab_out_conversation.go).
type articleCounts struct{ likes, shares int64 }

// ArticleObject is the ActivityStreams object of an article, as served at
// its id and permalink: an Article (or a Note, per settings).
func (s *Service) ArticleObject(ctx context.Context, a *models.Article) (Doc, error) {
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	obj, err := s.articleObject(ctx, st, a)
	if err != nil {
		return nil, err
	}
	obj["@context"] = ldContext()
	return obj, nil
}

// articleObject builds the object without @context, for embedding.
func (s *Service) articleObject(ctx context.Context, st *models.Settings, a *models.Article) (Doc, error) {
	if a.Author.ID == 0 {
		au, err := s.store.AuthorByID(ctx, a.AuthorID)
		if err != nil {
			return nil, fmt.Errorf("article %d author: %w", a.ID, err)
		}
		a.Author = *au
	}
	var c articleCounts
	var err error
	if c.likes, err = s.store.CountApproved(ctx, a.ID, models.KindLike); err != nil {
		return nil, err
	}
	if c.shares, err = s.store.CountApproved(ctx, a.ID, models.KindBoost); err != nil {
		return nil, err
	}
	conv, err := s.loadConversation(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	return s.buildArticle(st, a, c, conv)
}

// articleAudience is who an article is for: everyone, and both follower
// collections so servers that route by collection (Pleroma, Akkoma) show it
// to the blog's followers too.
func (s *Service) articleAudience(st *models.Settings, a *models.Article) (to, cc []string) {
	u := s.cfg.URLs
	return []string{PublicCollection}, []string{u.Followers(a.Author.Username), u.Followers(blogActorName(st))}
}

// articleLanguage is the article's language, else the blog's.
func articleLanguage(st *models.Settings, a *models.Article) string {
	if a.Language != "" {
		return a.Language
	}
	return st.Language
}

// buildArticle assembles the object: a Note whose content is the title, a
// lead (or, with the full-text setting, the whole text) and a link back,
// with the article's images attached. Neither name nor summary is sent:
// GoToSocial shows summary, else name, as a content warning on every
// object type, and Mastodon shows only name, summary and a link for an
// Article, dropping its content and so its lead. FEDERATION.md has the
// evidence; peers_view_test.go applies each server's rule to this object.
func (s *Service) buildArticle(st *models.Settings, a *models.Article, c articleCounts, conv *conversation) (Doc, error) {
	u := s.cfg.URLs
	permalink := u.Abs(a.Permalink())
	content := articleContent(models.ArticleObjectType(st.ObjectType), a, permalink, u.Base.String())
	to, cc := s.articleAudience(st, a)
	published := a.CreatedAt
	if a.PublishedAt != nil {
		published = *a.PublishedAt
	}

	obj := streams.NewActivityStreamsNote()
	obj.SetJSONLDId(idProp(u.Article(a.ID)))
	obj.SetActivityStreamsContent(contentProp(content))
	obj.SetActivityStreamsUrl(urlProp(permalink))
	obj.SetActivityStreamsAttributedTo(attributedToProp(u.Actor(a.Author.Username)))
	obj.SetActivityStreamsTo(toProp(to...))
	obj.SetActivityStreamsCc(ccProp(cc...))
	obj.SetActivityStreamsPublished(publishedProp(published))
	// "updated" makes Mastodon label the post as edited: only for edits
	// made after followers got it (a backdated article is not "edited").
	if a.FederatedAt != nil && a.UpdatedAt.After(a.FederatedAt.Add(time.Minute)) {
		obj.SetActivityStreamsUpdated(updatedProp(a.UpdatedAt))
	}
	if att := s.articleAttachments(a); att.Len() > 0 {
		obj.SetActivityStreamsAttachment(att)
	}
	lp := streams.NewActivityStreamsLikesProperty()
	lp.SetActivityStreamsCollection(countedCollection(u.ArticleCollection(a.ID, CollectionLikes), c.likes))
	obj.SetActivityStreamsLikes(lp)
	sp := streams.NewActivityStreamsSharesProperty()
	sp.SetActivityStreamsCollection(countedCollection(u.ArticleCollection(a.ID, CollectionShares), c.shares))
	obj.SetActivityStreamsShares(sp)
	ctxp := streams.NewActivityStreamsContextProperty()
	ctxp.AppendIRI(iri(u.ArticleCollection(a.ID, CollectionContext)))
	obj.SetActivityStreamsContext(ctxp)

	m, err := nested(obj)
	if err != nil {
		return nil, fmt.Errorf("article %d: %w", a.ID, err)
	}
	// replies embeds its first page (go-fed would re-parse the items).
	if m["replies"], err = embedded(s.conversationCollection(conv, a, CollectionReplies, 0, 0)); err != nil {
		return nil, fmt.Errorf("article %d replies: %w", a.ID, err)
	}
	m["interactionPolicy"] = quotePolicy()
	if lang := articleLanguage(st, a); lang != "" {
		m["contentMap"] = map[string]any{lang: content}
	}
	m["sensitive"] = false
	tags := []any{}
	for _, tg := range a.Tags {
		if name := hashtagName(tg.Name); name != "" {
			tags = append(tags, Doc{"type": "Hashtag", "href": u.Tag(tg.Slug), "name": "#" + name})
		}
	}
	m["tag"] = tags
	if _, ok := m["attachment"]; !ok {
		m["attachment"] = []any{}
	}
	return m, nil
}

// articleContent is the HTML followers read. The title leads as a bold
// paragraph, what Mastodon turns a heading into anyway
// (lib/sanitize_ext/sanitize_config.rb). Figures are flattened: servers
// that drop <img> would leave a bare caption.
func articleContent(mode string, a *models.Article, permalink, base string) string {
	var b strings.Builder
	b.WriteString("<p><strong>" + html.EscapeString(a.Title) + "</strong></p>")
	if mode == models.ObjectTypeNote {
		b.WriteString(web.FlattenFigures(web.AbsoluteURLs(a.HTML, base)))
	} else {
		b.WriteString(web.TextToHTML(articleLead(a)))
	}
	b.WriteString(`<p><a href="` + html.EscapeString(permalink) + `">` + html.EscapeString(permalink) + `</a></p>`)
	return b.String()
}

// articleLead is the article's summary, else its first words (figure
// captions left out: they describe a picture, not the story).
func articleLead(a *models.Article) string {
	if lead := strings.TrimSpace(a.Summary); lead != "" {
		return lead
	}
	return web.Excerpt(web.WithoutFigures(a.HTML), summaryWords)
}

// articleAttachments lists the article's media, its featured image (the
// author's choice, else the image shown first in the text) leading: it
// becomes the preview in timelines.
func (s *Service) articleAttachments(a *models.Article) vocab.ActivityStreamsAttachmentProperty {
	media := append([]models.Media(nil), a.Media...)
	src, _ := web.FirstImage(a.HTML)
	if f := a.FeaturedMedia(src); f != nil {
		for i := range a.Media {
			if i > 0 && &a.Media[i] == f {
				copy(media[1:i+1], a.Media[:i])
				media[0] = *f
				break
			}
		}
	}
	// Alt text as the upload was described (editor, front matter, WXR),
	// else as this article's <img alt> gives it.
	alts := map[string]string{}
	for src, alt := range web.ImageAlts(a.HTML) {
		if name, ok := web.MediaName(src); ok {
			alts[name] = alt
		} else {
			alts[src] = alt
		}
	}
	p := streams.NewActivityStreamsAttachmentProperty()
	for _, m := range media {
		alt := strings.TrimSpace(m.Alt)
		if alt == "" {
			alt = alts[m.Path]
		}
		if alt == "" && m.RemoteURL != "" {
			alt = alts[m.RemoteURL]
		}
		href := m.RemoteURL
		if href == "" {
			href = s.mediaURL(m.Path)
		}
		var doc interface {
			SetActivityStreamsUrl(vocab.ActivityStreamsUrlProperty)
			SetActivityStreamsMediaType(vocab.ActivityStreamsMediaTypeProperty)
			SetActivityStreamsName(vocab.ActivityStreamsNameProperty)
		}
		var img vocab.ActivityStreamsImage
		if strings.HasPrefix(m.MimeType, "image/") {
			img = streams.NewActivityStreamsImage()
			p.AppendActivityStreamsImage(img)
			doc = img
		} else {
			d := streams.NewActivityStreamsDocument()
			p.AppendActivityStreamsDocument(d)
			doc = d
		}
		doc.SetActivityStreamsUrl(urlProp(href))
		if m.MimeType != "" {
			mt := streams.NewActivityStreamsMediaTypeProperty()
			mt.Set(m.MimeType)
			doc.SetActivityStreamsMediaType(mt)
		}
		// Alt text: Mastodon and GoToSocial read it from summary, else
		// name; summary is the CW of a status, so name it is. An empty
		// name is sent as "" on purpose.
		doc.SetActivityStreamsName(nameProp(alt))
		if img != nil && m.Width > 0 && m.Height > 0 {
			w := streams.NewActivityStreamsWidthProperty()
			w.Set(m.Width)
			img.SetActivityStreamsWidth(w)
			h := streams.NewActivityStreamsHeightProperty()
			h.Set(m.Height)
			img.SetActivityStreamsHeight(h)
		}
	}
	return p
}

// ArticleTombstone is what a deleted article's id answers.
func (s *Service) ArticleTombstone(a *models.Article) (Doc, error) {
	m, err := s.tombstone(s.cfg.URLs.Article(a.ID), articleType, a.DeletedAt)
	if err != nil {
		return nil, err
	}
	m["@context"] = ldContext()
	return m, nil
}

// tombstone builds a Tombstone (nested form).
func (s *Service) tombstone(id, formerType string, deleted *time.Time) (Doc, error) {
	ts := streams.NewActivityStreamsTombstone()
	ts.SetJSONLDId(idProp(id))
	if deleted != nil {
		dp := streams.NewActivityStreamsDeletedProperty()
		dp.Set(deleted.UTC().Truncate(time.Second))
		ts.SetActivityStreamsDeleted(dp)
	}
	m, err := nested(ts)
	if err != nil {
		return nil, fmt.Errorf("tombstone %s: %w", id, err)
	}
	m["formerType"] = formerType
	return m, nil
}

func countedCollection(id string, n int64) vocab.ActivityStreamsCollection {
	c := streams.NewActivityStreamsCollection()
	c.SetJSONLDId(idProp(id))
	c.SetActivityStreamsTotalItems(totalItemsProp(int(n)))
	return c
}

// hashtagName makes a tag name Mastodon accepts as a hashtag (letters,
// digits, underscore): "Asia Pacific" → "AsiaPacific", as people write
// multi-word hashtags.
func hashtagName(name string) string {
	var b strings.Builder
	words := strings.FieldsFunc(name, func(r rune) bool { return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') })
	for i, w := range words {
		if i > 0 && len(words) > 1 {
			r := []rune(w)
			r[0] = unicode.ToUpper(r[0])
			w = string(r)
		}
		b.WriteString(w)
	}
	return b.String()
}
