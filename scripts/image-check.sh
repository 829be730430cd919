#!/usr/bin/env bash
# image-check.sh IMAGE rpi|amd64: looks inside a gokrazy image from make
# image without booting it: lists the partitions (GPT: boot FAT, root A,
# root B, /perm), reads the boot FAT with mtools (kernel, cmdline.txt; on
# the Pi config.txt, the Pi 3/4/5 device trees and the audio-HAT
# overlays), reads the root squashfs with squashfs-tools (sipbell, its
# config byte-identical to gokrazy/TARGET/sipbell.yaml, sipbell-gokrazy and
# its flags in gokrazy's init, dhcp), runs the packed sipbell (-version,
# -check-config of the packed config; under qemu-user for arm64), and
# checks /perm is ext4. Prints every failure; exits 1 if any. Without
# mtools/squashfs-tools: skips with a message (fails when CI=true).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 IMAGE rpi|amd64" >&2; exit 2; }
img=$1 target=$2
top=$(cd "$(dirname "$0")/.." && pwd)
need() { # tool package
  command -v "$1" >/dev/null && return 0
  if [ "${CI:-}" = true ]; then echo "FAIL image-check: $1 missing: apt-get install $2" >&2; exit 1; fi
  echo "SKIP image-check: $1 missing: apt-get install $2" >&2; exit 0
}
need sfdisk fdisk
need mdir mtools
need unsquashfs squashfs-tools
case $target in
rpi) machine=183 goarch=arm64 run=(qemu-aarch64-static); need qemu-aarch64-static qemu-user-static ;;
amd64) machine=62 goarch=amd64 run=() ;;
*) echo "image-check: unknown target $target" >&2; exit 2 ;;
esac
[ -f "$img" ] || { echo "FAIL image-check: $img: no such file (make image)"; exit 1; }
fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Partitions: start and type of each, in 512-byte sectors.
mapfile -t parts < <(sfdisk -d "$img" | sed -n 's/^.* : start= *\([0-9]*\), size= *\([0-9]*\), type=\([0-9A-F-]*\).*/\1 \2 \3/p')
[ "$(sfdisk -d "$img" | sed -n 's/^label: //p')" = gpt ] && ok "partition table: GPT" || bad "partition table is not GPT"
if [ ${#parts[@]} -ne 4 ]; then bad "want 4 partitions (boot, root A, root B, perm), got ${#parts[@]}"; exit 1; fi
i=0
for p in "${parts[@]}"; do
  read -r start size type <<<"$p"
  i=$((i + 1))
  echo "     partition $i: start $start, $((size / 2048)) MB, type $type"
done
read -r boot _ boottype <<<"${parts[0]}"
read -r root _ <<<"${parts[1]}"
read -r perm _ <<<"${parts[3]}"
[ "$boottype" = C12A7328-F81F-11D2-BA4B-00A0C93EC93B ] && ok "partition 1 is the EFI/boot FAT" || bad "partition 1 type $boottype"
fat=$img@@$((boot * 512))
sq=$((root * 512))

# Boot FAT.
files=$(mdir -b -i "$fat" :: | sed 's#^::/##')
for f in vmlinuz cmdline.txt config.txt; do grep -qx "$f" <<<"$files" || bad "boot FAT lacks $f"; done
cmdline=$(mtype -i "$fat" ::cmdline.txt)
grep -q 'root=PARTUUID=' <<<"$cmdline" && grep -q 'init=/gokrazy/init' <<<"$cmdline" && ok "cmdline.txt: root by PARTUUID, init=/gokrazy/init" || bad "cmdline.txt: $cmdline"
if [ "$target" = rpi ]; then
  config=$(mtype -i "$fat" ::config.txt | tr -d '\r')
  echo "     config.txt: $(grep -v '^#' <<<"$config" | grep . | paste -sd ' ')"
  grep -qx 'kernel=vmlinuz' <<<"$config" && grep -q 'arm_control=0x200\|arm_64bit=1' <<<"$config" &&
    ok "config.txt boots the 64-bit kernel" || bad "config.txt does not boot vmlinuz in 64-bit mode"
  for f in bootcode.bin start4.elf bcm2710-rpi-3-b.dtb bcm2710-rpi-3-b-plus.dtb bcm2711-rpi-4-b.dtb bcm2712-rpi-5-b.dtb; do
    grep -qx "$f" <<<"$files" || bad "boot FAT lacks $f (Pi 3/4/5 firmware and device trees)"
  done
  overlays=$(mdir -b -i "$fat" ::overlays | sed 's#^::/overlays/##')
  for o in wm8960-soundcard googlevoicehat-soundcard hifiberry-dac max98357a; do
    grep -qx "$o.dtbo" <<<"$overlays" || bad "boot FAT lacks overlays/$o.dtbo"
  done
  ok "boot FAT: firmware, Pi 3/4/5 device trees, audio-HAT overlays"
else
  mdir -b -i "$fat" ::EFI/BOOT | grep -q BOOTX64.EFI && ok "boot FAT: vmlinuz, EFI/BOOT/BOOTX64.EFI" || bad "boot FAT lacks EFI/BOOT/BOOTX64.EFI"
fi

# Root squashfs.
list=$(unsquashfs -o "$sq" -lc "$img" 2>/dev/null | sed 's#^squashfs-root##')
for f in /gokrazy/init /gokrazy/dhcp /user/sipbell /user/sipbell-gokrazy /etc/sipbell/sipbell.yaml /etc/hostname; do
  grep -qx "$f" <<<"$list" || bad "root squashfs lacks $f"
done
unsquashfs -q -o "$sq" -d "$tmp/root" "$img" user/sipbell etc/sipbell/sipbell.yaml gokrazy/init etc/hostname >/dev/null 2>&1 ||
  { bad "unsquashfs could not extract sipbell and its config"; exit 1; }
cmp -s "$tmp/root/etc/sipbell/sipbell.yaml" "$top/gokrazy/$target/sipbell.yaml" &&
  ok "root squashfs: /etc/sipbell/sipbell.yaml is gokrazy/$target/sipbell.yaml" || bad "packed config differs from gokrazy/$target/sipbell.yaml"
# gokrazy's init carries each package's flags: sipbell-gokrazy seeds
# /perm/sipbell/sipbell.yaml from the image's file and execs /user/sipbell.
flags=ok
for f in -seed /etc/sipbell/sipbell.yaml -config /perm/sipbell/sipbell.yaml /user/sipbell; do
  grep -aqF -- "$f" "$tmp/root/gokrazy/init" || { bad "gokrazy init lacks sipbell-gokrazy's flag $f"; flags=; }
done
[ -z "$flags" ] || ok "gokrazy init starts sipbell-gokrazy -seed /etc/sipbell/sipbell.yaml -config /perm/sipbell/sipbell.yaml"
bin=$tmp/root/user/sipbell
m=$(od -An -tu2 -j18 -N2 "$bin" | tr -d ' ')
[ "$m" = "$machine" ] || bad "/user/sipbell ELF machine $m, want $machine"
if command -v go >/dev/null; then
  bi=$(go version -m "$bin")
  grep -qP "\tbuild\tGOARCH=$goarch\$" <<<"$bi" && grep -qP "\tbuild\tCGO_ENABLED=0\$" <<<"$bi" ||
    bad "/user/sipbell not built GOARCH=$goarch CGO_ENABLED=0"
fi
if out=$("${run[@]}" "$bin" -version 2>&1); then ok "packed sipbell starts: $out"; else bad "packed sipbell -version: $out"; fi
out=$("${run[@]}" "$bin" -check-config "$tmp/root/etc/sipbell/sipbell.yaml" 2>&1) && ok "packed sipbell accepts its packed config" || bad "packed config rejected: $out"

# /perm: ext4, so sipbell's state dir is writable from the first boot.
magic=$(od -An -tx2 -j $((perm * 512 + 1080)) -N2 "$img" | tr -d ' ')
[ "$magic" = ef53 ] && ok "/perm (partition 4) is ext4" || bad "/perm is not formatted (magic $magic)"
echo "     $(basename "$img"): $(du -m --apparent-size "$img" | cut -f1) MB, $(du -m "$img" | cut -f1) MB used; sipbell $(stat -c %s "$bin") bytes; hostname $(cat "$tmp/root/etc/hostname")"
exit $fail
