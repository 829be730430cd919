#!/bin/sh
# pi-audio-hat.sh [-f CONFIG_TXT] HAT
#
# Enables an I2S audio HAT in the Raspberry Pi's config.txt: adds
# dtparam=i2s=on and the HAT's dtoverlay= line in a block marked
# "# sipbell-audio-hat", under an [all] section so it applies to every Pi
# model. Run it again with another HAT to switch (the old block is
# replaced), with "none" to remove the block, with "list" to list the HATs.
# Idempotent: a second run with the same HAT changes nothing. Lines the
# user wrote outside the block are kept; an overlay already enabled there
# is not added twice. The file is replaced atomically and the previous
# version kept as CONFIG_TXT.bak. A reboot applies the change.
#
# Installed as /usr/sbin/sipbell-audio-hat by the Debian package.
# CONFIG_TXT defaults to /boot/firmware/config.txt (Raspberry Pi OS
# bookworm), else /boot/config.txt (older releases).
set -eu

usage() {
	echo "usage: $0 [-f CONFIG_TXT] {respeaker-2mic|wm8960-soundcard|googlevoicehat-soundcard|hifiberry-dac|max98357a|none|list}" >&2
	exit 2
}

file=
while getopts f: opt; do
	case $opt in
	f) file=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
hat=$1

# overlay prints the dtoverlay= value for a HAT and what it is.
case $hat in
list)
	cat <<'EOF'
respeaker-2mic            Seeed ReSpeaker 2-Mics Pi HAT: wm8960-soundcard plus SPI for its LEDs
wm8960-soundcard          WM8960 codec HATs (Waveshare WM8960, ReSpeaker 2-Mics v2): speaker + mics
googlevoicehat-soundcard  Google AIY Voice HAT / Voice Bonnet: speaker + mics
hifiberry-dac             HiFiBerry DAC / DAC+ Light (PCM5102A): line out only
max98357a                 MAX98357A I2S amplifier boards (Adafruit and alike): speaker only
none                      remove sipbell's block
EOF
	exit 0
	;;
respeaker-2mic | wm8960-soundcard | googlevoicehat-soundcard | hifiberry-dac | max98357a | none) ;;
*)
	echo "$0: unknown HAT \"$hat\" (run \"$0 list\")" >&2
	exit 2
	;;
esac

if [ -z "$file" ]; then
	if [ -f /boot/firmware/config.txt ]; then
		file=/boot/firmware/config.txt
	else
		file=/boot/config.txt
	fi
fi
[ -f "$file" ] || {
	echo "$0: $file: no such file (is this a Raspberry Pi? use -f)" >&2
	exit 1
}

begin='# sipbell-audio-hat: begin (managed by sipbell-audio-hat; edit with it)'
end='# sipbell-audio-hat: end'
dir=$(dirname "$file")
tmp=$(mktemp "$dir/.config.txt.XXXXXX")
trap 'rm -f "$tmp"' EXIT

# The file without sipbell's block, and without trailing blank lines.
awk -v b="$begin" -v e="$end" '
	$0 == b { skip = 1; next }
	$0 == e { skip = 0; next }
	!skip { lines[++n] = $0 }
	END {
		while (n > 0 && lines[n] ~ /^[ \t]*$/) n--
		for (i = 1; i <= n; i++) print lines[i]
	}' "$file" >"$tmp"

# has LINE: whether the user's part already has LINE (an active, not
# commented-out setting), in any section.
has() { grep -qx "[[:blank:]]*$1[[:blank:]]*" "$tmp"; }

if [ "$hat" != none ]; then
	for other in wm8960-soundcard googlevoicehat-soundcard hifiberry-dac max98357a; do
		case $hat in respeaker-2mic) mine=wm8960-soundcard ;; *) mine=$hat ;; esac
		if [ "$other" != "$mine" ] && has "dtoverlay=$other"; then
			echo "$0: warning: $file also enables dtoverlay=$other outside sipbell's block" >&2
		fi
	done
	{
		echo
		echo "$begin"
		echo "[all]"
		has 'dtparam=i2s=on' || echo 'dtparam=i2s=on'
		if [ "$hat" = respeaker-2mic ]; then
			# Its APA102 LEDs hang on SPI0; its codec is a WM8960.
			has 'dtparam=spi=on' || echo 'dtparam=spi=on'
			overlay=wm8960-soundcard
		else
			overlay=$hat
		fi
		has "dtoverlay=$overlay" || echo "dtoverlay=$overlay"
		echo "$end"
	} >>"$tmp"
fi

if cmp -s "$tmp" "$file"; then
	echo "$file: unchanged ($hat)"
	exit 0
fi
cp -p "$file" "$file.bak"
chmod --reference="$file" "$tmp" 2>/dev/null || chmod 0644 "$tmp"
sync "$tmp" 2>/dev/null || true
mv "$tmp" "$file"
trap - EXIT
echo "$file: updated ($hat); previous version in $file.bak; reboot to apply"
