package models_test

import (
	"context"
	"fmt"
	"strings"
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

// TestInboxItemBodies: a processed item keeps no body, a given-up one an
// excerpt of KeptFailedBody, and the purge drops excerpts past their age
// or beyond the newest kept; pending items keep theirs throughout.
func TestInboxItemBodies(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		big := `{"pad":"` + strings.Repeat("x", 2*models.KeptFailedBody) + `"}`
		add := func(name string) *models.InboxItem {
			it := &models.InboxItem{ActivityID: "https://r.test/" + name, Type: "Create", ActorURI: "https://r.test/u", Body: big, ReceivedAt: now, NextAt: now}
			if _, err := s.CreateInboxItem(ctx, it); err != nil {
				t.Fatal(err)
			}
			return it
		}
		applied, pending := add("applied"), add("pending")
		failedOld, failed1, failed2 := add("failed-old"), add("failed-1"), add("failed-2")
		finish := func(it *models.InboxItem, at time.Time, errText string) {
			if err := s.FinishInboxItem(ctx, it.ID, at, 1, errText); err != nil {
				t.Fatal(err)
			}
		}
		finish(applied, now, "")
		finish(failedOld, now.Add(-10*24*time.Hour), "HTTP 404")
		finish(failed1, now, "HTTP 404")
		finish(failed2, now, "HTTP 404")
		body := func(it *models.InboxItem) int {
			t.Helper()
			got, err := s.InboxItemByActivityID(ctx, it.ActivityID)
			if err != nil {
				t.Fatal(err)
			}
			return len(got.Body)
		}
		tests := []struct {
			name string
			it   *models.InboxItem
			want int
		}{
			{"applied", applied, 0}, {"pending", pending, len(big)}, {"failed", failed1, models.KeptFailedBody},
		}
		for _, tt := range tests {
			if got := body(tt.it); got != tt.want {
				t.Errorf("%s: body of %d bytes, want %d", tt.name, got, tt.want)
			}
		}
		if n, err := s.InboxBodyBytes(ctx); err != nil || n != int64(len(big)+3*models.KeptFailedBody) {
			t.Fatalf("body bytes %d %v", n, err)
		}
		// Keep the newest failed excerpt, and none older than 3 days.
		n, err := s.PurgeFailedInboxBodies(ctx, now.Add(-3*24*time.Hour), 1)
		if err != nil || n != 2 {
			t.Fatalf("purged %d %v, want 2", n, err)
		}
		for _, tt := range []struct {
			it   *models.InboxItem
			want int
		}{{failedOld, 0}, {failed1, 0}, {failed2, models.KeptFailedBody}, {pending, len(big)}} {
			if got := body(tt.it); got != tt.want {
				t.Errorf("after the purge, %s: %d bytes, want %d", tt.it.ActivityID, got, tt.want)
			}
		}
		if n, _ := s.PurgeFailedInboxBodies(ctx, now.Add(-3*24*time.Hour), 1); n != 0 {
			t.Fatalf("a second purge rewrote %d rows", n)
		}
	})
}

// TestInboxClaimsPerActor: pending items count per actor up to a limit,
// and a renewed claim is not taken over as stale.
func TestInboxClaimsPerActor(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		for i := range 6 {
			actor := "https://r.test/a"
			if i%3 == 2 {
				actor = "https://r.test/b"
			}
			it := &models.InboxItem{ActivityID: fmt.Sprintf("https://r.test/%d", i), ActorURI: actor, Body: "{}", ReceivedAt: now, NextAt: now}
			if _, err := s.CreateInboxItem(ctx, it); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			actor       string
			limit, want int64
		}{{"https://r.test/a", 10, 4}, {"https://r.test/a", 3, 3}, {"https://r.test/b", 10, 2}, {"https://r.test/c", 10, 0}} {
			if n, err := s.CountPendingInboxOf(ctx, tt.actor, int(tt.limit)); err != nil || n != tt.want {
				t.Errorf("%s up to %d: %d %v, want %d", tt.actor, tt.limit, n, err, tt.want)
			}
		}
		items, err := s.ClaimInboxItems(ctx, "w1", now, now.Add(-time.Minute), 2)
		if err != nil || len(items) != 2 {
			t.Fatalf("claim: %d %v", len(items), err)
		}
		if err := s.FinishInboxItem(ctx, items[0].ID, now, 1, ""); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.CountPendingInboxOf(ctx, items[0].ActorURI, 10); n != 3 {
			t.Fatalf("processed item still pending: %d", n)
		}
		later := now.Add(time.Hour)
		if err := s.RenewInboxClaims(ctx, "w1", []uint{items[1].ID}, later); err != nil {
			t.Fatal(err)
		}
		// An hour on, with claims older than 10 minutes stale: the renewed
		// one is not taken over; the four never claimed are.
		got, err := s.ClaimInboxItems(ctx, "w2", later, later.Add(-10*time.Minute), 10)
		if err != nil || len(got) != 4 {
			t.Fatalf("claimed %d %v, want the 4 unclaimed", len(got), err)
		}
		for _, it := range got {
			if it.ID == items[1].ID {
				t.Fatal("a renewed claim was taken over")
			}
		}
	})
}
