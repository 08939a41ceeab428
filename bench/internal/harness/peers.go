package harness

import (
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Peers are loopback stand-ins for remote servers: each listens on its own
// port (so each is a distinct host to fedpress), answers every POST with
// 202 and records it. They check that a Signature and a Digest header are
// present but do not verify them: verifying would spend the CPU the
// measured server needs, and the federation tests verify signatures.
type Peers struct {
	URLs    []string // http://127.0.0.1:PORT, one per server
	servers []*http.Server
	per     []atomic.Int64

	received atomic.Int64
	unsigned atomic.Int64
	first    atomic.Int64 // unix nanoseconds of the first request since Reset
	last     atomic.Int64

	mu   sync.Mutex
	seen map[[32]byte]int // hash of host, path and body → copies received
}

// StartPeers starts n recording servers.
func StartPeers(n int) (*Peers, error) {
	p := &Peers{per: make([]atomic.Int64, n), seen: map[[32]byte]int{}}
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			p.Close()
			return nil, err
		}
		srv := &http.Server{Handler: p.handler(i), ReadHeaderTimeout: 10 * time.Second}
		p.servers = append(p.servers, srv)
		p.URLs = append(p.URLs, "http://"+ln.Addr().String())
		go srv.Serve(ln)
	}
	return p, nil
}

func (p *Peers) handler(i int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		now := time.Now().UnixNano()
		p.first.CompareAndSwap(0, now)
		for {
			old := p.last.Load()
			if now <= old || p.last.CompareAndSwap(old, now) {
				break
			}
		}
		if r.Header.Get("Signature") == "" || r.Header.Get("Digest") == "" {
			p.unsigned.Add(1)
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		h := sha256.New()
		io.WriteString(h, r.Host+r.URL.Path+"\n")
		h.Write(body)
		var key [32]byte
		copy(key[:], h.Sum(nil))
		p.mu.Lock()
		p.seen[key]++
		p.mu.Unlock()
		p.per[i].Add(1)
		p.received.Add(1)
		w.WriteHeader(http.StatusAccepted)
	})
}

// Reset clears the counters between runs.
func (p *Peers) Reset() {
	p.received.Store(0)
	p.unsigned.Store(0)
	p.first.Store(0)
	p.last.Store(0)
	for i := range p.per {
		p.per[i].Store(0)
	}
	p.mu.Lock()
	p.seen = map[[32]byte]int{}
	p.mu.Unlock()
}

// Received counts the signed requests answered 202 since Reset.
func (p *Peers) Received() int64 { return p.received.Load() }

// Unsigned counts requests refused for lacking a signature or digest.
func (p *Peers) Unsigned() int64 { return p.unsigned.Load() }

// FirstLast are the times of the first and the last request since Reset.
func (p *Peers) FirstLast() (time.Time, time.Time) {
	return time.Unix(0, p.first.Load()), time.Unix(0, p.last.Load())
}

// Duplicates counts requests that repeated an earlier one exactly (same
// server, path and body).
func (p *Peers) Duplicates() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.seen {
		n += c - 1
	}
	return n
}

// Spread is the fewest and the most requests one server received.
func (p *Peers) Spread() (lo, hi int64) {
	lo = -1
	for i := range p.per {
		n := p.per[i].Load()
		if lo < 0 || n < lo {
			lo = n
		}
		hi = max(hi, n)
	}
	return lo, hi
}

// Close stops every server.
func (p *Peers) Close() {
	for _, s := range p.servers {
		s.Close()
	}
}
