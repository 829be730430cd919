package provisioning

import (
	"context"
	"testing"
	"time"

	"github.com/sipbell/sipbell/board"
	"github.com/sipbell/sipbell/provisioning/cdptest"
)

// TestWebUIPhoneControls operates the simulated board's analog phone from
// the web page in headless Chromium: lift the handset, dial by pulses on
// the rotary dial and by the hook switch, flash the hook, and read the
// ringer's measured waveform.
func TestWebUIPhoneControls(t *testing.T) {
	t.Parallel()
	brd, err := board.Open(board.DefaultConfig(), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { brd.Close() })
	e := newAdminEnv(t, func(o *AdminOptions) {
		o.Sim = brd.Sim().Handler()
		o.Status = staticStatus{"version": "ui-phone-1.0"}
	})
	b := cdptest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b.Navigate(e.URL + "/")
	b.WaitFor(ctx, "the login form", `!document.querySelector("#login").hidden`)
	b.Eval(`document.querySelector("#password").value = `+jsString(testAdminPW)+`; document.querySelector("#login-form").requestSubmit()`, nil)
	b.WaitFor(ctx, "the status page", `!document.querySelector("#app").hidden`)
	b.Eval(`document.querySelector('nav button[data-tab="board"]').click()`, nil)
	b.WaitFor(ctx, "the phone controls", `document.querySelector("#sim-phone") && !document.querySelector("#sim-phone").hidden`)

	next := func(what string) board.Event {
		t.Helper()
		select {
		case ev := <-brd.Events():
			return ev
		case <-ctx.Done():
			t.Fatalf("no board event for %s", what)
		}
		return board.Event{}
	}
	// count reads events until n of kind have come, and returns how many
	// of other came meanwhile.
	count := func(kind, other board.EventKind, n int) int {
		t.Helper()
		seen, others := 0, 0
		for seen < n {
			switch next(kind.String()).Kind {
			case kind:
				seen++
			case other:
				others++
			}
		}
		return others
	}

	b.Eval(`document.querySelector("#sim-hook_switch-0").click()`, nil)
	if ev := next("off hook"); ev.Kind != board.OffHook {
		t.Fatalf("hook button: %v, want off-hook", ev.Kind)
	}
	b.WaitFor(ctx, "flash enabled off hook", `!document.querySelector("#sim-flash").disabled`)

	// "30" on the dial at 12 pps, 67/33: 3 + 10 breaks in two off-normal frames.
	b.Eval(`document.querySelector("#sim-dial-digits").value = "30";
		document.querySelector("#sim-dial-pps").value = "12";
		document.querySelector("#sim-dial-break").value = "67";
		document.querySelector("#sim-dial").click()`, nil)
	if breaks := count(board.DialAtRest, board.DialBreak, 2); breaks != 13 {
		t.Errorf("dialled 30 from the page: %d breaks, want 13", breaks)
	}
	// "2" by the hook switch, once the page is done with the first number.
	b.WaitFor(ctx, "the first dialling over", `!document.querySelector("#sim-dial").disabled`)
	b.Eval(`document.querySelector("#sim-dial-digits").value = "2";
		document.querySelector("#sim-dial-hook").checked = true;
		document.querySelector("#sim-dial").click()`, nil)
	if breaks := count(board.OffHook, board.OnHook, 2); breaks != 2 {
		t.Errorf("dialled 2 by the hook from the page: %d breaks, want 2", breaks)
	}
	// The flash button is live once the dialling is over and the page has
	// seen the handset off hook again.
	b.WaitFor(ctx, "dialling over", `!document.querySelector("#sim-dial").disabled && !document.querySelector("#sim-flash").disabled`)
	b.Eval(`document.querySelector("#sim-flash").click()`, nil)
	if on, off := next("flash"), next("flash end"); on.Kind != board.OnHook || off.Kind != board.OffHook {
		t.Errorf("flash: %v, %v; want on-hook, off-hook", on.Kind, off.Kind)
	}
	// A refused request says why.
	b.WaitFor(ctx, "the flash over", `!document.querySelector("#sim-dial").disabled`)
	b.Eval(`document.querySelector("#sim-dial-digits").value = "12#"; document.querySelector("#sim-dial").click()`, nil)
	b.WaitFor(ctx, "the refusal", `document.querySelector("#sim-phone-msg").textContent.includes("no digit a rotary dial has")`)

	// The ringer: one ring of 25 Hz, measured from the pins.
	if err := brd.Set(board.Ringer, 0, board.Wave(25)); err != nil {
		t.Fatal(err)
	}
	b.WaitFor(ctx, "ringing shown", `document.querySelector("#sim-ringer").textContent.includes("ringing")`)
	// Ring on for a while: the frequency needs several rises, and the page
	// (live since the dashboard's server-sent events) can show the ring
	// within 26 ms, when it had one.
	time.Sleep(300 * time.Millisecond)
	if err := brd.Set(board.Ringer, 0, board.Off()); err != nil {
		t.Fatal(err)
	}
	// The frequency itself is checked on a fake clock (board) and in the
	// binary test; here the page shows what was measured.
	b.WaitFor(ctx, "the measured ring", `/last ring \d+ ms at \d+\.\d Hz, bells in antiphase \(1 rings\)/.test(document.querySelector("#sim-ringer").textContent)`)
}
