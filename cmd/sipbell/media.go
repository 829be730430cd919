package main

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/aec"
	"github.com/sipbell/sipbell/audio/audiodev"
	"github.com/sipbell/sipbell/provisioning"
	"github.com/sipbell/sipbell/ua"
	"github.com/sipbell/sipbell/ua/media"
)

// mediaHandler adapts media.Manager (RTP sessions by call ID) to the user
// agent's MediaHandler seam, and gives each call its own sound devices.
type mediaHandler struct {
	m     *media.Manager
	audio *callAudio
	log   *slog.Logger
	trim  *memTrim // held off while a call's media is open
}

func (h mediaHandler) Open(ctx context.Context, ip netip.Addr, c ua.MediaCall) (netip.AddrPort, error) {
	h.trim.hold()
	ap, err := h.m.Open(ctx, ip, c.ID, media.CallHooks{OnDTMF: c.OnDTMF, OnTimeout: c.OnTimeout})
	if err != nil {
		h.trim.release()
	}
	return ap, err
}
func (h mediaHandler) Start(callID string, n media.Negotiated) error {
	h.log.Info("call codec", "call", callID, "codec", n.Codec.Name, "rate", n.Codec.Rate())
	return h.m.Start(callID, n)
}
func (h mediaHandler) SendDTMF(callID string, d byte) error { return h.m.SendDTMF(callID, d) }

// PrepareSpare and CloseSpare keep the next call's RTP sockets bound
// ahead of it (ua.SpareMedia).
func (h mediaHandler) PrepareSpare(ip netip.Addr) error { return h.m.PrepareSpare(ip) }
func (h mediaHandler) CloseSpare()                      { h.m.CloseSpare() }
func (h mediaHandler) Close(callID string) {
	if st, err := h.m.Stats(callID); err == nil && (st.Sent > 0 || st.Received > 0) {
		h.log.Info("call media", "call", callID, "sent", st.Sent, "received", st.Received,
			"lost", st.Lost, "late", st.Late, "duplicate", st.Duplicate, "concealed", st.Concealed,
			"rejected", st.Rejected, "stun", st.STUN, "jitter_ms", st.JitterMS, "delay_ms", st.DelayMS, "remote_lost", st.RemoteLost)
	}
	h.m.Close(callID)
	h.audio.release(callID)
	h.trim.release()
}

// callAudio opens the microphone for each call and closes it when the
// call ends (a capture device left open between calls would overrun, and a
// paced file source would burst to catch up); the calls' received audio
// goes to the core's speaker.
type callAudio struct {
	cfg     audio.Config    // with the board's ALSA devices filled in
	done    <-chan struct{} // closed when the core stops: give up opening
	log     *slog.Logger
	speaker *speaker    // set once the core has opened it
	mic     *handsetMic // mode ata: the handset's microphone, shared with the DTMF detector
	echo    *aec.Path   // the echo canceller between speaker and microphone; nil when off
	rate    int         // the speaker's and microphone's sample rate (deviceRate)
	test    *testRun    // the self-test running, under mu; nil when none
	tester  *selfTester // the speaker and microphone self-test, under mu; nil in mode ata

	side *sidetoneSink // under echo's reference: the phone's sidetone (ata.go); nil without echo

	mu    sync.Mutex
	calls map[string]io.Closer
	live  map[string]bool // calls holding the speaker

	played   audio.Sink       // the speaker's device as opened (media_drops.go)
	dropBase map[string]int64 // its dropped frames as each live call started
}

// audioOpenTimeout bounds how long a call waits for a busy sound card.
const audioOpenTimeout = 5 * time.Second

func newCallAudio(ctx context.Context, cfg provisioning.File, log *slog.Logger) *callAudio {
	acfg := cfg.Audio
	d := cfg.Board.AudioDevices()
	if acfg.Capture == audio.DefaultConfig().Capture && d.Capture != "" {
		acfg.Capture = d.Capture
	}
	if acfg.Playback == audio.DefaultConfig().Playback && d.Playback != "" {
		acfg.Playback = d.Playback
	}
	a := &callAudio{cfg: acfg, done: ctx.Done(), log: log, calls: map[string]io.Closer{}, live: map[string]bool{}}
	a.rate = deviceRate(cfg) // wideband.go
	a.echo = newEchoPath(lineEcho(acfg, cfg.Device.Mode), a.rate, log)
	return a
}

// newEchoPath returns the echo canceller's path when the configuration
// turns it on and there is a speaker and a microphone, else nil.
func newEchoPath(acfg audio.Config, rate int, log *slog.Logger) *aec.Path {
	if !acfg.Echo() {
		return nil
	}
	ec := acfg.EchoCancel
	p, err := aec.NewPath(aec.PathConfig{Canceller: aec.Config{SampleRate: rate, Tail: ec.TailOrDefault(), ComfortNoise: true},
		Delay: ec.Delay, Log: log})
	if err != nil { // Validate bounds every field
		log.Error("echo canceller unavailable", "err", err)
		return nil
	}
	log.Info("echo canceller on", "tail_ms", ec.TailOrDefault().Milliseconds(), "delay_ms", ec.Delay.Milliseconds())
	return p
}

// openCtx is a context for opening a device: bounded by audioOpenTimeout
// and cancelled when the core stops.
func (a *callAudio) openCtx() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), audioOpenTimeout)
	go func() {
		select {
		case <-a.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// openPlayback opens the speaker device.
func (a *callAudio) openPlayback(context.Context) (audio.Sink, error) {
	ctx, cancel := a.openCtx()
	defer cancel()
	sink, err := audiodev.OpenPlaybackRate(ctx, a.cfg, audio.SystemClock(), a.rate)
	if err != nil {
		return nil, err
	}
	a.setPlayed(sink)
	if a.echo != nil {
		a.side = &sidetoneSink{Sink: sink}
		sink = a.echo.Sink(a.side)
	}
	return ratedSink{sink, a.rate}, nil
}

// forCall opens the microphone for one call; a microphone that cannot be
// opened (missing, or held by another process past the timeout) is logged
// and replaced by silence: the door still opens.
func (a *callAudio) forCall(callID string) (audio.Source, audio.Sink, error) {
	a.mu.Lock()
	if !a.live[callID] {
		a.live[callID] = true
		a.markDropsLocked(callID)
		a.speaker.inCall(1)
	}
	a.mu.Unlock()
	a.preemptTest() // the call needs the microphone
	if a.mic != nil {
		return a.mic.callSource(callID), a.speaker.callSink(), nil
	}
	clock := audio.SystemClock()
	ctx, cancel := a.openCtx()
	defer cancel()
	src, err := audiodev.OpenCaptureRate(ctx, a.cfg, clock, a.rate)
	if err != nil {
		a.log.Error("microphone unavailable, the call sends silence", "device", a.cfg.Capture, "err", err)
		src = audio.NewPacedSource(&audio.Silence{}, clock, audio.FrameDuration)
	} else if a.echo != nil {
		src = a.echo.Source(src)
	}
	src = loopCapture(a.cfg.Capture, src) // media_loop.go
	a.mu.Lock()
	a.calls[callID] = src
	a.mu.Unlock()
	cs, sink := a.cleanCall(src, a.speaker.callSink()) // noise suppression, AGC
	return cs, sink, nil
}

// release closes the microphone of a call that ended.
func (a *callAudio) release(callID string) {
	a.mu.Lock()
	src, ok := a.calls[callID]
	delete(a.calls, callID)
	live := a.live[callID]
	delete(a.live, callID)
	a.mu.Unlock()
	if ok {
		src.Close()
	}
	if live { // after the microphone: the speaker keeps a shared clock going until then
		a.speaker.inCall(-1)
		a.reportDrops(callID)
	}
}

// close releases every call's microphone.
func (a *callAudio) close() {
	a.mu.Lock()
	ids := make([]string, 0, len(a.calls))
	for id := range a.calls {
		ids = append(ids, id)
	}
	a.mu.Unlock()
	for _, id := range ids {
		a.release(id)
	}
}
