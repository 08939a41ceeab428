// Command pages measures requests per second of `fedpress serve` for an
// article's permalink (HTML, from the page cache) and for the article's
// ActivityStreams JSON (/articles/ID with Accept: application/activity+json),
// beside nginx serving the same HTML saved as a static file, in the same
// run, with wrk:
//
//	go run ./bench/pages -db sqlite,postgres -d 10s -t 2 -c 32
//
// For each backend: a fresh data folder (and PostgreSQL schema), `fedpress
// author add`, `fedpress post` of an article of about 1,100 words, five
// approved comments on it, then `fedpress serve`. The permalink is fetched
// once (filling the page cache) and saved under a temp web root that an
// nginx child process (`daemon off;`, its own config, another loopback
// port) serves at the same path. Then, one after another:
//
//	wrk -t2 -c32 -d10s --latency http://FEDPRESS/YYYY/MM/slug/
//	wrk -t2 -c32 -d10s --latency -H 'Accept: application/activity+json' http://FEDPRESS/articles/ID
//	wrk -t2 -c32 -d10s --latency http://NGINX/YYYY/MM/slug/
//
// wrk, the server and PostgreSQL share the machine's CPUs. The serve
// process's memory is read idle (after start and one page view) and
// sampled during the HTML load.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"fedpress/bench/internal/harness"
	"fedpress/models"
)

type wrkResult struct {
	harness.Wrk
	name      string
	bodyBytes int
	cpu       harness.CPUUse
}

type result struct {
	backend      string
	runs         []wrkResult
	idle         harness.Mem
	loadRSS      uint64
	loadHWM      uint64
	samples      int
	ratioHTML    float64
	ratioAS2     float64
	htmlBytes    int
	as2Bytes     int
	cacheHeaders string
}

func main() {
	var common harness.Common
	fs := flag.NewFlagSet("pages", flag.ExitOnError)
	common.Register(fs, "sqlite,postgres")
	dur := fs.Duration("d", 10*time.Second, "wrk duration of each run")
	threads := fs.Int("t", 2, "wrk threads")
	conns := fs.Int("c", 32, "wrk connections")
	wrkBin := fs.String("wrk", "/usr/bin/wrk", "wrk binary")
	nginxBin := fs.String("nginx", "/usr/sbin/nginx", "nginx binary")
	fs.Parse(os.Args[1:])
	backends, err := common.Backends()
	if err != nil {
		fatal(err)
	}
	dir, cleanup, err := common.Workdir("pages")
	if err != nil {
		fatal(err)
	}
	defer cleanup()
	bin, err := common.Binary(dir)
	if err != nil {
		fatal(err)
	}
	wrkArgs := []string{fmt.Sprintf("-t%d", *threads), fmt.Sprintf("-c%d", *conns), fmt.Sprintf("-d%s", *dur), "--latency"}
	var results []result
	for _, backend := range backends {
		bdir, err := os.MkdirTemp(dir, backend+"-")
		if err != nil {
			fatal(err)
		}
		res, err := runOne(&common, backend, bin, bdir, *wrkBin, *nginxBin, wrkArgs)
		if err != nil {
			fatal(fmt.Errorf("%s: %w", backend, err))
		}
		results = append(results, res)
	}

	fmt.Println()
	fmt.Println("fedpress page benchmark: article permalink (HTML), article AS2 JSON, and nginx serving the same HTML file")
	fmt.Println(harness.Machine())
	fmt.Printf("command: go run ./bench/pages %s\n\n", strings.Join(os.Args[1:], " "))
	var rows [][]string
	for _, r := range results {
		for _, w := range r.runs {
			rows = append(rows, []string{r.backend, w.name, fmt.Sprintf("%.0f", w.RPS), w.P50, w.P99,
				strconv.FormatInt(w.Requests, 10), strconv.FormatInt(w.Non2xx, 10), w.SockErrs, strconv.Itoa(w.bodyBytes), w.Transfer,
				fmt.Sprintf("%.2f / %.2f / %.2f", w.cpu.Ours, w.cpu.Postgres, w.cpu.Other)})
		}
	}
	harness.Table(os.Stdout, []string{"db", "target", "req/s", "p50", "p99", "requests", "non-2xx", "socket errors", "body bytes", "transfer/s",
		"CPU cores: bench / postgres / other"}, rows)
	fmt.Println()
	rows = nil
	for _, r := range results {
		rows = append(rows, []string{r.backend, fmt.Sprintf("%.2f", r.ratioHTML), fmt.Sprintf("%.2f", r.ratioAS2),
			harness.MiB(r.idle.RSS), harness.MiB(r.loadRSS), harness.MiB(r.loadHWM)})
	}
	harness.Table(os.Stdout, []string{"db", "fedpress HTML / nginx", "fedpress AS2 / nginx", "serve VmRSS idle", "serve peak VmRSS under HTML load", "serve VmHWM after it"}, rows)
	fmt.Println()
	for _, r := range results {
		fmt.Printf("%s: permalink answered with %s\n", r.backend, r.cacheHeaders)
		for _, w := range r.runs {
			fmt.Printf("  %s: %s\n", w.name, w.Cmd)
		}
	}
	fmt.Println()
	fmt.Println(harness.Yardstick())
	fmt.Println("\nwrk, fedpress (or nginx) and PostgreSQL share the machine's CPUs; nginx runs worker_processes auto, access_log off, keepalive_requests 1000000.")
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench/pages:", err)
	os.Exit(1)
}

func get(url, accept string) (*http.Response, []byte, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

const as2 = "application/activity+json"

func runOne(common *harness.Common, backend, bin, dir, wrkBin, nginxBin string, wrkArgs []string) (result, error) {
	ctx := context.Background()
	res := result{backend: backend}
	blog, err := common.NewBlog(backend, bin, dir)
	if err != nil {
		return res, err
	}
	defer blog.Close()
	harness.Logf("%s: author add, post, comments", backend)
	if err := blog.AuthorAdd("alice", "Alice"); err != nil {
		return res, err
	}
	permalink, _, err := blog.Post("a-typical-article", harness.ArticleMarkdown("A typical article", "a-typical-article", "federation", "blogging"))
	if err != nil {
		return res, err
	}
	store, err := blog.Store(ctx)
	if err != nil {
		return res, err
	}
	art, err := store.ArticleBySlug(ctx, "a-typical-article")
	if err != nil {
		store.Close()
		return res, err
	}
	for i := range 5 {
		if _, err := store.CreateInteraction(ctx, &models.Interaction{ArticleID: art.ID, Kind: models.KindComment, Source: models.SourceWeb,
			Status: models.StatusApproved, AuthorName: fmt.Sprintf("Reader %d", i+1), AuthorEmail: fmt.Sprintf("reader%d@example.org", i+1),
			Content: "<p>Thanks for writing this up; the part about signatures answered a question I had for weeks.</p>"}); err != nil {
			store.Close()
			return res, err
		}
	}
	store.Close()

	serve, err := blog.Start("serve")
	if err != nil {
		return res, err
	}
	base := "http://" + serve.Addr
	path := strings.TrimPrefix(permalink, blog.BaseURL)
	htmlURL := base + path
	as2URL := fmt.Sprintf("%s/articles/%d", base, art.ID)

	resp, page, err := get(htmlURL, "")
	if err != nil || resp.StatusCode != http.StatusOK {
		return res, fmt.Errorf("GET %s: %v %v", htmlURL, statusOf(resp), err)
	}
	resp2, page2, err := get(htmlURL, "")
	if err != nil || resp2.StatusCode != http.StatusOK || !bytes.Equal(page, page2) {
		return res, fmt.Errorf("second GET %s: %v %v (or a different body)", htmlURL, statusOf(resp2), err)
	}
	res.cacheHeaders = fmt.Sprintf("X-Cache %s then %s, Content-Type %q, %d bytes", resp.Header.Get("X-Cache"), resp2.Header.Get("X-Cache"),
		resp2.Header.Get("Content-Type"), len(page))
	res.htmlBytes = len(page)
	time.Sleep(2 * time.Second)
	if res.idle, err = harness.ReadMem(serve.PID()); err != nil {
		return res, err
	}
	respAS2, doc, err := get(as2URL, as2)
	if err != nil || respAS2.StatusCode != http.StatusOK || !strings.Contains(respAS2.Header.Get("Content-Type"), "json") {
		return res, fmt.Errorf("GET %s as AS2: %v %v", as2URL, statusOf(respAS2), err)
	}
	res.as2Bytes = len(doc)

	ngx, err := startNginx(nginxBin, dir, path, page)
	if err != nil {
		return res, err
	}
	defer ngx.stop()
	_, static, err := get(ngx.base+path, "")
	if err != nil || !bytes.Equal(static, page) {
		return res, fmt.Errorf("nginx does not serve the saved page: %v", err)
	}

	type target struct {
		name, url, accept string
		bytes             int
		sample            bool
	}
	targets := []target{
		{"fedpress HTML permalink", htmlURL, "", len(page), true},
		{"fedpress AS2 /articles/ID", as2URL, as2, len(doc), false},
		{"nginx static HTML", ngx.base + path, "", len(page), false},
	}
	for _, t := range targets {
		args := append([]string{}, wrkArgs...)
		if t.accept != "" {
			args = append(args, "-H", "Accept: "+t.accept)
		}
		args = append(args, t.url)
		common.Quiet()
		harness.Logf("%s: wrk %s", backend, strings.Join(args, " "))
		var sampler *harness.Sampler
		if t.sample {
			sampler = harness.SampleMem(serve.PID(), 100*time.Millisecond)
		}
		watch := harness.WatchCPU()
		out, err := harness.RunWrk(wrkBin, args...)
		cpu := watch.Stop()
		if sampler != nil {
			res.loadRSS, res.loadHWM, res.samples = sampler.Stop()
		}
		if err != nil {
			return res, err
		}
		fmt.Fprintf(os.Stderr, "%s\n", out.Output)
		res.runs = append(res.runs, wrkResult{Wrk: out, name: t.name, bodyBytes: t.bytes, cpu: cpu})
	}
	if nginx := res.runs[2].RPS; nginx > 0 {
		res.ratioHTML = res.runs[0].RPS / nginx
		res.ratioAS2 = res.runs[1].RPS / nginx
	}
	return res, nil
}

func statusOf(r *http.Response) any {
	if r == nil {
		return "no response"
	}
	return r.Status
}

type nginx struct {
	base string
	cmd  *exec.Cmd
	done chan struct{}
}

// startNginx writes page under a new web root at path/index.html and runs
// nginx in the foreground on a free loopback port.
func startNginx(bin, dir, path string, page []byte) (*nginx, error) {
	addr, err := harness.FreeAddr()
	if err != nil {
		return nil, err
	}
	ndir := filepath.Join(dir, "nginx")
	root := filepath.Join(ndir, "www")
	file := filepath.Join(root, filepath.FromSlash(strings.Trim(path, "/")), "index.html")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(file, page, 0o644); err != nil {
		return nil, err
	}
	// Workers run as root when we are root: the temp folders are private.
	user := ""
	if os.Geteuid() == 0 {
		user = "user root root;\n"
	}
	conf := fmt.Sprintf(`daemon off;
%sworker_processes auto;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    types { text/html html; }
    default_type application/octet-stream;
    charset utf-8;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    server {
        listen %[3]s;
        root %[4]s;
        index index.html;
    }
}
`, user, ndir, addr, root)
	confPath := filepath.Join(ndir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-p", ndir, "-c", confPath, "-e", filepath.Join(ndir, "error.log"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	n := &nginx{base: "http://" + addr, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(n.done) }()
	err = harness.WaitFor(10*time.Second, 50*time.Millisecond, func() (bool, error) {
		select {
		case <-n.done:
			log, _ := os.ReadFile(filepath.Join(ndir, "error.log"))
			return false, fmt.Errorf("nginx exited: %s", log)
		default:
		}
		r, err := http.Get(n.base + path)
		if err != nil {
			return false, nil
		}
		r.Body.Close()
		return r.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		n.stop()
		return nil, err
	}
	return n, nil
}

// stop ends nginx (SIGQUIT: graceful; SIGKILL after 10 s).
func (n *nginx) stop() {
	select {
	case <-n.done:
		return
	default:
	}
	n.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		n.cmd.Process.Kill()
		<-n.done
	}
}
