package provisioning

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/ua"
)

// newGuardPuller returns a Puller over a Manager whose configuration in
// force pulls from s, has an account and a non-default provisioning
// section (state dir, admin listener, rollback).
func newGuardPuller(t *testing.T, s *provServer) (*Puller, *Manager) {
	t.Helper()
	initial := Default()
	initial.Provisioning = pullConfig(s.URL + "/{mac}.yaml")
	initial.Provisioning.StateDir = t.TempDir()
	initial.Provisioning.Admin.Listen = "127.0.0.1:8443"
	initial.Provisioning.RollbackAfter = 0
	initial.Provisioning.DHCPLeaseFiles = []string{} // as read back from a file
	initial.SIP.Accounts = []ua.Account{{Registrar: "pbx.example", User: "door", Password: "door-secret"}}
	initial.SIP.AllowFrom = []string{"192.0.2.0/24"}
	if err := initial.Validate(); err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(ManagerOptions{Path: filepath.Join(t.TempDir(), "sipbell.yaml"), Initial: initial, Applier: newRecApplier(), Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPuller(PullerOptions{Config: initial.Provisioning, Identity: testID, Target: m, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	return p, m
}

const guardPath = "/b827eb12abcd.yaml"

const account = "sip:\n  accounts:\n    - registrar: pbx.example\n      user: door\n      password: door-secret\n"

// TestPullEmptyFileRefused: a 0-byte (or blank) file is a failed fetch,
// and a document of comments only is refused; neither changes anything.
func TestPullEmptyFileRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, outcome, msg string
		errIs                    error
	}{
		{"0 bytes", "", OutcomeFetchFailed, "empty file", ErrFetch},
		{"blank", "\n  \n", OutcomeFetchFailed, "empty file", ErrFetch},
		{"comments only", "# nothing yet\n", OutcomeInvalid, "no settings", ErrInvalid},
		{"document marker only", "---\n", OutcomeInvalid, "no settings", ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newProvServer(t)
			s.set(guardPath, tc.body)
			p, m := newGuardPuller(t, s)
			before := m.Current()
			err := p.Sync(context.Background())
			if !errors.Is(err, tc.errIs) {
				t.Fatalf("err %v, want %v", err, tc.errIs)
			}
			last := p.Last()
			if last.Outcome != tc.outcome || !strings.Contains(last.Message+problemsText(last.Errors), tc.msg) {
				t.Fatalf("result %+v, want %s with %q", last, tc.outcome, tc.msg)
			}
			if !reflect.DeepEqual(m.Current(), before) {
				t.Fatal("the configuration changed")
			}
		})
	}
}

func problemsText(ps []FieldProblem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Path + ": " + p.Message + "\n")
	}
	return b.String()
}

// TestPullKeepsProvisioningSection: a fetched document's provisioning
// section is read over the one in force, not over the defaults: without
// one the device keeps its URL, state dir and admin listener; a key it
// writes wins, url: "" included.
func TestPullKeepsProvisioningSection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newProvServer(t)
	p, m := newGuardPuller(t, s)
	before := m.Current().Provisioning

	s.set(guardPath, account+"  user: pulled\n")
	if err := p.Sync(ctx); err != nil || m.Current().SIP.User != "pulled" {
		t.Fatalf("no provisioning section: %v %+v", err, p.Last())
	}
	if got := m.Current().Provisioning; !reflect.DeepEqual(got, before) {
		t.Fatalf("provisioning section changed by a document without one:\n got %+v\nwant %+v", got, before)
	}

	s.set(guardPath, account+"provisioning:\n  interval: 2h\n  admin:\n    tls: false\n")
	if err := p.Sync(ctx); err != nil {
		t.Fatalf("partial provisioning section: %v %+v", err, p.Last())
	}
	want := before
	want.Interval, want.Admin.TLS = 2*time.Hour, false
	if got := m.Current().Provisioning; !reflect.DeepEqual(got, want) {
		t.Fatalf("partial section:\n got %+v\nwant %+v", got, want)
	}

	s.set(guardPath, account+"provisioning:\n  url: \"\"\n")
	if err := p.Sync(ctx); err != nil || m.Current().Provisioning.URL != "" {
		t.Fatalf("explicit url: \"\" not taken: %v %+v", err, p.Last())
	}
}

// TestPullRefusesLosingEveryAccount: a document that would end every
// registration is refused unless it writes accounts: [].
func TestPullRefusesLosingEveryAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newProvServer(t)
	p, m := newGuardPuller(t, s)

	s.set(guardPath, "sip:\n  user: noaccount\n")
	err := p.Sync(ctx)
	if !errors.Is(err, ErrInvalid) || p.Last().Outcome != OutcomeInvalid {
		t.Fatalf("document without accounts: %v %+v", err, p.Last())
	}
	if es := p.Last().Errors; len(es) != 1 || es[0].Path != "sip.accounts" || !strings.Contains(es[0].Message, "accounts: []") {
		t.Fatalf("errors %+v", es)
	}
	if len(m.Current().SIP.Accounts) != 1 || m.Current().SIP.User == "noaccount" {
		t.Fatal("the refused document was applied")
	}
	if m.Last().Outcome != OutcomeInvalid {
		t.Fatalf("the refusal is not the last change: %+v", m.Last())
	}

	s.set(guardPath, "sip:\n  user: noaccount\n  accounts: []\n")
	if err := p.Sync(ctx); err != nil || len(m.Current().SIP.Accounts) != 0 {
		t.Fatalf("explicit accounts: []: %v %+v", err, p.Last())
	}
}

// TestCheckWayBack: removing the URL or the admin listener is refused
// unless the fetched document writes the key.
func TestCheckWayBack(t *testing.T) {
	t.Parallel()
	cur := Default()
	cur.Provisioning.URL = "https://prov.example/{mac}.yaml"
	next := cur
	next.Provisioning.URL, next.Provisioning.Admin.Listen = "", ""
	err := checkWayBack(cur, next, map[string]any{"sip": map[string]any{}})
	if !errors.Is(err, ErrInvalid) || len(Problems(err)) != 2 {
		t.Fatalf("implicit removal: %v", err)
	}
	explicit := map[string]any{"provisioning": map[string]any{"url": "", "admin": map[string]any{"listen": ""}}}
	if err := checkWayBack(cur, next, explicit); err != nil {
		t.Fatalf("explicit removal refused: %v", err)
	}
}
