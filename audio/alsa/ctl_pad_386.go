//go:build linux && 386

package alsa

// ctlValuePad is zero on i386: long long aligns to 4 there.
const ctlValuePad = 0
