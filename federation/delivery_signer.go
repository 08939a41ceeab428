package federation

import (
	"context"
	"crypto/rsa"
	"fmt"
	"sync"
	"time"
)

// signerReload is how long a signer is used before its PEM is read again:
// a rotated key is picked up within it, and a fan-out of thousands of
// deliveries reads the database once, not per request.
const signerReload = time.Minute

// signerCache keeps parsed private keys: parsing an RSA PEM costs about as
// much as a signature, so doing it per delivery would halve throughput.
type signerCache struct {
	mu sync.Mutex
	m  map[string]cachedSigner // by SignAs
}

type cachedSigner struct {
	pem    string
	signer Signer
	loaded time.Time
}

// signerFor returns the signer of a local actor: an author by username, or
// the blog actor for "" (or its username).
func (s *Service) signerFor(ctx context.Context, signAs string) (Signer, error) {
	now := s.now()
	s.keys.mu.Lock()
	c, ok := s.keys.m[signAs]
	s.keys.mu.Unlock()
	if ok && now.Sub(c.loaded) < signerReload {
		return c.signer, nil
	}
	pem, keyID, err := s.privateKeyOf(ctx, signAs)
	if err != nil {
		return Signer{}, err
	}
	var key *rsa.PrivateKey
	if ok && c.pem == pem && c.signer.KeyID == keyID {
		key = c.signer.Key
	} else if key, err = ParsePrivateKeyPEM(pem); err != nil {
		return Signer{}, fmt.Errorf("key of %q: %w", signAs, err)
	}
	sg := Signer{KeyID: keyID, Key: key}
	s.keys.mu.Lock()
	s.keys.m[signAs] = cachedSigner{pem: pem, signer: sg, loaded: now}
	s.keys.mu.Unlock()
	return sg, nil
}

// privateKeyOf reads the PEM and key id of a local actor.
func (s *Service) privateKeyOf(ctx context.Context, signAs string) (pem, keyID string, err error) {
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return "", "", err
	}
	if signAs == "" || IsBlogActor(st, signAs) {
		return st.BlogPrivateKeyPEM, s.cfg.URLs.ActorKey(blogActorName(st)), nil
	}
	a, err := s.store.AuthorByUsername(ctx, signAs)
	if err != nil {
		return "", "", fmt.Errorf("signer %q: %w", signAs, err)
	}
	return a.PrivateKeyPEM, s.cfg.URLs.ActorKey(a.Username), nil
}
