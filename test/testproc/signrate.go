package testproc

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// SignRate measures RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second
// (what every delivery and signed fetch costs) on one goroutine and on
// GOMAXPROCS goroutines, d each: a yardstick of the CPU at the time of the
// run, printed by the benchmark programs and federation/fanout_bench_test.go.
func SignRate(d time.Duration) (one, all float64, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return 0, 0, err
	}
	sum := sha256.Sum256([]byte("(request-target): post /inbox"))
	measure := func(workers int) float64 {
		var n atomic.Int64
		stop := time.Now().Add(d)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(stop) {
					if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:]); err == nil {
						n.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		return float64(n.Load()) / d.Seconds()
	}
	return measure(1), measure(runtime.GOMAXPROCS(0)), nil
}
