package models

import (
	"context"
	"fmt"

	"gorm.io/gorm/clause"
)

// EnqueueDeliveries inserts delivery rows; a row for the same activity and
// inbox already queued is skipped, so re-running a fan-out is harmless.
func (s *Store) EnqueueDeliveries(ctx context.Context, ds []Delivery) (int64, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	res := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(ds, 500)
	if res.Error != nil {
		return 0, fmt.Errorf("enqueue %d deliveries: %w", len(ds), res.Error)
	}
	return res.RowsAffected, nil
}
