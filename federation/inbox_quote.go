package federation

import (
	"context"
	"html"
	"regexp"

	"fedpress/models"
	"fedpress/web"
)

// quoteExcerptWords is how much of a quoting post is kept.
const quoteExcerptWords = 60

// urlInText finds http(s) URLs in HTML, in links and in text alike.
var urlInText = regexp.MustCompile(`https?://[^\s"'<>]+`)

// acceptQuote stores a public post quoting one of our articles: one naming
// it in a quote property (FEP-044f quote, quoteUri, quoteUrl,
// _misskey_quote, or an FEP-e232 link tag), or one that mentions one of our
// actors and links an article. It shows among the pingbacks with an excerpt.
func (s *Service) acceptQuote(ctx context.Context, run *inboxRun, note *inNote) (string, error) {
	vis := visibility(note.To, note.Cc, run.actor.Followers)
	if vis != "public" && vis != "unlisted" {
		return outcomeIgnored, nil
	}
	a, err := s.quotedArticle(ctx, run, note)
	if err != nil || a == nil {
		return outcomeIgnored, err
	}
	_, created, err := s.storeQuote(ctx, run, note, a, vis)
	return appliedIf(created), err
}

// storeQuote stores a post quoting article a (or finds it, stored before:
// a Create and a QuoteRequest may both bring it). Its status is the
// moderation's, private when it is not public.
func (s *Service) storeQuote(ctx context.Context, run *inboxRun, note *inNote, a *models.Article, vis string) (*models.Interaction, bool, error) {
	content := s.noteHTML(note)
	status, err := s.incomingStatus(ctx, run, run.actor, vis, content+" "+note.Summary)
	if err != nil {
		return nil, false, err
	}
	id := note.ID
	in := &models.Interaction{
		ArticleID: a.ID, Kind: models.KindQuote, Source: models.SourceActivityPub, Status: status,
		AuthorName: actorDisplayName(run.actor), AuthorURL: actorProfileURL(run.actor), RemoteActorID: &run.actor.ID,
		ObjectURI: &id, ActivityURI: run.act.ID, URL: note.URL, InReplyTo: s.cfg.URLs.Article(a.ID),
		Title: actorDisplayName(run.actor), Content: quoteExcerpt(content), Visibility: vis, PublishedAt: note.Published,
	}
	if in.URL == "" {
		in.URL = note.ID
	}
	if in.PublishedAt.IsZero() {
		in.PublishedAt = s.now()
	}
	created, err := s.store.CreateInteraction(ctx, in)
	if err != nil {
		return nil, false, err
	}
	return in, created, nil
}

// quoteExcerpt is the start of a quoting post's text, escaped to be HTML.
func quoteExcerpt(sanitized string) string {
	return html.EscapeString(web.Excerpt(sanitized, quoteExcerptWords))
}

// quotedArticle finds the article a note quotes, or nil.
func (s *Service) quotedArticle(ctx context.Context, run *inboxRun, note *inNote) (*models.Article, error) {
	for _, q := range note.Quotes {
		a, err := s.articleOf(ctx, run, q)
		if err != nil || a != nil {
			return a, err
		}
	}
	mentioned := false
	for _, m := range note.Mentions {
		u, err := s.localUsernameOf(ctx, m, run.batch.settings)
		if err != nil {
			return nil, err
		}
		if u != "" {
			mentioned = true
			break
		}
	}
	if !mentioned {
		return nil, nil
	}
	for i, link := range urlInText.FindAllString(note.Content, 40) {
		if i >= 40 {
			break
		}
		a, err := s.articleOf(ctx, run, html.UnescapeString(link))
		if err != nil || a != nil {
			return a, err
		}
	}
	return nil, nil
}
