package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// TestReleaseInboxItems: a holder's unprocessed claims come back untouched
// and claimable at once; other holders' claims and processed items stay.
func TestReleaseInboxItems(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		var ids []uint
		for i := range 5 {
			it := &models.InboxItem{ActivityID: fmt.Sprintf("https://r.test/a/%d", i), Type: "Like", Body: "{}", ReceivedAt: now, NextAt: now}
			if _, err := s.CreateInboxItem(ctx, it); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, it.ID)
		}
		claim := func(holder string, limit int) []models.InboxItem {
			t.Helper()
			items, err := s.ClaimInboxItems(ctx, holder, now, now.Add(-10*time.Minute), limit)
			if err != nil {
				t.Fatal(err)
			}
			return items
		}
		// web-1 holds items 0-2 (item 0 after a failed attempt), web-2 item 3;
		// item 4 stays unclaimed.
		mine := claim("web-1", 3)
		if err := s.RetryInboxItem(ctx, mine[0].ID, now, 2, "HTTP 503"); err != nil {
			t.Fatal(err)
		}
		if got := claim("web-1", 1); len(got) != 1 || got[0].ID != ids[0] {
			t.Fatalf("reclaim of item 0: %+v", got)
		}
		if got := claim("web-2", 1); len(got) != 1 || got[0].ID != ids[3] {
			t.Fatalf("web-2 claimed %+v", got)
		}
		if err := s.FinishInboxItem(ctx, ids[2], now, 1, ""); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			holder string
			want   int64
		}{
			{"web-1", 2}, // items 0 and 1; item 2 is processed
			{"web-1", 0}, // nothing left
			{"web-3", 0}, // holds nothing
		}
		for _, tt := range tests {
			if n, err := s.ReleaseInboxItems(ctx, tt.holder); err != nil || n != tt.want {
				t.Fatalf("release %s: %d %v, want %d", tt.holder, n, err, tt.want)
			}
		}
		if _, err := s.ReleaseInboxItems(ctx, ""); err == nil {
			t.Error("release with no holder succeeded")
		}
		it, err := s.InboxItemByActivityID(ctx, "https://r.test/a/0")
		if err != nil {
			t.Fatal(err)
		}
		if it.ClaimedBy != "" || it.ClaimedAt != nil || it.Attempts != 2 || it.Error != "HTTP 503" || !it.NextAt.Equal(now) || it.ProcessedAt != nil {
			t.Errorf("released item changed: %+v", it)
		}
		// Claimable again at once, long before the claim would be stale;
		// web-2's claim is not.
		got := claim("web-1", 10)
		if len(got) != 3 || got[0].ID != ids[0] || got[1].ID != ids[1] || got[2].ID != ids[4] {
			t.Fatalf("after release claimed %+v", got)
		}
	})
}
