package federation

import (
	"context"
	"fmt"

	"fedpress/models"
)

// Quote posts as Mastodon 4.5 does them (FEP-044f). Our articles say that
// anyone may quote them (interactionPolicy.canQuote, automatic approval for
// the public). A server quoting one sends a QuoteRequest naming the
// article (object) and the quoting post (instrument); the article's author
// answers Accept with a QuoteAuthorization stamp as result, which we serve
// at its id (GET /quote_authorizations/{id}) for the quoting post's
// readers' servers to check. Removing the quote in the admin area revokes
// it: Delete of the stamp, whose id then answers 410. The quote itself
// shows among the pingbacks like any other.

// Activity kinds of the quote flow (ids /activities/{kind}/{interaction}/{version}).
const (
	KindAcceptQuote = "accept-quote"
	KindRejectQuote = "reject-quote"
	KindDeleteQuote = "delete-quote"
)

// quotePolicy is the interactionPolicy of our articles: the public may
// quote them, approved at once.
func quotePolicy() Doc {
	return Doc{"canQuote": Doc{"automaticApproval": []any{PublicCollection}, "manualApproval": []any{}}}
}

// inboxQuoteRequest answers a QuoteRequest for one of our visible articles.
// The quoting post (instrument, embedded or fetched from its origin, which
// must be the requester's) must be the requester's and quote the article;
// it is stored as a quote (a private one when it is not public, so its
// stamp can still be served and revoked). A quote the blog refused
// (spam, removed, hidden by a block) gets Reject; others Accept.
func (s *Service) inboxQuoteRequest(ctx context.Context, run *inboxRun) (string, error) {
	a, err := s.articleOf(ctx, run, run.act.objectID())
	if err != nil || a == nil {
		return outcomeIgnored, err
	}
	instrument := run.act.raw["instrument"]
	instrID := idOf(instrument)
	if instrID == "" || !sameHost(instrID, run.act.Actor) {
		return outcomeIgnored, permanent(fmt.Errorf("QuoteRequest %s: instrument %q is not on the requester's host", run.act.ID, instrID))
	}
	obj := asMap(first(instrument))
	if obj == nil || idOf(obj) != instrID || typeOf(obj) == "" {
		// Named only: a quote we have needs no fetch (a request sent again).
		in, err := s.store.InteractionByObjectURI(ctx, instrID)
		if err == nil && in.Kind == models.KindQuote && in.ArticleID == a.ID && in.RemoteActorID != nil && *in.RemoteActorID == run.actor.ID {
			return s.answerQuote(ctx, run, a, in)
		}
		if err != nil && !models.ErrIsNotFound(err) {
			return "", err
		}
		if obj, err = s.runFetch(ctx, run, instrID); err != nil {
			return "", fmt.Errorf("fetch instrument of %s: %w", run.act.ID, err)
		}
	}
	note, ok, err := s.authoredNote(obj, run.act.Actor)
	if !ok {
		return outcomeIgnored, err
	}
	quotes := false
	for _, q := range note.Quotes {
		if qa, err := s.articleOf(ctx, run, q); err != nil {
			return "", err
		} else if qa != nil && qa.ID == a.ID {
			quotes = true
			break
		}
	}
	if !quotes {
		s.log.Warn("inbox: QuoteRequest whose post does not quote the article", "activity", run.act.ID, "post", note.ID, "article", a.ID)
		return outcomeIgnored, nil
	}
	in, _, err := s.storeQuote(ctx, run, note, a, visibility(note.To, note.Cc, run.actor.Followers))
	if err != nil {
		return "", err
	}
	if in.Kind != models.KindQuote || in.ArticleID != a.ID {
		return outcomeIgnored, nil // that post is stored as something else
	}
	return s.answerQuote(ctx, run, a, in)
}

// answerQuote stamps a stored quote and accepts the request, or rejects it
// when the blog refused the quote.
func (s *Service) answerQuote(ctx context.Context, run *inboxRun, a *models.Article, in *models.Interaction) (string, error) {
	if !stampable(in.Status) {
		return outcomeApplied, s.answerQuoteRequest(ctx, run, a, in, "Reject", KindRejectQuote)
	}
	if err := s.store.StampQuote(ctx, in.ID, s.now()); err != nil {
		return "", err
	}
	return outcomeApplied, s.answerQuoteRequest(ctx, run, a, in, "Accept", KindAcceptQuote)
}

// stampable: the quote statuses under which its stamp stands.
func stampable(status string) bool {
	switch status {
	case models.StatusApproved, models.StatusPending, models.StatusPrivate:
		return true
	}
	return false
}

// answerQuoteRequest queues the author's Accept (with the stamp as result)
// or Reject of the request, embedding it as Mastodon does, to the
// requester's inbox.
func (s *Service) answerQuoteRequest(ctx context.Context, run *inboxRun, a *models.Article, in *models.Interaction, typ, kind string) error {
	u := s.cfg.URLs
	req := Doc{"id": run.act.ID, "type": "QuoteRequest", "actor": run.act.Actor, "object": run.act.objectID(), "instrument": *in.ObjectURI}
	at := s.now()
	act, err := activity(typ, u.Activity(kind, in.ID, version(at)), u.Actor(a.Author.Username), req, []string{run.actor.URI}, nil, at)
	if err != nil {
		return err
	}
	if typ == "Accept" {
		act["result"] = u.QuoteAuthorization(in.ID)
	}
	inbox := run.actor.Inbox
	if inbox == "" {
		inbox = run.actor.SharedInbox
	}
	if inbox == "" {
		return permanent(fmt.Errorf("answer %s: %s has no inbox", run.act.ID, run.actor.URI))
	}
	return s.enqueueDoc(ctx, act, a.Author.Username, []string{inbox}, &Outgoing{ArticleID: &a.ID, InteractionID: &in.ID})
}

// QuoteAuthorization is GET /quote_authorizations/{id}: the stamp while it
// stands; a Tombstone and gone=true once revoked (the quote removed or
// marked spam) or its article is no longer visible; models.ErrNotFound for
// quotes never stamped.
func (s *Service) QuoteAuthorization(ctx context.Context, id uint) (doc Doc, gone bool, err error) {
	in, err := s.store.InteractionByID(ctx, id)
	if err != nil {
		return nil, false, err
	}
	if in.Kind != models.KindQuote || in.StampedAt == nil || in.ObjectURI == nil {
		return nil, false, fmt.Errorf("quote authorization %d: %w", id, models.ErrNotFound)
	}
	a, err := s.store.ArticleByID(ctx, in.ArticleID)
	if err != nil {
		return nil, false, fmt.Errorf("quote authorization %d: %w", id, err)
	}
	u := s.cfg.URLs
	if !stampable(in.Status) || a.DeletedAt != nil || !a.IsVisible(s.now()) {
		at := in.UpdatedAt
		ts, err := s.tombstone(u.QuoteAuthorization(in.ID), "QuoteAuthorization", &at)
		if err != nil {
			return nil, false, err
		}
		ts["@context"] = ldContext()
		return ts, true, nil
	}
	return Doc{
		"@context":          ldContext(),
		"id":                u.QuoteAuthorization(in.ID),
		"type":              "QuoteAuthorization",
		"attributedTo":      u.Actor(a.Author.Username),
		"interactingObject": *in.ObjectURI,
		"interactionTarget": u.Article(a.ID),
	}, false, nil
}

// QuoteRevoked federates the revocation of a quote's stamp after the quote
// was removed or marked spam: the author's Delete of the stamp, to the
// quoting account and to the followers' servers, which may show the quote.
// Quotes never stamped need nothing.
func (s *Service) QuoteRevoked(ctx context.Context, interactionID uint) error {
	in, err := s.store.InteractionByID(ctx, interactionID)
	if err != nil {
		return fmt.Errorf("revoke quote %d: %w", interactionID, err)
	}
	if in.Kind != models.KindQuote || in.StampedAt == nil {
		return nil
	}
	a, err := s.store.ArticleByID(ctx, in.ArticleID)
	if err != nil {
		return fmt.Errorf("revoke quote %d: %w", interactionID, err)
	}
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return err
	}
	inboxes, err := s.store.FollowerInboxes(ctx, a.Author.Username, blogActorName(st))
	if err != nil {
		return fmt.Errorf("revoke quote %d: %w", interactionID, err)
	}
	var cc []string
	if ra := in.RemoteActor; ra != nil {
		cc = append(cc, ra.URI)
		if ra.Inbox != "" {
			inboxes = append(inboxes, ra.Inbox)
		} else if ra.SharedInbox != "" {
			inboxes = append(inboxes, ra.SharedInbox)
		}
	}
	u := s.cfg.URLs
	at := s.now()
	del, err := activity("Delete", u.Activity(KindDeleteQuote, in.ID, version(at)), u.Actor(a.Author.Username),
		u.QuoteAuthorization(in.ID), []string{PublicCollection}, cc, at)
	if err != nil {
		return err
	}
	return s.enqueueDoc(ctx, del, a.Author.Username, inboxes, &Outgoing{ArticleID: &a.ID, InteractionID: &in.ID})
}
