// Command as2cpu measures, in one process and without HTTP, what building
// an article's ActivityStreams document costs (federation.ArticleObject +
// federation.MarshalDoc, what GET /articles/ID with an AS2 Accept does
// besides routing), and writes a CPU profile of it:
//
//	go run ./bench/as2cpu -db sqlite -d 5s -cpuprofile /tmp/as2.prof
//	go tool pprof -top -nodecount 25 /tmp/as2.prof
//
// It makes a fresh SQLite data folder (or PostgreSQL schema) with the
// same article and five comments as bench/pages, then calls the two
// functions in a loop on GOMAXPROCS goroutines for -d. It also times the
// parts apart: the database reads (settings, article, author, counts) and
// the rest (go-fed object building, HTML rewriting, JSON).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"fedpress/bench/internal/harness"
	"fedpress/federation"
	"fedpress/models"
)

func main() {
	var common harness.Common
	fs := flag.NewFlagSet("as2cpu", flag.ExitOnError)
	common.Register(fs, "sqlite")
	dur := fs.Duration("d", 5*time.Second, "how long to loop")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the loop here")
	fs.Parse(os.Args[1:])
	if backends, err := common.Backends(); err != nil || len(backends) != 1 {
		common.Fatal(fmt.Errorf("-db: give exactly one backend (%v)", err))
	}
	setup := common.Setup()
	defer setup.Close()
	backend := setup.Backends[0]
	blog, err := common.NewBlog(backend, setup.Bin, setup.Dir)
	if err != nil {
		common.Fatal(err)
	}
	defer blog.Close()
	if _, _, err := blog.Post("a-typical-article", harness.ArticleMarkdown("A typical article", "a-typical-article", "federation", "blogging")); err != nil {
		common.Fatal(err)
	}
	ctx := context.Background()
	store, err := blog.Store(ctx)
	if err != nil {
		common.Fatal(err)
	}
	defer store.Close()
	art, err := store.ArticleBySlug(ctx, "a-typical-article")
	if err != nil {
		common.Fatal(err)
	}
	for i := range 5 {
		if _, err := store.CreateInteraction(ctx, &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceWeb,
			Status: models.StatusApproved, AuthorName: fmt.Sprintf("Reader %d", i+1), AuthorEmail: fmt.Sprintf("reader%d@example.org", i+1),
			Content: "<p>Thanks for writing this up; the part about signatures answered a question I had for weeks.</p>"}); err != nil {
			common.Fatal(err)
		}
	}
	urls, _ := federation.NewURLs(blog.BaseURL)
	svc, err := federation.NewService(federation.Config{URLs: urls, AllowPrivatePeers: true}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		common.Fatal(err)
	}

	// One request's work, as articleObjectShow + articleAS2 + writeAS2 do it.
	var size atomic.Int64
	once := func() error {
		a, err := store.ArticleByID(ctx, art.ID)
		if err != nil {
			return err
		}
		doc, err := svc.ArticleObject(ctx, a)
		if err != nil {
			return err
		}
		b, err := federation.MarshalDoc(doc)
		size.Store(int64(len(b)))
		return err
	}
	if err := once(); err != nil {
		common.Fatal(err)
	}
	// The database part alone: the reads ArticleObject makes.
	reads := func() error {
		a, err := store.ArticleByID(ctx, art.ID)
		if err != nil {
			return err
		}
		if _, err := store.GetSettings(ctx); err != nil {
			return err
		}
		if _, err := store.AuthorByID(ctx, a.AuthorID); err != nil {
			return err
		}
		for _, k := range []string{models.KindComment, models.KindLike, models.KindBoost} {
			if _, err := store.CountApproved(ctx, a.ID, k); err != nil {
				return err
			}
		}
		return nil
	}

	loop := func(fn func() error, d time.Duration) float64 {
		var n atomic.Int64
		stop := time.Now().Add(d)
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(stop) {
					if err := fn(); err != nil {
						common.Fatal(err)
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		return float64(n.Load()) / d.Seconds()
	}
	common.Quiet()
	var prof *os.File
	if *profile != "" {
		if prof, err = os.Create(*profile); err != nil {
			common.Fatal(err)
		}
		if err := pprof.StartCPUProfile(prof); err != nil {
			common.Fatal(err)
		}
	}
	full := loop(once, *dur) // the profile covers this loop only
	if prof != nil {
		pprof.StopCPUProfile()
		prof.Close()
	}
	db := loop(reads, *dur)

	common.Header("fedpress AS2 article document, in process (no HTTP)")
	harness.Table(os.Stdout, []string{"db", "work", "per second", "per call (CPU of all cores)"}, [][]string{
		{backend, fmt.Sprintf("ArticleByID + ArticleObject + MarshalDoc (%d bytes)", size.Load()), fmt.Sprintf("%.0f", full),
			fmt.Sprintf("%.2f ms", float64(runtime.GOMAXPROCS(0))*1000/full)},
		{backend, "its database reads only (article, settings, author, 3 counts)", fmt.Sprintf("%.0f", db),
			fmt.Sprintf("%.2f ms", float64(runtime.GOMAXPROCS(0))*1000/db)},
	})
	fmt.Printf("\n%d goroutines (GOMAXPROCS) for %v each.\n", runtime.GOMAXPROCS(0), *dur)
}
