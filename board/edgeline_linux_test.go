//go:build linux

package board

import (
	"testing"
	"unsafe"
)

// The uAPI v2 structures and ioctl numbers match <linux/gpio.h> on every
// architecture the per-arch tests run on (32-bit ARM aligns uint64 to 4
// bytes: the layout must not depend on it).
func TestEdgeLineUAPILayout(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof gpio_v2_line_request", unsafe.Sizeof(lineRequest{}), 592},
		{"sizeof gpio_v2_line_config", unsafe.Sizeof(lineConfig{}), 272},
		{"sizeof gpio_v2_line_values", unsafe.Sizeof(lineValues{}), 16},
		{"offsetof gpio_v2_line_request.config", unsafe.Offsetof(lineRequest{}.config), 288},
		{"offsetof gpio_v2_line_request.fd", unsafe.Offsetof(lineRequest{}.fd), 588},
		{"GPIO_V2_GET_LINE_IOCTL", getLineIoctl, 0xC250B407},
		{"GPIO_V2_LINE_GET_VALUES_IOCTL", getValuesIoctl, 0xC010B40E},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %#x, want %#x", tc.name, tc.got, tc.want)
		}
	}
}
