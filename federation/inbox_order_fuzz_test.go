package federation

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"fedpress/models"
)

// FuzzInboxOrder: whatever activities arrive and in whatever order the
// running ones finish, every held item starts exactly once; items sharing
// a key start in arrival order, each after the one before it finished; a
// reply starts after the held note it answers finished; and nothing stays
// held. Each pair of input bytes is one activity, the rest picks which
// running item finishes next.
func FuzzInboxOrder(f *testing.F) {
	f.Add([]byte{0, 0, 4, 1, 1, 0, 0, 0}, []byte{0, 1, 2, 3})
	f.Add([]byte{8, 2, 9, 7, 13, 1, 24, 3, 2, 2}, []byte{3, 3, 1, 0, 2})
	f.Add([]byte{1, 0, 5, 1, 9, 2, 13, 3, 17, 4, 21, 5, 25, 6}, []byte{6, 5, 4, 3, 2, 1, 0})
	f.Fuzz(func(t *testing.T, acts, finishes []byte) {
		if len(acts) > 200 {
			acts = acts[:200]
		}
		types := []string{"Create", "Update", "Delete", "Like", "Follow", "Undo", "Move"}
		actor := func(b byte) string { return fmt.Sprintf("https://r%d.test/u", b%4) }
		noteID := func(b byte) string { return fmt.Sprintf("https://r%d.test/n/%d", b%4, b%5) }
		p := &inboxPool{tails: map[string]*inboxTask{}, held: map[uint]*inboxTask{}, actors: map[string]*models.RemoteActor{}}
		var tasks []*inboxTask
		for i := 0; i+1 < len(acts); i += 2 {
			a, b := acts[i], acts[i+1]
			typ := types[int(a/4)%len(types)]
			m := map[string]any{"id": fmt.Sprintf("https://r.test/act/%d", i), "type": typ, "actor": actor(a)}
			switch typ {
			case "Create", "Update":
				n := map[string]any{"id": noteID(b), "type": "Note", "attributedTo": actor(a)}
				if b%3 == 1 {
					n["inReplyTo"] = noteID(b / 3)
				}
				m["object"] = n
			case "Move":
				m["object"], m["target"] = actor(a), actor(b)
			default:
				m["object"] = noteID(b)
			}
			body, _ := json.Marshal(m)
			tasks = append(tasks, &inboxTask{job: parseInboxItem(&models.InboxItem{ID: uint(len(tasks) + 1), Body: string(body)})})
		}
		var running []*inboxTask
		for _, tk := range tasks {
			if p.order(tk) {
				running = append(running, tk)
			}
		}
		started := map[*inboxTask]int{} // task → step it started at
		finished := map[*inboxTask]int{}
		for _, tk := range running {
			started[tk] = 0
		}
		for step := 1; len(running) > 0; step++ {
			k := 0
			if len(finishes) > 0 {
				k = int(finishes[step%len(finishes)]) % len(running)
			}
			done := running[k]
			running = slices.Delete(running, k, k+1)
			finished[done] = step
			for _, n := range p.drop(done) {
				if _, again := started[n]; again {
					t.Fatalf("item %d started twice", n.job.item.ID)
				}
				started[n] = step
				running = append(running, n)
			}
		}
		if len(started) != len(tasks) || len(p.held) != 0 || len(p.tails) != 0 {
			t.Fatalf("%d of %d started; %d held, %d tails left", len(started), len(tasks), len(p.held), len(p.tails))
		}
		for i, a := range tasks {
			for _, b := range tasks[i+1:] {
				shared := slices.ContainsFunc(b.job.keys, func(k string) bool { return slices.Contains(a.job.keys, k) })
				answers := slices.ContainsFunc(b.job.refs, func(k string) bool { return slices.Contains(a.job.keys, k) })
				if (shared || answers) && started[b] < finished[a] {
					t.Fatalf("item %d (keys %v refs %v) started at %d, before item %d (keys %v) finished at %d",
						b.job.item.ID, b.job.keys, b.job.refs, started[b], a.job.item.ID, a.job.keys, finished[a])
				}
			}
		}
	})
}
