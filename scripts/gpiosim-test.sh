#!/usr/bin/env bash
# gpiosim-test.sh ARCH...: runs sipbell's board package, with the door
# station's "rpi" profile (and a 3×4 matrix keypad) and the analog-phone
# profiles "slic" and "rotary", on the kernel's gpio-sim driver: a real
# gpiolib chip with the GPIO character device, lines named like the Pi's header (GPIO0..27),
# driven from outside through sysfs (scripts/gpiosim is the guest's init).
# For each ARCH (amd64, arm64, armhf; armhf runs the GOARM=6 build, the Pi
# Zero's) it boots Debian's kernel (scripts/alsa-kernel-fetch.sh) under
# qemu-system with configfs.ko and the gpio-sim.ko scripts/gpiosim-build.sh
# built for it. No network. On failure prints the guest's serial log.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
name=gpiosim-test
. "$top/scripts/lib-kernelvm.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for arch in "$@"; do
  m=$cache/$arch/modules
  [ -f "$m/gpio-sim.ko" ] || skip "no gpio-sim.ko for $arch: run scripts/gpiosim-build.sh $arch"
  kvm_run "$arch" ./scripts/gpiosim gpiosim "the rpi, slic and rotary profiles and the matrix keypad on gpio-sim, a real GPIO chip," \
    "$m/configfs.ko" "$m/gpio-sim.ko"
done
exit $fail
