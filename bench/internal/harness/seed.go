package harness

import (
	"context"
	"fmt"

	"fedpress/models"
)

// SeedFollowers stores followers remote actors spread round-robin over the
// servers (shared inbox = server/inbox), with the mix of
// federation/fanout_bench_test.go: 10% follow author and the blog actor,
// 20% the author only, 70% the blog only (cycling per server, so every
// server hosts each kind). It commits every 250 followers: a single
// transaction for all of them is quadratic on PostgreSQL, because each
// remote-actor upsert also updates the one page-cache generation row, and
// the row's versions pile up until the transaction ends.
func SeedFollowers(ctx context.Context, store *models.Store, servers []string, followers int, author string) error {
	st, err := store.GetSettings(ctx)
	if err != nil {
		return err
	}
	blog := st.BlogUsername
	if blog == "" {
		blog = models.DefaultBlogUsername
	}
	const batch = 250
	n := len(servers)
	for lo := 0; lo < followers; lo += batch {
		err := store.Tx(ctx, func(tx *models.Store) error {
			for i := lo; i < min(lo+batch, followers); i++ {
				p := servers[i%n]
				ra := &models.RemoteActor{URI: fmt.Sprintf("%s/users/u%d", p, i), Inbox: fmt.Sprintf("%s/users/u%d/inbox", p, i), SharedInbox: p + "/inbox"}
				if err := tx.UpsertRemoteActor(ctx, ra); err != nil {
					return err
				}
				var follows []string
				switch (i / n) % 10 {
				case 0:
					follows = []string{author, blog}
				case 1, 2:
					follows = []string{author}
				default:
					follows = []string{blog}
				}
				for _, local := range follows {
					if _, _, err := tx.UpsertFollower(ctx, local, ra.ID, ra.URI+"#f", models.FollowAccepted); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed followers: %w", err)
		}
	}
	return nil
}
