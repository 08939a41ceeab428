package federation

import (
	"context"
	"fmt"
	"html"
	"strconv"
	"strings"

	"github.com/go-fed/activity/streams"

	"fedpress/models"
	"fedpress/web"
)

// replyContext is everything a local reply's Note depends on.
type replyContext struct {
	st      *models.Settings
	in      *models.Interaction
	author  *models.Author
	article *models.Article
	parent  *models.Interaction // nil: a reply to the article itself
	mention *models.RemoteActor // the parent's remote author, if any
}

// loadReply loads a local author's reply and what it answers.
func (s *Service) loadReply(ctx context.Context, interactionID uint) (*replyContext, error) {
	in, err := s.store.InteractionByID(ctx, interactionID)
	if err != nil {
		return nil, err
	}
	if in.Source != models.SourceLocal || in.LocalAuthorID == nil || in.Kind != models.KindComment {
		return nil, fmt.Errorf("interaction %d is not a local author's reply: %w", interactionID, models.ErrNotFound)
	}
	rc := &replyContext{in: in}
	if rc.st, err = s.store.GetSettings(ctx); err != nil {
		return nil, err
	}
	if in.LocalAuthor != nil {
		rc.author = in.LocalAuthor
	} else if rc.author, err = s.store.AuthorByID(ctx, *in.LocalAuthorID); err != nil {
		return nil, fmt.Errorf("reply %d author: %w", in.ID, err)
	}
	if rc.article, err = s.store.ArticleByID(ctx, in.ArticleID); err != nil {
		return nil, fmt.Errorf("reply %d article: %w", in.ID, err)
	}
	if in.ParentID != nil {
		if rc.parent, err = s.store.InteractionByID(ctx, *in.ParentID); err != nil {
			return nil, fmt.Errorf("reply %d parent: %w", in.ID, err)
		}
		rc.mention = rc.parent.RemoteActor
	}
	return rc, nil
}

// LocalReplyNote is an author's reply to a comment as a Note from the
// author's actor, mentioning the parent's fediverse author so their server
// notifies them. GET /comments/:id serves it.
func (s *Service) LocalReplyNote(ctx context.Context, interactionID uint) (map[string]any, error) {
	rc, err := s.loadReply(ctx, interactionID)
	if err != nil {
		return nil, err
	}
	d, err := s.buildReplyNote(rc)
	if err != nil {
		return nil, err
	}
	if d["replies"], err = s.commentRepliesDoc(ctx, rc.in, rc.article); err != nil {
		return nil, err
	}
	d["@context"] = ldContext()
	return d, nil
}

// replyAudience: public, cc the author's followers and the mentioned actor.
func (s *Service) replyAudience(rc *replyContext) (to, cc []string) {
	cc = []string{s.cfg.URLs.Followers(rc.author.Username)}
	if rc.mention != nil {
		cc = append(cc, rc.mention.URI)
	}
	return []string{PublicCollection}, cc
}

func (s *Service) buildReplyNote(rc *replyContext) (Doc, error) {
	u, in := s.cfg.URLs, rc.in
	inReplyTo := u.Article(in.ArticleID)
	if rc.parent != nil {
		inReplyTo = u.Comment(rc.parent.ID)
		if rc.parent.ObjectURI != nil && *rc.parent.ObjectURI != "" {
			inReplyTo = *rc.parent.ObjectURI
		}
	}
	content := web.AbsoluteURLs(in.Content, u.Base.String())
	if rc.mention != nil {
		content = withMention(content, rc.mention)
	}
	to, cc := s.replyAudience(rc)

	n := streams.NewActivityStreamsNote()
	n.SetJSONLDId(idProp(u.Comment(in.ID)))
	n.SetActivityStreamsAttributedTo(attributedToProp(u.Actor(rc.author.Username)))
	irt := streams.NewActivityStreamsInReplyToProperty()
	irt.AppendIRI(iri(inReplyTo))
	n.SetActivityStreamsInReplyTo(irt)
	n.SetActivityStreamsContent(contentProp(content))
	n.SetActivityStreamsTo(toProp(to...))
	n.SetActivityStreamsCc(ccProp(cc...))
	n.SetActivityStreamsPublished(publishedProp(in.PublishedAt))
	if in.EditedAt != nil {
		n.SetActivityStreamsUpdated(updatedProp(*in.EditedAt))
	}
	n.SetActivityStreamsUrl(urlProp(u.Abs(rc.article.Permalink()) + "#comment-" + strconv.FormatUint(uint64(in.ID), 10)))
	cp := streams.NewActivityStreamsContextProperty()
	cp.AppendIRI(iri(u.ArticleCollection(in.ArticleID, CollectionContext)))
	n.SetActivityStreamsContext(cp)
	if rc.mention != nil {
		mp := streams.NewActivityStreamsMention()
		hp := streams.NewActivityStreamsHrefProperty()
		hp.Set(iri(rc.mention.URI))
		mp.SetActivityStreamsHref(hp)
		mp.SetActivityStreamsName(nameProp(mentionName(rc.mention)))
		tp := streams.NewActivityStreamsTagProperty()
		tp.AppendActivityStreamsMention(mp)
		n.SetActivityStreamsTag(tp)
	}
	m, err := nested(n)
	if err != nil {
		return nil, fmt.Errorf("reply %d: %w", in.ID, err)
	}
	if lang := articleLanguage(rc.st, rc.article); lang != "" {
		m["contentMap"] = map[string]any{lang: content}
	}
	if _, ok := m["tag"]; !ok {
		m["tag"] = []any{}
	}
	m["attachment"] = []any{}
	m["sensitive"] = false
	return m, nil
}

// mentionName is @user@host, the form Mastodon links in content.
func mentionName(a *models.RemoteActor) string {
	if a.Username == "" {
		return a.URI
	}
	return "@" + a.Username + "@" + a.Host
}

// withMention starts the reply with the h-card mention Mastodon writes, so
// the text reads as an answer to that person, unless the author typed it.
func withMention(content string, a *models.RemoteActor) string {
	name := mentionName(a)
	if a.Username != "" && (strings.Contains(content, name) || strings.Contains(content, "@"+a.Username+"</")) {
		return content
	}
	href := a.URL
	if href == "" {
		href = a.URI
	}
	label := html.EscapeString(name)
	if a.Username != "" {
		label = "@<span>" + html.EscapeString(a.Username) + "</span>"
	}
	link := `<span class="h-card"><a href="` + html.EscapeString(href) + `" class="u-url mention">` + label + `</a></span> `
	if strings.HasPrefix(content, "<p>") {
		return "<p>" + link + content[len("<p>"):]
	}
	return "<p>" + link + "</p>" + content
}
