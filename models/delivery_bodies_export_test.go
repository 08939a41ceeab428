package models

import "context"

// CountDeliveryBodies counts the stored bodies, for the external tests.
func (s *Store) CountDeliveryBodies(ctx context.Context) (int64, error) {
	var n int64
	err := s.q(ctx).Model(&DeliveryBody{}).Count(&n).Error
	return n, err
}
