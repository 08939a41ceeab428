package skipped

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"fedpress/models/modelstest"
	"fedpress/test/testproc"
)

// TestSkippedSuites names what this run skips; it never fails.
func TestSkippedSuites(t *testing.T) {
	line := summary(skippedSuites(".."))
	if line == "" {
		return
	}
	t.Log(line)
	defer neverCached(t)
	if testing.Verbose() { // -v and -json show the log line
		return
	}
	deadline := time.Now().Add(9 * time.Minute)
	if d, ok := t.Deadline(); ok {
		deadline = d.Add(-30 * time.Second)
	}
	if err := announce(line, deadline); err != nil {
		t.Logf("could not show the line: %v", err)
	}
}

// neverCached keeps go test from caching this result: a cached pass
// replays only "ok", which would hide the line on the next run. go test
// does not cache a run that read a file of the module changed less than
// two seconds before it ended, so the test rewrites one (.ran, ignored by
// git) as it ends.
func neverCached(t *testing.T) {
	if err := os.WriteFile(".ran", []byte(time.Now().UTC().Format(time.RFC3339Nano)+"\n"), 0o644); err != nil {
		t.Logf("this result may be cached (%v): go test -count=1 shows the line again", err)
	}
}

// skippedSuites lists what a run skips here, each with how to enable it.
func skippedSuites(root string) []string {
	var s []string
	if os.Getenv(modelstest.EnvPostgres) == "" {
		s = append(s, "PostgreSQL variants and scale-out tests (set "+modelstest.EnvPostgres+"=postgres://user@127.0.0.1:5432/db?sslmode=disable)")
	}
	if testproc.ChromiumPath() == "" {
		s = append(s, "browser tests (apt-get install chromium)")
	}
	if p := testproc.FedifyPeerProblem(root); p != "" {
		s = append(s, "Fedify interop test ("+p+")")
	}
	if testing.Short() {
		s = append(s, "interop and scale-out tests (drop -short)")
	}
	return s
}

// summary is the one line, or "" when nothing is skipped.
func summary(skipped []string) string {
	if len(skipped) == 0 {
		return ""
	}
	return "SKIPPED: " + strings.Join(skipped, "; ") + ". .ci/run sets all of this up."
}

// announce shows line below the results of `go test ./...`. The go command
// (our parent) buffers a passing package's output and shows only "ok", so
// the line goes to its own standard output once every other test binary
// it started has exited: ours is started last. A regular file cannot be
// shared that way (the go command would write over the line), so then, as
// on systems without /proc, the line stays in the -v log only.
func announce(line string, deadline time.Time) error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("needs /proc")
	}
	parent := os.Getppid()
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", parent))
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		fmt.Println(line) // run on its own: our output is shown as it is
		return nil
	}
	target := fmt.Sprintf("/proc/%d/fd/1", parent)
	ours, err1 := os.Stat("/proc/self/fd/1")
	theirs, err2 := os.Stat(target)
	switch {
	case err1 != nil || err2 != nil:
		return fmt.Errorf("stat standard outputs: %v %v", err1, err2)
	case os.SameFile(ours, theirs): // go test in a package folder streams our output
		fmt.Println(line)
		return nil
	case theirs.Mode().IsRegular():
		return fmt.Errorf("the go command writes to a file")
	}
	// Poll (there is no event to wait on) until the other test binaries
	// are gone and the go command has written their results: it writes
	// nothing more until ours ends, so its written-bytes counter holds
	// still for a few polls.
	const poll, quiet = 50 * time.Millisecond, 6
	last, still := int64(-1), 0
	for time.Now().Before(deadline) && still < quiet {
		time.Sleep(poll)
		w := written(parent)
		if siblings(parent) > 0 || w != last {
			last, still = w, 0
			continue
		}
		still++
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintln(f, line)
	return err
}

// written is the number of bytes pid has written (wchar), or -1.
func written(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// siblings counts the other processes of parent (test binaries, compilers),
// exited ones not yet reaped included: until the go command has reaped a
// test binary, it has not printed that package's result.
func siblings(parent int) int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	self, n := os.Getpid(), 0
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(parent) {
			n++
		}
	}
	return n
}

func TestSummary(t *testing.T) {
	tests := []struct {
		skipped []string
		want    string
	}{
		{nil, ""},
		{[]string{"browser tests (apt-get install chromium)"}, "SKIPPED: browser tests (apt-get install chromium). .ci/run sets all of this up."},
		{[]string{"a (x)", "b (y)"}, "SKIPPED: a (x); b (y). .ci/run sets all of this up."},
	}
	for _, tc := range tests {
		if got := summary(tc.skipped); got != tc.want {
			t.Errorf("summary(%q) = %q, want %q", tc.skipped, got, tc.want)
		}
	}
}

// TestSkippedSuitesNamesPostgres: without the variable the line names it
// and says how to set it; with it, it does not.
func TestSkippedSuitesNamesPostgres(t *testing.T) {
	t.Setenv(modelstest.EnvPostgres, "")
	if got := strings.Join(skippedSuites(".."), ";"); !strings.Contains(got, modelstest.EnvPostgres+"=postgres://") {
		t.Errorf("without %s: %q", modelstest.EnvPostgres, got)
	}
	t.Setenv(modelstest.EnvPostgres, "postgres://x")
	if got := strings.Join(skippedSuites(".."), ";"); strings.Contains(got, "PostgreSQL") {
		t.Errorf("with %s: %q", modelstest.EnvPostgres, got)
	}
}
