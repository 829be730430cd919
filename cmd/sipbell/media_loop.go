package main

import (
	"os"
	"strings"

	"github.com/sipbell/sipbell/audio"
)

// loopCapture returns a call's microphone as the call's media loop should
// read it. The loop, run by the speaker once per frame, takes the due
// frames of the microphone without waiting (audio.TryReaderOf) only when
// reading it can never wait: a sound card (its TryRead takes what it has
// captured), the silence device, or a WAV recording in a regular file. A
// WAV path that is a pipe or a device is read at its writer's pace, so
// its source keeps a goroutine of its own (the speaker must never wait on
// a microphone).
func loopCapture(device string, src audio.Source) audio.Source {
	if _, ok := audio.TryReaderOf(src); !ok || device == audio.DeviceSilence ||
		!strings.HasSuffix(strings.ToLower(device), ".wav") {
		return src
	}
	if fi, err := os.Stat(device); err == nil && fi.Mode().IsRegular() {
		return src
	}
	return waitingSource{src}
}

// waitingSource is a Source without TryRead: its reads may wait.
type waitingSource struct{ audio.Source }
