#!/usr/bin/env bash
# test-deps.sh: installs what `make test` needs, idempotently and quietly;
# `make test` runs it first, so a fresh Debian machine needs only `make test`.
# Root (or sudo) is needed once, for apt-get install; kernels and modules go
# to ~/.cache/sipbell and are fetched or built only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests talk to (real SIP peers, ARM emulation, browser).
pkgs=(
  make git ca-certificates
  kamailio kamailio-presence-modules kamailio-sqlite-modules kamailio-tls-modules sqlite3 openssl
  baresip-core sip-tester sipsak sox
  multimon-ng minimodem ffmpeg coturn
  qemu-user-static
  iproute2 nftables
  dnsmasq-base dnsutils
  mosquitto mosquitto-clients
  minisign age
  chromium
  dpkg-dev systemd proot debootstrap
  qemu-system-x86 qemu-system-arm device-tree-compiler mtools squashfs-tools fdisk e2fsprogs curl xz-utils
  gcc gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# need WHAT COMMAND...: runs a set-up step; outside CI, a step that cannot
# run (no root, no network) is reported and the tests that need it skip.
need() {
  local what=$1; shift
  "$@" && return
  [ "${CI:-}" = true ] && { echo "test-deps: $what failed" >&2; exit 1; }
  echo "test-deps: $what failed; the tests that need it will be skipped" >&2
}
install_pkgs() {
  echo "test-deps: installing ${missing[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  [ -z "$SUDO" ] || command -v sudo >/dev/null || { echo "test-deps: not root and no sudo" >&2; return 1; }
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq &&
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
[ ${#missing[@]} -eq 0 ] || need "installing Debian packages" install_pkgs

export PATH=/usr/local/go/bin:$PATH
go mod download
# Debian kernels with a sound core, for the ALSA layer's real-kernel test.
need "fetching kernels" scripts/alsa-kernel-fetch.sh amd64 arm64 armhf
# The kernel's gpio-sim driver, built as a module for those kernels
# (Debian's do not build it), for the board's real-kernel GPIO test.
need "building gpio-sim" scripts/gpiosim-build.sh amd64 arm64 armhf

