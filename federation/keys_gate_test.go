package federation

import (
	"context"
	"testing"
)

// TestKeyFetchGate: a fetch over the cap waits for a slot and gets the
// one freed; per host at most keyFetchPerHost run; a cancelled wait, or
// one past keyFetchWaiters, gets none.
func TestKeyFetchGate(t *testing.T) {
	ctx := context.Background()
	var g keyFetchGate
	for i := range keyFetchPerHost {
		if !g.acquire(ctx, "a.test", 100) {
			t.Fatalf("fetch %d of a host refused under the cap", i+1)
		}
	}
	got := make(chan bool)
	go func() { got <- g.acquire(ctx, "a.test", 100) }()
	if !g.acquire(ctx, "b.test", 100) {
		t.Fatal("another host waits for a.test's slots")
	}
	g.release("a.test")
	if !<-got {
		t.Fatal("the waiting fetch did not get the freed slot")
	}
	cancelled, cancel := context.WithCancel(ctx)
	go func() { got <- g.acquire(cancelled, "a.test", 100) }()
	cancel()
	if <-got {
		t.Fatal("a cancelled wait got a slot")
	}
	g.mu.Lock()
	g.waiting = keyFetchWaiters
	g.mu.Unlock()
	if g.acquire(ctx, "a.test", 100) {
		t.Fatal("a fetch past the waiters' bound got a slot")
	}
	if g.total != keyFetchPerHost+1 || g.byHost["a.test"] != keyFetchPerHost {
		t.Fatalf("counts %d %v", g.total, g.byHost)
	}
}
