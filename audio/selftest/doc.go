// Package selftest checks a door station's speaker and microphone, as
// commercial door stations do: it plays a short multi-tone signal through
// the speaker, records the microphone before and while it plays, and
// measures each tone's level against the level played and against the
// room's own noise at that frequency (the frequency response). A
// microphone that delivers nothing (an error, or digital silence) or that
// does not hear the tones is reported as a speaker or microphone fault.
//
// The analysis does not depend on the delay between speaker and
// microphone: each tone is looked for in short sliding blocks over the
// whole recording.
package selftest
