package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/sipbell/sipbell/internal/interop"
)

// TestVoiceDTMFSpoofedSenderIgnored (issue 13): RFC 4733 digits reach the
// door only from the call's media peer. sipbell (the binary) calls
// baresip; while baresip still rings, a stranger on another loopback
// address sends telephone-event packets for "#" to sipbell's RTP port
// (they wait in its socket, ahead of anything baresip sends). Then baresip
// answers and sends "5". The door station must receive "5" and never the
// stranger's "#": a target that may not open the door logs one debug line
// per digit it receives ("DTMF ignored: ..."), so every digit that got
// through shows.
func TestVoiceDTMFSpoofedSenderIgnored(t *testing.T) {
	t.Parallel()
	b := interop.StartBaresip(t, interop.BaresipOptions{User: "alice"}) // answered by hand
	rtpPort := interop.FreePort(t)
	cfg := voiceConfig("silence", filepath.Join(t.TempDir(), "speaker.wav"), fmt.Sprintf(`media:
  rtp_port_min: %d
  rtp_port_max: %d
device:
  buttons:
    - targets: [%q]
  call:
    extend_key: ""
  door:
    code: "1234"
    targets_may_open: false
`, rtpPort, rtpPort+1, b.URI))
	p := startVoice(t, cfg, nil, "-log-level", "debug")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p.await(ctx, t, "door station ready", nil, 1)
	p.press(t, 1)
	if err := b.WaitEvent(ctx, "CALL_INCOMING"); err != nil {
		t.Fatalf("baresip: %v", err)
	}

	stranger, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)},
		&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: rtpPort})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	for i, end := range []bool{false, false, true, true, true} {
		pkt, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: uint16(100 + i),
			Timestamp: 8000, SSRC: 0x5900f, Marker: i == 0},
			Payload: telephoneEvent(11, end, uint16(160*(i+1)))}).Marshal() // 11 is "#"
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stranger.Write(pkt); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := b.Command(ctx, "accept", ""); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("baresip: %v", err)
	}
	p.await(ctx, t, "call answered", nil, 1)
	const ignored = "DTMF ignored: the caller may not open the door"
	if _, err := b.Command(ctx, "sndcode", "5"); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, ignored, map[string]string{"digit": "5"}, 1)
	var got strings.Builder
	for _, m := range p.matching(ignored, nil) {
		got.WriteString(fmt.Sprint(m["digit"]))
	}
	if got.String() != "5" {
		t.Errorf("the door station received %q, want only baresip's \"5\" (the stranger sent \"#\")", got.String())
	}
	p.await(ctx, t, "DTMF in the media ignored: it does not come from the address the SDP named", nil, 1)
	if _, err := b.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call ended", nil, 1)
}

// telephoneEvent is an RFC 4733 payload: event, end bit, volume 10,
// duration.
func telephoneEvent(event uint8, end bool, duration uint16) []byte {
	b := []byte{event, 10, byte(duration >> 8), byte(duration)}
	if end {
		b[1] |= 0x80
	}
	return b
}
