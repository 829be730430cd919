package history

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"
)

// slowDisk is a sync that blocks until released, counting calls.
type slowDisk struct {
	entered chan struct{} // a sync started
	release chan struct{} // closed: syncs go through
}

func newSlowDisk() *slowDisk {
	return &slowDisk{entered: make(chan struct{}, 1000), release: make(chan struct{})}
}

func (d *slowDisk) sync(f *os.File) error {
	d.entered <- struct{}{}
	<-d.release
	return f.Sync()
}

// TestAddDoesNotWaitForTheDisk: while the disk's fsync hangs, Add
// returns (an incoming call's answer path records its ring), the entries
// are listed once synced, and Close writes every queued entry so a
// restart finds them all.
func TestAddDoesNotWaitForTheDisk(t *testing.T) {
	tests := []struct {
		name string
		n    int // entries added while the disk hangs
	}{
		{"one", 1},
		{"a burst", 50},
		{"a full queue", maxPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			disk := newSlowDisk()
			l, err := Open(dir, Options{syncFile: disk.sync})
			if err != nil {
				t.Fatal(err)
			}
			added := make(chan error, 1)
			go func() {
				var err error
				for i := range tt.n {
					err = errors.Join(err, l.Add(Entry{Kind: KindRing, Who: fmt.Sprintf("sip:v%d@x", i)}))
				}
				added <- err
			}()
			<-disk.entered // the writer is in fsync, and stays there
			select {
			case err := <-added:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second): // only a failure waits this long
				t.Fatal("Add waited for the disk's fsync")
			}
			close(disk.release)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if err := l.Add(Entry{Kind: KindRing}); !errors.Is(err, ErrClosed) {
				t.Fatalf("Add after Close: %v, want ErrClosed", err)
			}
			l2, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer l2.Close()
			got := l2.List(Filter{})
			if len(got) != tt.n || got[len(got)-1].Who != fmt.Sprintf("sip:v%d@x", tt.n-1) {
				t.Fatalf("after Close and Open: %d entries (%v), want %d", len(got), got, tt.n)
			}
		})
	}
}

// TestSyncCoalesces: entries added while an fsync runs share the next
// one, so a burst of n entries costs far fewer than n fsyncs; Sync waits
// for all of them and List then shows them.
func TestSyncCoalesces(t *testing.T) {
	disk := newSlowDisk()
	l := mustOpen(t, t.TempDir(), Options{syncFile: disk.sync})
	const n = 100
	for i := range n {
		if err := l.Add(Entry{Kind: KindRing, Who: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	close(disk.release)
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := l.List(Filter{}); len(got) != n {
		t.Fatalf("listed %d entries after Sync, want %d", len(got), n)
	}
	if syncs := len(disk.entered); syncs > 2 {
		t.Fatalf("%d fsyncs for %d entries added during one, want at most 2", syncs, n)
	}
}

// TestWriteFailureReported: a failing disk makes Sync and the next Add
// wrap ErrWrite; the entries stay listed.
func TestWriteFailureReported(t *testing.T) {
	boom := errors.New("disk gone")
	l := mustOpen(t, t.TempDir(), Options{syncFile: func(*os.File) error { return boom }})
	if err := l.Add(Entry{Kind: KindRing}); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(); !errors.Is(err, ErrWrite) || !errors.Is(err, boom) {
		t.Fatalf("Sync on a failing disk: %v", err)
	}
	if err := l.Add(Entry{Kind: KindRing}); !errors.Is(err, ErrWrite) {
		t.Fatalf("Add after a failed write: %v", err)
	}
	_ = l.Sync()
	if got := l.List(Filter{}); len(got) != 2 {
		t.Fatalf("listed %d, want 2", len(got))
	}
}
