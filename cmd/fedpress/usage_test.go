package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestHelp: every command's help exits 0 and lists its own flags, in the
// README's --flag style, and no flag the command would ignore.
func TestHelp(t *testing.T) {
	tests := []struct {
		args    []string
		want    []string // in the output
		notWant []string // flags of other commands
	}{
		{[]string{"--help"}, []string{"fedpress serve [flags]", "fedpress version"}, nil},
		{[]string{"-h"}, []string{"fedpress serve [flags]"}, nil},
		{[]string{"help"}, []string{"fedpress serve [flags]"}, nil},
		{[]string{"help", "post"}, []string{"usage: fedpress post", "--base-url"}, nil},
		{[]string{"serve", "--help"}, []string{"usage: fedpress serve", "--addr string", "--no-worker", "--workers int", "--data string", "--base-url", `(default "127.0.0.1:8080")`}, []string{"--username", "--force", "--media-dir"}},
		{[]string{"worker", "-h"}, []string{"usage: fedpress worker", "--workers int", "--inbox-workers", "--instance-name", "--data"}, []string{"--addr", "--no-worker", "--metrics", "--max-upload-mb", "--username"}},
		{[]string{"author", "--help"}, []string{"usage: fedpress author COMMAND", "add"}, nil},
		{[]string{"author", "help"}, []string{"usage: fedpress author COMMAND"}, nil},
		{[]string{"author", "add", "--help"}, []string{"usage: fedpress author add", "--username string", "--name string", "--password-stdin", "--role string", "--data string", "--database-url"}, []string{"--addr", "--base-url", "--log-format", "--allow-private-peers", "--workers"}},
		{[]string{"post", "--help"}, []string{"usage: fedpress post", "Front matter", "--data", "--base-url", "--log-level"}, []string{"--addr", "--username", "--workers"}},
		{[]string{"import-wxr", "--help"}, []string{"usage: fedpress import-wxr", "--media-dir string", "--data"}, []string{"--addr", "--base-url", "--log-format", "--username"}},
		{[]string{"backup", "--help"}, []string{"usage: fedpress backup", "--data", "--database-url"}, []string{"--addr", "--base-url", "--force", "--log-format"}},
		{[]string{"restore", "--help"}, []string{"usage: fedpress restore", "--force", "--data"}, []string{"--addr", "--base-url", "--log-format"}},
		{[]string{"export", "--help"}, []string{"usage: fedpress export", "--data"}, []string{"--addr", "--base-url", "--force", "--log-format"}},
	}
	singleDash := regexp.MustCompile(`(?m)^\s+-[a-z]`)
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tc.args, strings.NewReader(""), &out, &errOut)
			if err != nil {
				t.Fatalf("err %v (exit %d), want exit 0", err, exitCode(err))
			}
			help := out.String() + errOut.String()
			for _, w := range tc.want {
				if !strings.Contains(help, w) {
					t.Errorf("help does not contain %q:\n%s", w, help)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(help, w) {
					t.Errorf("help lists %s, which this command does not use:\n%s", w, help)
				}
			}
			if m := singleDash.FindString(help); m != "" {
				t.Errorf("help lists a flag as %q, not --flag:\n%s", m, help)
			}
		})
	}
}

// TestUsageErrors: misuse exits 2 with one sentence naming the problem in
// --flag style, not the flag package's wording or the whole flag list.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"author"}, nil, ""},
		{[]string{"author", "remove"}, nil, ""},
		{[]string{"serve", "--no-such-flag"}, nil, `unknown flag --no-such-flag ("fedpress serve --help" lists the flags)`},
		{[]string{"serve", "--workers", "many"}, nil, `--workers "many" is not a whole number`},
		{[]string{"worker", "--addr"}, nil, "--addr needs a value"},
		{[]string{"author", "add", "--password-stdin=perhaps"}, nil, `--password-stdin "perhaps" is not true or false`},
		{[]string{"backup", "--bogus-flag", "dir"}, nil, "unknown flag --bogus-flag"},
		{[]string{"export", "dir", "--bogus"}, nil, `unknown flag --bogus ("fedpress export --help"`},
		{[]string{"serve"}, map[string]string{"FEDPRESS_PER_HOST": "four"}, `FEDPRESS_PER_HOST="four" is not a whole number (it sets --per-host)`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var out, errOut bytes.Buffer
			err := run(context.Background(), tc.args, strings.NewReader(""), &out, &errOut)
			if err == nil || exitCode(err) != 2 {
				t.Fatalf("err %v, want a usage error (exit 2)", err)
			}
			if tc.want == "" {
				return
			}
			msg := userMessage(err)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not contain %q", msg, tc.want)
			}
			for _, raw := range []string{"usage:", "flag provided but not defined", "parse error", "strconv.", "invalid syntax"} {
				if strings.Contains(msg, raw) {
					t.Errorf("message %q shows %q", msg, raw)
				}
			}
			if strings.Contains(errOut.String(), "--data") {
				t.Errorf("the whole flag list was printed for a mistake:\n%s", errOut.String())
			}
		})
	}
}

// TestVersion: --version and version print the version, exit 0; a build's
// -ldflags "-X main.version=…" wins over the fallback.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"-version"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, strings.NewReader(""), &out, &out); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if got := out.String(); !strings.HasPrefix(got, "fedpress ") || strings.TrimSpace(strings.TrimPrefix(got, "fedpress ")) == "" {
			t.Errorf("%v printed %q", args, got)
		}
	}
	if v := versionString(); v == "" || v == "dev" {
		t.Errorf("versionString() = %q, want a module version or devel", v)
	}
}

// TestCommonFlagsAccepted: every command accepts the common flags, even
// those its help leaves out, so one set of flags (a script's, the tests')
// works for all of them.
func TestCommonFlagsAccepted(t *testing.T) {
	common := []string{"--data", t.TempDir(), "--base-url", "http://blog.test", "--log-format", "json", "--log-level", "debug", "--allow-private-peers"}
	for _, cmd := range [][]string{{"serve"}, {"worker"}, {"author", "add"}, {"post"}, {"import-wxr"}, {"backup"}, {"restore"}, {"export"}} {
		args := append(append(append([]string{}, cmd...), common...), "--help")
		if err := run(context.Background(), args, strings.NewReader(""), new(bytes.Buffer), new(bytes.Buffer)); err != nil {
			t.Errorf("%v: %v", cmd, err)
		}
	}
}
