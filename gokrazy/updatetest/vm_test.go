package updatetest

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// relayEnv, when set in the environment, makes the test binary a relay
// between its standard input/output and that TCP address: qemu's
// guestfwd=...-cmd: starts one per connection the guest opens.
const relayEnv = "SIPBELL_UPDATETEST_RELAY"

func TestMain(m *testing.M) {
	if addr := os.Getenv(relayEnv); addr != "" {
		os.Exit(relay(addr))
	}
	os.Exit(m.Run())
}

func relay(addr string) int {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 1
	}
	done := make(chan struct{})
	go func() { io.Copy(os.Stdout, c); close(done) }()
	io.Copy(c, os.Stdin)
	c.(*net.TCPConn).CloseWrite()
	<-done
	return 0
}

// requireTools fails (CI=true) or skips without the named programs.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s missing (Debian: qemu-system-x86, squashfs-tools, fdisk, minisign)", tool)
			}
			t.Skipf("%s missing (Debian: qemu-system-x86, squashfs-tools, fdisk, minisign)", tool)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// partition is one entry of sfdisk -J.
type partition struct {
	Start, Size int64
}

func partitions(t *testing.T, img string) []partition {
	t.Helper()
	var v struct {
		PartitionTable struct {
			Partitions []partition
		}
	}
	if err := json.Unmarshal([]byte(run(t, "sfdisk", "-J", img)), &v); err != nil {
		t.Fatal(err)
	}
	return v.PartitionTable.Partitions
}

// freePort is a TCP port free on 127.0.0.1 now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// vm is the amd64 twin image booted under qemu: SIP and gokrazy's web UI
// forwarded to loopback, the guest's 10.0.2.100:80 relayed to the test's
// HTTP server, nothing else reachable (restrict=on).
type vm struct {
	t                *testing.T
	cmd              *exec.Cmd
	sipPort, uiPort  int
	password, serial string
}

func bootVM(t *testing.T, img, password, httpAddr string) *vm {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	v := &vm{t: t, sipPort: freePort(t), uiPort: freePort(t), password: password,
		serial: filepath.Join(t.TempDir(), "serial.log")}
	nic := fmt.Sprintf("user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:%d-:5060,hostfwd=tcp:127.0.0.1:%d-:80,guestfwd=tcp:10.0.2.100:80-cmd:%s",
		v.sipPort, v.uiPort, self)
	v.cmd = exec.Command("qemu-system-x86_64", "-accel", "tcg", "-m", "768", "-smp", "1", "-display", "none",
		"-drive", "file="+img+",format=raw,if=virtio", "-nic", nic,
		"-serial", "file:"+v.serial, "-monitor", "none")
	v.cmd.Env = append(os.Environ(), relayEnv+"="+httpAddr)
	var qlog strings.Builder
	v.cmd.Stdout, v.cmd.Stderr = &qlog, &qlog
	if err := v.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		v.cmd.Process.Kill()
		v.cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(v.serial)
			lines := strings.Split(string(b), "\n")
			t.Logf("qemu: %s\nserial console (last 60 lines):\n%s", qlog.String(), strings.Join(lines[max(0, len(lines)-60):], "\n"))
		}
	})
	return v
}

// options sends one SIP OPTIONS over TCP and returns the response head.
func (v *vm) options(n int) string {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", v.sipPort), 3*time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(4 * time.Second))
	fmt.Fprintf(c, "OPTIONS sip:door@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;rport;branch=z9hG4bK-upd%d\r\nMax-Forwards: 70\r\n"+
		"From: <sip:updatetest@127.0.0.1>;tag=ut\r\nTo: <sip:door@127.0.0.1>\r\nCall-ID: updatetest-%d\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", n, n)
	var head strings.Builder
	sc := bufio.NewScanner(c)
	for sc.Scan() && sc.Text() != "" {
		head.WriteString(sc.Text() + "\n")
	}
	return head.String()
}

// notifyCheckSync asks sipbell to fetch its configuration now (SIP NOTIFY
// Event: check-sync from the allow-listed guest network).
func (v *vm) notifyCheckSync(n int) string {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", v.sipPort), 3*time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(4 * time.Second))
	fmt.Fprintf(c, "NOTIFY sip:door@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;rport;branch=z9hG4bK-sync%d\r\nMax-Forwards: 70\r\n"+
		"From: <sip:pbx@127.0.0.1>;tag=sy\r\nTo: <sip:door@127.0.0.1>\r\nCall-ID: updatesync-%d\r\nCSeq: 1 NOTIFY\r\nEvent: check-sync\r\nContent-Length: 0\r\n\r\n", n, n)
	line, _ := bufio.NewReader(c).ReadString('\n')
	return line
}

// log returns sipbell's stderr as gokrazy's web UI keeps it (since boot).
func (v *vm) log() string {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet,
		fmt.Sprintf("http://127.0.0.1:%d/log?path=/user/sipbell-gokrazy&stream=stderr", v.uiPort), nil)
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("gokrazy:"+v.password)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body) // ends with the deadline: what came is the log so far
	return string(b)
}

// await polls check every second until it reports done, or fails the test
// after limit (a boot under TCG takes about a minute).
func (v *vm) await(what string, limit time.Duration, check func() (bool, string)) {
	v.t.Helper()
	deadline := time.Now().Add(limit)
	last := ""
	for time.Now().Before(deadline) {
		if v.cmd.ProcessState != nil {
			v.t.Fatalf("%s: qemu exited", what)
		}
		ok, seen := check()
		if ok {
			return
		}
		if seen != "" {
			last = seen
		}
		time.Sleep(time.Second)
	}
	v.t.Fatalf("%s: not within %s; last seen:\n%s", what, limit, last)
}

// server is the provisioning and update server, on loopback.
type server struct {
	mu    sync.Mutex
	files map[string][]byte
	got   map[string]int // GET count per path
}

func (s *server) set(path string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if body == nil {
		delete(s.files, path)
		return
	}
	s.files[path] = body
}

func (s *server) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[path]
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.got[r.URL.Path]++
	b, ok := s.files[r.URL.Path]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(b)
}

// listen serves s on a free loopback port and returns its address.
func listen(t *testing.T, s http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: s}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	return l.Addr().String()
}

// reboot asks gokrazy to reboot (its web UI's POST /reboot).
func (v *vm) reboot() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost,
		fmt.Sprintf("http://127.0.0.1:%d/reboot?wait_per_signal=5s&async=true", v.uiPort), nil)
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("gokrazy:"+v.password)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		v.t.Fatalf("reboot: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		v.t.Fatalf("reboot: %s", resp.Status)
	}
}
