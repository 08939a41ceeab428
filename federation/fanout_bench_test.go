package federation

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fedpress/models"
	"fedpress/models/modelstest"
	"fedpress/test/testproc"
)

// BenchmarkFanout publishes one article to 10,000 followers spread over
// 1,000 servers, each a distinct loopback host (its own httptest listener
// and port) with a shared inbox, and reports deliveries per second beside
// the raw RSA-2048 signing rate of this machine, measured in the same run,
// and the process's peak memory. Followers: 10% follow the author and the
// blog, 20% the author only, 70% the blog only, so every server gets the
// Create and most also the blog actor's Announce.
//
//	go test ./federation/ -run '^$' -bench Fanout -benchtime 1x
//
// The peers run in this process (they share its CPUs) and do not verify
// signatures; the tests do that.
func BenchmarkFanout(b *testing.B) {
	backends := []string{"sqlite"}
	if os.Getenv(modelstest.EnvPostgres) != "" {
		backends = append(backends, "postgres")
	}
	for _, backend := range backends {
		b.Run(backend, func(b *testing.B) {
			for range b.N {
				benchFanout(b, backend)
			}
		})
	}
}

func benchFanout(b *testing.B, backend string) {
	const servers, followers = 1000, 10000
	ctx := context.Background()
	var store *models.Store
	if backend == "postgres" {
		store = modelstest.Postgres(b)
	} else {
		store = modelstest.SQLite(b)
	}
	keys := &outKeys{}
	if _, err := store.EnsureSettings(ctx, func() (string, string, string, string, error) {
		bp, bpub := keys.get(b)
		ip, ipub := keys.get(b)
		return bp, bpub, ip, ipub, nil
	}); err != nil {
		b.Fatal(err)
	}
	priv, pub := keys.get(b)
	alice := &models.Author{Username: "alice", Name: "Alice", PasswordHash: "!", PrivateKeyPEM: priv, PublicKeyPEM: pub}
	if err := store.CreateAuthor(ctx, alice); err != nil {
		b.Fatal(err)
	}

	var received atomic.Int64
	var bytesIn atomic.Int64
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		bytesIn.Add(n)
		if r.Header.Get("Signature") == "" || r.Header.Get("Digest") == "" {
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		received.Add(1)
		w.WriteHeader(http.StatusAccepted)
	})
	peers := make([]*httptest.Server, servers)
	for i := range peers {
		peers[i] = httptest.NewServer(handler)
	}
	defer func() {
		for _, p := range peers {
			p.Close()
		}
	}()

	setupStart := time.Now()
	// Chunks: one transaction per 500 followers (PostgreSQL runs out of
	// lock slots with 10,000 savepoints in one).
	for from := 0; from < followers; from += 500 {
		err := store.Tx(ctx, func(tx *models.Store) error {
			for i := from; i < min(from+500, followers); i++ {
				p := peers[i%servers]
				ra := &models.RemoteActor{URI: fmt.Sprintf("%s/users/u%d", p.URL, i), Inbox: fmt.Sprintf("%s/users/u%d/inbox", p.URL, i), SharedInbox: p.URL + "/inbox"}
				if err := tx.UpsertRemoteActor(ctx, ra); err != nil {
					return err
				}
				var follows []string
				// The kind of follow cycles per server, so each server hosts all kinds.
				switch (i / servers) % 10 {
				case 0:
					follows = []string{"alice", "blog"}
				case 1, 2:
					follows = []string{"alice"}
				default:
					follows = []string{"blog"}
				}
				for _, local := range follows {
					if _, _, err := tx.UpsertFollower(ctx, local, ra.ID, ra.URI+"#f", models.FollowAccepted); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	setup := time.Since(setupStart)

	urls, _ := NewURLs(testBase)
	workers, _ := strconv.Atoi(os.Getenv("FEDPRESS_BENCH_WORKERS")) // 0: the default
	svc, err := NewService(Config{URLs: urls, AllowPrivatePeers: true, Workers: workers}, store, outLog())
	if err != nil {
		b.Fatal(err)
	}
	past := time.Now().Add(-time.Minute)
	art, err := store.SaveArticle(ctx, 0, models.ArticleInput{Title: "Fan-out", Slug: "fan-out",
		HTML:   "<p>" + strings.Repeat("A paragraph of a typical blog article. ", 60) + "</p>",
		Status: models.StatusPublished, PublishedAt: &past, AuthorID: alice.ID, Tags: []string{"bench"}})
	if err != nil {
		b.Fatal(err)
	}

	var peak atomic.Uint64
	stopSampling := sampleHeap(&peak)
	// FEDPRESS_BENCH_CPUPROFILE=file profiles the fan-out alone (not the setup).
	if path := os.Getenv("FEDPRESS_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	b.ResetTimer()
	start := time.Now()
	if err := svc.ArticleSaved(ctx, art.ID); err != nil {
		b.Fatal(err)
	}
	queued := time.Since(start)
	rows, err := store.ListDeliveries(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	want := int64(len(rows))
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		svc.runDeliveries(runCtx)
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Minute)
	for received.Load() < want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	stopSampling()
	if got := received.Load(); got != want {
		b.Fatalf("delivered %d of %d", got, want)
	}
	creates, announces := 0, 0
	for _, d := range rows {
		if d.Kind == "Create" {
			creates++
		} else {
			announces++
		}
	}

	sigOne, sigAll, err := testproc.SignRate(2 * time.Second)
	if err != nil {
		b.Fatal(err)
	}
	rate := float64(want) / elapsed.Seconds()
	hwm := vmHWM()
	b.ReportMetric(rate, "deliveries/s")
	b.ReportMetric(sigAll, "rsa-signs/s")
	b.ReportMetric(float64(hwm)/(1<<20), "peak-MiB")
	b.Logf("%s: %d followers on %d hosts → %d deliveries (%d Create, %d Announce), body ~%d B; setup %v",
		backend, followers, servers, want, creates, announces, bytesIn.Load()/max(want, 1), setup.Round(time.Millisecond))
	b.Logf("%s: queued in %v; all delivered in %v → %.0f deliveries/s with %d workers, %d per host, GOMAXPROCS %d",
		backend, queued.Round(time.Millisecond), elapsed.Round(time.Millisecond), rate, svc.cfg.Workers, svc.cfg.PerHost, runtime.GOMAXPROCS(0))
	b.Logf("%s: raw RSA-2048 PKCS#1 v1.5 SHA-256 signatures: %.0f/s on all cores, %.0f/s on one", backend, sigAll, sigOne)
	b.Logf("%s: peak memory: VmHWM %.1f MiB, peak Go heap in use %.1f MiB", backend, float64(hwm)/(1<<20), float64(peak.Load())/(1<<20))
}

// sampleHeap records the largest HeapInuse seen until stopped.
func sampleHeap(peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// vmHWM is the process's peak resident set (Linux), in bytes.
func vmHWM() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb uint64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}
