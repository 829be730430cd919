#!/usr/bin/env bash
# update-image.sh IMAGE OUT: cuts the firmware update from a gokrazy disk
# image built by image.sh (make image / make image-amd64): the root file
# system of partition 2 (squashfs), exactly as long as squashfs says, into
# OUT. Sign it and publish both, then name it in provisioning:
#   minisign -S -s release.key -m OUT      (writes OUT.minisig)
#   provisioning: firmware: {url: https://.../OUT, version: <its version>}
# The device verifies the signature with provisioning.signing_keys, writes
# the spare root partition, tries it once and keeps it when healthy.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 IMAGE OUT" >&2; exit 2; }
img=$1 out=$2
start=$(sfdisk -d "$img" | sed -n 's/^.*2 : start= *\([0-9]*\),.*/\1/p')
[ -n "$start" ] || { echo "update-image: $img has no partition 2" >&2; exit 1; }
off=$((start * 512))
# squashfs superblock: magic "hsqs" at 0, bytes_used (little-endian u64) at 40.
magic=$(dd if="$img" bs=1 skip="$off" count=4 status=none)
[ "$magic" = hsqs ] || { echo "update-image: partition 2 of $img is not squashfs" >&2; exit 1; }
used=$(od -An -t u8 -j $((off + 40)) -N 8 "$img" | tr -d ' ')
size=$(((used + 4095) / 4096 * 4096)) # squashfs pads to 4 KiB
dd if="$img" of="$out.tmp" bs=4096 skip=$((off / 4096)) count=$((size / 4096)) status=none
mv "$out.tmp" "$out"
echo "update-image: $out: root file system of $(basename "$img"), $size bytes"
