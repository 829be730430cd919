#!/bin/bash
# bench-size.sh [GOARCH [GOARM]]: what the sipbell binary carries, by package.
#
# Builds the release binary (default ARMv6, the Pi Zero's) once stripped
# (its real size) and once with symbols, and sums `go tool nm -size` per
# package: code, data, read-only data and their tables (not bss),
# largest first; "func" is the runtime's per-function tables. The sums
# leave out .gopclntab's line and name tables (about a third of the
# file), which grow with each package's code. Each row names the packages
# of this build that import it (`go list -deps`): what keeps it in.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
GO=${GO:-go}
ARCH=${1:-arm}; ARM=${2:-6}
W=$(mktemp -d /tmp/sipbell-size.XXXXXX)
trap 'rm -rf "$W"' EXIT
export CGO_ENABLED=0 GOOS=linux GOARCH=$ARCH GOARM=$ARM
# The release's flags (the Makefile's): cold packages without inlining.
mapfile -t GCFLAGS < <(sed 's/#.*//' scripts/release-gcflags | awk 'NF { print "-gcflags=" $1 "=-l" }')
"$GO" build -trimpath "${GCFLAGS[@]}" -ldflags '-s -w' -o "$W/stripped" ./cmd/sipbell
"$GO" build -trimpath "${GCFLAGS[@]}" -o "$W/full" ./cmd/sipbell
printf 'sipbell %s (GOARM=%s): %d bytes stripped (release), %d with symbols\n\n' "$ARCH" "$ARM" \
	"$(stat -c %s "$W/stripped")" "$(stat -c %s "$W/full")"
# A symbol larger than the file is zero-filled memory nm shows as data
# (crypto/internal/fips140/drbg.memory, 32 MB): it takes no room either.
"$GO" tool nm -size -sort size "$W/full" | awk -v fsize="$(stat -c %s "$W/full")" '
	$3 ~ /^[TtRrDd]$/ && $2 < fsize { # bss (B) takes no room in the file
		name = $4
		# The package of a symbol: up to the first dot after the last slash.
		sub(/^(type:|go:)/, "", name)
		n = split(name, parts, "/")
		last = parts[n]; sub(/\..*/, "", last)
		pkg = ""
		for (i = 1; i < n; i++) pkg = pkg parts[i] "/"
		pkg = pkg last
		if (pkg == "") pkg = "(runtime tables)"
		size[pkg] += $2; total += $2
	}
	END {
		for (p in size) printf "%10d %5.1f%%  %s\n", size[p], 100 * size[p] / total, p
	}' | sort -rn >"$W/sorted"
head -"${TOP:-40}" "$W/sorted" >"$W/table"
"$GO" list -deps -f '{{.ImportPath}}{{range .Imports}} {{.}}{{end}}' ./cmd/sipbell >"$W/imports"
# nm spells a dot in a module path %2e; sipbell's own packages are shortened.
while read -r bytes share pkg; do
	by=$(awk -v p="${pkg//%2e/.}" '{ for (i = 2; i <= NF; i++) if ($i == p) { print $1; break } }' "$W/imports" |
		sed 's|^github.com/sipbell/sipbell/||' | head -4 | paste -sd, -)
	printf '%10d %6s  %-45s %s\n' "$bytes" "$share" "$pkg" "${by:+<- $by}"
done <"$W/table"
