//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/wav"
	"github.com/sipbell/sipbell/internal/interop"
)

// TestFirmwareOnEmulatedPi boots the whole firmware on one emulated ARM
// machine (see main.go) and plays a visitor's call through it: a press on
// the simulated button line → INVITE through Kamailio → baresip answers →
// audio both ways through the loopback sound card → baresip sends the
// door code → the relay line pulses for the configured time. Kamailio and
// baresip run on the host inside a network namespace of the test's own,
// the guest's network card is a tap device in it: no traffic leaves it.
func TestFirmwareOnEmulatedPi(t *testing.T) {
	if os.Getenv("FIRMWAREVM_NETNS") == "" {
		rerunInNamespace(t)
		return
	}
	dir := t.TempDir()
	cache := kernelCache(t)
	qemu := interop.Need(t, "qemu-system-arm", "qemu-system-arm")
	for _, c := range [][]string{{"ip", "link", "set", "lo", "up"}, {"ip", "tuntap", "add", "dev", "tap0", "mode", "tap"},
		{"ip", "addr", "add", hostAddr + "/24", "dev", "tap0"}, {"ip", "link", "set", "tap0", "up"}} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(c, " "), err, out)
		}
	}
	k := interop.StartKamailio(t, interop.KamailioOptions{Host: hostAddr})
	alice := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP, AutoAnswer: true,
		Host: hostAddr, ToneHz: 1000})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := k.WaitContacts(ctx, "alice", 1); err != nil {
		t.Fatalf("alice not registered: %v", err)
	}
	cpio := buildInitramfs(t, dir, cache)
	log := interop.NewLog()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("---- guest serial console ----\n%s\n---- end ----", log.String())
		}
	})
	cmd := exec.CommandContext(ctx, qemu, "-M", "virt,highmem=off", "-cpu", "cortex-a15", "-m", "512", "-smp", "1",
		"-accel", "tcg", "-display", "none", "-no-reboot", "-monitor", "none", "-serial", "stdio",
		"-kernel", filepath.Join(cache, "vmlinuz"), "-initrd", cpio,
		"-append", fmt.Sprintf("console=ttyAMA0 panic=-1 quiet fw.kamailio=%s fw.password=%s", k.UDP, interop.Password),
		"-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no",
		"-device", "virtio-net-device,netdev=n0,mac=52:54:00:12:34:56")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = log
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", qemu, err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	lines := make(chan string, 256)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			l := strings.TrimRight(sc.Text(), "\r")
			fmt.Fprintln(log, l)
			if strings.HasPrefix(l, "firmwarevm:") {
				lines <- l
			}
		}
		close(lines)
	}()
	// The guest presses the button once sipbell has registered; baresip
	// answers; after 5 s of audio alice keys the door code.
	var pressed, answered time.Time
	established := make(chan error, 1)
	go func() { established <- alice.WaitEvent(ctx, "CALL_ESTABLISHED") }()
	var done string
	for done == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the guest stopped before it was done (%v)", time.Since(start).Round(time.Second))
			}
			t.Log(l)
			switch {
			case strings.Contains(l, "registered with Kamailio"):
				t.Logf("qemu start → registered: %v", time.Since(start).Round(100*time.Millisecond))
			case strings.Contains(l, "pressing the call button"):
				pressed = time.Now()
			case strings.HasPrefix(l, "firmwarevm: done"):
				done = l
			}
		case err := <-established:
			if err != nil {
				t.Fatalf("baresip never answered: %v", err)
			}
			answered = time.Now()
			t.Logf("press → answered by baresip: %v (host clock, serial latency included)", answered.Sub(pressed).Round(time.Millisecond))
			go func() {
				time.Sleep(5 * time.Second) // 5 s of audio both ways first
				if _, err := alice.Command(ctx, "sndcode", "#"); err != nil {
					t.Errorf("alice sends #: %v", err)
				}
			}()
		case <-ctx.Done():
			t.Fatal("the guest did not finish within 4 minutes")
		}
	}
	if m := regexp.MustCompile(`pass=(\d+) fail=(\d+)`).FindStringSubmatch(done); m == nil || m[2] != "0" || m[1] == "0" {
		t.Errorf("guest: %s", done)
	}
	if answered.IsZero() {
		t.Error("baresip never answered the door's call")
	}
	heard := recording(t, alice.RecordDir)
	if share := interop.ToneShareWindowed(heard, 440); share < 0.5 {
		t.Errorf("baresip heard %.2f of the door microphone's 440 Hz tone in %d samples, want > 0.5", share, len(heard))
	} else {
		t.Logf("baresip heard the door's microphone: 440 Hz in %.2f of 50 ms windows (%d samples)", share, len(heard))
	}
}

// kernelCache is the armhf kernel and modules scripts/alsa-kernel-fetch.sh
// and scripts/gpiosim-build.sh cached.
func kernelCache(t *testing.T) string {
	home, _ := os.UserHomeDir()
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		base = filepath.Join(home, ".cache")
	}
	dir := filepath.Join(base, "sipbell", "kernel", "armhf")
	for _, f := range []string{"vmlinuz", "modules/gpio-sim.ko", "modules/net/done"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			msg := fmt.Sprintf("no %s: run scripts/alsa-kernel-fetch.sh armhf and scripts/gpiosim-build.sh armhf", filepath.Join(dir, f))
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return dir
}

// buildInitramfs builds sipbell and this init for ARMv6 and packs them
// with the modules (network, sound, configfs, gpio-sim, in load order).
func buildInitramfs(t *testing.T, dir, cache string) string {
	top, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]string{{"sipbell", "./cmd/sipbell", "arm"}, {"init", "./scripts/firmwarevm", "arm"}, {"pack", "./scripts/alsakernel", ""}} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b[0]), b[1])
		cmd.Dir = top
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b[2] == "arm" {
			cmd.Env = append(cmd.Env, "GOOS=linux", "GOARCH=arm", "GOARM=6")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b[1], err, out)
		}
	}
	net, _ := filepath.Glob(filepath.Join(cache, "modules", "net", "*.ko"))
	args := []string{"pack", filepath.Join(dir, "root.cpio"), filepath.Join(dir, "init")}
	args = append(args, net...)
	for _, m := range []string{"soundcore", "snd", "snd-timer", "snd-pcm", "snd-aloop", "configfs", "gpio-sim"} {
		args = append(args, filepath.Join(cache, "modules", m+".ko"))
	}
	args = append(args, "sipbell="+filepath.Join(dir, "sipbell"))
	if out, err := exec.Command(filepath.Join(dir, "pack"), args...).CombinedOutput(); err != nil {
		t.Fatalf("pack: %v\n%s", err, out)
	}
	return filepath.Join(dir, "root.cpio")
}

// recording reads what baresip heard (sndfile's dump-*-dec.wav).
func recording(t *testing.T, dir string) []int16 {
	files, _ := filepath.Glob(filepath.Join(dir, "dump-*-dec.wav"))
	if len(files) == 0 {
		t.Fatalf("baresip recorded nothing in %s", dir)
	}
	src, err := wav.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var all []int16
	frame := make([]int16, audio.FrameSamples)
	for src.Read(context.Background(), frame) == nil {
		all = append(all, frame...)
	}
	return all
}

// rerunInNamespace runs this test again inside new user and network
// namespaces (unshare -rn): its tap device, Kamailio and baresip live
// there, and nothing the guest sends can leave.
func rerunInNamespace(t *testing.T) {
	unshare := interop.Need(t, "unshare", "util-linux")
	interop.Need(t, "ip", "iproute2")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, unshare, "-rn", os.Args[0], "-test.run", "^TestFirmwareOnEmulatedPi$", "-test.v", "-test.count", "1")
	cmd.Env = append(os.Environ(), "FIRMWAREVM_NETNS=1")
	out, err := cmd.CombinedOutput()
	t.Logf("inside its own network namespace:\n%s", out)
	if err != nil || !strings.Contains(string(out), "--- PASS: TestFirmwareOnEmulatedPi") {
		if strings.Contains(string(out), "--- SKIP") {
			t.Skip("skipped inside the namespace")
		}
		t.Fatalf("failed inside the namespace: %v", err)
	}
}
