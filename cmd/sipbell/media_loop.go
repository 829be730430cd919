package main

import (
	"os"

	"github.com/sipbell/sipbell/audio"
)

// loopCapture returns a call's microphone as the call's media loop should
// read it. The loop, run by the speaker once per frame, takes the due
// frames of a paced source without waiting (audio.TryReader) only when
// reading it can never wait: the silence device, or a WAV recording in a
// regular file. A WAV path that is a pipe or a device is read at its
// writer's pace, so its source keeps a goroutine of its own (the
// speaker must never wait on a microphone).
func loopCapture(device string, src audio.Source) audio.Source {
	if _, ok := src.(audio.TryReader); !ok || device == audio.DeviceSilence {
		return src
	}
	if fi, err := os.Stat(device); err == nil && fi.Mode().IsRegular() {
		return src
	}
	return waitingSource{src}
}

// waitingSource is a Source without TryRead: its reads may wait.
type waitingSource struct{ audio.Source }
