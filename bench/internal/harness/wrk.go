package harness

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Wrk is what one wrk run reported.
type Wrk struct {
	Cmd      string // the command line, shell-quoted
	RPS      float64
	P50, P99 string // as wrk prints them (--latency)
	Requests int64
	Non2xx   int64
	SockErrs string
	Transfer string
	Output   string
}

var (
	reRPS      = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reTransfer = regexp.MustCompile(`Transfer/sec:\s+(\S+)`)
	reP50      = regexp.MustCompile(`\n\s+50%\s+(\S+)`)
	reP99      = regexp.MustCompile(`\n\s+99%\s+(\S+)`)
	reReqs     = regexp.MustCompile(`(\d+) requests in`)
	reNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	reSock     = regexp.MustCompile(`Socket errors:\s+([^\n]+)`)
)

// RunWrk runs wrk with args (the URL last) and parses its report.
func RunWrk(bin string, args ...string) (Wrk, error) {
	w := Wrk{Cmd: "wrk " + ShellJoin(args)}
	out, err := exec.Command(bin, args...).CombinedOutput()
	w.Output = string(out)
	if err != nil {
		return w, fmt.Errorf("%s: %w\n%s", w.Cmd, err, out)
	}
	m := reRPS.FindStringSubmatch(w.Output)
	if m == nil {
		return w, fmt.Errorf("%s: no Requests/sec in its output:\n%s", w.Cmd, out)
	}
	w.RPS, _ = strconv.ParseFloat(m[1], 64)
	if m := reP50.FindStringSubmatch(w.Output); m != nil {
		w.P50 = m[1]
	}
	if m := reP99.FindStringSubmatch(w.Output); m != nil {
		w.P99 = m[1]
	}
	if m := reReqs.FindStringSubmatch(w.Output); m != nil {
		w.Requests, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := reNon2xx.FindStringSubmatch(w.Output); m != nil {
		w.Non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	w.SockErrs = "0"
	if m := reSock.FindStringSubmatch(w.Output); m != nil {
		w.SockErrs = strings.TrimSpace(m[1])
	}
	if m := reTransfer.FindStringSubmatch(w.Output); m != nil {
		w.Transfer = m[1]
	}
	return w, nil
}

// ShellJoin quotes arguments for printing a command to paste in a shell.
func ShellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " :'\"&?;$*") {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		} else {
			out[i] = a
		}
	}
	return strings.Join(out, " ")
}
