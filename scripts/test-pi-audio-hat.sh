#!/usr/bin/env bash
# test-pi-audio-hat.sh: tests scripts/pi-audio-hat.sh on a copy of Raspberry
# Pi OS bookworm's stock config.txt (scripts/testdata/config.txt): the
# lines each HAT needs are added under [all], a second run changes nothing
# (byte-identical), switching HATs leaves one block, the user's lines are
# kept, settings already active are not duplicated, "none" restores the
# original, and bad input is refused without touching the file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
hat=$here/pi-audio-hat.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cfg=$tmp/config.txt
fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }
block() { sed -n '/^# sipbell-audio-hat: begin/,/^# sipbell-audio-hat: end/p' "$cfg"; }
outside() { sed '/^# sipbell-audio-hat: begin/,/^# sipbell-audio-hat: end/d' "$cfg" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; }

for h in wm8960-soundcard googlevoicehat-soundcard hifiberry-dac max98357a; do
  cp "$here/testdata/config.txt" "$cfg"
  "$hat" -f "$cfg" "$h" >/dev/null
  want=$(printf '%s\n' '# sipbell-audio-hat: begin (managed by sipbell-audio-hat; edit with it)' '[all]' 'dtparam=i2s=on' "dtoverlay=$h" '# sipbell-audio-hat: end')
  [ "$(block)" = "$want" ] && ok "$h: block added" || bad "$h: block is: $(block)"
  [ "$(outside)" = "$(cat "$here/testdata/config.txt")" ] && ok "$h: user's lines kept" || bad "$h: user's lines changed: $(diff <(outside) "$here/testdata/config.txt")"
  cmp -s "$cfg.bak" "$here/testdata/config.txt" && ok "$h: previous version in config.txt.bak" || bad "$h: no faithful .bak"
  cp "$cfg" "$tmp/first"
  out=$("$hat" -f "$cfg" "$h")
  cmp -s "$cfg" "$tmp/first" && [[ $out == *unchanged* ]] && ok "$h: second run: $out" || bad "$h: second run changed the file: $out"
done

# The ReSpeaker 2-Mics HAT: the WM8960 overlay and SPI for its LEDs.
cp "$here/testdata/config.txt" "$cfg"
"$hat" -f "$cfg" respeaker-2mic >/dev/null
want=$(printf '%s\n' '# sipbell-audio-hat: begin (managed by sipbell-audio-hat; edit with it)' '[all]' 'dtparam=i2s=on' 'dtparam=spi=on' 'dtoverlay=wm8960-soundcard' '# sipbell-audio-hat: end')
[ "$(block)" = "$want" ] && ok "respeaker-2mic: wm8960-soundcard + spi" || bad "respeaker-2mic: block is: $(block)"
out=$("$hat" -f "$cfg" respeaker-2mic 2>&1)
[[ $out == *unchanged* ]] && ok "respeaker-2mic: second run unchanged, no warning" || bad "respeaker-2mic second run: $out"
"$hat" -f "$cfg" max98357a >/dev/null

# Switching HATs: one block, the new overlay only.
"$hat" -f "$cfg" wm8960-soundcard >/dev/null
[ "$(grep -c 'sipbell-audio-hat: begin' "$cfg")" = 1 ] && ! grep -q max98357a "$cfg" && grep -qx dtoverlay=wm8960-soundcard "$cfg" &&
  ok "switch max98357a -> wm8960-soundcard: one block" || bad "switch left: $(block)"

# none: back to the original file, byte for byte.
"$hat" -f "$cfg" none >/dev/null
cmp -s "$cfg" "$here/testdata/config.txt" && ok "none: original restored" || bad "none: $(diff "$cfg" "$here/testdata/config.txt")"

# Settings the user already made active are not repeated; commented-out
# ones (#dtparam=i2s=on in the stock file) do not count.
{ cat "$here/testdata/config.txt"; echo 'dtparam=i2s=on'; echo 'dtoverlay=hifiberry-dac'; } >"$cfg"
"$hat" -f "$cfg" hifiberry-dac >/dev/null
[ "$(grep -cx 'dtparam=i2s=on' "$cfg")" = 1 ] && [ "$(grep -cx 'dtoverlay=hifiberry-dac' "$cfg")" = 1 ] &&
  ok "active settings not duplicated" || bad "duplicated: $(grep -n 'i2s\|hifiberry' "$cfg")"
out=$("$hat" -f "$cfg" max98357a 2>&1 >/dev/null)
[[ $out == *"also enables dtoverlay=hifiberry-dac"* ]] && ok "warns about another HAT's overlay: $out" || bad "no warning about hifiberry-dac: '$out'"

# Bad input: refused, file untouched.
cp "$here/testdata/config.txt" "$cfg"
if out=$("$hat" -f "$cfg" sb16 2>&1); then bad "unknown HAT accepted"; else
  cmp -s "$cfg" "$here/testdata/config.txt" && ok "unknown HAT refused: $out" || bad "unknown HAT changed the file"
fi
if out=$("$hat" -f "$tmp/missing.txt" wm8960-soundcard 2>&1); then bad "missing file accepted"; else ok "missing file refused: $out"; fi
if out=$("$hat" 2>&1); then bad "no argument accepted"; else ok "no argument: usage"; fi
"$hat" list | grep -q '^max98357a ' && ok "list names the HATs" || bad "list"
[ -z "$(find "$tmp" -name '.config.txt.*')" ] && ok "no temporary files left" || bad "temporary files left"
exit $fail
