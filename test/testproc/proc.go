package testproc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// CleanEnv is this process's environment without the FEDPRESS_*
// variables. Every flag of fedpress can also be set as FEDPRESS_<FLAG>,
// so a developer's or CI's own settings (FEDPRESS_DATABASE_URL, …) would
// change what the flags a test passes say.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FEDPRESS_") {
			env = append(env, kv)
		}
	}
	return env
}

// Command is exec.CommandContext with the environment of CleanEnv: how a
// test runs fedpress.
func Command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = CleanEnv()
	return cmd
}

// Buffer collects a child's output. os/exec copies stdout and stderr from
// goroutines of its own while the test reads the buffer, so every access
// holds a lock.
type Buffer struct {
	// Max, when above 0, stops collecting once the buffer holds Max bytes
	// (later writes are dropped but reported as written): a long
	// benchmark needs only the start of the log, to see a start-up line.
	Max int

	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Max > 0 && b.b.Len() >= b.Max {
		return len(p), nil
	}
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Contains reports whether s has been written.
func (b *Buffer) Contains(s string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Contains(b.b.Bytes(), []byte(s))
}

// Proc is a started child process and its output.
type Proc struct {
	Cmd  *exec.Cmd
	Out  *Buffer // stdout and stderr, interleaved
	done chan struct{}
}

// Start starts cmd with its stdout and stderr going to out (a new Buffer
// when nil). A writer already in cmd.Stdout or cmd.Stderr receives its
// stream as well; when both are the same writer (or both nil) the child
// gets a single pipe, so its stdout and stderr lines keep their order.
// A goroutine waits for the child, so Done, Stop and Kill see it exit.
func Start(cmd *exec.Cmd, out *Buffer) (*Proc, error) {
	if out == nil {
		out = &Buffer{}
	}
	same := sameWriter(cmd.Stdout, cmd.Stderr)
	cmd.Stdout = tee(out, cmd.Stdout)
	if same {
		cmd.Stderr = cmd.Stdout
	} else {
		cmd.Stderr = tee(out, cmd.Stderr)
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Proc{Cmd: cmd, Out: out, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func tee(out *Buffer, w io.Writer) io.Writer {
	if w == nil {
		return out
	}
	return io.MultiWriter(out, w)
}

// sameWriter is a == b, false where the writers cannot be compared.
func sameWriter(a, b io.Writer) (same bool) {
	defer func() { _ = recover() }()
	return a == b
}

// PID is the child's process id.
func (p *Proc) PID() int { return p.Cmd.Process.Pid }

// Done is closed once the child has exited and been waited for.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited reports whether the child has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Kill ends the child with SIGKILL (no shutdown at all) and waits for it.
func (p *Proc) Kill() {
	_ = p.Cmd.Process.Kill()
	<-p.done
}

// Stop asks the child to end with sig (os.Interrupt or SIGTERM: a clean
// shutdown), kills it when it has not exited after grace, and returns
// once it has exited. Stopping a nil Proc or one that has exited does
// nothing, so a clean-up may call it whatever happened before.
func (p *Proc) Stop(sig os.Signal, grace time.Duration) {
	if p == nil || p.Exited() {
		return
	}
	_ = p.Cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.Kill()
	}
}

// WaitReady polls ready every interval until it returns nil. It returns
// an error, with the child's output so far, when the child exits first or
// ready still fails after timeout (then with ready's last error).
func (p *Proc) WaitReady(timeout, every time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("exited at start (%v); its output:\n%s", p.Cmd.ProcessState, p.Out)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s (last: %v); its output:\n%s", timeout, err, p.Out)
		}
		time.Sleep(every)
	}
}

// Healthy is nil once GET base/healthz answers 200: `fedpress serve`
// listens and answers requests. base is "http://HOST:PORT".
func Healthy(base string) error {
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s/healthz: %s", base, resp.Status)
	}
	return nil
}
