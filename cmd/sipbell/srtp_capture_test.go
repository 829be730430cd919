package main

import (
	be "encoding/binary"
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio/g711"
)

// udpTap captures the UDP payloads crossing the loopback of the test's
// own network namespace (an AF_PACKET socket on lo): what anyone on the
// path of the call's media would see.
type udpTap struct {
	fd       int
	mu       sync.Mutex
	payloads [][]byte
	srcPorts []uint16 // the UDP source port of each payload
	stop     chan struct{}
	done     chan struct{}
}

// maxTapped bounds what the tap keeps.
const maxTapped = 50000

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// startUDPTap starts capturing; it needs CAP_NET_RAW (the namespace's
// root).
func startUDPTap(t *testing.T) *udpTap {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_DGRAM, int(htons(syscall.ETH_P_IP)))
	if err != nil {
		t.Fatalf("packet socket: %v", err)
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_IP), Ifindex: lo.Index}); err != nil {
		t.Fatalf("bind packet socket to lo: %v", err)
	}
	tv := syscall.NsecToTimeval(int64(100 * time.Millisecond))
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	tap := &udpTap{fd: fd, stop: make(chan struct{}), done: make(chan struct{})}
	go tap.run()
	t.Cleanup(func() { tap.close() })
	return tap
}

func (u *udpTap) run() {
	defer close(u.done)
	buf := make([]byte, 65536)
	for {
		select {
		case <-u.stop:
			return
		default:
		}
		n, _, err := syscall.Recvfrom(u.fd, buf, 0)
		if err != nil {
			if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
				continue
			}
			return
		}
		if n < 28 || buf[0]>>4 != 4 || buf[9] != syscall.IPPROTO_UDP {
			continue
		}
		ihl := int(buf[0]&0x0f) * 4
		if ihl+8 > n || int(be.BigEndian.Uint16(buf[ihl+4:])) < 8 {
			continue
		}
		u.mu.Lock()
		if len(u.payloads) < maxTapped {
			u.payloads = append(u.payloads, append([]byte(nil), buf[ihl+8:n]...))
			u.srcPorts = append(u.srcPorts, be.BigEndian.Uint16(buf[ihl:]))
		}
		u.mu.Unlock()
	}
}

// close stops the capture and returns what it saw.
func (u *udpTap) close() [][]byte {
	select {
	case <-u.stop:
	default:
		close(u.stop)
		<-u.done
		syscall.Close(u.fd)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.payloads
}

// audibleRTP counts the RTP packets among payloads carrying 20 ms of
// G.711 (payload type 0 or 8, 160 bytes or more) and how many of them
// decode to the test signal: a sinusoid, locally, which a two-tap linear
// predictor (x[n-1] + x[n+1] = 2cos(w)·x[n]) follows to within G.711's
// quantisation, where encrypted bytes decode to noise it cannot predict.
func audibleRTP(payloads [][]byte) (rtpPackets, audible int) {
	pcm := make([]int16, voiceFrame)
	for _, p := range payloads {
		if len(p) < 12+voiceFrame || p[0]>>6 != 2 {
			continue
		}
		law := g711.Ulaw
		switch p[1] & 0x7f {
		case 0:
		case 8:
			law = g711.Alaw
		default:
			continue
		}
		rtpPackets++
		law.Decode(pcm, p[12:12+voiceFrame])
		if sinusoidal(pcm) {
			audible++
		}
	}
	return rtpPackets, audible
}

// sinusoidal reports whether x is, to within a few per cent of its
// energy, a sinusoid (and not silence).
func sinusoidal(x []int16) bool {
	var xx, xs float64
	for n := 1; n+1 < len(x); n++ {
		v, s := float64(x[n]), float64(x[n-1])+float64(x[n+1])
		xx += v * v
		xs += v * s
	}
	if xx < float64(len(x))*300*300 { // quieter than -40 dBFS: not the signal
		return false
	}
	c := xs / xx
	var res float64
	for n := 1; n+1 < len(x); n++ {
		e := float64(x[n-1]) + float64(x[n+1]) - c*float64(x[n])
		res += e * e
	}
	return res < 0.05*xx
}

// TestAudibleRTPDetector: the detector the SRTP capture test relies on
// finds the test signal in plain G.711 packets and none in random bytes.
func TestAudibleRTPDetector(t *testing.T) {
	t.Parallel()
	sig := voiceSignal(1)
	var plain, random [][]byte
	seed := uint32(1)
	for i := 0; i+voiceFrame <= len(sig); i += voiceFrame {
		p := make([]byte, 12+voiceFrame)
		p[0] = 0x80
		g711.Ulaw.Encode(p[12:], sig[i:i+voiceFrame])
		plain = append(plain, p)
		r := make([]byte, 12+voiceFrame+10)
		r[0] = 0x80
		for j := 12; j < len(r); j++ {
			seed = seed*1664525 + 1013904223
			r[j] = byte(seed >> 24)
		}
		random = append(random, r)
	}
	n, a := audibleRTP(plain)
	if a < n*9/10 {
		t.Errorf("plain G.711 of the test signal: %d of %d packets found audible, want 90%%", a, n)
	}
	if n, a := audibleRTP(random); n != len(random) || a != 0 {
		t.Errorf("random payloads: %d of %d found audible, want 0", a, n)
	}
}
