package federation

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Authorized fetch (Settings.AuthorizedFetch): ActivityPub documents are
// served only to requests signed by a fediverse actor, so a blocked server
// cannot read them anonymously. Actor documents stay readable unsigned in a
// key-only form (a peer must read our key to verify our signatures), and
// the instance actor and discovery documents are always public.

// FetchRequired reports whether AS2 GETs must be signed.
func (s *Service) FetchRequired(ctx context.Context) (bool, error) {
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return false, err
	}
	return st.AuthorizedFetch, nil
}

// VerifyGET checks the HTTP signature of a GET for authorized fetch: a
// valid signature by a key that resolves, from an actor not blocked. Errors
// are *SignatureError (401 unsigned or invalid, 400 malformed; 403 for a
// blocked signer).
func (s *Service) VerifyGET(ctx context.Context, r *http.Request) (*VerifiedRequest, error) {
	resolve := s.resolveKeyFn
	if resolve == nil {
		resolve = s.ResolveKey
	}
	vr, err := VerifyRequest(ctx, r, nil, resolve, VerifyOptions{Now: s.now})
	if err != nil {
		return nil, err
	}
	host := ""
	if u, err := url.Parse(vr.OwnerURI); err == nil {
		host = u.Host
	}
	b, err := s.store.MatchBlock(ctx, vr.OwnerURI, host, "")
	if err != nil {
		return nil, fmt.Errorf("verify fetch: %w", err)
	}
	if b != nil {
		return nil, sigErr(http.StatusForbidden, "signer %s is blocked", vr.OwnerURI)
	}
	return vr, nil
}
