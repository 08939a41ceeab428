package models

import (
	"context"
	"fmt"
	"time"
)

// A RemoteHost row tracks deliveries to one host. failing_since is the first
// failure since the last success; unreachable is set once it fails for long
// enough. While a host is unreachable, updated_at is the time of its last
// probe.

// HostsRecovered records successful contacts with hosts (deliveries, or
// activities received from them): it clears the failure state of those
// that had one and returns the hosts that had been marked unreachable.
// Healthy hosts have no row to write, so a fan-out costs one statement.
func (s *Store) HostsRecovered(ctx context.Context, hosts []string, at time.Time) (wereUnreachable []string, err error) {
	if len(hosts) == 0 {
		return nil, nil
	}
	if err := s.q(ctx).Model(&RemoteHost{}).Where("host IN ? AND unreachable = ?", hosts, true).Pluck("host", &wereUnreachable).Error; err != nil {
		return nil, fmt.Errorf("hosts recovered: %w", err)
	}
	res := s.q(ctx).Exec(`UPDATE remote_hosts SET unreachable = ?, failing_since = NULL, last_success_at = ?, updated_at = ?
		WHERE host IN ? AND (failing_since IS NOT NULL OR unreachable = ?)`, false, at, at, hosts, true)
	if res.Error != nil {
		return nil, fmt.Errorf("hosts recovered: %w", res.Error)
	}
	return wereUnreachable, nil
}

// HostFailed records a failed contact. A host failing continuously since
// before markBefore is marked unreachable; marked reports that this call
// did it.
func (s *Store) HostFailed(ctx context.Context, host string, at, markBefore time.Time) (marked bool, err error) {
	res := s.q(ctx).Exec(`INSERT INTO remote_hosts (host, failing_since, unreachable, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (host) DO UPDATE SET failing_since = COALESCE(remote_hosts.failing_since, excluded.failing_since),
			updated_at = CASE WHEN remote_hosts.unreachable THEN remote_hosts.updated_at ELSE excluded.updated_at END`,
		host, at, false, at)
	if res.Error != nil {
		return false, fmt.Errorf("host %s failed: %w", host, res.Error)
	}
	res = s.q(ctx).Exec(`UPDATE remote_hosts SET unreachable = ?, updated_at = ?
		WHERE host = ? AND unreachable = ? AND failing_since IS NOT NULL AND failing_since < ?`, true, at, host, false, markBefore)
	if res.Error != nil {
		return false, fmt.Errorf("mark host %s unreachable: %w", host, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ClaimHostProbes returns unreachable hosts whose last probe is older than
// before and stamps them probed at now, atomically per host, so one process
// probes each host once per period.
func (s *Store) ClaimHostProbes(ctx context.Context, now, before time.Time, limit int) ([]string, error) {
	var hosts []string
	err := s.q(ctx).Model(&RemoteHost{}).Where("unreachable = ? AND updated_at < ?", true, before).
		Order("updated_at").Limit(limit).Pluck("host", &hosts).Error
	if err != nil {
		return nil, fmt.Errorf("hosts due for a probe: %w", err)
	}
	var out []string
	for _, h := range hosts {
		res := s.q(ctx).Exec(`UPDATE remote_hosts SET updated_at = ? WHERE host = ? AND unreachable = ? AND updated_at < ?`, now, h, true, before)
		if res.Error != nil {
			return out, fmt.Errorf("claim probe of %s: %w", h, res.Error)
		}
		if res.RowsAffected == 1 {
			out = append(out, h)
		}
	}
	return out, nil
}

// RemoteHostByName loads a host's state (tests, admin).
func (s *Store) RemoteHostByName(ctx context.Context, host string) (*RemoteHost, error) {
	var h RemoteHost
	if err := s.q(ctx).Where("host = ?", host).First(&h).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load host %q", host))
	}
	return &h, nil
}

// UnreachableHosts lists the hosts marked unreachable.
func (s *Store) UnreachableHosts(ctx context.Context) ([]string, error) {
	var out []string
	if err := s.q(ctx).Model(&RemoteHost{}).Where("unreachable = ?", true).Order("host").Pluck("host", &out).Error; err != nil {
		return nil, fmt.Errorf("unreachable hosts: %w", err)
	}
	return out, nil
}
