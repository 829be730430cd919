# lib-kernelvm.sh: sourced by the tests that boot Debian's kernels (cached
# by scripts/alsa-kernel-fetch.sh) under qemu-system with a tiny initramfs
# whose init is one of sipbell's test programs (alsa-kernel-test.sh,
# gpiosim-test.sh). The caller sets name (its name in messages) and tmp.
cache=${XDG_CACHE_HOME:-$HOME/.cache}/sipbell/kernel

# skip MESSAGE: skips the test (fails it when CI=true).
skip() {
  if [ "${CI:-}" = true ]; then echo "FAIL $name: $*" >&2; exit 1; fi
  echo "SKIP $name: $*" >&2; exit 0
}

# kvm_arch ARCH: sets dir (ARCH's cached kernel), env (Go's GOARCH/GOARM
# for the guest: armhf runs the Pi Zero's GOARM=6 build), qemu (the
# machine) and console; skips when the kernel or qemu is missing.
kvm_arch() {
  dir=$cache/$1
  [ -f "$dir/vmlinuz" ] || skip "no $1 kernel in $dir: run scripts/alsa-kernel-fetch.sh $1"
  case $1 in
    amd64) env=(GOARCH=amd64) qemu=(qemu-system-x86_64 -m 256) console=ttyS0 ;;
    arm64) env=(GOARCH=arm64) qemu=(qemu-system-aarch64 -M virt -cpu cortex-a53 -m 512) console=ttyAMA0 ;;
    armhf) env=(GOARCH=arm GOARM=6) qemu=(qemu-system-arm -M virt,highmem=off -cpu cortex-a15 -m 512) console=ttyAMA0 ;;
    *) echo "$name: unknown arch $1" >&2; exit 2 ;;
  esac
  command -v "${qemu[0]}" >/dev/null || skip "${qemu[0]} missing: apt-get install qemu-system-x86 qemu-system-arm"
}

# kvm_run ARCH INITPKG TAG WHAT MODULE...: builds INITPKG (a Go package
# under the repository) for ARCH as the guest's init, packs it with the
# kernel modules into an initramfs, boots ARCH's kernel with it (no
# network, at most 300 s), and judges the guest's serial log: it passes
# when the init printed "TAG: done pass=N fail=0" (N > 0) and no "TAG:
# FAIL". Prints ok/FAIL with WHAT and the init's lines; sets fail=1 on
# failure.
kvm_run() {
  local arch=$1 pkg=$2 tag=$3 what=$4 start
  shift 4
  kvm_arch "$arch"
  [ -x "$tmp/pack" ] || (cd "$top" && CGO_ENABLED=0 go build -o "$tmp/pack" ./scripts/alsakernel)
  (cd "$top" && env "${env[@]}" CGO_ENABLED=0 go build -o "$tmp/init-$arch" "$pkg")
  "$tmp/pack" pack "$tmp/$arch.cpio" "$tmp/init-$arch" "$@"
  start=$(date +%s)
  timeout 300 "${qemu[@]}" -accel tcg -smp 1 -display none -no-reboot -nic none \
    -kernel "$dir/vmlinuz" -initrd "$tmp/$arch.cpio" \
    -append "console=$console panic=-1 quiet" -serial "file:$tmp/$arch.log" -monitor none \
    >"$tmp/$arch.qemu" 2>&1 || true
  if grep -q "$tag: done pass=[1-9][0-9]* fail=0" "$tmp/$arch.log" && ! grep -q "$tag: FAIL" "$tmp/$arch.log"; then
    echo "ok   $what on a real $arch kernel ($(cat "$dir/version" 2>/dev/null), $(($(date +%s) - start)) s):"
  else
    echo "FAIL $what on a real $arch kernel:"
    fail=1
    grep -q "$tag:" "$tmp/$arch.log" || { tail -40 "$tmp/$arch.log"; cat "$tmp/$arch.qemu"; }
  fi
  grep "$tag:" "$tmp/$arch.log" | tr -d '\r' | sed 's/^/       /'
}
