package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// procSample is one look at a process in /proc.
type procSample struct {
	at        time.Time
	cpu       float64 // user+system seconds
	vcs       int64   // voluntary context switches, all threads
	rss, anon float64 // kB
}

// clockTicks is USER_HZ, 100 on every Linux the bench runs on.
const clockTicks = 100

func sampleProc(pid int) procSample {
	s := procSample{at: time.Now()}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// Fields after the command name (which may hold spaces).
		if i := strings.LastIndexByte(string(b), ')'); i > 0 {
			f := strings.Fields(string(b[i+1:]))
			var ut, st float64
			fmt.Sscan(f[11], &ut)
			fmt.Sscan(f[12], &st)
			s.cpu = (ut + st) / clockTicks
		}
	}
	s.rss, s.anon = statusKB(fmt.Sprintf("/proc/%d/status", pid), "VmRSS"), statusKB(fmt.Sprintf("/proc/%d/status", pid), "RssAnon")
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	for _, t := range tasks {
		s.vcs += int64(statusKB(t, "voluntary_ctxt_switches"))
	}
	return s
}

// statusKB reads one numeric field of a /proc status file.
func statusKB(path, key string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			var n float64
			fmt.Sscan(strings.TrimSpace(v), &n)
			return n
		}
	}
	return 0
}

// rtpPeer is the far end's media: it sends a PCMU frame every 20 ms to
// whoever sends it RTP and keeps the arrival times of what it receives.
type rtpPeer struct {
	conn  *net.UDPConn
	port  int
	first chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	times []time.Time
}

func startRTPPeer(b *testing.B) *rtpPeer {
	b.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	p := &rtpPeer{conn: c, port: c.LocalAddr().(*net.UDPAddr).Port, first: make(chan struct{}), done: make(chan struct{})}
	far := make(chan *net.UDPAddr, 1)
	go p.receive(far)
	go p.send(far)
	return p
}

func (p *rtpPeer) receive(far chan<- *net.UDPAddr) {
	buf := make([]byte, 1500)
	for {
		n, from, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if n < 12 || buf[1]&0x7f != 0 {
			continue // RTCP or not PCMU
		}
		at := time.Now()
		p.mu.Lock()
		if len(p.times) == 0 {
			close(p.first)
			far <- from
		}
		if len(p.times) < 1<<16 {
			p.times = append(p.times, at)
		}
		p.mu.Unlock()
	}
}

func (p *rtpPeer) send(far <-chan *net.UDPAddr) {
	var to *net.UDPAddr
	select {
	case to = <-far:
	case <-p.done:
		return
	}
	pkt := make([]byte, 12+160)
	pkt[0], pkt[1] = 0x80, 0
	for i := 12; i < len(pkt); i++ {
		pkt[i] = 0xff // μ-law silence
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for seq, ts := uint16(0), uint32(0); ; seq, ts = seq+1, ts+160 {
		select {
		case <-tick.C:
		case <-p.done:
			return
		}
		pkt[2], pkt[3] = byte(seq>>8), byte(seq)
		pkt[4], pkt[5], pkt[6], pkt[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
		pkt[8], pkt[11] = 0x5e, 0x1d
		p.conn.WriteToUDP(pkt, to)
	}
}

func (p *rtpPeer) waitFirst(ctx context.Context) error {
	select {
	case <-p.first:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// intervals returns the stddev and max of the gaps between received
// packets in ms, the first second left out (start-up).
func (p *rtpPeer) intervals() (sd, mx float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var gaps []float64
	for i := 1; i < len(p.times); i++ {
		if p.times[i].Sub(p.times[0]) < time.Second {
			continue
		}
		gaps = append(gaps, float64(p.times[i].Sub(p.times[i-1]).Microseconds())/1000)
	}
	if len(gaps) == 0 {
		return 0, 0
	}
	var sum, sq float64
	for _, g := range gaps {
		sum += g
		mx = max(mx, g)
	}
	mean := sum / float64(len(gaps))
	for _, g := range gaps {
		sq += (g - mean) * (g - mean)
	}
	return math.Sqrt(sq / float64(len(gaps))), mx
}

func (p *rtpPeer) close() {
	close(p.done)
	p.conn.Close()
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}

func maxOf(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	return slices.Max(x)
}

// printBenchTable writes the side-by-side table.
func printBenchTable(w io.Writer, uas []*benchUA, reps, secs int, bin string) {
	s, r := uas[0], uas[1]
	fmt.Fprintf(w, "\nsipbell vs baresip, %d alternations of a %d s PCMU call (medians), %d cores, %s\n", reps, secs, runtime.NumCPU(), cpuModel())
	fmt.Fprintf(w, "%-36s %12s %12s %8s\n", "figure", "sipbell", "baresip", "ratio")
	row := func(name string, a, b float64, format string) {
		fmt.Fprintf(w, "%-36s %12s %12s %8s\n", name, fmt.Sprintf(format, a), fmt.Sprintf(format, b), ratioCell(a, b))
	}
	row("CPU per call-second (ms)", 1000*median(s.cpu), 1000*median(r.cpu), "%.2f")
	row("voluntary ctx switches/s in call", median(s.cs), median(r.cs), "%.0f")
	row("peak RSS in call (MB)", s.peakRSS/1024, r.peakRSS/1024, "%.1f")
	row("peak anon memory in call (MB)", s.peakAnon/1024, r.peakAnon/1024, "%.1f")
	row("idle registered RSS (MB)", s.idleRSS/1024, r.idleRSS/1024, "%.1f")
	row("idle voluntary ctx switches/s", s.idleCS, r.idleCS, "%.1f")
	row(fmt.Sprintf("INVITE→200 median (ms, %d/%d calls)", len(s.inv200), len(r.inv200)), median(s.inv200), median(r.inv200), "%.2f")
	row("INVITE→200 max (ms)", maxOf(s.inv200), maxOf(r.inv200), "%.2f")
	row("start→registered (ms)", float64(s.registered.Microseconds())/1000, float64(r.registered.Microseconds())/1000, "%.1f")
	row("RTP send interval stddev (ms)", median(s.sendSD), median(r.sendSD), "%.2f")
	row("RTP send interval max (ms)", maxOf(s.sendMax), maxOf(r.sendMax), "%.1f")
	bs := fileSize(bin)
	row("binary (MB; baresip: exe+libs+mods)", bs/1e6, baresipSize()/1e6, "%.2f")
}

// ratioCell is the table's ratio a/b, or what a person reads where
// there is none, not NaN or +Inf: "—" when both are 0, "baresip 0" when
// only b is (baresip made no switch while idle, say).
func ratioCell(a, b float64) string {
	switch {
	case b != 0:
		return fmt.Sprintf("%.2f", a/b)
	case a == 0:
		return "—"
	}
	return "baresip 0"
}

func fileSize(p string) float64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return float64(st.Size())
}

// baresipSize adds baresip's executable, its own libraries (libbaresip,
// libre, librem) and the modules the bench loads.
func baresipSize() float64 {
	exe, err := exec.LookPath("baresip")
	if err != nil {
		return 0
	}
	total := fileSize(exe)
	out, _ := exec.Command("ldd", exe).Output()
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && (strings.HasPrefix(f[0], "libbaresip") || strings.HasPrefix(f[0], "libre.") || strings.HasPrefix(f[0], "librem")) {
			total += fileSize(f[2])
		}
	}
	for _, m := range []string{"g711", "sndfile", "aubridge", "aufile", "uuid", "account", "contact", "menu", "ctrl_tcp"} {
		total += fileSize("/usr/lib/baresip/modules/" + m + ".so")
	}
	return total
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return "unknown CPU"
}
