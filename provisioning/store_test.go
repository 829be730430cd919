package provisioning

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

const persistChildEnv = "SIPBELL_PERSIST_CHILD_DIR"

// persistVersions are the two documents the child writes in turn: large
// enough that a write takes several syscalls, distinct lengths so a torn
// file cannot pass for either.
func persistVersions() [2][]byte {
	return [2][]byte{
		[]byte("sip:\n  user: old\n# " + strings.Repeat("a", 300<<10) + "\n"),
		[]byte("sip:\n  user: new\n# " + strings.Repeat("b", 500<<10) + "\n"),
	}
}

// TestPersistChild is the child process of TestPersistSurvivesKill9: it
// persists the two versions in turn forever, printing a line per write.
func TestPersistChild(t *testing.T) {
	dir := os.Getenv(persistChildEnv)
	if dir == "" {
		t.Skip("child process of TestPersistSurvivesKill9 only")
	}
	v := persistVersions()
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		if err := persist(filepath.Join(dir, "sipbell.yaml"), v[i%2]); err != nil {
			fmt.Fprintln(os.Stderr, "persist:", err)
			os.Exit(3)
		}
		if err := WriteFileAtomic(filepath.Join(dir, "sipbell.yaml"+PendingSuffix), []byte(strings.Repeat("p", 64<<10)), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "persist:", err)
			os.Exit(3)
		}
		fmt.Fprintln(out, "wrote", i)
		out.Flush()
	}
}

// killPersistChild starts TestPersistChild writing in dir, waits until it
// has written twice, lets it run for a random part of one write's time
// (so the kill lands at different points of the write/fsync/rename
// sequence; the delay is the point of the test, not a wait) and SIGKILLs
// it.
func killPersistChild(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPersistChild$", "-test.v")
	cmd.Env = append(os.Environ(), persistChildEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// One write takes d (it varies with the build: -race is slower); the
	// kill lands at a random point of the next one.
	sc := bufio.NewScanner(stdout)
	var start time.Time
	for n := 0; n < 2 && sc.Scan(); {
		if strings.HasPrefix(sc.Text(), "wrote") {
			if n++; n == 1 {
				start = time.Now()
			}
		}
	}
	d := time.Since(start)
	time.Sleep(time.Duration(rand.Int64N(int64(d) + 1)))
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if strings.Contains(stderr.String(), "persist:") {
		t.Fatalf("child failed: %s", stderr.String())
	}
}

// TestCleanTempAfterKill9: processes SIGKILLed while saving leave
// temporary files of the config, last-known-good and pending marker;
// CleanTemp at the next start removes them all, and nothing else.
func TestCleanTempAfterKill9(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "sipbell.yaml")
	others := []string{"notes.tmp1", ".other.yaml.tmp123", ".sipbell.yaml.tmpx", ".sipbell.yaml.lkg.tmp7.bak"}
	for _, o := range others {
		if err := os.WriteFile(filepath.Join(dir, o), []byte("keep"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	temps := func() []string {
		var out []string
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".sipbell.yaml") && strings.Contains(e.Name(), ".tmp") && !slices.Contains(others, e.Name()) {
				out = append(out, e.Name())
			}
		}
		return out
	}
	rounds := 0
	for ; len(temps()) == 0; rounds++ {
		if rounds == 300 {
			t.Fatal("300 kills and none landed in the middle of a write")
		}
		killPersistChild(t, dir)
	}
	left := temps()
	t.Logf("%d temporary files left after %d kills: %v", len(left), rounds, left)
	removed, err := CleanTemp(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != len(left) {
		t.Errorf("removed %v, left were %v", removed, left)
	}
	if got := temps(); len(got) != 0 {
		t.Fatalf("left after CleanTemp: %v", got)
	}
	for _, o := range others {
		if _, err := os.Stat(filepath.Join(dir, o)); err != nil {
			t.Errorf("CleanTemp removed a file it does not own: %v", err)
		}
	}
	for _, p := range []string{path, path + LKGSuffix} {
		if _, err := Load(p); err != nil {
			t.Fatalf("after cleaning: %v", err)
		}
	}
}

// TestPersistSurvivesKill9 SIGKILLs a process in the middle of writing
// the config over and over; the file read back is always one version,
// whole, and so is the last-known-good copy.
func TestPersistSurvivesKill9(t *testing.T) {
	t.Parallel()
	v := persistVersions()
	dir := t.TempDir()
	path := filepath.Join(dir, "sipbell.yaml")
	for _, d := range []string{"sip: {user: seed}\n", "sip: {user: seed2}\n"} {
		if err := persist(path, []byte(d)); err != nil { // so a last-known-good exists
			t.Fatal(err)
		}
	}
	seeds := [][]byte{[]byte("sip: {user: seed}\n"), []byte("sip: {user: seed2}\n")}
	for round := range 30 {
		killPersistChild(t, dir)
		for _, p := range []string{path, path + LKGSuffix} {
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if !bytes.Equal(got, v[0]) && !bytes.Equal(got, v[1]) && !bytes.Equal(got, seeds[0]) && !bytes.Equal(got, seeds[1]) {
				t.Fatalf("round %d: %s is torn (%d bytes)", round, p, len(got))
			}
			if _, err := Parse(got); err != nil {
				t.Fatalf("round %d: %s: %v", round, p, err)
			}
		}
	}
	// Temporary files of killed writes may remain; they are never read.
	left, _ := filepath.Glob(filepath.Join(dir, "*.tmp*"))
	t.Logf("%d temporary files left by killed writes", len(left))
}

func TestPersistKeepsLastKnownGood(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	for _, s := range []string{"one", "two", "two", "three"} {
		if err := persist(p, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	cur, _ := os.ReadFile(p)
	lkg, _ := os.ReadFile(p + LKGSuffix)
	if string(cur) != "three" || string(lkg) != "two" {
		t.Fatalf("current %q, lkg %q; want three, two", cur, lkg)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "x"), nil, 0o600); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("write into a missing dir: %v", err)
	}
}

// TestStateTempCleanedAtStart: the Puller and the admin server remove the
// temporary files an interrupted save left in the state dir.
func TestStateTempCleanedAtStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	names := []string{"." + PullStateFile + ".tmp123", "." + PasswordFile + ".tmp456", "." + SelfSignedKeyFile + ".tmp789"}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	m, _, _ := newTestManager(t, ManagerOptions{})
	if _, err := NewPuller(PullerOptions{Config: pullConfig(""), Identity: testID, Target: m, Log: quietLog(), StateFile: filepath.Join(dir, PullStateFile)}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewAdmin(AdminOptions{Manager: m, StateDir: dir, Config: AdminConfig{Password: testAdminPW}, Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
			t.Errorf("%s still there (%v)", n, err)
		}
	}
}
