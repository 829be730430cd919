#!/usr/bin/env bash
# deb-check.sh ARMHF_DEB ARM64_DEB: checks the two Debian packages without a
# Pi: control fields and maintainer scripts (dpkg-deb --info), files, modes
# and the conffile (dpkg-deb --contents), the binary's architecture (ELF
# header, Go build info: ARMv6 in armhf, CGO off), that it starts under
# qemu-user on the CPU it is meant for and accepts the packaged config,
# that copyright names every Go module linked in, the changelog parses,
# and `systemd-analyze verify` / `security` of the unit. Prints every
# failure, exits 1 if any. Without a tool it needs: skips with a message
# (fails when CI=true).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 ARMHF_DEB ARM64_DEB" >&2; exit 2; }
need() { # tool debian-package
  command -v "$1" >/dev/null && return 0
  if [ "${CI:-}" = true ]; then echo "FAIL deb-check: $1 missing: apt-get install $2" >&2; exit 1; fi
  echo "SKIP deb-check: $1 missing: apt-get install $2" >&2; exit 0
}
need dpkg-deb dpkg
need systemd-analyze systemd
need dpkg-parsechangelog dpkg-dev
need qemu-aarch64-static qemu-user-static
need go golang

fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # deb arch elf-machine go-arch-setting qemu-command...
  local deb=$1 arch=$2 machine=$3 goset=$4; shift 4
  local n; n=$(basename "$deb")
  local root=$tmp/$arch
  [ -f "$deb" ] || { bad "$n: no such file"; return; }
  local info; info=$(dpkg-deb --info "$deb")
  local f want
  for want in "Package: sipbell" "Architecture: $arch" "Depends: adduser, tzdata" "Section: comm"; do
    grep -qx " $want" <<<"$info" || bad "$n: control lacks '$want'"
  done
  for f in postinst prerm postrm; do
    grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +\* +$f " <<<"$info" || bad "$n: maintainer script $f missing or not executable"
  done
  mkdir -p "$root/DEBIAN"
  dpkg-deb --control "$deb" "$root/DEBIAN"
  [ "$(cat "$root/DEBIAN/conffiles")" = /etc/sipbell/sipbell.yaml ] || bad "$n: conffiles is '$(cat "$root/DEBIAN/conffiles")', want /etc/sipbell/sipbell.yaml"
  for f in postinst prerm postrm; do sh -n "$root/DEBIAN/$f" || bad "$n: $f: shell syntax"; done

  local contents; contents=$(dpkg-deb --contents "$deb")
  local line mode path
  while read -r mode path; do
    line=$(awk -v p="./$path" '$6 == p {print $1, $2}' <<<"$contents")
    [ "$line" = "$mode root/root" ] || bad "$n: /$path is '${line:-missing}', want $mode root/root"
  done <<'EOF'
-rwxr-xr-x usr/bin/sipbell
-rwxr-xr-x usr/sbin/sipbell-audio-hat
-rw-r--r-- lib/systemd/system/sipbell.service
-rw-r----- etc/sipbell/sipbell.yaml
-rw-r--r-- usr/share/doc/sipbell/copyright
-rw-r--r-- usr/share/doc/sipbell/changelog.Debian.gz
EOF
  local extra; extra=$(awk '$1 !~ /^d/ {print $6}' <<<"$contents" | grep -Ev '^\./(usr/bin/sipbell|usr/sbin/sipbell-audio-hat|lib/systemd/system/sipbell.service|etc/sipbell/sipbell.yaml|usr/share/doc/sipbell/(copyright|changelog.Debian.gz))$' || true)
  [ -z "$extra" ] || bad "$n: unexpected files: $extra"

  dpkg-deb -x "$deb" "$root"
  local bin=$root/usr/bin/sipbell
  local m; m=$(od -An -tu2 -j18 -N2 "$bin" | tr -d ' ')
  [ "$m" = "$machine" ] || bad "$n: /usr/bin/sipbell ELF machine $m, want $machine"
  local bi; bi=$(go version -m "$bin")
  grep -qP "\tbuild\t$goset\$" <<<"$bi" || bad "$n: binary not built with $goset"
  grep -qP "\tbuild\tCGO_ENABLED=0\$" <<<"$bi" || bad "$n: binary not built with CGO_ENABLED=0"
  local mod
  for mod in $(awk '$1 == "dep" {print $2}' <<<"$bi"); do
    grep -qF "$mod" "$root/usr/share/doc/sipbell/copyright" || bad "$n: copyright does not name linked module $mod"
  done
  local out
  if out=$("$@" "$bin" -version 2>&1); then ok "$n: $out"; else bad "$n: -version under $*: $out"; fi
  out=$("$@" "$bin" -check-config "$root/etc/sipbell/sipbell.yaml" 2>&1) || bad "$n: packaged config invalid: $out"
  grep -q '^  profile: rpi' "$root/etc/sipbell/sipbell.yaml" || bad "$n: packaged config does not select the rpi board"
  zcat "$root/usr/share/doc/sipbell/changelog.Debian.gz" >"$tmp/changelog"
  dpkg-parsechangelog -l "$tmp/changelog" -S Version >/dev/null 2>&1 || bad "$n: changelog.Debian.gz does not parse"

  # systemd-analyze verify in the package's own root, with the host's
  # targets/slices beside the unit so dependencies resolve; any warning
  # (unknown key, bad value, missing binary) is a failure.
  local units=$root/lib/systemd/system
  for f in /lib/systemd/system/*.target /lib/systemd/system/*.slice; do [ -e "$units/${f##*/}" ] || cp "$f" "$units/"; done
  out=$(systemd-analyze verify --root="$root" sipbell.service 2>&1) && [ -z "$out" ] || bad "$n: systemd-analyze verify: $out"
  local unit=$units/sipbell.service
  for want in Type=notify WatchdogSec= User=sipbell "SupplementaryGroups=gpio audio" StateDirectory=sipbell \
      ExecStart=/usr/bin/sipbell NoNewPrivileges=yes ProtectSystem=strict ReadWritePaths=/etc/sipbell \
      CapabilityBoundingSet=CAP_NET_BIND_SERVICE AmbientCapabilities=CAP_NET_BIND_SERVICE; do
    grep -q "^$want" "$unit" || bad "$n: unit lacks $want"
  done
  local exposure
  exposure=$(systemd-analyze security --offline=true --root="$root" sipbell.service 2>&1 | sed -n 's/.*Overall exposure level for sipbell.service: \([0-9.]*\).*/\1/p')
  if [ -z "$exposure" ]; then bad "$n: systemd-analyze security gave no exposure level"
  elif awk -v e="$exposure" 'BEGIN {exit !(e <= 3.0)}'; then ok "$n: unit verified; systemd-analyze security exposure $exposure (<= 3.0)"
  else bad "$n: systemd-analyze security exposure $exposure, want <= 3.0"; fi
  ok "$n: $(stat -c %s "$deb") bytes, $(awk '$1 !~ /^d/' <<<"$contents" | wc -l) files"
}

check "$1" armhf 40 GOARM=6 qemu-arm-static -cpu arm1176
check "$2" arm64 183 GOARCH=arm64 qemu-aarch64-static
exit $fail
