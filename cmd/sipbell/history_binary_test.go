package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/history"
	"github.com/sipbell/sipbell/internal/interop"
)

// historyRig calls the admin API of one run of the binary.
type historyRig struct {
	url    string
	client *http.Client
}

func (h historyRig) call(t *testing.T, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, h.url+path, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", liveDoorPassword)
	req.Header.Set("Origin", h.url)
	res, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// awaitHistory polls GET /api/history until ok accepts its entries (the
// entries are awaited, not timed: ctx bounds the wait).
func (h historyRig) awaitHistory(ctx context.Context, t *testing.T, what string, ok func([]history.Entry) bool) []history.Entry {
	t.Helper()
	for {
		code, body := h.call(t, "GET", "/api/history")
		var v struct{ Entries []history.Entry }
		if code == http.StatusOK && json.Unmarshal([]byte(body), &v) == nil && ok(v.Entries) {
			return v.Entries
		}
		select {
		case <-ctx.Done():
			t.Fatalf("history never showed %s: %d %s", what, code, body)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func hasEntry(es []history.Entry, kind, who, how, detail string) bool {
	for _, e := range es {
		if e.Kind == kind && strings.Contains(e.Who, who) && e.How == how && strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}

// startHistoryDoor runs the binary with cfg and returns its admin API;
// its log is drained so it never blocks.
func startHistoryDoor(t *testing.T, cfg string) (*proc, historyRig) {
	t.Helper()
	p := startFile(t, nil, cfg)
	url := strings.TrimSuffix(p.await(t, "admin web UI")["url"].(string), "/")
	go func() {
		for range p.lines {
		}
	}()
	return p, historyRig{url: url, client: &http.Client{Timeout: 15 * time.Second}}
}

// TestHistoryOnTheBinary: a call from baresip answered by the door, the
// door opened from the admin API, all in GET /api/history; the process is
// killed (SIGKILL) and started again with a wrong SIP password: the
// history is still there, the new start is in it, and so is the failed
// registration with Kamailio's reason; CSV export with a kind filter.
func TestHistoryOnTheBinary(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	bob := interop.StartBaresip(t, interop.BaresipOptions{User: "bob", Registrar: k.UDP})
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "sipbell.yaml")
	prov := fmt.Sprintf(`provisioning:
  state_dir: %s
  admin:
    listen: 127.0.0.1:0
    tls: false
    password: %q
`, filepath.Join(dir, "state"), liveDoorPassword)
	if err := os.WriteFile(cfgPath, []byte(liveDoorFile(k, interop.Password, "bob")+prov), 0o600); err != nil {
		t.Fatal(err)
	}
	p, h := startHistoryDoor(t, cfgPath)
	if _, err := k.WaitContacts(ctx, "door", 1); err != nil {
		t.Fatalf("sipbell never registered: %v", err)
	}
	if _, err := bob.Command(ctx, "dial", fmt.Sprintf("sip:door@127.0.0.1:%d", k.Port)); err != nil {
		t.Fatal(err)
	}
	if err := bob.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("bob's call not answered: %v", err)
	}
	h.awaitHistory(ctx, t, "the answered call", func(es []history.Entry) bool { return hasEntry(es, history.KindAnswered, "bob", "", "") })
	if code, body := h.call(t, "POST", "/api/actions/open-door"); code != http.StatusOK {
		t.Fatalf("open-door: %d %s", code, body)
	}
	if _, err := bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	before := h.awaitHistory(ctx, t, "ring, answer, door opening from the web and the call's end", func(es []history.Entry) bool {
		return hasEntry(es, history.KindStart, "", "", "version") && hasEntry(es, history.KindRing, "bob", "", "incoming") &&
			hasEntry(es, history.KindDoorOpened, adminOpener, "web", "") && hasEntry(es, history.KindCallEnded, "bob", "", "") &&
			hasEntry(es, history.KindRegistration, "", "", "registered")
	})

	// Power cut: SIGKILL, then a start with a wrong password.
	_ = p.cmd.Process.Kill()
	<-p.done
	if err := os.WriteFile(cfgPath, []byte(liveDoorFile(k, "wrong-password", "bob")+prov), 0o600); err != nil {
		t.Fatal(err)
	}
	_, h = startHistoryDoor(t, cfgPath)
	after := h.awaitHistory(ctx, t, "the kept history, a second start and the failed registration", func(es []history.Entry) bool {
		starts := 0
		for _, e := range es {
			if e.Kind == history.KindStart {
				starts++
			}
		}
		return starts == 2 && hasEntry(es, history.KindDoorOpened, adminOpener, "web", "") &&
			hasEntry(es, history.KindRegistration, "", "", "failed")
	})
	if len(after) < len(before)+2 || after[len(before)-1] != before[len(before)-1] {
		t.Fatalf("history not kept across SIGKILL:\nbefore %v\nafter %v", before, after)
	}
	code, csv := h.call(t, "GET", "/api/history?format=csv&kind=door-opened,registration")
	if code != http.StatusOK || !strings.HasPrefix(csv, "seq,time,kind,who,how,detail\n") ||
		!strings.Contains(csv, ",door-opened,admin web page,web,") || strings.Contains(csv, ",ring,") {
		t.Fatalf("CSV export: %d\n%s", code, csv)
	}
	for _, e := range after {
		if e.Kind == history.KindRegistration {
			t.Logf("registration entry: %s %s", e.Who, e.Detail)
		}
	}
	if code, _ := (historyRig{url: h.url, client: h.client}).noAuth(t); code != http.StatusUnauthorized {
		t.Fatalf("history without login: %d, want 401", code)
	}
}

func (h historyRig) noAuth(t *testing.T) (int, string) {
	t.Helper()
	res, err := h.client.Get(h.url + "/api/history")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
