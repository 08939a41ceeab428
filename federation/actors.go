package federation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fedpress/models"
	"fedpress/web"
)

// actorStaleAfter is how long a cached actor is used before FetchActor
// refreshes it (keys are refreshed sooner, on a signature failure).
const actorStaleAfter = 72 * time.Hour

// newFetcher returns a Fetcher that signs as the instance actor (FEP-2677):
// GoToSocial, and Mastodon in authorized-fetch mode, answer only signed GETs,
// and signing as the instance actor reveals no author. Callers close it.
func (s *Service) newFetcher(ctx context.Context) *Fetcher {
	p := FetchPolicy{AllowPrivate: s.cfg.AllowPrivatePeers, UserAgent: s.cfg.UserAgent}
	f := &Fetcher{Client: NewHTTPClient(p), Policy: p}
	st, err := s.store.GetSettings(ctx)
	if err != nil || st.InstancePrivateKeyPEM == "" {
		s.log.Warn("remote fetches go unsigned: no instance actor key", "err", err)
		return f
	}
	key, err := ParsePrivateKeyPEM(st.InstancePrivateKeyPEM)
	if err != nil {
		s.log.Warn("remote fetches go unsigned: bad instance actor key", "err", err)
		return f
	}
	signer := Signer{KeyID: s.cfg.URLs.InstanceKey(), Key: key}
	f.Signer = func() (Signer, bool) { return signer, true }
	return f
}

func closeFetcher(f *Fetcher) {
	if f.Client != nil {
		f.Client.CloseIdleConnections()
	}
}

// fetchDoc GETs an ActivityPub document (signed) and checks that the id it
// claims lives on the host it was fetched from: a server may only speak for
// its own objects.
//
// An origin that timed out recently is not asked (OriginBackoffError).
// Inside an inbox activity (see withFetchScope) the fetch also ends with
// the activity's fetch budget, errors then wrap errFetchBudget, and the
// activity's database slot is given up while the origin answers.
func (s *Service) fetchDoc(ctx context.Context, f *Fetcher, uri string) (map[string]any, error) {
	host := hostOf(uri)
	scope := fetchScopeOf(ctx)
	if err := s.originBackedOff(host); err != nil {
		s.Metrics.Fetches.WithLabelValues("backed_off").Inc()
		if scope != nil {
			return nil, fmt.Errorf("%w: %w", errFetchBudget, err)
		}
		return nil, err
	}
	gctx := ctx
	if scope != nil {
		if !time.Now().Before(scope.deadline) {
			return nil, fmt.Errorf("%w: fetch %s: time is up", errFetchBudget, uri)
		}
		var cancel context.CancelFunc
		gctx, cancel = context.WithDeadline(ctx, scope.deadline)
		defer cancel()
		if scope.slot != nil {
			scope.slot.leave()
			defer scope.slot.enter(ctx)
		}
	}
	start := time.Now()
	body, err := f.GetJSON(gctx, uri)
	s.noteFetchOutcome(gctx, host, time.Since(start), err)
	if err != nil && scope != nil && !time.Now().Before(scope.deadline) {
		err = fmt.Errorf("%w: %w", errFetchBudget, err)
	}
	if err != nil {
		outcome := "error"
		var re *RefusedError
		if errors.As(err, &re) {
			outcome = "refused"
		}
		s.Metrics.Fetches.WithLabelValues(outcome).Inc()
		return nil, err
	}
	s.Metrics.Fetches.WithLabelValues("ok").Inc()
	doc, err := decodeJSONObject(body)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", uri, err)
	}
	if id := str(doc["id"]); id != "" && !sameHost(id, uri) {
		return nil, fmt.Errorf("fetch %s: document claims id %q on another host", uri, id)
	}
	return doc, nil
}

// FetchActor returns the actor uri, from the cache unless refresh is set or
// the cached copy is older than actorStaleAfter (a failed refresh of a stale
// copy falls back to it). Fetches are signed GETs as the instance actor;
// private addresses and plain http are refused unless AllowPrivatePeers.
func (s *Service) FetchActor(ctx context.Context, uri string, refresh bool) (*models.RemoteActor, error) {
	cached, err := s.store.RemoteActorByURI(ctx, uri)
	if err != nil && !models.ErrIsNotFound(err) {
		return nil, err
	}
	if cached != nil && !refresh && s.now().Sub(cached.FetchedAt) < actorStaleAfter {
		return cached, nil
	}
	f := s.newFetcher(ctx)
	defer closeFetcher(f)
	a, err := s.fetchActorWith(ctx, f, uri, "")
	if err != nil {
		if cached != nil && !refresh {
			s.log.Info("using stale actor: refresh failed", "actor", uri, "err", err)
			return cached, nil
		}
		return nil, err
	}
	return a, nil
}

// fetchActorWith fetches and stores an actor; wantKey picks among several
// published keys, and is only given when the key's own document named
// uri as its owner.
func (s *Service) fetchActorWith(ctx context.Context, f *Fetcher, uri, wantKey string) (*models.RemoteActor, error) {
	if !isHTTPURL(uri) {
		return nil, permanent(fmt.Errorf("actor %q is not an http(s) URL", uri))
	}
	doc, err := s.fetchDoc(ctx, f, uri)
	if err != nil {
		return nil, fmt.Errorf("fetch actor: %w", err)
	}
	a, err := parseActor(doc, wantKey)
	if err != nil {
		return nil, permanent(fmt.Errorf("fetch actor %s: %w", uri, err))
	}
	// wantKey comes from fetchKeyOwner, whose key document named uri.
	a.KeyVerified = wantKey != "" && a.KeyID == wantKey
	return s.storeActor(ctx, a)
}

// storeActor caches an actor document. Only a key the actor itself owns,
// on its own host, is kept.
func (s *Service) storeActor(ctx context.Context, a *inActor) (*models.RemoteActor, error) {
	if !isHTTPURL(a.Inbox) {
		return nil, permanent(fmt.Errorf("actor %s has no http(s) inbox", a.ID))
	}
	ra := &models.RemoteActor{
		URI: a.ID, Type: clip(a.Type, 32), Username: clip(a.PreferredUsername, 200), Host: clip(hostOf(a.ID), 200),
		Name: clip(a.Name, 500), Summary: web.SanitizeRemote(clip(a.Summary, 20000)),
		Inbox: a.Inbox, Followers: a.Followers, MovedTo: a.MovedTo,
		AlsoKnownAs: strings.Join(a.AlsoKnownAs, "\n"), FetchedAt: s.now(),
	}
	if isHTTPURL(a.URL) {
		ra.URL = a.URL
	}
	if isHTTPURL(a.Icon) {
		ra.AvatarURL = a.Icon
	}
	if isHTTPURL(a.SharedInbox) {
		ra.SharedInbox = a.SharedInbox
	}
	if ownsKey(a) {
		ra.PublicKeyID, ra.PublicKeyPEM = a.KeyID, a.KeyPEM
	}
	if err := s.store.UpsertRemoteActor(ctx, ra); err != nil {
		return nil, err
	}
	return ra, nil
}

// ownsKey reports whether the actor document a may set its key. A key id
// belongs to exactly one actor, so claiming one is not enough: its owner
// field must be the actor, and the key must be part of the actor's own
// document (id#fragment) unless fetching the key id itself named the actor
// as owner (KeyVerified: GoToSocial's …/main-key, bare key documents).
// Otherwise an Update{Person} could take a neighbour's key id and make
// that neighbour's signatures fail. A refused key leaves the stored one.
func ownsKey(a *inActor) bool {
	if a.KeyPEM == "" || a.KeyID == "" || !sameHost(a.KeyID, a.ID) {
		return false
	}
	if a.KeyOwner != "" && a.KeyOwner != a.ID {
		return false
	}
	return a.KeyVerified || withoutFragment(a.KeyID) == a.ID
}

// clip bounds a remote string to max bytes on a rune boundary.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// actorDisplayName is the name shown for a remote actor.
func actorDisplayName(a *models.RemoteActor) string {
	if n := strings.TrimSpace(a.Name); n != "" {
		return n
	}
	if a.Username != "" {
		return a.Username
	}
	return a.Host
}

// actorProfileURL is the page a remote actor's name links to.
func actorProfileURL(a *models.RemoteActor) string {
	if a.URL != "" {
		return a.URL
	}
	return a.URI
}
