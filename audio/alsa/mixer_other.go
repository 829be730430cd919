//go:build !linux || mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x

package alsa

// Mixer is unavailable on this platform.
type Mixer struct{}

// OpenMixer returns ErrUnsupported on this platform.
func OpenMixer(string) (*Mixer, error) { return nil, ErrUnsupported }

// Path is empty.
func (*Mixer) Path() string { return "" }

// Close does nothing.
func (*Mixer) Close() error { return nil }

// Controls returns ErrUnsupported.
func (*Mixer) Controls() ([]Control, error) { return nil, ErrUnsupported }

// Get returns ErrUnsupported.
func (*Mixer) Get(string, uint32) (Control, error) { return Control{}, ErrUnsupported }

// Set returns ErrUnsupported.
func (*Mixer) Set(string, uint32, int) (Control, error) { return Control{}, ErrUnsupported }
