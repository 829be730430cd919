#!/usr/bin/env bash
# gpiosim-build.sh ARCH...: builds the kernel's gpio-sim driver as a module
# for the Debian kernel scripts/alsa-kernel-fetch.sh cached for each ARCH
# (amd64, arm64, armhf), into ~/.cache/sipbell/kernel/ARCH/modules/gpio-sim.ko.
# Debian's kernels do not build gpio-sim (CONFIG_GPIO_SIM and CONFIG_IRQ_SIM
# are off), so this takes drivers/gpio/gpio-sim.c, drivers/gpio/gpiolib.h and
# kernel/irq/irq_sim.c from Debian's linux-source package of the very same
# version and builds them as one out-of-tree module against that version's
# linux-headers (with the amd64 linux-kbuild tools, cross-compiling for arm64
# and armhf with Debian's gcc-aarch64-linux-gnu / gcc-arm-linux-gnueabihf;
# for armhf, modpost is the armhf package's own, run by qemu-arm-static).
# One line of irq_sim.c is changed to build outside the kernel: it called
# handle_simple_irq(irq_to_desc(irq)), and irq_to_desc is not exported to
# modules; generic_handle_irq(irq) runs the same handler (the one irq_sim
# installed) through an exported function.
# It also copies configfs.ko (gpio-sim is configured through configfs,
# a module in Debian's kernels) and the virtio network driver's modules
# (into modules/net/, numbered in load order) out of the same kernel package.
# Setup like installing a package: scripts/test-deps.sh runs it; the downloads
# (~150 MB, mostly the source) are dropped after the build and the module
# is cached, so it runs once per kernel version. Idempotent.
set -euo pipefail
cache=${XDG_CACHE_HOME:-$HOME/.cache}/sipbell/kernel
. "$(dirname "$0")/lib-apt.sh"
tmp=$(mktemp -d); apt_tmp=$tmp
trap 'rm -rf "$tmp"' EXIT

# fetch ARCH PACKAGE VERSION DIR: that exact .deb, from this machine's
# package sources (scripts/lib-apt.sh), unpacked into DIR.
fetch() {
  apt_fetch "$@" || { echo "gpiosim-build: $2 $3 ($1) not in this machine's package sources" >&2; exit 1; }
}

for arch in "$@"; do
  dir=$cache/$arch
  [ -f "$dir/version" ] || { echo "gpiosim-build: no $arch kernel cached: run scripts/alsa-kernel-fetch.sh $arch" >&2; exit 1; }
  # linux-image-6.1.0-57-arm64_6.1.192-3_arm64.deb
  deb=$(cat "$dir/version")
  pkg=${deb%%_*}
  ver=${deb#*_}; ver=${ver%%_*}
  abi=${pkg#linux-image-}; flavor=${abi##*-}; abi=${abi%-*}
  major=$(echo "$ver" | cut -d. -f1,2)
  root=$tmp/root-$arch
  mkdir -p "$root"
  # The virtio network driver (modules in Debian's ARM kernels), for the
  # whole-firmware VM test (scripts/firmwarevm), in its load order.
  if [ ! -f "$dir/modules/net/done" ]; then
    fetch "$arch" "linux-image-$abi-$flavor" "$ver" "$root"
    mkdir -p "$dir/modules/net"
    n=0
    for m in virtio_mmio failover net_failover virtio_net; do
      f=$(find "$root/lib/modules" -name "$m.ko" | head -1)
      [ -n "$f" ] || continue # built in
      cp "$f" "$dir/modules/net/$n-$m.ko"; n=$((n + 1))
    done
    touch "$dir/modules/net/done"
  fi
  if [ -f "$dir/modules/gpio-sim.ko" ] && [ -f "$dir/modules/configfs.ko" ]; then rm -rf "$root"; continue; fi
  case $arch in
    amd64) make_arch=(); ;;
    arm64) make_arch=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-) ;;
    armhf) make_arch=(ARCH=arm CROSS_COMPILE=arm-linux-gnueabihf-) ;;
    *) echo "gpiosim-build: unknown arch $arch" >&2; exit 2 ;;
  esac
  if [ ${#make_arch[@]} -gt 0 ]; then
    cc=${make_arch[1]#CROSS_COMPILE=}gcc
    command -v "$cc" >/dev/null || { echo "gpiosim-build: $cc missing: apt-get install gcc-${make_arch[1]#CROSS_COMPILE=}" | sed 's/-$//' >&2; exit 1; }
  fi
  echo "gpiosim-build: $arch: headers, kbuild and source of $abi-$flavor ($ver)"
  fetch "$arch" "linux-headers-$abi-$flavor" "$ver" "$root"
  [ -d "$root/lib/modules" ] || fetch "$arch" "linux-image-$abi-$flavor" "$ver" "$root"
  fetch amd64 "linux-headers-$abi-common" "$ver" "$root"
  fetch amd64 "linux-kbuild-$major" "$ver" "$root"
  [ -f "$tmp/src.tar.xz" ] || {
    apt_fetch_deb amd64 "linux-source-$major" "$ver" "$tmp/src.deb" ||
      { echo "gpiosim-build: linux-source-$major $ver not in this machine's package sources" >&2; exit 1; }
    dpkg-deb --fsys-tarfile "$tmp/src.deb" | tar -xO "./usr/src/linux-source-$major.tar.xz" >"$tmp/src.tar.xz"
    rm -f "$tmp/src.deb"
    tar -xJf "$tmp/src.tar.xz" -C "$tmp" "linux-source-$major/drivers/gpio/gpio-sim.c" \
      "linux-source-$major/drivers/gpio/gpiolib.h" "linux-source-$major/kernel/irq/irq_sim.c"
  }
  # The flavour's Makefile includes the common one by absolute path.
  sed -i "s|^include /usr/src/|include $root/usr/src/|" "$root/usr/src/linux-headers-$abi-$flavor/Makefile"
  if [ "$arch" = armhf ]; then
    # Debian's amd64 linux-kbuild has no modpost that knows a 32-bit ARM
    # kernel's structures (its 32-bit one measured struct of_device_id as
    # 200 bytes, not 196), so the armhf package's own modpost runs, under
    # qemu-arm-static with the cross toolchain's C library.
    fetch armhf "linux-kbuild-$major" "$ver" "$tmp/kbuild-armhf"
    command -v qemu-arm-static >/dev/null || { echo "gpiosim-build: qemu-arm-static missing: apt-get install qemu-user-static" >&2; exit 1; }
    printf '#!/bin/sh\nexec qemu-arm-static -L /usr/arm-linux-gnueabihf %s "$@"\n' \
      "$tmp/kbuild-armhf/usr/lib/linux-kbuild-$major/scripts/mod/modpost.real-lsb-32" \
      >"$root/usr/lib/linux-kbuild-$major/scripts/mod/modpost"
    chmod +x "$root/usr/lib/linux-kbuild-$major/scripts/mod/modpost"
  fi
  src=$tmp/linux-source-$major
  m=$tmp/mod-$arch
  mkdir -p "$m"
  cp "$src/drivers/gpio/gpio-sim.c" "$m/gpio-sim-main.c"
  cp "$src/drivers/gpio/gpiolib.h" "$m/"
  sed 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' "$src/kernel/irq/irq_sim.c" >"$m/irq_sim.c"
  grep -q 'generic_handle_irq(irqnum);' "$m/irq_sim.c" || { echo "gpiosim-build: irq_sim.c of $ver changed: the one-line change no longer applies" >&2; exit 1; }
  printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\n' >"$m/Makefile"
  make -s -C "$root/usr/src/linux-headers-$abi-$flavor" M="$m" "${make_arch[@]}" modules >"$tmp/build-$arch.log" 2>&1 ||
    { cat "$tmp/build-$arch.log" >&2; echo "gpiosim-build: $arch module build failed" >&2; exit 1; }
  cp "$m/gpio-sim.ko" "$dir/modules/gpio-sim.ko"
  cp "$(find "$root/lib/modules" -name configfs.ko | head -1)" "$dir/modules/configfs.ko"
  echo "gpiosim-build: $arch: $dir/modules/gpio-sim.ko and configfs.ko"
  rm -rf "$root" "$m"
done
