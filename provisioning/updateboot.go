package provisioning

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// The gokrazy image has a FAT boot partition (1), two root file systems
// (2 and 3, squashfs, one running, one spare) and /perm (4). The kernel
// command line in the boot partition's cmdline.txt (and, for UEFI, the
// options line of loader/entries/gokrazy.conf) names the root with
// root=. The files are padded with spaces when the image is built, and
// the boot loader finds them by their place on the disk, so they are only
// ever rewritten in place at the same length.
//
// A one-shot try of the other root uses gokrazy's own mechanism: with
// tryFlag on the command line, gokrazy's init (of the root root= names)
// replaces tryFlag by switchedFlag in cmdline.txt and then starts the
// other root's init instead. The next boot, whatever happens, is the old
// root again, until the new one makes itself permanent (Commit).
const (
	tryFlag      = "gokrazy.try_boot_inactive=1"
	switchedFlag = "gokrazy.switch_on_boot=1"
	bootFiles    = "cmdline.txt loader/entries/gokrazy.conf"
)

// ErrBoot wraps every failure to read or change the boot configuration or
// the root partitions.
var ErrBoot = errors.New("boot slot")

// GokrazyBoot is the A/B root partition pair of a gokrazy image
// (BootSlots). Its fields are paths, replaced by tests.
type GokrazyBoot struct {
	ProcCmdline string // the command line the kernel booted with: /proc/cmdline
	Mountinfo   string // /proc/self/mountinfo, to find the disk under /perm
	SysBlock    string // /sys/class/block
	Dev         string // /dev
	Perm        string // gokrazy's writable partition: /perm
}

// NewGokrazyBoot returns the slots of the running gokrazy system, or nil
// when this is not one (no /gokrazy/init).
func NewGokrazyBoot() *GokrazyBoot {
	if _, err := os.Stat("/gokrazy/init"); err != nil {
		return nil
	}
	return &GokrazyBoot{ProcCmdline: "/proc/cmdline", Mountinfo: "/proc/self/mountinfo",
		SysBlock: "/sys/class/block", Dev: "/dev", Perm: "/perm"}
}

// Trial reports whether this boot is gokrazy's one-shot try of the other
// root (the command line the kernel got carries the try flag).
func (g *GokrazyBoot) Trial() (bool, error) {
	b, err := os.ReadFile(g.ProcCmdline)
	if err != nil {
		return false, fmt.Errorf("%w: read %s: %v", ErrBoot, g.ProcCmdline, err)
	}
	return hasField(string(b), tryFlag), nil
}

// running is the root partition (2 or 3) this system runs from: the
// partition mounted on / when gokrazy's init switched to it (a try), else
// the one the kernel mounted (/dev/root), which root= names.
func (g *GokrazyBoot) running() (int, error) {
	b, err := os.ReadFile(g.ProcCmdline)
	if err != nil {
		return 0, fmt.Errorf("%w: read %s: %v", ErrBoot, g.ProcCmdline, err)
	}
	part, err := cmdlineRoot(string(b))
	if err != nil {
		return 0, err
	}
	src, err := g.mountSource("/")
	if err != nil {
		return 0, err
	}
	if n, err := strconv.Atoi(src[len(strings.TrimRight(src, "0123456789")):]); err == nil && src != "/dev/root" {
		if n != 2 && n != 3 {
			return 0, fmt.Errorf("%w: / is %s, not root partition 2 or 3", ErrBoot, src)
		}
		return n, nil
	}
	return part, nil
}

// WriteInactive writes a root file system image onto the root partition
// that is not running, and syncs it.
func (g *GokrazyBoot) WriteInactive(ctx context.Context, _ string, image []byte) error {
	run, err := g.running()
	if err != nil {
		return err
	}
	dev, size, err := g.partition(otherRoot(run))
	if err != nil {
		return err
	}
	if int64(len(image)) > size {
		return fmt.Errorf("%w: image of %d bytes does not fit %s (%d bytes)", ErrBoot, len(image), dev, size)
	}
	f, err := os.OpenFile(dev, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("%w: open %s: %v", ErrBoot, dev, err)
	}
	defer f.Close()
	for off := 0; off < len(image); off += 1 << 20 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: write %s: %v", ErrBoot, dev, err)
		}
		if _, err := f.Write(image[off:min(off+1<<20, len(image))]); err != nil {
			return fmt.Errorf("%w: write %s: %v", ErrBoot, dev, err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%w: sync %s: %v", ErrBoot, dev, err)
	}
	return f.Close()
}

// TryInactive makes the next boot (only the next) start the root that is
// not running. It refuses while the boot files do not name the running
// root (a try not yet committed).
func (g *GokrazyBoot) TryInactive() error {
	run, err := g.running()
	if err != nil {
		return err
	}
	return g.editBoot(func(line string) (string, error) {
		part, err := cmdlineRoot(line)
		if err != nil {
			return "", err
		}
		if part != run {
			return "", fmt.Errorf("%w: the boot files name root %d, not the running %d", ErrBoot, part, run)
		}
		return withTry(line), nil
	})
}

// Commit makes the running root the one every boot starts, and clears
// gokrazy's try marks.
func (g *GokrazyBoot) Commit() error {
	run, err := g.running()
	if err != nil {
		return err
	}
	return g.editBoot(func(line string) (string, error) { return committed(line, run) })
}

// Reboot syncs the file systems and restarts the machine.
func (g *GokrazyBoot) Reboot() error {
	syscall.Sync()
	if err := syscall.Reboot(syscall.LINUX_REBOOT_CMD_RESTART); err != nil {
		return fmt.Errorf("%w: reboot: %v", ErrBoot, err)
	}
	return nil
}

// editBoot mounts the boot partition and rewrites the command line of
// each boot file in place (same length), then unmounts it.
func (g *GokrazyBoot) editBoot(edit func(string) (string, error)) error {
	dev, _, err := g.partition(1)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "sipbell-boot")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBoot, err)
	}
	defer os.Remove(dir)
	if err := syscall.Mount(dev, dir, "vfat", 0, ""); err != nil {
		return fmt.Errorf("%w: mount %s: %v", ErrBoot, dev, err)
	}
	defer syscall.Unmount(dir, 0)
	for i, name := range strings.Fields(bootFiles) {
		err := editInPlace(filepath.Join(dir, name), edit)
		if i > 0 && errors.Is(err, os.ErrNotExist) {
			continue // no UEFI entry in older images
		}
		if err != nil {
			return err
		}
	}
	if err := syscall.Unmount(dir, 0); err != nil {
		return fmt.Errorf("%w: unmount %s: %v", ErrBoot, dev, err)
	}
	return nil
}

// editInPlace rewrites path at the same length with its command line
// edited, and syncs it.
func editInPlace(path string, edit func(string) (string, error)) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBoot, err)
	}
	defer f.Close()
	old, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return fmt.Errorf("%w: read %s: %v", ErrBoot, path, err)
	}
	b, err := editBootFile(old, edit)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		return fmt.Errorf("%w: write %s: %v", ErrBoot, path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%w: sync %s: %v", ErrBoot, path, err)
	}
	return f.Close()
}

// editBootFile edits the command line in a boot file (cmdline.txt: the
// whole file; gokrazy.conf: its "options " line) and returns the file at
// its old length, the change taken from or given to its trailing spaces.
func editBootFile(old []byte, edit func(string) (string, error)) ([]byte, error) {
	body := strings.TrimRight(string(old), " ")
	lines := strings.Split(body, "\n")
	at := 0
	for i, l := range lines {
		if strings.HasPrefix(l, "options ") {
			at = i
		}
	}
	prefix := ""
	if strings.HasPrefix(lines[at], "options ") {
		prefix = "options "
	}
	line, err := edit(strings.TrimPrefix(lines[at], prefix))
	if err != nil {
		return nil, err
	}
	lines[at] = prefix + line
	body = strings.Join(lines, "\n")
	if len(body) > len(old) {
		return nil, fmt.Errorf("%w: no room left in the padding (%d bytes, need %d)", ErrBoot, len(old), len(body))
	}
	return []byte(body + strings.Repeat(" ", len(old)-len(body))), nil
}

// cmdlineRoot is the root partition number root= names: PARTUUID=<GPT
// UUID of partition 1>/PARTNROFF=n (gokrazy's GPT images: 1+n),
// PARTUUID=<disk id>-0n (MBR) or a device path ending in the number.
func cmdlineRoot(cmdline string) (int, error) {
	root := ""
	for _, f := range strings.Fields(cmdline) {
		if v, ok := strings.CutPrefix(f, "root="); ok {
			root = v
		}
	}
	var n int
	var err error
	switch {
	case root == "":
		return 0, fmt.Errorf("%w: no root= in the command line", ErrBoot)
	case strings.Contains(root, "/PARTNROFF="):
		_, off, _ := strings.Cut(root, "/PARTNROFF=")
		n, err = strconv.Atoi(off)
		n++
	case strings.HasPrefix(root, "PARTUUID="):
		_, num, _ := strings.Cut(strings.TrimPrefix(root, "PARTUUID="), "-")
		n, err = strconv.Atoi(num)
	default:
		i := len(root)
		for i > 0 && root[i-1] >= '0' && root[i-1] <= '9' {
			i--
		}
		n, err = strconv.Atoi(root[i:])
	}
	if err != nil || (n != 2 && n != 3) {
		return 0, fmt.Errorf("%w: root=%s is not root partition 2 or 3", ErrBoot, root)
	}
	return n, nil
}

// withRoot returns cmdline with root= naming partition part, in the form
// it had.
func withRoot(cmdline string, part int) (string, error) {
	if _, err := cmdlineRoot(cmdline); err != nil {
		return "", err
	}
	fields := strings.Fields(cmdline)
	for i, f := range fields {
		root, ok := strings.CutPrefix(f, "root=")
		if !ok {
			continue
		}
		switch {
		case strings.Contains(root, "/PARTNROFF="):
			base, _, _ := strings.Cut(root, "/PARTNROFF=")
			root = fmt.Sprintf("%s/PARTNROFF=%d", base, part-1)
		case strings.HasPrefix(root, "PARTUUID="):
			id, _, _ := strings.Cut(root, "-")
			root = fmt.Sprintf("%s-%02d", id, part)
		default:
			root = strings.TrimRight(root, "0123456789") + strconv.Itoa(part)
		}
		fields[i] = "root=" + root
	}
	return strings.Join(fields, " "), nil
}

// withTry adds gokrazy's try flag to cmdline (once), dropping the mark
// gokrazy's init left from an earlier try (rolled back), which would
// otherwise use up the padding one try at a time.
func withTry(cmdline string) string {
	var keep []string
	for _, f := range strings.Fields(cmdline) {
		if f != tryFlag && f != switchedFlag {
			keep = append(keep, f)
		}
	}
	return strings.Join(append(keep, tryFlag), " ")
}

// committed returns cmdline naming root part, without try marks.
func committed(cmdline string, part int) (string, error) {
	var keep []string
	for _, f := range strings.Fields(cmdline) {
		if f != tryFlag && f != switchedFlag {
			keep = append(keep, f)
		}
	}
	return withRoot(strings.Join(keep, " "), part)
}

func hasField(cmdline, field string) bool {
	for _, f := range strings.Fields(cmdline) {
		if f == field {
			return true
		}
	}
	return false
}

func otherRoot(part int) int { return 5 - part }

// partition finds the device file and size of partition number n of the
// disk that holds /perm.
func (g *GokrazyBoot) partition(n int) (string, int64, error) {
	permDev, err := g.mountSource(g.Perm)
	if err != nil {
		return "", 0, err
	}
	link, err := filepath.EvalSymlinks(filepath.Join(g.SysBlock, filepath.Base(permDev)))
	if err != nil {
		return "", 0, fmt.Errorf("%w: %v", ErrBoot, err)
	}
	disk := filepath.Dir(link)
	entries, err := os.ReadDir(disk)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %v", ErrBoot, err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(disk, e.Name(), "partition"))
		if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(n) {
			continue
		}
		s, err := os.ReadFile(filepath.Join(disk, e.Name(), "size"))
		if err != nil {
			return "", 0, fmt.Errorf("%w: %v", ErrBoot, err)
		}
		sectors, err := strconv.ParseInt(strings.TrimSpace(string(s)), 10, 64)
		if err != nil {
			return "", 0, fmt.Errorf("%w: size of %s: %v", ErrBoot, e.Name(), err)
		}
		return filepath.Join(g.Dev, e.Name()), sectors * 512, nil
	}
	return "", 0, fmt.Errorf("%w: no partition %d on %s", ErrBoot, n, filepath.Base(disk))
}

// mountSource is the device last mounted on dir (mountinfo).
func (g *GokrazyBoot) mountSource(dir string) (string, error) {
	f, err := os.Open(g.Mountinfo)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBoot, err)
	}
	defer f.Close()
	src := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, fs := strings.Fields(pre), strings.Fields(post)
		if ok && len(fields) >= 5 && fields[4] == dir && len(fs) >= 2 {
			src = fs[1]
		}
	}
	if src == "" {
		return "", fmt.Errorf("%w: nothing mounted on %s", ErrBoot, dir)
	}
	return src, nil
}
