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

// noteHost records what this process just wrote about host.
func (s *Service) noteHost(host string, failing bool, now time.Time) {
	s.hosts.mu.Lock()
	s.hosts.m[host] = hostState{failing: failing, written: now}
	s.hosts.mu.Unlock()
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
// for every incoming activity: it writes only for a host that was failing,
// and at most once a minute per host.
func (s *Service) HostSeen(ctx context.Context, host string) {
	host = strings.ToLower(host)
	now := s.now()
	if host == "" || !s.shouldWrite(host, false, now) {
		return
	}
	s.hostsOK(ctx, []string{host}, now)
}

// hostsOK clears the failure state of hosts that answered; the rows of
// those that were marked unreachable become due at once.
func (s *Service) hostsOK(ctx context.Context, hosts []string, now time.Time) {
	back, err := s.store.HostsRecovered(ctx, hosts, now)
	if err != nil {
		s.log.Warn("record host success", "hosts", len(hosts), "err", err)
		return
	}
	for _, host := range back {
		n, err := s.store.WakeHostDeliveries(ctx, host, now)
		if err != nil {
			s.log.Warn("wake deliveries of a host back online", "host", host, "err", err)
		}
		s.log.Info("host reachable again", "host", host, "deliveries_resumed", n)
	}
	if len(back) > 0 {
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
