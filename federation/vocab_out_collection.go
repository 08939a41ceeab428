package federation

import (
	"context"
	"fmt"

	"github.com/go-fed/activity/streams"

	"fedpress/models"
)

// Page sizes of the paged collections.
const (
	OutboxPageSize    = 20
	FollowersPageSize = 40
	featuredMax       = 50
)

// pageURL is the id of page n of a collection.
func pageURL(collection string, n int) string { return fmt.Sprintf("%s?page=%d", collection, n) }

// pageCount is the number of pages of total items (at least 1, so an empty
// collection still has a first page).
func pageCount(total int64, size int) int {
	n := int((total + int64(size) - 1) / int64(size))
	return max(n, 1)
}

// orderedCollection is a paged collection's head: its size and first and
// last pages, no items (crawlers fetch pages).
func orderedCollection(id string, total int64, size int) (Doc, error) {
	c := streams.NewActivityStreamsOrderedCollection()
	c.SetJSONLDId(idProp(id))
	c.SetActivityStreamsTotalItems(totalItemsProp(int(total)))
	fp := streams.NewActivityStreamsFirstProperty()
	fp.SetIRI(iri(pageURL(id, 1)))
	c.SetActivityStreamsFirst(fp)
	lp := streams.NewActivityStreamsLastProperty()
	lp.SetIRI(iri(pageURL(id, pageCount(total, size))))
	c.SetActivityStreamsLast(lp)
	return finish(c)
}

// collectionPage is page n of a paged collection. items (ids or nested
// docs) are set after serialization: go-fed would have to re-parse the
// nested docs we already post-processed.
func collectionPage(id string, n int, total int64, size int, items []any) (Doc, error) {
	p := streams.NewActivityStreamsOrderedCollectionPage()
	p.SetJSONLDId(idProp(pageURL(id, n)))
	po := streams.NewActivityStreamsPartOfProperty()
	po.SetIRI(iri(id))
	p.SetActivityStreamsPartOf(po)
	p.SetActivityStreamsTotalItems(totalItemsProp(int(total)))
	if n > 1 {
		pp := streams.NewActivityStreamsPrevProperty()
		pp.SetIRI(iri(pageURL(id, n-1)))
		p.SetActivityStreamsPrev(pp)
	}
	if n < pageCount(total, size) {
		np := streams.NewActivityStreamsNextProperty()
		np.SetIRI(iri(pageURL(id, n+1)))
		p.SetActivityStreamsNext(np)
	}
	m, err := finish(p)
	if err != nil {
		return nil, err
	}
	m["orderedItems"] = nonNil(items)
	return m, nil
}

// itemsCollection is an unpaged OrderedCollection with its items.
func itemsCollection(id string, total int64, items []any, extra Doc) (Doc, error) {
	c := streams.NewActivityStreamsOrderedCollection()
	c.SetJSONLDId(idProp(id))
	c.SetActivityStreamsTotalItems(totalItemsProp(int(total)))
	m, err := finish(c)
	if err != nil {
		return nil, err
	}
	m["orderedItems"] = nonNil(items)
	for k, v := range extra {
		m[k] = v
	}
	return m, nil
}

func nonNil(items []any) []any {
	if items == nil {
		return []any{}
	}
	return items
}

// checkPage turns a page beyond the end into ErrNotFound.
func checkPage(what string, page int, total int64, size int) error {
	if page < 0 || page > pageCount(total, size) {
		return fmt.Errorf("%s page %d: %w", what, page, models.ErrNotFound)
	}
	return nil
}

// Outbox is a local actor's outbox (page 0: the collection head): an
// author's Create of each visible article, newest first, and for the blog
// actor its Announce of every article.
func (s *Service) Outbox(ctx context.Context, username string, page int) (Doc, error) {
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	q := models.ArticleQuery{Now: s.now(), Page: page, PerPage: OutboxPageSize}
	var author *models.Author
	isBlog := IsBlogActor(st, username)
	if !isBlog {
		if author, err = s.store.AuthorByUsername(ctx, username); err != nil {
			return nil, err
		}
		q.AuthorID = author.ID
		username = author.Username
	} else {
		username = blogActorName(st)
	}
	id := s.cfg.URLs.Outbox(username)
	if page == 0 {
		q.Page = 1
		_, total, err := s.store.ListVisible(ctx, models.ArticleQuery{Now: q.Now, AuthorID: q.AuthorID, PerPage: 1, Page: 1})
		if err != nil {
			return nil, err
		}
		return orderedCollection(id, total, OutboxPageSize)
	}
	arts, total, err := s.store.ListVisible(ctx, q)
	if err != nil {
		return nil, err
	}
	if err := checkPage("outbox of "+username, page, total, OutboxPageSize); err != nil {
		return nil, err
	}
	items := make([]any, 0, len(arts))
	if isBlog {
		for i := range arts {
			d, err := s.announceArticle(st, &arts[i])
			if err != nil {
				return nil, err
			}
			delete(d, "@context")
			items = append(items, d)
		}
	} else {
		objs, err := s.articleObjects(ctx, st, arts)
		if err != nil {
			return nil, err
		}
		for i := range arts {
			d, err := s.createArticle(st, &arts[i], objs[i])
			if err != nil {
				return nil, err
			}
			delete(d, "@context")
			items = append(items, d)
		}
	}
	return collectionPage(id, page, total, OutboxPageSize, items)
}

// articleObjects builds many article objects with one count query.
func (s *Service) articleObjects(ctx context.Context, st *models.Settings, arts []models.Article) ([]Doc, error) {
	ids := make([]uint, len(arts))
	for i := range arts {
		ids[i] = arts[i].ID
	}
	counts, err := s.store.ApprovedCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	convs, err := s.loadConversations(ctx, ids...)
	if err != nil {
		return nil, err
	}
	out := make([]Doc, len(arts))
	for i := range arts {
		c := counts[arts[i].ID]
		d, err := s.buildArticle(st, &arts[i], articleCounts{likes: c[models.KindLike], shares: c[models.KindBoost]}, convs[arts[i].ID])
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// localActorName resolves a username to the canonical name of a local actor
// (models.ErrNotFound for others).
func (s *Service) localActorName(ctx context.Context, st *models.Settings, username string) (string, error) {
	if IsBlogActor(st, username) {
		return blogActorName(st), nil
	}
	a, err := s.store.AuthorByUsername(ctx, username)
	if err != nil {
		return "", err
	}
	return a.Username, nil
}

// Followers is a local actor's followers collection: accepted followers'
// ids, newest first (page 0: the head with the count).
func (s *Service) Followers(ctx context.Context, username string, page int) (Doc, error) {
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	if username, err = s.localActorName(ctx, st, username); err != nil {
		return nil, err
	}
	id := s.cfg.URLs.Followers(username)
	total, err := s.store.CountFollowers(ctx, username)
	if err != nil {
		return nil, err
	}
	if page == 0 {
		return orderedCollection(id, total, FollowersPageSize)
	}
	if err := checkPage("followers of "+username, page, total, FollowersPageSize); err != nil {
		return nil, err
	}
	uris, err := s.store.FollowerURIs(ctx, username, (page-1)*FollowersPageSize, FollowersPageSize)
	if err != nil {
		return nil, err
	}
	items := make([]any, len(uris))
	for i, u := range uris {
		items[i] = u
	}
	return collectionPage(id, page, total, FollowersPageSize, items)
}

// Following is empty: local actors follow nobody.
func (s *Service) Following(ctx context.Context, username string) (Doc, error) {
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	if username, err = s.localActorName(ctx, st, username); err != nil {
		return nil, err
	}
	return itemsCollection(s.cfg.URLs.Following(username), 0, nil, nil)
}

// Featured is the pinned articles (Mastodon's "featured" collection), as
// full objects: an author's own, all of them for the blog actor.
func (s *Service) Featured(ctx context.Context, username string) (Doc, error) {
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	q := models.ArticleQuery{Now: s.now(), Page: 1, PerPage: featuredMax, Pinned: true}
	if !IsBlogActor(st, username) {
		a, err := s.store.AuthorByUsername(ctx, username)
		if err != nil {
			return nil, err
		}
		q.AuthorID, username = a.ID, a.Username
	} else {
		username = blogActorName(st)
	}
	arts, _, err := s.store.ListVisible(ctx, q)
	if err != nil {
		return nil, err
	}
	objs, err := s.articleObjects(ctx, st, arts)
	if err != nil {
		return nil, err
	}
	items := make([]any, len(objs))
	for i, o := range objs {
		items[i] = o
	}
	return itemsCollection(s.cfg.URLs.Featured(username), int64(len(items)), items, nil)
}

// commentObjectID is the ActivityPub id of a comment: the remote object's,
// or ours (/comments/{id}) for the authors' answers and visitors' comments.
func (s *Service) commentObjectID(in *models.Interaction) string {
	if !CommentIsOurs(in) {
		return *in.ObjectURI
	}
	return s.cfg.URLs.Comment(in.ID)
}

// ArticleCollection is one of an article's collections (page 0: its head):
// replies and context (the whole conversation, FEP-7888), paged, with the
// first page embedded in the head; likes and shares, counts only, as
// Mastodon serves them.
func (s *Service) ArticleCollection(ctx context.Context, a *models.Article, name string, page int) (Doc, error) {
	u := s.cfg.URLs
	id := u.ArticleCollection(a.ID, name)
	switch name {
	case CollectionLikes, CollectionShares:
		if page != 0 {
			return nil, fmt.Errorf("article collection %q page %d: %w", name, page, models.ErrNotFound)
		}
		kind := models.KindLike
		if name == CollectionShares {
			kind = models.KindBoost
		}
		n, err := s.store.CountApproved(ctx, a.ID, kind)
		if err != nil {
			return nil, err
		}
		c := countedCollection(id, n)
		return finish(c)
	case CollectionReplies, CollectionContext:
		if a.Author.ID == 0 {
			au, err := s.store.AuthorByID(ctx, a.AuthorID)
			if err != nil {
				return nil, err
			}
			a.Author = *au
		}
		conv, err := s.loadConversation(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		return s.conversationCollection(conv, a, name, 0, page)
	}
	return nil, fmt.Errorf("article collection %q: %w", name, models.ErrNotFound)
}
