package federation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults follow Mastodon's SignedRequest: a signature is valid for 5 minutes
// after its Date/created, plus a 1 h clock-skew margin on either side.
const (
	defaultSignatureMaxAge    = 65 * time.Minute
	defaultSignatureMaxFuture = time.Hour
	// Mastodon caps an explicit expires at created+12h.
	signatureExpiryLimit = 12 * time.Hour
)

// VerifyOptions tunes VerifyRequest. The zero value gives Mastodon's window.
type VerifyOptions struct {
	// Now is the clock; nil means time.Now. Tests set it to a captured Date.
	Now func() time.Time
	// MaxAge is how old Date/created may be (default 65 min).
	// MaxFuture is how far ahead it may be (default 1 h); it is also the
	// clock-skew margin applied to an explicit expires.
	MaxAge, MaxFuture time.Duration
}

func (o VerifyOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o VerifyOptions) maxAge() time.Duration {
	if o.MaxAge > 0 {
		return o.MaxAge
	}
	return defaultSignatureMaxAge
}

func (o VerifyOptions) maxFuture() time.Duration {
	if o.MaxFuture > 0 {
		return o.MaxFuture
	}
	return defaultSignatureMaxFuture
}

// KeyResolver returns the public key named by keyID. With refresh=false it may
// answer from a cache; with refresh=true it must refetch (the sender may have
// rotated its key). Anyone can trigger a refresh by sending a bad signature
// naming a key, so implementations should rate-limit refetches per key.
// Returning a *SignatureError passes that status through.
type KeyResolver func(ctx context.Context, keyID string, refresh bool) (PublicKeyInfo, error)

// PublicKeyInfo is a resolved key: *rsa.PublicKey, ed25519.PublicKey or
// *ecdsa.PublicKey (the last only for RFC 9421 ecdsa-p256-sha256).
type PublicKeyInfo struct {
	KeyID, OwnerURI string
	Key             crypto.PublicKey
}

// VerifiedRequest tells who signed a request. KeyID is the keyId the request
// named; OwnerURI comes from the resolver (the actor that owns the key). The
// caller must still check that the activity's actor is OwnerURI.
type VerifiedRequest struct {
	KeyID, OwnerURI string
	Scheme          string // "cavage" or "rfc9421"
}

// SignatureError is every failure of VerifyRequest. Status is 400 for
// malformed input and 401 for requests that are not (validly) signed.
type SignatureError struct {
	Reason string
	Status int
	// RetryAfter, when set, is how long the sender should wait (a key
	// fetch refused or remembered as failed).
	RetryAfter time.Duration
	cause      error
}

func (e *SignatureError) Error() string { return e.Reason }
func (e *SignatureError) Unwrap() error { return e.cause }

func sigErr(status int, format string, args ...any) *SignatureError {
	return &SignatureError{Reason: fmt.Sprintf(format, args...), Status: status}
}

func badRequest(format string, args ...any) *SignatureError {
	return sigErr(http.StatusBadRequest, format, args...)
}

func unauthorized(format string, args ...any) *SignatureError {
	return sigErr(http.StatusUnauthorized, format, args...)
}

// VerifyRequest checks the HTTP signature of an incoming request: draft-cavage
// (Signature or Authorization: Signature) or RFC 9421 (Signature-Input). body
// is the raw request body, already read by the caller. Cheap checks (syntax,
// coverage, time window, digest) run before the key is resolved so stale or
// broken requests never trigger a key fetch. It is ParseSignature then
// SignedRequest.Verify.
func VerifyRequest(ctx context.Context, r *http.Request, body []byte, resolve KeyResolver, opt VerifyOptions) (*VerifiedRequest, error) {
	if resolve == nil {
		return nil, sigErr(http.StatusInternalServerError, "no key resolver configured")
	}
	sr, err := ParseSignature(r, r != nil && (r.Method == http.MethodPost || len(body) > 0), opt)
	if err != nil {
		return nil, err
	}
	return sr.Verify(ctx, body, resolve)
}

// SignedRequest is a request whose signature passed every check that needs
// neither the body nor the key: syntax, covered components, time window.
// The inbox learns the key id from it before it reads the body.
type SignedRequest struct {
	KeyID  string
	scheme string
	digest func(body []byte) error // nil when no digest is signed
	verify func(crypto.PublicKey) error
}

// ParseSignature runs the body- and key-free checks of VerifyRequest.
// withBody says the request carries a body (every POST does), whose digest
// must then be signed.
func ParseSignature(r *http.Request, withBody bool, opt VerifyOptions) (*SignedRequest, error) {
	if r == nil || r.URL == nil {
		return nil, badRequest("no request to verify")
	}
	if r.Header.Get("Signature-Input") != "" {
		return parseRFC9421(r, withBody, opt)
	}
	return parseCavage(r, withBody, opt)
}

// Verify checks the body's digest, then resolves the key and verifies the
// signature with it.
func (sr *SignedRequest) Verify(ctx context.Context, body []byte, resolve KeyResolver) (*VerifiedRequest, error) {
	if resolve == nil {
		return nil, sigErr(http.StatusInternalServerError, "no key resolver configured")
	}
	if sr.digest != nil {
		if err := sr.digest(body); err != nil {
			return nil, err
		}
	}
	info, err := verifyWithRotation(ctx, sr.KeyID, resolve, sr.verify)
	if err != nil {
		return nil, err
	}
	return &VerifiedRequest{KeyID: sr.KeyID, OwnerURI: info.OwnerURI, Scheme: sr.scheme}, nil
}

// cavageParams is a parsed draft-cavage Signature header.
type cavageParams struct {
	KeyID     string
	Algorithm string   // lower-cased; "" when absent
	Headers   []string // lower-cased, in signing order
	Signature string   // base64 as sent
	Created   string   // raw, as it enters the signing string
	Expires   string
}

// maxSignatureHeader bounds parsing work on hostile input; real headers are
// under 1 KiB.
const maxSignatureHeader = 16 << 10

// parseSignatureHeader parses draft-cavage signature parameters. It accepts
// "," and ", " separators (GoToSocial and Mastodon differ from other peers),
// quoted or bare values, and an optional "Signature " auth-scheme prefix.
// Duplicate parameters are refused: which one a peer would use is ambiguous.
func parseSignatureHeader(h string) (*cavageParams, error) {
	if len(h) > maxSignatureHeader {
		return nil, errors.New("signature header too long")
	}
	s := strings.TrimSpace(h)
	if len(s) >= 10 && strings.EqualFold(s[:10], "signature ") {
		s = s[10:]
	}
	seen := map[string]bool{}
	p := &cavageParams{}
	i := 0
	for {
		for i < len(s) && (s[i] == ',' || s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		start := i
		for i < len(s) && isCavageNameChar(s[i]) {
			i++
		}
		name := strings.ToLower(s[start:i])
		if name == "" {
			return nil, fmt.Errorf("unexpected %q at offset %d", s[i], i)
		}
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("parameter %q has no value", name)
		}
		i++
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		var val string
		if i < len(s) && s[i] == '"' {
			i++
			var b strings.Builder
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(c)
				i++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated quoted value for %q", name)
			}
			val = b.String()
		} else {
			start := i
			for i < len(s) && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
				if s[i] == '"' {
					return nil, fmt.Errorf("stray quote in value of %q", name)
				}
				i++
			}
			val = s[start:i]
		}
		// After a value only whitespace and a comma may follow.
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i < len(s) && s[i] != ',' {
			return nil, fmt.Errorf("expected ',' after %q at offset %d", name, i)
		}
		if seen[name] {
			return nil, fmt.Errorf("duplicate parameter %q", name)
		}
		seen[name] = true
		switch name {
		case "keyid":
			p.KeyID = val
		case "algorithm":
			p.Algorithm = strings.ToLower(val)
		case "headers":
			p.Headers = strings.Fields(strings.ToLower(val))
		case "signature":
			p.Signature = val
		case "created":
			p.Created = val
		case "expires":
			p.Expires = val
		}
	}
	if p.KeyID == "" {
		return nil, errors.New("missing keyId")
	}
	if p.Signature == "" {
		return nil, errors.New("missing signature")
	}
	if !seen["headers"] {
		// Mastodon's defaults when headers is absent.
		if p.Algorithm == "" || p.Algorithm == "hs2019" {
			p.Headers = []string{"(created)"}
		} else {
			p.Headers = []string{"date"}
		}
	}
	return p, nil
}

func isCavageNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func parseCavage(r *http.Request, withBody bool, opt VerifyOptions) (*SignedRequest, error) {
	raw := r.Header.Get("Signature")
	if raw == "" {
		if a := strings.TrimSpace(r.Header.Get("Authorization")); len(a) > 10 && strings.EqualFold(a[:10], "signature ") {
			raw = a
		}
	}
	if raw == "" {
		return nil, unauthorized("request is not signed (no Signature or Signature-Input header)")
	}
	p, err := parseSignatureHeader(raw)
	if err != nil {
		return nil, badRequest("malformed Signature header: %v", err)
	}
	switch p.Algorithm {
	case "", "hs2019", "rsa-sha256", "ed25519":
	default:
		return nil, unauthorized("unsupported signature algorithm %q (rsa-sha256, hs2019 and ed25519 are supported)", p.Algorithm)
	}
	sig, err := decodeBase64(p.Signature)
	if err != nil {
		return nil, badRequest("signature is not valid base64: %v", err)
	}

	signed := map[string]bool{}
	for _, h := range p.Headers {
		signed[h] = true
	}
	if !signed["(request-target)"] {
		return nil, unauthorized("(request-target) must be signed")
	}
	if !signed["host"] {
		return nil, unauthorized("host must be signed")
	}
	if !signed["date"] && !signed["(created)"] {
		return nil, unauthorized("date or (created) must be signed")
	}
	if withBody && !signed["digest"] {
		return nil, unauthorized("digest must be signed for a %s with a body", r.Method)
	}

	now := opt.now()
	var signedAt time.Time
	if signed["date"] {
		d := r.Header.Get("Date")
		if d == "" {
			return nil, unauthorized("signed header date is missing")
		}
		t, err := http.ParseTime(d)
		if err != nil {
			return nil, badRequest("invalid Date header %q", d)
		}
		signedAt = t
		if err := checkWindow("Date", t, now, opt); err != nil {
			return nil, err
		}
	}
	if signed["(created)"] {
		t, err := parseUnixParam("created", p.Created)
		if err != nil {
			return nil, err
		}
		signedAt = t
		if err := checkWindow("created", t, now, opt); err != nil {
			return nil, err
		}
	}
	if p.Expires != "" {
		exp, err := parseUnixParam("expires", p.Expires)
		if err != nil {
			return nil, err
		}
		if err := checkExpires(exp, signedAt, now, opt); err != nil {
			return nil, err
		}
	}
	if signed["(expires)"] && p.Expires == "" {
		return nil, badRequest("(expires) is signed but the expires parameter is missing")
	}
	if signed["digest"] && len(r.Header.Values("Digest")) == 0 {
		return nil, unauthorized("Digest header is missing")
	}
	bases, err := cavageSigningStrings(r, p)
	if err != nil {
		return nil, err
	}
	sr := &SignedRequest{KeyID: p.KeyID, scheme: "cavage", verify: anyBase(bases, func(key crypto.PublicKey, base []byte) error {
		return verifyCavageSignature(key, p.Algorithm, base, sig)
	})}
	if signed["digest"] {
		digests := r.Header.Values("Digest")
		sr.digest = func(body []byte) error { return checkDigestHeader(digests, body) }
	}
	return sr, nil
}

// cavageSigningStrings builds the candidate signing strings: the
// (request-target) with the query first, then without it (Fedify, and older
// Mastodon, sign the bare path), then with the decoded path (signers built on
// go-fed/httpsig sign r.URL.Path, which is decoded).
func cavageSigningStrings(r *http.Request, p *cavageParams) ([]string, error) {
	method := strings.ToLower(r.Method)
	var targets []string
	addTarget := func(t string) {
		for _, x := range targets {
			if x == t {
				return
			}
		}
		targets = append(targets, t)
	}
	addTarget(requestURI(r))
	addTarget(escapedPath(r))
	if r.URL.Path != "" {
		if r.URL.RawQuery != "" {
			addTarget(r.URL.Path + "?" + r.URL.RawQuery)
		}
		addTarget(r.URL.Path)
	}

	lines := make([]string, len(p.Headers))
	targetLine := -1
	for i, h := range p.Headers {
		switch h {
		case "(request-target)":
			targetLine = i
		case "(created)":
			if p.Created == "" {
				return nil, badRequest("(created) is signed but the created parameter is missing")
			}
			lines[i] = "(created): " + p.Created
		case "(expires)":
			lines[i] = "(expires): " + p.Expires
		case "host":
			lines[i] = "host: " + requestHost(r)
		default:
			if strings.HasPrefix(h, "(") {
				return nil, unauthorized("unsupported pseudo-header %s", h)
			}
			vals := r.Header.Values(h)
			if len(vals) == 0 {
				return nil, unauthorized("signed header %s is missing", h)
			}
			lines[i] = h + ": " + joinHeaderValues(vals)
		}
	}
	out := make([]string, 0, len(targets))
	for _, t := range targets {
		if targetLine >= 0 {
			lines[targetLine] = "(request-target): " + method + " " + t
		}
		out = append(out, strings.Join(lines, "\n"))
		if targetLine < 0 {
			break
		}
	}
	return out, nil
}

// requestURI is the raw path and query as received.
func requestURI(r *http.Request) string {
	if u := r.URL.RequestURI(); u != "" {
		return u
	}
	return "/"
}

func escapedPath(r *http.Request) string {
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// requestHost is the Host the request arrived with. Go's server moves Host
// out of r.Header into r.Host; client-built requests may carry either.
func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if h := r.Header.Get("Host"); h != "" {
		return h
	}
	return r.URL.Host
}

func joinHeaderValues(vals []string) string {
	trimmed := make([]string, len(vals))
	for i, v := range vals {
		trimmed[i] = strings.TrimSpace(v)
	}
	return strings.Join(trimmed, ", ")
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		return b, nil
	}
	if b2, err2 := base64.RawStdEncoding.DecodeString(s); err2 == nil {
		return b2, nil
	}
	return nil, err
}

// parseUnixParam reads a created/expires value; cavage allows a fraction.
func parseUnixParam(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, badRequest("%s parameter is missing", name)
	}
	whole, frac, _ := strings.Cut(v, ".")
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || n < 0 || strings.Trim(frac, "0123456789") != "" {
		return time.Time{}, badRequest("invalid %s parameter %q", name, v)
	}
	return time.Unix(n, 0), nil
}

func checkWindow(what string, t, now time.Time, opt VerifyOptions) error {
	if t.After(now.Add(opt.maxFuture())) {
		return unauthorized("%s %s is too far in the future (now %s)", what, t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if now.Sub(t) > opt.maxAge() {
		return unauthorized("%s %s is too old (now %s, limit %s)", what, t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), opt.maxAge())
	}
	return nil
}

// checkExpires honours an explicit expiry, capped like Mastodon's at 12 h
// after signing, with the skew margin.
func checkExpires(exp, signedAt, now time.Time, opt VerifyOptions) error {
	if !signedAt.IsZero() && exp.After(signedAt.Add(signatureExpiryLimit)) {
		exp = signedAt.Add(signatureExpiryLimit)
	}
	if now.After(exp.Add(opt.maxFuture())) {
		return unauthorized("signature expired at %s", exp.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkDigestHeader verifies an RFC 3230 Digest header. SHA-256 is required
// (as Mastodon does); a SHA-512 entry, if present, must match too.
func checkDigestHeader(vals []string, body []byte) error {
	if len(vals) == 0 {
		return unauthorized("Digest header is missing")
	}
	var found256 bool
	var offered []string
	for _, part := range strings.Split(strings.Join(vals, ","), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		algo, val, ok := strings.Cut(part, "=")
		if !ok {
			return badRequest("malformed Digest entry %q", part)
		}
		algo = strings.ToLower(strings.TrimSpace(algo))
		offered = append(offered, algo)
		var want []byte
		switch algo {
		case "sha-256":
			found256 = true
			s := sha256.Sum256(body)
			want = s[:]
		case "sha-512":
			s := sha512.Sum512(body)
			want = s[:]
		default:
			continue
		}
		got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(val))
		if err != nil || len(got) != len(want) {
			return badRequest("Digest %s value %q is not a valid base64 %s digest", algo, val, algo)
		}
		if !bytes.Equal(got, want) {
			return badRequest("Digest %s does not match the body (computed %s, given %s)", algo, base64.StdEncoding.EncodeToString(want), strings.TrimSpace(val))
		}
	}
	if !found256 {
		return unauthorized("Digest header must contain SHA-256 (offered: %s)", strings.Join(offered, ", "))
	}
	return nil
}

// verifyWithRotation resolves the key and verifies; when that fails it asks
// once for a fresh key, because the sender may have rotated it since we cached.
func verifyWithRotation(ctx context.Context, keyID string, resolve KeyResolver, verify func(crypto.PublicKey) error) (PublicKeyInfo, error) {
	info, err := resolve(ctx, keyID, false)
	if err != nil {
		return info, resolveError(keyID, err)
	}
	if info.Key == nil {
		return info, unauthorized("no public key found for %s", keyID)
	}
	verr := verify(info.Key)
	if verr == nil {
		return info, nil
	}
	fresh, err := resolve(ctx, keyID, true)
	if err == nil && fresh.Key != nil && !sameKey(fresh.Key, info.Key) {
		if verify(fresh.Key) == nil {
			return fresh, nil
		}
	}
	e := unauthorized("signature does not verify with key %s: %v", keyID, verr)
	e.cause = verr
	return info, e
}

func resolveError(keyID string, err error) error {
	var se *SignatureError
	if errors.As(err, &se) {
		return se
	}
	return &SignatureError{
		Reason: fmt.Sprintf("cannot resolve key %s: %v", keyID, err),
		Status: http.StatusUnauthorized,
		cause:  err,
	}
}

func sameKey(a, b crypto.PublicKey) bool {
	if e, ok := a.(interface{ Equal(crypto.PublicKey) bool }); ok {
		return e.Equal(b)
	}
	return false
}

// verifyCavageSignature checks one signing string. hs2019 means "whatever the
// key is"; for RSA keys every fediverse peer uses PKCS#1 v1.5 with SHA-256.
func verifyCavageSignature(key crypto.PublicKey, algorithm string, msg, sig []byte) error {
	switch k := normalizeKey(key).(type) {
	case *rsa.PublicKey:
		if algorithm == "ed25519" {
			return errors.New("algorithm ed25519 but the key is RSA")
		}
		return verifyRSA(k, msg, sig)
	case ed25519.PublicKey:
		if algorithm == "rsa-sha256" {
			return errors.New("algorithm rsa-sha256 but the key is Ed25519")
		}
		return verifyEd25519(k, msg, sig)
	default:
		return fmt.Errorf("unsupported key type %T", key)
	}
}

func normalizeKey(key crypto.PublicKey) crypto.PublicKey {
	switch k := key.(type) {
	case *ed25519.PublicKey:
		if k != nil {
			return *k
		}
	case rsa.PublicKey:
		return &k
	}
	return key
}

func verifyRSA(k *rsa.PublicKey, msg, sig []byte) error {
	if err := checkRSAKey(k); err != nil {
		return err
	}
	h := sha256.Sum256(msg)
	return rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig)
}

func verifyRSAPSS512(k *rsa.PublicKey, msg, sig []byte) error {
	if err := checkRSAKey(k); err != nil {
		return err
	}
	h := sha512.Sum512(msg)
	return rsa.VerifyPSS(k, crypto.SHA512, h[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
}

// checkRSAKey refuses absent keys and absurdly large ones (verification cost
// grows with the modulus, and keys come from remote documents).
func checkRSAKey(k *rsa.PublicKey) error {
	if k == nil || k.N == nil {
		return errors.New("empty RSA key")
	}
	if k.N.BitLen() > 8192 {
		return fmt.Errorf("RSA key of %d bits is too large", k.N.BitLen())
	}
	return nil
}

func verifyEd25519(k ed25519.PublicKey, msg, sig []byte) error {
	// ed25519.Verify panics on a malformed key.
	if len(k) != ed25519.PublicKeySize {
		return errors.New("malformed Ed25519 key")
	}
	if !ed25519.Verify(k, msg, sig) {
		return errors.New("ed25519 verification failed")
	}
	return nil
}

// verifyECDSAP256 checks an RFC 9421 ecdsa-p256-sha256 signature (r||s).
func verifyECDSAP256(k *ecdsa.PublicKey, msg, sig []byte) error {
	if k == nil || k.Curve == nil || k.Params().BitSize != 256 || len(sig) != 64 {
		return errors.New("ecdsa-p256-sha256 needs a P-256 key and a 64-byte signature")
	}
	h := sha256.Sum256(msg)
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(k, h[:], r, s) {
		return errors.New("ecdsa verification failed")
	}
	return nil
}

// anyBase verifies a signature against each candidate signature base (the
// forms senders differ on) and succeeds on the first that matches; it
// returns the last failure otherwise.
func anyBase(bases []string, check func(key crypto.PublicKey, base []byte) error) func(crypto.PublicKey) error {
	return func(key crypto.PublicKey) error {
		var last error
		for _, b := range bases {
			if last = check(key, []byte(b)); last == nil {
				return nil
			}
		}
		return last
	}
}
