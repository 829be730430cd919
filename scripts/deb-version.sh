#!/bin/sh
# deb-version.sh VERSION: the Debian version for a `git describe` string:
# v1.2.0 -> 1.2.0, v1.2.0-3-gabc -> 1.2.0+3.gabc, no tag yet (abc1234,
# abc1234-dirty, even when the hash starts with a digit) ->
# 0.0~git.abc1234(.dirty), so later tags sort after it.
set -eu
v=${1:?usage: $0 VERSION}
case $v in
v[0-9]*) echo "${v#v}" | sed 's/-/+/; s/-/./g' ;;
*) echo "0.0~git.$v" | tr - . ;;
esac
