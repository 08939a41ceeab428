package models

import (
	"context"
	"fmt"
	"time"
)

// Queries of the periodic janitor (package janitor).

// KnownMediaPaths reports which of paths have a media row.
func (s *Store) KnownMediaPaths(ctx context.Context, paths []string) (map[string]bool, error) {
	known := map[string]bool{}
	for start := 0; start < len(paths); start += 500 {
		var got []string
		batch := paths[start:min(start+500, len(paths))]
		if err := s.q(ctx).Model(&Media{}).Where("path IN ?", batch).Pluck("path", &got).Error; err != nil {
			return nil, fmt.Errorf("media paths: %w", err)
		}
		for _, p := range got {
			known[p] = true
		}
	}
	return known, nil
}

// PurgeFinishedDeliveries deletes delivered and failed rows last changed
// before cutoff that nothing reads any more, and returns how many: rows of
// no article and no reply (Accepts of follows, profile Updates, Deletes of
// accounts). Rows of articles and replies stay, since they are read later:
// the admin deliveries page lists every activity of an article with its
// counts and failures, a re-announced article needs to know its Create was
// queued before (ActivityQueued), an edit notifies the links a webmention
// went to (MentionTargetsSent), and deleting a reply federates only if it
// was sent (HasDeliveries). Their bodies are purged already
// (PurgeDeliveryBodies), which is most of their size.
func (s *Store) PurgeFinishedDeliveries(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.q(ctx).Where("status IN ? AND updated_at < ? AND article_id IS NULL AND interaction_id IS NULL",
		[]string{DeliveryDelivered, DeliveryFailed}, cutoff).Delete(&Delivery{})
	if res.Error != nil {
		return 0, fmt.Errorf("purge finished deliveries: %w", res.Error)
	}
	return res.RowsAffected, nil
}
