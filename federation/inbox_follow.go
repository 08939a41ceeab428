package federation

import (
	"context"
	"fmt"
	"time"

	"fedpress/models"
)

// followAnswerEvery is how often a repeated Follow from one follower is
// answered: each Accept is a signed delivery to an inbox the sender names,
// retried for days, so a sender repeating its Follow must not multiply them.
const followAnswerEvery = time.Hour

// inboxFollow records a follow of the blog actor or an author: accepted at
// once (and answered with Accept), or pending when the blog approves
// followers by hand. A repeated Follow keeps the row and, when accepted,
// sends Accept again (the first one may have been lost), at most once per
// followAnswerEvery. A Follow after an Undo is new: the Undo removed the
// row.
func (s *Service) inboxFollow(ctx context.Context, run *inboxRun) (string, error) {
	username, err := s.localUsernameOf(ctx, run.act.objectID(), run.batch.settings)
	if err != nil {
		return "", err
	}
	if username == "" {
		return outcomeIgnored, nil
	}
	status := models.FollowAccepted
	if run.batch.settings.ManuallyApprovesFollowers {
		status = models.FollowPending
	}
	f, _, err := s.store.UpsertFollower(ctx, username, run.actor.ID, run.act.ID, status)
	if err != nil {
		return "", err
	}
	if f.Status != models.FollowAccepted {
		return outcomeApplied, nil
	}
	now := s.now()
	if f.AnsweredAt != nil && now.Sub(*f.AnsweredAt) < followAnswerEvery {
		s.log.Info("inbox: repeated Follow not answered again yet", "follow", run.act.ID, "actor", run.actor.URI, "answered_at", *f.AnsweredAt)
		return outcomeIgnored, nil
	}
	// Queued first, then recorded: a crash between them answers twice,
	// never zero times.
	if err := s.AcceptFollow(ctx, username, run.act.ID, run.actor.URI, run.actor.Inbox, false); err != nil {
		return "", fmt.Errorf("accept follow %s: %w", run.act.ID, err)
	}
	if err := s.store.SetFollowerAnswered(ctx, f.ID, now); err != nil {
		return "", err
	}
	return outcomeApplied, nil
}

// inboxUndo reverses a Follow, Like, EmojiReact or Announce of the same
// actor. The undone activity is found by its id; a Like or Announce sent
// without one is found by actor and object.
func (s *Service) inboxUndo(ctx context.Context, run *inboxRun) (string, error) {
	inner, innerID := run.act.objectMap(), run.act.objectID()
	if inner != nil {
		if a := idOf(inner["actor"]); a != "" && a != run.act.Actor {
			return outcomeIgnored, nil // one cannot undo another's activity
		}
	}
	switch typeOf(inner) {
	case "Follow":
		username, err := s.localUsernameOf(ctx, idOf(inner["object"]), run.batch.settings)
		if err != nil {
			return "", err
		}
		n, err := s.store.RemoveFollows(ctx, run.actor.ID, innerID, username)
		return appliedIf(n > 0), err
	case "Like", "EmojiReact":
		return s.undoReaction(ctx, run, models.KindLike, inner, innerID)
	case "Announce":
		return s.undoReaction(ctx, run, models.KindBoost, inner, innerID)
	case "":
		// Only the id of the undone activity: whichever it was.
		if innerID == "" {
			return outcomeIgnored, nil
		}
		n, err := s.store.DeleteInteractionByObjectURI(ctx, innerID, run.actor.ID)
		if err != nil || n > 0 {
			return outcomeApplied, err
		}
		n, err = s.store.RemoveFollows(ctx, run.actor.ID, innerID, "")
		return appliedIf(n > 0), err
	}
	return outcomeIgnored, nil
}

// undoReaction removes a like, emoji reaction or boost: by the undone
// activity's id, else, for one sent without it, by actor, article and (for
// a reaction) emoji. An emoji reaction is never undone as a plain Like:
// the actor's like beside it must survive.
func (s *Service) undoReaction(ctx context.Context, run *inboxRun, kind string, inner map[string]any, innerID string) (string, error) {
	if innerID != "" {
		n, err := s.store.DeleteInteractionByObjectURI(ctx, innerID, run.actor.ID)
		if err != nil || n > 0 {
			return outcomeApplied, err
		}
	}
	a, err := s.articleOf(ctx, run, idOf(inner["object"]))
	if err != nil || a == nil {
		return outcomeIgnored, err
	}
	var n int64
	if text, _ := reactionOf(inner); text != "" {
		n, err = s.store.DeleteReactionsWith(ctx, run.actor.ID, a.ID, text)
	} else if typeOf(inner) != "EmojiReact" {
		n, err = s.store.DeleteReactions(ctx, kind, run.actor.ID, a.ID)
	}
	return appliedIf(n > 0), err
}

func appliedIf(ok bool) string {
	if ok {
		return outcomeApplied
	}
	return outcomeIgnored
}
