package federation

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fedpress/models"
)

// Publishing: what happens to an article becomes one activity, built once,
// queued as one delivery row per distinct inbox. Callers (admin handlers,
// `fedpress post`, the scheduler) call these after the change is committed.

// Kinds of the deliveries table for article activities.
const (
	activityCreate   = "Create"
	activityUpdate   = "Update"
	activityDelete   = "Delete"
	activityAnnounce = "Announce"
)

// ArticleSaved federates an article after it was saved: the first time it
// is visible, Create from its author to the author's followers and, for
// followers of the blog who do not follow the author, Announce from the
// blog actor; afterwards an Update to both. Drafts and scheduled articles
// wait (the scheduler calls this when they go live); imported ones are
// never pushed. An announced article that readers can no longer see (back
// to draft, or rescheduled) is retracted with a Delete.
func (s *Service) ArticleSaved(ctx context.Context, articleID uint) error {
	a, err := s.store.ArticleByID(ctx, articleID)
	if err != nil {
		return fmt.Errorf("federate article %d: %w", articleID, err)
	}
	now := s.now()
	if a.Imported || a.DeletedAt != nil {
		return nil
	}
	// Static pages (About, Contact) are not federated, as WordPress's
	// ActivityPub plugin does by default: they are not news for followers.
	// A post turned into a page is retracted like an unpublished one.
	if !a.IsVisible(now) || a.IsPage() {
		if a.FederatedAt != nil {
			return s.articleUnpublished(ctx, a)
		}
		return nil
	}
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return fmt.Errorf("federate article %d: %w", articleID, err)
	}
	obj, err := s.articleObject(ctx, st, a)
	if err != nil {
		return fmt.Errorf("federate article %d: %w", articleID, err)
	}
	if a.FederatedAt == nil {
		err = s.publishNew(ctx, st, a, obj)
	} else {
		err = s.publishUpdate(ctx, st, a, obj)
	}
	if err != nil {
		return err
	}
	s.queueMentions(ctx, a.ID)
	return nil
}

// queueMentions tells the pages an article links to (Webmention, else
// Pingback) through the delivery queue. A failure is logged, not returned:
// the article itself went out.
func (s *Service) queueMentions(ctx context.Context, articleID uint) {
	if err := s.SendMentions(ctx, articleID); err != nil {
		s.log.Warn("queue webmentions", "article", articleID, "err", err)
	}
}

// publishNew queues Create and Announce, and marks the article federated in
// the same transaction: exactly one process queues them, and a crash
// cannot leave it marked with nothing queued.
func (s *Service) publishNew(ctx context.Context, st *models.Settings, a *models.Article, obj Doc) error {
	create, err := s.createArticle(st, a, obj)
	if err != nil {
		return err
	}
	announce, err := s.announceArticle(st, a)
	if err != nil {
		return err
	}
	// Microseconds: PostgreSQL keeps no more, and the time may name the ids.
	at := s.now().Truncate(time.Microsecond)
	if err := s.renameIfAnnouncedBefore(ctx, a, at, create, announce); err != nil {
		return fmt.Errorf("federate article %d: %w", a.ID, err)
	}
	createBody, err := MarshalDoc(create)
	if err != nil {
		return err
	}
	announceBody, err := MarshalDoc(announce)
	if err != nil {
		return err
	}
	author, blog := a.Author.Username, blogActorName(st)
	targets, err := s.store.FollowerTargets(ctx, author, blog)
	if err != nil {
		return fmt.Errorf("federate article %d: %w", a.ID, err)
	}
	createTo, announceTo := splitAudience(targets, author)
	won := false
	err = s.store.Tx(ctx, func(tx *models.Store) error {
		var err error
		if won, err = tx.MarkFederated(ctx, a.ID, at); err != nil || !won {
			return err
		}
		// A retraction (unpublished earlier) still waiting would undo this.
		if _, err := tx.CancelArticleActivities(ctx, a.ID, []string{activityDelete}, "superseded by publishing again", at); err != nil {
			return err
		}
		if err := s.Enqueue(ctx, tx, Outgoing{ActivityID: docID(create), Kind: activityCreate, Body: createBody,
			SignAs: author, Inboxes: createTo, ArticleID: &a.ID}); err != nil {
			return err
		}
		return s.Enqueue(ctx, tx, Outgoing{ActivityID: docID(announce), Kind: activityAnnounce, Body: announceBody,
			SignAs: "", Inboxes: announceTo, ArticleID: &a.ID})
	})
	if err != nil {
		return fmt.Errorf("federate article %d: %w", a.ID, err)
	}
	if won {
		s.wake() // the rows are committed only now
		s.log.Info("article federated", "article", a.ID, "create_inboxes", len(createTo), "announce_inboxes", len(announceTo))
	}
	return nil
}

// splitAudience decides who gets what when an article first goes out. The
// author's followers get the Create; followers of the blog who do not follow
// the author get the blog actor's Announce (Mastodon would drop a Create
// from an account nobody there follows, see announceArticle). A remote
// actor following both gets the Create only: one delivery, one post. Each
// list is deduplicated by inbox, shared inboxes first.
func splitAudience(targets []models.FollowerTarget, author string) (createTo, announceTo []string) {
	followsAuthor := map[uint]bool{}
	for _, t := range targets {
		if strings.EqualFold(t.LocalUsername, author) {
			followsAuthor[t.RemoteActorID] = true
		}
	}
	seenC, seenA := map[string]bool{}, map[string]bool{}
	for _, t := range targets {
		switch {
		case followsAuthor[t.RemoteActorID]:
			if !seenC[t.Inbox] {
				seenC[t.Inbox] = true
				createTo = append(createTo, t.Inbox)
			}
		case !seenA[t.Inbox]:
			seenA[t.Inbox] = true
			announceTo = append(announceTo, t.Inbox)
		}
	}
	return createTo, announceTo
}

// publishUpdate queues an Update for the article's current state to every
// inbox that may hold it: followers of the author and of the blog,
// deduplicated (servers that got the Announce fetched the article too).
func (s *Service) publishUpdate(ctx context.Context, st *models.Settings, a *models.Article, obj Doc) error {
	upd, err := s.updateArticle(st, a, obj)
	if err != nil {
		return err
	}
	body, err := MarshalDoc(upd)
	if err != nil {
		return err
	}
	inboxes, err := s.store.FollowerInboxes(ctx, a.Author.Username, blogActorName(st))
	if err != nil {
		return fmt.Errorf("update article %d: %w", a.ID, err)
	}
	return s.Enqueue(ctx, nil, Outgoing{ActivityID: s.UpdateArticleID(a), Kind: activityUpdate, Body: body,
		SignAs: a.Author.Username, Inboxes: inboxes, ArticleID: &a.ID})
}

// ArticleDeleted federates Delete{Tombstone} for a deleted article that had
// been announced, and cancels its activities still waiting in the queue
// (no point delivering a Create after its Delete).
func (s *Service) ArticleDeleted(ctx context.Context, articleID uint) error {
	a, err := s.store.ArticleByID(ctx, articleID)
	if err != nil {
		return fmt.Errorf("federate deletion of article %d: %w", articleID, err)
	}
	// Pages it linked to were told of it; they are told it is gone.
	s.queueMentions(ctx, a.ID)
	if a.Imported {
		return nil
	}
	if a.DeletedAt == nil {
		if a.FederatedAt == nil {
			return nil
		}
		return fmt.Errorf("federate deletion of article %d: it is not deleted", articleID)
	}
	if a.FederatedAt == nil {
		// Never announced, but the authors' answers on it may have gone out.
		replies, err := s.articleReplyRetractions(ctx, a, s.now())
		for _, o := range replies {
			if err == nil {
				err = s.Enqueue(ctx, nil, o)
			}
		}
		if err != nil {
			return fmt.Errorf("federate deletion of article %d: %w", a.ID, err)
		}
		return nil
	}
	if _, err := s.retractArticle(ctx, a, "superseded by Delete", nil); err != nil {
		return fmt.Errorf("federate deletion of article %d: %w", a.ID, err)
	}
	return nil
}

// ProfileUpdated federates Update{Person} after a local actor's profile (an
// author's, or the blog actor's settings) changed. An author's update also
// goes to the blog's followers, who see the author on every article.
func (s *Service) ProfileUpdated(ctx context.Context, username string) error {
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return err
	}
	doc, err := s.ActorDocument(ctx, username, false)
	if err != nil {
		return fmt.Errorf("profile update of %s: %w", username, err)
	}
	// The blog actor (id 0 in activity ids) signs with the blog key ("").
	var (
		id         uint
		at         time.Time
		signAs     string
		recipients = []string{blogActorName(st)}
	)
	if IsBlogActor(st, username) {
		at = st.UpdatedAt
	} else {
		a, err := s.store.AuthorByUsername(ctx, username)
		if err != nil {
			return err
		}
		id, at, signAs = a.ID, a.UpdatedAt, a.Username
		recipients = append(recipients, a.Username)
	}
	inboxes, err := s.store.FollowerInboxes(ctx, recipients...)
	if err != nil {
		return fmt.Errorf("profile update of %s: %w", username, err)
	}
	upd, err := s.updateActor(s.cfg.URLs.Activity(KindUpdateProfile, id, version(at)), doc, at)
	if err != nil {
		return err
	}
	return s.enqueueDoc(ctx, upd, signAs, inboxes, nil)
}

// enqueueDoc encodes an activity once and queues it for inboxes.
func (s *Service) enqueueDoc(ctx context.Context, d Doc, signAs string, inboxes []string, o *Outgoing) error {
	body, err := MarshalDoc(d)
	if err != nil {
		return err
	}
	out := Outgoing{}
	if o != nil {
		out = *o
	}
	out.ActivityID, _ = d["id"].(string)
	out.Kind, _ = d["type"].(string)
	out.Body, out.SignAs, out.Inboxes = body, signAs, inboxes
	return s.Enqueue(ctx, nil, out)
}
