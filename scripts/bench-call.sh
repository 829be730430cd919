#!/bin/bash
# bench-call.sh [SECONDS]: footprint of one G.711 call, sipbell beside baresip.
#
# A headless baresip calls the sipbell binary directly on loopback (no PBX);
# sipbell auto-answers; both play a WAV as microphone and record what they
# hear. During the call (default 60 s) the script samples both processes
# from /proc (CPU = utime+stime, RSS, voluntary context switches of all
# threads) and, when tcpdump is there, captures the RTP on lo to measure
# each side's send interval (mean, stddev, max).
#
# SIPBELL_BIN names a prebuilt sipbell to measure instead of building one.
# Needs: go, baresip (baresip-core), sox; tcpdump (root) for the intervals.
# Prints figures; it is a measurement, not a test (not part of make test).
set -euo pipefail
SECS=${1:-60}
for tool in go baresip sox; do
	command -v "$tool" >/dev/null || { echo "bench-call: $tool not found (apt-get install baresip-core sox)" >&2; exit 2; }
done
TCPDUMP=$(command -v tcpdump || true)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/bench-call.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] && echo "work dir kept: $W" || rm -rf "$W"
}
trap cleanup EXIT

# A free UDP+TCP port pair base on loopback (ss shows what is taken).
freeport() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		p=$((p - p % 2))
		ss -Hlnu "sport = :$p or sport = :$((p + 1))" | grep -q . && continue
		ss -Hlnt "sport = :$p" | grep -q . && continue
		echo "$p"; return
	done
}
SIP=$(freeport); BSIP=$(freeport); CTRL=$(freeport)
SRTP=$(freeport); BRTP=$(freeport)   # each side's RTP port range starts here (10 ports)

if [ -n "${SIPBELL_BIN:-}" ]; then
	cp "$SIPBELL_BIN" "$W/sipbell"
else
	echo "building sipbell..."
	(cd "$ROOT" && CGO_ENABLED=0 go build -o "$W/sipbell" ./cmd/sipbell)
fi
sox -n -r 8000 -c 1 -b 16 "$W/mic.wav" synth $((SECS + 15)) sine 1000 vol 0.3
mkdir -p "$W/b/rec" "$W/state"

cat >"$W/sipbell.yaml" <<EOF
sip:
  listen: 127.0.0.1:$SIP
  user: door
  allow_from: [127.0.0.1]
media:
  rtp_port_min: $SRTP
  rtp_port_max: $((SRTP + 9))
audio:
  capture: $W/mic.wav
  playback: $W/speaker.wav
provisioning:
  state_dir: $W/state
  admin:
    listen: ""
EOF
cat >"$W/b/config" <<EOF
poll_method epoll
sip_listen 127.0.0.1:$BSIP
call_local_timeout 120
audio_player aubridge,nil
audio_source aufile,$W/mic.wav
audio_alert aubridge,nil
audio_level no
ausrc_format s16
auplay_format s16
auenc_format s16
audec_format s16
audio_buffer 20-160
rtp_ports $BRTP-$((BRTP + 9))
rtcp_mux no
jitter_buffer_delay 5-10
net_interface 127.0.0.1
module_path /usr/lib/baresip/modules
module g711.so
module sndfile.so
module aubridge.so
module aufile.so
module_tmp uuid.so
module_tmp account.so
module_app contact.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:$CTRL
snd_path $W/b/rec
statmode_default off
EOF
echo "<sip:alice@127.0.0.1;transport=udp>;answermode=manual;audio_codecs=PCMU,PCMA;regint=0;pubint=0;ptime=20" >"$W/b/accounts"
: >"$W/b/contacts"

HZ=$(getconf CLK_TCK)
cpu() { awk -v hz="$HZ" '{printf "%.3f", ($14+$15)/hz}' "/proc/$1/stat"; }
kb() { awk -v k="$2" '$1==k":" {print $2}' "/proc/$1/status"; }
# vcs PID: voluntary context switches of all the process's threads.
vcs() { { cat /proc/"$1"/task/*/status 2>/dev/null || true; } | awk '$1=="voluntary_ctxt_switches:" {n+=$2} END {print n+0}'; }

# sipbell reads its simulated board's terminal on stdin: keep it open.
mkfifo "$W/stdin"
exec 3<>"$W/stdin"
"$W/sipbell" -config "$W/sipbell.yaml" -log-format json <&3 >"$W/sipbell.out" 2>"$W/sipbell.log" &
SP=$!
PIDS+=("$SP")
for _ in $(seq 100); do grep -q '"sip listening"' "$W/sipbell.log" && break; sleep 0.1; done
grep -q '"sip listening"' "$W/sipbell.log" || { echo "sipbell did not start:"; cat "$W/sipbell.log"; exit 1; }

if [ -n "$TCPDUMP" ]; then
	tcpdump -i lo -n -w "$W/rtp.pcap" "udp and (portrange $SRTP-$((SRTP + 9)) or portrange $BRTP-$((BRTP + 9)))" 2>"$W/tcpdump.log" &
	TDP=$!
	PIDS+=("$TDP")
	for _ in $(seq 50); do grep -q listening "$W/tcpdump.log" && break; sleep 0.1; done
fi

s0=$(cpu "$SP"); sv0=$(vcs "$SP"); st0=$(date +%s.%N)
baresip -f "$W/b" -e "/dial sip:door@127.0.0.1:$SIP" -t $((SECS + 1)) >"$W/baresip.log" 2>&1 &
BP=$!
PIDS+=("$BP")
sleep 0.5
b0=$(cpu "$BP"); b1=$b0; bhwm=0; bv0=$(vcs "$BP"); bt0=$(date +%s.%N); bv1=$bv0; bt1=$bt0
speak=0; bpeak=0
for _ in $(seq $((SECS * 2 + 4))); do
	kill -0 "$BP" 2>/dev/null || break
	r=$(kb "$SP" VmRSS); [ "$r" -gt "$speak" ] && speak=$r
	r=$(kb "$BP" VmRSS 2>/dev/null || echo 0); [ "${r:-0}" -gt "$bpeak" ] && bpeak=$r
	b1=$(cpu "$BP" 2>/dev/null || echo "$b1"); bhwm=$(kb "$BP" VmHWM 2>/dev/null || echo "$bhwm")
	v=$(vcs "$BP")
	if [ "$v" -gt 0 ]; then bv1=$v; bt1=$(date +%s.%N); fi
	sleep 0.5
done
wait "$BP" || true
s1=$(cpu "$SP"); sv1=$(vcs "$SP"); st1=$(date +%s.%N)
shwm=$(kb "$SP" VmHWM)
sleep 0.5
if [ -n "$TCPDUMP" ]; then
	kill "$TDP" 2>/dev/null || true # tcpdump: flush the capture
	wait "$TDP" 2>/dev/null || true
fi

grep -q '"call media"' "$W/sipbell.log" || echo "warning: sipbell logged no call media line (did the call happen?)"
echo
echo "one ${SECS} s G.711 call, baresip 1.0.0 calling sipbell on loopback ($(nproc) cores, $(uname -m))"
printf "%-10s %12s %16s %12s %14s\n" process "cpu_s(call)" "peak_rss_kB(call)" "VmHWM_kB" "vol_cs/s(call)"
printf "%-10s %12.2f %16d %12d %14.1f\n" sipbell "$(echo "$s1 - $s0" | bc)" "$speak" "$shwm" "$(echo "($sv1 - $sv0) / ($st1 - $st0)" | bc -l)"
printf "%-10s %12.2f %16d %12d %14.1f\n" baresip "$(echo "$b1 - $b0" | bc)" "$bpeak" "$bhwm" "$(echo "($bv1 - $bv0) / ($bt1 - $bt0)" | bc -l)"
[ -n "$TCPDUMP" ] || { echo "(no tcpdump: RTP send intervals not measured)"; grep '"call media"' "$W/sipbell.log" | sed 's/^/sipbell: /' || true; exit 0; }
echo
echo "RTP send interval (tcpdump on lo, steady part: first 2 s skipped)"
tcpdump -tt -n -r "$W/rtp.pcap" 2>/dev/null | awk -v s0="$SRTP" -v b0="$BRTP" '
	{ split($3, a, "."); port = a[5] + 0
	  if (port % 2) next                       # RTCP
	  who = (port >= s0 && port < s0 + 10) ? "sipbell" : (port >= b0 && port < b0 + 10) ? "baresip" : ""
	  if (who == "") next
	  t = $1 * 1000
	  if (!(who in first)) first[who] = t
	  if (t - first[who] >= 2000 && (who in last)) {
		d = t - last[who]; n[who]++; sum[who] += d; sq[who] += d * d
		if (d > mx[who]) mx[who] = d
	  }
	  last[who] = t }
	END { printf "%-10s %8s %10s %12s %10s\n", "sender", "packets", "mean_ms", "stddev_ms", "max_ms"
	  for (w in n) { m = sum[w] / n[w]; sd = sqrt(sq[w] / n[w] - m * m)
		printf "%-10s %8d %10.3f %12.3f %10.3f\n", w, n[w], m, sd, mx[w] } }'
echo
grep '"call media"' "$W/sipbell.log" | sed 's/^/sipbell: /' || true
