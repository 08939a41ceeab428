// Package skipped ends `go test ./...` with one line naming the suites a
// local run skipped (no PostgreSQL, no chromium, no Fedify peer) and how to
// enable them.
//
// It is a top-level folder named zz_skipped because go test prints the
// packages' results in import-path order, and starts their test binaries
// in that order too: this one comes last. A passing package's output is
// hidden in `go test ./...`, so the test writes its line straight to the
// go command's terminal or pipe (Linux), after the other test binaries have
// exited; with -v it is an ordinary log line.
package skipped
