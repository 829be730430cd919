#!/bin/bash
# bench.sh (make bench): sipbell beside baresip, measured in one run.
#
# Builds the release binaries (amd64 and ARMv6, the Makefile's flags),
# then cmd/sipbell's BenchmarkSideBySide starts Kamailio, the sipbell
# door station and baresip on loopback, lets sipp call each in turn
# (SIPBELL_BENCH_REPS alternations of a SIPBELL_BENCH_SECONDS call) and
# prints the table with each sipbell/baresip ratio; then where the door
# station's memory is in a call (BenchmarkMemoryInCall: smaps by kind of
# mapping, the last GC) and the hot paths' `go test -bench` figures (ns
# and allocations per frame and packet).
#
# Needs: go, kamailio, baresip, sipp (the interop tests' peers).
# A measurement, not a test: nothing here passes or fails on speed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
GO=${GO:-go}
W=$(mktemp -d /tmp/sipbell-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
# The release build's flags (the Makefile's): cold packages without
# inlining (scripts/release-gcflags).
mapfile -t GCFLAGS < <(sed 's/#.*//' scripts/release-gcflags | awk 'NF { print "-gcflags=" $1 "=-l" }')
BUILD=(env CGO_ENABLED=0 "$GO" build -trimpath -ldflags '-s -w' "${GCFLAGS[@]}")
"${BUILD[@]}" -o "$W/sipbell" ./cmd/sipbell
GOOS=linux GOARCH=arm GOARM=6 "${BUILD[@]}" -o "$W/sipbell-armv6" ./cmd/sipbell
printf 'release binaries: amd64 %d bytes, ARMv6 %d bytes\n' "$(stat -c %s "$W/sipbell")" "$(stat -c %s "$W/sipbell-armv6")"

SIPBELL_BENCH_BIN="$W/sipbell" "$GO" test -count=1 -run '^$' -bench '^BenchmarkSideBySide$' -benchtime 1x -timeout 20m ./cmd/sipbell/ |
	grep -v '^\(goos\|goarch\|pkg\|cpu\|PASS\|ok\|BenchmarkSideBySide\)'

echo
echo "memory of the door station in a call (BenchmarkMemoryInCall; kB resident/anonymous by mapping):"
SIPBELL_BENCH_BIN="$W/sipbell" SIPBELL_BENCH_REPS=2 "$GO" test -count=1 -run '^$' -bench '^BenchmarkMemoryInCall$' -benchtime 1x -timeout 10m ./cmd/sipbell/ |
	grep -v '^\(goos\|goarch\|pkg\|cpu\|PASS\|ok\|BenchmarkMemoryInCall\)'

echo
echo "hot paths (go test -bench, per frame / packet):"
"$GO" test -count=1 -run '^$' -bench . -benchmem ./ua/media/ ./audio/g711/ |
	grep '^Benchmark'
