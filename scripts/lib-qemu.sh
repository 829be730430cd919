# lib-qemu.sh: sourced by the tests that boot a sipbell image under
# qemu-system and talk to it through ports forwarded to 127.0.0.1
# (image-boot-test.sh, image-raspi-test.sh). The caller sets name (its
# name in messages), and tmp (a scratch directory) and qpid (qemu's pid,
# empty before it starts) before it calls qemu_cleanup.

# need_tools TOOL:PACKAGE...: skips the test (fails it when CI=true) with
# the package to install when a tool is missing.
need_tools() {
  local tool msg
  for tool in "$@"; do
    command -v "${tool%%:*}" >/dev/null && continue
    msg="$name: ${tool%%:*} missing: apt-get install ${tool#*:}"
    if [ "${CI:-}" = true ]; then echo "FAIL $msg" >&2; exit 1; fi
    echo "SKIP $msg" >&2; exit 0
  done
}

# qemu_cleanup: stops qemu if it runs and removes tmp (an EXIT trap).
qemu_cleanup() {
  if [ -n "${qpid:-}" ] && kill -0 "$qpid" 2>/dev/null; then kill "$qpid"; wait "$qpid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}

# free_port: a TCP port nobody listens on at 127.0.0.1 right now.
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "$name: no free port" >&2; exit 1
}

# sip_options PORT CALLID SECONDS: one SIP OPTIONS over TCP to
# 127.0.0.1:PORT, waiting up to SECONDS; prints the response head.
sip_options() {
  timeout "$3" bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "OPTIONS sip:door@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;rport;branch=z9hG4bK-$2\r\nMax-Forwards: 70\r\nFrom: <sip:imagetest@127.0.0.1>;tag=it\r\nTo: <sip:door@127.0.0.1>\r\nCall-ID: $2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n" >&3
    while IFS= read -r -t $(($3 - 1)) line <&3; do
      printf "%s\n" "$line"
      [ "$line" = $'"'"'\r'"'"' ] && break
    done' _ "$1" "$2" "$3" 2>/dev/null || true
}
