package board

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func openSim(t *testing.T) *Board {
	t.Helper()
	cfg := DefaultConfig()
	lp := PinConfig{LongPress: 200 * time.Millisecond}
	cfg.Pins.CallButtons = []PinConfig{lp, lp, lp}
	b, err := Open(cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

func nextEvent(t *testing.T, b *Board) Event {
	t.Helper()
	select {
	case e := <-b.Events():
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return Event{}
}

// terminal runs RunTerminal on a pipe and returns a line writer and a
// function that waits for a line containing want.
func terminal(t *testing.T, s *Sim) (send func(string), expect func(string)) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- s.RunTerminal(context.Background(), inR, outW); outW.Close() }()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	t.Cleanup(func() {
		inW.Close()
		if err := <-done; err != nil {
			t.Errorf("RunTerminal: %v", err)
		}
	})
	send = func(l string) {
		if _, err := io.WriteString(inW, l+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	expect = func(want string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("terminal ended before %q", want)
				}
				if strings.Contains(l, want) {
					return
				}
			case <-timeout:
				t.Fatalf("no line containing %q within 10s", want)
			}
		}
	}
	return send, expect
}

func TestSimTerminal(t *testing.T) {
	t.Parallel()
	b := openSim(t)
	send, expect := terminal(t, b.Sim())
	expect("1..9")

	send("2")
	expect("call button 2 pressed")
	for _, want := range []EventKind{Press, Release} {
		if e := nextEvent(t, b); e.Role != CallButton || e.Index != 1 || e.Kind != want {
			t.Fatalf("event %+v, want call button 1 %v", e, want)
		}
	}
	send("l1")
	expect("call button 1 held and released")
	for _, want := range []EventKind{Press, LongPress, Release} {
		if e := nextEvent(t, b); e.Role != CallButton || e.Index != 0 || e.Kind != want {
			t.Fatalf("event %+v, want call button 0 %v", e, want)
		}
	}
	send("l0")
	expect(`unknown command "l0"`)
	send("d")
	expect("door open")
	if e := nextEvent(t, b); e.Role != DoorContact || e.Kind != DoorOpened {
		t.Fatalf("event %+v, want door opened", e)
	}
	send("h")
	expect("off hook")
	if e := nextEvent(t, b); e.Role != HookSwitch || e.Kind != OffHook {
		t.Fatalf("event %+v, want off-hook", e)
	}

	if err := b.Set(StatusLED, 0, On()); err != nil {
		t.Fatal(err)
	}
	expect("status LED on")
	if err := b.Set(DoorRelay, 0, Pulse(20*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	expect("door relay on")
	expect("door relay off")

	send("x")
	expect(`unknown command "x"`)
	send("9")
	expect("no call button 9 (this board has 3)")
	send("?")
	expect("1..9")
}

func TestSimHTTP(t *testing.T) {
	t.Parallel()
	b := openSim(t)
	srv := httptest.NewServer(b.Sim().Handler())
	t.Cleanup(srv.Close)

	tests := []struct {
		method, path, body string
		code               int
		event              *Event
		errPart            string
	}{
		{"GET", "/state", "", 200, nil, ""},
		{"POST", "/press", `{"index":0}`, 200, &Event{Role: CallButton, Index: 0, Kind: Press}, ""},
		{"POST", "/door", `{"open":true}`, 200, &Event{Role: DoorContact, Kind: DoorOpened}, ""},
		{"POST", "/door", ``, 200, &Event{Role: DoorContact, Kind: DoorClosed}, ""},
		{"POST", "/hook", ``, 200, &Event{Role: HookSwitch, Kind: OffHook}, ""},
		{"POST", "/press", `{"index":2,"long":true}`, 200, &Event{Role: CallButton, Index: 2, Kind: Press}, ""},
		{"POST", "/press", `{"index":7}`, 400, nil, "no call button 8"},
		{"POST", "/press", `{"index":-1}`, 400, nil, "no call button"},
		{"POST", "/press", `{"index":`, 400, nil, "bad JSON"},
		{"POST", "/press", `{}`, 400, nil, "missing"},
		{"POST", "/press", `{"idx":1}`, 400, nil, "unknown field"},
		{"POST", "/door", `{"closed":true}`, 400, nil, "unknown field"},
		{"POST", "/door", `[1]`, 400, nil, "bad JSON"},
		{"GET", "/press", ``, 405, nil, ""},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.code {
			t.Fatalf("%s %s %s: status %d, want %d (%s)", tc.method, tc.path, tc.body, res.StatusCode, tc.code, body)
		}
		if tc.errPart != "" && !strings.Contains(string(body), tc.errPart) {
			t.Errorf("%s %s %s: body %s lacks %q", tc.method, tc.path, tc.body, body, tc.errPart)
		}
		if tc.code == 200 {
			var st struct{ Pins []PinState }
			if err := json.Unmarshal(body, &st); err != nil || len(st.Pins) != 18 {
				t.Errorf("%s %s: state %s (%v), want 18 pins", tc.method, tc.path, body, err)
			}
		}
		if tc.event != nil {
			e := nextEvent(t, b)
			if e.Role != tc.event.Role || e.Index != tc.event.Index || e.Kind != tc.event.Kind {
				t.Errorf("%s %s: event %+v, want %+v", tc.method, tc.path, e, tc.event)
			}
			if e.Kind == Press {
				e = nextEvent(t, b)
				if long := strings.Contains(tc.body, "long"); long != (e.Kind == LongPress) {
					t.Errorf("%s %s: event %+v after press (long press wanted: %t)", tc.method, tc.path, e, long)
				}
				if e.Kind == LongPress {
					e = nextEvent(t, b)
				}
				if e.Kind != Release {
					t.Errorf("%s %s: event %+v after press, want release", tc.method, tc.path, e)
				}
			}
		}
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
