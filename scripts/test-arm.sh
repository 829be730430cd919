#!/usr/bin/env bash
# test-arm.sh ARMV6 ARMV7 ARM64 CONFIG: runs each cross-built binary under
# qemu-user on the CPU it is meant for (ARMv6 on the Pi Zero/1's arm1176,
# where ARMv7 code dies), checking that it starts (-version), reports the
# right platform, and validates the shipped example config.
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 ARMV6 ARMV7 ARM64 CONFIG" >&2; exit 2; }
armv6=$1 armv7=$2 arm64=$3 config=$4
for q in qemu-arm-static qemu-aarch64-static; do
  command -v "$q" >/dev/null || { echo "test-arm: $q missing: apt-get install qemu-user-static" >&2; exit 1; }
done
fail=0
check() { # name want-platform qemu-command...
  local name=$1 want=$2; shift 2
  local out
  if ! out=$("$@" -version 2>&1); then echo "FAIL $name: -version: $out"; fail=1; return; fi
  case "$out" in *" $want "*) ;; *) echo "FAIL $name: -version says '$out', want platform $want"; fail=1; return ;; esac
  if ! "$@" -check-config "$config" >/dev/null 2>&1; then echo "FAIL $name: -check-config $config"; fail=1; return; fi
  echo "ok   $name: $out; $(stat -c %s "$bin") bytes"
}
bin=$armv6; check armv6-on-arm1176 linux/armv6 qemu-arm-static -cpu arm1176 "$armv6"
bin=$armv7; check armv7-on-cortex-a7 linux/armv7 qemu-arm-static -cpu cortex-a7 "$armv7"
bin=$arm64; check arm64 linux/arm64 qemu-aarch64-static "$arm64"
# The negative control: ARMv7 code must die on the ARMv6 CPU, which proves
# the qemu CPU model is strict enough for the armv6 check to mean something.
rc=$(sh -c 'qemu-arm-static -cpu arm1176 "$1" -version >/dev/null 2>&1; echo $?' _ "$armv7" 2>/dev/null)
if [ "$rc" = 0 ]; then
  echo "note armv7 binary ran on arm1176 (Go emitted no ARMv7-only instruction on this path)"
else
  echo "ok   negative control: the armv7 binary dies on arm1176 (exit $rc), as it would on a Pi Zero"
fi
exit $fail
