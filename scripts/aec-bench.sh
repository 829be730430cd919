#!/usr/bin/env bash
# aec-bench: sipbell's acoustic echo canceller (audio/aec) against
# speexdsp's, on identical signals, and its CPU cost (`make bench-aec`).
#
# Far-end and near-end speech come from espeak-ng (different voices),
# resampled by sox to 8 and 16 kHz. audio/aec/internal/aecbench builds the
# rooms (T60 0.2/0.4/0.6 s, direct path plus exponentially decaying
# reverberation, 250 Hz high-pass speaker, street noise; once with a linear
# and once with a soft-clipping speaker), double talk at 10-13 s and an
# echo-path change at 15 s, runs speexdsp's echo canceller (alone, and with
# its preprocessor's residual-echo suppressor) through a small C harness
# (scripts/aec-speex.c; nothing of it goes into sipbell) and sipbell's
# canceller, and prints per room:
#   t->15dB   time until a 250 ms window first reaches 15 dB ERLE
#   ERLEss    steady-state ERLE, 5-10 s (far end only)
#   DTsegSNR  segmental SNR of the near-end talker in the output, 10-13 s
#   reconv    time after the echo-path change until a window reaches 15 dB
#   ERLEchg   ERLE in the 2 s after the change; ERLEend: 17-20 s
# ERLE is microphone over output energy where the far end talks (so an
# output gated to silence scores high: there is no comfort noise here).
# Then CPU per 20 ms frame (128 ms tail) on this machine and under
# qemu-arm -cpu arm1176 (Pi Zero / Pi 1), with G.711 encode+decode of a
# 20 ms frame as the yardstick.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}

need() {
	command -v "$1" >/dev/null || { echo "aec-bench: $1 missing (apt-get install $2)" >&2; exit 1; }
}
need espeak-ng espeak-ng
need sox sox
need gcc gcc
need qemu-arm-static qemu-user-static
[ -f /usr/include/speex/speex_echo.h ] || { echo "aec-bench: speexdsp headers missing (apt-get install libspeexdsp-dev)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

espeak-ng -v en-us -s 150 -w "$work/far.wav" "When the visitor rings the bell at the front door, \
the resident answers the call on a telephone somewhere inside the house. The door station plays the \
resident's voice through a small speaker, and its microphone hears the visitor. Without an echo canceller \
the resident hears his own voice coming back from the street a moment later, which makes conversation \
tiring. A good canceller learns the path from the speaker to the microphone and subtracts the echo, \
while the visitor's voice passes unharmed."
espeak-ng -v de+f3 -p 70 -w "$work/near.wav" "Guten Tag, hier ist der Paketdienst. Ich habe ein Paket \
für Sie, bitte öffnen Sie die Tür."
for r in 8000 16000; do
	for s in far near; do
		sox -R "$work/$s.wav" -t raw -r "$r" -e signed -b 16 -c 1 "$work/$s$r.raw"
	done
done
gcc -O2 -Wall -o "$work/aec-speex" scripts/aec-speex.c -lspeexdsp
$GO build -o "$work/aecbench" ./audio/aec/internal/aecbench

for clip in 0 6000; do
	if [ "$clip" = 0 ]; then echo "== linear speaker"; else echo "== soft-clipping speaker (tanh, limit $clip; far end 3000 RMS)"; fi
	for r in 8000 16000; do
		"$work/aecbench" -rate "$r" -clip "$clip" -far "$work/far$r.raw" -near "$work/near$r.raw" \
			-speex "$work/aec-speex" -work "$work"
	done
done

# Thread CPU time per op (cpu-ns/op: not wall time, so a busy machine
# counts less) -> "us per 20 ms frame" and ratio to G.711 encode+decode;
# the lowest of the repeated runs.
cpu() {
	awk 'function lo(a, b) { return a == "" || b < a ? b : a }
		/^BenchmarkProcess\/8kHz/ {p8=lo(p8, $5)} /^BenchmarkProcess\/16kHz/ {p16=lo(p16, $5)} /^BenchmarkG711/ {g=lo(g, $5)}
		END {printf "%-22s 8 kHz %8.1f us (%5.0fx G.711)   16 kHz %8.1f us (%5.0fx G.711)   G.711 %.2f us\n",
			label, p8/1000, p8/g, p16/1000, p16/g, g/1000}' label="$1"
}
echo "== CPU per 20 ms frame, whole canceller (adaptive + shadow filter, post-filter), 128 ms tail, 0 allocations"
$GO test -run XXX -bench . -benchmem -count 5 ./audio/aec | tee "$work/amd64.txt" | grep -E 'allocs/op' | grep -v ' 0 allocs/op' || true
cpu "$($GO env GOARCH)" <"$work/amd64.txt"
GOOS=linux GOARCH=arm GOARM=6 CGO_ENABLED=0 $GO test -c -o "$work/aec.arm6" ./audio/aec
qemu-arm-static -cpu arm1176 "$work/aec.arm6" -test.run XXX -test.bench . -test.benchtime 2s -test.count 2 >"$work/arm6.txt"
cpu "qemu-arm arm1176" <"$work/arm6.txt"
