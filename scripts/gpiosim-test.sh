#!/usr/bin/env bash
# gpiosim-test.sh ARCH...: runs sipbell's board package, with the door
# station's "rpi" profile and the analog-phone profiles "slic" and
# "rotary", on the kernel's gpio-sim driver: a real gpiolib chip with the
# GPIO character device, lines named like the Pi's header (GPIO0..27),
# driven from outside through sysfs (scripts/gpiosim is the guest's init).
# For each ARCH (amd64, arm64, armhf; armhf runs the GOARM=6 build, the Pi
# Zero's) it boots Debian's kernel (scripts/alsa-kernel-fetch.sh) under
# qemu-system with configfs.ko and the gpio-sim.ko scripts/gpiosim-build.sh
# built for it. No network. On failure prints the guest's serial log.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/sipbell/kernel
skip() {
  if [ "${CI:-}" = true ]; then echo "FAIL gpiosim-test: $*" >&2; exit 1; fi
  echo "SKIP gpiosim-test: $*" >&2; exit 0
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$top" && CGO_ENABLED=0 go build -o "$tmp/pack" ./scripts/alsakernel)
fail=0
for arch in "$@"; do
  dir=$cache/$arch
  [ -f "$dir/vmlinuz" ] || skip "no $arch kernel in $dir: run scripts/alsa-kernel-fetch.sh $arch"
  [ -f "$dir/modules/gpio-sim.ko" ] || skip "no gpio-sim.ko for $arch: run scripts/gpiosim-build.sh $arch"
  case $arch in
    amd64) env=(GOARCH=amd64) qemu=(qemu-system-x86_64 -m 256) console=ttyS0 ;;
    arm64) env=(GOARCH=arm64) qemu=(qemu-system-aarch64 -M virt -cpu cortex-a53 -m 512) console=ttyAMA0 ;;
    armhf) env=(GOARCH=arm GOARM=6) qemu=(qemu-system-arm -M virt,highmem=off -cpu cortex-a15 -m 512) console=ttyAMA0 ;;
    *) echo "gpiosim-test: unknown arch $arch" >&2; exit 2 ;;
  esac
  command -v "${qemu[0]}" >/dev/null || skip "${qemu[0]} missing: apt-get install qemu-system-x86 qemu-system-arm"
  (cd "$top" && env "${env[@]}" CGO_ENABLED=0 go build -o "$tmp/init-$arch" ./scripts/gpiosim)
  "$tmp/pack" pack "$tmp/$arch.cpio" "$tmp/init-$arch" "$dir/modules/configfs.ko" "$dir/modules/gpio-sim.ko"
  start=$(date +%s)
  timeout 300 "${qemu[@]}" -accel tcg -smp 1 -display none -no-reboot -nic none \
    -kernel "$dir/vmlinuz" -initrd "$tmp/$arch.cpio" \
    -append "console=$console panic=-1 quiet" -serial "file:$tmp/$arch.log" -monitor none \
    >"$tmp/$arch.qemu" 2>&1 || true
  if grep -q 'gpiosim: done pass=[1-9][0-9]* fail=0' "$tmp/$arch.log" && ! grep -q 'gpiosim: FAIL' "$tmp/$arch.log"; then
    echo "ok   the rpi, slic and rotary profiles on gpio-sim, a real $arch kernel's GPIO chip ($(cat "$dir/version"), $(($(date +%s) - start)) s):"
  else
    echo "FAIL the rpi, slic and rotary profiles on gpio-sim, a real $arch kernel's GPIO chip:"
    fail=1
    grep -q gpiosim: "$tmp/$arch.log" || { tail -40 "$tmp/$arch.log"; cat "$tmp/$arch.qemu"; }
  fi
  grep 'gpiosim:' "$tmp/$arch.log" | tr -d '\r' | sed 's/^/       /'
done
exit $fail
