// Package jobs holds periodic housekeeping that is not ActivityPub (DESIGN.md's
// "small jobs/"). The janitor removes what nobody needs any more: expired
// login sessions, media files without a media row (left by a process that
// died between writing an image and recording it, as `fedpress post` or an
// upload can), unfinished uploads, and old finished delivery rows that
// nothing reads. It runs beside the background workers (`fedpress serve`
// without --no-worker, and `fedpress worker`); with several processes on one
// database a lease lets one of them do it.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"fedpress/models"
	"fedpress/web"
)

// lease names the janitor's job lease.
const lease = "janitor"

// Defaults of JanitorConfig.
const (
	DefaultEvery       = time.Hour
	DefaultMediaGrace  = 24 * time.Hour
	DefaultDeliveryAge = 30 * 24 * time.Hour
)

// Media is the media folder as the janitor sees it (web.DirStore).
type Media interface {
	List() ([]web.StoredFile, error)
	RemoveStored(f web.StoredFile) error
}

// JanitorConfig tunes the janitor; zero fields take the defaults.
type JanitorConfig struct {
	Every time.Duration // time between passes
	// MediaGrace spares files younger than this: their row may be in a
	// transaction not committed yet (a long WXR import writes files first).
	MediaGrace time.Duration
	// DeliveryAge is how long finished delivery rows are kept.
	DeliveryAge time.Duration
	// Holder names this process in the lease (--instance-name); empty:
	// HOST-PID-RANDOM.
	Holder string
	// Now is the clock; nil is the wall clock.
	Now func() time.Time
}

// Janitor is the periodic cleanup.
type Janitor struct {
	store *models.Store
	media Media // nil: no media folder to clean
	cfg   JanitorConfig
	log   *slog.Logger
	now   func() time.Time
}

// New builds a janitor.
func NewJanitor(store *models.Store, media Media, cfg JanitorConfig, log *slog.Logger) *Janitor {
	if cfg.Every <= 0 {
		cfg.Every = DefaultEvery
	}
	if cfg.MediaGrace <= 0 {
		cfg.MediaGrace = DefaultMediaGrace
	}
	if cfg.DeliveryAge <= 0 {
		cfg.DeliveryAge = DefaultDeliveryAge
	}
	if cfg.Holder == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		cfg.Holder = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	return &Janitor{store: store, media: media, cfg: cfg, log: log, now: cfg.Now}
}

// Result counts what one pass removed.
type Result struct {
	Sessions, MediaFiles, Deliveries int64
}

// Run does a pass at once and then every cfg.Every, while this process
// holds the lease, until ctx ends.
func (j *Janitor) Run(ctx context.Context) {
	t := time.NewTicker(j.cfg.Every)
	defer t.Stop()
	for {
		j.tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (j *Janitor) tick(ctx context.Context) {
	// The lease outlives the pass interval a little, so the holder keeps
	// it from one pass to the next and a dead holder's lapses.
	ok, err := j.store.AcquireLease(ctx, lease, j.cfg.Holder, j.now(), j.cfg.Every+time.Minute)
	if err != nil || !ok {
		if err != nil && ctx.Err() == nil {
			j.log.Warn("janitor lease", "err", err)
		}
		return
	}
	res := j.Pass(ctx)
	if res.Sessions+res.MediaFiles+res.Deliveries > 0 {
		j.log.Info("janitor: removed what nobody needs", "sessions", res.Sessions, "media_files", res.MediaFiles, "deliveries", res.Deliveries)
	}
}

// Pass runs every cleanup once; a failing one is logged and the others
// still run.
func (j *Janitor) Pass(ctx context.Context) Result {
	var res Result
	now := j.now()
	var err error
	if res.Sessions, err = j.store.PurgeSessions(ctx, now); err != nil && ctx.Err() == nil {
		j.log.Warn("janitor: expired sessions", "err", err)
	}
	if res.MediaFiles, err = j.orphanMedia(ctx, now.Add(-j.cfg.MediaGrace)); err != nil && ctx.Err() == nil {
		j.log.Warn("janitor: orphan media", "err", err)
	}
	if res.Deliveries, err = j.store.PurgeFinishedDeliveries(ctx, now.Add(-j.cfg.DeliveryAge)); err != nil && ctx.Err() == nil {
		j.log.Warn("janitor: finished deliveries", "err", err)
	}
	return res
}

// orphanMedia removes media files older than before that no media row
// names, and unfinished uploads older than before.
func (j *Janitor) orphanMedia(ctx context.Context, before time.Time) (int64, error) {
	if j.media == nil {
		return 0, nil
	}
	files, err := j.media.List()
	if err != nil {
		return 0, err
	}
	var old []web.StoredFile
	var names []string
	for _, f := range files {
		if f.ModTime.Before(before) {
			old = append(old, f)
			if !f.Partial {
				names = append(names, f.Name)
			}
		}
	}
	known, err := j.store.KnownMediaPaths(ctx, names)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, f := range old {
		if !f.Partial && known[f.Name] {
			continue
		}
		if err := j.media.RemoveStored(f); err != nil {
			j.log.Warn("janitor: remove orphan media file", "file", f.Name, "err", err)
			continue
		}
		j.log.Info("janitor: removed a media file no media row names", "file", f.Name, "modified", f.ModTime, "unfinished_upload", f.Partial)
		n++
	}
	return n, nil
}
