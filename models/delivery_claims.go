package models

import (
	"context"
	"fmt"
)

// CountClaimedDeliveries counts the pending rows holder has claimed (what
// ReleaseDeliveries(ctx, holder, nil) would give back).
func (s *Store) CountClaimedDeliveries(ctx context.Context, holder string) (int64, error) {
	var n int64
	err := s.q(ctx).Model(&Delivery{}).Where("claimed_by = ? AND status = ?", holder, DeliveryPending).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count deliveries claimed by %s: %w", holder, err)
	}
	return n, nil
}
