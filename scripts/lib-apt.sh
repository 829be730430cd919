# lib-apt.sh: sourced by the set-up scripts that take Debian packages of
# another architecture apart (alsa-kernel-fetch.sh, gpiosim-build.sh).
# They ask apt itself, through a private state directory (its own lists and
# cache, no dpkg status, nothing installed), so the packages come from the
# package sources this machine is configured with (/etc/apt/sources.list*,
# mirrors, snapshots, proxies), and the machine's own apt state is never
# touched. Works as root and as a user.
#
# The caller sets apt_tmp to a scratch directory it removes.

# apt_do ARCH COMMAND ARGS...: apt-get or apt-cache with ARCH's private state.
apt_do() {
  local arch=$1 cmd=$2 d=$apt_tmp/apt-$1
  shift 2
  "$cmd" -q -o "Dir::State=$d/state" -o "Dir::State::status=$d/status" \
    -o "Dir::Cache=$d/cache" -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch" \
    -o "APT::Sandbox::User=$(id -un)" -o Debug::NoLocking=1 "$@"
}

# apt_init ARCH: the package lists of ARCH from this machine's sources (once).
apt_init() {
  local d=$apt_tmp/apt-$1
  [ -f "$d/ready" ] && return
  mkdir -p "$d/state/lists/partial" "$d/cache/archives/partial"
  : >"$d/status"
  # A list that fails its checks (a mirror mid-sync) is left out, with a
  # warning; the others are used. No list at all is an error.
  if ! apt_do "$1" apt-get update >"$d/update.log" 2>&1; then
    grep '^E:' "$d/update.log" | sed "s/^/lib-apt: $1: /" >&2
    ls "$d"/state/lists/*_Packages* >/dev/null 2>&1 ||
      { cat "$d/update.log" >&2; echo "lib-apt: apt-get update for $1 failed" >&2; return 1; }
  fi
  touch "$d/ready"
}

# apt_newest ARCH EXTENDED-REGEX: "package version" of the newest version of
# any package whose whole name matches, or nothing.
apt_newest() {
  apt_init "$1" || return 1
  local names
  names=$(apt_do "$1" apt-cache pkgnames | grep -E "^($2)\$" || true)
  [ -n "$names" ] || return 0
  # madison: "name | version | source"; newest version last.
  # shellcheck disable=SC2086
  apt_do "$1" apt-cache madison $names | awk -F' *[|] *' '{gsub(/ /, "", $1); print $2, $1}' |
    sort -V | tail -1 | awk '{print $2, $1}'
}

# apt_fetch ARCH PACKAGE VERSION DIR: download that exact .deb and unpack it into DIR.
apt_fetch() {
  apt_init "$1" || return 1
  local dl=$apt_tmp/dl
  rm -rf "$dl"; mkdir -p "$dl" "$4"
  (cd "$dl" && apt_do "$1" apt-get download "$2=$3" >"$apt_tmp/download.log" 2>&1) ||
    { cat "$apt_tmp/download.log" >&2; echo "lib-apt: cannot download $2 $3 ($1)" >&2; return 1; }
  dpkg-deb -x "$dl"/*.deb "$4"
  rm -rf "$dl"
}

# apt_fetch_deb ARCH PACKAGE VERSION FILE: download that exact .deb to FILE.
apt_fetch_deb() {
  apt_init "$1" || return 1
  local dl=$apt_tmp/dl
  rm -rf "$dl"; mkdir -p "$dl"
  (cd "$dl" && apt_do "$1" apt-get download "$2=$3" >"$apt_tmp/download.log" 2>&1) ||
    { cat "$apt_tmp/download.log" >&2; echo "lib-apt: cannot download $2 $3 ($1)" >&2; return 1; }
  mv "$dl"/*.deb "$4"
  rm -rf "$dl"
}
