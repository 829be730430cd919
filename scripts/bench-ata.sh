#!/bin/bash
# bench-ata.sh [SECONDS]: figures of the analog phone (device.mode: ata).
#
# 1. The device's latencies (go test -bench BenchmarkPhoneLatency): an
#    off-hook edge to dial tone started (incl. the pulse decoder's 5 ms
#    debounce), the last key of a uniquely matched number to Dial.
# 2. CPU of the sipbell binary on the simulated board (silent microphone,
#    discarding earpiece, both paced in real time like a sound card):
#    SECONDS (default 20) on hook, then SECONDS off hook with the handset's
#    microphone read by the DTMF detector and no key pressed (after the
#    dial-tone timeout it plays reorder, then the howler, like a phone
#    left off the hook). CPU = utime+stime from /proc, per second of wall time.
#
# Needs: go, curl. Prints figures; a measurement, not a test.
set -euo pipefail
SECS=${1:-20}
for tool in go curl; do
	command -v "$tool" >/dev/null || { echo "bench-ata: $tool not found" >&2; exit 2; }
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/bench-ata.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

echo "== device latencies"
(cd "$ROOT" && go test -run XXX -bench BenchmarkPhoneLatency -benchtime 500x ./device/ | grep Benchmark)

(cd "$ROOT" && go build -o "$W/sipbell" ./cmd/sipbell)
cat >"$W/sipbell.yaml" <<YAML
sip:
  listen: 127.0.0.1:0
  user: phone
audio:
  capture: silence
  playback: discard
board:
  profile: sim
device:
  mode: ata
  phone:
    dial_tone_timeout: 5m
provisioning:
  state_dir: $W/state
  admin:
    listen: ""
YAML
"$W/sipbell" -config "$W/sipbell.yaml" -log-format json -sim-http 127.0.0.1:0 </dev/null >"$W/out" 2>"$W/log" &
PID=$!
URL=
for _ in $(seq 100); do
	URL=$(grep -o '"url":"http://[^"]*/state"' "$W/log" | head -1 | sed 's/"url":"//; s|/state"||') || true
	grep -q '"analog phone ready"' "$W/log" && [ -n "$URL" ] && break
	sleep 0.1
done
[ -n "$URL" ] || { echo "bench-ata: sipbell did not start:" >&2; cat "$W/log" >&2; exit 1; }

ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
HZ=$(getconf CLK_TCK)
measure() { # label
	local t0 c0 t1 c1
	t0=$(date +%s.%N); c0=$(ticks)
	sleep "$SECS"
	t1=$(date +%s.%N); c1=$(ticks)
	awk -v c="$((c1 - c0))" -v hz="$HZ" -v t0="$t0" -v t1="$t1" -v l="$1" \
		'BEGIN { printf "%-34s %6.2f ms CPU per s (%.2f%% of a core) over %.0f s\n", l, 1000*c/hz/(t1-t0), 100*c/hz/(t1-t0), t1-t0 }'
}
echo "== sipbell binary, sim board, CPU"
sleep 2 # past start-up
measure "on hook, idle:"
curl -fsS -X POST -d '{"off_hook":true}' "$URL/hook" >/dev/null
measure "off hook, dial tone, listening:"
curl -fsS -X POST -d '{"off_hook":false}' "$URL/hook" >/dev/null
echo "RSS: $(awk '/VmRSS/ {print $2, $3}' "/proc/$PID/status")"
