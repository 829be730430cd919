//go:build !linux

package board

import "fmt"

func openHardware(profile) (*hardware, error) {
	return nil, fmt.Errorf("%w: real boards need Linux's GPIO character device; use profile sim", ErrNoGPIO)
}
