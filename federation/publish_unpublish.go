package federation

import (
	"context"
	"fmt"
	"time"

	"fedpress/models"
)

// Unpublishing: an announced article moved back to draft (or to a future
// date) is retracted with the same Delete as a deletion, sent to everyone
// who may hold it. Its id then answers 404, not 410: it may come back, and
// when it does it is announced again with a new Create. Mastodon keeps a
// tombstone for every object id it saw deleted and refuses a later Create
// of it, so there the article does not come back; servers without
// tombstones (GoToSocial, Fedify-based ones) show it again. The authors'
// answers on it are retracted with it: their ids answer 410 while it is
// away, and they are not sent again when it comes back.

// articleUnpublished retracts an announced article readers can no longer
// see. Only the process that clears FederatedAt queues the Delete.
func (s *Service) articleUnpublished(ctx context.Context, a *models.Article) error {
	won, err := s.retractArticle(ctx, a, "superseded by unpublishing", func(tx *models.Store) (bool, error) {
		return tx.UnmarkFederated(ctx, a.ID, s.now())
	})
	if err != nil {
		return fmt.Errorf("federate unpublishing of article %d: %w", a.ID, err)
	}
	if won {
		s.log.Info("article unpublished: Delete queued", "article", a.ID)
	}
	return nil
}

// retractArticle queues the author's Delete of a to every inbox that may
// hold it (the author's and the blog's followers: servers that got the
// Announce fetched the article), retracts with it everything of ours that
// hangs on it (the authors' federated answers to comments: a Delete each,
// to the audience its Create had; their ids then answer 410), and cancels
// the activities of both still waiting (no point delivering a Create after
// its Delete). claim, when set, runs first in the same transaction and
// may report that another process already did it: then nothing is queued
// and retractArticle reports false.
func (s *Service) retractArticle(ctx context.Context, a *models.Article, reason string, claim func(tx *models.Store) (bool, error)) (bool, error) {
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return false, err
	}
	del, err := s.deleteArticle(st, a)
	if err != nil {
		return false, err
	}
	body, err := MarshalDoc(del)
	if err != nil {
		return false, err
	}
	inboxes, err := s.store.FollowerInboxes(ctx, a.Author.Username, blogActorName(st))
	if err != nil {
		return false, err
	}
	now := s.now()
	replies, err := s.articleReplyRetractions(ctx, a, now)
	if err != nil {
		return false, err
	}
	kinds := []string{activityCreate, activityUpdate, activityAnnounce}
	won := true
	err = s.store.Tx(ctx, func(tx *models.Store) error {
		if claim != nil {
			var err error
			if won, err = claim(tx); err != nil || !won {
				return err
			}
		}
		n, err := tx.CancelArticleDeliveries(ctx, a.ID, kinds, reason, now)
		if err != nil {
			return err
		}
		if n > 0 {
			s.log.Info("cancelled queued deliveries of a retracted article", "article", a.ID, "rows", n)
		}
		for _, o := range replies {
			if err := s.Enqueue(ctx, tx, o); err != nil {
				return err
			}
		}
		return s.Enqueue(ctx, tx, Outgoing{ActivityID: s.DeleteArticleID(a), Kind: activityDelete, Body: body,
			SignAs: a.Author.Username, Inboxes: inboxes, ArticleID: &a.ID})
	})
	if err != nil || !won {
		return false, err
	}
	s.wake() // the rows are committed only now
	return true, nil
}

// renameIfAnnouncedBefore gives the Create and Announce of an article that
// is announced again (after it was unpublished) new ids, named after at, the
// new federation time: our queue, and receivers, drop an activity id they
// already know. A first announcement keeps the ids named after the
// publication date. GET /activities/… knows only those, so a renamed id
// answers 404: nobody we know of fetches a Create it was delivered.
func (s *Service) renameIfAnnouncedBefore(ctx context.Context, a *models.Article, at time.Time, create, announce Doc) error {
	before, err := s.store.ActivityQueued(ctx, docID(create))
	if err != nil || !before {
		return err
	}
	create["id"] = s.cfg.URLs.Activity(KindCreate, a.ID, version(at))
	announce["id"] = s.cfg.URLs.Activity(KindAnnounce, a.ID, version(at))
	return nil
}

// docID is an activity's id.
func docID(d Doc) string {
	id, _ := d["id"].(string)
	return id
}
