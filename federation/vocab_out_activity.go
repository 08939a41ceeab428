package federation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"fedpress/models"
)

// Activity kinds as they appear in /activities/:kind/:id/:version. The id is
// an article's, an interaction's (replies) or an author's (profile; 0 is the
// blog actor). The version is the unix-nano time of the event in the
// database, so the same event always yields the same id and a re-run of a
// fan-out is absorbed by the deliveries' unique (activity, inbox) index.
const (
	KindCreate        = "create"
	KindUpdate        = "update"
	KindDelete        = "delete"
	KindAnnounce      = "announce"
	KindCreateReply   = "create-reply"
	KindUpdateReply   = "update-reply"
	KindDeleteReply   = "delete-reply"
	KindUpdateProfile = "update-profile"
)

// activitySetter is what every go-fed activity type we send offers.
type activitySetter interface {
	vocab.Type
	SetJSONLDId(vocab.JSONLDIdProperty)
	SetActivityStreamsActor(vocab.ActivityStreamsActorProperty)
	SetActivityStreamsObject(vocab.ActivityStreamsObjectProperty)
	SetActivityStreamsTo(vocab.ActivityStreamsToProperty)
	SetActivityStreamsCc(vocab.ActivityStreamsCcProperty)
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
}

// activity builds a top-level activity. object is either an IRI string or a
// nested Doc, which replaces the IRI placeholder after serialization (the
// nested doc was post-processed already; go-fed must not touch it again).
func activity(typ, id, actor string, object any, to, cc []string, published time.Time) (Doc, error) {
	var a activitySetter
	switch typ {
	case "Create":
		a = streams.NewActivityStreamsCreate()
	case "Update":
		a = streams.NewActivityStreamsUpdate()
	case "Delete":
		a = streams.NewActivityStreamsDelete()
	case "Announce":
		a = streams.NewActivityStreamsAnnounce()
	case "Accept":
		a = streams.NewActivityStreamsAccept()
	case "Reject":
		a = streams.NewActivityStreamsReject()
	default:
		return nil, fmt.Errorf("build activity: unsupported type %q", typ)
	}
	a.SetJSONLDId(idProp(id))
	a.SetActivityStreamsActor(actorProp(actor))
	op := streams.NewActivityStreamsObjectProperty()
	objID, _ := object.(string)
	if d, ok := object.(Doc); ok {
		objID, _ = d["id"].(string)
	}
	op.AppendIRI(iri(objID))
	a.SetActivityStreamsObject(op)
	if len(to) > 0 {
		a.SetActivityStreamsTo(toProp(to...))
	}
	if len(cc) > 0 {
		a.SetActivityStreamsCc(ccProp(cc...))
	}
	if !published.IsZero() {
		a.SetActivityStreamsPublished(publishedProp(published))
	}
	m, err := finish(a)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", typ, id, err)
	}
	if d, ok := object.(Doc); ok {
		delete(d, "@context")
		m["object"] = d
	}
	return m, nil
}

// version is an event time as it appears in activity ids.
func version(t time.Time) int64 { return t.UnixNano() }

// articlePublished is when an article went (or goes) live.
func articlePublished(a *models.Article) time.Time {
	if a.PublishedAt != nil {
		return *a.PublishedAt
	}
	return a.CreatedAt
}

// CreateArticleID is the id of the Create announcing an article.
func (s *Service) CreateArticleID(a *models.Article) string {
	return s.cfg.URLs.Activity(KindCreate, a.ID, version(articlePublished(a)))
}

// AnnounceArticleID is the id of the blog actor's Announce of an article.
func (s *Service) AnnounceArticleID(a *models.Article) string {
	return s.cfg.URLs.Activity(KindAnnounce, a.ID, version(articlePublished(a)))
}

// UpdateArticleID is the id of the Update for the article's current state.
func (s *Service) UpdateArticleID(a *models.Article) string {
	return s.cfg.URLs.Activity(KindUpdate, a.ID, version(a.UpdatedAt))
}

// DeleteArticleID is the id of the Delete of a deleted article.
func (s *Service) DeleteArticleID(a *models.Article) string {
	at := a.UpdatedAt
	if a.DeletedAt != nil {
		at = *a.DeletedAt
	}
	return s.cfg.URLs.Activity(KindDelete, a.ID, version(at))
}

// createArticle wraps an article object in its Create, from the author.
func (s *Service) createArticle(st *models.Settings, a *models.Article, obj Doc) (Doc, error) {
	to, cc := s.articleAudience(st, a)
	return activity("Create", s.CreateArticleID(a), s.cfg.URLs.Actor(a.Author.Username), obj, to, cc, articlePublished(a))
}

// updateArticle wraps the article's current object in an Update.
func (s *Service) updateArticle(st *models.Settings, a *models.Article, obj Doc) (Doc, error) {
	// Mastodon applies an Update only if the object's "updated" is newer
	// than the last one it saw, even for an edit made right after publishing.
	obj["updated"] = asTime(a.UpdatedAt)
	to, cc := s.articleAudience(st, a)
	return activity("Update", s.UpdateArticleID(a), s.cfg.URLs.Actor(a.Author.Username), obj, to, cc, a.UpdatedAt)
}

// announceArticle is the blog actor boosting an article. Mastodon accepts a
// Create only from an account someone on the receiving server follows (or
// that addresses one of its users), and puts it only in the home timelines
// of the author's followers: people who follow just the blog would never
// see articles. An Announce by the account they follow reaches them, as
// WordPress's ActivityPub plugin does for its blog actor.
func (s *Service) announceArticle(st *models.Settings, a *models.Article) (Doc, error) {
	u := s.cfg.URLs
	blog := blogActorName(st)
	return activity("Announce", s.AnnounceArticleID(a), u.Actor(blog), u.Article(a.ID),
		[]string{PublicCollection}, []string{u.Followers(blog), u.Actor(a.Author.Username)}, articlePublished(a))
}

// deleteArticle is the author's Delete of an article, with a Tombstone.
func (s *Service) deleteArticle(st *models.Settings, a *models.Article) (Doc, error) {
	ts, err := s.tombstone(s.cfg.URLs.Article(a.ID), articleType, a.DeletedAt)
	if err != nil {
		return nil, err
	}
	to, cc := s.articleAudience(st, a)
	at := a.UpdatedAt
	if a.DeletedAt != nil {
		at = *a.DeletedAt
	}
	return activity("Delete", s.DeleteArticleID(a), s.cfg.URLs.Actor(a.Author.Username), ts, to, cc, at)
}

// ArticleActivity rebuilds a stored-nowhere activity from the article, for
// GET /activities/:kind/:id/:version: Create and Announce while the article
// is visible, Update for its current version, Delete once deleted. Other
// versions are gone (models.ErrNotFound).
func (s *Service) ArticleActivity(st *models.Settings, a *models.Article, kind string, ver int64, obj Doc, now time.Time) (Doc, error) {
	notFound := fmt.Errorf("activity %s/%d/%d: %w", kind, a.ID, ver, models.ErrNotFound)
	switch kind {
	case KindCreate:
		if a.IsVisible(now) && version(articlePublished(a)) == ver {
			return withContext(s.createArticle(st, a, obj))
		}
	case KindAnnounce:
		if a.IsVisible(now) && version(articlePublished(a)) == ver {
			return withContext(s.announceArticle(st, a))
		}
	case KindUpdate:
		if a.IsVisible(now) && version(a.UpdatedAt) == ver {
			return withContext(s.updateArticle(st, a, obj))
		}
	case KindDelete:
		if a.DeletedAt != nil && version(*a.DeletedAt) == ver {
			return withContext(s.deleteArticle(st, a))
		}
	}
	return nil, notFound
}

func withContext(d Doc, err error) (Doc, error) {
	if err != nil {
		return nil, err
	}
	d["@context"] = ldContext()
	return d, nil
}

// updateActor is an actor announcing its new profile.
func (s *Service) updateActor(id string, actor Doc, at time.Time) (Doc, error) {
	actorID, _ := actor["id"].(string)
	return activity("Update", id, actorID, actor, []string{PublicCollection}, []string{actorID + "/followers"}, at)
}

// followResponse is the Accept or Reject of a Follow, with the Follow
// embedded: Mastodon and GoToSocial match it by id, older servers by
// actor and object.
func (s *Service) followResponse(localActor, followID, followerURI string, reject bool) (Doc, error) {
	typ, frag := "Accept", "#accepts/"
	if reject {
		typ, frag = "Reject", "#rejects/"
	}
	// Stable per Follow: the same Follow answered twice is one activity.
	sum := sha256.Sum256([]byte(followID + "\n" + followerURI))
	id := localActor + frag + hex.EncodeToString(sum[:12])
	follow := Doc{"id": followID, "type": "Follow", "actor": followerURI, "object": localActor}
	if followID == "" {
		delete(follow, "id")
	}
	return activity(typ, id, localActor, follow, []string{followerURI}, nil, time.Time{})
}

// ActivityDocument rebuilds the activity behind /activities/:kind/:id/:ver
// from current data when that version is still the current one; nothing is
// stored as JSON, so older versions answer models.ErrNotFound.
func (s *Service) ActivityDocument(ctx context.Context, kind string, id uint, ver int64) (Doc, error) {
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	notFound := fmt.Errorf("activity %s/%d/%d: %w", kind, id, ver, models.ErrNotFound)
	switch kind {
	case KindCreate, KindAnnounce, KindUpdate, KindDelete:
		a, err := s.store.ArticleByID(ctx, id)
		if err != nil {
			return nil, err
		}
		if a.Imported && kind != KindCreate {
			return nil, notFound
		}
		var obj Doc
		if kind == KindCreate || kind == KindUpdate {
			if !a.IsVisible(s.now()) {
				return nil, notFound
			}
			if obj, err = s.articleObject(ctx, st, a); err != nil {
				return nil, err
			}
		}
		return s.ArticleActivity(st, a, kind, ver, obj, s.now())
	case KindCreateReply, KindUpdateReply:
		rc, err := s.loadReply(ctx, id)
		if err != nil {
			return nil, err
		}
		if rc.in.Status != models.StatusApproved || !rc.article.IsVisible(s.now()) {
			return nil, notFound
		}
		typ, at := "Create", rc.in.PublishedAt
		if kind == KindUpdateReply {
			if rc.in.EditedAt == nil {
				return nil, notFound
			}
			typ, at = "Update", *rc.in.EditedAt
		}
		if version(at) != ver {
			return nil, notFound
		}
		note, err := s.buildReplyNote(rc)
		if err != nil {
			return nil, err
		}
		to, cc := s.replyAudience(rc)
		return withContext(activity(typ, s.cfg.URLs.Activity(kind, id, ver), s.cfg.URLs.Actor(rc.author.Username), note, to, cc, at))
	case KindUpdateProfile:
		var username string
		var at time.Time
		if id == 0 {
			username, at = blogActorName(st), st.UpdatedAt
		} else {
			a, err := s.store.AuthorByID(ctx, id)
			if err != nil {
				return nil, err
			}
			username, at = a.Username, a.UpdatedAt
		}
		if version(at) != ver {
			return nil, notFound
		}
		doc, err := s.ActorDocument(ctx, username, false)
		if err != nil {
			return nil, err
		}
		return withContext(s.updateActor(s.cfg.URLs.Activity(kind, id, ver), doc, at))
	}
	return nil, notFound
}
