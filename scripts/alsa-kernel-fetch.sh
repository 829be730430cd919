#!/usr/bin/env bash
# alsa-kernel-fetch.sh ARCH...: fetches Debian's newest kernel for each ARCH
# (amd64, arm64, armhf) into ~/.cache/sipbell/kernel/ARCH (vmlinuz and the
# sound modules scripts/alsa-kernel-test.sh loads), from the Debian release
# this machine runs (security updates first). It is setup, like installing
# a package: .ci/run runs it, and the test itself makes no network traffic.
# Idempotent: a kernel already fetched is kept.
set -euo pipefail
cache=${XDG_CACHE_HOME:-$HOME/.cache}/sipbell/kernel
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
mirror=http://deb.debian.org
for arch in "$@"; do
  case $arch in
    amd64) flavor=amd64 ;;
    arm64) flavor=arm64 ;;
    armhf) flavor=armmp ;;
    *) echo "alsa-kernel-fetch: unknown arch $arch" >&2; exit 2 ;;
  esac
  dir=$cache/$arch
  if [ -f "$dir/vmlinuz" ] && [ -f "$dir/modules/snd-aloop.ko" ]; then continue; fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # "<version> <url>" of every linux-image-<abi>-<flavor> in the indexes.
  for repo in "debian-security $suite-security" "debian $suite" "debian $suite-updates"; do
    set -- $repo
    curl -sfL "$mirror/$1/dists/$2/main/binary-$arch/Packages.xz" 2>/dev/null | xz -d 2>/dev/null |
      awk -v base="$mirror/$1" -v re="^linux-image-[0-9.]+-[0-9]+-$flavor\$" '
        /^Package: /{p=($2 ~ re)} p&&/^Version: /{v=$2} p&&/^Filename: /{print v, base "/" $2}' >>"$tmp/list" || true
  done
  best=$(sort -V "$tmp/list" | tail -1)
  [ -n "$best" ] || { echo "alsa-kernel-fetch: no $flavor kernel found for $arch in $suite" >&2; exit 1; }
  url=${best#* }
  curl -sfL -o "$tmp/k.deb" "$url" || { echo "alsa-kernel-fetch: could not fetch $url" >&2; exit 1; }
  dpkg-deb -x "$tmp/k.deb" "$tmp/root"
  rm -rf "$dir"; mkdir -p "$dir/modules"
  cp "$(ls "$tmp"/root/boot/vmlinuz-* | head -1)" "$dir/vmlinuz"
  snd=$(ls -d "$tmp"/root/lib/modules/*/kernel/sound | head -1)
  for m in soundcore.ko core/snd.ko core/snd-timer.ko core/snd-pcm.ko drivers/snd-aloop.ko; do
    cp "$snd/$m" "$dir/modules/" || { echo "alsa-kernel-fetch: $arch kernel has no $m" >&2; exit 1; }
  done
  basename "$url" >"$dir/version"
  rm -rf "$tmp"; trap - EXIT
  echo "alsa-kernel-fetch: $arch: $(cat "$dir/version")"
done
