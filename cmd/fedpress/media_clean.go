package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"fedpress/models"
	"fedpress/web"
)

// cmdMediaClean runs every upload made before images were cleaned on
// upload through the same pipeline: location and camera data go, resized
// copies are made.
func cmdMediaClean(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet("fedpress media-clean", stderr, &cfg, false)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: fedpress media-clean [flags]\n\n"+
			"Removes location and other private metadata from every uploaded image (keeping\n"+
			"orientation and colour profile) and makes its resized copies, as uploads get today.\n"+
			"Articles offer the copies to phones once saved again.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	store, _, err := openStore(ctx, &cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	sum, err := cleanMedia(ctx, store, web.DirStore{Dir: filepath.Join(cfg.Data, "media")}, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cleaned %d images, made %d resized copies, skipped %d\n", sum.images, sum.variants, sum.skipped)
	return nil
}

type cleanSummary struct{ images, variants, skipped int }

// cleanMedia rewrites each local image in place (same name, so articles
// keep working) and records its new size and copies. Running it again
// changes nothing that matters: cleaning is idempotent.
func cleanMedia(ctx context.Context, store *models.Store, media web.DirStore, warn io.Writer) (cleanSummary, error) {
	var sum cleanSummary
	ms, err := store.ListMedia(ctx, 0, -1)
	if err != nil {
		return sum, err
	}
	for _, m := range ms {
		if m.RemoteURL != "" || !strings.HasPrefix(m.MimeType, "image/") {
			continue
		}
		f, _, err := media.Open(m.Path)
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(warn, "%s: file missing, skipped\n", m.Path)
			sum.skipped++
			continue
		}
		if err != nil {
			return sum, err
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return sum, fmt.Errorf("read media %s: %w", m.Path, err)
		}
		info, err := web.SniffImage(data)
		if err != nil || info.Ext != path.Ext(m.Path) {
			fmt.Fprintf(warn, "%s: not the image its name says, skipped\n", m.Path)
			sum.skipped++
			continue
		}
		im, err := web.StoreImage(media, strings.TrimSuffix(m.Path, info.Ext), data)
		if errors.Is(err, web.ErrNotImage) || errors.Is(err, web.ErrTooManyPixels) {
			fmt.Fprintf(warn, "%s: %v, skipped\n", m.Path, err)
			sum.skipped++
			continue
		}
		if err != nil {
			return sum, fmt.Errorf("clean media %s: %w", m.Path, err)
		}
		stored := mediaOf(im)
		m.Width, m.Height, m.Size, m.Variants = stored.Width, stored.Height, stored.Size, stored.Variants
		if err := store.SaveMedia(ctx, &m); err != nil {
			return sum, err
		}
		sum.images++
		sum.variants += len(im.Variants)
	}
	return sum, nil
}
