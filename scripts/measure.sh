#!/usr/bin/env bash
# Every figure of the README's Performance section, end to end: the in-process benchmarks
# (allocations, costs in raw signatures, tokens per algorithm, the retention sweeper, the password
# hashing budget), then `gatehouse-load suite`, which starts `gatehouse dev` and `gatehouse serve`
# itself on SQLite and, when a PostgreSQL URL is given, on PostgreSQL (one node, and three nodes with
# GOMAXPROCS=1 and a CPU quota of 0.4 of a core each where the cgroup CPU controller is writable,
# `-node-cpu` to change it), and prints one table. Run it on a quiet machine for figures worth comparing;
# every ratio is to the raw RS256 rate timed in the same minute, and the load average is printed.
#
#   scripts/measure.sh                                  # SQLite only
#   GATEHOUSE_MEASURE_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' scripts/measure.sh
#   scripts/measure.sh -d 15s -soak 10m                 # arguments go to `gatehouse-load suite`
#   GATEHOUSE_MEASURE_SKIP_BENCH=1 scripts/measure.sh   # the network figures only
#
# PostgreSQL: a schema of its own is created in that database and dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
echo "== building into $bin"
go build -o "$bin/gatehouse" ./cmd/gatehouse
go build -o "$bin/gatehouse-load" ./cmd/gatehouse-load

echo "== machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(go version)"
if [[ -z "${GATEHOUSE_MEASURE_SKIP_BENCH:-}" ]]; then
	echo "== in-process benchmarks (ns/op moves with the machine's load; allocs/op and x-raw-sign do not)"
	go test -run x -bench 'ClientCredentials$|ClientCredentialsNoLog$|ClientCredentialsPerIPLimit$|RawRS256Sign$' -benchmem -benchtime 2s -count 3 ./internal/oauth/
	# The token endpoint with 16 requests in flight (PostgreSQL's only with GATEHOUSE_TEST_POSTGRES_URL).
	GATEHOUSE_TEST_POSTGRES_URL=${GATEHOUSE_MEASURE_POSTGRES:-} \
		go test -run '^$' -bench 'ClientCredentialsC16$|ClientCredentialsC16Postgres$' -benchmem -benchtime 2000x -count 3 ./internal/oauth/
	go test -run x -bench 'PublicDocuments' -benchmem -count 3 ./internal/app/
	go test -run x -bench 'Edge' -benchmem -count 3 ./internal/httpserver/
	go test -run x -bench 'AccessTokenByAlg' -benchmem ./internal/token/
	go test -run x -bench 'RetentionSweep' ./internal/audit/
	go test -run x -bench 'FloodVerify' -benchtime 1x ./internal/password/
fi

pg=${GATEHOUSE_MEASURE_POSTGRES:-}
echo "== over the network (gatehouse-load suite)"
"$bin/gatehouse-load" suite -gatehouse "$bin/gatehouse" ${pg:+-postgres "$pg"} "$@"
