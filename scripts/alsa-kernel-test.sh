#!/usr/bin/env bash
# alsa-kernel-test.sh ARCH...: runs sipbell's pure-Go ALSA layer against a
# real Linux sound core for each ARCH (amd64, arm64, armhf; armhf runs the
# GOARM=6 build, the Pi Zero's), where this machine has no sound card: it
# boots Debian's kernel (fetched by scripts/alsa-kernel-fetch.sh) under
# qemu-system with a tiny initramfs whose init is scripts/alsakernel, which
# loads snd-aloop and plays, captures, loops a tone back, provokes a busy
# device and an underrun through audio/alsa (see scripts/alsakernel).
# No network: the guest has none.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/sipbell/kernel
skip() {
  if [ "${CI:-}" = true ]; then echo "FAIL alsa-kernel-test: $*" >&2; exit 1; fi
  echo "SKIP alsa-kernel-test: $*" >&2; exit 0
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$top" && CGO_ENABLED=0 go build -o "$tmp/pack" ./scripts/alsakernel)
fail=0
for arch in "$@"; do
  dir=$cache/$arch
  [ -f "$dir/vmlinuz" ] || skip "no $arch kernel in $dir: run scripts/alsa-kernel-fetch.sh $arch"
  case $arch in
    amd64) env=(GOARCH=amd64) qemu=(qemu-system-x86_64 -m 256) console=ttyS0 ;;
    arm64) env=(GOARCH=arm64) qemu=(qemu-system-aarch64 -M virt -cpu cortex-a53 -m 512) console=ttyAMA0 ;;
    armhf) env=(GOARCH=arm GOARM=6) qemu=(qemu-system-arm -M virt,highmem=off -cpu cortex-a15 -m 512) console=ttyAMA0 ;;
    *) echo "alsa-kernel-test: unknown arch $arch" >&2; exit 2 ;;
  esac
  command -v "${qemu[0]}" >/dev/null || skip "${qemu[0]} missing: apt-get install qemu-system-x86 qemu-system-arm"
  (cd "$top" && env "${env[@]}" CGO_ENABLED=0 go build -o "$tmp/init-$arch" ./scripts/alsakernel)
  m=$dir/modules
  "$tmp/pack" pack "$tmp/$arch.cpio" "$tmp/init-$arch" \
    "$m/soundcore.ko" "$m/snd.ko" "$m/snd-timer.ko" "$m/snd-pcm.ko" "$m/snd-aloop.ko"
  start=$(date +%s)
  timeout 300 "${qemu[@]}" -accel tcg -smp 1 -display none -no-reboot -nic none \
    -kernel "$dir/vmlinuz" -initrd "$tmp/$arch.cpio" \
    -append "console=$console panic=-1 quiet" -serial "file:$tmp/$arch.log" -monitor none \
    >"$tmp/$arch.qemu" 2>&1 || true
  if grep -q 'alsakernel: done pass=[1-9][0-9]* fail=0' "$tmp/$arch.log" && ! grep -q 'alsakernel: FAIL' "$tmp/$arch.log"; then
    echo "ok   ALSA on a real $arch kernel ($(cat "$dir/version" 2>/dev/null), $(($(date +%s) - start)) s):"
  else
    echo "FAIL ALSA on a real $arch kernel:"
    fail=1
    grep -q alsakernel "$tmp/$arch.log" || { tail -30 "$tmp/$arch.log"; cat "$tmp/$arch.qemu"; }
  fi
  grep 'alsakernel:' "$tmp/$arch.log" | tr -d '\r' | sed 's/^/       /'
done
exit $fail
