package federation

import (
	"context"
	"strings"
	"sync"
	"time"
)

// hostTracker remembers what this process last wrote about each host, so a
// fan-out of a thousand deliveries to healthy hosts does not write a
// thousand remote_hosts rows. Failures and recoveries are always written.
type hostTracker struct {
	mu sync.Mutex
	m  map[string]hostState
}

type hostState struct {
	failing bool
	written time.Time
}

// shouldWrite decides whether an outcome for host must reach the database
// and records that it will.
func (s *Service) shouldWrite(host string, failing bool, now time.Time) bool {
	s.hosts.mu.Lock()
	defer s.hosts.mu.Unlock()
	st, ok := s.hosts.m[host]
	if ok && st.failing == failing && now.Sub(st.written) < s.tune.hostWriteEvery {
		return false
	}
	s.hosts.m[host] = hostState{failing: failing, written: now}
	return true
}

// HostSeen records a sign of life from a host, e.g. a valid activity it
// sent: a host marked unreachable gets its queued deliveries back at once.
// host is host[:port] as in URLs (case-insensitive). Cheap enough to call
// for every incoming activity: the database is written at most once a
// minute per healthy host.
func (s *Service) HostSeen(ctx context.Context, host string) {
	host = strings.ToLower(host)
	if host == "" {
		return
	}
	s.hostOK(ctx, host)
}

// hostOK records a successful contact.
func (s *Service) hostOK(ctx context.Context, host string) {
	now := s.now()
	if !s.shouldWrite(host, false, now) {
		return
	}
	was, err := s.store.HostSucceeded(ctx, host, now)
	if err != nil {
		s.log.Warn("record host success", "host", host, "err", err)
		return
	}
	if was {
		n, err := s.store.WakeHostDeliveries(ctx, host, now)
		if err != nil {
			s.log.Warn("wake deliveries of a host back online", "host", host, "err", err)
		}
		s.log.Info("host reachable again", "host", host, "deliveries_resumed", n)
		s.wake()
	}
}

// hostFailed records a failed contact (network error or 5xx) and marks the
// host unreachable once it has failed continuously for long enough.
func (s *Service) hostFailed(ctx context.Context, host string) {
	now := s.now()
	if !s.shouldWrite(host, true, now) {
		return
	}
	marked, err := s.store.HostFailed(ctx, host, now, now.Add(-s.tune.unreachableAfter))
	if err != nil {
		s.log.Warn("record host failure", "host", host, "err", err)
		return
	}
	if marked {
		s.Metrics.HostsMarked.Inc()
		s.log.Warn("host marked unreachable: its deliveries wait until it is seen again or a daily probe succeeds",
			"host", host, "failing_for", s.tune.unreachableAfter.String())
	}
}
