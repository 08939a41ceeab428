package models

import (
	"context"
	"fmt"
)

// QueueStats are the backlog figures for /metrics and the admin dashboard.
type QueueStats struct {
	DeliveriesPending int64
	DeliveriesFailed  int64
	InboxPending      int64
	HostsUnreachable  int64
}

// GetQueueStats counts queued work across every process sharing the database.
func (s *Store) GetQueueStats(ctx context.Context) (QueueStats, error) {
	var st QueueStats
	db := s.q(ctx)
	if err := db.Model(&Delivery{}).Where("status = ?", DeliveryPending).Count(&st.DeliveriesPending).Error; err != nil {
		return st, fmt.Errorf("count pending deliveries: %w", err)
	}
	if err := db.Model(&Delivery{}).Where("status = ?", DeliveryFailed).Count(&st.DeliveriesFailed).Error; err != nil {
		return st, fmt.Errorf("count failed deliveries: %w", err)
	}
	if err := db.Model(&InboxItem{}).Where("processed_at IS NULL").Count(&st.InboxPending).Error; err != nil {
		return st, fmt.Errorf("count pending inbox items: %w", err)
	}
	if err := db.Model(&RemoteHost{}).Where("unreachable = ?", true).Count(&st.HostsUnreachable).Error; err != nil {
		return st, fmt.Errorf("count unreachable hosts: %w", err)
	}
	return st, nil
}
