package federation

import (
	"context"
	"fmt"
	"time"

	"fedpress/models"
)

// ReplySaved federates an author's reply to a comment: Create{Note} the
// first time, Update{Note} once edited (EditedAt set). It goes to the
// mentioned actor and to the author's followers; replies to articles not
// visible, or not approved, stay local.
func (s *Service) ReplySaved(ctx context.Context, interactionID uint) error {
	rc, err := s.loadReply(ctx, interactionID)
	if err != nil {
		return fmt.Errorf("federate reply %d: %w", interactionID, err)
	}
	if rc.in.Status != models.StatusApproved || rc.article.Imported || !rc.article.IsVisible(s.now()) {
		return nil
	}
	note, err := s.buildReplyNote(rc)
	if err != nil {
		return err
	}
	if note["replies"], err = s.commentRepliesDoc(ctx, rc.in, rc.article); err != nil {
		return err
	}
	to, cc := s.replyAudience(rc)
	typ, id, at := "Create", s.cfg.URLs.Activity(KindCreateReply, rc.in.ID, version(rc.in.PublishedAt)), rc.in.PublishedAt
	if rc.in.EditedAt != nil {
		typ, id, at = "Update", s.cfg.URLs.Activity(KindUpdateReply, rc.in.ID, version(*rc.in.EditedAt)), *rc.in.EditedAt
	}
	act, err := activity(typ, id, s.cfg.URLs.Actor(rc.author.Username), note, to, cc, at)
	if err != nil {
		return err
	}
	inboxes, err := s.replyInboxes(ctx, rc)
	if err != nil {
		return err
	}
	return s.enqueueDoc(ctx, act, rc.author.Username, inboxes, &Outgoing{ArticleID: &rc.in.ArticleID, InteractionID: &rc.in.ID})
}

// ReplyDeleted federates Delete{Tombstone} for an author's reply that was
// federated before. Call it after marking the interaction deleted.
func (s *Service) ReplyDeleted(ctx context.Context, interactionID uint) error {
	rc, err := s.loadReply(ctx, interactionID)
	if err != nil {
		return fmt.Errorf("federate deletion of reply %d: %w", interactionID, err)
	}
	sent, err := s.store.HasDeliveries(ctx, rc.in.ID)
	if err != nil || !sent {
		return err
	}
	out, err := s.replyRetraction(ctx, rc, rc.in.UpdatedAt)
	if err != nil {
		return err
	}
	return s.Enqueue(ctx, nil, out)
}

// replyRetraction is the Delete{Tombstone} of an author's answer, dated at,
// to everyone its Create went to.
func (s *Service) replyRetraction(ctx context.Context, rc *replyContext, at time.Time) (Outgoing, error) {
	ts, err := s.tombstone(s.cfg.URLs.Comment(rc.in.ID), "Note", &at)
	if err != nil {
		return Outgoing{}, err
	}
	to, cc := s.replyAudience(rc)
	act, err := activity("Delete", s.cfg.URLs.Activity(KindDeleteReply, rc.in.ID, version(at)),
		s.cfg.URLs.Actor(rc.author.Username), ts, to, cc, at)
	if err != nil {
		return Outgoing{}, err
	}
	body, err := MarshalDoc(act)
	if err != nil {
		return Outgoing{}, err
	}
	inboxes, err := s.replyInboxes(ctx, rc)
	if err != nil {
		return Outgoing{}, err
	}
	return Outgoing{ActivityID: docID(act), Kind: activityDelete, Body: body, SignAs: rc.author.Username,
		Inboxes: inboxes, ArticleID: &rc.in.ArticleID, InteractionID: &rc.in.ID}, nil
}

// articleReplyRetractions are the Deletes of the authors' answers on an
// article that went out (an answer never federated needs none), for the
// article's retraction: they hang on it and go with it.
func (s *Service) articleReplyRetractions(ctx context.Context, a *models.Article, at time.Time) ([]Outgoing, error) {
	ids, err := s.store.LocalReplyIDs(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	var out []Outgoing
	for _, id := range ids {
		sent, err := s.store.HasDeliveries(ctx, id)
		if err != nil {
			return nil, err
		}
		if !sent {
			continue
		}
		rc, err := s.loadReply(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("retract reply %d: %w", id, err)
		}
		o, err := s.replyRetraction(ctx, rc, at)
		if err != nil {
			return nil, fmt.Errorf("retract reply %d: %w", id, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// replyInboxes: the author's and the blog's followers (shared inboxes) and the mentioned
// actor, whose personal inbox is used unless their server's shared inbox
// already gets it.
func (s *Service) replyInboxes(ctx context.Context, rc *replyContext) ([]string, error) {
	// As Mastodon does for a public reply: the mentioned actor plus the
	// followers (here the author's and the blog's, which carry the article).
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return nil, fmt.Errorf("reply %d recipients: %w", rc.in.ID, err)
	}
	inboxes, err := s.store.FollowerInboxes(ctx, rc.author.Username, st.BlogUsername)
	if err != nil {
		return nil, fmt.Errorf("reply %d recipients: %w", rc.in.ID, err)
	}
	if m := rc.mention; m != nil {
		covered := false
		for _, in := range inboxes {
			if m.SharedInbox != "" && in == m.SharedInbox {
				covered = true
				break
			}
		}
		if !covered {
			target := m.Inbox
			if target == "" {
				target = m.SharedInbox
			}
			if target != "" {
				inboxes = append(inboxes, target)
			}
		}
	}
	return inboxes, nil
}
