#!/usr/bin/env bash
# image-raspi-test.sh IMAGE: boots the Raspberry Pi gokrazy image itself
# (make image; not the amd64 twin) on qemu's Raspberry Pi 3 machine
# (qemu-system-aarch64 -M raspi3b): the kernel and the bcm2710-rpi-3-b
# device tree are taken from the image's boot FAT (mtools), the kernel
# command line from its cmdline.txt, plus: earlycon and console on the
# PL011 (qemu's first -serial; the Pi 3 device tree names it ttyAMA1);
# maxcpus=1 to spare a loaded host; dwc_otg.fiq_enable=0
# dwc_otg.fiq_fsm_enable=0, as with the Pi kernel's FIQ fast path USB
# enumeration locks up under qemu; and initcall_blacklist of the
# bcm2835 watchdog driver, as qemu resets the machine at once when
# gokrazy's init arms that watchdog. The SD card is a sparse copy of the
# image grown to 2 GiB (qemu's SD card wants a power-of-two size; the
# image itself is never changed). The network is a USB CDC-Ethernet
# device (usb-net) on the SoC's dwc2 USB controller, with user-mode
# networking restricted to the host (restrict=on) and sipbell's SIP port
# (5060) and web page (HTTPS, 8443) forwarded to free ports on
# 127.0.0.1; its MAC is a universal one so the kernel names it eth0, the
# interface gokrazy's dhcp client asks on.
# Then waits (polling once every 2 s, up to SIPBELL_RASPI_TIMEOUT s,
# default 900: emulating four Cortex-A53s under TCG is slow) until
# sipbell answers a SIP OPTIONS over TCP with 200 OK, then fetches
# sipbell's web page (its self-signed HTTPS, through the forwarded port).
# Prints how long each took. On failure prints the serial console.
# Without qemu-system-aarch64 or mtools: skips (fails when CI=true).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 IMAGE" >&2; exit 2; }
img=$(realpath "$1")
limit=${SIPBELL_RASPI_TIMEOUT:-900}
name=image-raspi-test
. "$(dirname "$0")/lib-qemu.sh"
need_tools qemu-system-aarch64:qemu-system-arm mcopy:mtools sfdisk:fdisk curl:curl
[ -f "$img" ] || { echo "FAIL image-raspi-test: $img: no such file (make image)"; exit 1; }
tmp=$(mktemp -d)
qpid=
trap qemu_cleanup EXIT

# The boot FAT (partition 1): kernel, Pi 3 B device tree, command line.
bootoff=$(sfdisk -d "$img" | sed -n 's/^.*1 : start= *\([0-9]*\),.*/\1/p')
[ -n "$bootoff" ] || { echo "FAIL image-raspi-test: no partition 1 in $img"; exit 1; }
for f in vmlinuz bcm2710-rpi-3-b.dtb cmdline.txt; do
  mcopy -n -i "$img@@$((bootoff * 512))" "::$f" "$tmp/$f" ||
    { echo "FAIL image-raspi-test: no $f on $img's boot partition"; exit 1; }
done
cmdline="$(tr -d '\n' <"$tmp/cmdline.txt") earlycon=pl011,0x3f201000 console=ttyAMA1,115200 maxcpus=1 dwc_otg.fiq_enable=0 dwc_otg.fiq_fsm_enable=0 initcall_blacklist=bcm2835_wdt_driver_init"
cp --sparse=always "$img" "$tmp/sd.img"
truncate -s 2G "$tmp/sd.img"

start=$(date +%s)
for attempt in 1 2 3; do
  port=$(free_port)
  webport=$(free_port)
  qemu-system-aarch64 -M raspi3b -display none -no-reboot -monitor none \
    -kernel "$tmp/vmlinuz" -dtb "$tmp/bcm2710-rpi-3-b.dtb" -append "$cmdline" \
    -drive "file=$tmp/sd.img,format=raw,if=sd" \
    -device usb-net,netdev=n0,mac=50:54:00:12:34:56 \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$port-:5060,hostfwd=tcp:127.0.0.1:$webport-:8443" \
    -serial "file:$tmp/serial.log" -serial "file:$tmp/serial1.log" >"$tmp/qemu.log" 2>&1 &
  qpid=$!
  sleep 1
  kill -0 "$qpid" 2>/dev/null && break
  wait "$qpid" 2>/dev/null || true
  qpid=
  grep -q "Could not set up host forwarding" "$tmp/qemu.log" || { cat "$tmp/qemu.log" >&2; exit 1; }
done
[ -n "$qpid" ] || { echo "FAIL image-raspi-test: qemu would not start: $(cat "$tmp/qemu.log")"; exit 1; }
echo "== booting $(basename "$img") under qemu-system-aarch64 -M raspi3b, SIP on 127.0.0.1:$port, web on 127.0.0.1:$webport"

serial() { echo "---- serial console (last 60 lines)"; tail -n 60 "$tmp/serial.log" "$tmp/serial1.log"; }
deadline=$((start + limit))
n=0 resp=
while [ "$(date +%s)" -lt "$deadline" ]; do
  kill -0 "$qpid" 2>/dev/null || { echo "FAIL qemu exited: $(grep -v 'Slirp: Failed to send' "$tmp/qemu.log" | sort | uniq -c)"; serial; exit 1; }
  n=$((n + 1))
  resp=$(sip_options "$port" "raspitest-$n-$$" 10)
  if [[ $resp == "SIP/2.0 200 OK"* ]]; then break; fi
  sleep 2
done
if [[ $resp != "SIP/2.0 200 OK"* ]]; then
  echo "FAIL sipbell did not answer OPTIONS on 127.0.0.1:$port within $limit s; last answer: '${resp:-none}'"
  serial; exit 1
fi
sipsecs=$(($(date +%s) - start))
fail=0
grep -q "^Call-ID: raspitest-$n-$$" <<<"${resp//$'\r'/}" || { echo "FAIL 200 OK for another Call-ID: $resp"; fail=1; }
grep -q "init=/gokrazy/init" "$tmp/serial.log" || { echo "FAIL serial console shows no gokrazy boot"; fail=1; }
grep -q "Machine model: Raspberry Pi 3 Model B" "$tmp/serial.log" || { echo "FAIL serial console shows no Pi 3 device tree"; fail=1; }
echo "ok   raspi3b: sipbell answered OPTIONS 200 OK over TCP (USB network, DHCP) after $sipsecs s"
# sipbell's web page: HTTPS with the certificate it made on first start.
page=$(curl -sk --max-time 60 --retry 5 --retry-all-errors --retry-delay 2 "https://127.0.0.1:$webport/" || true)
if grep -q '<title>sipbell</title>' <<<"$page"; then
  echo "ok   raspi3b: sipbell's web page (HTTPS, port 8443) served after $(($(date +%s) - start)) s"
else
  echo "FAIL raspi3b: sipbell's web page on 127.0.0.1:$webport: '$(head -3 <<<"$page")'"
  fail=1
fi
[ $fail -eq 0 ] || serial
exit $fail
