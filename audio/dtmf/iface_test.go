package dtmf_test

import (
	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/dtmf"
)

var _ audio.Source = (*dtmf.Generator)(nil)
