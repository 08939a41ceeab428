package browser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"fedpress/test/testproc"
)

// Timeouts. The machine may be busy (CI runs other packages beside this
// one), so they are generous; a passing run takes far less.
const (
	actionTimeout = 20 * time.Second // one browser action, navigation included
	startTimeout  = 20 * time.Second // the server answering /healthz
)

func TestMain(m *testing.M) { testproc.Main(m) }

// ---------------------------------------------------------------- server

// server is one `fedpress serve` subprocess on a loopback port.
type server struct {
	bin, data, addr, base string
	out                   *testproc.Buffer // stdout and stderr, interleaved
	stdout                *testproc.Buffer // stdout alone (the setup URL)
}

// newServer prepares a data folder and a free port; start runs serve.
func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{
		bin: testproc.Fedpress(t), data: filepath.Join(t.TempDir(), "data"),
		addr: testproc.Addr(t), out: &testproc.Buffer{}, stdout: &testproc.Buffer{},
	}
	s.base = "http://" + s.addr
	return s
}

// cli runs a one-shot command (author add, post) on the same data folder:
// words are the command ("author", "add"), flags follow the common ones.
func (s *server) cli(stdin string, words []string, flags ...string) (string, error) {
	args := append(append(append([]string{}, words...), "--data", s.data, "--base-url", s.base), flags...)
	cmd := testproc.Command(context.Background(), s.bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	s.out.Write([]byte("$ fedpress " + strings.Join(args, " ") + "\n" + out.String()))
	return out.String(), err
}

// start runs `fedpress serve --addr … --data …` (plus extra flags) and waits
// until /healthz answers. The log is printed when the test fails.
func (s *server) start(t *testing.T, extra ...string) {
	t.Helper()
	args := append([]string{"serve", "--addr", s.addr, "--data", s.data}, extra...)
	cmd := testproc.Command(context.Background(), s.bin, args...)
	cmd.Stdout = s.stdout // Start adds s.out, which gets stderr too
	p, err := testproc.Start(cmd, s.out)
	if err != nil {
		t.Fatalf("start fedpress: %v", err)
	}
	t.Cleanup(func() {
		p.Stop(os.Interrupt, 5*time.Second) // SIGINT, then a kill after 5 s
		if t.Failed() {
			t.Logf("---- fedpress output (last 200 lines)\n%s", testproc.Tail(s.out.String(), 200))
		}
	})
	if err := p.WaitReady(startTimeout, 50*time.Millisecond, func() error { return testproc.Healthy(s.base) }); err != nil {
		t.Fatalf("fedpress serve: %v", err)
	}
}

var reSetupURL = regexp.MustCompile(`Create the first author: (\S+)`)

// setupURL is the one-time link serve prints on stdout when no author exists.
func (s *server) setupURL(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if m := reSetupURL.FindStringSubmatch(s.stdout.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no setup URL on stdout; stdout was:\n%s", s.stdout.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// get fetches a URL of the server with Go's client (no cookies).
func (s *server) get(path string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, s.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// ---------------------------------------------------------------- browser

// chromiumPath finds Debian's chromium, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := testproc.ChromiumPath(); p != "" {
		return p
	}
	testproc.SkipOrFail(t, "chromium is not installed (apt-get install chromium): the browser tests need it")
	return ""
}

// tab is one browser tab, with what its pages did that a test looks at.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu         sync.Mutex
	dialogs    []string // "alert: message", every JavaScript dialog that opened
	exceptions []string // uncaught exceptions, for failure messages
	csp        []string // Content-Security-Policy violations the console reported
}

// newBrowser starts a headless Chromium of its own (fresh profile) and
// returns its first tab. Chromium resolves only loopback names.
func newBrowser(t *testing.T, name string) *tab {
	t.Helper()
	exe := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("dns-prefetch-disable", true),
		chromedp.Flag("no-pings", true),
		// Loopback only: any other host name fails to resolve, so no page
		// (nor a payload of the XSS corpus) can reach the network.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"),
		chromedp.WindowSize(1280, 1000),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium-profile")),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first Do starts the browser; it must have no timeout of its own.
	errc := make(chan error, 1)
	go func() { errc <- chromedp.Do(ctx) }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("start chromium (%s): %v", exe, err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("chromium (%s) did not start within 60s", exe)
	}
	return watch(t, name, ctx)
}

// incognito opens a tab in a new browser context of the same browser: its
// own cookie jar and storage, as a different visitor has.
func (b *tab) incognito(name string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a new browser context: %v", err)
	}
	return watch(b.t, name, ctx)
}

// watch records the dialogs and exceptions of the tab. A dialog is
// dismissed at once (accepted only for beforeunload, so navigation goes on).
func watch(t *testing.T, name string, ctx context.Context) *tab {
	b := &tab{t: t, name: name, ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			b.mu.Lock()
			b.dialogs = append(b.dialogs, fmt.Sprintf("%s: %q at %s", ev.Type, ev.Message, ev.URL))
			b.mu.Unlock()
			accept := ev.Type == page.DialogTypeBeforeunload
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
		case *cdplog.EventEntryAdded:
			// Chromium reports what the page's policy refused on the console.
			if e := ev.Entry; e != nil && strings.Contains(e.Text, "Content Security Policy") {
				b.mu.Lock()
				b.csp = append(b.csp, fmt.Sprintf("%s: %s", e.URL, e.Text))
				b.mu.Unlock()
			}
		case *runtime.EventExceptionThrown:
			if d := ev.ExceptionDetails; d != nil {
				text := d.Text
				if d.Exception != nil && d.Exception.Description != "" {
					text += " " + d.Exception.Description
				}
				b.mu.Lock()
				b.exceptions = append(b.exceptions, fmt.Sprintf("%s:%d %s", d.URL, d.LineNumber+1, text))
				b.mu.Unlock()
			}
		}
	})
	if err != nil {
		t.Fatalf("listen to the tab's events: %v", err)
	}
	return b
}

func (b *tab) dialogList() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.dialogs...)
}

func (b *tab) cspList() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.csp...)
}

func (b *tab) exceptionList() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.exceptions...)
}

// timed is the tab's context with the action timeout.
func (b *tab) timed() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, actionTimeout)
}

// do runs actions that return nothing.
func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := b.timed()
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// open navigates and returns the HTTP status of the document.
func (b *tab) open(url string) (int64, error) {
	ctx, cancel := b.timed()
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", url, err)
	}
	if resp == nil {
		return 0, fmt.Errorf("open %s: no response", url)
	}
	return resp.Status, nil
}

// submit runs steps that cause a navigation (a click on a submit button)
// and waits for the next page; it returns that page's status.
func (b *tab) submit(steps ...chromedp.Action[chromedp.Void]) (int64, error) {
	ctx, cancel := b.timed()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		return 0, err
	}
	if resp == nil {
		return 0, errors.New("no response")
	}
	return resp.Status, nil
}

// location is the tab's URL.
func (b *tab) location() string {
	ctx, cancel := b.timed()
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(location: " + err.Error() + ")"
	}
	return u
}

// eval evaluates a JavaScript expression and decodes its JSON value.
func eval[T any](b *tab, expr string) (T, error) {
	ctx, cancel := b.timed()
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr))
}

// waitJS polls a boolean expression until it is true.
func (b *tab) waitJS(expr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		ok, err := eval[bool](b, "!!("+expr+")")
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("waiting for %s: %w", expr, err)
			}
			return fmt.Errorf("waiting for %s: still false after %s", expr, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// html is an element's outer HTML, cut for failure messages.
func (b *tab) html(css string) string {
	s, err := eval[string](b, `(function(){var e=document.querySelector(`+jsString(css)+`);return e?e.outerHTML:"(no element "+`+jsString(css)+`+")"})()`)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return testproc.Excerpt(s, 3000)
}

// text is the visible text of the page's body, cut for failure messages.
func (b *tab) text() string {
	s, err := eval[string](b, `document.body ? document.body.innerText : ""`)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return testproc.Excerpt(s, 2000)
}

// screenshot saves a PNG of the whole page.
func (b *tab) screenshot(path string) error {
	ctx, cancel := b.timed()
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	return os.WriteFile(path, buf, 0o644)
}

// ---------------------------------------------------------------- misc

// pngBytes is a small PNG: a gradient with a dark frame, so it can be
// told apart on a screenshot.
func pngBytes(t *testing.T, w, h int, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x < 3 || y < 3 || x >= w-3 || y >= h-3 {
				img.Set(x, y, color.RGBA{30, 30, 30, 255})
				continue
			}
			img.Set(x, y, color.RGBA{uint8(int(c.R) * x / w), uint8(int(c.G) * (w - x) / w), uint8(int(c.B) * y / h), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writePNG writes pngBytes to path.
func writePNG(t *testing.T, path string, w, h int, c color.RGBA) {
	t.Helper()
	if err := os.WriteFile(path, pngBytes(t, w, h, c), 0o644); err != nil {
		t.Fatal(err)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r < 0x20 || r == 0x2028 || r == 0x2029 || r == '<' || r == '>':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// steps runs named steps in order as subtests. A step that needs an
// earlier one is skipped when that one failed, so one broken page does not
// hide the state of every step after it.
type steps struct {
	t      *testing.T
	passed map[string]bool
}

func newSteps(t *testing.T) *steps { return &steps{t: t, passed: map[string]bool{}} }

func (s *steps) run(name string, needs []string, fn func(t *testing.T)) {
	s.t.Helper()
	for _, n := range needs {
		if !s.passed[n] {
			s.t.Run(name, func(t *testing.T) {
				t.Skipf("skipped: needs step %q, which did not pass", n)
			})
			return
		}
	}
	ok := false
	s.t.Run(name, func(t *testing.T) {
		fn(t)
		ok = !t.Failed() && !t.Skipped()
	})
	s.passed[name] = ok
}
