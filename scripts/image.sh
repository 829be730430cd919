#!/usr/bin/env bash
# image.sh TARGET OUT VERSION COMMIT: builds a complete gokrazy disk image
# (boot FAT, two squashfs roots, ext4 /perm) into the file OUT with
# monogok, from gokrazy/TARGET/config.json (TARGET rpi: Pi 3/4/5, arm64;
# amd64: its twin for qemu). The config is copied to gokrazy/build/TARGET
# with the version stamped into sipbell's -ldflags. /perm is formatted
# (mkfs.ext4 at the offset monogok prints) so sipbell's state dir
# (/perm/sipbell) is writable from the first boot.
#
# gokrazy/ is its own Go module (sipbell comes from .. by a replace), so
# gokrazy's kernel, firmware and init stay out of the main module. A new
# dependency of sipbell is picked up through GOFLAGS=-mod=mod, which may
# update gokrazy/go.sum.
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 rpi|amd64 OUT VERSION COMMIT" >&2; exit 2; }
target=$1 version=$3 commit=$4
# monogok is served only as pseudo-versions: pinned here.
monogok=github.com/bradfitz/monogok/cmd/monogok@v0.0.0-20260630033929-b1eef977b41f
size=1363148800 # 1.3 GB: 100 MB boot, 2 x 500 MB root, ~200 MB /perm; fits any 2 GB card
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "$2")
case $target in rpi | amd64) ;; *) echo "image: unknown target $target (rpi or amd64)" >&2; exit 2 ;; esac
mkfs=$(command -v mkfs.ext4 || echo /sbin/mkfs.ext4)
[ -x "$mkfs" ] || { echo "image: mkfs.ext4 missing: apt-get install e2fsprogs" >&2; exit 1; }

cd "$top/gokrazy"
mkdir -p "build/$target" "$(dirname "$out")"
sed "s|\"-ldflags=-s -w\"|\"-ldflags=-s -w -X main.version=$version -X main.commit=$commit\"|" \
  "$target/config.json" >"build/$target/config.json"
grep -q "main.version=$version" "build/$target/config.json" ||
  { echo "image: could not stamp the version into $target/config.json's GoBuildFlags" >&2; exit 1; }

log=$out.log
rm -f "$out.tmp"
echo "image: monogok overwrite --full $out ($target); log in $log"
if ! GOFLAGS=-mod=mod go run "$monogok" overwrite --config "build/$target/config.json" \
  --full "$out.tmp" --target_storage_bytes "$size" >"$log" 2>&1; then
  tail -30 "$log" >&2
  exit 1
fi
# monogok prints how to make /perm: "mkfs.ext4 -F -E offset=N FILE KB".
read -r offset kb < <(sed -n 's/.*mkfs\.ext4 -F -E offset=\([0-9]*\) .* \([0-9]*\)$/\1 \2/p' "$log")
[ -n "${offset:-}" ] || { echo "image: monogok did not say where /perm goes (see $log)" >&2; exit 1; }
"$mkfs" -q -F -L perm -E offset="$offset" "$out.tmp" "$kb"
mv "$out.tmp" "$out"
echo "image: $out: $(du -m --apparent-size "$out" | cut -f1) MB ($(du -m "$out" | cut -f1) MB used); /perm at byte $offset"
sed -n '/gokrazy provides a web interface/,/^$/{/http:/p}' "$log" | sed 's/^.*\t/image: gokrazy web UI: /'
