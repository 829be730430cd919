package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/internal/interop"
)

// inBinaryNetns is the start of a whole-binary test that runs in a
// network namespace of its own: outside it (env unset) it builds the
// binary, runs the test again inside a namespace (rerunInNetns, at most 3
// minutes) in parallel with others, and returns false: the caller returns.
// Inside, it returns true and the test goes on.
func inBinaryNetns(t *testing.T, env string, resolvConf ...string) bool {
	t.Helper()
	if os.Getenv(env) != "" {
		return true
	}
	t.Parallel()
	binary(t) // build outside the namespace
	rerunInNetns(t, env, t.Name(), 3*time.Minute, resolvConf...)
	return false
}

// rerunInNetns runs the test named test again, inside a network namespace
// made for it with only lo up, with the environment variable env set to
// the namespace's name (the test looks at env to know it runs inside). The
// calling test fails unless the inner run passes. Where no namespace can
// be made it fails in CI and skips by hand. A resolvConf, when given, is
// the namespace's /etc/resolv.conf (ip netns exec bind-mounts it).
func rerunInNetns(t *testing.T, env, test string, timeout time.Duration, resolvConf ...string) {
	t.Helper()
	ipCmd := interop.Need(t, "ip", "iproute2")
	ns := fmt.Sprintf("sipbell-%s-%d-%d", strings.ToLower(strings.TrimPrefix(test, "Test")), os.Getpid(), time.Now().UnixNano()%1e6)
	if out, err := exec.Command(ipCmd, "netns", "add", ns).CombinedOutput(); err != nil {
		msg := fmt.Sprintf("cannot create a network namespace (ip netns add needs root or CAP_SYS_ADMIN): %v: %s", err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { exec.Command(ipCmd, "netns", "del", ns).Run() })
	if len(resolvConf) > 0 {
		dir := "/etc/netns/" + ns
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.WriteFile(dir+"/resolv.conf", []byte(resolvConf[0]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command(ipCmd, "netns", "exec", ns, ipCmd, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up in %s: %v: %s", ns, err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ipCmd, "netns", "exec", ns, os.Args[0],
		"-test.run", "^"+test+"$", "-test.v", "-test.count", "1")
	cmd.Env = append(os.Environ(), env+"="+ns, "VOICE_SIPBELL_BIN="+binary(t))
	out, err := cmd.CombinedOutput()
	t.Logf("inside network namespace %s:\n%s", ns, out)
	if err != nil || !strings.Contains(string(out), "--- PASS: "+test) {
		t.Fatalf("%s failed inside the namespace: %v", test, err)
	}
}
