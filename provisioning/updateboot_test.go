package provisioning

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The command line monogok writes into cmdline.txt of the amd64 image
// (GPT), padded with 64 spaces.
const gptCmdline = "console=tty1 console=ttyS0,115200 root=PARTUUID=60c24cc1-f3f9-427a-8199-47c3516f0001/PARTNROFF=1 ro init=/gokrazy/init panic=10"

func TestCmdlineRoot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int
		to3  string
	}{
		{gptCmdline, 2, "root=PARTUUID=60c24cc1-f3f9-427a-8199-47c3516f0001/PARTNROFF=2"},
		{"console=tty1 root=PARTUUID=2e18c40c-02 init=/gokrazy/init", 2, "root=PARTUUID=2e18c40c-03"},
		{"root=/dev/mmcblk0p3 ro", 3, "root=/dev/mmcblk0p3"},
		{"root=/dev/sda2", 2, "root=/dev/sda3"},
		{"root=/dev/sda4", 0, ""},
		{"ro init=/gokrazy/init", 0, ""},
	} {
		got, err := cmdlineRoot(tc.in)
		if got != tc.want || (err == nil) != (tc.want != 0) {
			t.Errorf("cmdlineRoot(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			continue
		}
		if tc.want == 0 {
			continue
		}
		s, err := withRoot(tc.in, 3)
		if err != nil || !strings.Contains(s, tc.to3) {
			t.Errorf("withRoot(%q, 3) = %q, %v; want %q in it", tc.in, s, err, tc.to3)
		}
		if back, _ := withRoot(s, tc.want); back != strings.Join(strings.Fields(tc.in), " ") {
			t.Errorf("withRoot back: %q, want %q", back, tc.in)
		}
	}
}

// TestEditBootFile: the try flag and the commit keep the file's length
// (the boot loader reads it where it lies), in cmdline.txt and in the
// options line of gokrazy.conf; gokrazy's own rewrite of the try flag
// (switchedFlag, shorter, spaces after) is cleared on commit.
func TestEditBootFile(t *testing.T) {
	t.Parallel()
	pad := strings.Repeat(" ", 64)
	for _, name := range []string{"cmdline.txt", "gokrazy.conf"} {
		prefix := ""
		if name == "gokrazy.conf" {
			prefix = "title gokrazy\nlinux /vmlinuz\noptions "
		}
		old := []byte(prefix + gptCmdline + pad)
		tried, err := editBootFile(old, func(s string) (string, error) { return withTry(s), nil })
		if err != nil || len(tried) != len(old) || !strings.Contains(string(tried), " "+tryFlag) || !strings.HasPrefix(string(tried), prefix) {
			t.Fatalf("%s: try: %q, %v", name, tried, err)
		}
		// What gokrazy's init does on the next boot.
		switched := []byte(strings.Replace(string(tried), tryFlag, switchedFlag+"   ", 1))
		kept, err := editBootFile(switched, func(s string) (string, error) { return committed(s, 3) })
		want := prefix + strings.Replace(gptCmdline, "PARTNROFF=1", "PARTNROFF=2", 1) + pad
		if err != nil || string(kept) != want {
			t.Errorf("%s: commit: %q, %v\nwant %q", name, kept, err, want)
		}
	}
	// Tries rolled back one after another (gokrazy's init leaves its mark
	// each time) never run out of padding.
	cur := []byte(gptCmdline + pad)
	for i := range 5 {
		tried, err := editBootFile(cur, func(s string) (string, error) { return withTry(s), nil })
		if err != nil {
			t.Fatalf("try %d after rollbacks: %v", i, err)
		}
		cur = []byte(strings.Replace(string(tried), tryFlag, switchedFlag+"   ", 1))
	}
	if _, err := editBootFile([]byte(gptCmdline+"   "), func(s string) (string, error) { return withTry(s), nil }); err == nil || !strings.Contains(err.Error(), "no room") {
		t.Errorf("no padding: err %v, want 'no room'", err)
	}
}

// TestGokrazyBootPartitions finds the partitions from mountinfo and sysfs
// laid out as on the amd64 image (virtio disk vda: 1 boot, 2 and 3 roots,
// 4 /perm) and writes the spare root: 3 when the kernel mounted 2, 2
// when gokrazy's init switched to 3 for a try.
func TestGokrazyBootPartitions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, rootSrc, cmdline string
		wantDev                string
	}{
		{"running 2", "/dev/root", gptCmdline, "vda3"},
		{"trying 3", "/dev/vda3", gptCmdline + " " + tryFlag, "vda2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			g := &GokrazyBoot{ProcCmdline: filepath.Join(dir, "cmdline"), Mountinfo: filepath.Join(dir, "mountinfo"),
				SysBlock: filepath.Join(dir, "class"), Dev: filepath.Join(dir, "dev"), Perm: "/perm"}
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(os.WriteFile(g.ProcCmdline, []byte(tc.cmdline+"\n"), 0o600))
			must(os.WriteFile(g.Mountinfo, []byte("20 1 254:2 / / ro,relatime - squashfs "+tc.rootSrc+" ro\n"+
				"25 20 254:4 / /perm rw,relatime - ext4 /dev/vda4 rw\n"), 0o600))
			must(os.MkdirAll(g.SysBlock, 0o755))
			must(os.MkdirAll(g.Dev, 0o755))
			for n := 1; n <= 4; n++ {
				p := filepath.Join(dir, "devices", "vda", "vda"+string(rune('0'+n)))
				must(os.MkdirAll(p, 0o755))
				must(os.WriteFile(filepath.Join(p, "partition"), []byte(string(rune('0'+n))+"\n"), 0o600))
				must(os.WriteFile(filepath.Join(p, "size"), []byte("8\n"), 0o600))
				must(os.Symlink(p, filepath.Join(g.SysBlock, "vda"+string(rune('0'+n)))))
				must(os.WriteFile(filepath.Join(g.Dev, "vda"+string(rune('0'+n))), nil, 0o600))
			}
			must(g.WriteInactive(context.Background(), "v2", []byte("root image")))
			for _, d := range []string{"vda2", "vda3"} {
				b, _ := os.ReadFile(filepath.Join(g.Dev, d))
				if (d == tc.wantDev) != (string(b) == "root image") {
					t.Errorf("%s holds %q; want the image on %s only", d, b, tc.wantDev)
				}
			}
			if err := g.WriteInactive(context.Background(), "v2", make([]byte, 8*512+1)); err == nil || !strings.Contains(err.Error(), "does not fit") {
				t.Errorf("oversize image: err %v", err)
			}
		})
	}
}
