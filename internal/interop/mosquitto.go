package interop

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// MosquittoOptions configure a test's broker.
type MosquittoOptions struct {
	// Users maps user names to passwords (the password file); anonymous
	// clients are refused on both listeners.
	Users map[string]string
	// ACL is the content of mosquitto's acl_file; empty: none (every
	// logged-in user may read and write every topic).
	ACL string
}

// Mosquitto is a running Mosquitto broker with a plain listener at Port
// and a TLS listener (certificate from CA) at TLSPort, both on 127.0.0.1.
type Mosquitto struct {
	Port, TLSPort int
	CA            *CA
	Log           *Log // the broker's log (log_type all)
	dir, conf     string
	started       int
	p             *proc
}

// StartMosquitto starts Mosquitto on two free loopback ports with a
// password file and waits until it runs. It is stopped in t.Cleanup.
func StartMosquitto(t testing.TB, opts MosquittoOptions) *Mosquitto {
	t.Helper()
	Need(t, "mosquitto", "mosquitto")
	pwBin := Need(t, "mosquitto_passwd", "mosquitto")
	m := &Mosquitto{Port: FreePort(t), TLSPort: FreePort(t), CA: NewCA(t, "mosquitto test CA"), Log: NewLog(), dir: t.TempDir()}
	cert, key := m.CA.Issue(t, "localhost")
	pw := filepath.Join(m.dir, "passwd")
	names := make([]string, 0, len(opts.Users))
	for u := range opts.Users {
		names = append(names, u)
	}
	sort.Strings(names)
	for i, u := range names {
		args := []string{"-b", pw, u, opts.Users[u]}
		if i == 0 {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command(pwBin, args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd %s: %v: %s", u, err, out)
		}
	}
	// Started as root, mosquitto would drop to user "mosquitto", who
	// cannot read the test's files: it stays the current user.
	me := "mosquitto"
	if u, err := user.Current(); err == nil {
		me = u.Username
	}
	acl := ""
	if opts.ACL != "" {
		acl = filepath.Join(m.dir, "acl")
		if err := os.WriteFile(acl, []byte(opts.ACL), 0o600); err != nil {
			t.Fatal(err)
		}
		acl = "acl_file " + acl + "\n"
	}
	listener := func(port int) string {
		return fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\n%s", port, pw, acl)
	}
	conf := fmt.Sprintf("user %s\nper_listener_settings true\npersistence false\nlog_dest stderr\nlog_type all\n", me) +
		listener(m.Port) + listener(m.TLSPort) + fmt.Sprintf("cafile %s\ncertfile %s\nkeyfile %s\n", m.CA.CertFile, cert, key)
	m.conf = filepath.Join(m.dir, "mosquitto.conf")
	if err := os.WriteFile(m.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	dumpOnFailure(t, "mosquitto", m.Log)
	t.Cleanup(m.Stop)
	m.Start(t)
	return m
}

// Start starts the broker again after Stop, on the same ports (retained
// messages are lost: persistence is off).
func (m *Mosquitto) Start(t testing.TB) {
	t.Helper()
	m.started++
	fmt.Fprintf(m.Log, "\n==== harness: mosquitto start %d ====\n", m.started)
	m.p = startProc(t, "mosquitto", m.Log, m.dir, "mosquitto", "-c", m.conf)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := m.Log.WaitFor(ctx, " running", m.started); err != nil {
		t.Fatalf("mosquitto not ready: %v", err)
	}
}

// Stop stops the broker; calling it twice is harmless.
func (m *Mosquitto) Stop() { m.p.stop() }

// TLSArgs are mosquitto_sub/mosquitto_pub arguments to reach the TLS
// listener as user.
func (m *Mosquitto) TLSArgs(user, password string) []string {
	return []string{"-h", "127.0.0.1", "-p", strconv.Itoa(m.TLSPort), "--cafile", m.CA.CertFile, "-u", user, "-P", password}
}

// Subscribe starts mosquitto_sub over TLS as user on topics; each message
// arrives in the returned log as a line "<retained 0|1> <topic> <payload>".
// It is stopped in t.Cleanup.
func (m *Mosquitto) Subscribe(t testing.TB, user, password string, topics ...string) *Log {
	t.Helper()
	bin := Need(t, "mosquitto_sub", "mosquitto-clients")
	args := append([]string{bin}, m.TLSArgs(user, password)...)
	args = append(args, "-F", "%r %t %p", "-q", "1")
	for _, tp := range topics {
		args = append(args, "-t", tp)
	}
	log := NewLog()
	mark := topics[len(topics)-1] + " (QoS"
	before := m.Log.Count(mark)
	p := startProc(t, "mosquitto_sub", log, m.dir, args...)
	t.Cleanup(p.stop)
	dumpOnFailure(t, "mosquitto_sub "+strings.Join(topics, " "), log)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// The broker logs the subscription once it holds it.
	if err := m.Log.WaitFor(ctx, mark, before+1); err != nil {
		t.Fatalf("mosquitto_sub not subscribed: %v", err)
	}
	return log
}

// Publish sends one message over TLS as user with mosquitto_pub.
func (m *Mosquitto) Publish(ctx context.Context, user, password, topic, payload string) error {
	args := append(m.TLSArgs(user, password), "-q", "1", "-t", topic, "-m", payload)
	out, err := exec.CommandContext(ctx, "mosquitto_pub", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("mosquitto_pub %s: %w: %s", topic, err, out)
	}
	return nil
}
