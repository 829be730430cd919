#!/usr/bin/env bash
# deb-install-test.sh ARM64_DEB: installs, upgrades over a changed config,
# removes and purges the arm64 package in a Debian bookworm arm64 root run
# through `proot -q qemu-aarch64-static`, the way Raspberry Pi OS 64-bit
# would, and checks what each step leaves behind: the system user and its
# groups, the config's owner, the unit enabled, the installed binary
# answering -version and accepting its config; the firmware slots' launch
# and rollback (manifest updates), only of a slot matching its signed
# record with the release key root installed in /etc/sipbell-update-keys;
# a changed conffile kept on
# upgrade; remove keeping the config; purge removing config, state and
# enablement. The root is built once by scripts/deb-root.sh and cached
# (~/.cache/sipbell); each run works on a fresh copy of it. Without the
# tools (or root), skips with a message; fails when CI=true.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 ARM64_DEB" >&2; exit 2; }
deb=$(realpath "$1")
here=$(dirname "$0")
skip() {
  if [ "${CI:-}" = true ]; then echo "FAIL deb-install-test: $*" >&2; exit 1; fi
  echo "SKIP deb-install-test: $*" >&2; exit 0
}
for t in debootstrap:debootstrap proot:proot qemu-aarch64-static:qemu-user-static minisign:minisign; do
  command -v "${t%%:*}" >/dev/null || skip "${t%%:*} missing: apt-get install ${t#*:}"
done
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap and dpkg chown in the guest root)"

start=$(date +%s)
cached=$("$here/deb-root.sh" arm64)
work=$(mktemp -d "${TMPDIR:-/tmp}/sipbell-debroot.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -a "$cached/." "$work/"
cp "$deb" "$work/tmp/sipbell.deb"
echo "== arm64 root ready in $(($(date +%s) - start)) s ($(du -sm "$work" | cut -f1) MB)"

# guest CMD...: runs CMD in the arm64 root (as root, no systemd running).
guest() {
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    proot -0 -q qemu-aarch64-static -r "$work" -b /proc -b /dev -b /sys -w / "$@" </dev/null
}
fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }
expect() { # description want command...: the command's output must be want
  local what=$1 want=$2 got; shift 2
  got=$(guest "$@" 2>&1) || true
  if [ "$got" = "$want" ]; then ok "$what: $got"; else bad "$what: got '$got', want '$want'"; fi
}
# launch: the package's binary, as the unit starts it, on the root's files
# (the slots, the key file) by their paths from here, under qemu-user
# without proot: proot dies at times ("talloc report") when a
# multi-threaded tracee such as the Go launcher execs the slot.
launch() {
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 qemu-aarch64-static "$work/usr/bin/sipbell" \
    -config "$work/tmp/slot.yaml" -update-keys "$work/etc/sipbell-update-keys" </dev/null
}
expect_launch() { # description want: launch's standard output must be want
  local got; got=$(launch 2>/dev/null) || true
  if [ "$got" = "$2" ]; then ok "$1: $got"; else bad "$1: got '$got', want '$2'"; fi
}
gone() { # description path...: none of the paths exists in the root
  local what=$1 p left=; shift
  for p in "$@"; do [ -e "$work$p" ] || [ -L "$work$p" ] && left="$left $p"; done
  if [ -z "$left" ]; then ok "$what"; else bad "$what: still there:$left"; fi
}

# Install.
out=$(guest dpkg -i /tmp/sipbell.deb 2>&1) || { bad "dpkg -i: $out"; exit 1; }
ok "dpkg -i $(basename "$deb")"
expect "package state" "install ok installed" dpkg-query -W -f='${Status}' sipbell
expect "system user" "sipbell:/var/lib/sipbell:/usr/sbin/nologin" sh -c 'getent passwd sipbell | cut -d: -f1,6,7'
expect "user's groups" "audio gpio sipbell" sh -c 'id -nG sipbell | tr " " "\n" | grep -x -e sipbell -e audio -e gpio | sort | paste -sd " "'
# Owners are read on the host side (statx is not emulated in the guest)
# and named through the guest's passwd/group.
owner() { # path: user:group mode, names from the guest's databases
  local u g m
  read -r u g m < <(stat -c '%u %g %a' "$work$1") || { echo missing; return; }
  echo "$(awk -F: -v id="$u" '$3 == id {print $1}' "$work/etc/passwd"):$(awk -F: -v id="$g" '$3 == id {print $1}' "$work/etc/group") $m"
}
expect_owner() { # description path want
  local got; got=$(owner "$2")
  if [ "$got" = "$3" ]; then ok "$1: $2 $got"; else bad "$1: $2 is '$got', want '$3'"; fi
}
expect_owner "config dir" /etc/sipbell "sipbell:sipbell 750"
expect_owner "config file" /etc/sipbell/sipbell.yaml "sipbell:sipbell 640"
expect "unit enabled" "/lib/systemd/system/sipbell.service" readlink /etc/systemd/system/multi-user.target.wants/sipbell.service
out=$(guest /usr/bin/sipbell -version 2>&1) || true
case $out in *" linux/arm64 "*) ok "installed binary starts: $out" ;; *) bad "installed binary -version: $out" ;; esac
expect "installed binary checks its config" "/etc/sipbell/sipbell.yaml: ok" /usr/bin/sipbell -check-config /etc/sipbell/sipbell.yaml

# Upgrade (the same package again) over a config changed on the device:
# dpkg must keep the change without asking.
guest sh -c 'echo "# changed on the device" >>/etc/sipbell/sipbell.yaml'
out=$(guest dpkg -i /tmp/sipbell.deb 2>&1) || bad "dpkg -i (upgrade): $out"
expect "changed conffile kept on upgrade" "# changed on the device" tail -n1 /etc/sipbell/sipbell.yaml
expect_owner "config file after upgrade" /etc/sipbell/sipbell.yaml "sipbell:sipbell 640"

# Firmware slots (manifest updates, /var/lib/sipbell/firmware-slots): the
# package's binary starts the current slot's binary when it is newer (a
# trial with SIPBELL_SLOT_TRIAL=1) and matches the signed manifest kept
# with it, checked with the release key root installed; a trial that used
# up its starts is rolled back to the package's binary. The slot is a
# script that says it ran, recorded in a manifest signed with minisign;
# the config cannot start (a foreign address), so the package's own
# binary never serves. The slot script prints its arguments: the
# launcher's, passed on.
args="-config $work/tmp/slot.yaml -update-keys $work/etc/sipbell-update-keys"
slots=$work/var/lib/sipbell/firmware-slots
mkdir -p "$slots/a"
printf '#!/bin/sh\necho "slot a ran trial=$SIPBELL_SLOT_TRIAL $*"\n' >"$slots/a/sipbell"
chmod 755 "$slots/a/sipbell"
echo v99.0.0 >"$slots/a/version"
minisign -G -W -p "$work/tmp/release.pub" -s "$work/tmp/release.key" >/dev/null
printf '{"version": "v99.0.0", "files": {"linux/arm64": {"url": "sipbell", "sha256": "%s", "size": %d}}}' \
  "$(sha256sum <"$slots/a/sipbell" | cut -d" " -f1)" "$(stat -c %s "$slots/a/sipbell")" >"$slots/a/manifest.json"
minisign -S -s "$work/tmp/release.key" -m "$slots/a/manifest.json" -t "sipbell v99.0.0" >/dev/null
ln -sfn a "$slots/current"
ln -sfn package "$slots/previous"
printf 'sip:\n  listen: 192.0.2.1:5060\n  user: door\nboard:\n  profile: sim\nprovisioning:\n  state_dir: %s\n  dhcp_lease_files: []\n  admin:\n    listen: ""\n' "$work/var/lib/sipbell" >"$work/tmp/slot.yaml"
fwstate() { echo "$1" >"$work/var/lib/sipbell/firmware.json"; }
fwstate '{"phase": "installed", "version": "v99.0.0"}'
out=$(launch 2>&1) || true
case $out in *"slot a ran"*) bad "a slot ran without the update keys installed: $out" ;;
  *"no trusted update keys"*) ok "no slot started without /etc/sipbell-update-keys" ;;
  *) bad "no 'no trusted update keys' without the key file: $out" ;; esac
guest install -m 0644 -o root -g root /tmp/release.pub /etc/sipbell-update-keys
expect_owner "update keys" /etc/sipbell-update-keys "root:root 644"
expect_launch "package binary runs the newer slot" "slot a ran trial= $args"
fwstate '{"phase": "trial", "version": "v99.0.0", "starts": 1}'
expect_launch "a trial start of the slot" "slot a ran trial=1 $args"
grep -q '"starts": 2' "$work/var/lib/sipbell/firmware.json" && ok "trial start counted" || bad "trial start not counted: $(cat "$work/var/lib/sipbell/firmware.json")"
fwstate '{"phase": "trial", "version": "v99.0.0", "starts": 4}'
out=$(launch 2>&1) || true
case $out in *"slot a ran"*) bad "a trial past its starts ran the slot again: $out" ;; *) ok "a trial past its starts is not run again" ;; esac
[ ! -e "$slots/current" ] && ok "rolled back to the package's binary (no current slot)" || bad "current slot still $(readlink "$slots/current")"
grep -q "did not start healthy" "$work/var/lib/sipbell/firmware.json" && ok "rollback reason kept" || bad "no rollback reason: $(cat "$work/var/lib/sipbell/firmware.json")"
# A slot changed after it was installed (a process of the service taken
# over could write it) is refused, marked failed and not run again.
printf '#!/bin/sh\necho "planted slot ran"\n' >"$slots/a/sipbell"
ln -sfn a "$slots/current"
fwstate '{"phase": "installed", "version": "v99.0.0"}'
out=$(launch 2>&1) || true
case $out in *"planted slot ran"*) bad "a changed slot ran: $out" ;;
  *"firmware slot refused"*"slot a: the binary"*) ok "a changed slot is refused" ;;
  *) bad "no refusal of a changed slot: $out" ;; esac
[ ! -e "$slots/current" ] && grep -q '"phase": "failed"' "$work/var/lib/sipbell/firmware.json" \
  && ok "the changed slot is marked failed, not current" || bad "changed slot not marked: $(readlink "$slots/current") $(cat "$work/var/lib/sipbell/firmware.json")"
rm -rf "$slots" "$work/var/lib/sipbell/firmware.json" "$work/tmp/slot.yaml" "$work/tmp/release.key" "$work/tmp/release.pub"

# Remove: program and unit go, configuration stays.
guest mkdir -p /var/lib/sipbell
guest sh -c 'echo hash >/var/lib/sipbell/admin-password'
out=$(guest dpkg -r sipbell 2>&1) || bad "dpkg -r: $out"
expect "state after remove" "deinstall ok config-files" dpkg-query -W -f='${Status}' sipbell
gone "binary, unit and helper removed" /usr/bin/sipbell /lib/systemd/system/sipbell.service /usr/sbin/sipbell-audio-hat
expect "config kept after remove" "# changed on the device" tail -n1 /etc/sipbell/sipbell.yaml

# Purge: configuration, state and the unit's enablement go; the user stays.
out=$(guest dpkg -P sipbell 2>&1) || bad "dpkg -P: $out"
expect "state after purge" "not-installed" sh -c 'dpkg-query -W -f="\${Status}" sipbell 2>/dev/null | grep -q "ok installed" && echo installed || echo not-installed'
gone "config, state and unit links purged" /etc/sipbell /var/lib/sipbell \
  /etc/systemd/system/multi-user.target.wants/sipbell.service /etc/systemd/system/sipbell.service
left=$(find "$work/etc/systemd" "$work/var/lib/systemd" -name '*sipbell*' 2>/dev/null | sed "s#^$work##")
[ -z "$left" ] && ok "no systemd state left" || bad "systemd state left after purge: $left"
expect "system user kept after purge" "sipbell" sh -c 'getent passwd sipbell | cut -d: -f1'

echo "== deb install/remove/purge proof: $(($(date +%s) - start)) s"
exit $fail
