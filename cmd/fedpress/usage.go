package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// setUsage makes fs print header, then its flags in the --flag style the
// README uses (the flag package itself prints -flag). Every flag registered
// on fs is listed but those in hide (accepted and ignored), so new flags
// appear without touching the help.
func setUsage(fs *flag.FlagSet, header string, hide ...string) {
	h := map[string]bool{}
	for _, n := range hide {
		h[n] = true
	}
	fs.Usage = func() { printUsage(fs.Output(), fs, header, h) }
}

// printUsage writes header (or "usage: NAME [flags]") and the flags of fs,
// except those in hide.
func printUsage(w io.Writer, fs *flag.FlagSet, header string, hide map[string]bool) {
	if header == "" {
		header = "usage: " + fs.Name() + " [flags]"
	}
	fmt.Fprintln(w, strings.TrimRight(header, "\n"))
	fmt.Fprintln(w, "\nFlags (each can also be set in the environment: --data → FEDPRESS_DATA):")
	fs.VisitAll(func(f *flag.Flag) {
		if hide[f.Name] {
			return
		}
		kind, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if kind != "" {
			line += " " + kind
		}
		fmt.Fprintln(w, line)
		if !isZeroDefault(f) {
			usage += fmt.Sprintf(" (default %q)", f.DefValue)
		}
		fmt.Fprintln(w, "        "+strings.ReplaceAll(usage, "\n", "\n        "))
	})
}

// isZeroDefault reports whether f's default is not worth printing.
func isZeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false":
		return true
	}
	return false
}

// parseArgs parses args into fs. The flag package's own messages ("flag
// provided but not defined: -x", followed by every flag) are replaced by
// one sentence in the README's --flag style; --help prints the usage.
func parseArgs(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	if err == nil {
		return nil
	}
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return err
	}
	return fmt.Errorf("%w: %s (%q lists the flags)", errUsage, flagProblem(fs, err), fs.Name()+" --help")
}

// flagProblem rewords an error of flag.FlagSet.Parse for people.
func flagProblem(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	name := func(s string) string { return "--" + strings.TrimLeft(s, "-") }
	switch {
	case strings.HasPrefix(msg, "flag provided but not defined: "):
		return "unknown flag " + name(strings.TrimPrefix(msg, "flag provided but not defined: "))
	case strings.HasPrefix(msg, "flag needs an argument: "):
		return name(strings.TrimPrefix(msg, "flag needs an argument: ")) + " needs a value"
	case strings.HasPrefix(msg, "bad flag syntax: "):
		return fmt.Sprintf("%q is not a flag", strings.TrimPrefix(msg, "bad flag syntax: "))
	}
	// invalid value "x" for flag -n: …; invalid boolean value "x" for -n: …
	var f *flag.Flag
	fs.VisitAll(func(g *flag.Flag) {
		if strings.Contains(msg, " -"+g.Name+": ") {
			f = g
		}
	})
	if f != nil {
		if i := strings.Index(msg, `"`); i >= 0 {
			if j := strings.Index(msg[i+1:], `"`); j >= 0 {
				return fmt.Sprintf("--%s %s is not %s", f.Name, msg[i:i+j+2], expectedValue(f))
			}
		}
		return fmt.Sprintf("--%s needs %s", f.Name, expectedValue(f))
	}
	return msg
}

// expectedValue names the kind of value f takes.
func expectedValue(f *flag.Flag) string {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return "true or false"
	}
	switch kind, _ := flag.UnquoteUsage(f); kind {
	case "int", "uint":
		return "a whole number"
	case "duration":
		return "a duration such as 30s or 5m"
	case "float":
		return "a number"
	}
	return "a valid value"
}

// versionString is the version set with -ldflags "-X main.version=…", else
// the module version or VCS revision Go stamped into the binary, else
// "devel" (go run, go test).
func versionString() string {
	if version != "dev" && version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev + modified
}
