package federation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"fedpress/models"
)

// MaxInboxBody is the largest activity the inbox reads (Mastodon's is the
// same order; real activities are a few KiB).
const MaxInboxBody = 1 << 20

// InboxResult is the answer to one inbox POST.
type InboxResult struct {
	Status     int    // 202 when stored (or deliberately dropped), else the 4xx/5xx to answer
	Reason     string // why it was refused or dropped; empty when stored
	ActivityID string
	Type       string
	// RetryAfter, when set, is how long the sender should wait before
	// trying again (rate limits, key fetches; the Retry-After header).
	RetryAfter time.Duration
}

// InboxGate lets the HTTP layer rate-limit inbox POSTs. Each function
// returns how long the sender must wait, 0 to let the request through; a
// nil function lets everything through.
type InboxGate struct {
	// Host is asked before the signature is verified or the body read,
	// with the host of the key id. That is an unproven claim: Host must
	// only check, never count, so that forged requests cannot spend the
	// allowance of the host they name.
	Host func(host string) time.Duration
	// Signer is asked once the signature verified, with the signing actor
	// and its host; it counts the request.
	Signer func(actor, host string) time.Duration
}

// errUnsigned marks a request with no signature at all.
var errUnsigned = errors.New("request is not signed")

// maxKeylessBody is how much of the body is read when the key cannot be
// had: enough for the Delete of a gone actor (see ReceiveInbox), small
// enough that many such requests hold little memory.
const maxKeylessBody = 64 << 10

// pendingRetry is the Retry-After of a sender over its pending cap: the
// worker applies its items within seconds unless something is wrong.
const pendingRetry = time.Minute

// SetClock replaces the service's clock, which also dates signature checks.
// Tests verifying captured requests set it to the capture's Date. Call it
// before the service is used: it is not synchronised.
func (s *Service) SetClock(now func() time.Time) {
	if now != nil {
		s.now = now
	}
}

// knownActivityTypes are stored for the worker; anything else is answered
// 202 and dropped.
var knownActivityTypes = map[string]bool{
	"Follow": true, "Undo": true, "Accept": true, "Reject": true, "Create": true, "Update": true,
	"Delete": true, "Like": true, "Announce": true, "EmojiReact": true, "Move": true, "QuoteRequest": true,
}

// ReceiveInbox is ReceiveInboxGated without rate limits.
func (s *Service) ReceiveInbox(ctx context.Context, r *http.Request, recipient string) InboxResult {
	return s.ReceiveInboxGated(ctx, r, recipient, InboxGate{})
}

// ReceiveInboxGated checks one inbox POST and stores it for the worker; it
// never fetches anything but the signer's key (cached after the first
// request; see fetchKey for how those fetches are bounded). recipient is
// the local username of a personal inbox, "" for the shared inbox and the
// instance actor's. Checks, cheapest first, and the body read only once
// the key is known, so that requests waiting for a key fetch hold no body:
// method (405), content type (415), declared size (413), recipient (404),
// signature headers and date (400/401), gate.Host (429), domain blocks by
// the key's host (202, dropped: Mastodon does the same, and a 403 only
// teaches a blocked server to retry or to probe), the key (401; 429 when
// key fetches are all busy), the body: size (413) and JSON with type,
// actor and id (400), actor blocks (202, dropped), the Delete of an actor
// we never knew (202, dropped, even unsigned or keyless: its key is gone),
// the signature and digest (401/400), key owner == actor (401), activity
// id on the actor's host (400), gate.Signer (429), the actor's pending
// items (Config.InboxPendingPerActor, 429), then the store (duplicate ids:
// 202, nothing new). Hostile input never causes a 5xx: a panic is
// recovered as 400.
func (s *Service) ReceiveInboxGated(ctx context.Context, r *http.Request, recipient string, gate InboxGate) (res InboxResult) {
	remote := r.RemoteAddr
	defer func() {
		if p := recover(); p != nil {
			res = InboxResult{Status: http.StatusBadRequest, Reason: "malformed request"}
			s.log.Error("inbox: recovered from panic", "panic", fmt.Sprint(p), "remote", remote)
			s.reject(res, "panic", remote, "")
		}
	}()
	if r.Method != http.MethodPost {
		return s.reject(InboxResult{Status: http.StatusMethodNotAllowed, Reason: "inbox accepts POST only"}, "method", remote, "")
	}
	if !isActivityContentType(r.Header.Get("Content-Type")) {
		return s.reject(InboxResult{Status: http.StatusUnsupportedMediaType,
			Reason: fmt.Sprintf("content type %q: want application/activity+json or application/ld+json", r.Header.Get("Content-Type"))}, "content_type", remote, "")
	}
	if r.ContentLength > MaxInboxBody {
		return s.reject(InboxResult{Status: http.StatusRequestEntityTooLarge, Reason: fmt.Sprintf("body over %d bytes", MaxInboxBody)}, "too_large", remote, "")
	}
	var keyHost string
	fail := func(status int, reason, label string) InboxResult {
		res.Status, res.Reason = status, reason
		host := hostOf(res.ActivityID)
		if host == "" {
			host = keyHost
		}
		return s.reject(res, label, remote, host)
	}
	sigFail := func(err error) InboxResult {
		status, label := http.StatusUnauthorized, "signature"
		var se *SignatureError
		if errors.As(err, &se) {
			if se.Status >= 400 && se.Status < 500 {
				status = se.Status
			}
			res.RetryAfter = se.RetryAfter
		}
		var kfe *keyFetchError
		if errors.As(err, &kfe) {
			label = "key_fetch"
		}
		if errors.Is(err, errKeyFetchBusy) {
			label = "key_fetch_busy"
		}
		if errors.Is(err, errKeyStore) {
			s.log.Error("inbox: key lookup failed", "err", err)
			res.RetryAfter = 0
			return fail(http.StatusServiceUnavailable, "try again later", "unavailable")
		}
		return fail(status, err.Error(), label)
	}

	if recipient != "" {
		ok, err := s.isLocalActor(ctx, recipient)
		if err != nil {
			return fail(http.StatusServiceUnavailable, "try again later", "unavailable")
		}
		if !ok {
			return fail(http.StatusNotFound, "no such inbox", "recipient")
		}
	}
	blocks, err := s.store.ListBlocks(ctx)
	if err != nil {
		return fail(http.StatusServiceUnavailable, "try again later", "unavailable")
	}
	blocked := func(actor, host string) bool {
		for i := range blocks {
			if blocks[i].Matches(actor, host, "") {
				return true
			}
		}
		return false
	}

	// keyErr is why the request cannot be verified: unsigned, or its key
	// cannot be had. Such a request is still read, for the Delete of a
	// gone actor below; a signed one only up to maxKeylessBody.
	var (
		sr     *SignedRequest
		key    PublicKeyInfo
		keyErr error
		limit  int64 = MaxInboxBody
	)
	if r.Header.Get("Signature") == "" && r.Header.Get("Signature-Input") == "" && !strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "signature ") {
		keyErr = errUnsigned
	} else {
		if sr, err = ParseSignature(r, true, VerifyOptions{Now: func() time.Time { return s.now() }}); err != nil {
			return sigFail(err)
		}
		keyHost = hostOf(sr.KeyID)
		if gate.Host != nil {
			if d := gate.Host(keyHost); d > 0 {
				res.RetryAfter = d
				return fail(http.StatusTooManyRequests, fmt.Sprintf("too many activities from %s; retry later", keyHost), "rate_host")
			}
		}
		if blocked("", keyHost) {
			res.Status, res.Reason = http.StatusAccepted, "blocked"
			return s.reject(res, "blocked", remote, keyHost)
		}
		// The key, fetched now if unknown, before the body is read:
		// requests waiting for a key fetch hold no body.
		key, keyErr = s.ResolveKey(ctx, sr.KeyID, false)
		var se *SignatureError
		if keyErr != nil && (errors.Is(keyErr, errKeyStore) || errors.As(keyErr, &se) && se.Status == http.StatusTooManyRequests || ctx.Err() != nil) {
			return sigFail(keyErr)
		}
		if keyErr != nil {
			if limit = maxKeylessBody; r.ContentLength > limit {
				return sigFail(keyErr)
			}
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	switch {
	case err != nil:
		return fail(http.StatusBadRequest, "could not read the body", "read")
	case int64(len(body)) > limit && limit < MaxInboxBody:
		return sigFail(keyErr)
	case len(body) > MaxInboxBody:
		return fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", MaxInboxBody), "too_large")
	}
	act, err := parseActivity(body)
	if err != nil {
		return fail(http.StatusBadRequest, err.Error(), "malformed")
	}
	res.ActivityID, res.Type = act.ID, act.Type
	actorHost := hostOf(act.Actor)
	if blocked(act.Actor, actorHost) {
		res.Status, res.Reason = http.StatusAccepted, "blocked"
		return s.reject(res, "blocked", remote, actorHost)
	}
	// Mastodon accepts a Delete of an actor it never knew without checking
	// the signature: the key is usually gone (410) and there is nothing to
	// delete anyway.
	if act.Type == "Delete" && act.objectID() == act.Actor {
		if _, err := s.store.RemoteActorByURI(ctx, act.Actor); models.ErrIsNotFound(err) {
			res.Status, res.Reason = http.StatusAccepted, "delete of an unknown actor"
			return s.reject(res, "unknown_actor_delete", remote, actorHost)
		}
	}
	if errors.Is(keyErr, errUnsigned) {
		return fail(http.StatusUnauthorized, "request is not signed", "unsigned")
	}
	if keyErr != nil {
		return sigFail(keyErr)
	}
	vr, err := sr.Verify(ctx, body, func(ctx context.Context, keyID string, refresh bool) (PublicKeyInfo, error) {
		if !refresh && keyID == sr.KeyID {
			return key, nil
		}
		return s.ResolveKey(ctx, keyID, refresh)
	})
	if err != nil {
		return sigFail(err)
	}
	if vr.OwnerURI != act.Actor {
		return fail(http.StatusUnauthorized, fmt.Sprintf("signed by %s (key %s), not by the actor %s", vr.OwnerURI, vr.KeyID, act.Actor), "actor_mismatch")
	}
	if !sameHost(act.ID, act.Actor) {
		return fail(http.StatusBadRequest, fmt.Sprintf("activity id %s is not on the actor's host %s", act.ID, actorHost), "foreign_id")
	}
	if gate.Signer != nil {
		if d := gate.Signer(act.Actor, actorHost); d > 0 {
			res.RetryAfter = d
			return fail(http.StatusTooManyRequests, fmt.Sprintf("too many activities from %s; retry later", act.Actor), "rate_actor")
		}
	}

	if !knownActivityTypes[act.Type] {
		// Accepted so the sender does not retry; nothing here acts on it.
		s.Metrics.InboxAccepted.WithLabelValues("other").Inc()
		s.log.Debug("inbox: ignoring activity type", "type", act.Type, "id", act.ID, "host", actorHost)
		res.Status, res.Reason = http.StatusAccepted, "ignored type"
		return res
	}
	// What one actor can make us store waits for the worker: past the cap,
	// it waits at the sender's side instead.
	if n, err := s.store.CountPendingInboxOf(ctx, act.Actor, s.cfg.InboxPendingPerActor); err != nil {
		s.log.Error("inbox: cannot count pending activities", "actor", act.Actor, "err", err)
		return fail(http.StatusServiceUnavailable, "try again later", "unavailable")
	} else if n >= int64(s.cfg.InboxPendingPerActor) {
		res.RetryAfter = pendingRetry
		return fail(http.StatusTooManyRequests, fmt.Sprintf("%d activities of %s are waiting to be processed; retry later", n, act.Actor), "pending_cap")
	}
	item := &models.InboxItem{
		ActivityID: act.ID, Type: act.Type, ActorURI: act.Actor, SignerKeyID: vr.KeyID, Recipient: recipient,
		Body: string(body), ReceivedAt: s.now(), NextAt: s.now(),
	}
	created, err := s.store.CreateInboxItem(ctx, item)
	if err != nil {
		s.log.Error("inbox: cannot store activity", "id", act.ID, "err", err)
		return fail(http.StatusServiceUnavailable, "try again later", "unavailable")
	}
	res.Status = http.StatusAccepted
	if !created {
		res.Reason = "duplicate"
		s.Metrics.InboxRejected.WithLabelValues("duplicate").Inc()
		s.log.Debug("inbox: duplicate activity", "id", act.ID, "host", actorHost)
		return res
	}
	s.Metrics.InboxAccepted.WithLabelValues(act.Type).Inc()
	return res
}

// reject counts and logs a refused (or dropped) request.
func (s *Service) reject(res InboxResult, label, remote, host string) InboxResult {
	s.Metrics.InboxRejected.WithLabelValues(label).Inc()
	s.log.Warn("inbox: refused or dropped", "status", res.Status, "reason", res.Reason, "host", host, "remote", remote,
		"activity", res.ActivityID, "type", res.Type)
	return res
}

// isActivityContentType accepts application/activity+json and
// application/ld+json (with any profile).
func isActivityContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/activity+json" || mt == "application/ld+json"
}

// isLocalActor reports whether username is the blog actor or an author.
func (s *Service) isLocalActor(ctx context.Context, username string) (bool, error) {
	// No username of ours has a NUL or invalid UTF-8; PostgreSQL would refuse
	// the lookup and turn a 404 into a 503.
	if !utf8.ValidString(username) || strings.ContainsRune(username, 0) {
		return false, nil
	}
	st, err := s.store.GetSettings(ctx)
	if err != nil {
		return false, err
	}
	if strings.EqualFold(username, blogUsername(st)) {
		return true, nil
	}
	_, err = s.store.AuthorByUsername(ctx, username)
	if models.ErrIsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

func blogUsername(st *models.Settings) string {
	if st.BlogUsername != "" {
		return st.BlogUsername
	}
	return models.DefaultBlogUsername
}
