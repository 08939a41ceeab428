// Command fedpress runs a federated blog: `fedpress serve` starts it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

const usage = `fedpress — a federated blog server

Usage:
  fedpress serve [flags]        run the blog (web, inbox and background workers)
  fedpress worker [flags]       run only the background work (inbox, delivery, scheduling)
  fedpress author add [flags]   create an account (--username, --name, --password-stdin, --role)
  fedpress author reset-password [flags] USERNAME
                                print a one-time link (valid 1 hour) to set a new password
  fedpress post [flags] FILE.md publish a Markdown file with YAML front matter
  fedpress import-wxr [flags] FILE.xml
                                import a WordPress export (--media-dir: the old uploads folder)
  fedpress backup [flags] DIR   snapshot the database and media into DIR (safe while serve runs)
  fedpress restore [flags] DIR  restore a backup into --data (stop serve first; --force replaces)
  fedpress export [flags] DIR   write every article as Markdown + front matter, comments as JSON
  fedpress media-clean [flags]  strip location data from earlier uploads, make resized copies
  fedpress version              the version of this binary (also --version)
  fedpress help [CMD]           this text, or the help of CMD

Every command takes --data and --database-url; "fedpress CMD --help" lists its flags.
`

// authorUsage is the help of `fedpress author`.
const authorUsage = `usage: fedpress author COMMAND [flags]

Commands:
  add             create an account (--username, --name, --password-stdin, --role)
  reset-password  print a one-time link (valid 1 hour) to set USERNAME's new password

"fedpress author COMMAND --help" lists its flags.
`

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		// A bare errUsage means the usage text was printed already.
		if err != errUsage {
			fmt.Fprintln(os.Stderr, "fedpress:", userMessage(err))
		}
		os.Exit(exitCode(err))
	}
}

var errUsage = errors.New("usage")

// userMessage is what a person reads of err: without the "usage: " that
// only marks the exit code, and with the Go errors people meet most (a
// date in the wrong shape, a missing file) said in words.
func userMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
	var te *time.ParseError
	if errors.As(err, &te) {
		msg = strings.Replace(msg, te.Error(), fmt.Sprintf("the date %q is not one fedpress reads; write it as 2026-12-01T10:00:00Z (or with your offset, +01:00, instead of Z)", te.Value), 1)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		words := pe.Err.Error()
		switch {
		case errors.Is(pe.Err, fs.ErrNotExist):
			words = "no such file or folder"
		case errors.Is(pe.Err, fs.ErrPermission):
			words = "permission denied"
		}
		// "read a.md: open a.md: no such file…" → "read a.md: no such file…"
		msg = strings.Replace(msg, pe.Error(), words, 1)
	}
	return msg
}

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// run dispatches a command; main only adds signals and the exit code, so
// tests can call run directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], stdout, stderr, true)
	case "worker":
		return cmdServe(ctx, args[1:], stdout, stderr, false)
	case "author":
		if len(args) < 2 {
			fmt.Fprint(stderr, authorUsage)
			return errUsage
		}
		switch args[1] {
		case "add":
			return cmdAuthorAdd(ctx, args[2:], stdin, stdout, stderr)
		case "reset-password":
			return cmdAuthorResetPassword(ctx, args[2:], stdout, stderr)
		case "help", "-h", "-help", "--help":
			fmt.Fprint(stdout, authorUsage)
			return nil
		}
		fmt.Fprintf(stderr, "unknown command \"author %s\"\n\n%s", args[1], authorUsage)
		return errUsage
	case "post":
		return cmdPost(ctx, args[1:], stdout, stderr)
	case "import-wxr":
		return cmdImportWXR(ctx, args[1:], stdout, stderr)
	case "backup":
		return cmdBackup(ctx, args[1:], stdout, stderr)
	case "restore":
		return cmdRestore(ctx, args[1:], stdout, stderr)
	case "export":
		return cmdExport(ctx, args[1:], stdout, stderr)
	case "media-clean":
		return cmdMediaClean(ctx, args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "fedpress", versionString())
		return nil
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[0] == "help" && args[1] != "help" { // fedpress help CMD
			return run(ctx, append(args[1:], "--help"), stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}
