#!/usr/bin/env bash
# flash.sh IMAGE DEV: writes a disk image (make image) to an SD card with dd
# and fsync. Run it as `make flash DEV=/dev/sdX`.
#
# Refuses, before writing anything: an empty DEV, a DEV that is not a block
# device or is a partition (/dev/sdb1: give the whole card, /dev/sdb), a
# device that is not removable (internal disks; USB card readers are
# accepted), a device with any mounted partition (unmount it first), and
# an image that is missing, empty or larger than the device. Then it
# shows what it found and asks for the device name to be typed back; only
# that answer writes.
#
# Tests point it at loop devices and fake device information through
# SIPBELL_FLASH_SYSFS (default /sys), SIPBELL_FLASH_MOUNTS (default
# /proc/self/mounts) and SIPBELL_FLASH_SWAPS (default /proc/swaps); the
# tests never give it a real disk.
set -euo pipefail
sysfs=${SIPBELL_FLASH_SYSFS:-/sys}
mounts=${SIPBELL_FLASH_MOUNTS:-/proc/self/mounts}
swaps=${SIPBELL_FLASH_SWAPS:-/proc/swaps}

refuse() { echo "flash: refusing: $*" >&2; exit 1; }
[ $# -eq 2 ] || { echo "usage: $0 IMAGE DEV   (make flash DEV=/dev/sdX)" >&2; exit 2; }
img=$1 dev=$2

[ -n "$dev" ] || refuse "no device given: make flash DEV=/dev/sdX (lsblk lists the SD card)"
[ -f "$img" ] || refuse "image $img does not exist (make image builds it)"
imgsize=$(stat -L -c %s "$img")
[ "$imgsize" -gt 0 ] || refuse "image $img is empty"
[ -e "$dev" ] || refuse "$dev does not exist"
[ -b "$dev" ] || refuse "$dev is not a block device"

real=$(realpath "$dev")
name=${real##*/}
info=$sysfs/class/block/$name
[ -d "$info" ] || refuse "$dev: no $info (not a disk the kernel knows)"
[ ! -e "$info/partition" ] || refuse "$dev is a partition; give the whole card (e.g. /dev/sdb, not /dev/sdb1)"

removable=$(cat "$info/removable" 2>/dev/null || echo 0)
usb=no
case $(readlink -f "$info" 2>/dev/null || true) in */usb*) usb=yes ;; esac
if [ "$removable" != 1 ] && [ "$usb" != yes ]; then
  refuse "$dev is not removable (removable=$removable, not on USB): an internal disk?"
fi

# The device and its partitions, by name, as mounts would show them.
parts=$(cd "$info" && for p in "$name"*; do [ -e "$p/partition" ] && echo "$p"; done || true)
mounted=
while read -r src target _; do
  [ "${src#/dev/}" != "$src" ] || continue
  s=$(realpath "$src" 2>/dev/null || echo "$src")
  for n in "$name" $parts; do
    if [ "$s" = "/dev/$n" ]; then mounted="$mounted /dev/$n on $target"; fi
  done
done < <(cat "$mounts"; [ -r "$swaps" ] && awk 'NR > 1 {print $1, "swap"}' "$swaps")
[ -z "$mounted" ] || refuse "$dev is in use:$mounted (unmount it: sudo umount /dev/${name}?*)"

sectors=$(cat "$info/size")
devsize=$((sectors * 512))
[ "$devsize" -gt 0 ] || refuse "$dev has no medium (size 0): is the card inserted?"
[ "$imgsize" -le "$devsize" ] || refuse "image is $imgsize bytes, larger than $dev ($devsize bytes)"

model=$(cat "$info/device/model" 2>/dev/null | sed 's/ *$//' || true)
echo "flash: $img ($((imgsize / 1000000)) MB) -> $dev${model:+ ($model)}, $((devsize / 1000000)) MB, removable=$removable usb=$usb"
echo "flash: EVERYTHING ON $dev WILL BE LOST."
printf 'flash: type the device name (%s) to write, anything else to stop: ' "$name"
read -r answer || answer=
[ "$answer" = "$name" ] || { echo; echo "flash: stopped, nothing written" >&2; exit 1; }

dd if="$img" of="$real" bs=4M conv=fsync status=progress
sync
echo "flash: done: $dev holds $img; eject it and put it in the Pi"
