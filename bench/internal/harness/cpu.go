package harness

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"fedpress/test/testproc"
)

// The benchmarks may run on a machine other work shares (tests of another
// checkout, a build). CPUWatch measures, during a run, the CPU used by the
// whole machine, by this program and its children, by PostgreSQL (which
// serves other clients too) and by everything else, so a summary can say
// how quiet the machine was. WaitQuiet holds a run back until it is.

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

// machineBusy reads the busy and total jiffies of /proc/stat.
func machineBusy() (busy, total uint64, err error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("unexpected /proc/stat: %q", line)
	}
	for i, s := range f[1:] {
		v, _ := strconv.ParseUint(s, 10, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total, nil
}

type procTicks struct {
	comm  string
	ppid  int
	ticks uint64
}

func readProcs() map[int]procTicks {
	out := map[int]procTicks{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(data)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		f := strings.Fields(s[close+1:])
		if len(f) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		ut, _ := strconv.ParseUint(f[11], 10, 64)
		st, _ := strconv.ParseUint(f[12], 10, 64)
		out[pid] = procTicks{comm: s[open+1 : close], ppid: ppid, ticks: ut + st}
	}
	return out
}

// CPUUse is CPU time over a run, in cores (1.0 = one CPU busy all along).
type CPUUse struct {
	Wall     time.Duration
	Machine  float64 // everything
	Ours     float64 // this program and its descendants (fedpress, wrk, nginx)
	Postgres float64 // every postgres process, ours and other clients'
	Other    float64 // the rest: other work sharing the machine
}

func (u CPUUse) String() string {
	return fmt.Sprintf("machine %.2f cores busy: this benchmark %.2f, postgres %.2f, other processes %.2f",
		u.Machine, u.Ours, u.Postgres, u.Other)
}

// CPUWatch samples the machine's processes until stopped.
type CPUWatch struct {
	start            time.Time
	busy0            uint64
	stop, done       chan struct{}
	mu               sync.Mutex
	last             map[int]procTicks
	ours, pg, others uint64
}

// WatchCPU starts a CPUWatch sampling every 250 ms.
func WatchCPU() *CPUWatch {
	w := &CPUWatch{start: time.Now(), stop: make(chan struct{}), done: make(chan struct{}), last: readProcs()}
	w.busy0, _, _ = machineBusy()
	go func() {
		defer close(w.done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				w.sample()
				return
			case <-t.C:
				w.sample()
			}
		}
	}()
	return w
}

func (w *CPUWatch) sample() {
	now := readProcs()
	self := os.Getpid()
	isOurs := func(pid int) bool {
		for range 64 {
			if pid == self {
				return true
			}
			p, ok := now[pid]
			if !ok || pid <= 1 {
				return false
			}
			pid = p.ppid
		}
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for pid, p := range now {
		old, ok := w.last[pid]
		if !ok || old.ticks > p.ticks {
			old.ticks = 0 // started since the last sample
		}
		d := p.ticks - old.ticks
		switch {
		case d == 0:
		case isOurs(pid):
			w.ours += d
		case p.comm == "postgres":
			w.pg += d
		default:
			w.others += d
		}
	}
	w.last = now
}

// Stop ends the watch. Other is the machine's busy time less ours and
// PostgreSQL's, so short-lived processes missed between samples count there.
func (w *CPUWatch) Stop() CPUUse {
	close(w.stop)
	<-w.done
	busy1, _, _ := machineBusy()
	wall := time.Since(w.start)
	cores := func(ticks uint64) float64 { return float64(ticks) / clockTicks / wall.Seconds() }
	u := CPUUse{Wall: wall, Machine: cores(busy1 - w.busy0), Ours: cores(w.ours), Postgres: cores(w.pg)}
	u.Other = max(u.Machine-u.Ours-u.Postgres, 0)
	return u
}

// WaitQuiet waits until the machine is idle but for maxCores of CPU (over
// one-second windows, twice in a row), at most timeout. It reports the
// last measured load and whether it was quiet.
func WaitQuiet(maxCores float64, timeout time.Duration) (float64, bool) {
	deadline := time.Now().Add(timeout)
	quiet, load, warned := 0, 0.0, false
	for {
		b0, _, _ := machineBusy()
		time.Sleep(time.Second)
		b1, _, _ := machineBusy()
		load = float64(b1-b0) / clockTicks
		if load <= maxCores {
			quiet++
			if quiet >= 2 {
				return load, true
			}
			continue
		}
		quiet = 0
		if time.Now().After(deadline) {
			Logf("machine still busy (%.2f cores) after %v: measuring anyway", load, timeout)
			return load, false
		}
		if !warned {
			Logf("machine busy (%.2f cores used by other work): waiting up to %v for it to calm down", load, timeout)
			warned = true
		}
	}
}

// Yardstick is testproc.SignRate as a line for a summary.
func Yardstick() string {
	one, all, err := testproc.SignRate(time.Second)
	if err != nil {
		return "CPU yardstick failed: " + err.Error()
	}
	return fmt.Sprintf("CPU yardstick right after the run: RSA-2048 signatures/s %.0f on one goroutine, %.0f on %d (×%.2f)",
		one, all, runtime.GOMAXPROCS(0), all/one)
}

// ProcCPU is the CPU time (user + system) a process has used so far.
func ProcCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}
