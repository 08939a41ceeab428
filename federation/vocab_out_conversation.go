package federation

import (
	"context"
	"fmt"
	"html"
	"strconv"

	"github.com/go-fed/activity/streams"

	"fedpress/models"
	"fedpress/web"
)

// The conversation under an article as other servers backfill it.
//
// Mastodon (FetchRepliesService, FetchAllRepliesService) and GoToSocial
// read an object's `replies`: the embedded first page, or the page its
// `first` names, then its `orderedItems` (`items` for an unordered
// Collection) and `next` pages; then each item it fetches has `replies`
// of its own, walked the same way. Every approved comment is in exactly
// one of our collections, so such a walk from the article finds them all:
//
//   - a comment answering the article, or an object of ours (a visitor's
//     comment, an author's answer: served at /comments/{id}), is in the
//     replies of what it answers;
//   - a comment answering a remote note is in the article's replies too:
//     the note's own server may serve no replies (Misskey, Pleroma), and
//     never knows the visitors' comments made here.
//
// The context collection (FEP-7888, FEP-f228) lists the article and every
// approved comment, in order; both collections count what their pages list.

// RepliesPageSize is the number of items of one replies or context page.
const RepliesPageSize = 20

// CommentReplies is the id of a comment's replies collection.
func (u URLs) CommentReplies(id uint) string { return u.Comment(id) + "/replies" }

// QuoteAuthorization is the id of the stamp allowing a quote of ours.
func (u URLs) QuoteAuthorization(id uint) string {
	return u.Abs("/quote_authorizations/" + strconv.FormatUint(uint64(id), 10))
}

// CommentIsOurs reports whether a comment's ActivityPub object is ours
// (/comments/{id}): everything but fediverse replies, which live at their
// origin. Imported comments carry a non-http object id: ours as well.
func CommentIsOurs(in *models.Interaction) bool {
	return in.Source != models.SourceActivityPub || in.ObjectURI == nil || !isHTTPURL(*in.ObjectURI)
}

// conversation is an article's approved comments, placed in the thread.
type conversation struct {
	articleID uint
	comments  []models.Interaction // oldest first
	byID      map[uint]*models.Interaction
	owner     map[uint]uint // comment id → our comment listing it in its replies; 0: the article
}

func newConversation(articleID uint, comments []models.Interaction) *conversation {
	c := &conversation{articleID: articleID, comments: comments, byID: map[uint]*models.Interaction{}, owner: map[uint]uint{}}
	for i := range comments {
		c.byID[comments[i].ID] = &comments[i]
	}
	for i := range comments {
		in := &comments[i]
		if in.ParentID == nil || *in.ParentID == in.ID {
			continue
		}
		if p := c.byID[*in.ParentID]; p != nil && CommentIsOurs(p) {
			c.owner[in.ID] = p.ID
		}
	}
	return c
}

// loadConversations loads the conversations of articles in one query.
func (s *Service) loadConversations(ctx context.Context, articleIDs ...uint) (map[uint]*conversation, error) {
	rows, err := s.store.ConversationComments(ctx, articleIDs)
	if err != nil {
		return nil, err
	}
	per := map[uint][]models.Interaction{}
	for _, r := range rows {
		per[r.ArticleID] = append(per[r.ArticleID], r)
	}
	out := make(map[uint]*conversation, len(articleIDs))
	for _, id := range articleIDs {
		out[id] = newConversation(id, per[id])
	}
	return out, nil
}

func (s *Service) loadConversation(ctx context.Context, articleID uint) (*conversation, error) {
	m, err := s.loadConversations(ctx, articleID)
	if err != nil {
		return nil, err
	}
	return m[articleID], nil
}

// replies lists the object ids in the replies of the article (of == 0) or
// of one of our comments.
func (s *Service) replyIDs(c *conversation, of uint) []any {
	var items []any
	for i := range c.comments {
		if c.owner[c.comments[i].ID] == of {
			items = append(items, s.commentObjectID(&c.comments[i]))
		}
	}
	return items
}

// contextIDs lists the article and every comment.
func (s *Service) contextIDs(c *conversation) []any {
	items := make([]any, 0, len(c.comments)+1)
	items = append(items, s.cfg.URLs.Article(c.articleID))
	for i := range c.comments {
		items = append(items, s.commentObjectID(&c.comments[i]))
	}
	return items
}

// itemsPage is page n (from 1) of a list served in pages of RepliesPageSize.
func itemsPage(id string, n int, items []any) (Doc, error) {
	total := int64(len(items))
	if err := checkPage(id, n, total, RepliesPageSize); err != nil || n == 0 {
		return nil, fmt.Errorf("%s page %d: %w", id, n, models.ErrNotFound)
	}
	from := min((n-1)*RepliesPageSize, len(items))
	to := min(from+RepliesPageSize, len(items))
	return collectionPage(id, n, total, RepliesPageSize, items[from:to])
}

// itemsHead is a collection's head with its first page embedded, as
// Mastodon serves `replies`: a reader gets the first items without a
// second request and the `next` page from it.
func itemsHead(id string, items []any, extra Doc) (Doc, error) {
	c := streams.NewActivityStreamsOrderedCollection()
	c.SetJSONLDId(idProp(id))
	c.SetActivityStreamsTotalItems(totalItemsProp(len(items)))
	m, err := finish(c)
	if err != nil {
		return nil, err
	}
	first, err := itemsPage(id, 1, items)
	if err != nil {
		return nil, err
	}
	delete(first, "@context")
	m["first"] = first
	for k, v := range extra {
		m[k] = v
	}
	return m, nil
}

// embedded strips a document's @context for use inside another.
func embedded(d Doc, err error) (Doc, error) {
	if err != nil {
		return nil, err
	}
	delete(d, "@context")
	return d, nil
}

// conversationCollection serves the replies (of == 0: the article's; else
// a comment's) or the context collection: page 0 is the head.
func (s *Service) conversationCollection(c *conversation, a *models.Article, name string, of uint, page int) (Doc, error) {
	u := s.cfg.URLs
	var (
		id    string
		items []any
		extra Doc
	)
	switch {
	case name == CollectionContext:
		id, items = u.ArticleCollection(a.ID, CollectionContext), s.contextIDs(c)
		extra = Doc{"attributedTo": u.Actor(a.Author.Username)}
	case of == 0:
		id, items = u.ArticleCollection(a.ID, CollectionReplies), s.replyIDs(c, 0)
	default:
		id, items = u.CommentReplies(of), s.replyIDs(c, of)
	}
	if page == 0 {
		return itemsHead(id, items, extra)
	}
	return itemsPage(id, page, items)
}

// CommentReplies is GET /comments/{id}/replies[?page=N]: the comments
// answering one of our comment objects. Comments that are not ours, or not
// public, have none here (models.ErrNotFound).
func (s *Service) CommentReplies(ctx context.Context, a *models.Article, commentID uint, page int) (Doc, error) {
	c, err := s.loadConversation(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	in := c.byID[commentID]
	if in == nil || !CommentIsOurs(in) {
		return nil, fmt.Errorf("replies of comment %d: %w", commentID, models.ErrNotFound)
	}
	return s.conversationCollection(c, a, CollectionReplies, commentID, page)
}

// commentRepliesDoc is the `replies` embedded in one of our comment objects.
func (s *Service) commentRepliesDoc(ctx context.Context, in *models.Interaction, a *models.Article) (Doc, error) {
	c, err := s.loadConversation(ctx, in.ArticleID)
	if err != nil {
		return nil, err
	}
	return embedded(s.conversationCollection(c, a, CollectionReplies, in.ID, 0))
}

// inReplyToOf is the object a comment answers: its parent's id when the
// parent is public, else the article.
func (s *Service) inReplyToOf(ctx context.Context, in *models.Interaction) (string, error) {
	if in.ParentID == nil {
		return s.cfg.URLs.Article(in.ArticleID), nil
	}
	p, err := s.store.InteractionByID(ctx, *in.ParentID)
	if models.ErrIsNotFound(err) {
		return s.cfg.URLs.Article(in.ArticleID), nil
	}
	if err != nil {
		return "", fmt.Errorf("comment %d parent: %w", in.ID, err)
	}
	if p.Kind != models.KindComment || p.Status != models.StatusApproved {
		return s.cfg.URLs.Article(in.ArticleID), nil
	}
	return s.commentObjectID(p), nil
}

// CommentNote is GET /comments/{id} for AS2 clients: the ActivityPub
// object of one of our comments. An author's answer is their Note; a
// visitor's comment (web form, WordPress import) is a Note of the blog
// actor quoting the visitor's name, since a visitor has no actor of their
// own (one imported from an author's WordPress account is that author's).
// The comment must be approved on a visible article (models.ErrNotFound).
func (s *Service) CommentNote(ctx context.Context, id uint) (Doc, error) {
	in, err := s.store.InteractionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if in.Kind != models.KindComment || in.Status != models.StatusApproved || !CommentIsOurs(in) {
		return nil, fmt.Errorf("comment %d has no object of ours: %w", id, models.ErrNotFound)
	}
	if in.Source == models.SourceLocal && in.LocalAuthorID != nil {
		return s.LocalReplyNote(ctx, id)
	}
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.store.ArticleByID(ctx, in.ArticleID)
	if err != nil {
		return nil, fmt.Errorf("comment %d article: %w", id, err)
	}
	if a.Author.ID == 0 {
		au, err := s.store.AuthorByID(ctx, a.AuthorID)
		if err != nil {
			return nil, fmt.Errorf("comment %d article author: %w", id, err)
		}
		a.Author = *au
	}
	inReplyTo, err := s.inReplyToOf(ctx, in)
	if err != nil {
		return nil, err
	}
	replies, err := s.commentRepliesDoc(ctx, in, a)
	if err != nil {
		return nil, err
	}
	u := s.cfg.URLs
	speaker := blogActorName(st)
	content := web.AbsoluteURLs(in.Content, u.Base.String())
	if in.LocalAuthor != nil {
		speaker = in.LocalAuthor.Username
	} else {
		name := html.EscapeString(in.AuthorName)
		if name == "" {
			name = "Anonymous"
		}
		if href, ok := web.HTTPURL(in.AuthorURL); ok {
			name = `<a href="` + html.EscapeString(href) + `" rel="nofollow ugc">` + name + `</a>`
		}
		content = "<p>Comment by " + name + ":</p>" + content
	}
	n := streams.NewActivityStreamsNote()
	n.SetJSONLDId(idProp(u.Comment(in.ID)))
	n.SetActivityStreamsAttributedTo(attributedToProp(u.Actor(speaker)))
	irt := streams.NewActivityStreamsInReplyToProperty()
	irt.AppendIRI(iri(inReplyTo))
	n.SetActivityStreamsInReplyTo(irt)
	n.SetActivityStreamsContent(contentProp(content))
	n.SetActivityStreamsTo(toProp(PublicCollection))
	n.SetActivityStreamsCc(ccProp(u.Followers(speaker)))
	n.SetActivityStreamsPublished(publishedProp(in.PublishedAt))
	if in.EditedAt != nil {
		n.SetActivityStreamsUpdated(updatedProp(*in.EditedAt))
	}
	n.SetActivityStreamsUrl(urlProp(u.Abs(a.Permalink()) + "#comment-" + strconv.FormatUint(uint64(in.ID), 10)))
	m, err := nested(n)
	if err != nil {
		return nil, fmt.Errorf("comment %d: %w", in.ID, err)
	}
	if lang := articleLanguage(st, a); lang != "" {
		m["contentMap"] = map[string]any{lang: content}
	}
	m["context"] = u.ArticleCollection(a.ID, CollectionContext)
	m["replies"] = replies
	m["tag"] = []any{}
	m["attachment"] = []any{}
	m["sensitive"] = false
	m["@context"] = ldContext()
	return m, nil
}

// CommentTombstone is what one of our comment objects answers once gone.
func (s *Service) CommentTombstone(in *models.Interaction) (Doc, error) {
	at := in.UpdatedAt
	m, err := s.tombstone(s.cfg.URLs.Comment(in.ID), "Note", &at)
	if err != nil {
		return nil, err
	}
	m["@context"] = ldContext()
	return m, nil
}
