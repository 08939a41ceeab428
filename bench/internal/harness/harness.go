// Package harness is the shared machinery of the benchmark programs under
// bench/: it builds and starts the real fedpress binary on a fresh SQLite
// data folder or a fresh PostgreSQL schema, runs its commands, samples the
// memory of its processes and prints tables. fedpress itself never imports
// it. Building the binary and running a child process go through
// test/testproc, which the end-to-end tests use too.
package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"fedpress/federation"
	"fedpress/models"
	"fedpress/test/testproc"
)

// DefaultPostgres is the PostgreSQL of the development machine and CI.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Common are the flags every bench program takes.
type Common struct {
	name string // the program's, from its flag set

	Bin     string // prebuilt fedpress binary; empty builds one
	PG      string // PostgreSQL DSN a fresh schema is made in
	DBs     string // comma-separated backends: sqlite, postgres
	Keep    bool   // keep the temp folder and the schema
	Verbose bool   // server logs to stderr as well

	QuietCores float64       // WaitQuiet threshold
	QuietWait  time.Duration // WaitQuiet timeout
}

// Register adds the common flags; defDBs is the default of -db. The flag
// set's name is the program's, for Fatal, Header and the temp folder.
func (c *Common) Register(fs *flag.FlagSet, defDBs string) {
	c.name = fs.Name()
	fs.StringVar(&c.Bin, "fedpress", "", "fedpress binary to run (default: go build ./cmd/fedpress into the temp folder)")
	pg := os.Getenv("FEDPRESS_TEST_POSTGRES")
	if pg == "" {
		pg = DefaultPostgres
	}
	fs.StringVar(&c.PG, "pg", pg, "PostgreSQL DSN; each run creates a fresh schema there and drops it after (env FEDPRESS_TEST_POSTGRES)")
	fs.StringVar(&c.DBs, "db", defDBs, "backends to run, comma-separated: sqlite, postgres")
	fs.BoolVar(&c.Keep, "keep", false, "keep the temp folder, server logs and PostgreSQL schema")
	fs.BoolVar(&c.Verbose, "v", false, "copy server logs to stderr")
	fs.Float64Var(&c.QuietCores, "quiet-cores", 0.3, "before each measurement, wait until other work uses at most this many cores")
	fs.DurationVar(&c.QuietWait, "quiet-wait", 5*time.Minute, "longest wait for a quiet machine; then measure anyway (the summary shows the load)")
}

// Quiet waits for a quiet machine (see WaitQuiet) before a measurement.
func (c *Common) Quiet() {
	WaitQuiet(c.QuietCores, c.QuietWait)
}

// Backends lists the backends of -db.
func (c *Common) Backends() ([]string, error) {
	var out []string
	for _, b := range strings.Split(c.DBs, ",") {
		b = strings.TrimSpace(b)
		switch b {
		case "":
		case "sqlite", "postgres":
			out = append(out, b)
		default:
			return nil, fmt.Errorf("-db: unknown backend %q (sqlite, postgres)", b)
		}
	}
	return out, nil
}

// Setup is what every bench program makes before it measures: the
// backends of -db, a temp folder and the fedpress binary.
type Setup struct {
	Backends []string
	Dir      string // the run's temp folder, removed by Close unless -keep
	Bin      string // -fedpress, or the binary built into Dir
	common   *Common
}

// Setup reads -db, makes the temp folder and builds the binary (unless
// -fedpress names one); it ends the program through Fatal when it cannot.
// Run the bench programs from the repository: the build uses the working
// tree.
func (c *Common) Setup() *Setup {
	backends, err := c.Backends()
	if err != nil {
		c.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "fedpress-bench-"+c.name+"-")
	if err != nil {
		c.Fatal(err)
	}
	s := &Setup{Backends: backends, Dir: dir, common: c}
	if c.Bin != "" {
		s.Bin, err = filepath.Abs(c.Bin)
	} else {
		var took time.Duration
		if s.Bin, took, err = testproc.Build(dir); err == nil {
			Logf("built %s in %v", s.Bin, took.Round(time.Millisecond))
		}
	}
	if err != nil {
		s.Close()
		c.Fatal(err)
	}
	return s
}

// Close removes the temp folder, unless -keep.
func (s *Setup) Close() {
	if s.common.Keep {
		fmt.Fprintf(os.Stderr, "kept %s\n", s.Dir)
		return
	}
	os.RemoveAll(s.Dir)
}

// RunDir makes a fresh folder for one run (one backend, one layout)
// under the temp folder.
func (s *Setup) RunDir(prefix string) (string, error) {
	return os.MkdirTemp(s.Dir, prefix+"-")
}

// ForEachBackend runs run once per backend of -db, each in a fresh folder
// of its own, and returns the results in order. On an error it ends the
// program through Fatal, naming the backend.
func ForEachBackend[R any](s *Setup, run func(backend, dir string) (R, error)) []R {
	var results []R
	for _, backend := range s.Backends {
		dir, err := s.RunDir(backend)
		if err != nil {
			s.common.Fatal(err)
		}
		res, err := run(backend, dir)
		if err != nil {
			s.common.Fatal(fmt.Errorf("%s: %w", backend, err))
		}
		results = append(results, res)
	}
	return results
}

// Fatal prints err as "bench/NAME: err" on stderr and exits with status 1.
func (c *Common) Fatal(err error) {
	fmt.Fprintf(os.Stderr, "bench/%s: %v\n", c.name, err)
	os.Exit(1)
}

// Header prints the first lines of the summary on stdout: title, the
// machine (see Machine) and the command line that made it.
func (c *Common) Header(title string) {
	fmt.Println()
	fmt.Println(title)
	fmt.Println(Machine())
	fmt.Printf("command: go run ./bench/%s %s\n\n", c.name, strings.Join(os.Args[1:], " "))
}

// Logf prints a progress line on stderr; the summary goes to stdout.
func Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// Blog is one fedpress installation: a data folder and a database.
type Blog struct {
	Backend string // sqlite or postgres
	Bin     string
	Dir     string // the run's temp folder
	Data    string // --data
	DSN     string // --database-url; empty for SQLite
	Addr    string // --addr of the first serve process
	BaseURL string // --base-url of every process
	Schema  string // PostgreSQL schema of this installation
	common  *Common
	drop    func()
	procs   []*Proc
}

// MetricsToken is the bearer token of every process's /metrics.
const MetricsToken = "bench-metrics-token"

// Author is the username of the author every Blog has.
const Author = "alice"

// NewBlog makes an installation in dir: a data folder, for PostgreSQL a
// fresh schema (dropped by Close unless -keep), and the author Author
// (`fedpress author add`), whom every bench program needs.
func (c *Common) NewBlog(backend, bin, dir string) (*Blog, error) {
	addr, err := testproc.FreeAddr()
	if err != nil {
		return nil, err
	}
	b := &Blog{Backend: backend, Bin: bin, Dir: dir, Data: filepath.Join(dir, "data-"+backend), Addr: addr,
		BaseURL: "http://" + addr, common: c}
	if backend == "postgres" {
		dsn, schema, drop, err := freshSchema(c.PG, c.Keep)
		if err != nil {
			return nil, err
		}
		b.DSN, b.Schema, b.drop = dsn, schema, drop
	}
	if err := b.AuthorAdd(Author, "Alice"); err != nil {
		b.Close()
		return nil, err
	}
	if err := b.skipLinkNotifications(); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// skipLinkNotifications turns off telling linked pages (Webmention,
// Pingback): the bench article links to real sites, and a benchmark talks
// only to loopback. The fan-out counts ActivityPub deliveries alone.
func (b *Blog) skipLinkNotifications() error {
	ctx := context.Background()
	s, err := b.Store(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := s.GetSettings(ctx)
	if err != nil {
		return err
	}
	st.SkipLinkNotifications = true
	return s.SaveSettings(ctx, st)
}

// freshSchema creates schema bench_<random> and returns a DSN bound to it.
func freshSchema(base string, keep bool) (string, string, func(), error) {
	r := make([]byte, 5)
	rand.Read(r)
	schema := "bench_" + hex.EncodeToString(r)
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return "", "", nil, fmt.Errorf("connect %s: %w", base, err)
	}
	closeAdmin := func() {
		if db, err := admin.DB(); err == nil {
			db.Close()
		}
	}
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		closeAdmin()
		return "", "", nil, fmt.Errorf("create schema: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		closeAdmin()
		return "", "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema, func() {
		if keep {
			fmt.Fprintf(os.Stderr, "kept PostgreSQL schema %s\n", schema)
		} else {
			admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		}
		closeAdmin()
	}, nil
}

// Close stops the processes still running and drops the schema.
func (b *Blog) Close() {
	b.StopProcs()
	if b.drop != nil {
		b.drop()
	}
}

// StopProcs stops every process started (SIGTERM; see Proc.Stop).
func (b *Blog) StopProcs() {
	for _, p := range b.procs {
		p.Stop()
	}
}

// TableStats are PostgreSQL's cumulative statistics of one table.
type TableStats struct {
	SeqScan, IdxScan, Inserts, Updates, HotUpdates, Deletes int64
}

// PGTableStats reads pg_stat_user_tables for a table of this installation's
// schema. Backends report their counts when their transactions end (at
// most once a second) and when they exit: stop the processes first.
func (b *Blog) PGTableStats(table string) (TableStats, error) {
	var st TableStats
	if b.Schema == "" {
		return st, errors.New("not PostgreSQL")
	}
	db, err := gorm.Open(postgres.Open(b.common.PG), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return st, err
	}
	defer func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	}()
	err = db.Raw(`SELECT seq_scan, COALESCE(idx_scan, 0), n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del
		FROM pg_stat_user_tables WHERE schemaname = ? AND relname = ?`, b.Schema, table).
		Row().Scan(&st.SeqScan, &st.IdxScan, &st.Inserts, &st.Updates, &st.HotUpdates, &st.Deletes)
	return st, err
}

// flags are the flags every fedpress command of this installation gets.
func (b *Blog) flags() []string {
	f := []string{"--data", b.Data, "--base-url", b.BaseURL, "--allow-private-peers"}
	if b.DSN != "" {
		f = append(f, "--database-url", b.DSN)
	}
	return f
}

// Command is the command line of `fedpress SUB… <flags> ARGS…`.
func (b *Blog) Command(sub []string, args ...string) []string {
	out := append([]string{b.Bin}, sub...)
	out = append(out, b.flags()...)
	return append(out, args...)
}

// Run runs a short fedpress command and returns its output.
func (b *Blog) Run(stdin string, sub []string, args ...string) (string, error) {
	line := b.Command(sub, args...)
	cmd := exec.Command(line[0], line[1:]...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s: %w\n%s", strings.Join(line[:2], " "), err, out.String())
	}
	return out.String(), nil
}

// AuthorAdd creates an author with `fedpress author add`.
func (b *Blog) AuthorAdd(username, name string) error {
	_, err := b.Run("bench-password-1234\n", []string{"author", "add"}, "--username", username, "--name", name, "--password-stdin")
	return err
}

// Post writes a Markdown file and publishes it with `fedpress post`; it
// returns the permalink printed and how long the command took.
func (b *Blog) Post(slug, markdown string) (string, time.Duration, error) {
	file := filepath.Join(b.Dir, slug+".md")
	if err := os.WriteFile(file, []byte(markdown), 0o644); err != nil {
		return "", 0, err
	}
	start := time.Now()
	out, err := b.Run("", []string{"post"}, file)
	d := time.Since(start)
	if err != nil {
		return "", d, err
	}
	// The last line is "created URL" (or "updated URL").
	lines := strings.Split(strings.TrimSpace(out), "\n")
	fields := strings.Fields(lines[len(lines)-1])
	if len(fields) == 0 {
		return "", d, fmt.Errorf("fedpress post printed no address: %q", out)
	}
	return fields[len(fields)-1], d, nil
}

// Store opens the installation's database from the bench process (SQLite
// in WAL mode lets it read beside the server).
func (b *Blog) Store(ctx context.Context) (*models.Store, error) {
	return models.Open(ctx, models.Options{DatabaseURL: b.DSN, DataDir: b.Data, MaxOpenConns: 4})
}

// PostArticle posts a bench article under slug and opens the store: it
// returns the store (the caller closes it) and the article's ActivityPub
// id, what remote replies and likes name.
func (b *Blog) PostArticle(ctx context.Context, slug, title string) (*models.Store, string, error) {
	if _, _, err := b.Post(slug, ArticleMarkdown(title, slug, "bench")); err != nil {
		return nil, "", err
	}
	store, err := b.Store(ctx)
	if err != nil {
		return nil, "", err
	}
	art, err := store.ArticleBySlug(ctx, slug)
	if err != nil {
		store.Close()
		return nil, "", err
	}
	urls, err := federation.NewURLs(b.BaseURL)
	if err != nil {
		store.Close()
		return nil, "", err
	}
	return store, urls.Article(art.ID), nil
}

// Proc is a running fedpress process. Its Out keeps the first MiB of
// the log, to wait for a start-up line; the whole log is in LogPath.
type Proc struct {
	*testproc.Proc
	Name    string
	Addr    string // serve: the address it listens on
	LogPath string
}

// Stop sends SIGTERM and waits up to 30 s, then kills.
func (p *Proc) Stop() { p.Proc.Stop(syscall.SIGTERM, 30*time.Second) }

// Start runs `fedpress serve` (kind "serve") or `fedpress worker` and waits
// until it is ready: /healthz answers for serve, the log says the workers
// run for worker. The first serve listens on b.Addr, others on free ports;
// all share --base-url, as processes behind one proxy do.
func (b *Blog) Start(kind string, extra ...string) (*Proc, error) {
	addr := b.Addr
	for _, p := range b.procs {
		if p.Addr == addr {
			a, err := testproc.FreeAddr()
			if err != nil {
				return nil, err
			}
			addr = a
			break
		}
	}
	args := append([]string{"--addr", addr, "--metrics-token", MetricsToken}, extra...)
	line := b.Command([]string{kind}, args...)
	name := fmt.Sprintf("%s-%d", kind, len(b.procs)+1)
	p := &Proc{Name: name, LogPath: filepath.Join(b.Dir, b.Backend+"-"+name+".log")}
	if kind == "serve" {
		p.Addr = addr
	}
	logFile, err := os.Create(p.LogPath)
	if err != nil {
		return nil, err
	}
	var sink io.Writer = logFile
	if b.common.Verbose {
		sink = io.MultiWriter(logFile, os.Stderr)
	}
	cmd := exec.Command(line[0], line[1:]...)
	cmd.Stdout, cmd.Stderr = sink, sink
	if p.Proc, err = testproc.Start(cmd, &testproc.Buffer{Max: 1 << 20}); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() {
		<-p.Done()
		logFile.Close()
	}()
	b.procs = append(b.procs, p)
	ready := func() error {
		if kind == "serve" {
			return testproc.Healthy("http://" + addr)
		}
		if !p.Out.Contains("worker running") {
			return errors.New(`no "worker running" line in the log yet`)
		}
		return nil
	}
	if err := p.WaitReady(60*time.Second, 50*time.Millisecond, ready); err != nil {
		return nil, fmt.Errorf("%s (log %s): %w", name, p.LogPath, err)
	}
	return p, nil
}

// Procs are the processes started so far.
func (b *Blog) Procs() []*Proc { return b.procs }

// Mem is what /proc/PID/status says about resident memory, in bytes.
type Mem struct {
	RSS, HWM uint64
}

// ReadMem reads VmRSS and VmHWM of a process.
func ReadMem(pid int) (Mem, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Mem{}, err
	}
	var m Mem
	for _, line := range strings.Split(string(data), "\n") {
		var kb uint64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), "%d", &kb)
			m.RSS = kb << 10
		case strings.HasPrefix(line, "VmHWM:"):
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%d", &kb)
			m.HWM = kb << 10
		}
	}
	return m, nil
}

// Sampler polls a process's memory until stopped.
type Sampler struct {
	pid     int
	stop    chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	peakRSS uint64
	last    Mem
	n       int
}

// SampleMem starts sampling pid every interval.
func SampleMem(pid int, every time.Duration) *Sampler {
	s := &Sampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if m, err := ReadMem(pid); err == nil {
				s.mu.Lock()
				s.last, s.n = m, s.n+1
				s.peakRSS = max(s.peakRSS, m.RSS)
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop ends sampling; it returns the largest VmRSS seen, the last VmHWM
// and the number of samples.
func (s *Sampler) Stop() (peakRSS, hwm uint64, samples int) {
	close(s.stop)
	<-s.done
	if m, err := ReadMem(s.pid); err == nil {
		s.last = m
		s.peakRSS = max(s.peakRSS, m.RSS)
	}
	return s.peakRSS, s.last.HWM, s.n
}

// MiB formats bytes as MiB.
func MiB(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// Percentile of sorted durations (nearest rank).
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.5) - 1
	i = min(max(i, 0), len(sorted)-1)
	return sorted[i]
}

// SortDurations sorts in place and returns the slice.
func SortDurations(d []time.Duration) []time.Duration {
	slices.Sort(d)
	return d
}

// Ms formats a duration in milliseconds.
func Ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// Table prints rows under a header, aligned.
func Table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	seps := make([]string, len(header))
	for i, h := range header {
		seps[i] = strings.Repeat("-", len(h))
	}
	fmt.Fprintln(tw, strings.Join(seps, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// Machine describes the machine and the code measured, for the summary.
func Machine() string {
	model := ""
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "model name") {
				model = strings.TrimSpace(line[strings.Index(line, ":")+1:])
				break
			}
		}
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				var kb uint64
				fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "MemTotal:")), "%d", &kb)
				mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	rev := "unknown"
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		rev = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
			rev += fmt.Sprintf(" + uncommitted changes in %d files", len(strings.Split(strings.TrimSpace(string(st)), "\n")))
		}
	}
	return fmt.Sprintf("date %s; nproc %d; cpu %q; memory %s; kernel %s; %s; commit %s",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), model, mem,
		strings.TrimSpace(string(kernel)), runtime.Version(), rev)
}

// ErrTimeout is returned by WaitFor when the condition never held.
var ErrTimeout = errors.New("timed out")

// WaitFor polls cond every interval until it is true, or fails at timeout.
func WaitFor(timeout, every time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return ErrTimeout
		}
		time.Sleep(every)
	}
}

// ArticleMarkdown is a `fedpress post` file: front matter and a body of a
// typical long-ish blog article (about 1,100 words: headings, a list, a
// quote, a code block, links).
func ArticleMarkdown(title, slug string, tags ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "---\ntitle: %q\nslug: %s\nsummary: \"A benchmark article of typical length.\"\n", title, slug)
	if len(tags) > 0 {
		fmt.Fprintf(&b, "tags: [%s]\n", strings.Join(tags, ", "))
	}
	b.WriteString("---\n\n")
	para := "Federation is a conversation between servers that never met: each one signs what it sends, " +
		"checks what it receives, and keeps a copy of what matters to its readers. A blog that federates " +
		"answers the same questions as a big instance, only with fewer people asking them at once. " +
		"See [the specification](https://www.w3.org/TR/activitypub/) for *the* details, and **do** read the notes. "
	for s := range 4 {
		fmt.Fprintf(&b, "## Section %d\n\n", s+1)
		for range 3 {
			b.WriteString(para + para + "\n\n")
		}
		switch s {
		case 0:
			b.WriteString("- one point worth making\n- another, with `code`\n- a third, with a [link](https://example.org/)\n\n")
		case 1:
			b.WriteString("> A quoted passage that a reader might want to answer from their own server.\n\n")
		case 2:
			b.WriteString("```go\nfunc main() {\n\tfmt.Println(\"hello, fediverse\")\n}\n```\n\n")
		}
	}
	return b.String()
}
