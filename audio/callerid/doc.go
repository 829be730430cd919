// Package callerid generates on-hook caller-ID signals as 8 kHz mono int16
// PCM, for an analog phone's earpiece line between the first and second
// ring.
//
// It has two layers. The presentation layer is Message: the calling number,
// name, date/time and the reasons they are absent, encoded as the bytes of
// an MDMF (multiple data message, type 0x80) or SDMF (single data message,
// type 0x04) caller-ID message with its checksum, and parsed back from such
// bytes. The MDMF parameter types are the same in Telcordia GR-30 (Bell
// 202) and ETSI EN 300 659-3 (V.23): 0x01 date/time MMDDHHMM, 0x02 number,
// 0x04 reason the number is absent, 0x07 name, 0x08 reason the name is
// absent.
//
// The physical layer turns bytes into sound: FSK modulates them at 1200
// baud, phase-continuous, as Bell 202 (mark 1200 Hz, space 2200 Hz) or
// ITU-T V.23 as ETSI EN 300 659-1 uses it (mark 1300 Hz, space 2100 Hz),
// each byte framed asynchronously (start bit 0, eight data bits LSB first,
// stop bit 1), after a channel seizure of alternating bits and a mark
// signal of 1 bits. DTMF plays a number as DTMF caller ID (for example
// A<number>C) with the audio/dtmf generator.
//
// Timing against the ringing (Bell: data from 500 ms after the first ring
// to 200 ms before the second; ETSI: after the first ring or after a line
// reversal and alerting signal) is the phone's business, not this
// package's: it returns the samples of one transmission, without leading or
// trailing silence beyond what the options ask for. Source plays such
// samples as an audio source (audio.Source), frame by frame.
package callerid
