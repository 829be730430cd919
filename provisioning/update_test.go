package provisioning

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSlots records what an update did to the boot slots.
type fakeSlots struct {
	mu                    sync.Mutex
	written               []byte
	tries, commits, boots int
	trial                 bool
	writeErr              error
}

func (f *fakeSlots) WriteInactive(_ context.Context, _ string, b []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.writeErr != nil {
		return f.writeErr
	}
	f.written = bytes.Clone(b)
	return nil
}
func (f *fakeSlots) TryInactive() error   { f.mu.Lock(); f.tries++; f.mu.Unlock(); return nil }
func (f *fakeSlots) Trial() (bool, error) { return f.trial, nil }
func (f *fakeSlots) Commit() error        { f.mu.Lock(); f.commits++; f.mu.Unlock(); return nil }
func (f *fakeSlots) Reboot() error        { f.mu.Lock(); f.boots++; f.mu.Unlock(); return nil }

// fileServer serves a fixed set of paths on loopback.
func fileServer(t *testing.T, files map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newTestUpdater(t *testing.T, slots BootSlots, health func(context.Context) error) (*Updater, *[]string) {
	t.Helper()
	var hist []string
	var mu sync.Mutex
	u := NewUpdater(UpdaterOptions{
		StateDir: t.TempDir(), Version: "v1", Slots: slots, Images: true,
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Record: func(d string) { mu.Lock(); hist = append(hist, d); mu.Unlock() },
		Health: health, Poll: time.Millisecond,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	})
	return u, &hist
}

// TestUpdateCheck serves root images signed with the real minisign CLI:
// only an image signed by a pinned key is written to the spare root and
// tried (one-shot boot, reboot); unsigned, wrongly signed and corrupted
// images are refused with the reason in the status and the history, and
// not fetched again for the same version.
func TestUpdateCheck(t *testing.T) {
	t.Parallel()
	key, stranger := newMinisignPair(t, "release"), newMinisignPair(t, "stranger")
	const image = "a squashfs root, version v2\n"
	for _, tc := range []struct {
		name     string
		files    map[string]string
		notGok   bool
		wantErr  string // in the refusal; "" means installed
		wantBoot bool
	}{
		{name: "signed", files: map[string]string{"/root.img": image, "/root.img.minisig": key.sign(t, image)}, wantBoot: true},
		{name: "unsigned", files: map[string]string{"/root.img": image}, wantErr: "is not signed"},
		{name: "wrong key", files: map[string]string{"/root.img": image, "/root.img.minisig": stranger.sign(t, image)}, wantErr: "not pinned"},
		{name: "corrupt download", files: map[string]string{"/root.img": image + "x", "/root.img.minisig": key.sign(t, image)}, wantErr: "does not match the file"},
		{name: "garbage signature", files: map[string]string{"/root.img": image, "/root.img.minisig": "hello"}, wantErr: "not a minisign signature"},
		{name: "not gokrazy", notGok: true, files: map[string]string{"/root.img": image, "/root.img.minisig": key.sign(t, image)}, wantErr: "updates with apt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := fileServer(t, tc.files)
			slots := &fakeSlots{}
			var bs BootSlots = slots
			if tc.notGok {
				bs = nil
			}
			u, hist := newTestUpdater(t, bs, nil)
			cfg := Config{SigningKeys: []string{key.pubLine}, Firmware: FirmwareConfig{URL: srv.URL + "/root.img", Version: "v2"}}
			err := u.Check(context.Background(), cfg)
			st := u.Status().Last
			if tc.wantErr == "" {
				if err != nil || string(slots.written) != image || slots.tries != 1 || slots.boots != 1 || st.Phase != PhaseTrial {
					t.Fatalf("err %v, written %q, tries %d, reboots %d, phase %q: want the image tried", err, slots.written, slots.tries, slots.boots, st.Phase)
				}
				if len(*hist) != 1 || !strings.Contains((*hist)[0], "signed by key "+key.id) {
					t.Errorf("history %q, want the install with the key", *hist)
				}
				return
			}
			if !errors.Is(err, ErrFirmware) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err %v, want a refusal with %q", err, tc.wantErr)
			}
			if slots.written != nil || slots.boots != 0 {
				t.Errorf("refused image written (%d bytes) or rebooted (%d)", len(slots.written), slots.boots)
			}
			if st.Phase != PhaseRefused || !strings.Contains(st.Reason, tc.wantErr) || st.Version != "v2" {
				t.Errorf("status %+v, want refused with the reason", st)
			}
			if len(*hist) != 1 || !strings.Contains((*hist)[0], tc.wantErr) {
				t.Errorf("history %q, want the refusal with the reason", *hist)
			}
			if err := u.Check(context.Background(), cfg); err != nil || len(*hist) != 1 {
				t.Errorf("second check: err %v, history %q: want the refusal remembered", err, *hist)
			}
			again, _ := LoadFirmwareState(u.o.StateDir)
			if again.Reason != st.Reason {
				t.Errorf("state on disk %+v, want %+v", again, st)
			}
		})
	}
}

// TestUpdateCheckFetchFails: a server error or a missing image is worth
// another try: not remembered as refused, nothing written.
func TestUpdateCheckFetchFails(t *testing.T) {
	t.Parallel()
	key := newMinisignPair(t, "release")
	srv := fileServer(t, map[string]string{})
	slots := &fakeSlots{}
	u, hist := newTestUpdater(t, slots, nil)
	cfg := Config{SigningKeys: []string{key.pubLine}, Firmware: FirmwareConfig{URL: srv.URL + "/missing.img", Version: "v2"}}
	err := u.Check(context.Background(), cfg)
	if !errors.Is(err, ErrFirmwareFetch) || u.Status().Last.Phase != "" || len(*hist) != 0 || slots.written != nil {
		t.Errorf("err %v, state %+v, history %q: want a download error to retry, nothing remembered", err, u.Status().Last, *hist)
	}
}

// TestUpdateCheckDuringCall: while a call is up nothing is fetched and
// Check says to come back (ErrBusy); once it is over the update goes on.
func TestUpdateCheckDuringCall(t *testing.T) {
	t.Parallel()
	key := newMinisignPair(t, "release")
	const image = "root v2"
	srv := fileServer(t, map[string]string{"/root.img": image, "/root.img.minisig": key.sign(t, image)})
	slots := &fakeSlots{}
	u, _ := newTestUpdater(t, slots, nil)
	busy := true
	u.o.Busy = func() bool { return busy }
	cfg := Config{SigningKeys: []string{key.pubLine}, Firmware: FirmwareConfig{URL: srv.URL + "/root.img", Version: "v2"}}
	if err := u.Check(context.Background(), cfg); !errors.Is(err, ErrBusy) || slots.written != nil || slots.boots != 0 {
		t.Fatalf("during a call: err %v, written %q, reboots %d", err, slots.written, slots.boots)
	}
	busy = false
	if err := u.Check(context.Background(), cfg); err != nil || string(slots.written) != image || slots.boots != 1 {
		t.Fatalf("after the call: err %v, written %q, reboots %d", err, slots.written, slots.boots)
	}
}

// TestUpdateCheckNothingToDo: no URL, or the running version, fetches
// nothing.
func TestUpdateCheckNothingToDo(t *testing.T) {
	t.Parallel()
	slots := &fakeSlots{}
	u, hist := newTestUpdater(t, slots, nil)
	for _, fw := range []FirmwareConfig{{}, {URL: "http://127.0.0.1:1/x", Version: "v1"}} {
		if err := u.Check(context.Background(), Config{Firmware: fw}); err != nil || len(*hist) != 0 {
			t.Errorf("%+v: err %v, history %q", fw, err, *hist)
		}
	}
}

// TestUpdateFinish: the boot that tries the new firmware keeps it after
// consecutive healthy checks, or records why and reboots into the old one
// when the window ends; the old firmware booted after a try records the
// rollback.
func TestUpdateFinish(t *testing.T) {
	t.Parallel()
	unhealthy := errors.New("not registered: sip:door@pbx is failed")
	for _, tc := range []struct {
		name        string
		running     string
		trial       bool
		health      func(context.Context) error
		wantPhase   string
		wantCommits int
		wantReboots int
		wantHist    string
	}{
		{"healthy", "v2", true, func(context.Context) error { return nil }, PhaseInstalled, 1, 0, "updated from v1 to v2"},
		{"unhealthy", "v2", true, func(context.Context) error { return unhealthy }, PhaseFailed, 0, 1, "failed its health check"},
		{"back on the old one", "v1", false, nil, PhaseFailed, 0, 0, "rolled back to v1"},
		{"switch failed, old one with try flag", "v1", true, nil, PhaseFailed, 0, 0, "rolled back to v1"},
		{"kept before a crash", "v2", false, nil, PhaseInstalled, 1, 0, "updated from v1 to v2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			slots := &fakeSlots{trial: tc.trial}
			dir := t.TempDir()
			if err := SaveFirmwareState(dir, FirmwareState{Phase: PhaseTrial, Version: "v2", From: "v1", URL: "http://x/r"}); err != nil {
				t.Fatal(err)
			}
			var hist []string
			now := time.Unix(1e9, 0)
			u := NewUpdater(UpdaterOptions{StateDir: dir, Version: tc.running, Slots: slots,
				Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Record: func(d string) { hist = append(hist, d) },
				Health: tc.health, Now: func() time.Time { return now }, Poll: time.Second,
				Sleep: func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil }})
			if err := u.Finish(context.Background(), 10*time.Second); err != nil {
				t.Fatal(err)
			}
			st, _ := LoadFirmwareState(dir)
			if st.Phase != tc.wantPhase || slots.commits != tc.wantCommits || slots.boots != tc.wantReboots {
				t.Errorf("phase %q, %d commits, %d reboots; want %q, %d, %d", st.Phase, slots.commits, slots.boots, tc.wantPhase, tc.wantCommits, tc.wantReboots)
			}
			if len(hist) != 1 || !strings.Contains(hist[0], tc.wantHist) {
				t.Errorf("history %q, want %q", hist, tc.wantHist)
			}
			if tc.name == "unhealthy" && !strings.Contains(st.Reason, unhealthy.Error()) {
				t.Errorf("reason %q lacks the failed check", st.Reason)
			}
		})
	}
}

// TestCountTrialStart: starts are counted only on a trial boot with an
// update being tried; past MaxTrialStarts the caller is told to reboot.
func TestCountTrialStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := SaveFirmwareState(dir, FirmwareState{Phase: PhaseTrial, Version: "v2"}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= MaxTrialStarts+1; i++ {
		if give, err := CountTrialStart(dir, false, time.Now()); give || err != nil {
			t.Fatalf("ordinary boot: give up %v, err %v", give, err)
		}
		give, err := CountTrialStart(dir, true, time.Now())
		if err != nil || give != (i > MaxTrialStarts) {
			t.Fatalf("start %d: give up %v, err %v", i, give, err)
		}
	}
	st, _ := LoadFirmwareState(dir)
	if st.Phase != PhaseTrial || !strings.Contains(st.Reason, "did not start") {
		t.Errorf("state %+v: want the trial left for the old firmware to record, with the reason", st)
	}
}

// TestFirmwareConfigValidate: a firmware URL needs a version and pinned
// signing keys.
func TestFirmwareConfigValidate(t *testing.T) {
	t.Parallel()
	key := newMinisignPair(t, "k")
	for _, tc := range []struct {
		name string
		c    Config
		want string
	}{
		{"ok", Config{SigningKeys: []string{key.pubLine}, Firmware: FirmwareConfig{URL: "https://fw.example/r.img", Version: "v2"}}, ""},
		{"no version", Config{SigningKeys: []string{key.pubLine}, Firmware: FirmwareConfig{URL: "https://fw.example/r.img"}}, "firmware.version: must be set"},
		{"no keys", Config{Firmware: FirmwareConfig{URL: "https://fw.example/r.img", Version: "v2"}}, "needs provisioning.signing_keys"},
		{"ftp", Config{SigningKeys: []string{key.pubLine}, Firmware: FirmwareConfig{URL: "ftp://fw.example/r.img", Version: "v2"}}, "firmware.url: must start with http"},
		{"short window", Config{Firmware: FirmwareConfig{HealthWindow: time.Second}}, "firmware.health_window"},
		{"zero window", Config{Firmware: FirmwareConfig{}}, "firmware.health_window"},
	} {
		c := DefaultConfig()
		c.SigningKeys, c.Firmware = tc.c.SigningKeys, tc.c.Firmware
		if c.Firmware.HealthWindow == 0 && tc.name != "zero window" {
			c.Firmware.HealthWindow = DefaultHealthWindow
		}
		err := c.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
}
