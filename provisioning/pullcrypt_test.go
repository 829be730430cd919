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

// ageTool returns the path of the real age CLI; in CI its absence fails
// the test.
func ageTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing (Debian package age)", name)
		}
		t.Skipf("%s missing (apt-get install age)", name)
	}
	return p
}

// ageEncrypt encrypts body to recipient with the real age CLI.
func ageEncrypt(t *testing.T, recipient, body string, armor bool) string {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "f.yaml"), filepath.Join(dir, "f.age")
	if err := os.WriteFile(in, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-r", recipient, "-o", out}
	if armor {
		args = append(args, "-a")
	}
	if b, err := exec.Command(ageTool(t, "age"), append(args, in)...).CombinedOutput(); err != nil {
		t.Fatalf("age -r: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// otherRecipient makes an unrelated key with age-keygen.
func otherRecipient(t *testing.T) string {
	t.Helper()
	key := filepath.Join(t.TempDir(), "other.key")
	if b, err := exec.Command(ageTool(t, "age-keygen"), "-o", key).CombinedOutput(); err != nil {
		t.Fatalf("age-keygen: %v\n%s", err, b)
	}
	b, err := exec.Command(ageTool(t, "age-keygen"), "-y", key).Output()
	if err != nil {
		t.Fatalf("age-keygen -y: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// TestAgeIdentityFile: the identity is made once, mode 0600, the same
// after a reload, and the age CLI decrypts with the file it wrote.
func TestAgeIdentityFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state", AgeKeyFile)
	stale := filepath.Join(filepath.Dir(path), "."+AgeKeyFile+".tmp123")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("AGE-SECRET-KEY-HALF"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, made, err := LoadOrCreateAgeIdentity(path)
	if _, serr := os.Stat(stale); serr == nil {
		t.Fatal("the temporary key file of an interrupted first start is left behind")
	}
	if err != nil || !made {
		t.Fatalf("first start: made %v, %v", made, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("identity file mode %v, %v; want 0600", st.Mode(), err)
	}
	b, made, err := LoadOrCreateAgeIdentity(path)
	if err != nil || made || b.Recipient() != a.Recipient() || !strings.HasPrefix(a.Recipient(), "age1") {
		t.Fatalf("restart: %q made %v %v, first %q", b.Recipient(), made, err, a.Recipient())
	}
	if strings.Contains(a.String(), "AGE-SECRET-KEY") {
		t.Fatal("String shows the secret key")
	}
	enc := filepath.Join(t.TempDir(), "x.age")
	if err := os.WriteFile(enc, []byte(ageEncrypt(t, a.Recipient(), "hello\n", false)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ageTool(t, "age"), "-d", "-i", path, enc).Output()
	if err != nil || string(out) != "hello\n" {
		t.Fatalf("age -d -i %s: %q %v", path, out, err)
	}
}

// TestPullEncryptedFiles serves files encrypted with the real age CLI:
// files encrypted to the device are applied, others refused with the
// reason and the running configuration kept; require_encryption refuses
// plain files.
func TestPullEncryptedFiles(t *testing.T) {
	t.Parallel()
	id, _, err := LoadOrCreateAgeIdentity(filepath.Join(t.TempDir(), AgeKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	const body = "sip:\n  user: secret\n"
	for _, tc := range []struct {
		name    string
		serve   func() string
		require bool
		user    string // running user afterwards ("door": kept)
		want    string
	}{
		{"binary, to the device", func() string { return ageEncrypt(t, id.Recipient(), body, false) },
			false, "secret", "encrypted to the device"},
		{"armored, to the device", func() string { return ageEncrypt(t, id.Recipient(), body, true) },
			true, "secret", "encrypted to the device"},
		{"to another recipient", func() string { return ageEncrypt(t, otherRecipient(t), body, false) },
			false, "door", "encrypted to another recipient, not this device's " + id.Recipient()},
		{"plain, not required", func() string { return body }, false, "secret", "pull"},
		{"plain, encryption required", func() string { return body }, true, "door", "is not encrypted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newProvServer(t)
			s.set("/b827eb12abcd.yaml", tc.serve())
			c := pullConfig(s.URL + "/{mac}.yaml")
			c.RequireEncryption = tc.require
			m, _, _ := newTestManager(t, ManagerOptions{})
			p, err := NewPuller(PullerOptions{Config: c, Identity: testID, Target: m, Log: quietLog(), AgeIdentity: id})
			if err != nil {
				t.Fatal(err)
			}
			err = p.Sync(context.Background())
			last := p.Last()
			if got := m.Current().SIP.User; got != tc.user {
				t.Fatalf("running user %q, want %q (err %v, result %+v)", got, tc.user, err, last)
			}
			if !strings.Contains(last.Message+last.Source, tc.want) {
				t.Fatalf("result %+v, want %q in it", last, tc.want)
			}
			if tc.user == "door" && (!errors.Is(err, ErrEncryption) || last.Outcome != OutcomeInvalid) {
				t.Fatalf("refusal: err %v, outcome %s", err, last.Outcome)
			}
			if strings.Contains(last.Message+last.Source, "AGE-SECRET-KEY") {
				t.Fatal("secret key in the result")
			}
		})
	}
}

// TestPullSignedAndEncrypted: the minisign signature covers the file as
// served, the encrypted one; a signature of the plaintext is refused.
func TestPullSignedAndEncrypted(t *testing.T) {
	t.Parallel()
	id, _, err := LoadOrCreateAgeIdentity(filepath.Join(t.TempDir(), AgeKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	key := newMinisignPair(t, "k")
	const body = "sip:\n  user: sealed\n"
	enc := ageEncrypt(t, id.Recipient(), body, true)
	for _, tc := range []struct {
		name, sig, user, want string
	}{
		{"signature of the encrypted file", key.sign(t, enc), "sealed", "signed by key " + key.id + ") (encrypted to the device"},
		{"signature of the plaintext", key.sign(t, body), "door", "does not match the file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newProvServer(t)
			s.set("/b827eb12abcd.yaml", enc)
			s.set("/b827eb12abcd.yaml.minisig", tc.sig)
			c := pullConfig(s.URL + "/{mac}.yaml")
			c.SigningKeys, c.RequireEncryption = []string{key.pubLine}, true
			m, _, _ := newTestManager(t, ManagerOptions{})
			p, err := NewPuller(PullerOptions{Config: c, Identity: testID, Target: m, Log: quietLog(), AgeIdentity: id})
			if err != nil {
				t.Fatal(err)
			}
			err = p.Sync(context.Background())
			last := p.Last()
			if got := m.Current().SIP.User; got != tc.user || !strings.Contains(last.Message+last.Source, tc.want) {
				t.Fatalf("running user %q (want %q), result %+v (want %q), err %v", got, tc.user, last, tc.want, err)
			}
		})
	}
}
