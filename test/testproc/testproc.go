// Package testproc holds what the end-to-end tests (test/browser,
// test/interop, test/scaleout) and the benchmark programs (bench/) need to
// run the real fedpress binary as a child process: building it, a free
// loopback port, an environment without the developer's FEDPRESS_*
// settings, starting a child with its output kept in memory, waiting until
// it is ready, stopping or killing it, and cutting its log for a failure
// message. They share this one copy, so that a fix (a stop that waits for
// the exit, a build that works from any folder) reaches all of them.
//
// It is a normal package, not a _test.go file, so that bench mains can
// import it too; for the same reason it does not import testing: what it
// needs of a test is the small interface TB.
package testproc

import (
	"net"
	"os"
	"strings"
)

// TB is the part of testing.TB the helpers use (*testing.T satisfies
// it). It is an interface of its own so that this package need not import
// testing, which the bench programs have no use for.
type TB interface {
	Helper()
	Fatal(args ...any)
	Skip(args ...any)
}

// CI reports whether the environment variable CI is set. Locally a test
// whose tools are missing (chromium, node, PostgreSQL) is skipped; on CI it
// fails, so that a CI image without them cannot pass by skipping.
func CI() bool { return os.Getenv("CI") != "" }

// SkipOrFail skips the test with msg, or fails it when CI is set (see CI).
func SkipOrFail(t TB, msg string) {
	t.Helper()
	if CI() {
		t.Fatal(msg + " (CI is set, so this is a failure: CI must provide it)")
	}
	t.Skip(msg)
}

// FreeAddr is a loopback address ("127.0.0.1:PORT") whose port was free a
// moment ago. The listener is closed before it returns, because the child
// that will listen there is another process; another program could take
// the port in between, which on a test machine does not happen in practice.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Addr is FreeAddr for a test: it fails the test when there is no port.
func Addr(t TB) string {
	t.Helper()
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// Excerpt is the first n bytes of s, with "…" when it was longer: a page
// or a body in a failure message, without flooding the log.
func Excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Tail is the last n lines of s: the end of a child's log, where the
// reason it failed usually is.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
