// Package alsa plays and captures sound through the Linux ALSA kernel
// interface in pure Go (no cgo, no alsa-lib): it opens
// /dev/snd/pcmC<card>D<device>{p,c} and drives it with the PCM ioctls
// (HW_REFINE/HW_PARAMS, SW_PARAMS, PREPARE, READI/WRITEI), recovering from
// over- and underruns (EPIPE) by re-preparing and from suspend (ESTRPIPE)
// by resuming.
//
// Only hardware devices ("hw:0,0") exist at this level: there are no
// alsa-lib plugins, so the format is negotiated here (interleaved S16_LE,
// one or two channels, the nearest rate the codec offers) and the
// codec's native rate is resampled to and from the 8 kHz call rate.
//
// The kernel structures contain snd_pcm_uframes_t (unsigned long), so their
// size and the ioctl numbers that encode it differ between 32-bit ARM and
// arm64; they are computed from Go structs using uint, never hard-coded.
// All system calls go through a small internal interface so the
// negotiation and recovery logic is unit-tested without a sound card.
package alsa
