package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/board"
	"github.com/sipbell/sipbell/internal/interop"
)

// simPost posts body to the sim board's HTTP control path.
func (p *ataProc) simPost(ctx context.Context, t *testing.T, path, body string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.sim+path, strings.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if b, _ := io.ReadAll(res.Body); res.StatusCode != http.StatusOK {
		t.Fatalf("sim %s %s: %s %s", path, body, res.Status, b)
	}
}

// ringer reads the sim board's ringer report.
func (p *ataProc) ringer(ctx context.Context, t *testing.T) board.RingReport {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.sim+"/state", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st struct{ Ringer board.RingReport }
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st.Ringer
}

// TestSimBoardPhoneInBinary runs sipbell as an analog phone on the sim
// board and operates the phone's hardware through the sim's controls as
// a person would: digits pulse-dialled on the rotary dial (HTTP) and by
// the hook switch (the terminal, with 12 pps 67/33 timing) reach the dial
// plan; a hook flash is told apart; and when baresip calls, the ringer's
// waveform measured from the pins has the country's frequency and the
// configured cadence, the H-bridge bells in antiphase.
func TestSimBoardPhoneInBinary(t *testing.T) {
	t.Parallel()
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob"})
	ear := filepath.Join(t.TempDir(), "earpiece.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	p := startATA(ctx, t, ataConfig("silence", ear,
		"    country: DE\n    caller_id: \"off\"\n    ring_cadence: [1s, 1500ms]\n    dial_plan:\n      digit_map: \"(xx)\"\n",
		"sip:\n  listen: 127.0.0.1:0\n  user: phone\n  allow_from: [127.0.0.1]\n"))
	addr := fmt.Sprint(p.await(ctx, t, "sip listening", nil, 1)["udp"])

	p.hook(ctx, t, true)
	p.await(ctx, t, "off hook", nil, 1)
	p.simPost(ctx, t, "/dial", `{"digits":"42"}`)
	p.await(ctx, t, "dialling", map[string]string{"digits": "42"}, 1)
	p.hook(ctx, t, false)
	p.await(ctx, t, "on hook", nil, 1)

	p.hook(ctx, t, true)
	p.await(ctx, t, "off hook", nil, 2)
	if _, err := io.WriteString(p.stdin, "pps 12\nbreak 67\nph35\n"); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "dialling", map[string]string{"digits": "35"}, 1)
	p.simPost(ctx, t, "/flash", `{"ms":400}`)
	p.await(ctx, t, "hook flash", nil, 1)
	p.hook(ctx, t, false)
	p.await(ctx, t, "on hook", nil, 2)

	if _, err := bob.Command(ctx, "dial", "sip:phone@"+addr); err != nil {
		t.Fatal(err)
	}
	p.await(ctx, t, "call from sip:bob@127.0.0.1: ringing", nil, 1)
	var r board.RingReport
	for r = p.ringer(ctx, t); r.Bursts < 2; r = p.ringer(ctx, t) {
		select {
		case <-ctx.Done():
			t.Fatalf("the ringer did not ring twice: %+v", r)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if _, err := bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	t.Logf("ringer as measured from the sim board's pins: %+v", r)
	// The edges come from the board's scheduler on a real clock: allow
	// for its latency on a loaded machine.
	if math.Abs(r.Hz-25) > 1 || !r.Antiphase {
		t.Errorf("ringer at %.2f Hz, bells in antiphase %t; want 25 Hz (DE) in antiphase", r.Hz, r.Antiphase)
	}
	if (time.Duration(r.OnMS)*time.Millisecond-time.Second).Abs() > 150*time.Millisecond ||
		(time.Duration(r.OffMS)*time.Millisecond-1500*time.Millisecond).Abs() > 150*time.Millisecond {
		t.Errorf("ring cadence %d ms on, %d ms off; want 1000/1500 (ring_cadence)", r.OnMS, r.OffMS)
	}
	p.stop(ctx, t)
}
