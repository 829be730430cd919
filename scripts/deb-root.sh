#!/usr/bin/env bash
# deb-root.sh [ARCH]: prints the path of a cached Debian bookworm root for
# ARCH (default arm64), building it first when it is missing: debootstrap
# --foreign (first stage on this machine), then the second stage run
# inside the root under `proot -q qemu-<arch>-static`. The root lives
# outside the repository, under ${XDG_CACHE_HOME:-~/.cache}/sipbell, and is
# reused between runs (about 2-4 minutes cold on 2 cores, instant warm).
# The mirror is the one apt uses on this machine, so no other host is
# contacted. Needs root (debootstrap), debootstrap, proot, qemu-user-static.
set -euo pipefail
arch=${1:-arm64}
case "$arch" in
  arm64) qemu=qemu-aarch64-static ;;
  armhf) qemu=qemu-arm-static ;;
  *) echo "deb-root: unsupported arch $arch (arm64 or armhf)" >&2; exit 2 ;;
esac
suite=bookworm
cache=${XDG_CACHE_HOME:-$HOME/.cache}/sipbell
root=$cache/debian-$suite-$arch
# Packages the install proof needs besides the minimal base: adduser and tzdata
# (the package's Depends) and init-system-helpers (deb-systemd-helper,
# which enables the unit the way Debian packages do).
include=adduser,init-system-helpers,tzdata

if [ -f "$root/.sipbell-ready" ]; then echo "$root"; exit 0; fi

for tool in debootstrap proot "$qemu"; do
  command -v "$tool" >/dev/null || { echo "deb-root: $tool missing: apt-get install debootstrap proot qemu-user-static" >&2; exit 3; }
done
[ "$(id -u)" -eq 0 ] || { echo "deb-root: debootstrap needs root" >&2; exit 3; }

# The Debian mirror apt uses here (deb822 .sources or one-line .list).
shopt -s nullglob
srcs=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && srcs+=("$f")
done
mirror=$(cat "${srcs[@]}" /dev/null |
  awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit} /^deb / && $0 ~ /debian\/? / {for (i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}')
[ -n "$mirror" ] || { echo "deb-root: no Debian mirror found in /etc/apt/sources.list*" >&2; exit 3; }

mkdir -p "$cache"
# One builder at a time; a second run waits and then finds the root ready.
exec 9>"$cache/.debian-$suite-$arch.lock"
flock 9
if [ -f "$root/.sipbell-ready" ]; then echo "$root"; exit 0; fi
tmp=$root.tmp
rm -rf "$tmp"
echo "deb-root: debootstrap --foreign $suite $arch from $mirror into $tmp" >&2
rm -f "$cache/debootstrap-$arch.log"
debootstrap --foreign --arch="$arch" --variant=minbase --include="$include" \
  "$suite" "$tmp" "$mirror" >"$cache/debootstrap-$arch.log" 2>&1 ||
  { tail -20 "$cache/debootstrap-$arch.log" >&2; exit 1; }
# debootstrap leaves /proc as a link to itself when it cannot mount it.
[ -L "$tmp/proc" ] && rm "$tmp/proc" && mkdir "$tmp/proc"
echo "deb-root: second stage under proot -q $qemu" >&2
PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBOOTSTRAP_DIR=/debootstrap proot -0 -q "$qemu" -r "$tmp" -b /proc -b /sys -b /dev -w / \
  /debootstrap/debootstrap --second-stage >>"$cache/debootstrap-$arch.log" 2>&1 ||
  { tail -20 "$cache/debootstrap-$arch.log" >&2; tail -20 "$tmp/debootstrap/debootstrap.log" >&2 2>/dev/null; exit 1; }
touch "$tmp/.sipbell-ready"
rm -rf "$root"
mv "$tmp" "$root"
echo "$root"
