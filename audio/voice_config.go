package audio

import "github.com/sipbell/sipbell/internal/cfgerr"

// NoiseConfig is the noise suppressor's section ("audio.noise_suppression:"):
// steady background noise (a street, wind, a fan) is taken out of speech,
// per direction.
type NoiseConfig struct {
	// Microphone runs it on the door's microphone: what the called party
	// hears of the visitor.
	Microphone bool `yaml:"microphone"`
	// Speaker runs it on the call's audio played at the door.
	Speaker bool `yaml:"speaker"`
	// MaxAttenuationDB is how far noise alone is turned down (6 to 30 dB;
	// zero leaves the suppressor's own 15). More removes more noise and
	// colours speech more.
	MaxAttenuationDB float64 `yaml:"max_attenuation_db"`
}

// AGCConfig is the automatic gain control's section ("audio.agc:"): speech
// is brought to a steady level (a visitor far from the microphone or
// talking into it), per direction.
type AGCConfig struct {
	// Microphone runs it on the door's microphone.
	Microphone bool `yaml:"microphone"`
	// Speaker runs it on the call's audio played at the door.
	Speaker bool `yaml:"speaker"`
	// TargetDBFS is the speech level aimed at, in dB below full scale
	// (-30 to -6; zero leaves the AGC's own -20).
	TargetDBFS float64 `yaml:"target_dbfs"`
	// MaxGainDB is the most it amplifies (up to 30 dB; zero leaves the
	// AGC's own 18).
	MaxGainDB float64 `yaml:"max_gain_db"`
}

// validate adds what is wrong with c to errs.
func (c NoiseConfig) validate(errs *cfgerr.List) {
	if a := c.MaxAttenuationDB; a != 0 && !(a >= 6 && a <= 30) {
		errs.Add("noise_suppression.max_attenuation_db", "%g dB: must be 6 to 30 (0: 15)", a)
	}
}

// validate adds what is wrong with c to errs.
func (c AGCConfig) validate(errs *cfgerr.List) {
	if v := c.TargetDBFS; v != 0 && !(v >= -30 && v <= -6) {
		errs.Add("agc.target_dbfs", "%g dBFS: must be -30 to -6 (0: -20)", v)
	}
	if v := c.MaxGainDB; v != 0 && !(v > 0 && v <= 30) {
		errs.Add("agc.max_gain_db", "%g dB: must be 0 to 30 (0: 18)", v)
	}
}
