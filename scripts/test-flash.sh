#!/usr/bin/env bash
# test-flash.sh: tests scripts/flash.sh against a loop device on a temporary
# file (never a real disk): each refusal (empty DEV, not a block device, a
# partition, not removable, mounted, image missing/empty/too large, a wrong
# answer) leaves the device untouched, and the confirmed write puts the
# image on it byte for byte. Device information comes from the real /sys
# for the "not removable" case (a loop device is not removable) and from a
# fake sysfs/mounts for the others. Needs root and losetup: skips without
# them (fails when CI=true).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
flash=$here/flash.sh
skip() {
  if [ "${CI:-}" = true ]; then echo "FAIL test-flash: $*" >&2; exit 1; fi
  echo "SKIP test-flash: $*" >&2; exit 0
}
tmp=$(mktemp -d)
loop=
cleanup() { [ -z "$loop" ] || losetup -d "$loop"; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }

# want-refusal description expected-message env/args...: flash.sh must exit
# non-zero, say expected-message, and write nothing.
want_refusal() {
  local what=$1 want=$2; shift 2
  local out
  if out=$(env "$@" </dev/null 2>&1); then bad "$what: flash.sh succeeded: $out"; return; fi
  case $out in *"$want"*) ok "$what: $(tail -n1 <<<"$out")" ;; *) bad "$what: got '$out', want '$want'" ;; esac
}

head -c 3000000 /dev/urandom >"$tmp/sipbell.img"
: >"$tmp/empty.img"
: >"$tmp/mounts"
want_refusal "empty DEV" "no device given" "$flash" "$tmp/sipbell.img" ""
want_refusal "missing image" "does not exist" "$flash" "$tmp/none.img" /dev/null
want_refusal "empty image" "is empty" "$flash" "$tmp/empty.img" /dev/null
want_refusal "regular file as DEV" "not a block device" "$flash" "$tmp/sipbell.img" "$tmp/empty.img"
want_refusal "character device as DEV" "not a block device" "$flash" "$tmp/sipbell.img" /dev/null

command -v losetup >/dev/null || skip "losetup missing: apt-get install mount"
[ "$(id -u)" -eq 0 ] || skip "needs root for a loop device"
truncate -s 8M "$tmp/card"
loop=$(losetup -f --show "$tmp/card") || skip "no loop device available"
name=${loop##*/}
zero_card() { cmp -s -n 8388608 "$tmp/card" /dev/zero; }

# The real /sys: a loop device is not removable.
want_refusal "not removable (real sysfs)" "is not removable" SIPBELL_FLASH_MOUNTS="$tmp/mounts" "$flash" "$tmp/sipbell.img" "$loop"

# fakesys removable size [partition]: a fake sysfs entry for the loop device.
fakesys() {
  rm -rf "$tmp/sys"
  mkdir -p "$tmp/sys/class/block/$name/device" "$tmp/sys/class/block/$name/${name}p1"
  echo "$1" >"$tmp/sys/class/block/$name/removable"
  echo "$2" >"$tmp/sys/class/block/$name/size"
  echo "SD Card Reader  " >"$tmp/sys/class/block/$name/device/model"
  echo 1 >"$tmp/sys/class/block/$name/${name}p1/partition"
  if [ "${3:-}" = partition ]; then echo 1 >"$tmp/sys/class/block/$name/partition"; fi
}
fake() { echo SIPBELL_FLASH_SYSFS="$tmp/sys" SIPBELL_FLASH_MOUNTS="$tmp/mounts" SIPBELL_FLASH_SWAPS="$tmp/swaps"; }
printf 'Filename Type Size Used Priority\n' >"$tmp/swaps"

fakesys 0 16384
want_refusal "not removable (fake sysfs)" "is not removable" $(fake) "$flash" "$tmp/sipbell.img" "$loop"
fakesys 1 16384 partition
want_refusal "a partition" "is a partition" $(fake) "$flash" "$tmp/sipbell.img" "$loop"
fakesys 1 16384
echo "$loop /media/card vfat rw 0 0" >"$tmp/mounts"
want_refusal "device mounted" "is in use: $loop on /media/card" $(fake) "$flash" "$tmp/sipbell.img" "$loop"
echo "/dev/${name}p1 /media/boot vfat rw 0 0" >"$tmp/mounts"
want_refusal "partition mounted" "is in use: /dev/${name}p1 on /media/boot" $(fake) "$flash" "$tmp/sipbell.img" "$loop"
: >"$tmp/mounts"
printf 'Filename Type Size Used Priority\n/dev/%sp1 partition 1024 0 -2\n' "$name" >"$tmp/swaps"
want_refusal "partition used as swap" "is in use: /dev/${name}p1 on swap" $(fake) "$flash" "$tmp/sipbell.img" "$loop"
printf 'Filename Type Size Used Priority\n' >"$tmp/swaps"
: >"$tmp/mounts"
fakesys 1 0
want_refusal "no medium" "no medium" $(fake) "$flash" "$tmp/sipbell.img" "$loop"
fakesys 1 4096
want_refusal "image larger than card" "larger than" $(fake) "$flash" "$tmp/sipbell.img" "$loop"
fakesys 1 16384
want_refusal "wrong confirmation" "stopped, nothing written" $(fake) "$flash" "$tmp/sipbell.img" "$loop"
out=$(echo sdz | env $(fake) "$flash" "$tmp/sipbell.img" "$loop" 2>&1) && bad "answer sdz wrote: $out" || ok "answer 'sdz' for $name: not written"
zero_card && ok "card untouched by every refusal" || bad "a refusal wrote to the card"

# The confirmed write.
if out=$(echo "$name" | env $(fake) "$flash" "$tmp/sipbell.img" "$loop" 2>&1); then
  if cmp -s -n 3000000 "$tmp/sipbell.img" "$loop"; then ok "confirmed write: the card holds the image"; else bad "confirmed write: card differs from image"; fi
else
  bad "confirmed write failed: $out"
fi
exit $fail
