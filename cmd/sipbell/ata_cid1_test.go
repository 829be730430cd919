package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// TestATACallerIDBeforeFirstRing: where the country sends caller ID
// before the first ring, it does, and the bell starts only after it:
// UK (line reversal, the 2130+2750 Hz alerting signal, V.23 FSK;
// minimodem decodes the earpiece recording to alice, whom Kamailio
// asserted) and NL (DTMF caller ID, multimon-ng's DTMF decoder hears
// A4930123C from a caller the phone knows by its network). The ringer
// has not rung when the caller ID is sent, and the first ring comes after
// the caller ID's end (the device's own timestamps in the log).
func TestATACallerIDBeforeFirstRing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, country string
		decode        func(t *testing.T, x []int16) string
		want          string
	}{
		{"UK V.23", "UK", func(t *testing.T, x []int16) string {
			return interop.Minimodem(t, x, "-M", "1300", "-S", "2100", "callerid")
		}, "Phone: alice"},
		{"NL DTMF", "NL", func(t *testing.T, x []int16) string {
			return strings.NewReplacer("DTMF: ", "", "\n", "").Replace(interop.Multimon(t, "DTMF", x))
		}, "A4930123C"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ear := filepath.Join(t.TempDir(), "earpiece.wav")
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			var p *ataProc
			var dial func()
			if tc.country == "UK" {
				k := interop.StartKamailio(t, interop.KamailioOptions{})
				alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP})
				p = startATA(ctx, t, ataConfig("silence", ear, "    country: UK\n", kamailioSIP(k)))
				p.await(ctx, t, "registration registered", nil, 1)
				dial = func() {
					if _, err := alice.Command(ctx, "dial", "sip:door@"+k.UDP); err != nil {
						t.Fatal(err)
					}
				}
			} else {
				caller := interop.StartBaresip(t, interop.BaresipOptions{User: "4930123"})
				p = startATA(ctx, t, ataConfig("silence", ear, "    country: NL\n",
					"sip:\n  listen: 127.0.0.1:0\n  user: phone\n  callers:\n    - user: \"4930123\"\n      networks: [127.0.0.1]\n"))
				addr := fmt.Sprint(p.await(ctx, t, "sip listening", nil, 1)["udp"])
				dial = func() {
					if _, err := caller.Command(ctx, "dial", "sip:phone@"+addr); err != nil {
						t.Fatal(err)
					}
				}
			}
			dial()
			sent := p.await(ctx, t, "caller ID sent", nil, 1)
			if r := p.ringer(ctx, t); r.Bursts > 0 || r.Ringing {
				t.Errorf("the bell rang before the caller ID was sent: %+v", r)
			}
			ring := p.await(ctx, t, "ringing after the caller ID", nil, 1)
			n, _ := sent["samples"].(float64)
			sentAt, ringAt := logTime(t, sent), logTime(t, ring)
			cid := time.Duration(n) * time.Second / 8000
			t.Logf("caller ID of %v sent at %v, first ring %v later", cid, sentAt.Format("15:04:05.000"), ringAt.Sub(sentAt))
			if ringAt.Sub(sentAt) < cid {
				t.Errorf("the first ring came %v after the caller ID began, which lasts %v", ringAt.Sub(sentAt), cid)
			}
			waitFileSize(ctx, t, ear, 44+2*int64(n), "caller ID")
			p.stop(ctx, t)
			x := readWAV(t, ear)
			x = append(append(make([]int16, 800), x[:min(len(x), int(n)+4000)]...), make([]int16, 1600)...)
			got := tc.decode(t, x)
			t.Logf("decoded %q", got)
			if !strings.Contains(got, tc.want) {
				t.Errorf("decoded %q, want %q", got, tc.want)
			}
			if a := alertShare(x); (a > 0.8) != (tc.country == "UK") {
				t.Errorf("2130+2750 Hz share of the loudest 80 ms: %.2f: want the alerting signal before FSK only", a)
			}
		})
	}
}

// logTime is the time of a JSON log line.
func logTime(t *testing.T, m map[string]any) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(m["time"]))
	if err != nil {
		t.Fatalf("log line time %v: %v", m["time"], err)
	}
	return at
}
