//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package alsa

// ctlValuePad aligns snd_ctl_elem_value's union to 8 after the 68 bytes
// before it.
const ctlValuePad = 4
