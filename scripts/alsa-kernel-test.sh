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
name=alsa-kernel-test
. "$top/scripts/lib-kernelvm.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for arch in "$@"; do
  m=$cache/$arch/modules
  kvm_run "$arch" ./scripts/alsakernel alsakernel ALSA \
    "$m/soundcore.ko" "$m/snd.ko" "$m/snd-timer.ko" "$m/snd-pcm.ko" "$m/snd-aloop.ko"
done
exit $fail
