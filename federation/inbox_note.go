package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"

	"fedpress/models"
	"fedpress/web"
)

// maxRemoteHTML bounds the stored HTML of one remote note.
const maxRemoteHTML = 100_000

// Siblings: how much of a collection (replies, context) is walked.
const (
	maxCollectionPages = 3
	maxCollectionItems = 20
)

// inboxCreate handles Create{Note|Article|Page|Question}: a reply to one of
// our articles or comments becomes a comment, a quote of an article a
// quote; anything else is not ours to keep.
func (s *Service) inboxCreate(ctx context.Context, run *inboxRun) (string, error) {
	obj := run.act.objectMap()
	if obj == nil {
		// Sent by reference: fetch it from its origin, which must be the actor's.
		id := run.act.objectID()
		if !sameHost(id, run.act.Actor) {
			return outcomeIgnored, nil
		}
		doc, err := s.runFetch(ctx, run, id)
		if err != nil {
			return "", fmt.Errorf("fetch object of %s: %w", run.act.ID, err)
		}
		obj = doc
	}
	note, ok, err := s.authoredNote(obj, run.act.Actor)
	if !ok {
		return outcomeIgnored, err
	}
	return s.acceptNote(ctx, run, note)
}

// authoredNote parses a note carried by actor's activity; ok is false for
// other types, and for notes the actor may not speak for (attributed to
// someone else, or with an id on another host).
func (s *Service) authoredNote(obj map[string]any, actor string) (*inNote, bool, error) {
	if !isNoteType(typeOf(obj)) {
		return nil, false, nil
	}
	note, err := parseNote(obj)
	if err != nil {
		return nil, false, permanent(err)
	}
	if note.AttributedTo != actor || !sameHost(note.ID, actor) {
		s.log.Warn("inbox: note not authored by the activity's actor", "note", note.ID, "attributedTo", note.AttributedTo, "actor", actor)
		return nil, false, nil
	}
	return note, true, nil
}

// acceptNote stores the note the activity carries: as a comment when it
// answers something of ours (fetching missing parents up the inReplyTo
// chain), else as a quote when it quotes an article.
func (s *Service) acceptNote(ctx context.Context, run *inboxRun, note *inNote) (string, error) {
	run.topNote = note.ID
	if _, err := s.store.InteractionByObjectURI(ctx, note.ID); err == nil {
		return outcomeIgnored, nil // already stored: a duplicate, or an Update of what we have
	} else if !models.ErrIsNotFound(err) {
		return "", err
	}
	articleID, parentID, ok, err := s.replyTarget(ctx, run, note.InReplyTo)
	if err != nil {
		return "", err
	}
	fetched := false
	if !ok && note.InReplyTo != "" {
		articleID, parentID, ok, err = s.fetchAncestors(ctx, run, note.InReplyTo, 1)
		if err != nil {
			return "", err
		}
		fetched = ok
	}
	if !ok {
		if out, handled, err := s.acceptMessage(ctx, run, note); handled || err != nil {
			return out, err
		}
		return s.acceptQuote(ctx, run, note)
	}
	in, err := s.commentFrom(ctx, run, note, run.actor, articleID, parentID)
	if err != nil {
		return "", err
	}
	in.ActivityURI = run.act.ID
	if _, err := s.store.CreateInteraction(ctx, in); err != nil {
		return "", err
	}
	if fetched {
		// The thread was unknown to us: its context collection, when the
		// origin offers one, holds the rest of the conversation.
		s.storeCollection(ctx, run, note.Context, hostOf(note.ID))
	}
	return outcomeApplied, nil
}

// commentFrom builds the comment for a note by author under articleID.
func (s *Service) commentFrom(ctx context.Context, run *inboxRun, note *inNote, author *models.RemoteActor, articleID uint, parentID *uint) (*models.Interaction, error) {
	vis := visibility(note.To, note.Cc, author.Followers)
	content := s.noteHTML(note)
	status, err := s.incomingStatus(ctx, run, author, vis, content+" "+note.Summary)
	if err != nil {
		return nil, err
	}
	id := note.ID
	in := &models.Interaction{
		ArticleID: articleID, ParentID: parentID, Kind: models.KindComment, Source: models.SourceActivityPub,
		Status: messageStatus(articleID, status), AuthorName: actorDisplayName(author), AuthorURL: actorProfileURL(author),
		RemoteActorID: &author.ID, ObjectURI: &id, URL: note.URL, InReplyTo: note.InReplyTo,
		Title: clip(note.Name, 500), Content: content, Summary: plainSummary(note.Summary), Sensitive: note.Sensitive,
		Attachments: attachmentsJSON(note.Attachments), Emojis: emojisJSON(note.Emojis), Visibility: vis,
		PublishedAt: note.Published,
	}
	if in.URL == "" {
		in.URL = note.ID
	}
	if in.PublishedAt.IsZero() {
		in.PublishedAt = s.now()
	}
	return in, nil
}

// noteHTML is the sanitized body. An Article or Page shows its title
// first, as Mastodon does.
func (s *Service) noteHTML(note *inNote) string {
	body := clip(note.Content, maxRemoteHTML)
	if (note.Type == "Article" || note.Type == "Page") && strings.TrimSpace(note.Name) != "" {
		body = "<p><strong>" + html.EscapeString(clip(note.Name, 500)) + "</strong></p>" + body
	}
	return web.SanitizeRemote(body)
}

// plainSummary keeps a content warning as escaped text.
func plainSummary(s string) string {
	return html.EscapeString(clip(strings.TrimSpace(web.PlainText(clip(s, 5000))), 1000))
}

// incomingStatus is where a remote comment or quote lands: hidden when a
// block covers its author or words, private when it is not public (a
// direct or followers-only message must never show), else as the
// moderation setting says: open → approved, first → pending until the
// actor has an approved comment, all → pending.
func (s *Service) incomingStatus(ctx context.Context, run *inboxRun, author *models.RemoteActor, vis, text string) (string, error) {
	if run.blockFor(author.URI, text) != nil {
		return models.StatusHidden, nil
	}
	if vis != "public" && vis != "unlisted" {
		return models.StatusPrivate, nil
	}
	switch run.batch.settings.FediModeration {
	case "all":
		return models.StatusPending, nil
	case "first":
		ok, err := s.store.HasApprovedComment(ctx, author.ID, "")
		if err != nil {
			return "", err
		}
		if !ok {
			return models.StatusPending, nil
		}
	}
	return models.StatusApproved, nil
}

func attachmentsJSON(list []attachment) string {
	if len(list) == 0 {
		return ""
	}
	out := make([]models.Attachment, 0, len(list))
	for _, a := range list {
		out = append(out, models.Attachment{URL: a.URL, MediaType: clip(a.MediaType, 100), Name: clip(a.Name, 1500)})
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func emojisJSON(list []emoji) string {
	if len(list) == 0 {
		return ""
	}
	out := make([]models.Emoji, 0, len(list))
	for _, e := range list {
		out = append(out, models.Emoji{Name: clip(e.Name, 100), URL: e.URL})
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// fetchAncestors walks up a reply chain whose start we do not have, with
// signed GETs, until it reaches one of our objects (or something stored),
// then stores every note on the way down as a comment in its place. It
// gives up past maxAncestorDepth or when the activity's fetch budget is
// spent. Each fetched parent's replies collection is walked too, so the
// siblings of the conversation come along.
func (s *Service) fetchAncestors(ctx context.Context, run *inboxRun, uri string, depth int) (articleID uint, parentID *uint, ok bool, err error) {
	// Our own URLs are never fetched: what replyTarget did not find is not ours.
	if depth > maxAncestorDepth || !isHTTPURL(uri) || s.localPath(uri) != "" {
		return 0, nil, false, nil
	}
	doc, err := s.runFetch(ctx, run, uri)
	if err != nil {
		if errors.Is(err, errFetchBudget) || isPermanent(err) {
			s.log.Info("inbox: reply chain broken", "object", uri, "err", err)
			return 0, nil, false, nil
		}
		return 0, nil, false, fmt.Errorf("fetch parent %s: %w", uri, err)
	}
	if !isNoteType(typeOf(doc)) {
		return 0, nil, false, nil
	}
	note, err := parseNote(doc)
	if err != nil || !sameHost(note.AttributedTo, note.ID) {
		return 0, nil, false, nil
	}
	// The chain may reach a note we have under its canonical id.
	if a, p, found, err := s.replyTarget(ctx, run, note.ID); err != nil || found {
		return a, p, found, err
	}
	a, p, found, err := s.replyTarget(ctx, run, note.InReplyTo)
	if err != nil {
		return 0, nil, false, err
	}
	if !found && note.InReplyTo != "" {
		if a, p, found, err = s.fetchAncestors(ctx, run, note.InReplyTo, depth+1); err != nil {
			return 0, nil, false, err
		}
	}
	if !found {
		return 0, nil, false, nil
	}
	in, err := s.storeFetchedNote(ctx, run, note, a, p)
	if err != nil || in == nil {
		return 0, nil, false, err
	}
	s.storeCollection(ctx, run, note.Replies, hostOf(note.ID))
	return in.ArticleID, &in.ID, true, nil
}

// storeFetchedNote stores a note fetched from its origin (not delivered to
// us) under its parent; nil when its author cannot be had.
func (s *Service) storeFetchedNote(ctx context.Context, run *inboxRun, note *inNote, articleID uint, parentID *uint) (*models.Interaction, error) {
	author, err := s.actorFor(ctx, run, note.AttributedTo)
	if err != nil {
		if isPermanent(err) || errors.Is(err, errFetchBudget) {
			return nil, nil
		}
		return nil, err
	}
	in, err := s.commentFrom(ctx, run, note, author, articleID, parentID)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.CreateInteraction(ctx, in); err != nil {
		return nil, err
	}
	return in, nil
}

// actorFor returns a cached actor or fetches it within the budget.
func (s *Service) actorFor(ctx context.Context, run *inboxRun, uri string) (*models.RemoteActor, error) {
	if a, err := s.store.RemoteActorByURI(ctx, uri); err == nil {
		return a, nil
	} else if !models.ErrIsNotFound(err) {
		return nil, err
	}
	if run.budget <= 0 {
		return nil, errFetchBudget
	}
	run.budget--
	if run.fetcher == nil {
		run.fetcher = s.newFetcher(ctx)
	}
	return s.fetchActorWith(ctx, run.fetcher, uri, "")
}

// storeCollection walks a replies or context collection (bounded pages,
// items and fetches) and stores each note that answers something we have.
// Items embedded by the origin host are taken as they are; others are
// fetched from their own origin. Failures only end the walk: the activity
// itself has been handled.
func (s *Service) storeCollection(ctx context.Context, run *inboxRun, coll any, origin string) {
	items := s.collectionItems(ctx, run, coll, origin)
	var waiting []*inNote
	for _, it := range items {
		if ctx.Err() != nil {
			return
		}
		id := idOf(it)
		if id == "" || id == run.topNote {
			continue
		}
		if _, err := s.store.InteractionByObjectURI(ctx, id); err == nil {
			continue
		}
		obj := asMap(it)
		if obj == nil || hostOf(id) != origin || typeOf(obj) == "" {
			doc, err := s.runFetch(ctx, run, id)
			if err != nil {
				if errors.Is(err, errFetchBudget) {
					break
				}
				continue
			}
			obj = doc
		}
		if !isNoteType(typeOf(obj)) {
			continue
		}
		note, err := parseNote(obj)
		if err != nil || !sameHost(note.AttributedTo, note.ID) {
			continue
		}
		waiting = append(waiting, note)
	}
	// A context collection is not in thread order: retry what did not fit
	// until a pass stores nothing.
	for progress := true; progress && len(waiting) > 0; {
		progress = false
		var rest []*inNote
		for _, note := range waiting {
			a, p, found, err := s.replyTarget(ctx, run, note.InReplyTo)
			if err != nil {
				return
			}
			if !found {
				rest = append(rest, note)
				continue
			}
			if _, err := s.store.InteractionByObjectURI(ctx, note.ID); err == nil {
				continue
			}
			if in, err := s.storeFetchedNote(ctx, run, note, a, p); err != nil {
				s.log.Info("inbox: could not store a note of the thread", "note", note.ID, "err", err)
			} else if in != nil {
				progress = true
			}
		}
		waiting = rest
	}
}

// collectionItems reads up to maxCollectionItems items of a Collection or
// OrderedCollection given inline or by URL, following first and next.
func (s *Service) collectionItems(ctx context.Context, run *inboxRun, coll any, origin string) []any {
	var out []any
	page := coll
	for pages := 0; pages < maxCollectionPages+1 && page != nil && len(out) < maxCollectionItems; pages++ {
		m := asMap(page)
		// A bare reference (a URL, or an object with nothing to read) is fetched.
		if m == nil || m["items"] == nil && m["orderedItems"] == nil && m["first"] == nil && m["next"] == nil {
			uri := idOf(page)
			if !isHTTPURL(uri) || hostOf(uri) != origin {
				break
			}
			doc, err := s.runFetch(ctx, run, uri)
			if err != nil {
				break
			}
			m = doc
		}
		items := append(list(m["orderedItems"]), list(m["items"])...)
		out = append(out, items...)
		if len(items) == 0 && m["first"] != nil {
			page = m["first"]
			continue
		}
		page = m["next"]
	}
	if len(out) > maxCollectionItems {
		out = out[:maxCollectionItems]
	}
	return out
}

// inboxUpdate refreshes an actor's profile (Update{Person}) or edits a
// stored note. An edit of a note we do not have is treated as its
// creation: Update may overtake Create, and an edit may add the mention
// that makes it ours.
func (s *Service) inboxUpdate(ctx context.Context, run *inboxRun) (string, error) {
	obj := run.act.objectMap()
	if obj == nil {
		return outcomeIgnored, nil
	}
	if isActorType(typeOf(obj)) {
		if str(obj["id"]) != run.act.Actor {
			return outcomeIgnored, nil
		}
		a, err := parseActor(obj, "")
		if err != nil {
			return outcomeIgnored, permanent(err)
		}
		if a.KeyPEM == "" {
			// An Update without the key keeps the one we know.
			a.KeyID, a.KeyOwner, a.KeyPEM = run.actor.PublicKeyID, run.actor.URI, run.actor.PublicKeyPEM
		}
		if _, err := s.storeActor(ctx, a); err != nil {
			return "", err
		}
		return outcomeApplied, nil
	}
	note, ok, err := s.authoredNote(obj, run.act.Actor)
	if !ok {
		return outcomeIgnored, err
	}
	in, err := s.store.InteractionByObjectURI(ctx, note.ID)
	if models.ErrIsNotFound(err) {
		return s.acceptNote(ctx, run, note)
	}
	if err != nil {
		return "", err
	}
	if in.RemoteActorID == nil || *in.RemoteActorID != run.actor.ID || in.Status == models.StatusRemoved {
		return outcomeIgnored, nil
	}
	content := s.noteHTML(note)
	switch in.Kind {
	case models.KindComment:
		in.Content, in.Summary, in.Sensitive = content, plainSummary(note.Summary), note.Sensitive
		in.Attachments, in.Emojis, in.Title = attachmentsJSON(note.Attachments), emojisJSON(note.Emojis), clip(note.Name, 500)
	case models.KindQuote:
		in.Content = quoteExcerpt(content)
	default:
		return outcomeIgnored, nil
	}
	edited := note.Updated
	if edited.IsZero() {
		edited = s.now()
	}
	in.EditedAt = &edited
	if run.blockFor(run.actor.URI, content+" "+note.Summary) != nil {
		in.Status = models.StatusHidden
	}
	if err := s.store.SaveInteraction(ctx, in); err != nil {
		return "", err
	}
	return outcomeApplied, nil
}

// inboxDelete removes a note (Delete{Tombstone|Note} or its bare id) of the
// same actor: the comment stays as a deleted row so that answers to it keep
// their place; a like or boost is simply removed.
func (s *Service) inboxDelete(ctx context.Context, run *inboxRun) (string, error) {
	in, err := s.store.InteractionByObjectURI(ctx, run.act.objectID())
	if models.ErrIsNotFound(err) {
		return outcomeIgnored, nil
	}
	if err != nil {
		return "", err
	}
	if in.RemoteActorID == nil || *in.RemoteActorID != run.actor.ID {
		return outcomeIgnored, nil
	}
	if in.Kind == models.KindLike || in.Kind == models.KindBoost || in.Kind == models.KindReaction {
		_, err := s.store.DeleteInteractionByObjectURI(ctx, *in.ObjectURI, run.actor.ID)
		return outcomeApplied, err
	}
	if err := s.store.MarkInteractionDeleted(ctx, in.ID); err != nil {
		return "", err
	}
	return outcomeApplied, nil
}
