package federation

import (
	"context"

	"fedpress/models"
)

// inboxLike records a Like of one of our articles. EmojiReact (Pleroma,
// Akkoma) counts as a like too, but only one per actor and article: those
// servers allow many reactions beside a Like, and the blog shows a like
// count, not reactions. Misskey sends its reactions as Like already.
func (s *Service) inboxLike(ctx context.Context, run *inboxRun) (string, error) {
	a, err := s.articleOf(ctx, run, run.act.objectID())
	if err != nil || a == nil {
		return outcomeIgnored, err
	}
	if run.act.Type == "EmojiReact" {
		has, err := s.store.HasReaction(ctx, models.KindLike, run.actor.ID, a.ID)
		if err != nil || has {
			return outcomeIgnored, err
		}
	}
	return s.storeReaction(ctx, run, models.KindLike, a)
}

// inboxAnnounce records a boost of one of our articles.
func (s *Service) inboxAnnounce(ctx context.Context, run *inboxRun) (string, error) {
	a, err := s.articleOf(ctx, run, run.act.objectID())
	if err != nil || a == nil {
		return outcomeIgnored, err
	}
	return s.storeReaction(ctx, run, models.KindBoost, a)
}

// storeReaction stores a like or boost under the activity's id, which the
// Undo names; a duplicate changes nothing.
func (s *Service) storeReaction(ctx context.Context, run *inboxRun, kind string, a *models.Article) (string, error) {
	id := run.act.ID
	published := parseTime(run.act.raw["published"])
	if published.IsZero() {
		published = s.now()
	}
	in := &models.Interaction{
		ArticleID: a.ID, Kind: kind, Source: models.SourceActivityPub, Status: models.StatusApproved,
		AuthorName: actorDisplayName(run.actor), AuthorURL: actorProfileURL(run.actor),
		RemoteActorID: &run.actor.ID, ObjectURI: &id, ActivityURI: id, URL: actorProfileURL(run.actor),
		InReplyTo: s.cfg.URLs.Article(a.ID), Visibility: visibility(run.act.To, run.act.Cc, run.actor.Followers),
		PublishedAt: published,
	}
	created, err := s.store.CreateInteraction(ctx, in)
	return appliedIf(created), err
}
