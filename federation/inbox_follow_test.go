package federation

import (
	"fmt"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// TestInboxFollowRepeated: a follower repeating its Follow gets one Accept
// per followAnswerEvery, however many Follows it sends; a Follow after an
// Undo is new and answered at once.
func TestInboxFollowRepeated(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, store *models.Store) {
		e := newIBEnv(t, store)
		clock := time.Now().UTC()
		e.svc.SetClock(func() time.Time { return clock })
		bob := e.remote.actor("bob")
		queued := func() int64 {
			t.Helper()
			n, err := e.store.CountPendingDeliveries(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		follow := func(id string) {
			t.Helper()
			bob.mustSend(map[string]any{"id": bob.id(id), "type": "Follow", "object": e.blogActor()})
		}
		tests := []struct {
			name    string
			step    func()
			answers int64 // Accepts queued so far
		}{
			{"first Follow", func() { follow("/follows/1") }, 1},
			{"15 repeats within the hour", func() {
				for i := range 15 {
					follow(fmt.Sprintf("/follows/1-%d", i))
					e.process()
					clock = clock.Add(time.Second) // the service clock also dates signatures: stay within their window
				}
			}, 1},
			{"a repeat an hour after the answer", func() {
				clock = clock.Add(followAnswerEvery)
				follow("/follows/2")
			}, 2},
			{"at once again", func() { follow("/follows/3") }, 2},
			{"a Follow after an Undo", func() {
				bob.mustSend(map[string]any{"id": bob.id("/undo/3"), "type": "Undo", "object": bob.id("/follows/3")})
				e.process()
				follow("/follows/4")
			}, 3},
		}
		for _, tt := range tests {
			tt.step()
			e.process()
			if n := queued(); n != tt.answers {
				t.Fatalf("%s: %d answers queued, want %d", tt.name, n, tt.answers)
			}
		}
		ra, err := e.store.RemoteActorByURI(e.ctx, bob.URI)
		if err != nil {
			t.Fatal(err)
		}
		if f, err := e.store.FollowerOf(e.ctx, "blog", ra.ID); err != nil || f.Status != models.FollowAccepted || f.FollowActivityID != bob.id("/follows/4") {
			t.Fatalf("follower %+v %v", f, err)
		}
	})
}
