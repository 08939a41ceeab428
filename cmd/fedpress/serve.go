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
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"fedpress/federation"
	"fedpress/handlers"
	"fedpress/jobs"
	"fedpress/jobs/mailer"
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
	if serveWeb {
		setUsage(fs, "usage: fedpress serve [flags]\n\nRuns the blog: the web site, the inbox and the background work (--no-worker: web only).")
	} else { // the worker accepts serve's web flags, so both can share one environment
		setUsage(fs, workerUsage, webOnly()...)
	}
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	// Bind first: a taken port fails at once, before migrations or a setup
	// URL that would point at the other process.
	var ln net.Listener
	if serveWeb {
		var err error
		if ln, err = listen(cfg.Addr); err != nil {
			return err
		}
		defer ln.Close()
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
	if cfg.Metrics && cfg.MetricsToken == "" && serveWeb {
		log.Info("/metrics answers 401 until a token is set with --metrics-token (FEDPRESS_METRICS_TOKEN)")
	}
	if cfg.AllowPrivatePeers {
		log.Warn("--allow-private-peers is on: plain http and loopback/private peers are allowed; never use this in production")
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if !serveWeb || !cfg.NoWorker {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := fed.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("workers stopped", "err", err)
			}
		}()
		jan := jobs.NewJanitor(store, web.DirStore{Dir: filepath.Join(cfg.Data, "media")}, jobs.JanitorConfig{Holder: cfg.InstanceName}, log)
		go func() { defer wg.Done(); jan.Run(ctx) }()
	}
	if cfg.SMTPURL != "" && (!serveWeb || !cfg.NoWorker) {
		snd, err := mailer.NewSender(cfg.mail())
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		mw := &mailer.Worker{Store: store, Sender: snd, BaseURL: urls.Base.String(), Holder: mailHolder(cfg.InstanceName), Log: log}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := mw.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("mail worker stopped", "err", err)
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
		TrustedProxies: cfg.trustedProxies,
		MailEnabled:    cfg.SMTPURL != "",
		RateLimits: handlers.RateLimits{
			InboxActor: handlers.RateLimit{Max: cfg.InboxPerActor, Window: time.Minute},
			InboxHost:  handlers.RateLimit{Max: cfg.InboxPerHost, Window: time.Minute},
		},
	}, log)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	srv.Routes(e)

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

const workerUsage = "usage: fedpress worker [flags]\n\nRuns only the background work: inbox, deliveries, scheduled articles. It also\naccepts serve's web flags (and ignores them), so both can share one environment."

// webOnly names serve's flags the worker ignores, left out of its help.
func webOnly() []string {
	return []string{"addr", "no-worker", "metrics", "metrics-token", "max-upload-mb"}
}

// listen binds addr, explaining the usual failures in words.
func listen(addr string) (net.Listener, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("%w: --addr %q must be HOST:PORT, such as 127.0.0.1:8080", errUsage, addr)
	}
	ln, err := net.Listen("tcp", addr)
	switch {
	case err == nil:
		return ln, nil
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("cannot listen on %s: another program (perhaps another fedpress) is using that address; stop it or choose another with --addr (env FEDPRESS_ADDR)", addr)
	case errors.Is(err, syscall.EACCES):
		return nil, fmt.Errorf("cannot listen on %s: not allowed (ports below 1024 need privileges); choose another with --addr (env FEDPRESS_ADDR)", addr)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return nil, fmt.Errorf("cannot listen on %s: this machine has no such address; choose another with --addr (env FEDPRESS_ADDR)", addr)
	}
	return nil, fmt.Errorf("cannot listen on %s (%v); choose another address with --addr (env FEDPRESS_ADDR)", addr, err)
}

// mailHolder names this process in claimed mail rows: the instance name,
// or host-pid-random as the delivery queue does.
func mailHolder(instance string) string {
	if instance != "" {
		return instance
	}
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}
