package main

import "github.com/sipbell/sipbell/audio"

// The speaker's recording (a WAV stand-in for a sound card) drops frames
// instead of stalling the speaker when its disk stalls (wav.Sink); a call
// during which it dropped some says so once, when the call ends.

// setPlayed keeps the speaker's device as opened, to read its count of
// dropped frames (audio.Dropper).
func (a *callAudio) setPlayed(sink audio.Sink) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.played = sink
}

// markDropsLocked notes the speaker's dropped frames as a call starts; a.mu is
// held.
func (a *callAudio) markDropsLocked(callID string) {
	if a.played == nil {
		return
	}
	if a.dropBase == nil {
		a.dropBase = map[string]int64{}
	}
	a.dropBase[callID] = audio.DroppedBy(a.played)
}

// reportDrops logs, once, the frames the speaker's recording dropped
// during the call that ended, when there were any.
func (a *callAudio) reportDrops(callID string) {
	a.mu.Lock()
	base, ok := a.dropBase[callID]
	delete(a.dropBase, callID)
	played := a.played
	a.mu.Unlock()
	if !ok {
		return
	}
	if n := audio.DroppedBy(played) - base; n > 0 {
		a.log.Warn("speaker recording dropped frames: its disk stalled", "call", callID, "device", a.cfg.Playback,
			"frames", n)
	}
}
