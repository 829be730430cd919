package provisioning

import (
	"context"
	"path/filepath"
	"testing"
)

// wirePuller hands every applied configuration's provisioning section to
// the Puller, as cmd/sipbell does.
func wirePuller(m *Manager, p *Puller) {
	m.OnChange(func(f File) { _ = p.SetConfig(f.Provisioning) })
}

// TestPullLocalEditKeptUntilServerChanges: with pull provisioning on, an
// admin change stays in force (and its "applied" result stays the last
// change) until the server publishes a new file, across a restart too;
// then the server's new file wins.
func TestPullLocalEditKeptUntilServerChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newProvServer(t)
	const path = "/b827eb12abcd.yaml"
	c := pullConfig(s.URL + "/{mac}.yaml")
	prov := "provisioning:\n  url: " + c.URL + "\n  dhcp_lease_files: []\n  timeout: 5s\n"
	s.set(path, prov+"sip:\n  user: server\n  display_name: From server\n")
	state := filepath.Join(t.TempDir(), PullStateFile)
	m, _, _ := newTestManager(t, ManagerOptions{})
	p, err := NewPuller(PullerOptions{Config: c, Identity: testID, Target: m, Log: quietLog(), StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	wirePuller(m, p)
	if err := p.Sync(ctx); err != nil || m.Current().SIP.User != "server" {
		t.Fatalf("first fetch: %v %+v", err, p.Last())
	}

	// A local edit, as the web page makes it: the whole file with one field changed.
	local := m.Current()
	local.SIP.DisplayName = "Edited here"
	if r, err := m.Replace(ctx, "admin 127.0.0.1", local); err != nil || r.Outcome != OutcomeApplied {
		t.Fatalf("local edit: %v %+v", err, r)
	}
	if len(p.cfgc) != 0 {
		t.Error("an unchanged provisioning section woke the puller")
	}
	// The fetch the old code made at once: the unchanged server file is not applied again.
	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := m.Current().SIP.DisplayName; got != "Edited here" || p.Last().Outcome != OutcomeNotModified {
		t.Fatalf("local edit undone by an unchanged server file: display_name %q, fetch %+v", got, p.Last())
	}
	if last := m.Last(); last.Outcome != OutcomeApplied || last.Source != "admin 127.0.0.1" {
		t.Fatalf("last change overwritten: %+v", last)
	}

	// A changed provisioning section (interval) makes the puller fetch at
	// once, but the server's unchanged file still does not win.
	local = m.Current()
	local.Provisioning.Interval *= 2
	if r, err := m.Replace(ctx, "admin 127.0.0.1", local); err != nil || r.Outcome != OutcomeApplied {
		t.Fatalf("interval edit: %v %+v", err, r)
	}
	if len(p.cfgc) != 1 {
		t.Error("a changed interval did not wake the puller")
	}
	if err := p.Sync(ctx); err != nil || m.Current().SIP.DisplayName != "Edited here" || p.Last().Outcome != OutcomeNotModified {
		t.Fatalf("after a section change: %v, display_name %q, fetch %+v", err, m.Current().SIP.DisplayName, p.Last())
	}

	// A restart: a new Puller over the same state file asks conditionally
	// and keeps the local edit.
	p2, err := NewPuller(PullerOptions{Config: m.Current().Provisioning, Identity: testID, Target: m, Log: quietLog(), StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.Sync(ctx); err != nil || m.Current().SIP.DisplayName != "Edited here" || p2.Last().Outcome != OutcomeNotModified {
		t.Fatalf("after a restart: %v, display_name %q, fetch %+v", err, m.Current().SIP.DisplayName, p2.Last())
	}
	if s.lastRequest().Header.Get("If-None-Match") == "" {
		t.Error("the fetch after a restart was not conditional")
	}

	// The server publishes a new file: it wins.
	s.set(path, prov+"sip:\n  user: server\n  display_name: New from server\n")
	if err := p2.Sync(ctx); err != nil || m.Current().SIP.DisplayName != "New from server" {
		t.Fatalf("new server file: %v, display_name %q, %+v", err, m.Current().SIP.DisplayName, p2.Last())
	}
}

// TestPullCommonChangeNotLostOnDeviceFailure: a changed common file whose
// device file could not be fetched is applied on the next fetch.
func TestPullCommonChangeNotLostOnDeviceFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newProvServer(t)
	s.set("/common.yaml", "sip:\n  display_name: one\n")
	s.set("/b827eb12abcd.yaml", "sip:\n  user: flat\n")
	c := pullConfig(s.URL + "/{mac}.yaml")
	c.CommonURL = s.URL + "/common.yaml"
	p, m, _ := newTestPuller(t, c)
	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	s.set("/common.yaml", "sip:\n  display_name: two\n")
	s.mu.Lock()
	delete(s.files, "/b827eb12abcd.yaml")
	s.mu.Unlock()
	if err := p.Sync(ctx); err == nil {
		t.Fatal("missing device file: no error")
	}
	s.set("/b827eb12abcd.yaml", "sip:\n  user: flat\n")
	if err := p.Sync(ctx); err != nil || m.Current().SIP.DisplayName != "two" {
		t.Fatalf("common change lost: %v, display_name %q, %+v", err, m.Current().SIP.DisplayName, p.Last())
	}
}
