package board

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// matrixSimConfig is the sim board with a matrix keypad.
func matrixSimConfig(keys string) Config {
	cfg := DefaultConfig()
	cfg.MatrixKeypad = &MatrixKeypad{
		Rows: []string{"GPIO8", "GPIO9", "GPIO10", "GPIO11"}, Cols: []string{"GPIO0", "GPIO1", "GPIO2"},
		Keys: keys, Debounce: 2 * time.Millisecond,
	}
	return cfg
}

// TestMatrixKeypadSim keys the sim board's matrix keypad through the
// scanner and reads the key presses from the board's events.
func TestMatrixKeypadSim(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, layout, keys string
	}{
		{"every key", "", "123456789*0#"},
		{"repeated keys", "", "1100##"},
		{"own layout", "#0*987654321", "#1*"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := Open(matrixSimConfig(tc.layout), discard())
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = b.Close() }()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := b.Sim().Keys(ctx, tc.keys); err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			for got.Len() < len(tc.keys) {
				select {
				case ev := <-b.Events():
					if ev.Role == Keypad && ev.Kind == KeyPressed {
						got.WriteByte(ev.Key)
					}
				case <-ctx.Done():
					t.Fatalf("keys %q: got %q", tc.keys, got.String())
				}
			}
			if got.String() != tc.keys {
				t.Errorf("keys %q: got %q", tc.keys, got.String())
			}
		})
	}
}

// TestMatrixKeypadSimHTTP keys the sim's matrix keypad from its HTTP
// control; a key the layout lacks is refused.
func TestMatrixKeypadSimHTTP(t *testing.T) {
	t.Parallel()
	b, err := Open(matrixSimConfig(""), discard())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	srv := httptest.NewServer(b.Sim().Handler())
	defer srv.Close()
	for _, tc := range []struct {
		body string
		code int
	}{{`{"keys":"42#"}`, 200}, {`{"keys":"4A"}`, 400}} {
		res, err := http.Post(srv.URL+"/keys", "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != tc.code {
			t.Errorf("POST /keys %s: %d, want %d", tc.body, res.StatusCode, tc.code)
		}
	}
	var got []byte
	for len(got) < 3 {
		ev := <-b.Events()
		if ev.Kind == KeyPressed {
			got = append(got, ev.Key)
		}
	}
	if string(got) != "42#" {
		t.Errorf("keys %q, want 42#", got)
	}
}

// matrixRig is a scanner of a model on a fake clock.
type matrixRig struct {
	m    *matrixModel
	clk  *clockwork.FakeClock
	keys chan byte
	idle chan struct{}
}

func startMatrixRig(t *testing.T) *matrixRig { return startMatrixRigTick(t, 0) }

// startMatrixRigTick is startMatrixRig with each row driven for tick (0:
// the default).
func startMatrixRigTick(t *testing.T, tick time.Duration) *matrixRig {
	t.Helper()
	r := &matrixRig{clk: clockwork.NewFakeClock(), keys: make(chan byte, 16), idle: make(chan struct{}, 16)}
	// The columns wait on the real clock (Halt wakes them), so that the
	// fake clock's only waiter is the scanner between two scans.
	r.m = newMatrixModel(matrixKeys, clockwork.NewRealClock())
	s := r.m.scanner(20*time.Millisecond, func(k byte) { r.keys <- k }, func() { r.idle <- struct{}{} })
	s.clk, s.tick = r.clk, tick
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	r.awaitIdle(t)
	return r
}

func (r *matrixRig) awaitIdle(t *testing.T) {
	t.Helper()
	select {
	case <-r.idle:
	case <-time.After(20 * time.Second):
		t.Fatal("the scanner never went back to waiting")
	}
}

// sleeping waits until the scanner sleeps between two scans.
func (r *matrixRig) sleeping(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.clk.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal("the scanner is not scanning")
	}
}

// step moves the clock one row's tick on and waits until the scanner
// sleeps again (true) or goes back to waiting for a key (false).
func (r *matrixRig) step(t *testing.T) bool {
	t.Helper()
	r.clk.Advance(matrixScan)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	slept := make(chan error, 1)
	go func() { slept <- r.clk.BlockUntilContext(ctx, 1) }()
	select {
	case <-r.idle:
		return false
	case err := <-slept:
		if err != nil {
			t.Fatal("the scanner neither scans nor waits")
		}
		return true
	}
}

// hold steps n ticks, the scanner scanning throughout.
func (r *matrixRig) hold(t *testing.T, n int, what string) {
	t.Helper()
	for range n {
		if !r.step(t) {
			t.Fatalf("stopped scanning while %s", what)
		}
	}
}

// untilIdle steps until the scanner waits for a key again, at most three
// passes over the rows.
func (r *matrixRig) untilIdle(t *testing.T, what string) {
	t.Helper()
	for n := 0; r.step(t); n++ {
		if n > 3*matrixRows {
			t.Fatalf("still scanning long after %s", what)
		}
	}
}

// TestMatrixScannerTick: with matrix_keypad.scan set, each row is driven
// for that long before the scanner moves to the next one.
func TestMatrixScannerTick(t *testing.T) {
	t.Parallel()
	r := startMatrixRigTick(t, 40*time.Millisecond)
	outs := func() int { r.m.mu.Lock(); defer r.m.mu.Unlock(); return r.m.outs }
	_ = r.m.set('1', true)
	r.sleeping(t)
	before := outs()
	r.clk.Advance(matrixScan) // the default tick: too soon
	time.Sleep(50 * time.Millisecond)
	if n := outs(); n != before {
		t.Fatalf("the next row was driven after %v, want after 40ms", matrixScan)
	}
	r.clk.Advance(40*time.Millisecond - matrixScan)
	for end := time.Now().Add(10 * time.Second); outs() == before; time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the next row was not driven after 40ms")
		}
	}
	_ = r.m.set('1', false)
}

// TestMatrixScannerDebounce: a contact shorter than the debounce time is
// no key; a key held for it is one key however long it is held; no scan
// runs while no key is down; two keys of a column held together are both
// read, and no row is ever driven high.
func TestMatrixScannerDebounce(t *testing.T) {
	t.Parallel()
	r := startMatrixRig(t)
	outs := func() int { r.m.mu.Lock(); defer r.m.mu.Unlock(); return r.m.outs }
	before := outs()
	r.clk.Advance(time.Hour / 2)
	if n := outs(); n != before {
		t.Errorf("idle: %d row changes in half an hour of fake time, want none", n-before)
	}

	_ = r.m.set('5', true) // a bounce: down when its row (the second) is read once
	r.sleeping(t)
	r.hold(t, 2, "5 bounces")
	_ = r.m.set('5', false)
	r.untilIdle(t, "the bounce")

	_ = r.m.set('8', true) // held for 20 passes over the rows
	r.sleeping(t)
	r.hold(t, 20*matrixRows, "8 is down")
	_ = r.m.set('8', false)
	r.untilIdle(t, "8 is up")

	_ = r.m.set('2', true) // two keys of one column held together
	_ = r.m.set('5', true)
	r.sleeping(t)
	r.hold(t, 5*matrixRows, "2 and 5 are down")
	_ = r.m.set('2', false)
	_ = r.m.set('5', false)
	r.untilIdle(t, "2 and 5 are up")
	r.m.mu.Lock()
	high := r.m.high
	r.m.mu.Unlock()
	if high != 0 {
		t.Errorf("rows driven high %d times: two keys of a column short them to the selected row", high)
	}
	close(r.keys)
	var got []byte
	for k := range r.keys {
		got = append(got, k)
	}
	if string(got) != "825" {
		t.Errorf("keys %q, want \"825\" (the bounce of 5 is no key)", got)
	}
}

// TestMatrixKeypadConfig checks the keypad's validation.
func TestMatrixKeypadConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(m *MatrixKeypad)
		want string // "" = valid
	}{
		{"valid", func(*MatrixKeypad) {}, ""},
		{"three rows", func(m *MatrixKeypad) { m.Rows = m.Rows[:3] }, "matrix_keypad.rows: must be 4 pins"},
		{"bad key", func(m *MatrixKeypad) { m.Keys = "123456789*0A" }, "matrix_keypad.keys"},
		{"pin twice", func(m *MatrixKeypad) { m.Cols[2] = "GPIO8" }, "matrix_keypad.cols[2]: GPIO8 is already used by matrix_keypad.rows[0]"},
		{"pin of a role", func(m *MatrixKeypad) { m.Rows[0] = "GPIO17" }, "GPIO17 is already used by pins.call_buttons[0]"},
		{"bad pin", func(m *MatrixKeypad) { m.Cols[0] = "GPIO40" }, "unknown pin \"GPIO40\""},
		{"debounce", func(m *MatrixKeypad) { m.Debounce = 2 * time.Second }, "matrix_keypad.debounce"},
		{"slow scan", func(m *MatrixKeypad) { m.Scan = 40 * time.Millisecond }, ""},
		{"scan too long", func(m *MatrixKeypad) { m.Scan = 200 * time.Millisecond }, "matrix_keypad.scan: must be between 1ms and 100ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := matrixSimConfig("")
			tc.edit(cfg.MatrixKeypad)
			err := cfg.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("valid config refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one with %q", err, tc.want)
			}
		})
	}
}

// TestMatrixNoGoroutineLeft is not parallel: no other test's scanner runs.
func TestMatrixNoGoroutineLeft(t *testing.T) {
	b, err := Open(matrixSimConfig(""), discard())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Sim().Keys(ctx, "12"); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for _, g := range boardGoroutines() {
		if strings.Contains(g, "matrixScanner") || strings.Contains(g, "modelCol") {
			t.Errorf("left running:\n%s", g)
		}
	}
}
