package jobs

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
	"fedpress/web"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newAuthor(t *testing.T, s *models.Store) *models.Author {
	t.Helper()
	a := &models.Author{Username: "ann", Name: "Ann", PasswordHash: "!", PrivateKeyPEM: "k", PublicKeyPEM: "p"}
	if err := s.CreateAuthor(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestPurgesExpiredSessions: expired sessions go, live ones stay.
func TestPurgesExpiredSessions(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newAuthor(t, s)
		now := time.Now().UTC()
		for hash, exp := range map[string]time.Time{"old": now.Add(-time.Hour), "older": now.Add(-48 * time.Hour), "live": now.Add(time.Hour)} {
			if err := s.CreateSession(ctx, &models.Session{TokenHash: hash, AuthorID: a.ID, CSRFToken: "c", ExpiresAt: exp}); err != nil {
				t.Fatal(err)
			}
		}
		res := NewJanitor(s, nil, JanitorConfig{Now: func() time.Time { return now }}, quietLog()).Pass(ctx)
		if res.Sessions != 2 {
			t.Fatalf("purged %d sessions, want 2", res.Sessions)
		}
		if _, _, err := s.SessionByHash(ctx, "live", now); err != nil {
			t.Fatalf("live session: %v", err)
		}
		for _, h := range []string{"old", "older"} {
			if _, _, err := s.SessionByHash(ctx, h, now.Add(-72*time.Hour)); !models.ErrIsNotFound(err) {
				t.Fatalf("expired session %s still there: %v", h, err)
			}
		}
	})
}

// TestRemovesOrphanMedia: a file no media row names (the crash of
// `fedpress post` between writing it and recording it) and an unfinished
// upload go once older than the grace period; files with a row, young
// files and other hidden files stay.
func TestRemovesOrphanMedia(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newAuthor(t, s)
		dir := t.TempDir()
		media := web.DirStore{Dir: dir}
		now := time.Now().UTC()
		old, young := now.Add(-25*time.Hour), now.Add(-time.Hour)
		files := map[string]time.Time{
			"kept.png":       old,   // has a row
			"orphan.png":     old,   // no row: removed
			"fresh.png":      young, // no row but within the grace period
			".upload-123":    old,   // an upload that never finished: removed
			".upload-456":    young, // an upload perhaps in progress
			".write-test-77": old,   // not ours to judge
		}
		for name, mod := range files {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, mod, mod); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateMedia(ctx, &models.Media{AuthorID: a.ID, Path: "kept.png", MimeType: "image/png"}); err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		j := NewJanitor(s, media, JanitorConfig{Now: func() time.Time { return now }}, slog.New(slog.NewTextHandler(&log, nil)))
		if res := j.Pass(ctx); res.MediaFiles != 2 {
			t.Fatalf("removed %d media files, want 2", res.MediaFiles)
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var left []string
		for _, e := range ents {
			left = append(left, e.Name())
		}
		want := []string{".upload-456", ".write-test-77", "fresh.png", "kept.png", "sub"}
		if !slices.Equal(left, want) {
			t.Fatalf("left %q, want %q", left, want)
		}
		if !strings.Contains(log.String(), "file=orphan.png") {
			t.Fatalf("removal not logged:\n%s", log.String())
		}
		if res := j.Pass(ctx); res.MediaFiles != 0 {
			t.Fatalf("a second pass removed %d", res.MediaFiles)
		}
	})
}

// TestPurgesFinishedDeliveries: old delivered and failed rows of no
// article and no reply go; pending rows, recent rows, and rows of articles
// and replies (the admin deliveries page and later federation read them)
// stay.
func TestPurgesFinishedDeliveries(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newAuthor(t, s)
		pub := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		art, err := s.SaveArticle(ctx, 0, models.ArticleInput{Title: "T", Slug: "t", Markdown: "x", HTML: "<p>x</p>",
			Status: models.StatusPublished, PublishedAt: &pub, AuthorID: a.ID})
		if err != nil {
			t.Fatal(err)
		}
		in := &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceLocal,
			Status: models.StatusApproved, Content: "<p>reply</p>"}
		if _, err := s.CreateInteraction(ctx, in); err != nil {
			t.Fatal(err)
		}
		row := func(activity, inbox string, article, interaction *uint) models.Delivery {
			return models.Delivery{ActivityID: activity, Inbox: inbox, Host: "social.test", Kind: "Accept", SignAs: "blog",
				Body: `{"id":"` + activity + `"}`, Status: models.DeliveryPending, NextAttemptAt: time.Now().UTC().Add(-time.Minute),
				ArticleID: article, InteractionID: interaction}
		}
		ds := []models.Delivery{
			row("https://blog.test/accept/1", "https://social.test/a/inbox", nil, nil),       // delivered: purged
			row("https://blog.test/accept/2", "https://social.test/b/inbox", nil, nil),       // failed: purged
			row("https://blog.test/accept/3", "https://social.test/c/inbox", nil, nil),       // still pending: kept
			row("https://blog.test/create/1", "https://social.test/a/inbox", &art.ID, nil),   // an article's: kept
			row("https://blog.test/reply/1", "https://social.test/a/inbox", &art.ID, &in.ID), // a reply's: kept
		}
		if _, err := s.EnqueueDeliveries(ctx, ds); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		claimed, err := s.ClaimDeliveries(ctx, models.DeliveryClaim{Holder: "w", Now: now, StaleBefore: now.Add(-time.Hour), Limit: 10})
		if err != nil || len(claimed) != len(ds) {
			t.Fatalf("claimed %d, %v", len(claimed), err)
		}
		for _, d := range claimed {
			status := models.DeliveryDelivered
			switch d.ActivityID {
			case "https://blog.test/accept/2":
				status = models.DeliveryFailed
			case "https://blog.test/accept/3":
				status = models.DeliveryPending
			}
			if _, err := s.FinishDelivery(ctx, "w", models.DeliveryOutcome{ID: d.ID, Attempts: 1, Status: status, NextAttemptAt: now.Add(time.Hour), At: now}); err != nil {
				t.Fatal(err)
			}
		}
		remaining := func() []string {
			t.Helper()
			rows, err := s.ListDeliveries(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, d := range rows {
				ids = append(ids, d.ActivityID)
			}
			slices.Sort(ids)
			return ids
		}
		all := remaining()
		// Recent rows stay.
		if res := NewJanitor(s, nil, JanitorConfig{}, quietLog()).Pass(ctx); res.Deliveries != 0 {
			t.Fatalf("purged %d recent rows", res.Deliveries)
		}
		later := func() time.Time { return now.Add(DefaultDeliveryAge + time.Hour) }
		if res := NewJanitor(s, nil, JanitorConfig{Now: later}, quietLog()).Pass(ctx); res.Deliveries != 2 {
			t.Fatalf("purged %d rows, want 2 (of %q)", res.Deliveries, all)
		}
		want := []string{"https://blog.test/accept/3", "https://blog.test/create/1", "https://blog.test/reply/1"}
		if got := remaining(); !slices.Equal(got, want) {
			t.Fatalf("left %q, want %q", got, want)
		}
		if sent, err := s.HasDeliveries(ctx, in.ID); err != nil || !sent {
			t.Fatalf("the reply's deliveries: %v %v", sent, err)
		}
	})
}

// TestRunPassesAtStartUnderTheLease: Run does a pass at once; a second
// janitor on the same database waits while the first holds the lease.
func TestRunPassesAtStartUnderTheLease(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a := newAuthor(t, s)
		now := time.Now().UTC()
		if err := s.CreateSession(ctx, &models.Session{TokenHash: "old", AuthorID: a.ID, CSRFToken: "c", ExpiresAt: now.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		// Another process holds the lease: nothing happens.
		if ok, err := s.AcquireLease(ctx, lease, "other", now, time.Hour); err != nil || !ok {
			t.Fatalf("lease %v %v", ok, err)
		}
		other := NewJanitor(s, nil, JanitorConfig{Holder: "me"}, quietLog())
		other.tick(ctx)
		if _, _, err := s.SessionByHash(ctx, "old", now.Add(-2*time.Hour)); err != nil {
			t.Fatalf("purged without the lease: %v", err)
		}
		if err := s.ReleaseLease(ctx, lease, "other"); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); NewJanitor(s, nil, JanitorConfig{Holder: "me"}, quietLog()).Run(ctx) }()
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, _, err := s.SessionByHash(ctx, "old", now.Add(-2*time.Hour))
			if models.ErrIsNotFound(err) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no pass at start: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		<-done
	})
}
