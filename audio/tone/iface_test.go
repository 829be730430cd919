package tone_test

import (
	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/tone"
)

// The generator is an audio.Source even though package tone does not import
// audio (so that audio.Config can validate tone countries).
var _ audio.Source = (*tone.Generator)(nil)
