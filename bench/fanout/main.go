// Command fanout measures how fast fedpress delivers one new article to
// 10,000 followers on 1,000 servers, with one process and with several
// processes sharing the database:
//
//	go run ./bench/fanout -db postgres -layouts 'serve;serve,serve,worker;serve,serve,serve'
//
// 1,000 loopback HTTP servers in this program stand in for the followers'
// servers: each listens on its own port (a distinct host to fedpress),
// answers 202 and records what it got. Each run makes a fresh database
// (PostgreSQL schema or SQLite folder), creates the author with `fedpress
// author add`, and seeds 10,000 followers through the models package
// (RemoteActor + Follower rows, shared inbox = the server's /inbox, the
// same mix as federation/fanout_bench_test.go: 10% follow the author and
// the blog, 20% the author only, 70% the blog only). Then it starts the
// processes of the layout (`fedpress serve` / `fedpress worker`, same
// database and --base-url) and publishes one article with `fedpress post`,
// a separate process, as an author would. The clock starts when `fedpress
// post` starts; the queue is drained when the database has no pending
// delivery left and the servers have received every queued delivery.
// Running processes learn of rows queued by `fedpress post` from their
// poll (every 2 s), which is part of the time measured.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"fedpress/bench/internal/harness"
	"fedpress/models"
)

type procMem struct {
	name    string
	peakRSS uint64
	hwm     uint64
	cpu     time.Duration // CPU used from publish to drained
}

type result struct {
	backend    string
	layout     string
	followers  int
	servers    int
	seedDur    time.Duration
	postDur    time.Duration // `fedpress post`: save + queue
	rows       int64
	creates    int
	announces  int
	firstAfter time.Duration // publish start → first delivery received
	lastAfter  time.Duration // publish start → last delivery received
	drained    time.Duration // publish start → no pending row, all received
	received   int64
	delivered  int
	failed     int
	pending    int
	dups       int
	unsigned   int64
	lo, hi     int64
	mem        []procMem
	cpu        harness.CPUUse
	// From the rows' own timestamps, relative to the start of `fedpress post`.
	queuedFrom, queuedTo       time.Duration
	deliveredFrom, deliveredTo time.Duration
	pgStats                    *harness.TableStats // deliveries table, PostgreSQL only
}

func main() {
	var common harness.Common
	fs := flag.NewFlagSet("fanout", flag.ExitOnError)
	common.Register(fs, "postgres")
	followers := fs.Int("followers", 10000, "followers to seed")
	servers := fs.Int("servers", 1000, "loopback servers (shared inboxes) they live on")
	layouts := fs.String("layouts", "serve;serve,serve,worker;serve,serve,serve", "process layouts to run, ';'-separated; each a ','-separated list of serve/worker")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up on a fan-out after this long")
	fs.Parse(os.Args[1:])
	var lays [][]string
	for _, l := range strings.Split(*layouts, ";") {
		var kinds []string
		for _, k := range strings.Split(l, ",") {
			k = strings.TrimSpace(k)
			if k != "serve" && k != "worker" {
				common.Fatal(fmt.Errorf("-layouts: %q is neither serve nor worker", k))
			}
			kinds = append(kinds, k)
		}
		lays = append(lays, kinds)
	}
	setup := common.Setup()
	defer setup.Close()
	harness.Logf("starting %d loopback servers", *servers)
	peers, err := harness.StartPeers(*servers)
	if err != nil {
		common.Fatal(err)
	}
	defer peers.Close()

	var results []result
	for _, backend := range setup.Backends {
		for _, lay := range lays {
			bdir, err := setup.RunDir(backend)
			if err != nil {
				common.Fatal(err)
			}
			res, err := runOne(&common, backend, setup.Bin, bdir, lay, peers, *followers, *timeout)
			if err != nil {
				common.Fatal(fmt.Errorf("%s %s: %w", backend, strings.Join(lay, "+"), err))
			}
			results = append(results, res)
		}
	}

	common.Header(fmt.Sprintf("fedpress fan-out benchmark: one article to %d followers on %d loopback servers (shared inboxes)", *followers, *servers))
	var rows [][]string
	for _, r := range results {
		rows = append(rows, []string{r.backend, r.layout,
			fmt.Sprintf("%d (%d Create, %d Announce)", r.rows, r.creates, r.announces),
			secs(r.postDur), secs(r.firstAfter), secs(r.lastAfter), secs(r.drained),
			fmt.Sprintf("%.0f", float64(r.received)/r.drained.Seconds()),
			fmt.Sprintf("%.0f", float64(r.received)/(r.lastAfter-r.firstAfter).Seconds()),
		})
	}
	harness.Table(os.Stdout, []string{"db", "processes", "deliveries queued", "`fedpress post` (save+queue)", "first received", "last received",
		"queue drained", "deliveries/s (publish → drained)", "deliveries/s (first → last received)"}, rows)
	fmt.Println()
	rows = nil
	for _, r := range results {
		var mems []string
		for _, m := range r.mem {
			mems = append(mems, fmt.Sprintf("%s %.2f s CPU, %s (HWM %s)", m.name, m.cpu.Seconds(), harness.MiB(m.peakRSS), harness.MiB(m.hwm)))
		}
		rows = append(rows, []string{r.backend, r.layout, fmt.Sprintf("%d/%d/%d", r.delivered, r.failed, r.pending),
			strconv.FormatInt(r.received, 10), strconv.Itoa(r.dups), strconv.FormatInt(r.unsigned, 10), fmt.Sprintf("%d–%d", r.lo, r.hi),
			secs(r.seedDur), strings.Join(mems, "; "), fmt.Sprintf("%.2f / %.2f / %.2f", r.cpu.Ours, r.cpu.Postgres, r.cpu.Other)})
	}
	harness.Table(os.Stdout, []string{"db", "processes", "rows delivered/failed/pending", "received", "duplicates", "unsigned", "per server",
		"seeding", "per process: CPU used, peak VmRSS (VmHWM)", "CPU cores: bench / postgres / other"}, rows)
	fmt.Println()
	rows = nil
	for _, r := range results {
		rows = append(rows, []string{r.backend, r.layout, secs(r.queuedFrom) + " – " + secs(r.queuedTo),
			secs(r.postDur), secs(r.deliveredFrom) + " – " + secs(r.deliveredTo)})
	}
	harness.Table(os.Stdout, []string{"db", "processes", "rows created_at", "`fedpress post` exited", "rows delivered_at"}, rows)
	rows = nil
	for _, r := range results {
		if st := r.pgStats; st != nil {
			rows = append(rows, []string{r.backend, r.layout, strconv.FormatInt(st.Inserts, 10), strconv.FormatInt(st.Updates, 10),
				strconv.FormatInt(st.HotUpdates, 10), strconv.FormatInt(st.SeqScan, 10), strconv.FormatInt(st.IdxScan, 10)})
		}
	}
	if len(rows) > 0 {
		fmt.Println()
		fmt.Println("PostgreSQL pg_stat_user_tables for the deliveries table over the whole run (seeding included; stats read after the processes stopped):")
		harness.Table(os.Stdout, []string{"db", "processes", "rows inserted", "rows updated", "of which HOT", "seq scans", "index scans"}, rows)
	}
	fmt.Println()
	fmt.Println(harness.Yardstick())
	fmt.Println("\nTimes count from the start of `fedpress post`. The stand-in servers run in this program and share the CPUs; they check that Signature and Digest are present, not the signatures.")
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func runOne(common *harness.Common, backend, bin, dir string, layout []string, peers *harness.Peers, followers int, timeout time.Duration) (result, error) {
	ctx := context.Background()
	res := result{backend: backend, layout: strings.Join(layout, " + "), followers: followers, servers: len(peers.URLs)}
	blog, err := common.NewBlog(backend, bin, dir)
	if err != nil {
		return res, err
	}
	defer blog.Close()
	store, err := blog.Store(ctx)
	if err != nil {
		return res, err
	}
	defer store.Close()
	harness.Logf("%s %s: seeding %d followers", backend, res.layout, followers)
	start := time.Now()
	if err := harness.SeedFollowers(ctx, store, peers.URLs, followers, harness.Author); err != nil {
		return res, err
	}
	res.seedDur = time.Since(start)
	harness.Logf("%s %s: seeded in %v; starting processes", backend, res.layout, res.seedDur.Round(time.Millisecond))

	var samplers []*harness.Sampler
	for _, kind := range layout {
		p, err := blog.Start(kind)
		if err != nil {
			return res, err
		}
		samplers = append(samplers, harness.SampleMem(p.PID(), 50*time.Millisecond))
	}
	peers.Reset()
	common.Quiet()
	cpu0 := make([]time.Duration, len(blog.Procs()))
	for i, p := range blog.Procs() {
		cpu0[i] = harness.ProcCPU(p.PID())
	}
	harness.Logf("%s %s: fedpress post", backend, res.layout)
	watch := harness.WatchCPU()
	t0 := time.Now()
	if _, res.postDur, err = blog.Post("fan-out", harness.ArticleMarkdown("Fan-out", "fan-out", "bench")); err != nil {
		return res, err
	}
	counts, err := store.TableCounts(ctx)
	if err != nil {
		return res, err
	}
	res.rows = counts["deliveries"]
	var drainedAt time.Time
	err = harness.WaitFor(timeout, 20*time.Millisecond, func() (bool, error) {
		if peers.Received() < res.rows {
			return false, nil
		}
		n, err := store.CountPendingDeliveries(ctx)
		if err != nil || n > 0 {
			return false, err
		}
		drainedAt = time.Now()
		return true, nil
	})
	res.cpu = watch.Stop()
	for i, s := range samplers {
		peak, hwm, _ := s.Stop()
		p := blog.Procs()[i]
		res.mem = append(res.mem, procMem{name: p.Name, peakRSS: peak, hwm: hwm, cpu: harness.ProcCPU(p.PID()) - cpu0[i]})
	}
	if err != nil {
		harness.Logf("%s %s: not drained after %v: %d of %d received", backend, res.layout, timeout, peers.Received(), res.rows)
		drainedAt = time.Now()
	}
	res.drained = drainedAt.Sub(t0)
	first, last := peers.FirstLast()
	res.firstAfter, res.lastAfter = first.Sub(t0), last.Sub(t0)
	res.received, res.unsigned, res.dups = peers.Received(), peers.Unsigned(), peers.Duplicates()
	res.lo, res.hi = peers.Spread()
	rows, err := store.ListDeliveries(ctx, "")
	if err != nil {
		return res, err
	}
	res.queuedFrom, res.deliveredFrom = time.Hour, time.Hour
	for _, d := range rows {
		res.queuedFrom = min(res.queuedFrom, d.CreatedAt.Sub(t0))
		res.queuedTo = max(res.queuedTo, d.CreatedAt.Sub(t0))
		if d.DeliveredAt != nil {
			res.deliveredFrom = min(res.deliveredFrom, d.DeliveredAt.Sub(t0))
			res.deliveredTo = max(res.deliveredTo, d.DeliveredAt.Sub(t0))
		}
		switch d.Kind {
		case "Create":
			res.creates++
		case "Announce":
			res.announces++
		}
		switch d.Status {
		case models.DeliveryDelivered:
			res.delivered++
		case models.DeliveryFailed:
			res.failed++
		default:
			res.pending++
		}
	}
	harness.Logf("%s %s: %d deliveries drained in %v", backend, res.layout, res.received, res.drained.Round(time.Millisecond))
	if backend == "postgres" {
		blog.StopProcs()
		time.Sleep(1500 * time.Millisecond) // let the last backends report
		if st, err := blog.PGTableStats("deliveries"); err == nil {
			res.pgStats = &st
		} else {
			harness.Logf("pg_stat_user_tables: %v", err)
		}
	}
	return res, nil
}
