// Command memory follows the resident memory of one `fedpress serve`
// process (VmRSS and VmHWM from /proc/PID/status) through three phases of
// its life: idle after start and one page view, under page load (wrk on
// the article permalink), and while it delivers a new article to 10,000
// followers on 1,000 loopback servers.
//
//	go run ./bench/memory -db sqlite,postgres
//
// For each backend: a fresh data folder (and PostgreSQL schema), `fedpress
// author add`, `fedpress post` of a ~1,100-word article (before any
// follower, so nothing is delivered), 10,000 followers seeded through the
// models package (as in bench/fanout), then `fedpress serve`:
//
//  1. idle: one GET of the permalink, 2 s of rest, then VmRSS.
//  2. page load: wrk -t2 -c32 -d10s on the permalink; VmRSS sampled every
//     50 ms (peak) and VmHWM after.
//  3. fan-out: `fedpress post` of a second article; VmRSS sampled every
//     50 ms until the queue is drained (peak) and VmHWM after.
//
// VmHWM only grows, so the VmHWM after a phase is the peak of the process
// so far. The Go heap in use is read from the server's /metrics.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"fedpress/bench/internal/harness"
)

type phase struct {
	name    string
	rss     uint64 // at the end of the phase
	peakRSS uint64 // sampled during it (0: not sampled)
	hwm     uint64
	heap    float64 // go_memstats_heap_inuse_bytes at the end
	note    string
}

type result struct {
	backend string
	phases  []phase
}

func main() {
	var common harness.Common
	fs := flag.NewFlagSet("memory", flag.ExitOnError)
	common.Register(fs, "sqlite,postgres")
	followers := fs.Int("followers", 10000, "followers to seed")
	servers := fs.Int("servers", 1000, "loopback servers (shared inboxes) they live on")
	dur := fs.Duration("d", 10*time.Second, "wrk duration")
	wrkBin := fs.String("wrk", "/usr/bin/wrk", "wrk binary")
	fs.Parse(os.Args[1:])
	setup := common.Setup()
	defer setup.Close()
	peers, err := harness.StartPeers(*servers)
	if err != nil {
		common.Fatal(err)
	}
	defer peers.Close()
	results := harness.ForEachBackend(setup, func(backend, dir string) (result, error) {
		return runOne(&common, backend, setup.Bin, dir, *wrkBin, *dur, peers, *followers)
	})

	common.Header("fedpress memory benchmark: one `fedpress serve` process, idle, under page load, during a fan-out")
	var rows [][]string
	for _, r := range results {
		for _, p := range r.phases {
			peak := "-"
			if p.peakRSS > 0 {
				peak = harness.MiB(p.peakRSS)
			}
			rows = append(rows, []string{r.backend, p.name, harness.MiB(p.rss), peak, harness.MiB(p.hwm),
				fmt.Sprintf("%.1f MiB", p.heap/(1<<20)), p.note})
		}
	}
	harness.Table(os.Stdout, []string{"db", "phase", "VmRSS at end", "peak VmRSS (50 ms samples)", "VmHWM after", "Go heap in use at end", "what ran"}, rows)
}

// heapInuse reads go_memstats_heap_inuse_bytes from /metrics.
func heapInuse(base string) float64 {
	req, err := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+harness.MetricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_inuse_bytes "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}

func runOne(common *harness.Common, backend, bin, dir, wrkBin string, dur time.Duration, peers *harness.Peers, followers int) (result, error) {
	ctx := context.Background()
	res := result{backend: backend}
	blog, err := common.NewBlog(backend, bin, dir)
	if err != nil {
		return res, err
	}
	defer blog.Close()
	permalink, _, err := blog.Post("a-typical-article", harness.ArticleMarkdown("A typical article", "a-typical-article", "federation"))
	if err != nil {
		return res, err
	}
	store, err := blog.Store(ctx)
	if err != nil {
		return res, err
	}
	defer store.Close()
	harness.Logf("%s: seeding %d followers", backend, followers)
	if err := harness.SeedFollowers(ctx, store, peers.URLs, followers, harness.Author); err != nil {
		return res, err
	}

	serve, err := blog.Start("serve")
	if err != nil {
		return res, err
	}
	base := "http://" + serve.Addr
	url := base + strings.TrimPrefix(permalink, blog.BaseURL)
	mem := func() harness.Mem {
		m, _ := harness.ReadMem(serve.PID())
		return m
	}

	m := mem()
	res.phases = append(res.phases, phase{name: "started", rss: m.RSS, hwm: m.HWM, heap: heapInuse(base), note: "/healthz answered"})

	resp, err := http.Get(url)
	if err != nil {
		return res, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return res, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	time.Sleep(2 * time.Second)
	m = mem()
	res.phases = append(res.phases, phase{name: "idle", rss: m.RSS, hwm: m.HWM, heap: heapInuse(base), note: "one page view, 2 s rest"})

	common.Quiet()
	harness.Logf("%s: page load", backend)
	s := harness.SampleMem(serve.PID(), 50*time.Millisecond)
	w, err := harness.RunWrk(wrkBin, "-t2", "-c32", "-d"+dur.String(), "--latency", url)
	peak, hwm, _ := s.Stop()
	if err != nil {
		return res, err
	}
	m = mem()
	res.phases = append(res.phases, phase{name: "page load", rss: m.RSS, peakRSS: peak, hwm: hwm, heap: heapInuse(base),
		note: fmt.Sprintf("%s: %.0f req/s", w.Cmd, w.RPS)})

	common.Quiet()
	harness.Logf("%s: fan-out", backend)
	peers.Reset()
	s = harness.SampleMem(serve.PID(), 50*time.Millisecond)
	start := time.Now()
	if _, _, err := blog.Post("fan-out", harness.ArticleMarkdown("Fan-out", "fan-out", "bench")); err != nil {
		s.Stop()
		return res, err
	}
	counts, err := store.TableCounts(ctx)
	if err != nil {
		s.Stop()
		return res, err
	}
	want := counts["deliveries"]
	err = harness.WaitFor(5*time.Minute, 20*time.Millisecond, func() (bool, error) {
		if peers.Received() < want {
			return false, nil
		}
		n, err := store.CountPendingDeliveries(ctx)
		return err == nil && n == 0, err
	})
	took := time.Since(start)
	peak, hwm, _ = s.Stop()
	note := fmt.Sprintf("`fedpress post` to %d followers: %d deliveries in %.1f s", followers, peers.Received(), took.Seconds())
	if err != nil {
		note += fmt.Sprintf(" (NOT drained: %v)", err)
	}
	m = mem()
	res.phases = append(res.phases, phase{name: "fan-out", rss: m.RSS, peakRSS: peak, hwm: hwm, heap: heapInuse(base), note: note})
	return res, nil
}
