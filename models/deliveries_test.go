package models_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

func queue(t *testing.T, s *models.Store, activity string, now time.Time, hosts ...string) {
	t.Helper()
	var rows []models.Delivery
	for i, h := range hosts {
		rows = append(rows, models.Delivery{ActivityID: activity, Inbox: fmt.Sprintf("https://%s/inbox/%d", h, i), Host: h,
			Kind: "Create", Body: "{}", Status: models.DeliveryPending, NextAttemptAt: now})
	}
	if _, err := s.EnqueueDeliveries(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
}

func hostsOf(ds []models.Delivery) map[string]int {
	out := map[string]int{}
	for _, d := range ds {
		out[d.Host]++
	}
	return out
}

func TestClaimDeliveries(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		queue(t, s, "a1", now.Add(-time.Minute), "h1", "h1", "h1", "h1", "h1", "h2", "h3", "h3")
		queue(t, s, "later", now.Add(time.Hour), "h2")
		if _, err := s.HostFailed(ctx, "h3", now.Add(-72*time.Hour), now.Add(-96*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if marked, err := s.HostFailed(ctx, "h3", now, now.Add(-48*time.Hour)); err != nil || !marked {
			t.Fatalf("mark h3: %v %v", marked, err)
		}
		claim := func(holder string, limit, perHost int, skip ...string) []models.Delivery {
			t.Helper()
			ds, err := s.ClaimDeliveries(ctx, models.DeliveryClaim{Holder: holder, Now: now, StaleBefore: now.Add(-2 * time.Minute), Limit: limit, PerHost: perHost, SkipHosts: skip})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				if d.ClaimedBy != holder || d.Body != "{}" {
					t.Fatalf("claimed row %+v", d)
				}
			}
			return ds
		}
		got := hostsOf(claim("p1", 10, 2))
		if got["h1"] != 2 || got["h2"] != 1 || got["h3"] != 0 || len(got) != 2 {
			t.Fatalf("first claim by host = %v (per-host cap 2, h3 unreachable, one row not due)", got)
		}
		if got := hostsOf(claim("p2", 10, 2, "h1")); len(got) != 0 {
			t.Fatalf("claim skipping h1 got %v", got)
		}
		if got := hostsOf(claim("p2", 10, 2)); got["h1"] != 2 || len(got) != 1 {
			t.Fatalf("second claimer got %v, want the next two rows of h1", got)
		}
		// A claim older than the timeout is taken over.
		later := now.Add(3 * time.Minute)
		ds, err := s.ClaimDeliveries(ctx, models.DeliveryClaim{Holder: "p3", Now: later, StaleBefore: later.Add(-2 * time.Minute), Limit: 10, PerHost: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got := hostsOf(ds); got["h1"] != 5 || got["h2"] != 1 {
			t.Fatalf("stale takeover got %v", got)
		}
		// Finishing checks ownership: p1 lost its rows to p3.
		ok, err := s.FinishDelivery(ctx, "p1", models.DeliveryOutcome{ID: ds[0].ID, Attempts: 1, Status: models.DeliveryDelivered, At: later})
		if err != nil || ok {
			t.Fatalf("a stale holder recorded an outcome: %v %v", ok, err)
		}
		ok, err = s.FinishDelivery(ctx, "p3", models.DeliveryOutcome{ID: ds[0].ID, Attempts: 1, Status: models.DeliveryPending, NextAttemptAt: later.Add(time.Hour), LastStatus: 503, LastError: "HTTP 503", At: later})
		if err != nil || !ok {
			t.Fatalf("owner could not record: %v %v", ok, err)
		}
		if err := s.ReleaseDeliveries(ctx, "p3", nil); err != nil {
			t.Fatal(err)
		}
		d, _ := s.DeliveryByID(ctx, ds[0].ID)
		if d.ClaimedBy != "" || d.Attempts != 1 || d.LastStatus != 503 || !d.NextAttemptAt.Equal(later.Add(time.Hour)) {
			t.Errorf("retried row %+v", d)
		}
		n, err := s.MarkDelivered(ctx, "p3", []uint{ds[1].ID}, 202, later)
		if err != nil || n != 0 {
			t.Errorf("MarkDelivered of a released row: %d %v", n, err)
		}
		// Unreachable rows are pushed back; a returning host gets them now.
		if n, err := s.DeferUnreachableDeliveries(ctx, later, later.Add(time.Hour)); err != nil || n != 2 {
			t.Errorf("deferred %d rows: %v", n, err)
		}
		was, err := s.HostsRecovered(ctx, []string{"h1", "h3"}, later)
		if err != nil || len(was) != 1 || was[0] != "h3" {
			t.Fatalf("h3 back: %v %v", was, err)
		}
		if n, err := s.WakeHostDeliveries(ctx, "h3", later); err != nil || n != 2 {
			t.Errorf("woke %d rows: %v", n, err)
		}
		ds, err = s.ClaimDeliveries(ctx, models.DeliveryClaim{Holder: "p4", Now: later, StaleBefore: later.Add(-2 * time.Minute), Limit: 20, PerHost: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got := hostsOf(ds); got["h3"] != 2 || got["h1"] != 4 || got["h2"] != 1 {
			t.Errorf("after h3 came back: %v (one h1 row waits for its retry)", got)
		}
	})
}

func TestClaimDeliveriesConcurrently(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		var hosts []string
		for i := range 200 {
			hosts = append(hosts, fmt.Sprintf("h%d", i%10))
		}
		queue(t, s, "big", now.Add(-time.Second), hosts...)
		var mu sync.Mutex
		seen := map[uint]string{}
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				holder := fmt.Sprintf("w%d", w)
				for {
					ds, err := s.ClaimDeliveries(ctx, models.DeliveryClaim{Holder: holder, Now: now, StaleBefore: now.Add(-time.Hour), Limit: 7, PerHost: 3})
					if err != nil {
						t.Error(err)
						return
					}
					if len(ds) == 0 {
						return
					}
					if len(ds) > 7 {
						t.Errorf("%s claimed %d rows with limit 7", holder, len(ds))
					}
					for h, n := range hostsOf(ds) {
						if n > 3 {
							t.Errorf("%s claimed %d rows of %s with per-host cap 3", holder, n, h)
						}
					}
					mu.Lock()
					for _, d := range ds {
						if prev, dup := seen[d.ID]; dup {
							t.Errorf("row %d claimed by %s and %s", d.ID, prev, holder)
						}
						seen[d.ID] = holder
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 200 {
			t.Fatalf("claimed %d of 200 rows", len(seen))
		}
	})
}

// A backlog of one host at the head of the queue must not starve the
// hosts queued behind it: the claim looks past it within its window.
func TestClaimDeliveriesLooksPastABacklog(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		backlog := make([]string, 30)
		for i := range backlog {
			backlog[i] = "busy"
		}
		queue(t, s, "old", now.Add(-time.Hour), backlog...)
		queue(t, s, "new", now.Add(-time.Minute), "a", "b", "c")
		ds, err := s.ClaimDeliveries(ctx, models.DeliveryClaim{Holder: "p", Now: now, StaleBefore: now.Add(-time.Hour), Limit: 10, PerHost: 2})
		if err != nil {
			t.Fatal(err)
		}
		if got := hostsOf(ds); got["busy"] != 2 || got["a"] != 1 || got["b"] != 1 || got["c"] != 1 || len(ds) != 5 {
			t.Fatalf("claim = %v, want 2 of the backlog and one each of a, b, c", got)
		}
		if !ds[0].NextAttemptAt.Before(ds[len(ds)-1].NextAttemptAt) {
			t.Errorf("claimed rows not in due order")
		}
	})
}

func TestJobLease(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		steps := []struct {
			holder string
			at     time.Duration
			want   bool
		}{
			{"a", 0, true},
			{"b", time.Second, false},
			{"a", 5 * time.Second, true}, // renewal
			{"b", 20 * time.Second, false},
			{"b", 40 * time.Second, true}, // a's lease expired at 35 s
			{"a", 41 * time.Second, false},
		}
		for _, st := range steps {
			got, err := s.AcquireLease(ctx, "job", st.holder, now.Add(st.at), 30*time.Second)
			if err != nil || got != st.want {
				t.Fatalf("%s at %v: %v %v, want %v", st.holder, st.at, got, err, st.want)
			}
		}
		if err := s.ReleaseLease(ctx, "job", "b"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.AcquireLease(ctx, "job", "a", now.Add(42*time.Second), 30*time.Second); !got {
			t.Fatal("lease not free after release")
		}
	})
}

func TestFollowerInboxes(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		actor := func(uri, inbox, shared string) *models.RemoteActor {
			a := &models.RemoteActor{URI: uri, Inbox: inbox, SharedInbox: shared}
			if err := s.UpsertRemoteActor(ctx, a); err != nil {
				t.Fatal(err)
			}
			return a
		}
		follow := func(local string, a *models.RemoteActor, status string) {
			if _, _, err := s.UpsertFollower(ctx, local, a.ID, a.URI+"#f", status); err != nil {
				t.Fatal(err)
			}
		}
		x := actor("https://x/u/1", "https://x/u/1/inbox", "https://x/inbox")
		y := actor("https://x/u/2", "https://x/u/2/inbox", "https://x/inbox")
		z := actor("https://z/u/3", "https://z/u/3/inbox", "")
		w := actor("https://w/u/4", "https://w/u/4/inbox", "")
		follow("alice", x, models.FollowAccepted)
		follow("blog", x, models.FollowAccepted)
		follow("blog", y, models.FollowAccepted)
		follow("blog", z, models.FollowAccepted)
		follow("alice", w, models.FollowPending)
		got, err := s.FollowerInboxes(ctx, "alice", "blog")
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != "[https://x/inbox https://z/u/3/inbox]" {
			t.Errorf("inboxes = %v", got)
		}
		targets, err := s.FollowerTargets(ctx, "alice", "blog")
		if err != nil || len(targets) != 4 {
			t.Fatalf("targets = %v %v", targets, err)
		}
		if n, _ := s.CountFollowers(ctx, "blog"); n != 3 {
			t.Errorf("blog followers = %d", n)
		}
		uris, err := s.FollowerURIs(ctx, "blog", 1, 1)
		if err != nil || len(uris) != 1 || uris[0] != y.URI {
			t.Errorf("page of followers = %v %v", uris, err)
		}
	})
}
