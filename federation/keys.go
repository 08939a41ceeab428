package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"fedpress/models"
)

// keyRefreshEvery bounds refetches forced by failing signatures: a peer
// sending bad signatures must not make us fetch its key on every request.
const keyRefreshEvery = time.Minute

// keyFetchTimeout bounds the one remote fetch an inbox request may cause.
const keyFetchTimeout = 10 * time.Second

// errKeyStore marks a key lookup that failed on our side (the database):
// the inbox answers 503 so that the sender retries.
var errKeyStore = errors.New("key cache unavailable")

// keyFetchError marks a key that could not be fetched (the inbox counts
// these apart from bad signatures).
type keyFetchError struct {
	keyID string
	err   error
}

func (e *keyFetchError) Error() string {
	return fmt.Sprintf("could not fetch key %s: %v", e.keyID, e.err)
}
func (e *keyFetchError) Unwrap() error { return e.err }

func keyFetchFailed(keyID string, err error) *SignatureError {
	kfe := &keyFetchError{keyID: keyID, err: err}
	return &SignatureError{Reason: kfe.Error(), Status: http.StatusUnauthorized, cause: kfe}
}

// ResolveKey is the KeyResolver of the inbox: the key named keyID and the
// actor owning it. It answers from the RemoteActor cache unless refresh is
// set (the sender may have rotated its key; refetches are throttled to one
// a minute per actor). A fetch is a signed GET as the instance actor. Two
// document shapes are handled: keyID is the actor with a fragment
// (…/users/x#main-key, Mastodon) or a separate document (…/main-key,
// GoToSocial: a stub actor; others: a bare key with an owner), in which
// case the owner's actor document must list the same key id.
func (s *Service) ResolveKey(ctx context.Context, keyID string, refresh bool) (PublicKeyInfo, error) {
	if !isHTTPURL(keyID) || !utf8.ValidString(keyID) { // PostgreSQL refuses invalid UTF-8: a 503 otherwise
		return PublicKeyInfo{}, badRequest("keyId %q is not an http(s) URL", keyID)
	}
	cached, err := s.store.RemoteActorByKeyID(ctx, keyID)
	if err != nil && !models.ErrIsNotFound(err) {
		return PublicKeyInfo{}, fmt.Errorf("resolve key %s: %w: %w", keyID, errKeyStore, err)
	}
	if cached != nil && cached.PublicKeyPEM != "" && (!refresh || s.now().Sub(cached.FetchedAt) < keyRefreshEvery) {
		return keyInfo(cached)
	}
	actor, err := s.fetchKey(ctx, keyID)
	if err != nil {
		return PublicKeyInfo{}, err
	}
	return keyInfo(actor)
}

// Key fetches are made while an inbox request waits, so they are bounded:
// concurrent requests naming one key share one fetch, at most
// Config.KeyFetches run at once (keyFetchPerHost per host), a fetch waits
// at most keyFetchQueue for its turn (and at most keyFetchWaiters wait),
// and a key that failed is not fetched again for keyFailureTTL. Requests
// waiting hold no body: the inbox reads it once the key is known.
const (
	defaultKeyFetches = 16
	keyFetchPerHost   = 4
	keyFetchQueue     = 5 * time.Second
	keyFetchWaiters   = 256
	keyFailureTTL     = 2 * time.Minute
	// keyBusyRetry is the Retry-After of a request refused because the key
	// fetches are all taken: they end within keyFetchTimeout.
	keyBusyRetry = keyFetchTimeout
)

// keyFetchGate counts the key fetches in progress, in all and per host.
type keyFetchGate struct {
	mu      sync.Mutex
	total   int
	byHost  map[string]int
	waiting int
	freed   chan struct{} // closed and replaced at each release
}

// acquire takes a fetch slot for host, waiting up to keyFetchQueue for
// one; false when none came (or too many wait already).
func (g *keyFetchGate) acquire(ctx context.Context, host string, limit int) bool {
	deadline := time.NewTimer(keyFetchQueue)
	defer deadline.Stop()
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		if g.total < limit && g.byHost[host] < min(keyFetchPerHost, limit) {
			if g.byHost == nil {
				g.byHost = map[string]int{}
			}
			g.total++
			g.byHost[host]++
			return true
		}
		if g.waiting >= keyFetchWaiters {
			return false
		}
		if g.freed == nil {
			g.freed = make(chan struct{})
		}
		freed := g.freed
		g.waiting++
		g.mu.Unlock()
		var ok bool
		select {
		case <-freed:
			ok = true
		case <-deadline.C:
		case <-ctx.Done():
		}
		g.mu.Lock()
		g.waiting--
		if !ok {
			return false
		}
	}
}

func (g *keyFetchGate) release(host string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.total--
	if g.byHost[host]--; g.byHost[host] <= 0 {
		delete(g.byHost, host)
	}
	if g.freed != nil {
		close(g.freed)
		g.freed = nil
	}
}

// errKeyFetchBusy: every key fetch slot is taken.
var errKeyFetchBusy = errors.New("too many key fetches in progress")

// fetchKey fetches the owner of keyID, sharing the fetch with concurrent
// callers. Failures answer 401 like a bad signature (Mastodon retries a
// 401), with a Retry-After when the failure is remembered; a full gate
// answers 429 with Retry-After: the request may be fine, and every peer
// retries a 429 later, while a 5xx would count against our health.
func (s *Service) fetchKey(ctx context.Context, keyID string) (*models.RemoteActor, error) {
	now := s.now()
	if until, why := s.keyFailures.until(expiringKey(keyID), now); !until.IsZero() {
		se := keyFetchFailed(keyID, fmt.Errorf("%s (remembered; not asking again before %s)", why, until.Format(time.RFC3339)))
		se.RetryAfter = until.Sub(now)
		return nil, se
	}
	host := hostOf(keyID)
	if err := s.originBackedOff(host); err != nil {
		var be *OriginBackoffError
		errors.As(err, &be)
		se := keyFetchFailed(keyID, err)
		se.RetryAfter = be.Until.Sub(now)
		return nil, se
	}
	ch := s.keyFetches.DoChan(keyID, func() (any, error) {
		// The fetch is shared: it must not end with the first caller's request.
		shared := withFetchScope(context.WithoutCancel(ctx), nil)
		if !s.keyGate.acquire(shared, host, s.cfg.KeyFetches) {
			return nil, errKeyFetchBusy
		}
		defer s.keyGate.release(host)
		fctx, cancel := context.WithTimeout(shared, keyFetchTimeout)
		defer cancel()
		f := s.newFetcher(fctx)
		defer closeFetcher(f)
		actor, err := s.fetchKeyOwner(fctx, f, keyID)
		if err != nil {
			s.keyFailures.add(expiringKey(keyID), err.Error(), s.now().Add(keyFailureTTL), s.now())
			s.log.Warn("key fetch failed", "key", keyID, "host", host, "err", err)
		}
		return actor, err
	})
	s.Metrics.KeyFetchWaiting.Inc()
	defer s.Metrics.KeyFetchWaiting.Dec()
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("fetch key %s: %w", keyID, ctx.Err())
	case res := <-ch:
		if errors.Is(res.Err, errKeyFetchBusy) {
			return nil, &SignatureError{Reason: fmt.Sprintf("cannot fetch key %s now: %v; retry later", keyID, res.Err),
				Status: http.StatusTooManyRequests, RetryAfter: keyBusyRetry, cause: res.Err}
		}
		if res.Err != nil {
			return nil, keyFetchFailed(keyID, res.Err)
		}
		return res.Val.(*models.RemoteActor), nil
	}
}

// fetchKeyOwner fetches the key document and stores the actor owning it.
func (s *Service) fetchKeyOwner(ctx context.Context, f *Fetcher, keyID string) (*models.RemoteActor, error) {
	doc, err := s.fetchDoc(ctx, f, withoutFragment(keyID))
	if err != nil {
		return nil, err
	}
	var owner string
	switch k := pickKey(doc["publicKey"], keyID); {
	case k != nil: // an actor, or GoToSocial's stub actor at the key URL
		owner = idOf(k["owner"])
		if owner == "" {
			owner = str(doc["id"])
		}
		if owner == str(doc["id"]) && isActorType(typeOf(doc)) && idOf(doc["inbox"]) != "" {
			a, err := parseActor(doc, keyID)
			if err != nil {
				return nil, err
			}
			a.KeyVerified = true // the document at the key id is its owner
			return s.storeActor(ctx, a)
		}
	case str(doc["publicKeyPem"]) != "": // a bare key document
		if str(doc["id"]) != keyID {
			return nil, fmt.Errorf("key document id %q is not %q", str(doc["id"]), keyID)
		}
		owner = idOf(doc["owner"])
	default:
		return nil, errors.New("document holds no public key " + keyID)
	}
	if !sameHost(owner, keyID) {
		return nil, fmt.Errorf("key %s claims owner %q on another host", keyID, owner)
	}
	actor, err := s.fetchActorWith(ctx, f, owner, keyID)
	if err != nil {
		return nil, err
	}
	if actor.PublicKeyID != keyID {
		return nil, fmt.Errorf("actor %s does not list key %s", owner, keyID)
	}
	return actor, nil
}

func keyInfo(a *models.RemoteActor) (PublicKeyInfo, error) {
	key, err := ParsePublicKeyPEM(a.PublicKeyPEM)
	if err != nil {
		return PublicKeyInfo{}, unauthorized("key %s of %s is unusable: %v", a.PublicKeyID, a.URI, err)
	}
	return PublicKeyInfo{KeyID: a.PublicKeyID, OwnerURI: a.URI, Key: key}, nil
}
