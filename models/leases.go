package models

import (
	"context"
	"fmt"
	"time"
)

// AcquireLease takes or renews the lease on a job for ttl and reports
// whether holder has it. One statement: it inserts the lease, or takes it
// over when it expired or is holder's already, so two processes never both
// hold it (the database decides, on PostgreSQL and SQLite alike).
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	res := s.q(ctx).Exec(`INSERT INTO job_leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE job_leases.holder = excluded.holder OR job_leases.expires_at < ?`, name, holder, now.Add(ttl), now)
	if res.Error != nil {
		return false, fmt.Errorf("acquire lease %q: %w", name, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ReleaseLease gives a lease up (clean shutdown), so another process can
// take the job at once instead of after the expiry.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := s.q(ctx).Where("name = ? AND holder = ?", name, holder).Delete(&JobLease{}).Error; err != nil {
		return fmt.Errorf("release lease %q: %w", name, err)
	}
	return nil
}
