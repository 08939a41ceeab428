package federation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// expiringSet remembers keys until a time each (origins backed off, key ids
// that failed to fetch). It holds at most max keys: when full, expired ones
// go, then arbitrary ones down to 90%, so a flood of new keys costs a sweep
// once per tenth of the bound and memory stays flat. Forgetting early only
// costs one more fetch.
type expiringSet struct {
	mu  sync.Mutex
	max int
	m   map[string]expiring
}

type expiring struct {
	until time.Time
	note  string // why, for the log and the answer
}

func newExpiringSet(max int) *expiringSet {
	return &expiringSet{max: max, m: map[string]expiring{}}
}

// until is when key's entry expires, and its note; zero when it has none
// (or it expired).
func (e *expiringSet) until(key string, now time.Time) (time.Time, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.m[key]
	if !ok {
		return time.Time{}, ""
	}
	if !x.until.After(now) {
		delete(e.m, key)
		return time.Time{}, ""
	}
	return x.until, x.note
}

// add remembers key until the given time.
func (e *expiringSet) add(key, note string, until, now time.Time) {
	note = clip(note, maxExpiringNote)
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.m[key]; !ok && len(e.m) >= e.max {
		for k, x := range e.m {
			if !x.until.After(now) {
				delete(e.m, k)
			}
		}
		for k := range e.m {
			if len(e.m) < e.max*9/10 {
				break
			}
			delete(e.m, k)
		}
	}
	e.m[key] = expiring{until: until, note: note}
}

// maxRemembered bounds each expiringSet; with keys of at most
// maxExpiringKey bytes (see expiringKey) and notes clipped, one holds a few
// megabytes when full.
const (
	maxRemembered   = 10000
	maxExpiringKey  = 256
	maxExpiringNote = 300
)

// expiringKey is s, or its hash when longer than maxExpiringKey (a key id
// comes from a header of up to 16 KiB).
func expiringKey(s string) string {
	if len(s) <= maxExpiringKey {
		return s
	}
	h := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(h[:])
}

// Defaults of the Config fields bounding what remote origins may cost.
const (
	defaultInboxFetchBudget = 15 * time.Second
	defaultInboxFetchLimit  = 50
	defaultOriginBackoff    = 10 * time.Minute
	// slowOriginAfter: a fetch cut by a deadline after running this long
	// (or half the fetch budget, if less) counts as the origin timing out.
	// A shorter one was cut by an activity's nearly spent budget, which is
	// not the origin's doing.
	slowOriginAfter = 2 * time.Second
)

// OriginBackoffError is a fetch not made because its origin timed out
// recently (see Config.OriginBackoff).
type OriginBackoffError struct {
	Host  string
	Until time.Time
}

func (e *OriginBackoffError) Error() string {
	return fmt.Sprintf("origin %s timed out recently: not fetching from it until %s", e.Host, e.Until.UTC().Format(time.RFC3339))
}

// originBackedOff reports whether host may not be fetched from now.
func (s *Service) originBackedOff(host string) error {
	if until, _ := s.origins.until(expiringKey(host), s.now()); !until.IsZero() {
		return &OriginBackoffError{Host: host, Until: until}
	}
	return nil
}

// noteFetchOutcome backs off host when a fetch from it timed out after
// running a while. Only this process learns it: each process of a
// multi-process deployment pays one timeout per origin and backoff period,
// which keeps the fetch path free of database writes.
func (s *Service) noteFetchOutcome(ctx context.Context, host string, ran time.Duration, err error) {
	if err == nil || !isTimeout(ctx, err) || ran < min(slowOriginAfter, s.cfg.InboxFetchBudget/2) {
		return
	}
	until := s.now().Add(s.cfg.OriginBackoff)
	s.origins.add(expiringKey(host), "", until, s.now())
	s.Metrics.Fetches.WithLabelValues("origin_backoff").Inc()
	s.log.Warn("remote origin timed out: backing off", "host", host, "until", until, "ran", ran.Round(time.Millisecond), "err", err)
}

// isTimeout tells a deadline (ours or the client's) from a cancellation
// (shutdown), which is not the origin's fault.
func isTimeout(ctx context.Context, err error) bool {
	if errors.Is(ctx.Err(), context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
