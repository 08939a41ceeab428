package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"fedpress/federation"
	"fedpress/handlers"
	"fedpress/jobs/mailer"
	"fedpress/models"
)

// config is every setting, from flags or the environment variable of the
// same name (FEDPRESS_ + upper-case flag with _ for -); a flag wins.
type config struct {
	Addr              string
	BaseURL           string
	Data              string
	DatabaseURL       string
	AllowPrivatePeers bool
	LogFormat         string
	LogLevel          string
	NoWorker          bool
	MetricsToken      string
	Metrics           bool
	MaxUploadMB       int
	Workers           int
	PerHost           int
	InboxWorkers      int
	InstanceName      string
	TrustedProxies    string
	trustedProxies    []netip.Prefix // parsed by validate
	stderr            io.Writer      // warnings of openStore
	SMTPURL           string
	SMTPFrom          string
	// Inbox limits: activities per minute per signing actor and per host,
	// and stored unprocessed activities per actor.
	InboxPerActor, InboxPerHost, InboxPendingPerActor int
}

// newFlagSet registers the flags a command uses; common ones are always
// there, so that one set of flags works for every command (a command's help
// leaves out those it ignores: see storeOnly).
func newFlagSet(name string, stderr io.Writer, cfg *config, server bool) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.stderr = stderr
	setUsage(fs, "")
	fs.StringVar(&cfg.Data, "data", "./data", "data folder: SQLite database, media and keys (env FEDPRESS_DATA)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", "", "postgres://… DSN to use PostgreSQL; empty = SQLite in the data folder (env FEDPRESS_DATABASE_URL)")
	fs.StringVar(&cfg.BaseURL, "base-url", "", "public URL of the blog, used in every absolute link and ActivityPub id; never change it once you have followers (env FEDPRESS_BASE_URL; default http://ADDR)")
	fs.StringVar(&cfg.LogFormat, "log-format", "text", "log format: text or json (env FEDPRESS_LOG_FORMAT)")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "log level: debug, info, warn, error (env FEDPRESS_LOG_LEVEL)")
	fs.BoolVar(&cfg.AllowPrivatePeers, "allow-private-peers", false, "allow plain http and loopback/private peers: for tests and local trials only (env FEDPRESS_ALLOW_PRIVATE_PEERS)")
	if server {
		fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address to listen on (env FEDPRESS_ADDR)")
		fs.BoolVar(&cfg.NoWorker, "no-worker", false, "serve only: run no background work (env FEDPRESS_NO_WORKER)")
		fs.BoolVar(&cfg.Metrics, "metrics", true, "serve Prometheus metrics at /metrics (env FEDPRESS_METRICS)")
		fs.StringVar(&cfg.MetricsToken, "metrics-token", "", "bearer token /metrics requires; without one /metrics answers 401 to everyone (env FEDPRESS_METRICS_TOKEN)")
		fs.IntVar(&cfg.MaxUploadMB, "max-upload-mb", 10, "largest image upload in MiB (env FEDPRESS_MAX_UPLOAD_MB)")
		fs.IntVar(&cfg.Workers, "workers", 32, "concurrent deliveries (env FEDPRESS_WORKERS)")
		fs.IntVar(&cfg.PerHost, "per-host", 4, "concurrent deliveries per remote host (env FEDPRESS_PER_HOST)")
		fs.IntVar(&cfg.InboxWorkers, "inbox-workers", 0, "incoming activities using the database at once; those waiting for a remote server do not count (env FEDPRESS_INBOX_WORKERS; 0 = 8 on PostgreSQL, 2 on SQLite)")
		fs.IntVar(&cfg.InboxPerActor, "inbox-per-actor", 30, "inbox activities accepted per minute from one signing actor; more get 429 with Retry-After (env FEDPRESS_INBOX_PER_ACTOR)")
		fs.IntVar(&cfg.InboxPerHost, "inbox-per-host", 300, "inbox activities accepted per minute from one remote host (env FEDPRESS_INBOX_PER_HOST)")
		fs.IntVar(&cfg.InboxPendingPerActor, "inbox-pending-per-actor", 20, "stored activities of one actor waiting to be processed; more get 429 (env FEDPRESS_INBOX_PENDING_PER_ACTOR)")
		fs.StringVar(&cfg.TrustedProxies, "trusted-proxies", "", "comma-separated addresses or networks (127.0.0.1, 10.0.0.0/8) of the reverse proxies whose X-Forwarded-For names the client; empty = the connection's address is the client (env FEDPRESS_TRUSTED_PROXIES)")
		fs.StringVar(&cfg.SMTPURL, "smtp-url", "", "send e-mail (comment notifications, password resets) through smtp://user:pass@host:port (STARTTLS when offered) or smtps://… (TLS); empty = no e-mail (env FEDPRESS_SMTP_URL)")
		fs.StringVar(&cfg.SMTPFrom, "smtp-from", "", "sender of the blog's e-mail, like \"My blog <blog@example.com>\" (env FEDPRESS_SMTP_FROM)")
		fs.StringVar(&cfg.InstanceName, "instance-name", "", "stable name of this process in claimed queue rows, like its systemd unit or container name: at start it takes back at once the work it held when it died; never give two running processes the same name (env FEDPRESS_INSTANCE_NAME; default HOST-PID-RANDOM, new at each start)")
	}
	return fs
}

// storeOnly names the common flags that commands which only read or write
// the database and media accept and ignore: their help leaves them out.
func storeOnly() []string {
	return []string{"base-url", "log-format", "log-level", "allow-private-peers"}
}

// parseFlags applies environment defaults, then the command line.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		env := "FEDPRESS_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%w: %s=%q is not %s (it sets --%s)", errUsage, env, v, expectedValue(f), f.Name)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	return parseArgs(fs, args)
}

// maxInstanceName fits the claimed_by columns.
const maxInstanceName = 100

func (c *config) validate() error {
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("%w: --log-format must be text or json, not %q", errUsage, c.LogFormat)
	}
	if c.BaseURL == "" {
		addr := c.Addr
		if addr == "" { // commands without --addr link to the default server
			addr = "127.0.0.1:8080"
		}
		c.BaseURL = "http://" + addr
	}
	if _, err := federation.NewURLs(c.BaseURL); err != nil {
		return fmt.Errorf("%w: --base-url: %v", errUsage, err)
	}
	if n := c.InstanceName; len(n) > maxInstanceName || strings.IndexFunc(n, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return fmt.Errorf("%w: --instance-name must be at most %d characters, without spaces", errUsage, maxInstanceName)
	}
	if c.InboxWorkers < 0 || c.Workers < 0 || c.PerHost < 0 {
		return fmt.Errorf("%w: --workers, --per-host and --inbox-workers cannot be negative", errUsage)
	}
	proxies, err := handlers.ParseTrustedProxies(strings.FieldsFunc(c.TrustedProxies, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }))
	if err != nil {
		return fmt.Errorf("%w: --trusted-proxies: %v", errUsage, err)
	}
	c.trustedProxies = proxies
	if c.InboxPerActor < 0 || c.InboxPerHost < 0 || c.InboxPendingPerActor < 0 {
		return fmt.Errorf("%w: --inbox-per-actor, --inbox-per-host and --inbox-pending-per-actor cannot be negative", errUsage)
	}
	if c.MaxUploadMB < 0 {
		return fmt.Errorf("%w: --max-upload-mb must be positive", errUsage)
	}
	if c.SMTPURL != "" {
		if err := c.mail().Validate(); err != nil {
			return fmt.Errorf("%w: --smtp-url/--smtp-from: %v", errUsage, err)
		}
	}
	return nil
}

// mail is the SMTP configuration; mail is on when SMTPURL is set.
func (c *config) mail() mailer.Config {
	return mailer.Config{URL: c.SMTPURL, From: c.SMTPFrom}
}

func (c *config) logger(w io.Writer) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// checkDataDir makes sure the data folder exists and is writable, so a bad
// folder fails at start with a clear message rather than at the first upload.
func checkDataDir(dir string) error {
	if err := mkdirPrivate(filepath.Join(dir, "media")); err != nil {
		return fmt.Errorf("data folder %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("data folder %s is not writable: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// openStore opens the database of cfg and makes sure the settings row (with
// the blog and instance keys) exists.
func openStore(ctx context.Context, cfg *config) (*models.Store, *models.Settings, error) {
	if !models.IsPostgresURL(cfg.DatabaseURL) {
		if err := checkDataDir(cfg.Data); err != nil {
			return nil, nil, err
		}
	} else if err := mkdirPrivate(filepath.Join(cfg.Data, "media")); err != nil {
		return nil, nil, fmt.Errorf("media folder: %w", err)
	}
	tightenDataModes(cfg.Data, cfg.warnings())
	store, err := models.Open(ctx, models.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.Data})
	if err != nil {
		return nil, nil, err
	}
	st, err := store.EnsureSettings(ctx, func() (string, string, string, string, error) {
		bp, bpub, err := federation.GenerateKeyPair()
		if err != nil {
			return "", "", "", "", err
		}
		ip, ipub, err := federation.GenerateKeyPair()
		return bp, bpub, ip, ipub, err
	})
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, st, nil
}

// warnings is where openStore reports what it fixed.
func (c *config) warnings() io.Writer {
	if c.stderr == nil {
		return io.Discard
	}
	return c.stderr
}

// mkdirPrivate creates a folder and its missing parents readable by their
// owner only.
func mkdirPrivate(dir string) error { return os.MkdirAll(dir, 0o700) }
