package federation

import (
	"context"
	"fmt"
)

// AcceptFollow answers a Follow of a local actor (an author or the blog
// actor) with Accept, or Reject when reject is set, signed as that actor
// and queued for followerInbox. The activity id is stable per Follow, so
// processing the same Follow twice queues one answer.
func (s *Service) AcceptFollow(ctx context.Context, localUsername, followID, followerActorURI, followerInbox string, reject bool) error {
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return err
	}
	signAs := localUsername
	if IsBlogActor(st, localUsername) {
		signAs = ""
	} else if _, err := s.store.AuthorByUsername(ctx, localUsername); err != nil {
		return fmt.Errorf("answer follow of %q: %w", localUsername, err)
	}
	d, err := s.followResponse(s.cfg.URLs.Actor(localUsername), followID, followerActorURI, reject)
	if err != nil {
		return err
	}
	if err := s.enqueueDoc(ctx, d, signAs, []string{followerInbox}, nil); err != nil {
		return fmt.Errorf("answer follow %s: %w", followID, err)
	}
	return nil
}
