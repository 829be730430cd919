#!/bin/sh
# deb-config.sh EXAMPLE OUT: the Debian package's default configuration:
# configs/sipbell.example.yaml (kept valid and commented by the project)
# with the board profile set from sim to rpi, since the package runs on a
# Raspberry Pi. Fails when the example has no "profile: sim" line to set.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 EXAMPLE OUT" >&2; exit 2; }
sed 's/^\(  profile:\) sim\( .*\)\{0,1\}$/\1 rpi        # the Debian package runs on a Pi: bare GPIO header/' "$1" >"$2.tmp"
if ! grep -q '^  profile: rpi ' "$2.tmp"; then
  rm -f "$2.tmp"
  echo "deb-config: $1 has no '  profile: sim' line under board: to set to rpi" >&2
  exit 1
fi
mv "$2.tmp" "$2"
