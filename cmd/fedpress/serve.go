package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"fedpress/federation"
	"fedpress/handlers"
	"fedpress/web"
)

// cmdServe runs the web server and, unless --no-worker, the background
// workers; with web=false (`fedpress worker`) only the workers.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, serveWeb bool) error {
	var cfg config
	name := "serve"
	if !serveWeb {
		name = "worker"
	}
	fs := newFlagSet("fedpress "+name, stderr, &cfg, true)
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	log := cfg.logger(stderr)
	store, st, err := openStore(ctx, &cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	urls, _ := federation.NewURLs(cfg.BaseURL)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	fed, err := federation.NewService(federation.Config{
		URLs: urls, AllowPrivatePeers: cfg.AllowPrivatePeers, UserAgent: "fedpress/" + version + " (+" + urls.Base.String() + ")",
		Workers: cfg.Workers, PerHost: cfg.PerHost, InboxWorkers: cfg.InboxWorkers, Instance: cfg.InstanceName, Registry: reg,
		InboxPendingPerActor: cfg.InboxPendingPerActor,
	}, store, log)
	if err != nil {
		return fmt.Errorf("federation: %w", err)
	}
	if cfg.AllowPrivatePeers {
		log.Warn("--allow-private-peers is on: plain http and loopback/private peers are allowed; never use this in production")
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if !serveWeb || !cfg.NoWorker {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fed.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("workers stopped", "err", err)
			}
		}()
	}
	if !serveWeb {
		log.Info("fedpress worker running", "database", store.Dialect())
		<-ctx.Done()
		wg.Wait()
		log.Info("fedpress worker stopped")
		return nil
	}

	n, err := store.CountAuthors(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		token := st.SetupToken
		if token == "" {
			b := make([]byte, 16)
			rand.Read(b)
			token = hex.EncodeToString(b)
			st.SetupToken = token
			if err := store.SaveSettings(ctx, st); err != nil {
				return err
			}
		}
		log.Info("no author yet: open the setup URL to create the first account", "url", urls.Abs("/setup?token="+token))
		fmt.Fprintf(stdout, "\n  Create the first author: %s\n\n", urls.Abs("/setup?token="+token))
	}

	views, err := web.NewViews()
	if err != nil {
		return err
	}
	srv := handlers.New(store, fed, views, web.DirStore{Dir: filepath.Join(cfg.Data, "media")}, handlers.Config{
		URLs: urls, MaxUploadBytes: int64(cfg.MaxUploadMB) << 20, SecureCookies: strings.HasPrefix(cfg.BaseURL, "https://"),
		MetricsEnabled: cfg.Metrics, MetricsToken: cfg.MetricsToken, AllowPrivatePeers: cfg.AllowPrivatePeers, Version: version, Registry: reg,
		RateLimits: handlers.RateLimits{
			InboxActor: handlers.RateLimit{Max: cfg.InboxPerActor, Window: time.Minute},
			InboxHost:  handlers.RateLimit{Max: cfg.InboxPerHost, Window: time.Minute},
		},
	}, log)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	srv.Routes(e)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	hs := &http.Server{
		Handler: e, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
	}
	log.Info("fedpress serving", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "database", store.Dialect(), "workers", !cfg.NoWorker)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		cancel()
		wg.Wait()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, shutCancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer shutCancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	cancel()
	wg.Wait()
	log.Info("stopped")
	return nil
}
