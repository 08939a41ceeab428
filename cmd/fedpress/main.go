// Command fedpress runs a federated blog: `fedpress serve` starts it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
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
  fedpress help                 this text

Every command takes --data and --database-url; "fedpress CMD --help" lists its flags.
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
			fmt.Fprintln(os.Stderr, "fedpress:", err)
		}
		os.Exit(exitCode(err))
	}
}

var errUsage = errors.New("usage")

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
		switch {
		case len(args) >= 2 && args[1] == "add":
			return cmdAuthorAdd(ctx, args[2:], stdin, stdout, stderr)
		case len(args) >= 2 && args[1] == "reset-password":
			return cmdAuthorResetPassword(ctx, args[2:], stdout, stderr)
		}
		fmt.Fprint(stderr, "usage: fedpress author add --username U --name N --password-stdin [--role owner|editor|author]\n       fedpress author reset-password [--base-url URL] USERNAME\n")
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
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}
