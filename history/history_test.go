package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func mustOpen(t *testing.T, dir string, o Options) *Log {
	t.Helper()
	l, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func dirBytes(t *testing.T, dir string) (int64, int) {
	t.Helper()
	des, _ := os.ReadDir(dir)
	var n int64
	lines := 0
	for _, de := range des {
		b, _ := os.ReadFile(filepath.Join(dir, de.Name()))
		n += int64(len(b))
		lines += bytes.Count(b, []byte("\n"))
	}
	return n, lines
}

func TestBoundsAndRestart(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxEntries int
		maxBytes   int64
		add        int
	}{
		{"entries bound", 10, 1 << 20, 57},
		{"bytes bound", 1000, 2000, 300},
		{"under bounds", 100, 1 << 20, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o := Options{MaxEntries: tc.maxEntries, MaxBytes: tc.maxBytes}
			l := mustOpen(t, dir, o)
			for i := range tc.add {
				if err := l.Add(Entry{Kind: KindRing, Who: fmt.Sprintf("sip:v%d@x", i)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := l.Sync(); err != nil {
				t.Fatal(err)
			}
			n, lines := dirBytes(t, dir)
			if n > tc.maxBytes || lines > tc.maxEntries {
				t.Fatalf("on disk %d bytes, %d entries; bounds %d, %d", n, lines, tc.maxBytes, tc.maxEntries)
			}
			before := l.List(Filter{})
			if len(before) == 0 || before[len(before)-1].Seq != uint64(tc.add) {
				t.Fatalf("newest entry lost: %v", before)
			}
			_ = l.Close()
			l2 := mustOpen(t, dir, o)
			after := l2.List(Filter{})
			if len(after) != lines || after[len(after)-1].Who != before[len(before)-1].Who {
				t.Fatalf("after restart %d entries (newest %v), want %d ending %v", len(after), after[len(after)-1], lines, before[len(before)-1])
			}
			if err := l2.Add(Entry{Kind: KindStart}); err != nil {
				t.Fatal(err)
			}
			_ = l2.Sync()
			if got := l2.List(Filter{Limit: 1})[0].Seq; got != uint64(tc.add+1) {
				t.Fatalf("seq after restart %d, want %d", got, tc.add+1)
			}
		})
	}
}

func TestTornTailCut(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{})
	_ = l.Add(Entry{Kind: KindDoorOpened, Who: "sip:alice@x", How: "dtmf"})
	_ = l.Close()
	seg := filepath.Join(dir, "history-0.jsonl")
	f, _ := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.WriteString(`{"seq":2,"time":"2026-`) // a write cut short
	_ = f.Close()
	l2 := mustOpen(t, dir, Options{})
	if err := l2.Add(Entry{Kind: KindRing}); err != nil {
		t.Fatal(err)
	}
	_ = l2.Close()
	l3 := mustOpen(t, dir, Options{})
	got := l3.List(Filter{})
	if len(got) != 2 || got[0].Who != "sip:alice@x" || got[1].Kind != KindRing {
		t.Fatalf("entries after a torn write: %+v", got)
	}
}

// TestKillAnyPoint kills a writer process (SIGKILL) while it appends,
// many times: every entry it reported written is there afterwards, and
// the history opens and takes new entries.
func TestKillAnyPoint(t *testing.T) {
	if os.Getenv("HISTORY_WRITER") != "" {
		runWriter(os.Getenv("HISTORY_WRITER"))
		return
	}
	dir := t.TempDir()
	o := Options{MaxEntries: 40, MaxBytes: 4000}
	acked := 0
	for round := range 20 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillAnyPoint$")
		cmd.Env = append(os.Environ(), "HISTORY_WRITER="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		want := 1 + round%7 // entries to see acknowledged before the kill
		for seen := 0; seen < want && sc.Scan(); {
			if strings.HasPrefix(sc.Text(), "added ") {
				seen++
				acked, _ = strconv.Atoi(strings.TrimPrefix(sc.Text(), "added "))
			}
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		l, err := Open(dir, o)
		if err != nil {
			t.Fatalf("round %d: open after kill: %v", round, err)
		}
		got := l.List(Filter{})
		if len(got) == 0 || got[len(got)-1].Seq < uint64(acked) {
			t.Fatalf("round %d: acknowledged seq %d missing; newest %v", round, acked, got)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Seq != got[i-1].Seq+1 {
				t.Fatalf("round %d: gap in history: %d then %d", round, got[i-1].Seq, got[i].Seq)
			}
		}
		_ = l.Close()
	}
	if n, lines := dirBytes(t, dir); n > o.MaxBytes+200 || lines > o.MaxEntries+1 {
		t.Fatalf("on disk %d bytes, %d lines", n, lines)
	}
}

func runWriter(dir string) {
	l, err := Open(dir, Options{MaxEntries: 40, MaxBytes: 4000})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for {
		if err := l.Add(Entry{Kind: KindRing, Who: "sip:visitor@door", Detail: strings.Repeat("x", 20)}); err != nil {
			fmt.Println("add:", err)
			os.Exit(1)
		}
		if err := l.Sync(); err != nil { // acknowledged: on disk
			fmt.Println("sync:", err)
			os.Exit(1)
		}
		fmt.Printf("added %d\n", l.List(Filter{Limit: 1})[0].Seq)
	}
}

func TestHandlerFilters(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	l := mustOpen(t, t.TempDir(), Options{Now: func() time.Time { return now }})
	_ = l.Add(Entry{Time: now.Add(-48 * time.Hour), Kind: KindRing, Who: "old"})
	_ = l.Add(Entry{Time: now.Add(-time.Hour), Kind: KindDoorOpened, Who: "=cmd()", How: "web"})
	_ = l.Add(Entry{Time: now.Add(-time.Minute), Kind: KindRing, Who: "new"})
	_ = l.Sync()
	h := l.Handler()
	for _, tc := range []struct {
		query, want string
		code        int
	}{
		{"", `"who":"old"`, 200},
		{"?kind=door-opened", `"how":"web"`, 200},
		{"?since=24h&kind=ring", `"who":"new"`, 200},
		{"?since=yesterday", "a duration back from now such as 24h", 400},
		{"?format=csv&kind=door-opened", "'=cmd()", 200},
		{"?limit=x", "a positive whole number", 400},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/history"+tc.query, nil))
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s; want %d containing %q", tc.query, rec.Code, rec.Body, tc.code, tc.want)
		}
		if tc.query == "?since=24h&kind=ring" {
			var v struct{ Entries []Entry }
			_ = json.Unmarshal(rec.Body.Bytes(), &v)
			if len(v.Entries) != 1 {
				t.Errorf("since filter: %+v", v.Entries)
			}
		}
	}
}

// A crash inside roll (the new segment made, the oldest not yet removed)
// leaves three segments: Open removes the oldest, so the bounds hold on
// disk (TestKillAnyPoint met this at random).
func TestCrashInsideRollBounded(t *testing.T) {
	dir := t.TempDir()
	o := Options{MaxEntries: 40, MaxBytes: 4000}
	l := mustOpen(t, dir, o)
	for range 40 {
		if err := l.Add(Entry{Kind: KindRing, Who: "sip:visitor@door", Detail: strings.Repeat("x", 20)}); err != nil {
			t.Fatal(err)
		}
	}
	_ = l.Close()
	oldest, next := l.segs[0], l.segs[len(l.segs)-1]+1
	if len(l.segs) != 2 {
		t.Fatalf("setup: %d segments, want 2", len(l.segs))
	}
	if err := os.WriteFile(l.segPath(next), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, dir, o)
	defer l.Close()
	if des, _ := os.ReadDir(dir); len(des) != 2 {
		t.Fatalf("%d segments after open, want 2", len(des))
	}
	if _, err := os.Stat(l.segPath(oldest)); !os.IsNotExist(err) {
		t.Fatalf("the oldest segment %d is still there (%v)", oldest, err)
	}
	if n, _ := dirBytes(t, dir); n > o.MaxBytes/2+200 {
		t.Fatalf("on disk %d bytes after open, want at most half of %d", n, o.MaxBytes)
	}
	if got := l.List(Filter{}); len(got) == 0 || got[len(got)-1].Seq != 40 {
		t.Fatalf("newest entry lost: %v", got)
	}
}
