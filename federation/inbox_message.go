package federation

import (
	"context"

	"fedpress/models"
)

// acceptMessage keeps a direct message: a non-public note that answers
// nothing of ours but names one of our actors (the blog actor or an
// author) in its to or cc. It is stored as a private comment on no article
// (ArticleID 0), which only the admin area's Messages shows. handled is
// false for any other note: a followers-only post that reached us through
// a follow without naming us is not a message to us.
func (s *Service) acceptMessage(ctx context.Context, run *inboxRun, note *inNote) (outcome string, handled bool, err error) {
	if vis := visibility(note.To, note.Cc, run.actor.Followers); vis == "public" || vis == "unlisted" {
		return "", false, nil
	}
	addressee := ""
	for _, uri := range append(append([]string{}, note.To...), note.Cc...) {
		name, err := s.localUsernameOf(ctx, uri, run.batch.settings)
		if err != nil {
			return "", false, err
		}
		if addressee = name; addressee != "" {
			break
		}
	}
	if addressee == "" {
		return "", false, nil
	}
	in, err := s.commentFrom(ctx, run, note, run.actor, 0, nil)
	if err != nil {
		return "", false, err
	}
	in.LocalActor = addressee
	in.ActivityURI = run.act.ID
	created, err := s.store.CreateInteraction(ctx, in)
	if err != nil {
		return "", false, err
	}
	return appliedIf(created), true, nil
}

// messageStatus is where a comment lands in a conversation that belongs to
// no article (a direct message and the answers to it): never anywhere
// public, whatever its own addressing says.
func messageStatus(articleID uint, status string) string {
	if articleID == 0 && status != models.StatusHidden {
		return models.StatusPrivate
	}
	return status
}
