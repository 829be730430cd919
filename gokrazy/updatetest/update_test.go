// Package updatetest updates the firmware of the gokrazy amd64 twin image
// booted under qemu (make test-image): a signed root image is installed
// on the spare root partition and kept when healthy, a broken one rolls
// back by itself, an unsigned one is refused.
package updatetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// imageEnv names the amd64 twin image (make image-amd64) to test.
const imageEnv = "SIPBELL_IMAGE_AMD64"

// TestFirmwareUpdateBoot boots the image with a seed configuration that
// pulls a signed provisioning file from the test's server, then, each
// step started by a SIP NOTIFY check-sync:
//   - names an unsigned root image: refused, with the reason, no reboot;
//   - names a signed root image whose sipbell cannot start (truncated):
//     installed, tried, and the device is back on version A by itself,
//     saying why;
//   - names a signed root image of version B: the device boots it,
//     answers OPTIONS with B's version in Server, keeps it (healthy), and
//     still runs B after another reboot.
func TestFirmwareUpdateBoot(t *testing.T) {
	img := os.Getenv(imageEnv)
	if img == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not set (make test-image sets it)", imageEnv)
		}
		t.Skipf("%s not set: make image-amd64, then %s=dist/... go test", imageEnv, imageEnv)
	}
	requireTools(t, "qemu-system-x86_64", "unsquashfs", "mksquashfs", "sfdisk", "minisign")
	began := time.Now()
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }

	// Root A as the update script cuts it from the image.
	run(t, "../../scripts/update-image.sh", img, p("a-root.sqfs"))
	run(t, "unsquashfs", "-q", "-d", p("root"), p("a-root.sqfs"))
	pw, err := os.ReadFile(p("root/etc/gokr-pw.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, p("root/user/sipbell"), "-version")
	versionA := strings.Fields(out)[1]
	const versionB, versionBad = "v0.0.0-updatetest-b", "v0.0.0-updatetest-broken"

	run(t, "minisign", "-G", "-W", "-p", p("key.pub"), "-s", p("key.sec"))
	pub, err := os.ReadFile(p("key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pubLine := strings.Split(strings.TrimSpace(string(pub)), "\n")[1]
	sign := func(name string) []byte {
		t.Helper()
		run(t, "minisign", "-S", "-s", p("key.sec"), "-m", p(name), "-t", "sipbell update test")
		b, err := os.ReadFile(p(name) + ".minisig")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	seed := fmt.Sprintf(`sip:
  listen: 0.0.0.0:5060
  user: door
  allow_from: [10.0.0.0/8]
board:
  profile: sim
provisioning:
  state_dir: /perm/sipbell
  url: http://10.0.2.100/device.yaml
  signing_keys: [%s]
  interval: 0s
`, pubLine)
	write(t, p("root/etc/sipbell/sipbell.yaml"), []byte(seed))

	// sipbell B, and root images A (test seed), B and a broken one.
	cmd := exec.Command("go", "build", "-trimpath", "-tags=timetzdata", "-ldflags", "-s -w -X main.version="+versionB+" -X main.commit=updatetest",
		"-o", p("sipbell-b"), "github.com/sipbell/sipbell/cmd/sipbell")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build sipbell B: %v\n%s", err, out)
	}
	binB, err := os.ReadFile(p("sipbell-b"))
	if err != nil {
		t.Fatal(err)
	}
	squash := func(name string, sipbell []byte) {
		t.Helper()
		if sipbell != nil {
			write(t, p("root/user/sipbell"), sipbell)
		}
		run(t, "mksquashfs", p("root"), p(name), "-noappend", "-all-root", "-comp", "gzip", "-quiet")
	}
	squash("a.sqfs", nil)
	squash("b.sqfs", binB)
	squash("broken.sqfs", binB[:1<<20])

	// The disk: the image with root A replaced.
	parts := partitions(t, img)
	run(t, "cp", "--sparse=always", img, p("disk.img"))
	a, err := os.ReadFile(p("a.sqfs"))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(a)) > parts[1].Size*512 {
		t.Fatalf("root A (%d bytes) does not fit partition 2", len(a))
	}
	disk, err := os.OpenFile(p("disk.img"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := disk.WriteAt(a, parts[1].Start*512); err != nil {
		t.Fatal(err)
	}
	if err := disk.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("images ready after %s", time.Since(began).Round(time.Second))

	srv := &server{files: map[string][]byte{}, got: map[string]int{}}
	serve := func(firmwareURL, version string) {
		body := seed + fmt.Sprintf("  firmware:\n    url: %s\n    version: %s\n    health_window: 60s\n", firmwareURL, version)
		write(t, p("device.yaml"), []byte(body))
		srv.set("/device.yaml", []byte(body))
		srv.set("/device.yaml.minisig", sign("device.yaml"))
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(p(name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	srv.set("/unsigned.sqfs", read("b.sqfs"))
	srv.set("/broken.sqfs", read("broken.sqfs"))
	srv.set("/broken.sqfs.minisig", sign("broken.sqfs"))
	srv.set("/b.sqfs", read("b.sqfs"))
	srv.set("/b.sqfs.minisig", sign("b.sqfs"))
	serve("http://10.0.2.100/unsigned.sqfs", "v0.0.0-updatetest-unsigned")
	addr := listen(t, srv)

	v := bootVM(t, p("disk.img"), strings.TrimSpace(string(pw)), addr)
	n := 0
	answers := func(version string) func() (bool, string) {
		return func() (bool, string) {
			n++
			head := v.options(n)
			return strings.HasPrefix(head, "SIP/2.0 200 OK") && strings.Contains(head, "sipbell/"+version), head
		}
	}
	logs := func(want ...string) func() (bool, string) {
		return func() (bool, string) {
			l := v.log()
			for _, w := range want {
				if !strings.Contains(l, w) {
					return false, l
				}
			}
			return true, l
		}
	}
	step := time.Now()
	v.await("boot of version "+versionA, 4*time.Minute, answers(versionA))
	t.Logf("version %s answers OPTIONS after %s", versionA, time.Since(step).Round(time.Second))

	// 1. Unsigned: refused with the reason; the device stays on A.
	v.await("unsigned image refused", 2*time.Minute, logs("firmware update refused", "is not signed"))
	if srv.count("/unsigned.sqfs.minisig") == 0 {
		t.Error("the signature of the unsigned image was never asked for")
	}
	t.Logf("ok unsigned image refused")

	// 2. A signed image whose sipbell cannot start: tried, rolled back.
	step = time.Now()
	serve("http://10.0.2.100/broken.sqfs", versionBad)
	v.await("check-sync accepted", time.Minute, func() (bool, string) {
		n++
		l := v.notifyCheckSync(n)
		return strings.HasPrefix(l, "SIP/2.0 200"), l
	})
	v.await("broken image rolled back", 8*time.Minute, logs("firmware update rolled back", versionBad, "did not start healthy"))
	v.await("version "+versionA+" answers after the rollback", time.Minute, answers(versionA))
	t.Logf("ok broken image tried and rolled back to %s in %s", versionA, time.Since(step).Round(time.Second))

	// 3. A good signed image: boots B, kept, survives a reboot.
	step = time.Now()
	serve("http://10.0.2.100/b.sqfs", versionB)
	v.await("check-sync accepted", time.Minute, func() (bool, string) {
		n++
		l := v.notifyCheckSync(n)
		return strings.HasPrefix(l, "SIP/2.0 200"), l
	})
	v.await("boot of version "+versionB, 6*time.Minute, answers(versionB))
	v.await("version "+versionB+" kept", 2*time.Minute, logs("firmware updated: healthy, kept"))
	t.Logf("ok updated to %s and kept in %s", versionB, time.Since(step).Round(time.Second))
	step = time.Now()
	v.reboot()
	v.await("version "+versionB+" after another reboot", 4*time.Minute, func() (bool, string) {
		ok, head := answers(versionB)()
		if !ok {
			return false, head
		}
		l := v.log()
		return strings.Contains(l, "starting") && !strings.Contains(l, "trying the new firmware"), l
	})
	t.Logf("ok %s still runs after a reboot (%s); whole test %s", versionB, time.Since(step).Round(time.Second), time.Since(began).Round(time.Second))
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
