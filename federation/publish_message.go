package federation

import (
	"context"
	"fmt"

	"github.com/go-fed/activity/streams"

	"fedpress/models"
	"fedpress/web"
)

// MessageAnswerSaved federates an author's private answer to a message
// (a direct or followers-only note): Create{Note} from the author, addressed
// only to the message's sender (to: sender, a Mention, no public or
// followers collection), in reply to the message, queued for the sender's
// own inbox. Nothing else ever carries it: GET of its id answers 404.
func (s *Service) MessageAnswerSaved(ctx context.Context, interactionID uint) error {
	in, err := s.store.InteractionByID(ctx, interactionID)
	if err != nil {
		return fmt.Errorf("federate answer %d: %w", interactionID, err)
	}
	if in.Source != models.SourceLocal || in.LocalAuthor == nil || in.ParentID == nil || in.Status != models.StatusPrivate {
		return fmt.Errorf("federate answer %d: not a private answer: %w", interactionID, models.ErrNotFound)
	}
	parent, err := s.store.InteractionByID(ctx, *in.ParentID)
	if err != nil {
		return fmt.Errorf("federate answer %d: %w", interactionID, err)
	}
	to := parent.RemoteActor
	if to == nil || parent.ObjectURI == nil {
		return fmt.Errorf("federate answer %d: message %d has no fediverse sender: %w", in.ID, parent.ID, models.ErrNotFound)
	}
	inbox := to.Inbox
	if inbox == "" {
		inbox = to.SharedInbox
	}
	if inbox == "" {
		return fmt.Errorf("federate answer %d: %s has no inbox", in.ID, to.URI)
	}
	// The answer comes from the actor the message named (GoToSocial drops
	// a reply to a direct message from anyone it was not addressed to).
	signAs := in.LocalAuthor.Username
	if in.LocalActor != "" {
		signAs = in.LocalActor
	}
	actor := s.cfg.URLs.Actor(signAs)
	note, err := s.messageAnswerNote(in, actor, *parent.ObjectURI, to)
	if err != nil {
		return err
	}
	act, err := activity("Create", s.cfg.URLs.Activity(KindCreateReply, in.ID, version(in.PublishedAt)), actor,
		note, []string{to.URI}, nil, in.PublishedAt)
	if err != nil {
		return err
	}
	o := &Outgoing{InteractionID: &in.ID}
	if in.ArticleID != 0 {
		o.ArticleID = &in.ArticleID
	}
	return s.enqueueDoc(ctx, act, signAs, []string{inbox}, o)
}

// messageAnswerNote is the answer as a Note to the sender alone.
func (s *Service) messageAnswerNote(in *models.Interaction, actor, inReplyTo string, to *models.RemoteActor) (Doc, error) {
	u := s.cfg.URLs
	content := withMention(web.AbsoluteURLs(in.Content, u.Base.String()), to)
	n := streams.NewActivityStreamsNote()
	n.SetJSONLDId(idProp(u.Comment(in.ID)))
	n.SetActivityStreamsAttributedTo(attributedToProp(actor))
	irt := streams.NewActivityStreamsInReplyToProperty()
	irt.AppendIRI(iri(inReplyTo))
	n.SetActivityStreamsInReplyTo(irt)
	n.SetActivityStreamsContent(contentProp(content))
	n.SetActivityStreamsTo(toProp(to.URI))
	n.SetActivityStreamsPublished(publishedProp(in.PublishedAt))
	mp := streams.NewActivityStreamsMention()
	hp := streams.NewActivityStreamsHrefProperty()
	hp.Set(iri(to.URI))
	mp.SetActivityStreamsHref(hp)
	mp.SetActivityStreamsName(nameProp(mentionName(to)))
	tp := streams.NewActivityStreamsTagProperty()
	tp.AppendActivityStreamsMention(mp)
	n.SetActivityStreamsTag(tp)
	m, err := nested(n)
	if err != nil {
		return nil, fmt.Errorf("answer %d: %w", in.ID, err)
	}
	m["cc"] = []any{}
	m["attachment"] = []any{}
	m["sensitive"] = false
	return m, nil
}
