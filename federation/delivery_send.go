package federation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fedpress/models"
)

// Outcome labels of the Deliveries metric.
const (
	deliveryOutcomeDelivered = "delivered"
	deliveryOutcomeRetry     = "retry"
	deliveryOutcomeFailed    = "failed"
	deliveryOutcomeReleased  = "released"
)

// maxRetryAfter caps a peer's Retry-After: a day is as long as we wait.
const maxRetryAfter = 24 * time.Hour

// newDeliveryClient is the safe client of fetch.go (no private addresses
// unless allowed, https only) with the delivery timeout. Redirects are not
// followed: a POST must not be replayed elsewhere, and an inbox that
// redirects is misconfigured.
func (s *Service) newDeliveryClient() *http.Client {
	c := NewHTTPClient(FetchPolicy{
		AllowPrivate: s.cfg.AllowPrivatePeers, Timeout: s.tune.requestTimeout,
		UserAgent: s.userAgent(),
	})
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if t, ok := c.Transport.(*guardedTransport); ok {
		// Deliveries go to a few connections per host at most.
		t.base.MaxIdleConnsPerHost = s.cfg.PerHost
		t.base.MaxIdleConns = 4 * s.cfg.Workers
	}
	return c
}

func (s *Service) userAgent() string {
	if s.cfg.UserAgent != "" {
		return s.cfg.UserAgent
	}
	ua := "fedpress"
	if s.cfg.URLs.Base != nil {
		ua += " (+" + s.cfg.URLs.Abs("/") + ")"
	}
	return ua
}

// attemptResult is what one POST produced.
type attemptResult struct {
	status     int
	retryAfter time.Duration
	err        error
}

// recordFailure writes a failed attempt: a retry at its backoff time, or a
// final failure (4xx, or retrying would pass giveUpAfter).
func (s *Service) recordFailure(ctx context.Context, a attemptDone) {
	d, r := a.d, a.r
	o := models.DeliveryOutcome{ID: d.ID, Attempts: d.Attempts + 1, LastStatus: r.status, At: a.at}
	retry, reason := classify(r)
	if retry && (r.err != nil && r.status == 0 || r.status >= 500) {
		s.hostFailed(ctx, d.Host)
	}
	o.LastError = reason
	o.Status = models.DeliveryFailed
	if retry {
		next := a.at.Add(s.backoff(o.Attempts, r.retryAfter))
		if next.After(d.CreatedAt.Add(s.tune.giveUpAfter)) {
			o.LastError = fmt.Sprintf("gave up after %d attempts: %s", o.Attempts, reason)
		} else {
			o.Status, o.NextAttemptAt = models.DeliveryPending, next
		}
	}
	ok, err := s.store.FinishDelivery(ctx, s.holder, o)
	if err != nil {
		s.log.Error("record delivery outcome", "id", d.ID, "inbox", d.Inbox, "err", err)
		return
	}
	if !ok {
		s.log.Warn("delivery row was taken over by another process before its outcome was recorded", "id", d.ID, "inbox", d.Inbox)
	}
	if o.Status == models.DeliveryPending {
		s.Metrics.Deliveries.WithLabelValues(deliveryOutcomeRetry).Inc()
		s.log.Warn("delivery failed, will retry", "host", d.Host, "inbox", d.Inbox, "activity", d.ActivityID,
			"attempt", o.Attempts, "status", r.status, "reason", o.LastError, "next_attempt", o.NextAttemptAt)
		return
	}
	s.Metrics.Deliveries.WithLabelValues(deliveryOutcomeFailed).Inc()
	s.log.Warn("delivery failed for good", "host", d.Host, "inbox", d.Inbox, "activity", d.ActivityID,
		"attempt", o.Attempts, "status", r.status, "reason", o.LastError)
}

// attempt sends one queued row: an activity is a signed POST to an inbox;
// a mention job notifies a page the article links to.
func (s *Service) attempt(ctx context.Context, d models.Delivery) attemptResult {
	if d.Kind != MentionDeliveryKind {
		return s.post(ctx, d)
	}
	return attemptResult{err: s.SendMentionJob(ctx, &d)}
}

// post signs and sends one delivery. The body was built once per activity
// and is sent as stored; only Date, Digest and Signature are per request.
func (s *Service) post(ctx context.Context, d models.Delivery) attemptResult {
	start := time.Now()
	defer func() { s.Metrics.DeliveryLatency.Observe(time.Since(start).Seconds()) }()
	if d.BodyHash != "" && d.Body == "" {
		// Its body is no longer stored: fail for good rather than POST nothing.
		return attemptResult{err: &RefusedError{Target: d.Inbox, Reason: "delivery body " + d.BodyHash + " is missing"}}
	}
	signer, err := s.signerFor(ctx, d.SignAs)
	if err != nil {
		return attemptResult{err: fmt.Errorf("signing key: %w", err)}
	}
	body := []byte(d.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Inbox, bytes.NewReader(body))
	if err != nil {
		return attemptResult{err: &RefusedError{Target: d.Inbox, Reason: err.Error()}}
	}
	req.Header.Set("Content-Type", AS2ContentType)
	req.Header.Set("Accept", activityAccept)
	req.Header.Set("User-Agent", s.userAgent())
	if err := signer.SignRequest(req, body); err != nil {
		return attemptResult{err: err}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return attemptResult{err: err}
	}
	defer resp.Body.Close()
	// A small read lets the connection be reused and keeps the peer's
	// explanation for the log.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	r := attemptResult{status: resp.StatusCode, retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := strings.Join(strings.Fields(string(snippet)), " ")
		if len(msg) > 200 {
			msg = msg[:200]
		}
		r.err = fmt.Errorf("HTTP %d %s", resp.StatusCode, msg)
	}
	return r
}

// classify decides an attempt: reason is "" on success; retry tells a
// temporary failure. As Mastodon: network errors, 5xx but 501, 408, 429 and
// 401 (the peer may have failed to fetch our key just now) are retried;
// other 4xx, 501, redirects and requests our policy refuses fail at once.
func classify(r attemptResult) (retry bool, reason string) {
	if r.err == nil {
		return false, ""
	}
	reason = r.err.Error()
	if len(reason) > 500 {
		reason = reason[:500]
	}
	if r.status == 0 {
		var refused *RefusedError
		var rejected *MentionRejectedError
		return !errors.As(r.err, &refused) && !errors.As(r.err, &rejected), reason
	}
	switch {
	case r.status == http.StatusNotImplemented:
		return false, reason
	case r.status >= 500, r.status == http.StatusRequestTimeout, r.status == http.StatusTooManyRequests, r.status == http.StatusUnauthorized:
		return true, reason
	}
	return false, reason
}

// backoff is the delay before attempt n+1: base·2^(n-1) with ±20% jitter (so
// the rows of one fan-out do not retry in lockstep), capped; a peer's
// Retry-After wins.
func (s *Service) backoff(attempts int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, maxRetryAfter)
	}
	d := s.tune.baseBackoff
	for i := 1; i < attempts && d < s.tune.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.tune.maxBackoff)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
