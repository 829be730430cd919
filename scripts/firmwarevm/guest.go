//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/alsa"
	"github.com/sipbell/sipbell/internal/gpiosim"
	"github.com/sipbell/sipbell/internal/vminit"
)

// The guest's address on the test's tap network, and the host's.
const guestAddr, hostAddr = "10.77.0.2", "10.77.0.1"

// Lines of the rpi profile (README's wiring).
const buttonLine, relayLine = 17, 23

// relayPulse is the door relay pulse the guest configures.
const relayPulse = time.Second

type reporter func(name string, err error, detail string)

func runInit() {
	vminit.Setup()
	c := &vminit.Checks{Name: "firmwarevm"}
	run(c.Report)
	c.Done()
}

func run(report reporter) {
	args := cmdline()
	err := vminit.LoadModules("/modules", func(name string) string {
		if strings.Contains(name, "snd-aloop") {
			return "pcm_substreams=1"
		}
		return ""
	})
	var chip gpiosim.Chip
	if err == nil {
		chip, err = gpiosim.Make(28)
	}
	if err == nil {
		err = ifUp("lo", "127.0.0.1", 8)
	}
	if err == nil {
		err = ifUp("eth0", guestAddr, 24)
	}
	report("modules, gpio-sim chip, network", err, chip.String())
	if err != nil {
		return
	}
	if err := os.WriteFile("/sipbell.yaml", []byte(config(args["fw.kamailio"], args["fw.password"])), 0o600); err != nil {
		report("write the configuration", err, "")
		return
	}
	cmd := exec.Command("/sipbell", "-config", "/sipbell.yaml")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		report("start sipbell", err, "")
		return
	}
	registered, answered := make(chan struct{}), make(chan time.Time, 1)
	go follow(out, registered, answered)
	select {
	case <-registered:
		report("sipbell registered with Kamailio on the host", nil, fmt.Sprintf("(%.1f s after the kernel started)", uptime()))
	case <-time.After(120 * time.Second):
		report("sipbell registered with Kamailio on the host", fmt.Errorf("not within 120 s"), "")
		return
	}
	call(report, chip, answered)
}

// follow copies sipbell's log to the console, closes registered at its
// first "registered" state line and sends the time of "call answered".
func follow(r io.Reader, registered chan struct{}, answered chan time.Time) {
	sc := bufio.NewScanner(r)
	once := false
	for sc.Scan() {
		line := sc.Text()
		fmt.Println("sipbell| " + line)
		if strings.Contains(line, `msg="call answered"`) {
			select {
			case answered <- time.Now():
			default:
			}
		}
		if !once && strings.Contains(line, "registered") && !strings.Contains(line, "unregistered") &&
			!strings.Contains(line, "not registered") && strings.Contains(line, "door@") {
			once = true
			close(registered)
		}
	}
}

// call: microphone tone on, button press, speaker recorded, relay watched.
func call(report reporter, chip gpiosim.Chip, answered <-chan time.Time) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := audio.SystemClock()
	o := alsa.Options{Device: "hw:CARD=Loopback,DEV=1", Rate: 8000, Channels: 1}
	mic, err := alsa.OpenPlayback(ctx, o, clock)
	if err != nil {
		report("open the microphone side of the loopback card", err, "")
		return
	}
	defer mic.Close()
	spk, err := alsa.OpenCapture(ctx, o, clock)
	if err != nil {
		report("open the speaker side of the loopback card", err, "")
		return
	}
	defer spk.Close()
	go func() { // a 440 Hz tone, as long as the test runs
		frame := make([]int16, audio.FrameSamples)
		for k := 0; ctx.Err() == nil; k++ {
			for i := range frame {
				n := k*len(frame) + i
				frame[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(n)/audio.SampleRate))
			}
			if mic.Write(ctx, frame) != nil {
				return
			}
		}
	}()
	heard := make(chan []int16, 1)
	recStart := time.Now()
	var recTook time.Duration
	go func() { // what sipbell plays: 12 s from the press
		var all []int16
		frame := make([]int16, audio.FrameSamples)
		for k := 0; k < 600 && spk.Read(ctx, frame) == nil; k++ {
			all = append(all, frame...)
		}
		recTook = time.Since(recStart)
		heard <- all
	}()
	fmt.Println("firmwarevm: pressing the call button (GPIO17 to ground for 200 ms)")
	err = chip.Pull(buttonLine, "pull-down")
	time.Sleep(200 * time.Millisecond)
	if err == nil {
		err = chip.Pull(buttonLine, "pull-up")
	}
	report("press the call button", err, "")
	held, err := relay(chip, 90*time.Second)
	report("door relay pulsed by the code baresip sent", err, fmt.Sprintf("(GPIO23 high %v, configured %v)", held.Round(10*time.Millisecond), relayPulse))
	all := <-heard
	// The best 2 s stretch of the 12 s recorded: baresip sends the code 5 s
	// after it answered, and the door hangs up after opening.
	share := 0.0
	for i := 0; i+2*audio.SampleRate <= len(all); i += audio.SampleRate / 2 {
		share = math.Max(share, windowShare(all[i:i+2*audio.SampleRate], 1000))
	}
	var at time.Time
	select {
	case at = <-answered:
	default:
	}
	var profile []string // per second: share of 1 kHz windows, and level
	for i := 0; i+audio.SampleRate <= len(all); i += audio.SampleRate {
		var e float64
		for _, v := range all[i : i+audio.SampleRate] {
			e += float64(v) * float64(v)
		}
		profile = append(profile, fmt.Sprintf("%.0f%%/%.0f", 100*windowShare(all[i:i+audio.SampleRate], 1000), math.Sqrt(e/audio.SampleRate)))
	}
	detail := fmt.Sprintf("1 kHz in %.2f of the 50 ms windows of the best 2 s; answered %.1f s after the press; 12 s read in %.1f s, xruns %d/%d; per second from the press, 1 kHz windows/RMS: %s",
		share, at.Sub(recStart).Seconds(), recTook.Seconds(), spk.XRuns(), mic.XRuns(), strings.Join(profile, " "))
	err = nil
	if share < 0.6 {
		err = fmt.Errorf("want > 0.6: %s", detail)
	}
	report("the speaker plays what baresip sends", err, "("+detail+")")
}

// relay waits until the relay line has gone high and low again and
// returns how long it was high (polled every 5 ms).
func relay(chip gpiosim.Chip, limit time.Duration) (time.Duration, error) {
	deadline := time.Now().Add(limit)
	var rose time.Time
	for time.Now().Before(deadline) {
		v, err := chip.Value(relayLine)
		if err != nil {
			return 0, err
		}
		switch {
		case v == "1" && rose.IsZero():
			rose = time.Now()
			fmt.Println("firmwarevm: relay on")
		case v == "0" && !rose.IsZero():
			held := time.Since(rose)
			if held < relayPulse-50*time.Millisecond {
				return held, fmt.Errorf("relay off after %v of a %v pulse", held, relayPulse)
			}
			return held, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !rose.IsZero() {
		return 0, fmt.Errorf("relay still on after %v", time.Since(rose))
	}
	return 0, fmt.Errorf("relay never pulsed within %v", limit)
}

// config is sipbell's configuration on the emulated Pi.
func config(kamailio, password string) string {
	return fmt.Sprintf(`sip:
  listen: %s:5060
  user: door
  accounts:
    - registrar: %s
      user: door
      password: %s
board:
  profile: rpi
audio:
  capture: "hw:CARD=Loopback,DEV=0"
  playback: "hw:CARD=Loopback,DEV=0"
  native_rate: 8000
  # The emulated ARMv7 core runs sipbell far slower than a Pi; with the
  # echo canceller on it fell behind (packets late, the door code lost).
  echo_cancel:
    mode: "off"
device:
  buttons:
    - targets: [alice]
  door:
    code: "#"
    relay_pulse: %v
provisioning:
  state_dir: /state
`, guestAddr, kamailio, password, relayPulse)
}

// cmdline returns the kernel command line's key=value words.
func cmdline() map[string]string {
	b, _ := os.ReadFile("/proc/cmdline")
	m := map[string]string{}
	for _, w := range strings.Fields(string(b)) {
		if k, v, ok := strings.Cut(w, "="); ok {
			m[k] = v
		}
	}
	return m
}

func uptime() float64 {
	b, _ := os.ReadFile("/proc/uptime")
	var up float64
	fmt.Sscan(string(b), &up)
	return up
}

// ifUp gives the interface its IPv4 address and brings it up.
func ifUp(name, addr string, bits int) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	set := func(req uint, ip net.IP) error {
		ifr, err := unix.NewIfreq(name)
		if err == nil {
			err = ifr.SetInet4Addr(ip.To4())
		}
		if err == nil {
			err = unix.IoctlIfreq(fd, req, ifr)
		}
		return err
	}
	if err := set(unix.SIOCSIFADDR, net.ParseIP(addr)); err != nil {
		return fmt.Errorf("%s address %s: %w", name, addr, err)
	}
	if err := set(unix.SIOCSIFNETMASK, net.IP(net.CIDRMask(bits, 32))); err != nil {
		return fmt.Errorf("%s netmask /%d: %w", name, bits, err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("%s flags: %w", name, err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("%s up: %w", name, err)
	}
	return nil
}

// windowShare is the share of x's 50 ms windows that are mostly freq.
func windowShare(x []int16, freq float64) float64 {
	const w = audio.SampleRate / 20
	n, good := 0, 0
	for i := 0; i+w <= len(x); i += w {
		n++
		if toneShare(x[i:i+w], freq) > 0.5 {
			good++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(good) / float64(n)
}

// toneShare is the share of x's energy at freq (Goertzel over all of x).
func toneShare(x []int16, freq float64) float64 {
	k := 2 * math.Cos(2*math.Pi*freq/audio.SampleRate)
	var s1, s2, total float64
	for _, v := range x {
		f := float64(v)
		s1, s2 = f+k*s1-s2, s1
		total += f * f
	}
	if total == 0 {
		return 0
	}
	p := s1*s1 + s2*s2 - k*s1*s2
	return 2 * p / (float64(len(x)) * total)
}
