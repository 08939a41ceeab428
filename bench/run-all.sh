#!/usr/bin/env bash
# Runs every fedpress benchmark one after the other and keeps each summary
# (stdout) and progress log (stderr) in OUT, default /tmp/fedpress-bench-DATE.
# Needs: Go, wrk, nginx, PostgreSQL at $FEDPRESS_TEST_POSTGRES. About 15 min
# on a quiet 2-core machine; each program waits for the machine to be quiet
# before measuring (-quiet-cores, -quiet-wait). See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-${TMPDIR:-/tmp}/fedpress-bench-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
export FEDPRESS_TEST_POSTGRES=${FEDPRESS_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
run() {
	local name=$1
	shift
	echo "== $name: go run $*"
	go run "$@" >"$out/$name.txt" 2>"$out/$name.log"
	cat "$out/$name.txt"
}
run inbox ./bench/inbox -n 5000 -c 16 -db sqlite,postgres
run inbox-50-actors ./bench/inbox -n 5000 -c 16 -actors 50 -db sqlite,postgres
run pages ./bench/pages -db sqlite,postgres
run fanout-postgres ./bench/fanout -db postgres
run fanout-sqlite ./bench/fanout -db sqlite -layouts 'serve;serve,serve,serve'
run memory ./bench/memory -db sqlite,postgres
run as2cpu ./bench/as2cpu -db sqlite -cpuprofile "$out/as2.prof"
echo "== federation/fanout_bench_test.go"
go test ./federation -run '^$' -bench Fanout -benchtime 1x 2>&1 | tee "$out/fanout_bench_test.txt"
echo "results in $out"
