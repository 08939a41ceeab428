package models_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"fedpress/models"
	"fedpress/models/modelstest"
)

// row is a pending delivery of activity to inbox (host taken from inbox).
func row(activity, inbox, body string, now time.Time) models.Delivery {
	host := strings.Split(strings.TrimPrefix(inbox, "https://"), "/")[0]
	return models.Delivery{ActivityID: activity, Inbox: inbox, Host: host, Kind: "Create", Body: body,
		Status: models.DeliveryPending, NextAttemptAt: now}
}

// fanOut is one activity to n inboxes on hosts h0…h9, all with body.
func fanOut(activity, body string, from, n int, now time.Time) []models.Delivery {
	out := make([]models.Delivery, 0, n)
	for i := from; i < from+n; i++ {
		out = append(out, row(activity, fmt.Sprintf("https://h%d/inbox/%d", i%10, i), body, now))
	}
	return out
}

// claimAll claims every due row and maps activity+inbox to the body claimed.
func claimAll(t *testing.T, s *models.Store, holder string, now time.Time) map[string]string {
	t.Helper()
	ds, err := s.ClaimDeliveries(context.Background(), models.DeliveryClaim{Holder: holder, Now: now, StaleBefore: now.Add(-time.Hour), Limit: 1000, PerHost: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range ds {
		out[d.ActivityID+" "+d.Inbox] = d.Body
	}
	return out
}

func countBodies(t *testing.T, s *models.Store) int64 {
	t.Helper()
	n, err := s.CountDeliveryBodies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDeliveryBodiesStoredOnce(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Add(-time.Minute)
		create := `{"type":"Create","object":{"content":"` + strings.Repeat("x", 3000) + `"}}`
		var mentions []models.Delivery
		for i := range 3 {
			mentions = append(mentions, row("webmention:1:1", fmt.Sprintf("https://m%d/post", i), fmt.Sprintf(`{"source":"s","target":"https://m%d/post"}`, i), now))
		}
		steps := []struct {
			name       string
			rows       []models.Delivery
			wantRows   int64
			wantBodies int64
		}{
			{"a fan-out stores its body once", fanOut("a1", create, 0, 600, now), 600, 1},
			{"queuing it again is a no-op", fanOut("a1", create, 0, 600, now), 0, 1},
			{"another activity with the same bytes shares the body", fanOut("a2", create, 0, 3, now), 3, 1},
			{"rows whose bodies differ per target get one each", mentions, 3, 4},
			{"a new body of a queued activity, for new inboxes", fanOut("a1", `{"v":2}`, 600, 2, now), 2, 5},
		}
		want := map[string]string{}
		for _, st := range steps {
			n, err := s.EnqueueDeliveries(ctx, st.rows)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if n != st.wantRows {
				t.Errorf("%s: inserted %d rows, want %d", st.name, n, st.wantRows)
			}
			if got := countBodies(t, s); got != st.wantBodies {
				t.Errorf("%s: %d bodies stored, want %d", st.name, got, st.wantBodies)
			}
			for _, d := range st.rows {
				if _, ok := want[d.ActivityID+" "+d.Inbox]; !ok {
					want[d.ActivityID+" "+d.Inbox] = d.Body
				}
			}
		}
		got := claimAll(t, s, "p", now.Add(time.Minute))
		if len(got) != len(want) {
			t.Fatalf("claimed %d rows, want %d", len(got), len(want))
		}
		for k, body := range want {
			if got[k] != body {
				t.Errorf("claimed %s with body %.40q, want %.40q", k, got[k], body)
			}
		}
		// The probe claim and the single-row read carry the body too.
		if err := s.ReleaseDeliveries(ctx, "p", nil); err != nil {
			t.Fatal(err)
		}
		d, err := s.ClaimHostDelivery(ctx, "m1", "probe", now, now.Add(-time.Hour))
		if err != nil || d == nil || d.Body != want["webmention:1:1 https://m1/post"] {
			t.Fatalf("probe claim: %+v %v", d, err)
		}
		if d, err := s.DeliveryByID(ctx, d.ID); err != nil || d.Body != want["webmention:1:1 https://m1/post"] {
			t.Fatalf("DeliveryByID: %+v %v", d, err)
		}
	})
}

func TestPurgeDeliveryBodies(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Add(-time.Minute)
		rows := append(fanOut("done", "D", 0, 3, now), row("x1", "https://a/inbox", "S", now), row("x2", "https://b/inbox", "S", now),
			row("wait", "https://c/inbox", "W", now))
		if _, err := s.EnqueueDeliveries(ctx, rows); err != nil {
			t.Fatal(err)
		}
		ds, err := s.ClaimDeliveries(ctx, models.DeliveryClaim{Holder: "p", Now: now, StaleBefore: now.Add(-time.Hour), Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var finished []uint
		for _, d := range ds {
			if d.ActivityID == "done" || d.ActivityID == "x1" {
				finished = append(finished, d.ID)
			}
		}
		if n, err := s.MarkDelivered(ctx, "p", finished[1:], 202, now); err != nil || n != 3 {
			t.Fatalf("mark delivered: %d %v", n, err)
		}
		if ok, err := s.FinishDelivery(ctx, "p", models.DeliveryOutcome{ID: finished[0], Attempts: 1, Status: models.DeliveryFailed, LastStatus: 410, At: now}); err != nil || !ok {
			t.Fatalf("fail a row: %v %v", ok, err)
		}
		if err := s.ReleaseDeliveries(ctx, "p", nil); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name       string
			cutoff     time.Time
			wantPurged int64
			wantBodies map[string]string // activity → body ListDeliveries shows
		}{
			{"bodies queued after the cutoff stay", now.Add(-time.Hour), 0,
				map[string]string{"done": "D", "x1": "S", "x2": "S", "wait": "W"}},
			{"a body only finished rows use goes; one a pending row shares stays", time.Now().Add(time.Hour), 1,
				map[string]string{"done": "", "x1": "S", "x2": "S", "wait": "W"}},
			{"nothing more to purge", time.Now().Add(time.Hour), 0,
				map[string]string{"done": "", "x1": "S", "x2": "S", "wait": "W"}},
		}
		for _, st := range steps {
			n, err := s.PurgeDeliveryBodies(ctx, st.cutoff)
			if err != nil || n != st.wantPurged {
				t.Fatalf("%s: purged %d (%v), want %d", st.name, n, err, st.wantPurged)
			}
			all, err := s.ListDeliveries(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range all {
				if d.Body != st.wantBodies[d.ActivityID] {
					t.Errorf("%s: %s %s has body %q, want %q", st.name, d.ActivityID, d.Inbox, d.Body, st.wantBodies[d.ActivityID])
				}
			}
		}
		if got := countBodies(t, s); got != 2 {
			t.Errorf("%d bodies left, want 2", got)
		}
		// A purged body queued again is stored again.
		if _, err := s.EnqueueDeliveries(ctx, []models.Delivery{row("again", "https://d/inbox", "D", now)}); err != nil {
			t.Fatal(err)
		}
		if got := claimAll(t, s, "q", now); got["again https://d/inbox"] != "D" || got["wait https://c/inbox"] != "W" || got["x2 https://b/inbox"] != "S" {
			t.Errorf("claim after purge = %v", got)
		}
	})
}

// deliveryV2 is the deliveries table of schema version 2: the body in
// every row.
type deliveryV2 struct {
	ID            uint      `gorm:"primaryKey"`
	ActivityID    string    `gorm:"type:text;not null;uniqueIndex:idx_delivery_target"`
	Inbox         string    `gorm:"type:text;not null;uniqueIndex:idx_delivery_target"`
	Host          string    `gorm:"size:200;index"`
	Kind          string    `gorm:"size:32"`
	ArticleID     *uint     `gorm:"index"`
	InteractionID *uint     `gorm:"index"`
	SignAs        string    `gorm:"size:64"`
	Body          string    `gorm:"type:text"`
	Status        string    `gorm:"size:16;not null;index:idx_delivery_due,priority:1"`
	NextAttemptAt time.Time `gorm:"index:idx_delivery_due,priority:2"`
	Attempts      int
	LastStatus    int
	LastError     string `gorm:"type:text"`
	ClaimedBy     string `gorm:"size:100"`
	ClaimedAt     *time.Time
	DeliveredAt   *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (deliveryV2) TableName() string { return "deliveries" }

// TestMigrateDeliveryBodies upgrades a version-2 database with a queue in
// flight: every row keeps its body (now stored once per distinct body),
// pending rows are still claimed and sent, and the column is gone.
func TestMigrateDeliveryBodies(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			opt, dial := upgradeTarget(t, backend)
			// A current schema, turned back into version 2: only deliveries
			// differs, so the rest of it is version 2's as it is.
			s, err := models.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			raw := rawDB(t, dial)
			if err := raw.Migrator().DropTable("delivery_bodies", "deliveries"); err != nil {
				t.Fatal(err)
			}
			if err := raw.AutoMigrate(&deliveryV2{}); err != nil {
				t.Fatal(err)
			}
			if err := raw.Exec("DELETE FROM schema_migrations WHERE version > 2").Error; err != nil {
				t.Fatal(err)
			}

			now := time.Now().UTC().Truncate(time.Second)
			create := `{"type":"Create","object":{"content":"` + strings.Repeat("y", 3000) + `"}}`
			dead := now.Add(-time.Hour)
			var v2 []deliveryV2
			add := func(activity, inbox, body, status string, claimedAt *time.Time) {
				claimedBy := ""
				if claimedAt != nil {
					claimedBy = "dead-process"
				}
				v2 = append(v2, deliveryV2{ActivityID: activity, Inbox: inbox, Host: strings.Split(strings.TrimPrefix(inbox, "https://"), "/")[0],
					Kind: "Create", Body: body, Status: status, NextAttemptAt: now.Add(-time.Minute), ClaimedBy: claimedBy, ClaimedAt: claimedAt})
			}
			for i := range 200 { // a fan-out in flight, part of it held by a process that died
				status, claimed := models.DeliveryPending, (*time.Time)(nil)
				switch {
				case i < 50:
					status = models.DeliveryDelivered
				case i < 60:
					claimed = &dead
				}
				add("https://blog/a/1#create", fmt.Sprintf("https://h%d/inbox", i), create, status, claimed)
			}
			add("https://blog/a/1#announce", "https://h0/inbox", create, models.DeliveryPending, nil) // same bytes, another activity
			for i := range 3 {                                                                        // mention jobs: one body per target
				add("webmention:1:1", fmt.Sprintf("https://m%d/post", i), fmt.Sprintf(`{"target":"https://m%d/post"}`, i), models.DeliveryPending, nil)
			}
			for i := range 520 { // more activities than one batch of the move
				add(fmt.Sprintf("https://blog/old/%03d", i), "https://h1/inbox", fmt.Sprintf(`{"n":%d}`, i), models.DeliveryFailed, nil)
			}
			add("", "https://h2/inbox", "{}", models.DeliveryFailed, nil) // the smallest activity id
			if err := raw.CreateInBatches(v2, 100).Error; err != nil {
				t.Fatal(err)
			}
			wantBody := map[uint]string{}
			wantPending := 0
			for _, d := range v2 {
				wantBody[d.ID] = d.Body
				if d.Status == models.DeliveryPending {
					wantPending++
				}
			}

			s, err = models.Open(ctx, opt)
			if err != nil {
				t.Fatalf("migrate from version 2: %v", err)
			}
			defer s.Close()
			if v, err := s.SchemaVersion(ctx); err != nil || v != models.LatestSchemaVersion() || v < 3 {
				t.Fatalf("schema version %d %v", v, err)
			}
			if raw.Migrator().HasColumn("deliveries", "body") {
				t.Error("deliveries.body is still there")
			}
			if n := countBodies(t, s); n != 1+3+520+1 {
				t.Errorf("%d bodies stored, want %d (one per distinct body)", n, 1+3+520+1)
			}
			all, err := s.ListDeliveries(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != len(v2) {
				t.Fatalf("%d rows after the migration, want %d", len(all), len(v2))
			}
			for _, d := range all {
				if d.Body != wantBody[d.ID] {
					t.Fatalf("row %d (%s) has body %.40q, want %.40q", d.ID, d.ActivityID, d.Body, wantBody[d.ID])
				}
			}
			// Every pending row, those of the dead process included, is
			// claimed with its body.
			claimed := 0
			for {
				ds, err := s.ClaimDeliveries(ctx, models.DeliveryClaim{Holder: "new", Now: now, StaleBefore: now.Add(-time.Minute), Limit: 50, PerHost: 50})
				if err != nil {
					t.Fatal(err)
				}
				if len(ds) == 0 {
					break
				}
				for _, d := range ds {
					if d.Body == "" || d.Body != wantBody[d.ID] {
						t.Fatalf("claimed row %d with body %.40q", d.ID, d.Body)
					}
					if _, err := s.MarkDelivered(ctx, "new", []uint{d.ID}, 202, now); err != nil {
						t.Fatal(err)
					}
				}
				claimed += len(ds)
			}
			if claimed != wantPending {
				t.Errorf("claimed %d rows, want the %d pending", claimed, wantPending)
			}
		})
	}
}

// TestMigrateLinkNotificationsSetting: a version 3 database gains the
// column with link notifications on, and its settings row still loads.
func TestMigrateLinkNotificationsSetting(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			opt, dial := upgradeTarget(t, backend)
			s, err := models.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.EnsureSettings(ctx, func() (string, string, string, string, error) { return "a", "b", "c", "d", nil }); err != nil {
				t.Fatal(err)
			}
			s.Close()
			raw := rawDB(t, dial)
			if err := raw.Exec("ALTER TABLE settings DROP COLUMN skip_link_notifications").Error; err != nil {
				t.Fatal(err)
			}
			if err := raw.Exec("DELETE FROM schema_migrations WHERE version = 4").Error; err != nil {
				t.Fatal(err)
			}
			s, err = models.Open(ctx, opt)
			if err != nil {
				t.Fatalf("migrate to v4: %v", err)
			}
			defer s.Close()
			st, err := s.GetSettings(ctx)
			if err != nil || st.SkipLinkNotifications || st.Title == "" {
				t.Fatalf("settings after v4: %+v %v", st, err)
			}
			if v, _ := s.SchemaVersion(ctx); v < 4 {
				t.Fatalf("schema version %d", v)
			}
		})
	}
}

// upgradeTarget is a database of one backend that a test opens, turns
// back to an older schema with a raw connection, and opens again.
func upgradeTarget(t *testing.T, backend string) (models.Options, gorm.Dialector) {
	t.Helper()
	if backend == "sqlite" {
		dir := t.TempDir()
		path := filepath.Join(dir, "old.db")
		return models.Options{SQLitePath: path, DataDir: dir}, sqlite.Open(path)
	}
	dsn := modelstest.PostgresDSN(t)
	return models.Options{DatabaseURL: dsn, MaxOpenConns: 4}, postgres.Open(dsn)
}

// rawDB opens dial outside models, closed when the test ends.
// upgradeFrom takes a closed store's database back to the schema before
// migration version (stmts undo it, including its schema_migrations row)
// and opens it again, which applies the migration.
func upgradeFrom(ctx context.Context, t *testing.T, opt models.Options, dial gorm.Dialector, version int, stmts ...string) *models.Store {
	t.Helper()
	raw := rawDB(t, dial)
	for _, stmt := range stmts {
		if err := raw.Exec(stmt).Error; err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	s, err := models.Open(ctx, opt)
	if err != nil {
		t.Fatalf("migrate to v%d: %v", version, err)
	}
	return s
}

func rawDB(t *testing.T, dial gorm.Dialector) *gorm.DB {
	t.Helper()
	raw, err := gorm.Open(dial, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if db, err := raw.DB(); err == nil {
			db.Close()
		}
	})
	return raw
}
