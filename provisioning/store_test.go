package provisioning

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
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
		fmt.Fprintln(out, "wrote", i)
		out.Flush()
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
		// Kill once the child is writing, after a random delay, so the
		// kill lands at different points of the write/fsync/rename
		// sequence (the delay is the point of the test, not a wait).
		sc := bufio.NewScanner(stdout)
		for sc.Scan() && !strings.HasPrefix(sc.Text(), "wrote") {
		}
		time.Sleep(time.Duration(rand.IntN(4000)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if strings.Contains(stderr.String(), "persist:") {
			t.Fatalf("child failed: %s", stderr.String())
		}
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
