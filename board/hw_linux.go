//go:build linux

package board

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/driver/driverreg"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
	// The GPIO character device (/dev/gpiochip*, kernel uAPI v2) is the one
	// GPIO driver that handles every Pi including the Pi 5 (RP1). The host
	// umbrella is deliberately not imported: its bcm283x driver maps Pi 4
	// registers on a Pi 5.
	"periph.io/x/host/v3/gpioioctl"
	// sysfs provides spidev for the APA102 chain.
	_ "periph.io/x/host/v3/sysfs"
)

// openHardware initialises periph's GPIO character-device and sysfs
// drivers and returns the header pins by name (GPIO17, ...).
func openHardware(prof profile) (*hardware, error) {
	if _, err := driverreg.Init(); err != nil {
		return nil, fmt.Errorf("init periph drivers: %w", err)
	}
	if len(gpioreg.All()) == 0 {
		return nil, fmt.Errorf("%w: no /dev/gpiochip* found (a Raspberry Pi with Linux >= 5.10 is needed; use profile sim elsewhere)", ErrNoGPIO)
	}
	var claimed []gpio.PinIO
	hw := &hardware{
		pin: func(name string) (gpio.PinIO, error) {
			p := headerPin(name)
			if p == nil {
				return nil, fmt.Errorf("gpio %s: %w", name, ErrNoSuchPin)
			}
			claimed = append(claimed, p)
			return p, nil
		},
		input: func(name string) (gpio.PinIO, error) {
			p := headerInput(name)
			if p == nil {
				return nil, fmt.Errorf("gpio %s: %w", name, ErrNoSuchPin)
			}
			claimed = append(claimed, p)
			return p, nil
		},
	}
	hw.column = func(name string) (gpio.PinIO, error) {
		p := headerInput(name)
		if p == nil {
			return nil, fmt.Errorf("gpio %s: %w", name, ErrNoSuchPin)
		}
		p.live = true
		claimed = append(claimed, p)
		return p, nil
	}
	var port spi.PortCloser
	if prof.apa102 > 0 {
		var err error
		if port, err = spireg.Open(prof.spi); err != nil {
			return nil, fmt.Errorf("open %s for the APA102 LEDs (enable SPI: dtparam=spi=on): %w", prof.spi, err)
		}
		conn, err := port.Connect(4*physic.MegaHertz, spi.Mode0, 8)
		if err != nil {
			_ = port.Close()
			return nil, fmt.Errorf("connect %s: %w", prof.spi, err)
		}
		hw.leds = NewAPA102(conn, prof.apa102, 8)
	}
	hw.close = func() error {
		var errs []error
		for _, p := range claimed {
			if c, ok := p.(interface{ Close() }); ok {
				c.Close()
			}
		}
		if port != nil {
			errs = append(errs, port.Close())
		}
		return errors.Join(errs...)
	}
	return hw, nil
}

// headerInput is headerPin as an edgeLine: requested by sipbell itself,
// so that its edges keep the kernel's timestamps.
func headerInput(name string) *edgeLine {
	if n, err := strconv.Atoi(strings.TrimPrefix(name, "GPIO")); err == nil {
		for _, c := range gpioioctl.Chips {
			if strings.HasPrefix(c.Label(), "pinctrl-") && n < c.LineCount() {
				return &edgeLine{PinIO: c.ByNumber(n), chip: c.Path(), offset: uint32(n)}
			}
		}
	}
	for _, c := range gpioioctl.Chips {
		if l := c.ByName(name); l != nil {
			return &edgeLine{PinIO: l, chip: c.Path(), offset: uint32(l.Number())}
		}
	}
	return nil
}

// headerPin finds header pin GPIOn: line n of the SoC's pin controller
// (the first chip labelled "pinctrl-*": pinctrl-bcm2835 on Pi Zero/1/2/3,
// pinctrl-bcm2711 on Pi 4, pinctrl-rp1 on Pi 5), because the device trees
// name some lines differently (GPIO2 is "SDA1" on older Pis); otherwise
// whatever periph registered under that name.
func headerPin(name string) gpio.PinIO {
	if n, err := strconv.Atoi(strings.TrimPrefix(name, "GPIO")); err == nil {
		for _, c := range gpioioctl.Chips {
			if strings.HasPrefix(c.Label(), "pinctrl-") && n < c.LineCount() {
				return c.ByNumber(n)
			}
		}
	}
	if p := gpioreg.ByName(name); p != nil {
		return p
	}
	return nil
}
