// Command inbox measures how many signed replies per second `fedpress
// serve` accepts at its shared inbox and then processes into comments, on
// SQLite and on PostgreSQL, with the senders' keys already cached.
//
//	go run ./bench/inbox -n 5000 -c 16 -db sqlite,postgres
//	go run ./bench/inbox -n 5000 -c 16 -db sqlite,postgres -actors 20
//
// For each backend it builds (or takes) the fedpress binary, makes a fresh
// data folder (and PostgreSQL schema), creates an author with `fedpress
// author add`, publishes one article with `fedpress post`, and starts
// `fedpress serve --allow-private-peers`. A loopback HTTP server stands in
// for the remote instance and serves the documents of the A replying
// actors (-actors; "bob" when A is 1, else bob0…bobA-1), each with its own
// key id and public key (they share one RSA key pair, to keep setup cheap).
// One warm-up reply per actor makes the server fetch and cache every key:
// exactly A key fetches before the clock starts. Then N Create{Note}
// replies to the article, signed round robin by the A actors and all
// before the clock starts (the Date of a signature stays valid for an
// hour), are POSTed to /inbox by C concurrent clients on keep-alive
// connections. The inbox worker applies items in per-actor lanes, so one
// actor (the default) measures a single lane; several actors let lanes run
// side by side.
// Reported: the answer time of the 202s (p50, p99), accepted per second,
// and, polling the database until no item is pending, processed per
// second from the first request to the last item processed; also the
// worker's rate once the requests have stopped (items still pending at the
// last 202, over the time from then until none is).
//
// The clients, the stand-in actor and the server share the machine's CPUs.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fedpress/bench/internal/harness"
	"fedpress/federation"
	"fedpress/models"
)

type result struct {
	backend       string
	n, c          int
	accepted      int
	other         map[int]int
	sendErrs      int
	sendDur       time.Duration // first request to last answer
	drainDur      time.Duration // first request to nothing pending
	pendingAtSent int64
	p50, p90, p99 time.Duration
	maxLat        time.Duration
	comments      int64
	keyFetches    int64
	signRate      float64
	mem           harness.Mem
	peakRSS       uint64
	cpu           harness.CPUUse
}

func main() {
	var common harness.Common
	fs := flag.NewFlagSet("inbox", flag.ExitOnError)
	common.Register(fs, "sqlite,postgres")
	n := fs.Int("n", 5000, "signed replies to send")
	c := fs.Int("c", 16, "concurrent clients")
	actors := fs.Int("actors", 1, "remote actors signing the replies round robin (bob, or bob0…bobN-1), each key fetched and cached in the warm-up")
	fs.Parse(os.Args[1:])
	if *actors < 1 {
		common.Fatal(fmt.Errorf("-actors %d: need at least 1", *actors))
	}
	setup := common.Setup()
	defer setup.Close()
	results := harness.ForEachBackend(setup, func(backend, dir string) (result, error) {
		return runOne(&common, backend, setup.Bin, dir, *n, *c, *actors)
	})

	if *actors == 1 {
		common.Header("fedpress inbox benchmark: signed Create{Note} replies to one article from 1 actor, sender key cached")
	} else {
		common.Header(fmt.Sprintf("fedpress inbox benchmark: signed Create{Note} replies to one article from %d actors (round robin), sender keys cached", *actors))
	}
	var rows [][]string
	for _, r := range results {
		rows = append(rows, []string{
			r.backend, strconv.Itoa(r.n), strconv.Itoa(r.c), fmt.Sprintf("%d", r.accepted), otherStr(r.other, r.sendErrs),
			fmt.Sprintf("%.0f", float64(r.accepted)/r.sendDur.Seconds()),
			harness.Ms(r.p50), harness.Ms(r.p90), harness.Ms(r.p99), harness.Ms(r.maxLat),
			fmt.Sprintf("%d", r.pendingAtSent),
			fmt.Sprintf("%.2f s", r.drainDur.Seconds()),
			fmt.Sprintf("%.0f", float64(r.n)/r.drainDur.Seconds()),
			fmt.Sprintf("%.0f", float64(r.pendingAtSent)/(r.drainDur-r.sendDur).Seconds()),
			fmt.Sprintf("%d", r.comments),
		})
	}
	harness.Table(os.Stdout, []string{"db", "sent", "clients", "202", "other", "accepted/s", "p50", "p90", "p99", "max",
		"pending at last 202", "first req → all processed", "processed/s (end to end)", "processed/s after the last 202", "comments stored"}, rows)
	fmt.Println()
	rows = nil
	for _, r := range results {
		rows = append(rows, []string{r.backend, fmt.Sprintf("%d", r.keyFetches), fmt.Sprintf("%.0f", r.signRate),
			harness.MiB(r.peakRSS), harness.MiB(r.mem.HWM)})
	}
	harness.Table(os.Stdout, []string{"db", "key fetches by server", "client pre-signing rate (signs/s, not timed)", "serve peak VmRSS", "serve VmHWM"}, rows)
	fmt.Println()
	for _, r := range results {
		fmt.Printf("%s CPU from first request to all processed: %s\n", r.backend, r.cpu)
	}
	fmt.Println()
	fmt.Println(harness.Yardstick())
	fmt.Printf("\nGOMAXPROCS %d; clients, stand-in actor and server share the CPUs.\n", runtime.GOMAXPROCS(0))
}

func otherStr(m map[int]int, errs int) string {
	var parts []string
	for code, n := range m {
		parts = append(parts, fmt.Sprintf("%d×%d", n, code))
	}
	if errs > 0 {
		parts = append(parts, fmt.Sprintf("%d errors", errs))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, " ")
}

// remote is the stand-in instance: it serves the documents of its actors,
// which share one key pair but each have their own key id.
type remote struct {
	base   string
	actors []remoteActor
	docs   map[string][]byte // by path: /users/NAME
	gets   atomic.Int64      // actor document GETs, i.e. key fetches
	srv    *http.Server
}

type remoteActor struct {
	name   string // bob, or bob0…bobN-1
	uri    string
	signer federation.Signer
}

// startRemote serves n actors: "bob" when n is 1, else bob0…bobN-1.
func startRemote(n int) (*remote, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	priv, pub, err := federation.GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	key, err := federation.ParsePrivateKeyPEM(priv)
	if err != nil {
		return nil, err
	}
	r := &remote{base: "http://" + ln.Addr().String(), docs: make(map[string][]byte, n)}
	for i := range n {
		name, display := "bob", "Bob Bench"
		if n > 1 {
			name, display = "bob"+strconv.Itoa(i), "Bob Bench "+strconv.Itoa(i)
		}
		a := remoteActor{name: name, uri: r.base + "/users/" + name}
		keyID := a.uri + "#main-key"
		a.signer = federation.Signer{KeyID: keyID, Key: key}
		doc, _ := json.Marshal(map[string]any{
			"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":                a.uri,
			"type":              "Person",
			"preferredUsername": name,
			"name":              display,
			"url":               r.base + "/@" + name,
			"inbox":             a.uri + "/inbox",
			"outbox":            a.uri + "/outbox",
			"followers":         a.uri + "/followers",
			"endpoints":         map[string]any{"sharedInbox": r.base + "/inbox"},
			"publicKey":         map[string]any{"id": keyID, "owner": a.uri, "publicKeyPem": pub},
		})
		r.actors = append(r.actors, a)
		r.docs["/users/"+name] = doc
	}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		doc, ok := r.docs[req.URL.Path]
		if !ok {
			http.NotFound(w, req)
			return
		}
		r.gets.Add(1)
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write(doc)
	})}
	go r.srv.Serve(ln)
	return r, nil
}

type signed struct {
	body   []byte
	header http.Header
}

// reply is a signed Create{Note} by actor a answering the article, number
// i (unique per actor).
func (r *remote) reply(a remoteActor, inbox, article string, i int) (signed, error) {
	note := a.uri + "/statuses/" + strconv.Itoa(i)
	public := "https://www.w3.org/ns/activitystreams#Public"
	body, _ := json.Marshal(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       note + "/activity", "type": "Create", "actor": a.uri,
		"published": "2026-01-02T03:04:05Z", "to": []string{public}, "cc": []string{a.uri + "/followers"},
		"object": map[string]any{
			"id": note, "type": "Note", "attributedTo": a.uri, "inReplyTo": article,
			"content":   fmt.Sprintf("<p>Reply number %d: a thoughtful remark about this article, with <a href=\"https://example.org/\">a link</a> and a few more words to make it the size of a real reply.</p>", i),
			"published": "2026-01-02T03:04:05Z", "url": r.base + "/@" + a.name + "/" + strconv.Itoa(i),
			"to": []string{public}, "cc": []string{a.uri + "/followers"},
		},
	})
	req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return signed{}, err
	}
	req.Header.Set("Content-Type", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	if err := a.signer.SignRequest(req, body); err != nil {
		return signed{}, err
	}
	return signed{body: body, header: req.Header}, nil
}

func send(client *http.Client, inbox string, s signed) (int, time.Duration, error) {
	req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(s.body))
	if err != nil {
		return 0, 0, err
	}
	req.Header = s.header
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, time.Since(start), err
	}
	var sink [512]byte
	for {
		if _, err := resp.Body.Read(sink[:]); err != nil {
			break
		}
	}
	resp.Body.Close()
	return resp.StatusCode, time.Since(start), nil
}

func runOne(common *harness.Common, backend, bin, dir string, n, c, actors int) (result, error) {
	ctx := context.Background()
	res := result{backend: backend, n: n, c: c, other: map[int]int{}}
	harness.Logf("%s: author add, post", backend)
	blog, err := common.NewBlog(backend, bin, dir)
	if err != nil {
		return res, err
	}
	defer blog.Close()
	store, articleID, err := blog.PostArticle(ctx, "replied-to", "An article to reply to")
	if err != nil {
		return res, err
	}
	defer store.Close()

	rem, err := startRemote(actors)
	if err != nil {
		return res, err
	}
	defer rem.srv.Close()

	// The per-sender limits are lifted: this measures the inbox's speed,
	// with one actor by default.
	serve, err := blog.Start("serve", "--inbox-per-actor", "1000000", "--inbox-per-host", "1000000", "--inbox-pending-per-actor", "1000000")
	if err != nil {
		return res, err
	}
	inbox := "http://" + serve.Addr + "/inbox"
	sampler := harness.SampleMem(serve.PID(), 100*time.Millisecond)
	tr := &http.Transport{MaxIdleConns: c, MaxIdleConnsPerHost: c, MaxConnsPerHost: c, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	defer tr.CloseIdleConnections()

	// Warm-up: one reply (number 0) per actor; the server fetches each
	// actor's key once and caches it.
	if actors > 1 {
		harness.Logf("%s: warm-up, one reply from each of %d actors", backend, actors)
	}
	for _, a := range rem.actors {
		warm, err := rem.reply(a, inbox, articleID, 0)
		if err != nil {
			return res, err
		}
		if code, _, err := send(client, inbox, warm); err != nil || code != http.StatusAccepted {
			return res, fmt.Errorf("warm-up reply from %s: status %d, %v (log %s)", a.name, code, err, serve.LogPath)
		}
	}
	if err := waitDrained(ctx, store, 30*time.Second); err != nil {
		return res, fmt.Errorf("warm-up not processed: %w", err)
	}
	if counts, err := store.TableCounts(ctx); err != nil || counts["interactions"] != int64(actors) {
		return res, fmt.Errorf("warm-up replies did not become %d comments: %v %v (log %s)", actors, counts, err, serve.LogPath)
	}
	if got := rem.gets.Load(); got != int64(actors) {
		return res, fmt.Errorf("warm-up: %d key fetches for %d actors, want one each (log %s)", got, actors, serve.LogPath)
	}

	if actors == 1 {
		harness.Logf("%s: signing %d replies", backend, n)
	} else {
		harness.Logf("%s: signing %d replies, round robin by %d actors", backend, n, actors)
	}
	reqs := make([]signed, n)
	signStart := time.Now()
	var wg sync.WaitGroup
	var signErr atomic.Value
	for w := range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += runtime.GOMAXPROCS(0) {
				s, err := rem.reply(rem.actors[i%actors], inbox, articleID, i+1)
				if err != nil {
					signErr.Store(err)
					return
				}
				reqs[i] = s
			}
		}()
	}
	wg.Wait()
	if err, ok := signErr.Load().(error); ok {
		return res, err
	}
	res.signRate = float64(n) / time.Since(signStart).Seconds()

	common.Quiet()
	harness.Logf("%s: sending %d replies from %d clients", backend, n, c)
	watch := harness.WatchCPU()
	lat := make([]time.Duration, n)
	codes := make([]int, n)
	errs := make([]error, n)
	var next atomic.Int64
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				codes[i], lat[i], errs[i] = send(client, inbox, reqs[i])
			}
		}()
	}
	wg.Wait()
	res.sendDur = time.Since(start)
	res.pendingAtSent, _ = store.CountPendingInbox(ctx)
	var ok []time.Duration
	for i := range n {
		switch {
		case errs[i] != nil:
			res.sendErrs++
			if res.sendErrs == 1 {
				harness.Logf("%s: first send error: %v", backend, errs[i])
			}
		case codes[i] == http.StatusAccepted:
			res.accepted++
			ok = append(ok, lat[i])
		default:
			res.other[codes[i]]++
		}
	}
	harness.SortDurations(ok)
	res.p50, res.p90, res.p99 = harness.Percentile(ok, 50), harness.Percentile(ok, 90), harness.Percentile(ok, 99)
	if len(ok) > 0 {
		res.maxLat = ok[len(ok)-1]
	}
	harness.Logf("%s: %d accepted in %v; %d pending; waiting for the worker", backend, res.accepted, res.sendDur, res.pendingAtSent)
	if err := waitDrained(ctx, store, 5*time.Minute); err != nil {
		return res, fmt.Errorf("inbox not drained: %w", err)
	}
	res.drainDur = time.Since(start)
	res.cpu = watch.Stop()
	res.peakRSS, res.mem.HWM, _ = sampler.Stop()
	counts, err := store.TableCounts(ctx)
	if err != nil {
		return res, err
	}
	res.comments = counts["interactions"] - int64(actors) // the warm-ups'
	res.keyFetches = rem.gets.Load()
	if res.comments != int64(res.accepted) {
		harness.Logf("%s: WARNING: %d replies accepted but %d comments stored (log %s)", backend, res.accepted, res.comments, serve.LogPath)
	}
	return res, nil
}

// waitDrained polls until no inbox item is pending. The poll interval
// (25 ms) bounds the error of the end-to-end figure.
func waitDrained(ctx context.Context, store *models.Store, timeout time.Duration) error {
	return harness.WaitFor(timeout, 25*time.Millisecond, func() (bool, error) {
		n, err := store.CountPendingInbox(ctx)
		return err == nil && n == 0, err
	})
}
