package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/selftest"
	"github.com/sipbell/sipbell/provisioning"
)

// TestSelfTestStore: the last self-test outcome is kept in the state
// directory, read back whole, bounded, and a damaged or oversize file is an
// error, not a result.
func TestSelfTestStore(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC)
	pass := selftest.Result{Time: at, Pass: true, Verdict: selftest.VerdictPass, Detail: "7 of 7 tones heard",
		LevelDB: -20.1, NoiseDBFS: -60.3, Bands: []selftest.Band{{Hz: 300, ResponseDB: -20.1, SNRDB: 40, Heard: true}}}
	long := selftest.Result{Time: at, Verdict: selftest.VerdictFault, Detail: strings.Repeat("é", 4000), LevelDB: -120,
		NoiseDBFS: -120, Bands: make([]selftest.Band, 100)}
	for _, tc := range []struct {
		name    string
		file    string           // written before Load; "" none
		save    *selftest.Result // saved before Load
		want    *selftest.Result
		wantErr string
	}{
		{name: "nothing kept yet"},
		{name: "kept", save: &pass, want: &pass},
		{name: "bounded", save: &long},
		{name: "damaged", file: `{"time":"2026-`, wantErr: "read self-test"},
		{name: "oversize", file: `{"detail":"` + strings.Repeat("x", maxSelfTestFile) + `"}`, wantErr: "too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "state") // made by Save
			s := newSelfTestStore(dir)
			if tc.file != "" {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, selfTestFile), []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.save != nil {
				if err := s.Save(*tc.save); err != nil {
					t.Fatalf("Save: %v", err)
				}
			}
			got, err := s.Load()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || got != nil {
					t.Fatalf("Load = %v, %v; want an error with %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			switch {
			case tc.name == "bounded":
				if got == nil || len(got.Detail) > maxSelfTestDetail+len("…") || len(got.Bands) != maxSelfTestBands ||
					!strings.HasSuffix(got.Detail, "é…") || !got.Time.Equal(at) {
					t.Fatalf("Load = %+v, want a bounded outcome", got)
				}
			case tc.want == nil:
				if got != nil {
					t.Fatalf("Load = %+v, want none", got)
				}
			default:
				if got == nil || !got.Time.Equal(tc.want.Time) || got.String() != tc.want.String() ||
					got.NoiseDBFS != tc.want.NoiseDBFS || len(got.Bands) != len(tc.want.Bands) || got.Bands[0] != tc.want.Bands[0] {
					t.Fatalf("Load = %+v, want %+v", got, tc.want)
				}
			}
			left, _ := filepath.Glob(filepath.Join(dir, ".*"))
			if len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

// TestSelfTestStoreNone: without a state directory nothing is kept and
// nothing fails.
func TestSelfTestStoreNone(t *testing.T) {
	t.Parallel()
	s := newSelfTestStore("")
	if err := s.Save(selftest.Result{Pass: true}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Load(); r != nil || err != nil {
		t.Fatalf("Load = %v, %v; want nothing", r, err)
	}
	if _, err := newSelfTestStore(t.TempDir()).Load(); errors.Is(err, provisioning.ErrStateTooLarge) {
		t.Fatal(err)
	}
}

// TestSelfTestFirstWait: the schedule's first test is due an interval
// after the kept outcome, so restarts do not put it off.
func TestSelfTestFirstWait(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		last *selftest.Result
		want time.Duration
	}{
		{"none kept", nil, 24 * time.Hour},
		{"kept 1 h ago", &selftest.Result{Time: now.Add(-time.Hour)}, 23 * time.Hour},
		{"kept 2 days ago", &selftest.Result{Time: now.Add(-48 * time.Hour)}, selfTestRetry},
		{"kept in the future (clock set back)", &selftest.Result{Time: now.Add(time.Hour)}, 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			waits := make(chan time.Duration, 1)
			s := &selfTester{cfg: audio.SelfTestConfig{Interval: 24 * time.Hour}, last: tc.last, now: func() time.Time { return now },
				after: func(d time.Duration) <-chan time.Time { waits <- d; cancel(); return nil }}
			if err := s.schedule(ctx); err != nil {
				t.Fatal(err)
			}
			if got := <-waits; got != tc.want {
				t.Fatalf("first wait %v, want %v", got, tc.want)
			}
		})
	}
}
