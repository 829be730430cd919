package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// liveDoor is the real sipbell binary on the simulated board, registered
// as "door" with a real Kamailio, its admin API on, and bob (a real
// baresip) registered there too: what a person checks after saving a
// configuration.
type liveDoor struct {
	k        *interop.Kamailio
	bob      *interop.Baresip
	p        *doorProc
	url      string
	password string
	client   *http.Client
	rings    int // calls bob has seen so far
	answered int // calls from bob that were answered
}

const liveDoorPassword = "test-Pass-123"

// liveDoorFile is the door's configuration less its provisioning section.
func liveDoorFile(k *interop.Kamailio, password, target string) string {
	return fmt.Sprintf(`sip:
  listen: 127.0.0.1:0
  user: door
  accounts:
    - registrar: %s
      user: door
      password: %s
      expires: 60s
board:
  profile: sim
device:
  buttons:
    - targets: [%s]
      ring_timeout: 20s
`, k.UDP, password, target)
}

// startLiveDoor starts it all; provExtra adds lines (indented by two
// spaces) to the provisioning section.
func startLiveDoor(ctx context.Context, t *testing.T, provExtra string) *liveDoor {
	t.Helper()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	return startLiveDoorWith(ctx, t, k, liveDoorFile(k, interop.Password, "nobody"), provExtra)
}

func startLiveDoorWith(ctx context.Context, t *testing.T, k *interop.Kamailio, file, provExtra string) *liveDoor {
	t.Helper()
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", Registrar: k.UDP})
	state := filepath.Join(t.TempDir(), "state")
	p := startDoor(t, file+fmt.Sprintf(`provisioning:
  state_dir: %s
  rollback_after: 12s
  admin:
    listen: 127.0.0.1:0
    tls: false
    password: %q
%s`, state, liveDoorPassword, provExtra))
	d := &liveDoor{k: k, bob: bob, p: p, password: liveDoorPassword, client: &http.Client{Timeout: 15 * time.Second}}
	d.url = strings.TrimSuffix(p.awaitLog(ctx, t, "admin web UI", nil)["url"].(string), "/")
	if _, err := k.WaitContacts(ctx, "door", 1); err != nil {
		t.Fatalf("sipbell never registered: %v", err)
	}
	return d
}

// api calls the admin API as the admin would from the page.
func (d *liveDoor) api(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, d.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", d.password)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", d.url)
	res, err := d.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// set changes one value (a dotted path with [i] indexes) through PATCH
// /api/config, sending the whole section it is in, and returns the
// change's result.
func (d *liveDoor) set(t *testing.T, path string, value any) map[string]any {
	t.Helper()
	code, body := d.api(t, "GET", "/api/config", "")
	if code != http.StatusOK {
		t.Fatalf("GET /api/config: %d %s", code, body)
	}
	var cfg map[string]any
	if err := json.Unmarshal(body, &cfg); err != nil {
		t.Fatal(err)
	}
	parts := regexp.MustCompile(`[^.\[\]]+`).FindAllString(path, -1)
	var node any = cfg
	for i, p := range parts {
		last := i == len(parts)-1
		switch n := node.(type) {
		case map[string]any:
			if last {
				n[p] = value
			} else if n[p] == nil {
				n[p] = map[string]any{}
			}
			node = n[p]
		case []any:
			idx, _ := strconv.Atoi(p)
			if last {
				n[idx] = value
			}
			node = n[idx]
		default:
			t.Fatalf("config path %s: %T at %q", path, node, p)
		}
	}
	patch, _ := json.Marshal(map[string]any{parts[0]: cfg[parts[0]]})
	code, body = d.api(t, "PATCH", "/api/config", string(patch))
	var res struct {
		Result map[string]any `json:"result"`
	}
	if err := json.Unmarshal(body, &res); err != nil || code != http.StatusOK || res.Result["outcome"] != "applied" {
		t.Fatalf("PATCH %s=%v: %d %s", path, value, code, body)
	}
	return res.Result
}

// status returns /api/status's "device" part.
func (d *liveDoor) status(t *testing.T) map[string]any {
	t.Helper()
	code, body := d.api(t, "GET", "/api/status", "")
	var st struct {
		Device map[string]any `json:"device"`
	}
	if err := json.Unmarshal(body, &st); err != nil || code != http.StatusOK {
		t.Fatalf("status: %d %s", code, body)
	}
	return st.Device
}

// lastChange is the outcome of the last configuration change.
func (d *liveDoor) lastChange(t *testing.T) string {
	t.Helper()
	code, body := d.api(t, "GET", "/api/status", "")
	var st struct {
		Provisioning struct {
			LastChange struct {
				Outcome string `json:"outcome"`
			} `json:"last_change"`
		} `json:"provisioning"`
	}
	if err := json.Unmarshal(body, &st); err != nil || code != http.StatusOK {
		t.Fatalf("status: %d %s", code, body)
	}
	return st.Provisioning.LastChange.Outcome
}

// sipAddr is where the device says it listens.
func (d *liveDoor) sipAddr(t *testing.T) string {
	t.Helper()
	sip, _ := d.status(t)["sip"].(map[string]any)
	addr, _ := sip["listen"].(string)
	if addr == "" {
		t.Fatalf("status has no SIP address: %v", d.status(t))
	}
	return addr
}

// awaitIdle waits until the door station says no call is going on.
func (d *liveDoor) awaitIdle(ctx context.Context, t *testing.T) {
	t.Helper()
	for {
		if door, _ := d.status(t)["door"].(map[string]any); door["call"] == "idle" {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the door station never went idle: %v", d.status(t))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// checkWorks is what a person checks after a change: SIP answers OPTIONS
// on the address the page shows, Kamailio holds the door's binding, a
// press calls bob, and a call from bob is answered.
func (d *liveDoor) checkWorks(ctx context.Context, t *testing.T, after string) {
	t.Helper()
	addr := d.sipAddr(t)
	if line, err := optionsStatus(t, addr); err != nil || !strings.HasPrefix(line, "SIP/2.0 200") {
		t.Fatalf("after %s: OPTIONS to %s: %q %v", after, addr, line, err)
	}
	if _, err := d.k.WaitContacts(ctx, "door", 1); err != nil {
		t.Fatalf("after %s: Kamailio lost the door's binding: %v", after, err)
	}
	d.awaitIdle(ctx, t)
	d.p.press(t, 1)
	d.rings++
	if err := d.bob.WaitEventN(ctx, "CALL_INCOMING", d.rings); err != nil {
		t.Fatalf("after %s: a press did not call bob: %v", after, err)
	}
	if _, err := d.bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	if err := d.bob.WaitEventN(ctx, "CALL_CLOSED", d.rings+d.answered); err != nil {
		t.Fatal(err)
	}
	d.awaitIdle(ctx, t)
	if _, err := d.bob.Command(ctx, "dial", fmt.Sprintf("sip:door@127.0.0.1:%d", d.k.Port)); err != nil {
		t.Fatal(err)
	}
	d.answered++
	if err := d.bob.WaitEventN(ctx, "CALL_ESTABLISHED", d.answered); err != nil {
		t.Fatalf("after %s: a call from bob was not answered: %v", after, err)
	}
	if _, err := d.bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	if err := d.bob.WaitEventN(ctx, "CALL_CLOSED", d.rings+d.answered); err != nil {
		t.Fatal(err)
	}
	t.Logf("after %s: OPTIONS 200 at %s, registered, a press calls bob, bob's call answered", after, addr)
}

// freeUDPPort returns a port free on 127.0.0.1 for UDP and TCP.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	for range 20 {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", c.LocalAddr().String())
		c.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// TestEveryKindOfChangeKeepsTheDeviceWorking is issue 12: each kind of
// change saved through the admin API of the running binary — a button
// target, presence, the provisioning section, the board, the SIP
// account, the listen address — is confirmed healthy, and the device
// still answers OPTIONS, stays registered, calls on a press and answers
// a call. A wrong password is rolled back and the device works again.
func TestEveryKindOfChangeKeepsTheDeviceWorking(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	d := startLiveDoor(ctx, t, "")
	first := d.sipAddr(t)
	confirmed := func(what string) {
		t.Helper()
		d.p.awaitLog(ctx, t, "configuration change confirmed: device healthy", nil)
		if out := d.lastChange(t); out != "applied" {
			t.Fatalf("after %s the last change is %q, want it applied and kept", what, out)
		}
		d.checkWorks(ctx, t, what)
		if got := d.sipAddr(t); what != "the listen address" && got != first {
			t.Fatalf("after %s SIP moved from %s to %s: softphones pointed at the device lose it", what, first, got)
		}
	}
	d.set(t, "device.buttons[0].targets", []string{"bob"})
	confirmed("a button target")
	d.set(t, "presence.expires", "3m0s")
	confirmed("presence")
	d.set(t, "provisioning.interval", "2h0m0s")
	confirmed("the provisioning section")
	d.set(t, "board.pins.call_buttons", []any{map[string]any{"pin": "GPIO17", "active": "low", "pull": "up", "debounce": "20ms"}})
	confirmed("the board")
	d.set(t, "sip.accounts[0].expires", "2m0s")
	confirmed("the SIP account")
	port := freeUDPPort(t)
	d.set(t, "sip.listen", fmt.Sprintf("127.0.0.1:%d", port))
	confirmed("the listen address")
	if got := d.sipAddr(t); got != fmt.Sprintf("127.0.0.1:%d", port) {
		t.Fatalf("listening on %s after moving to port %d", got, port)
	}

	// A wrong password: registration fails, the change is rolled back,
	// and the rollback is itself proved healthy.
	d.set(t, "sip.accounts[0].password", "wrong-password")
	d.p.awaitLog(ctx, t, "configuration", map[string]string{"outcome": "rolled-back"})
	d.p.awaitLog(ctx, t, "configuration change confirmed: device healthy", nil)
	d.checkWorks(ctx, t, "the rollback of a wrong password")

	// The page's buttons answer what really happened, and Restart
	// restarts in place (the page and the SIP port stay).
	if code, body := d.api(t, "POST", "/api/actions/hangup", "{}"); code != http.StatusConflict || !strings.Contains(string(body), "no call") {
		t.Fatalf("hang up with no call: %d %s", code, body)
	}
	before := d.sipAddr(t)
	if code, body := d.api(t, "POST", "/api/actions/restart", "{}"); code != http.StatusOK {
		t.Fatalf("restart: %d %s", code, body)
	}
	d.checkWorks(ctx, t, "a restart from the page")
	if got := d.sipAddr(t); got != before {
		t.Fatalf("restart moved SIP from %s to %s", before, got)
	}
	sip, _ := d.status(t)["sip"].(map[string]any)
	if uri, _ := sip["uri"].(string); uri != "sip:door@"+before {
		t.Fatalf("status shows SIP URI %q, want sip:door@%s", uri, before)
	}

	// A call from the page is the door station's call: the status agrees
	// with itself while bob's phone rings.
	if code, body := d.api(t, "POST", "/api/actions/call", `{"target":"bob"}`); code != http.StatusOK {
		t.Fatalf("call from the page: %d %s", code, body)
	}
	d.rings++
	if err := d.bob.WaitEventN(ctx, "CALL_INCOMING", d.rings); err != nil {
		t.Fatalf("the page's call did not reach bob: %v", err)
	}
	st := d.status(t)
	door, _ := st["door"].(map[string]any)
	calls, _ := st["calls"].([]any)
	if door["call"] != "calling" || len(calls) != 1 {
		t.Fatalf("while bob rings, the status says door.call=%v and calls=%v", door["call"], calls)
	}
	if _, err := d.bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	d.awaitIdle(ctx, t)
	d.p.onlyStructuredLogs(t)
}

// onlyStructuredLogs fails on any stderr line that is not one of our JSON
// log lines (a library printing on its own, a panic trace).
func (p *doorProc) onlyStructuredLogs(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range strings.Split(p.all.String(), "\n") {
		if l != "" && !strings.HasPrefix(l, "{") && !strings.HasPrefix(l, "out: ") {
			t.Errorf("a log line that is not ours: %q", l)
		}
	}
}
