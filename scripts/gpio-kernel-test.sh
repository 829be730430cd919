#!/usr/bin/env bash
# gpio-kernel-test.sh ARCH...: runs sipbell's board with the "slic" and
# "rotary" profiles on their real GPIO code path (periph's gpioioctl, the kernel's GPIO
# character device uAPI v2) for each ARCH (arm64, armhf; armhf runs the
# GOARM=6 build, the Pi Zero's), where this machine has no GPIO chip: it
# boots Debian's kernel (fetched by scripts/alsa-kernel-fetch.sh) under
# qemu-system's "virt" machine, whose PL061 GPIO controller is driven by
# the kernel's pl061 driver, with a device tree naming its lines GPIO0..7
# (fdtput, from device-tree-compiler) and without the gpio-keys node, so
# that line 3, wired to qemu's power button, is SHK. The guest's init is
# scripts/gpiokernel: slic rings (F/R toggles at 25 Hz with RM high, as the
# kernel's gpio_value tracepoint times the writes), reverses the line, and
# reads three hook pulses that scripts/gpiokernel's host side makes by
# pressing the power button (system_powerdown: a 100 ms pulse on line 3);
# rotary rings the bell's H-bridge inputs in antiphase (never both high)
# and reads a dial pulse the same way.
# -icount runs the guest on virtual time, so a loaded host does not
# squeeze the 100 ms pulse or the 20 ms half-periods. No network.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/sipbell/kernel
skip() {
  if [ "${CI:-}" = true ]; then echo "FAIL gpio-kernel-test: $*" >&2; exit 1; fi
  echo "SKIP gpio-kernel-test: $*" >&2; exit 0
}
command -v fdtput >/dev/null || skip "fdtput missing: apt-get install device-tree-compiler"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$top" && CGO_ENABLED=0 go build -o "$tmp/pack" ./scripts/alsakernel && CGO_ENABLED=0 go build -o "$tmp/host" ./scripts/gpiokernel)
fail=0
for arch in "$@"; do
  dir=$cache/$arch
  [ -f "$dir/vmlinuz" ] || skip "no $arch kernel in $dir: run scripts/alsa-kernel-fetch.sh $arch"
  case $arch in
    arm64) env=(GOARCH=arm64) qemu=(qemu-system-aarch64 -M virt -cpu cortex-a53 -m 512) ;;
    armhf) env=(GOARCH=arm GOARM=6) qemu=(qemu-system-arm -M virt,highmem=off -cpu cortex-a15 -m 512) ;;
    *) echo "gpio-kernel-test: unknown arch $arch (the virt machine's PL061 is ARM's)" >&2; exit 2 ;;
  esac
  command -v "${qemu[0]}" >/dev/null || skip "${qemu[0]} missing: apt-get install qemu-system-arm"
  (cd "$top" && env "${env[@]}" CGO_ENABLED=0 go build -o "$tmp/init-$arch" ./scripts/gpiokernel)
  "$tmp/pack" pack "$tmp/$arch.cpio" "$tmp/init-$arch"
  # The machine's own device tree, with the PL061's lines named.
  "${qemu[@]}" -machine "dumpdtb=$tmp/$arch.dtb" -smp 1 -display none -nic none >/dev/null 2>&1
  fdtput -t s "$tmp/$arch.dtb" /pl061@9030000 gpio-line-names GPIO0 GPIO1 GPIO2 GPIO3 GPIO4 GPIO5 GPIO6 GPIO7
  fdtput -r "$tmp/$arch.dtb" /gpio-keys
  start=$(date +%s)
  "$tmp/host" host "${qemu[@]}" -accel tcg -icount shift=3,sleep=off -smp 1 -display none -no-reboot -nic none \
    -kernel "$dir/vmlinuz" -initrd "$tmp/$arch.cpio" -dtb "$tmp/$arch.dtb" \
    -append "console=ttyAMA0 panic=-1 quiet" >"$tmp/$arch.log" 2>&1 || true
  if grep -q 'gpiokernel: done pass=[1-9][0-9]* fail=0' "$tmp/$arch.log" && ! grep -q 'gpiokernel: FAIL' "$tmp/$arch.log"; then
    echo "ok   the slic and rotary profiles on a real $arch kernel's GPIO character device ($(cat "$dir/version" 2>/dev/null), $(($(date +%s) - start)) s):"
  else
    echo "FAIL the slic and rotary profiles on a real $arch kernel's GPIO character device:"
    fail=1
    grep -q gpiokernel "$tmp/$arch.log" || tail -30 "$tmp/$arch.log"
  fi
  grep 'gpiokernel:' "$tmp/$arch.log" | tr -d '\r' | sed 's/^/       /'
done
exit $fail
