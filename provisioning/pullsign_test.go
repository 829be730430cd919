package provisioning

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// minisignTool returns the path of the real minisign CLI; in CI its
// absence fails the test.
func minisignTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("minisign")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("minisign missing (Debian package minisign)")
		}
		t.Skip("minisign missing (apt-get install minisign)")
	}
	return p
}

// minisignPair is a key pair made by the minisign CLI.
type minisignPair struct {
	tool, dir, pub, sec string
	id                  string // as minisign prints it
	pubLine             string // RW...
}

func newMinisignPair(t *testing.T, name string) minisignPair {
	t.Helper()
	k := minisignPair{tool: minisignTool(t), dir: t.TempDir()}
	k.pub, k.sec = filepath.Join(k.dir, name+".pub"), filepath.Join(k.dir, name+".key")
	if out, err := exec.Command(k.tool, "-G", "-W", "-p", k.pub, "-s", k.sec).CombinedOutput(); err != nil {
		t.Fatalf("minisign -G: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(k.pub)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	k.id = lines[0][strings.LastIndex(lines[0], " ")+1:]
	k.pubLine = lines[1]
	return k
}

// sign returns the .minisig minisign writes for body.
func (k minisignPair) sign(t *testing.T, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "file.yaml")
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(k.tool, "-S", "-s", k.sec, "-m", f, "-t", "door config").CombinedOutput(); err != nil {
		t.Fatalf("minisign -S: %v\n%s", err, out)
	}
	sig, err := os.ReadFile(f + ".minisig")
	if err != nil {
		t.Fatal(err)
	}
	return string(sig)
}

// TestPullSignedFiles serves files signed with the real minisign CLI:
// only files with a valid signature by a pinned key are applied; any
// other is refused with the reason and the running configuration kept.
func TestPullSignedFiles(t *testing.T) {
	t.Parallel()
	oldKey, newKey := newMinisignPair(t, "old"), newMinisignPair(t, "new")
	const dev, common = "/b827eb12abcd.yaml", "/common.yaml"
	const body = "sip:\n  user: signed\n"
	const commonBody = "sip:\n  display_name: Building A\n"
	for _, tc := range []struct {
		name   string
		pinned []minisignPair
		serve  func(s *provServer)
		user   string // running user afterwards ("door": kept)
		want   string // in the status message or source
	}{
		{"signed", []minisignPair{oldKey}, func(s *provServer) {
			s.set(dev+".minisig", oldKey.sign(t, body))
		}, "signed", "signed by key " + oldKey.id + ", key " + oldKey.id},
		{"unsigned", []minisignPair{oldKey}, func(s *provServer) {}, "door", "is not signed"},
		{"wrongly signed (other content)", []minisignPair{oldKey}, func(s *provServer) {
			s.set(dev+".minisig", oldKey.sign(t, "sip:\n  user: other\n"))
		}, "door", "does not match the file"},
		{"signed by an unpinned key", []minisignPair{oldKey}, func(s *provServer) {
			s.set(dev+".minisig", newKey.sign(t, body))
		}, "door", "key " + newKey.id + ", which is not pinned"},
		{"garbage signature", []minisignPair{oldKey}, func(s *provServer) {
			s.set(dev+".minisig", "<html>not found</html>\n")
		}, "door", "not a minisign signature"},
		{"re-signed with the rotated key, both pinned", []minisignPair{oldKey, newKey}, func(s *provServer) {
			s.set(dev+".minisig", newKey.sign(t, body))
		}, "signed", "signed by key " + oldKey.id + ", key " + newKey.id},
		{"common file unsigned", []minisignPair{oldKey}, func(s *provServer) {
			s.set(dev+".minisig", oldKey.sign(t, body))
			s.mu.Lock()
			delete(s.files, common+".minisig")
			s.mu.Unlock()
		}, "door", common + " is not signed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newProvServer(t)
			s.set(dev, body)
			s.set(common, commonBody)
			s.set(common+".minisig", oldKey.sign(t, commonBody))
			tc.serve(s)
			c := pullConfig(s.URL + "/{mac}.yaml")
			c.CommonURL = s.URL + common
			for _, k := range tc.pinned {
				c.SigningKeys = append(c.SigningKeys, k.pubLine)
			}
			p, m, _ := newTestPuller(t, c)
			err := p.Sync(context.Background())
			last := p.Last()
			if got := m.Current().SIP.User; got != tc.user {
				t.Fatalf("running user %q, want %q (err %v, result %+v)", got, tc.user, err, last)
			}
			if !strings.Contains(last.Message+last.Source, tc.want) {
				t.Fatalf("result %+v, want %q in it", last, tc.want)
			}
			if tc.user == "door" && (!errors.Is(err, ErrSignature) || last.Outcome != OutcomeInvalid) {
				t.Fatalf("refusal: err %v, outcome %s", err, last.Outcome)
			}
		})
	}
}

// TestMinisignKeyIDMatchesCLI: the key ID in status lines is the one
// minisign prints, so an admin can tell which key signed.
func TestMinisignKeyIDMatchesCLI(t *testing.T) {
	t.Parallel()
	k := newMinisignPair(t, "id")
	raw, err := os.ReadFile(k.pub)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{k.pubLine, string(raw)} {
		got, err := parseMinisignKey(in)
		if err != nil || got.ID() != k.id {
			t.Fatalf("parse %q: id %s, %v; minisign says %s", in, got.ID(), err, k.id)
		}
	}
	// minisign prints IDs without leading zeros (seen: "F89F2C72BA0C1A1").
	if got := keyIDString([8]byte{0xa1, 0xc1, 0xa0, 0x2b, 0xc7, 0xf2, 0x89, 0x0f}); got != "F89F2C72BA0C1A1" {
		t.Fatalf("key ID %s, minisign prints F89F2C72BA0C1A1", got)
	}
	c := DefaultConfig()
	c.SigningKeys = []string{"RWQnot-a-key"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "signing_keys[0]") {
		t.Fatalf("bad key accepted: %v", err)
	}
}
