#!/usr/bin/env bash
# image-boot-test.sh IMAGE: boots the amd64 twin of the gokrazy image
# (make image-amd64) under qemu-system-x86_64 -accel tcg, with user-mode
# networking restricted to the host (restrict=on: the guest reaches
# nothing but the forwarded port) and sipbell's SIP port forwarded to a
# free port on 127.0.0.1, then waits until sipbell answers a SIP OPTIONS
# over TCP there with 200 OK (polling once a second, up to 240 s, printing
# how long boot took); then reads sipbell's log from gokrazy's web UI
# (also forwarded) to see it runs on the configuration seeded on /perm.
# The image is opened with -snapshot, never changed.
# On failure prints the serial console. Without qemu-system-x86_64: skips
# with a message (fails when CI=true).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 IMAGE" >&2; exit 2; }
img=$(realpath "$1")
name=image-boot-test
. "$(dirname "$0")/lib-qemu.sh"
need_tools qemu-system-x86_64:qemu-system-x86
[ -f "$img" ] || { echo "FAIL image-boot-test: $img: no such file (make image-amd64)"; exit 1; }
tmp=$(mktemp -d)
qpid=
trap qemu_cleanup EXIT

# gokrazy_log PORT PASSWORD SERVICE: the stderr log gokrazy keeps for a
# service, from its web UI (HTTP basic auth, user gokrazy).
gokrazy_log() {
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET /log?path=%s&stream=stderr HTTP/1.0\r\nHost: gokrazy\r\nAuthorization: Basic %s\r\n\r\n" "$3" "$(printf "gokrazy:%s" "$2" | base64 -w0)" >&3
    while IFS= read -r -t 3 line <&3; do printf "%s\n" "$line"; done' _ "$@" 2>/dev/null || true
}
# The gokrazy web UI password baked into the image's root squashfs.
rootoff=$(sfdisk -d "$img" | sed -n 's/^.*2 : start= *\([0-9]*\),.*/\1/p')
password=$(unsquashfs -o $((rootoff * 512)) -cat "$img" etc/gokr-pw.txt 2>/dev/null || true)
[ -n "$password" ] || { echo "FAIL image-boot-test: no etc/gokr-pw.txt in $img's root"; exit 1; }

start=$(date +%s)
for attempt in 1 2 3; do
  port=$(free_port)
  uiport=$(free_port)
  qemu-system-x86_64 -accel tcg -m 768 -smp 1 -display none -no-reboot -snapshot \
    -drive "file=$img,format=raw,if=virtio" \
    -nic "user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:$port-:5060,hostfwd=tcp:127.0.0.1:$uiport-:80" \
    -serial "file:$tmp/serial.log" -monitor none >"$tmp/qemu.log" 2>&1 &
  qpid=$!
  sleep 1
  kill -0 "$qpid" 2>/dev/null && break
  wait "$qpid" 2>/dev/null || true
  qpid=
  grep -q "Could not set up host forwarding" "$tmp/qemu.log" || { cat "$tmp/qemu.log" >&2; exit 1; }
done
[ -n "$qpid" ] || { echo "FAIL image-boot-test: qemu would not start: $(cat "$tmp/qemu.log")"; exit 1; }
echo "== booting $(basename "$img") under qemu-system-x86_64 (tcg), SIP forwarded to 127.0.0.1:$port"

deadline=$((start + 240))
n=0 resp=
while [ "$(date +%s)" -lt "$deadline" ]; do
  kill -0 "$qpid" 2>/dev/null || { echo "FAIL qemu exited"; tail -40 "$tmp/serial.log"; exit 1; }
  n=$((n + 1))
  resp=$(sip_options "$port" "boottest-$n-$$" 5)
  if [[ $resp == "SIP/2.0 200 OK"* ]]; then break; fi
  sleep 1
done
if [[ $resp != "SIP/2.0 200 OK"* ]]; then
  echo "FAIL sipbell did not answer OPTIONS on 127.0.0.1:$port within 240 s; last answer: '${resp:-none}'"
  echo "---- serial console (last 40 lines)"; tail -40 "$tmp/serial.log"
  exit 1
fi
fail=0
grep -q "^Call-ID: boottest-$n-$$" <<<"${resp//$'\r'/}" || { echo "FAIL 200 OK for another Call-ID: $resp"; fail=1; }
grep -q "^Allow: .*OPTIONS" <<<"${resp//$'\r'/}" || { echo "FAIL 200 OK without Allow: $resp"; fail=1; }
server=$(sed -n 's/^\(Server\|User-Agent\): //p' <<<"${resp//$'\r'/}" | head -1)
grep -q "init=/gokrazy/init" "$tmp/serial.log" || { echo "FAIL serial console shows no gokrazy boot"; fail=1; }
# sipbell runs on the configuration sipbell-gokrazy seeded on /perm.
log=$(gokrazy_log "$uiport" "$password" /user/sipbell-gokrazy)
if grep -q 'outcome=created' <<<"$log" && grep -q 'msg="config loaded" file=/perm/sipbell/sipbell.yaml' <<<"$log"; then
  echo "ok   sipbell-gokrazy seeded /perm/sipbell/sipbell.yaml from the image and sipbell loaded it"
else
  echo "FAIL sipbell's log (from gokrazy's web UI) does not show the /perm configuration seeded and loaded:"
  tail -20 <<<"$log"
  fail=1
fi
[ $fail -eq 0 ] && echo "ok   gokrazy amd64 twin booted; sipbell answered OPTIONS 200 OK over TCP after $(($(date +%s) - start)) s${server:+ ($server)}"
exit $fail
