package main

import (
	"context"
	bin "encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio/selftest"
	"github.com/sipbell/sipbell/history"
	"github.com/sipbell/sipbell/internal/interop"
)

// Issue 18: the speaker and microphone self-test on the binary. The door's
// speaker and microphone are the simulated board's stand-ins: a pair of
// pipes joined by a small room (speaker -> microphone at -20 dB, 5 ms,
// with noise), or a microphone recording of street noise with the speaker
// going nowhere (a disconnected speaker), or a microphone that delivers
// zeros (a dead one). POST /api/actions/self-test runs the test; its
// outcome is in the answer, /api/status, the history, the log and a
// webhook.

// selfTestRoom joins the door's speaker pipe to its microphone pipe on its
// own 20 ms clock, as a sound card's would run.
type selfTestRoom struct {
	mu  sync.Mutex
	spk []int16 // played, not yet heard
}

// startSelfTestRoom makes the pipes in dir and runs the room until ctx ends.
func startSelfTestRoom(ctx context.Context, t *testing.T, dir string) (spkPath, micPath string) {
	t.Helper()
	spkPath, micPath = filepath.Join(dir, "speaker.wav"), filepath.Join(dir, "mic.wav")
	var files [2]*os.File
	for i, p := range []string{spkPath, micPath} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(p, os.O_RDWR, 0) // never waits for the other end
		if err != nil {
			t.Fatal(err)
		}
		files[i] = f
	}
	spk, mic := files[0], files[1]
	t.Cleanup(func() { spk.Close(); mic.Close() })
	if _, err := mic.Write(streamHeader()); err != nil {
		t.Fatal(err)
	}
	r := &selfTestRoom{}
	go r.listen(spk)
	go r.speak(ctx, mic)
	return spkPath, micPath
}

// listen keeps what the door plays.
func (r *selfTestRoom) listen(spk *os.File) {
	buf := make([]byte, 44+320)
	if _, err := io.ReadFull(spk, buf[:44]); err != nil {
		return
	}
	for {
		n, err := spk.Read(buf[:320])
		if err != nil {
			return
		}
		r.mu.Lock()
		for i := 0; i+1 < n; i += 2 {
			r.spk = append(r.spk, int16(bin.LittleEndian.Uint16(buf[i:])))
		}
		if len(r.spk) > 8000 { // bounded: a second
			r.spk = r.spk[len(r.spk)-8000:]
		}
		r.mu.Unlock()
	}
}

// speak writes a microphone frame every 20 ms: the speaker 5 ms late at
// a tenth, over noise; frames nobody reads are lost, as a sound card's.
func (r *selfTestRoom) speak(ctx context.Context, mic *os.File) {
	rng := rand.New(rand.NewPCG(18, 18))
	tick := time.NewTicker(20 * time.Millisecond) // the room's sample clock
	defer tick.Stop()
	hist := make([]float64, 40)
	out := make([]byte, 320)
	q := roomSim{mic: mic}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r.mu.Lock()
		n := min(len(r.spk), 160)
		in := append([]int16(nil), r.spk[:n]...)
		r.spk = r.spk[n:]
		r.mu.Unlock()
		for i := range 160 {
			var x float64
			if i < len(in) {
				x = float64(in[i])
			}
			hist = append(hist[1:], x)
			v := 0.1*hist[0] + 30*rng.NormFloat64()
			bin.LittleEndian.PutUint16(out[2*i:], uint16(int16(math.Round(v))))
		}
		if q.queued() >= 8*len(out) {
			continue
		}
		if _, err := mic.Write(out); err != nil {
			return
		}
	}
}

// writeMicWAV writes 60 s of microphone recording: Gaussian noise of rms
// (0: digital silence).
func writeMicWAV(t *testing.T, path string, rms float64) {
	rng := rand.New(rand.NewPCG(1, 18))
	s := make([]int16, 60*8000)
	for i := range s {
		s[i] = int16(math.Round(rms * rng.NormFloat64()))
	}
	if err := os.WriteFile(path, interop.EncodeWAV(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// hookSink records the webhooks' event names and reasons.
type hookSink struct {
	mu  sync.Mutex
	got []string
	ch  chan struct{}
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p struct{ Event, Reason string }
	_ = json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&p)
	h.mu.Lock()
	h.got = append(h.got, p.Event+": "+p.Reason)
	h.mu.Unlock()
	select {
	case h.ch <- struct{}{}:
	default:
	}
}

func TestSelfTestOnTheBinary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		pass   bool
		detail string
		event  string
	}{
		{"speaker and microphone joined", true, "tones heard", "audio-ok"},
		{"speaker disconnected", false, "hears the room", "audio-fault"},
		{"microphone dead", false, "digital silence", "audio-fault"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			selfTestCase(t, tc.name, tc.pass, tc.detail, tc.event)
		})
	}
}

func selfTestCase(t *testing.T, name string, pass bool, detail, event string) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()
	spk, mic := filepath.Join(dir, "speaker.wav"), filepath.Join(dir, "mic.wav")
	switch name {
	case "speaker and microphone joined":
		spk, mic = startSelfTestRoom(ctx, t, dir)
	case "speaker disconnected":
		writeMicWAV(t, mic, 100)
	default:
		writeMicWAV(t, mic, 0)
	}
	hooks := &hookSink{ch: make(chan struct{}, 1)}
	srv := httptest.NewServer(hooks)
	defer srv.Close()
	cfgPath := writeSelfTestConfig(t, dir, mic, spk, fmt.Sprintf(`notify:
  webhooks:
    - url: %s
      events: [audio-fault, audio-ok]
`, srv.URL))
	_, h := startHistoryDoor(t, cfgPath)
	r := runSelfTest(t, h)
	t.Logf("%s: %v (noise %.1f dBFS), bands %+v", name, r, r.NoiseDBFS, r.Bands)
	if r.Pass != pass || !strings.Contains(r.Detail, detail) {
		t.Fatalf("self-test: pass=%v %q, want pass=%v and %q", r.Pass, r.Detail, pass, detail)
	}
	if !pass && r.Verdict != selftest.VerdictFault {
		t.Errorf("verdict %q, want %q", r.Verdict, selftest.VerdictFault)
	}
	if st := statusSelfTest(t, h); st == nil || st.Pass != pass {
		t.Errorf("status: self-test %+v, want pass=%v", st, pass)
	}
	h.awaitHistory(ctx, t, "the self-test", func(es []history.Entry) bool { return hasEntry(es, historySelfTest, "api", "", detail) })
	for {
		hooks.mu.Lock()
		got := strings.Join(hooks.got, "\n")
		hooks.mu.Unlock()
		if strings.Contains(got, event+": ") && strings.Contains(got, detail) {
			break
		}
		select {
		case <-hooks.ch:
		case <-ctx.Done():
			t.Fatalf("no %s webhook with %q; got %q", event, detail, got)
		}
	}
}

// writeSelfTestConfig writes dir/sipbell.yaml for a self-test on the
// binary and returns its path: the door's microphone plays mic, its
// speaker writes spk, echo cancelling is off, notify (a YAML notify:
// section) says where outcomes go, the admin API listens on a free port
// (liveDoorPassword) and the state is kept in dir/state.
func writeSelfTestConfig(t *testing.T, dir, mic, spk, notify string) string {
	t.Helper()
	cfg := fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
audio:
  capture: %s
  playback: %s
  echo_cancel:
    mode: "off"
%sprovisioning:
  state_dir: %s
  admin:
    listen: 127.0.0.1:0
    tls: false
    password: %q
`, mic, spk, notify, filepath.Join(dir, "state"), liveDoorPassword)
	path := filepath.Join(dir, "sipbell.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runSelfTest runs the self-test through h's admin API: its outcome.
func runSelfTest(t *testing.T, h historyRig) selftest.Result {
	t.Helper()
	var r selftest.Result
	code, body := h.call(t, "POST", "/api/actions/self-test")
	if code != http.StatusOK || json.Unmarshal([]byte(body), &r) != nil {
		t.Fatalf("self-test: %d %s", code, body)
	}
	return r
}

// statusSelfTest is the last self-test outcome in h's /api/status (nil:
// none).
func statusSelfTest(t *testing.T, h historyRig) *selftest.Result {
	t.Helper()
	var st struct {
		Device struct {
			Audio *selftest.Result `json:"audio_self_test"`
		} `json:"device"`
	}
	code, body := h.call(t, "GET", "/api/status")
	if code != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil {
		t.Fatalf("status: %d %s", code, body)
	}
	return st.Device.Audio
}
