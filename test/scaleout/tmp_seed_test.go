package scaleout

import (
	"fmt"
	"testing"
)

func TestTmpSeed(t *testing.T) {
	dsn := postgresDSN(t)
	e := newEnv(t, dsn, "127.0.0.1:1")
	e.setup()
	var inboxes []string
	for i := range 2000 {
		inboxes = append(inboxes, fmt.Sprintf("http://127.0.0.1:9/inbox/%d", i))
	}
	t.Logf("seeded in %s", e.seedFollowers(inboxes))
}
