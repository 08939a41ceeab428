package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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

func keyFetchFailed(keyID string, err error) error {
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
	ctx, cancel := context.WithTimeout(ctx, keyFetchTimeout)
	defer cancel()
	f := s.newFetcher(ctx)
	defer closeFetcher(f)
	actor, err := s.fetchKeyOwner(ctx, f, keyID)
	if err != nil {
		s.log.Warn("key fetch failed", "key", keyID, "host", hostOf(keyID), "err", err)
		return PublicKeyInfo{}, keyFetchFailed(keyID, err)
	}
	return keyInfo(actor)
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
