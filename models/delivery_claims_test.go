package models_test

import (
	"context"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

func TestCountClaimedDeliveries(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		queue(t, s, "a1", now.Add(-time.Minute), "h1", "h2", "h3", "h4")
		claim := func(holder string, limit int) []models.Delivery {
			t.Helper()
			ds, err := s.ClaimDeliveries(ctx, models.DeliveryClaim{Holder: holder, Now: now, StaleBefore: now.Add(-2 * time.Minute), Limit: limit, PerHost: 1})
			if err != nil {
				t.Fatal(err)
			}
			return ds
		}
		mine := claim("web-1", 3)
		claim("web-2", 1)
		// A delivered row keeps no claim that counts.
		if ok, err := s.FinishDelivery(ctx, "web-1", models.DeliveryOutcome{ID: mine[0].ID, Attempts: 1, Status: models.DeliveryDelivered, At: now}); err != nil || !ok {
			t.Fatalf("finish: %v %v", ok, err)
		}
		count := func(holder string) int64 {
			t.Helper()
			n, err := s.CountClaimedDeliveries(ctx, holder)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		for holder, want := range map[string]int64{"web-1": 2, "web-2": 1, "web-3": 0} {
			if n := count(holder); n != want {
				t.Errorf("%s holds %d, want %d", holder, n, want)
			}
		}
		if err := s.ReleaseDeliveries(ctx, "web-1", nil); err != nil {
			t.Fatal(err)
		}
		if n := count("web-1"); n != 0 {
			t.Errorf("%d still held after release", n)
		}
		if got := claim("web-1", 10); len(got) != 2 {
			t.Errorf("claimed %d after release, want the 2 released rows", len(got))
		}
	})
}
