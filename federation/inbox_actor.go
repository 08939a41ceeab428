package federation

import (
	"context"
	"slices"
	"strings"
)

// inboxDeleteActor forgets an actor that deleted itself (Delete whose
// object is the actor): its follows, its interactions (kept as deleted rows
// without content or name) and its cached profile.
func (s *Service) inboxDeleteActor(ctx context.Context, run *inboxRun) (string, error) {
	known, err := s.store.DeleteRemoteActorData(ctx, run.act.Actor)
	if err != nil {
		return "", err
	}
	return appliedIf(known), nil
}

// inboxMove transfers followers to the account an actor moved to, when
// that account names the old one in alsoKnownAs (so nobody can claim
// another's followers). Mastodon's moved account then sends its own
// Follow; no Accept is sent for the transfer.
func (s *Service) inboxMove(ctx context.Context, run *inboxRun) (string, error) {
	if run.act.objectID() != run.act.Actor {
		return outcomeIgnored, nil
	}
	target := idOf(run.act.Target)
	if !isHTTPURL(target) || target == run.act.Actor {
		return outcomeIgnored, nil
	}
	if run.blockFor(target, "") != nil {
		return outcomeBlocked, nil
	}
	if run.budget <= 0 {
		return outcomeIgnored, nil
	}
	run.budget--
	if run.fetcher == nil {
		run.fetcher = s.newFetcher(ctx)
	}
	// Always fresh: alsoKnownAs is what authorises the move.
	moved, err := s.fetchActorWith(ctx, run.fetcher, target, "")
	if err != nil {
		return "", err
	}
	if !slices.Contains(strings.Split(moved.AlsoKnownAs, "\n"), run.act.Actor) {
		s.log.Warn("inbox: Move to an account that does not name the old one", "from", run.act.Actor, "to", target)
		return outcomeIgnored, nil
	}
	n, err := s.store.TransferFollowers(ctx, run.actor.ID, moved.ID)
	if err != nil {
		return "", err
	}
	if err := s.store.SetActorMovedTo(ctx, run.actor.ID, moved.URI); err != nil {
		return "", err
	}
	s.log.Info("inbox: followers moved", "from", run.act.Actor, "to", moved.URI, "count", n)
	return outcomeApplied, nil
}
