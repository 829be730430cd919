//go:build linux && arm

package alsa

// ctlValuePad aligns snd_ctl_elem_value's union to 8 (the EABI aligns its
// long long member to 8) after the 68 bytes before it.
const ctlValuePad = 4
