// Command hostile measures what one hostile remote server can cost a
// `fedpress serve` running with its default limits, in three phases:
//
//  1. stall: a signed Create{Note} whose inReplyTo is on a stand-in that
//     answers one byte per second for -trickle (just under the 20 s fetch
//     timeout), then a Note answering the next such URL, and so on; as
//     soon as the first fetch started, another actor's Like. Reported: how
//     long until the Like is processed (capped by -stall-max).
//
//  2. memory: -c concurrent signed POSTs of 1 MiB each, naming as many
//     distinct unknown key ids on a stand-in that holds key fetches for
//     -hold. Reported: the server's peak VmRSS during the phase (sampled
//     every 20 ms) against its VmRSS before, and the answers.
//
//  3. disk: -creates signed 1 MiB Create{Note} replies from one actor,
//     sent one after the other as fast as they are answered, then as many
//     from a second actor. Reported: the data folder's size before, once
//     the first actor's are processed, and once the second's are (SQLite
//     only: PostgreSQL keeps its data elsewhere), with the database file
//     and its WAL apart.
//
//     go run ./bench/hostile
//     go run ./bench/hostile -fedpress /path/to/older/fedpress   # before/after
//
// The stand-ins run in this process, on loopback.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"fedpress/bench/internal/harness"
	"fedpress/federation"
)

type result struct {
	backend                         string
	stall                           time.Duration
	stallDone                       bool
	rssBefore, rssPeak              uint64
	memAnswers                      map[string]int
	memDur                          time.Duration
	diskBefore, diskSent, diskAfter int64
	dbFile, walFile                 int64
	diskAnswers                     map[int]int
}

func main() {
	var common harness.Common
	fs := flag.NewFlagSet("hostile", flag.ExitOnError)
	common.Register(fs, "sqlite")
	conc := fs.Int("c", 150, "concurrent 1 MiB POSTs naming slow keys")
	hold := fs.Duration("hold", 20*time.Second, "how long the stand-in holds each key fetch")
	creates := fs.Int("creates", 60, "1 MiB Creates sent by one actor")
	stallMax := fs.Duration("stall-max", 60*time.Second, "longest wait for the Like")
	trickle := fs.Duration("trickle", 18*time.Second, "how long the stand-in trickles each parent")
	fs.Parse(os.Args[1:])
	setup := common.Setup()
	defer setup.Close()
	results := harness.ForEachBackend(setup, func(backend, dir string) (result, error) {
		return runOne(&common, backend, setup.Bin, dir, *conc, *hold, *trickle, *creates, *stallMax)
	})
	common.Header("fedpress against one hostile server (default limits)")
	var rows [][]string
	for _, r := range results {
		stall := fmt.Sprintf("%.2f s", r.stall.Seconds())
		if !r.stallDone {
			stall = "> " + stall
		}
		disk := "n/a"
		if r.backend == "sqlite" {
			disk = fmt.Sprintf("%s → %s → %s (db %s, wal %s)", mb(r.diskBefore), mb(r.diskSent), mb(r.diskAfter), mb(r.dbFile), mb(r.walFile))
		}
		rows = append(rows, []string{r.backend, stall,
			fmt.Sprintf("%s → %s", harness.MiB(r.rssBefore), harness.MiB(r.rssPeak)), fmt.Sprint(r.memAnswers), fmt.Sprintf("%.1f s", r.memDur.Seconds()),
			disk, fmt.Sprint(r.diskAnswers)})
	}
	harness.Table(os.Stdout, []string{"db", "Like applied after", "VmRSS before → peak", "answers", "phase took",
		"data folder before → 1st actor's → 2nd actor's, processed", "answers"}, rows)
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// standIn is the hostile server: actors, a trickling origin, slow keys.
type standIn struct {
	base    string
	signer  federation.Signer // shared by all actors
	docs    map[string][]byte
	started chan struct{} // a trickled fetch began
	release chan struct{} // closed: held key fetches answer 404
	hold    time.Duration
	trickle time.Duration
}

func startStandIn(hold, trickle time.Duration) (*standIn, error) {
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
	s := &standIn{base: "http://" + ln.Addr().String(), docs: map[string][]byte{}, started: make(chan struct{}, 100),
		release: make(chan struct{}), hold: hold, trickle: trickle, signer: federation.Signer{Key: key}}
	for _, name := range []string{"bob", "carol", "eve"} {
		uri := s.base + "/users/" + name
		s.docs["/users/"+name], _ = json.Marshal(map[string]any{
			"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":       uri, "type": "Person", "preferredUsername": name, "inbox": uri + "/inbox", "followers": uri + "/followers",
			"publicKey": map[string]any{"id": uri + "#main-key", "owner": uri, "publicKeyPem": pub},
		})
	}
	srv := &http.Server{Handler: http.HandlerFunc(s.serve)}
	go srv.Serve(ln)
	return s, nil
}

func (s *standIn) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/trickle/"):
		w.Header().Set("Content-Type", "application/activity+json")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("{"))
		w.(http.Flusher).Flush()
		select {
		case s.started <- struct{}{}:
		default:
		}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		end := time.After(s.trickle)
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
				w.Write([]byte(" "))
				w.(http.Flusher).Flush()
				continue
			case <-end:
			}
			break
		}
		// A note answering the next trickled URL: the chain goes on.
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/trickle/"))
		note, _ := json.Marshal(map[string]any{"id": s.base + r.URL.Path, "type": "Note", "attributedTo": s.base + "/users/eve",
			"inReplyTo": fmt.Sprintf("%s/trickle/%d", s.base, n+1), "content": "<p>parent</p>"})
		w.Write(note[1:])
	case strings.HasPrefix(r.URL.Path, "/keys/"):
		select {
		case <-s.release:
		case <-time.After(s.hold):
		case <-r.Context().Done():
		}
		http.NotFound(w, r)
	default:
		doc, ok := s.docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write(doc)
	}
}

// post signs body with keyID and POSTs it to inbox.
func (s *standIn) post(client *http.Client, inbox, keyID string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/activity+json")
	signer := s.signer
	signer.KeyID = keyID
	if err := signer.SignRequest(req, body); err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (s *standIn) activity(actor, typ string, n int, object any) ([]byte, string) {
	uri := s.base + "/users/" + actor
	id := fmt.Sprintf("%s/%s/%d", uri, strings.ToLower(typ), n)
	b, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": typ, "actor": uri, "object": object})
	return b, id
}

func (s *standIn) note(actor string, n int, inReplyTo, content string) map[string]any {
	uri := s.base + "/users/" + actor
	return map[string]any{"id": fmt.Sprintf("%s/notes/%d", uri, n), "type": "Note", "attributedTo": uri, "inReplyTo": inReplyTo,
		"content": content, "to": []string{"https://www.w3.org/ns/activitystreams#Public"}}
}

func runOne(common *harness.Common, backend, bin, dir string, conc int, hold, trickle time.Duration, creates int, stallMax time.Duration) (result, error) {
	ctx := context.Background()
	res := result{backend: backend, memAnswers: map[string]int{}, diskAnswers: map[int]int{}}
	blog, err := common.NewBlog(backend, bin, dir)
	if err != nil {
		return res, err
	}
	defer blog.Close()
	store, article, err := blog.PostArticle(ctx, "target", "An article")
	if err != nil {
		return res, err
	}
	defer store.Close()
	hs, err := startStandIn(hold, trickle)
	if err != nil {
		return res, err
	}
	serve, err := blog.Start("serve")
	if err != nil {
		return res, err
	}
	inbox := "http://" + serve.Addr + "/inbox"
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	key := func(actor string) string { return hs.base + "/users/" + actor + "#main-key" }
	processed := func(id string) bool {
		it, err := store.InboxItemByActivityID(ctx, id)
		return err == nil && it.ProcessedAt != nil
	}

	// Warm-up: each actor's key is fetched and cached once.
	for i, a := range []string{"bob", "carol", "eve"} {
		body, _ := hs.activity(a, "Like", 1000+i, article)
		if st, err := hs.post(client, inbox, key(a), body); err != nil || st != http.StatusAccepted {
			return res, fmt.Errorf("warm-up %s: %d %v", a, st, err)
		}
	}

	// 1. stall
	harness.Logf("%s: stall", backend)
	body, _ := hs.activity("eve", "Create", 1, hs.note("eve", 1, hs.base+"/trickle/1", "<p>wait for me</p>"))
	if st, err := hs.post(client, inbox, key("eve"), body); err != nil || st != http.StatusAccepted {
		return res, fmt.Errorf("hostile Create: %d %v", st, err)
	}
	select {
	case <-hs.started:
	case <-time.After(time.Minute):
		return res, fmt.Errorf("the trickled parent was never fetched")
	}
	like, likeID := hs.activity("carol", "Like", 1, article)
	sent := time.Now()
	if st, err := hs.post(client, inbox, key("carol"), like); err != nil || st != http.StatusAccepted {
		return res, fmt.Errorf("the Like: %d %v", st, err)
	}
	for !processed(likeID) && time.Since(sent) < stallMax {
		time.Sleep(20 * time.Millisecond)
	}
	res.stall, res.stallDone = time.Since(sent), processed(likeID)

	// 2. memory
	harness.Logf("%s: memory, %d × 1 MiB naming slow keys", backend, conc)
	m, _ := harness.ReadMem(serve.PID())
	res.rssBefore = m.RSS
	sampler := harness.SampleMem(serve.PID(), 20*time.Millisecond)
	pad := strings.Repeat("x", federation.MaxInboxBody-4096)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	start := time.Now()
	for i := range conc {
		wg.Go(func() {
			body, _ := hs.activity("bob", "Create", 5000+i, hs.note("bob", 5000+i, article, pad))
			st, err := hs.post(client, inbox, fmt.Sprintf("%s/keys/%d#k", hs.base, i), body)
			label := strconv.Itoa(st)
			if err != nil {
				label = "error"
			}
			mu.Lock()
			res.memAnswers[label]++
			mu.Unlock()
		})
	}
	wg.Wait()
	res.memDur = time.Since(start)
	res.rssPeak, _, _ = sampler.Stop()
	close(hs.release)

	// 3. disk
	if backend == "sqlite" {
		harness.Logf("%s: disk, %d × 1 MiB Creates from one actor, then another", backend, creates)
		res.diskBefore = dirSize(blog.Data)
		flood := func(actor string) int64 {
			for i := range creates {
				body, _ := hs.activity(actor, "Create", 100+i, hs.note(actor, 100+i, article, "<p>"+pad+"</p>"))
				st, err := hs.post(client, inbox, key(actor), body)
				if err != nil {
					st = -1
				}
				res.diskAnswers[st]++
			}
			for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if n, err := store.CountPendingInbox(ctx); err == nil && n == 0 {
					break
				}
			}
			return dirSize(blog.Data)
		}
		res.diskSent = flood("bob")
		res.diskAfter = flood("carol")
		res.dbFile, res.walFile = fileSize(filepath.Join(blog.Data, "fedpress.db")), fileSize(filepath.Join(blog.Data, "fedpress.db-wal"))
	}
	serve.Stop()
	return res, nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// dirSize sums the sizes of the files under dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
