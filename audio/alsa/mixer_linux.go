//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le || sparc64 || s390x)

package alsa

import (
	"errors"
	"fmt"
	"regexp"
	"unsafe"

	"golang.org/x/sys/unix"
)

// maxControls bounds the controls read from a card (a WM8960 has about
// 80; a large USB card a few hundred).
const maxControls = 1024

// Mixer is a sound card's control device (/dev/snd/controlC<n>), opened
// with OpenMixer: the card's volume, gain and switch controls. Its
// methods are not safe for concurrent use.
type Mixer struct {
	s    sys
	fd   int
	path string
}

var pcmNodeRE = regexp.MustCompile(`^/dev/snd/pcmC([0-9]+)D`)

// MixerPath returns the control device of the card a PCM device name
// (as DevicePath takes: "hw:1,0", "hw:CARD=wm8960soundcard", a node) is
// on, or of "hw:<card>" alone.
func MixerPath(name string) (string, error) {
	return mixerPath("/proc/asound", name)
}

func mixerPath(procAsound, name string) (string, error) {
	s := Playback
	if len(name) > 0 && name[len(name)-1] == 'c' && name[0] == '/' {
		s = Capture
	}
	p, err := devicePath(procAsound, name, s)
	if err != nil {
		return "", err
	}
	m := pcmNodeRE.FindStringSubmatch(p)
	if m == nil {
		return "", fmt.Errorf("alsa: mixer of %q: %w", name, ErrNoDevice)
	}
	return "/dev/snd/controlC" + m[1], nil
}

// OpenMixer opens the control device of the card that name is on (see
// MixerPath).
func OpenMixer(name string) (*Mixer, error) { return openMixer(kernel{}, "/proc/asound", name) }

func openMixer(s sys, procAsound, name string) (*Mixer, error) {
	path, err := mixerPath(procAsound, name)
	if err != nil {
		return nil, err
	}
	fd, err := s.open(path)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) {
			err = fmt.Errorf("%w: %w", ErrNoDevice, err)
		}
		return nil, fmt.Errorf("alsa: open mixer %s: %w", path, err)
	}
	var ver int32
	if err := s.ioctl(fd, ioctlCtlPVersion, unsafe.Pointer(&ver)); err != nil {
		s.close(fd)
		return nil, fmt.Errorf("alsa: mixer %s: protocol version: %w", path, err)
	}
	if ver>>16 != 2 {
		s.close(fd)
		return nil, fmt.Errorf("alsa: mixer %s: control protocol %d.%d.%d, want 2.x: %w", path, ver>>16, ver>>8&0xff, ver&0xff, ErrUnsupported)
	}
	return &Mixer{s: s, fd: fd, path: path}, nil
}

// Path is the control device's node.
func (m *Mixer) Path() string { return m.path }

// Close closes the control device.
func (m *Mixer) Close() error { return m.s.close(m.fd) }

// ids lists the card's mixer elements.
func (m *Mixer) ids() ([]ctlElemID, error) {
	var l ctlElemList
	if err := m.s.ioctl(m.fd, ioctlCtlElemList, unsafe.Pointer(&l)); err != nil {
		return nil, fmt.Errorf("alsa: mixer %s: list: %w", m.path, err)
	}
	n := min(int(l.count), maxControls)
	if n == 0 {
		return nil, nil
	}
	ids := make([]ctlElemID, n)
	l = ctlElemList{space: uint32(n), pids: unsafe.Pointer(&ids[0])}
	if err := m.s.ioctl(m.fd, ioctlCtlElemList, unsafe.Pointer(&l)); err != nil {
		return nil, fmt.Errorf("alsa: mixer %s: list: %w", m.path, err)
	}
	return ids[:min(int(l.used), n)], nil
}

// Controls returns every mixer control of the card with its values.
func (m *Mixer) Controls() ([]Control, error) {
	ids, err := m.ids()
	if err != nil {
		return nil, err
	}
	var out []Control
	for _, id := range ids {
		if !mixerIface(id.iface) {
			continue
		}
		c, err := m.read(id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// mixerIface reports whether controls of interface iface are listed: the
// mixer's, and a PCM's own (a sample-rate shift, a notify switch).
func mixerIface(iface int32) bool { return iface == ctlIfaceMixer || iface == ctlIfacePCM }

// find returns the id of control name (index idx).
func (m *Mixer) find(name string, idx uint32) (ctlElemID, error) {
	ids, err := m.ids()
	if err != nil {
		return ctlElemID{}, err
	}
	for _, id := range ids {
		if mixerIface(id.iface) && cString(id.name[:]) == name && id.index == idx {
			return id, nil
		}
	}
	return ctlElemID{}, fmt.Errorf("alsa: mixer %s: %q index %d: %w", m.path, name, idx, ErrNoControl)
}

// Get returns control name (index idx).
func (m *Mixer) Get(name string, idx uint32) (Control, error) {
	id, err := m.find(name, idx)
	if err != nil {
		return Control{}, err
	}
	return m.read(id)
}

// read describes the element id and reads its values.
func (m *Mixer) read(id ctlElemID) (Control, error) {
	info := ctlElemInfo{id: id}
	name := cString(id.name[:])
	if err := m.s.ioctl(m.fd, ioctlCtlElemInfo, unsafe.Pointer(&info)); err != nil {
		return Control{}, fmt.Errorf("alsa: mixer %s: info %q: %w", m.path, name, err)
	}
	c := Control{Name: name, Index: id.index, Writable: info.access&ctlAccessWrite != 0 && info.access&ctlAccessInactive == 0}
	switch info.typ {
	case ctlTypeBoolean:
		c.Type, c.Min, c.Max = "boolean", 0, 1
	case ctlTypeInteger:
		c.Type = "integer"
		c.Min, c.Max, c.Step = info.infoInteger()
	case ctlTypeEnumerated:
		c.Type = "enumerated"
		items, _ := info.infoEnum()
		c.Max = int(items) - 1
		for k := range min(items, 64) {
			q := ctlElemInfo{id: id}
			q.setEnumItem(k)
			if err := m.s.ioctl(m.fd, ioctlCtlElemInfo, unsafe.Pointer(&q)); err != nil {
				return Control{}, fmt.Errorf("alsa: mixer %s: info %q item %d: %w", m.path, name, k, err)
			}
			_, n := q.infoEnum()
			c.Items = append(c.Items, n)
		}
	default:
		c.Type, c.Writable = "other", false
	}
	if c.Type == "other" || info.access&ctlAccessRead == 0 {
		return c, nil
	}
	v := ctlElemValue{id: info.id}
	if err := m.s.ioctl(m.fd, ioctlCtlElemRead, unsafe.Pointer(&v)); err != nil {
		return Control{}, fmt.Errorf("alsa: mixer %s: read %q: %w", m.path, name, err)
	}
	for i := range min(int(info.count), ctlMaxValues) {
		x := v.value[i]
		if c.Type == "enumerated" { // unsigned int item[128]
			x = int((*[ctlMaxValues]uint32)(unsafe.Pointer(&v.value[0]))[i])
		}
		c.Values = append(c.Values, x)
	}
	return c, nil
}

// Set writes value to every channel of control name (index idx) and
// returns the control as the card then reports it. The value must lie in
// the control's range (Min..Max).
func (m *Mixer) Set(name string, idx uint32, value int) (Control, error) {
	id, err := m.find(name, idx)
	if err != nil {
		return Control{}, err
	}
	c, err := m.read(id)
	if err != nil {
		return Control{}, err
	}
	if !c.Writable {
		return c, fmt.Errorf("alsa: mixer %s: %q is read-only: %w", m.path, name, ErrNoControl)
	}
	if value < c.Min || value > c.Max {
		return c, fmt.Errorf("alsa: mixer %s: %q value %d outside %d..%d", m.path, name, value, c.Min, c.Max)
	}
	v := ctlElemValue{id: id}
	for i := range c.Values {
		if c.Type == "enumerated" {
			(*[ctlMaxValues]uint32)(unsafe.Pointer(&v.value[0]))[i] = uint32(value)
		} else {
			v.value[i] = value
		}
	}
	if err := m.s.ioctl(m.fd, ioctlCtlElemWrit, unsafe.Pointer(&v)); err != nil {
		return c, fmt.Errorf("alsa: mixer %s: write %q = %d: %w", m.path, name, value, err)
	}
	return m.read(id)
}
