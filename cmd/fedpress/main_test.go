package main

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fedpress/models"
)

func TestRunRejectsBadInput(t *testing.T) {
	ro := t.TempDir()
	if err := os.Chmod(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no command", nil, nil, ""},
		{"unknown command", []string{"frobnicate"}, nil, ""},
		{"bad flag", []string{"serve", "--no-such-flag"}, nil, "no-such-flag"},
		{"bad log format", []string{"serve", "--log-format", "xml"}, nil, "log-format"},
		{"bad base url", []string{"serve", "--base-url", "ftp://x"}, nil, "base-url"},
		{"bad env value", []string{"serve"}, map[string]string{"FEDPRESS_ALLOW_PRIVATE_PEERS": "perhaps"}, "FEDPRESS_ALLOW_PRIVATE_PEERS"},
		{"unreachable database", []string{"serve", "--database-url", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", "--data", t.TempDir()}, nil, "database unreachable"},
		{"unknown database scheme", []string{"serve", "--database-url", "mysql://x", "--data", t.TempDir()}, nil, "unsupported database URL"},
		{"post without file", []string{"post"}, nil, ""},
		{"instance name with a space", []string{"serve", "--instance-name", "my blog"}, nil, "instance-name"},
		{"instance name too long", []string{"worker"}, map[string]string{"FEDPRESS_INSTANCE_NAME": strings.Repeat("n", 101)}, "instance-name"},
		{"bad trusted proxy", []string{"serve", "--trusted-proxies", "10.0.0.1, proxy.example"}, nil, "trusted-proxies"},
		{"bad trusted proxy network", []string{"serve"}, map[string]string{"FEDPRESS_TRUSTED_PROXIES": "10.0.0.0/33"}, "trusted-proxies"},
		{"negative inbox workers", []string{"worker"}, map[string]string{"FEDPRESS_INBOX_WORKERS": "-1"}, "inbox-workers"},
		{"smtp url not smtp", []string{"serve", "--smtp-url", "http://mail.example", "--smtp-from", "b@example.com"}, nil, "smtp://"},
		{"smtp without sender", []string{"worker"}, map[string]string{"FEDPRESS_SMTP_URL": "smtps://u:p@mail.example"}, "--smtp-from"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		tests = append(tests, struct {
			name string
			args []string
			env  map[string]string
			want string
		}{"read-only data folder", []string{"serve", "--data", filepath.Join(ro, "data")}, nil, "data folder"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var out, errOut bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := run(ctx, tc.args, strings.NewReader(""), &out, &errOut)
			if err == nil {
				t.Fatal("run succeeded, want an error")
			}
			if exitCode(err) == 0 {
				t.Fatal("exit code 0")
			}
			if tc.want != "" && !strings.Contains(err.Error()+errOut.String(), tc.want) {
				t.Fatalf("error %q (stderr %q) does not mention %q", err, errOut.String(), tc.want)
			}
		})
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeStartsAndStops runs the real serve command: it creates the schema,
// prints the setup URL, answers, and shuts down on cancel.
func TestServeStartsAndStops(t *testing.T) {
	addr := freeAddr(t)
	data := filepath.Join(t.TempDir(), "data")
	// A media file no row names, left by a crash a day ago: the janitor,
	// started with the workers, removes it.
	orphan := filepath.Join(data, "media", "0123456789abcdef01234567.png")
	if err := os.MkdirAll(filepath.Dir(orphan), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(orphan, []byte("png"), 0o600); err != nil {
		t.Fatal(err)
	}
	dayAgo := time.Now().Add(-25 * time.Hour)
	if err := os.Chtimes(orphan, dayAgo, dayAgo); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	var errOut lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--data", data}, strings.NewReader(""), &out, &errOut)
	}()
	var resp *http.Response
	var err error
	for i := 0; i < 100; i++ {
		resp, err = http.Get("http://" + addr + "/healthz")
		if err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		cancel()
		t.Fatalf("server did not answer: %v\n%s", err, errOut.String())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/healthz = %d", resp.StatusCode)
	}
	if !strings.Contains(out.String(), "http://"+addr+"/setup?token=") {
		t.Fatalf("no setup URL printed: %q", out.String())
	}
	if _, err := os.Stat(filepath.Join(data, "fedpress.db")); err != nil {
		t.Fatalf("no database created: %v", err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(orphan); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the janitor did not remove the orphan media file\n%s", errOut.String())
		}
	}
	stopCommand(t, cancel, done)
}

// stopCommand cancels a running command and waits for its clean return.
func stopCommand(t *testing.T, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("command returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("command did not stop")
	}
}

// lockedBuffer is a log sink a running command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestWorkerTakesBackItsWork: a worker started under a stable name takes
// back at once the delivery and inbox item its previous run died holding
// (fresh claims, minutes from the takeover timeouts), and leaves another
// process's claims alone.
func TestWorkerTakesBackItsWork(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	store, _, err := openStore(ctx, &config{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var mu sync.Mutex
	hits := map[string]int{}
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer peer.Close()
	hitsOf := func(path string) int {
		mu.Lock()
		defer mu.Unlock()
		return hits[path]
	}

	// What the dead run of "blog-web" held, and what a live "blog-web-2" holds.
	now := time.Now().UTC()
	host := strings.TrimPrefix(peer.URL, "http://")
	for _, holder := range []string{"blog-web", "blog-web-2"} {
		if _, err := store.EnqueueDeliveries(ctx, []models.Delivery{{ActivityID: "http://127.0.0.1:8080/activities/create/1/" + holder,
			Inbox: peer.URL + "/inbox/" + holder, Host: host, Kind: "Create", Body: "{}", Status: models.DeliveryPending, NextAttemptAt: now}}); err != nil {
			t.Fatal(err)
		}
		if ds, err := store.ClaimDeliveries(ctx, models.DeliveryClaim{Holder: holder, Now: now, StaleBefore: now.Add(-2 * time.Minute), Limit: 1, PerHost: 1}); err != nil || len(ds) != 1 {
			t.Fatalf("claim delivery as %s: %v %v", holder, ds, err)
		}
		if _, err := store.CreateInboxItem(ctx, &models.InboxItem{ActivityID: "https://remote.test/likes/" + holder, Type: "Like", Body: "{}", ReceivedAt: now, NextAt: now}); err != nil {
			t.Fatal(err)
		}
		if items, err := store.ClaimInboxItems(ctx, holder, now, now.Add(-10*time.Minute), 1); err != nil || len(items) != 1 {
			t.Fatalf("claim inbox item as %s: %v %v", holder, items, err)
		}
	}
	processed := func(holder string) bool {
		it, err := store.InboxItemByActivityID(ctx, "https://remote.test/likes/"+holder)
		if err != nil {
			t.Fatal(err)
		}
		return it.ProcessedAt != nil
	}

	t.Setenv("FEDPRESS_INSTANCE_NAME", "blog-web")
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{"worker", "--data", data, "--allow-private-peers"}, strings.NewReader(""), &out, &errOut)
	}()
	deadline := time.Now().Add(15 * time.Second)
	for hitsOf("/inbox/blog-web") == 0 || !processed("blog-web") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the worker did not take its work back: delivery sent %d times, item processed %v\n%s",
				hitsOf("/inbox/blog-web"), processed("blog-web"), errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopCommand(t, cancel, done)
	log := errOut.String()
	if !strings.Contains(log, `msg="released work left by an earlier run of this instance" instance=blog-web deliveries=1 inbox_items=1`) {
		t.Errorf("log lacks the release line:\n%s", log)
	}
	if n := hitsOf("/inbox/blog-web-2"); n != 0 || processed("blog-web-2") {
		t.Errorf("another process's claims were taken: delivery sent %d times, item processed %v", n, processed("blog-web-2"))
	}
}

func writePNG(t *testing.T, path string, w, h int, c color.Color) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPostPublishesAndUpdates(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"author", "add", "--data", data, "--username", "alice", "--name", "Alice Writer", "--password-stdin"},
		strings.NewReader("correct horse battery\n"), &out, &errOut); err != nil {
		t.Fatalf("author add: %v %s", err, errOut.String())
	}
	writePNG(t, filepath.Join(dir, "harbour.png"), 40, 30, color.RGBA{0, 0, 200, 255})
	writePNG(t, filepath.Join(dir, "talks.png"), 20, 10, color.RGBA{200, 0, 0, 255})
	post := `---
title: "DPRK-Japan talks in Ulan Bator end"
date: 2012-11-17T10:00:00Z
tags: [Asia Pacific, Diplomacy]
summary: Two days of talks ended without a date for the next round.
images:
  - path: talks.png
    alt: Delegations at the table
    caption: The delegations on the second day
---
The talks ended on Friday.

![The harbour at dawn](harbour.png "The harbour, where the delegations arrived")

![Delegations at the table](talks.png "The delegations on the second day")
`
	file := filepath.Join(dir, "post.md")
	os.WriteFile(file, []byte(post), 0o644)
	out.Reset()
	if err := run(ctx, []string{"post", "--data", data, "--base-url", "https://news.example", file}, nil, &out, &errOut); err != nil {
		t.Fatalf("post: %v %s", err, errOut.String())
	}
	if got := strings.TrimSpace(out.String()); got != "created https://news.example/2012/11/dprk-japan-talks-in-ulan-bator-end/" {
		t.Fatalf("printed %q", got)
	}
	store, err := models.Open(ctx, models.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	art, err := store.ArticleBySlug(ctx, "dprk-japan-talks-in-ulan-bator-end")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(art.HTML, "<figure>"); n != 2 {
		t.Fatalf("want 2 figures, got %d in %s", n, art.HTML)
	}
	if !strings.Contains(art.HTML, "<figcaption>The harbour, where the delegations arrived</figcaption>") || !strings.Contains(art.HTML, `width="40"`) {
		t.Fatalf("caption or size missing: %s", art.HTML)
	}
	if len(art.Media) != 2 || len(art.Tags) != 2 {
		t.Fatalf("media %d tags %d", len(art.Media), len(art.Tags))
	}
	for _, m := range art.Media {
		if m.Path == "" || m.Width == 0 {
			t.Fatalf("media without size: %+v", m)
		}
		if _, err := os.Stat(filepath.Join(data, "media", m.Path)); err != nil {
			t.Fatalf("media file missing: %v", err)
		}
		if m.Height == 10 && m.Caption != "The delegations on the second day" {
			t.Fatalf("front matter caption not applied: %+v", m)
		}
	}
	// Posting the file again updates the article it made instead of adding one.
	posted, _ := os.ReadFile(file)
	os.WriteFile(file, []byte(strings.Replace(string(posted), "The talks ended on Friday.", "The talks ended on Friday evening.", 1)), 0o644)
	out.Reset()
	if err := run(ctx, []string{"post", "--data", data, file}, nil, &out, &errOut); err != nil {
		t.Fatalf("second post: %v", err)
	}
	if !strings.HasPrefix(out.String(), "updated http://127.0.0.1:8080/2012/11/") {
		t.Errorf("second post printed %q", out.String())
	}
	again, err := store.ArticleBySlug(ctx, art.Slug)
	if err != nil || again.ID != art.ID || !strings.Contains(again.HTML, "Friday evening") {
		t.Fatalf("not updated in place: %v %+v", err, again)
	}
	all, _ := store.ListAllArticles(ctx, 0)
	ms, _ := store.ListMedia(ctx, 0, 100)
	if len(all) != 1 || len(ms) != 2 {
		t.Fatalf("after re-post: %d articles, %d media", len(all), len(ms))
	}
}

func TestParsePost(t *testing.T) {
	tests := []struct {
		in, wantErr, wantTitle, wantBody string
	}{
		{"---\ntitle: Hi\n---\nbody\n", "", "Hi", "body\n"},
		{"\ufeff---\r\ntitle: Hi\r\n---\r\nbody", "", "Hi", "body"},
		{"---\ntitle: Only\n---", "", "Only", ""},
		{"no front matter", "missing front matter", "", ""},
		{"---\ntitle: x\n", "not closed", "", ""},
		{"---\ntitle: [unclosed\n---\n", "front matter", "", ""},
		{"---\nsummary: s\n---\n", "a title is required", "", ""},
	}
	for _, tc := range tests {
		fm, body, _, err := parsePost([]byte(tc.in))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parsePost(%q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || fm.Title != tc.wantTitle || body != tc.wantBody {
			t.Errorf("parsePost(%q) = %q, %q, %v", tc.in, fm.Title, body, err)
		}
	}
}

func FuzzParsePost(f *testing.F) {
	f.Add([]byte("---\ntitle: Hi\ndate: 2012-11-17T10:00:00Z\ntags: [a, b]\n---\nbody ![x](a.png \"c\")\n"))
	f.Add([]byte("---\ntitle: &a [*a, *a]\n---\n"))
	f.Add([]byte("---\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fm, body, _, err := parsePost(data)
		if err == nil && strings.TrimSpace(fm.Title) == "" {
			t.Fatalf("accepted a post without title: %q", data)
		}
		_ = body
	})
}

// TestServeAddressInUse: serve binds before anything else, so a taken
// port fails at once with a hint, creates no database and prints no setup
// URL (which would point at the other process).
func TestServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	tests := []struct {
		name string
		addr string
		want []string
		exit int
	}{
		{"port in use", addr, []string{"cannot listen on " + addr, "another program", "--addr"}, 1},
		{"no port", "127.0.0.1", []string{"--addr", "HOST:PORT"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var out, errOut bytes.Buffer
			err := run(ctx, []string{"serve", "--addr", tc.addr, "--data", data}, strings.NewReader(""), &out, &errOut)
			if err == nil {
				t.Fatal("serve succeeded on a taken address")
			}
			if got := exitCode(err); got != tc.exit {
				t.Errorf("exit code %d, want %d", got, tc.exit)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(out.String()+errOut.String(), "setup") {
				t.Errorf("a setup URL was printed: %q %q", out.String(), errOut.String())
			}
			if _, err := os.Stat(filepath.Join(data, "fedpress.db")); err == nil {
				t.Error("the database was created before the bind failed")
			}
		})
	}
}
