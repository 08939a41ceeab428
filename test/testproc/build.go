package testproc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Build compiles ./cmd/fedpress of the working tree into dir/fedpress
// and returns the binary's path and how long the build took. flags go to
// `go build` before -o. The build runs in the module root (from `go env
// GOMOD`), so it works from any folder of the module: a test runs in its
// package's folder, a bench program in the one it was started from.
func Build(dir string, flags ...string) (bin string, took time.Duration, err error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", 0, fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", 0, errors.New("go env GOMOD: not inside a module (run from the fedpress repository)")
	}
	bin = filepath.Join(dir, "fedpress")
	cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", bin, "./cmd/fedpress")...)
	cmd.Dir = filepath.Dir(gomod)
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", 0, fmt.Errorf("go build ./cmd/fedpress: %v\n%s", err, out)
	}
	return bin, time.Since(start), nil
}

// shared is the binary Fedpress built for this test binary.
var shared struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// Fedpress returns the fedpress binary of the working tree, built on the
// first call and then shared by every test of the test binary (a build
// takes tens of seconds; the tests start many processes). It is built
// without symbol table and DWARF (-ldflags=-s -w): linking is the slow
// part, and a test needs no debugger. A package that calls it must have
// Main as its TestMain, which removes the binary's temp folder.
func Fedpress(t TB) string {
	t.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "fedpress-testproc-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		bin, took, err := Build(dir, "-ldflags=-s -w")
		if err != nil {
			shared.err = err
			return
		}
		shared.bin = bin
		fmt.Fprintf(os.Stderr, "testproc: built fedpress in %s\n", took.Round(time.Millisecond))
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.bin
}

// Main runs the tests and exits with their code after removing the
// binary Fedpress built (t.TempDir cannot hold it: the binary outlives
// the test that built it). Use it as TestMain:
//
//	func TestMain(m *testing.M) { testproc.Main(m) }
func Main(m interface{ Run() int }) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}
