package federation

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"fedpress/models"
)

// Link verification: incoming pingbacks and webmentions are stored at once
// as models.StatusVerifying and answered; RunLinkVerifier fetches each
// source, checks it links to the article and approves or drops it. Approved
// mentions are fetched again daily and dropped when the link is gone.
const (
	linkVerifyPoll     = 2 * time.Second
	linkVerifyBatch    = 16
	linkVerifyParallel = 4
	// A source that fails for a transient reason is retried this often…
	linkVerifyRetry = 15 * time.Minute
	// …and given up this long after the ping.
	linkVerifyGiveUp = 24 * time.Hour
	// Approved mentions are re-fetched when their last fetch is this old,
	// by the process holding the lease.
	linkReverifyAge      = 24 * time.Hour
	linkReverifyLease    = "link-reverify"
	linkReverifyLeaseTTL = 5 * time.Minute

	mentionFetchTimeout = 15 * time.Second
	mentionFetchMax     = 1 << 20
	mentionAccept       = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5, */*;q=0.1"
)

// MentionRequest is an incoming pingback or webmention.
type MentionRequest struct {
	Kind      string // models.KindPingback or models.KindWebmention
	Source    string // the page that claims to link to us
	Target    string // our URL it claims to link to
	RemoteIP  string
	UserAgent string
}

// MentionErrorCode says why a mention was refused before verification.
// The values are the Pingback 1.0 fault codes; webmention answers 400.
type MentionErrorCode int

const (
	MentionInvalid       MentionErrorCode = 0  // malformed request, source equals target
	MentionBadSource     MentionErrorCode = 16 // source is not an http(s) URL
	MentionNoSuchTarget  MentionErrorCode = 32 // our URL, but no visible article there
	MentionInvalidTarget MentionErrorCode = 33 // not a URL of ours that takes mentions
	MentionRefused       MentionErrorCode = 49 // source domain blocked
)

// MentionError is a mention refused before verification; Msg is safe to
// show to the sender.
type MentionError struct {
	Code MentionErrorCode
	Msg  string
}

func (e *MentionError) Error() string { return e.Msg }

// ReceiveMention validates an incoming pingback or webmention and stores it
// for verification. It returns a *MentionError when the request is refused;
// other errors are ours (database). A repeated mention updates the stored
// one; a mention the moderator rejected before is accepted and ignored.
func (s *Service) ReceiveMention(ctx context.Context, r MentionRequest) error {
	source, ok := cleanHTTPURL(r.Source)
	if !ok || len(source) > 2000 {
		return &MentionError{Code: MentionBadSource, Msg: "The source URL must be an absolute http(s) URL."}
	}
	target, ok := cleanHTTPURL(r.Target)
	if !ok || len(target) > 2000 {
		return &MentionError{Code: MentionInvalidTarget, Msg: "The target URL must be an absolute http(s) URL."}
	}
	if linkKey(source, nil) == linkKey(target, nil) {
		return &MentionError{Code: MentionInvalid, Msg: "The source and target URLs are the same."}
	}
	art, err := s.MentionTarget(ctx, target)
	if err != nil {
		return err
	}
	su, _ := url.Parse(source)
	block, err := s.store.MatchBlock(ctx, source, su.Host, "")
	if err != nil {
		return err
	}
	if block != nil {
		return &MentionError{Code: MentionRefused, Msg: "Mentions from this site are not accepted."}
	}
	kind, src := models.KindWebmention, models.SourceWebmention
	if r.Kind == models.KindPingback {
		kind, src = models.KindPingback, models.SourcePingback
	}
	in := &models.Interaction{
		ArticleID: art.ID, Kind: kind, Source: src, URL: source, InReplyTo: target,
		AuthorIP: clipRunes(r.RemoteIP, 64), UserAgent: clipRunes(r.UserAgent, 500),
	}
	queued, err := s.store.RequestMention(ctx, in, s.now())
	if err != nil {
		return err
	}
	s.log.Info("mention received", "kind", kind, "source", source, "article", art.ID, "queued", queued)
	return nil
}

// MentionTarget resolves one of our URLs to the visible article it shows:
// the permalink, the ActivityPub id, or an imported WordPress URL (old
// permalink or /?p=123). Either scheme is accepted. Errors are
// *MentionError (32 or 33) or the database's.
func (s *Service) MentionTarget(ctx context.Context, target string) (*models.Article, error) {
	notOurs := &MentionError{Code: MentionInvalidTarget, Msg: "The target is not an article of this blog."}
	u, err := url.Parse(target)
	if err != nil || !s.isOurHost(u) {
		return nil, notOurs
	}
	missing := &MentionError{Code: MentionNoSuchTarget, Msg: "The target article does not exist."}
	a, err := s.articleAtPath(ctx, u)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return nil, missing
	case errors.Is(err, errNotAnArticlePath):
		return nil, notOurs
	case err != nil:
		return nil, err
	}
	if !a.IsVisible(s.now()) {
		return nil, missing
	}
	return a, nil
}

var errNotAnArticlePath = errors.New("not an article path")

// articleAtPath finds the article a URL of ours names, whatever its
// status: ErrNotFound for an article path without an article,
// errNotAnArticlePath for other pages.
func (s *Service) articleAtPath(ctx context.Context, u *url.URL) (*models.Article, error) {
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch {
	case u.Path == "/" || u.Path == "":
		// WordPress's /?p=123
		if p := u.Query().Get("p"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("WordPress id %q: %w", p, models.ErrNotFound)
			}
			return s.store.ArticleByWPPostID(ctx, n)
		}
	case len(segs) == 2 && segs[0] == "articles":
		id, err := strconv.ParseUint(segs[1], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("article id %q: %w", segs[1], models.ErrNotFound)
		}
		return s.store.ArticleByID(ctx, uint(id))
	case len(segs) == 3 && allDigitsN(segs[0], 4) && allDigitsN(segs[1], 2):
		path := "/" + strings.Join(segs, "/") + "/"
		a, err := s.store.ArticleBySlug(ctx, segs[2])
		if err == nil && a.Permalink() == path {
			return a, nil
		}
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return nil, err
		}
		// An earlier permalink of a renamed article still names it.
		id, err := s.store.LegacyRedirectTarget(ctx, path)
		if err != nil {
			return nil, err
		}
		return s.store.ArticleByID(ctx, id)
	case len(segs) == 4 && allDigitsN(segs[0], 4):
		// Imported /2012/11/17/slug/: the importer's record, else the slug.
		id, err := s.store.LegacyRedirectTarget(ctx, "/"+strings.Join(segs, "/")+"/")
		if err == nil {
			return s.store.ArticleByID(ctx, id)
		}
		if !errors.Is(err, models.ErrNotFound) {
			return nil, err
		}
		return s.store.ArticleBySlug(ctx, segs[3])
	}
	return nil, errNotAnArticlePath
}

func allDigitsN(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// isOurHost reports a URL on this blog's host, either scheme.
func (s *Service) isOurHost(u *url.URL) bool {
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	return linkKey(u.Scheme+"://"+u.Host+"/", nil) == linkKey(s.cfg.URLs.Base.Scheme+"://"+s.cfg.URLs.Base.Host+"/", nil)
}

// RunLinkVerifier verifies queued mentions and re-verifies old ones until
// ctx ends. Several processes may run it: new mentions are claimed row by
// row, re-verification is done by the holder of a lease.
func (s *Service) RunLinkVerifier(ctx context.Context) {
	t := time.NewTicker(linkVerifyPoll)
	defer t.Stop()
	for {
		if _, err := s.VerifyDueLinks(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("link verifier", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// VerifyDueLinks runs one pass of the verifier: new mentions first, then
// approved ones due for their daily re-check. It returns how many it
// processed.
func (s *Service) VerifyDueLinks(ctx context.Context) (int, error) {
	now := s.now()
	fresh, err := s.store.MentionsDue(ctx, models.StatusVerifying, now.Add(-linkVerifyRetry), 0, linkVerifyBatch)
	if err != nil {
		return 0, err
	}
	var old []models.Interaction
	if len(fresh) < linkVerifyBatch {
		old, err = s.store.MentionsDue(ctx, models.StatusApproved, now.Add(-linkReverifyAge), 0, linkVerifyBatch-len(fresh))
		if err != nil {
			return 0, err
		}
	}
	// Re-verification is background housekeeping: one process at a time
	// (claims would split it safely, but one polite crawler is enough).
	if len(old) > 0 {
		ok, err := s.store.AcquireLease(ctx, linkReverifyLease, s.holder, now, linkReverifyLeaseTTL)
		if err != nil {
			return 0, err
		}
		if !ok {
			old = nil
		}
	}
	jobs := make([]mentionJob, 0, len(fresh)+len(old))
	for i := range fresh {
		jobs = append(jobs, mentionJob{in: &fresh[i], cutoff: now.Add(-linkVerifyRetry)})
	}
	for i := range old {
		jobs = append(jobs, mentionJob{in: &old[i], cutoff: now.Add(-linkReverifyAge)})
	}
	return s.verifyMentions(ctx, jobs), nil
}

// ReverifyLinks re-fetches every approved mention last fetched more than
// olderThan ago and drops those whose source no longer links to the
// article. RunLinkVerifier does this daily on its own; this is for tests
// and operators. It returns how many mentions were checked.
func (s *Service) ReverifyLinks(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := s.now().Add(-olderThan)
	total := 0
	var after uint
	for ctx.Err() == nil {
		ok, err := s.store.AcquireLease(ctx, linkReverifyLease, s.holder, s.now(), linkReverifyLeaseTTL)
		if err != nil {
			return total, err
		}
		if !ok {
			return total, fmt.Errorf("re-verify links: another process holds the %q lease", linkReverifyLease)
		}
		rows, err := s.store.MentionsDue(ctx, models.StatusApproved, cutoff, after, 50)
		if err != nil {
			return total, err
		}
		if len(rows) == 0 {
			break
		}
		after = rows[len(rows)-1].ID
		jobs := make([]mentionJob, len(rows))
		for i := range rows {
			jobs[i] = mentionJob{in: &rows[i], cutoff: cutoff}
		}
		total += s.verifyMentions(ctx, jobs)
	}
	return total, ctx.Err()
}

type mentionJob struct {
	in     *models.Interaction
	cutoff time.Time // the claim only succeeds if nobody fetched it since
}

// verifyMentions claims and verifies jobs, a few at a time so one slow
// source does not hold up the others. It returns how many it claimed.
func (s *Service) verifyMentions(ctx context.Context, jobs []mentionJob) int {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	sem := make(chan struct{}, linkVerifyParallel)
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		ok, err := s.store.ClaimMention(ctx, j.in.ID, j.in.Status, j.cutoff, s.now())
		if err != nil {
			s.log.Error("claim mention", "id", j.in.ID, "err", err)
			continue
		}
		if !ok {
			continue // another process has it
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(in *models.Interaction) {
			defer func() { <-sem; wg.Done() }()
			if err := s.verifyMention(ctx, in); err != nil {
				s.log.Error("verify mention", "id", in.ID, "source", in.URL, "err", err)
			}
			mu.Lock()
			done++
			mu.Unlock()
		}(j.in)
	}
	wg.Wait()
	return done
}

// verifyMention fetches a mention's source and approves or drops it. A
// transient failure leaves the row for a later pass; the returned error is
// only for the database.
func (s *Service) verifyMention(ctx context.Context, in *models.Interaction) error {
	log := s.log.With("mention", in.ID, "source", in.URL, "article", in.ArticleID)
	// The verdict is written even if a shutdown cancels ctx meanwhile.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	art, err := s.store.ArticleByID(ctx, in.ArticleID)
	if errors.Is(err, models.ErrNotFound) {
		return s.store.DropMention(wctx, in.ID)
	}
	if err != nil {
		return err
	}
	targets := []string{s.cfg.URLs.Abs(art.Permalink()), s.cfg.URLs.Article(art.ID)}
	if in.InReplyTo != "" {
		targets = append(targets, in.InReplyTo)
	}
	src, err := s.fetchMentionSource(ctx, in.URL, targets)
	if err != nil {
		if ctx.Err() != nil {
			return nil // shutting down: the claim expires and a later pass retries
		}
		gone, rejected := mentionFetchFailure(err)
		switch {
		case gone, rejected && in.Status == models.StatusVerifying:
			log.Info("mention dropped: source unavailable", "status", in.Status, "err", err)
			return s.store.DropMention(wctx, in.ID)
		case in.Status == models.StatusVerifying && s.now().Sub(in.CreatedAt) > linkVerifyGiveUp:
			log.Info("mention dropped: source failing for a day", "err", err)
			return s.store.DropMention(wctx, in.ID)
		}
		log.Warn("mention source fetch failed; will retry", "err", err)
		return nil
	}
	if !src.Links {
		log.Info("mention dropped: source does not link to the article", "status", in.Status)
		return s.store.DropMention(wctx, in.ID)
	}
	if b, err := s.store.MatchBlock(ctx, in.URL, "", src.Title+"\n"+src.Excerpt); err != nil {
		return err
	} else if b != nil {
		log.Info("mention dropped: blocked", "block", b.Kind+":"+b.Value)
		return s.store.DropMention(wctx, in.ID)
	}
	v := models.MentionVerified{
		Title: src.Title, Flavour: src.Flavour, AuthorName: src.AuthorName, AuthorURL: src.AuthorURL,
	}
	if src.Excerpt != "" {
		v.Content = "<p>" + html.EscapeString(src.Excerpt) + "</p>"
	}
	if v.AuthorName == "" {
		if u, err := url.Parse(in.URL); err == nil {
			v.AuthorName = strings.TrimPrefix(u.Hostname(), "www.")
		}
	}
	if v.AuthorURL == "" {
		if u, err := url.Parse(in.URL); err == nil {
			v.AuthorURL = u.Scheme + "://" + u.Host + "/"
		}
	}
	if err := s.store.ApproveMention(wctx, in.ID, v, s.now()); err != nil {
		return err
	}
	log.Info("mention verified", "flavour", src.Flavour)
	return nil
}

// fetchMentionSource downloads a source page with the safe client.
func (s *Service) fetchMentionSource(ctx context.Context, source string, targets []string) (*mentionSource, error) {
	f := &Fetcher{Policy: FetchPolicy{
		AllowPrivate: s.cfg.AllowPrivatePeers, Timeout: mentionFetchTimeout,
		MaxBytes: mentionFetchMax, UserAgent: s.cfg.UserAgent,
	}}
	resp, body, err := f.Get(ctx, source, mentionAccept)
	if err != nil {
		return nil, err
	}
	final := resp.Request.URL
	return parseMentionSource(body, resp.Header.Get("Content-Type"), final, targets)
}

// mentionFetchFailure sorts fetch failures that retrying will not fix:
// gone (404, 410, or an address our policy refuses) drops any mention;
// rejected (another client error, except auth walls, timeouts and rate
// limits) drops a mention not yet verified but keeps an approved one.
func mentionFetchFailure(err error) (gone, rejected bool) {
	var re *RefusedError
	if errors.As(err, &re) {
		return true, false
	}
	var fe *FetchError
	if !errors.As(err, &fe) {
		return false, false
	}
	switch fe.Status {
	case http.StatusNotFound, http.StatusGone:
		return true, false
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusUnauthorized, http.StatusForbidden:
		return false, false
	}
	return false, fe.Status >= 400 && fe.Status < 500
}
