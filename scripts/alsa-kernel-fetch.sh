#!/usr/bin/env bash
# alsa-kernel-fetch.sh ARCH...: fetches Debian's newest kernel for each ARCH
# (amd64, arm64, armhf) into ~/.cache/sipbell/kernel/ARCH (vmlinuz and the
# sound modules scripts/alsa-kernel-test.sh loads), from the package sources
# this machine's apt is configured with (scripts/lib-apt.sh: a private apt
# state, nothing installed). It is setup, like installing
# a package: scripts/test-deps.sh (run by make test) runs it, and the test itself makes no network traffic.
# Idempotent: a kernel already fetched is kept.
set -euo pipefail
. "$(dirname "$0")/lib-apt.sh"
cache=${XDG_CACHE_HOME:-$HOME/.cache}/sipbell/kernel
for arch in "$@"; do
  case $arch in
    amd64) flavor=amd64 ;;
    arm64) flavor=arm64 ;;
    armhf) flavor=armmp ;;
    *) echo "alsa-kernel-fetch: unknown arch $arch" >&2; exit 2 ;;
  esac
  dir=$cache/$arch
  if [ -f "$dir/vmlinuz" ] && [ -f "$dir/modules/snd-aloop.ko" ]; then continue; fi
  tmp=$(mktemp -d); apt_tmp=$tmp
  trap 'rm -rf "$tmp"' EXIT
  # The newest linux-image-<abi>-<flavor> this machine's sources offer.
  best=$(apt_newest "$arch" "linux-image-[0-9.]+-[0-9]+-$flavor")
  [ -n "$best" ] || { echo "alsa-kernel-fetch: no $flavor kernel found for $arch in this machine's package sources" >&2; exit 1; }
  read -r pkg ver <<<"$best"
  apt_fetch "$arch" "$pkg" "$ver" "$tmp/root"
  rm -rf "$dir"; mkdir -p "$dir/modules"
  cp "$(ls "$tmp"/root/boot/vmlinuz-* | head -1)" "$dir/vmlinuz"
  snd=$(ls -d "$tmp"/root/lib/modules/*/kernel/sound | head -1)
  for m in soundcore.ko core/snd.ko core/snd-timer.ko core/snd-pcm.ko drivers/snd-aloop.ko; do
    cp "$snd/$m" "$dir/modules/" || { echo "alsa-kernel-fetch: $arch kernel has no $m" >&2; exit 1; }
  done
  echo "${pkg}_${ver}_${arch}.deb" >"$dir/version"
  rm -rf "$tmp"; trap - EXIT
  echo "alsa-kernel-fetch: $arch: $(cat "$dir/version")"
done
