package callerid

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/sipbell/sipbell/audio/dtmf"
)

// DTMFFormat is a DTMF caller-ID convention: a number is sent as Start,
// its digits, End; a withheld or unavailable number as PrivateCode or
// UnavailableCode (which carry their own leading digit), then End.
//
// The conventions differ by country and operator, so every part is
// configurable. Two families are common:
//   - C-terminated (DTMFC): A<number>C (some networks start with D);
//     absence B00C (private) and B10C (unavailable). Used for example in
//     Denmark, the Netherlands, Sweden, Finland.
//   - #-terminated (DTMFHash): A<number>#; absence D1# (private) and
//     D3# (unavailable).
type DTMFFormat struct {
	Start, End      byte   // DTMF digits around the number (End may be 0: none)
	PrivateCode     string // digits sent for a withheld number, before End
	UnavailableCode string // digits sent for an unavailable number, before End
}

// The common DTMF caller-ID formats.
var (
	DTMFC    = DTMFFormat{Start: 'A', End: 'C', PrivateCode: "B00", UnavailableCode: "B10"}
	DTMFHash = DTMFFormat{Start: 'A', End: '#', PrivateCode: "D1", UnavailableCode: "D3"}
)

// DTMFOptions shape a DTMF caller-ID transmission. The zero value is
// DTMFC at DefaultDTMFOn/Off and DefaultDTMFLevel.
type DTMFOptions struct {
	// Format is the digit convention; the zero value means DTMFC.
	Format DTMFFormat
	// On and Off are each digit's tone and pause; 0 means the defaults.
	On, Off time.Duration
	// Level is each of the two tones' level in dBm0; 0 means
	// DefaultDTMFLevel. It must be between -40 and -6.
	Level float64
}

// Defaults of DTMFOptions.
const (
	DefaultDTMFOn    = 70 * time.Millisecond
	DefaultDTMFOff   = 70 * time.Millisecond
	DefaultDTMFLevel = -9.0
)

// ErrNoNumber means a DTMF caller ID was asked for a message with neither
// number nor absence reason.
var ErrNoNumber = errors.New("callerid: dtmf: nothing to send")

// DTMFDigits returns the digit string DTMF caller ID sends for m: its
// number (digits 0-9 only, as DTMF CLIP carries nothing else) or the
// absence code, framed by the format's start and end digits. Name and
// date/time are not carried.
func DTMFDigits(m Message, f DTMFFormat) (string, error) {
	if f == (DTMFFormat{}) {
		f = DTMFC
	}
	var b strings.Builder
	switch {
	case m.Number != "":
		if len(m.Number) > MaxNumber || strings.Trim(m.Number, "0123456789") != "" {
			return "", fmt.Errorf("callerid: dtmf: number %q: want up to %d digits 0-9", m.Number, MaxNumber)
		}
		b.WriteByte(f.Start)
		b.WriteString(m.Number)
	case m.NumberAbsent == Private && f.PrivateCode != "":
		b.WriteString(f.PrivateCode)
	case m.NumberAbsent == Unavailable && f.UnavailableCode != "":
		b.WriteString(f.UnavailableCode)
	default:
		return "", fmt.Errorf("%w (number %q, reason %v)", ErrNoNumber, m.Number, m.NumberAbsent)
	}
	if f.End != 0 {
		b.WriteByte(f.End)
	}
	s := b.String()
	for i := range len(s) {
		if _, _, err := dtmf.Freqs(s[i]); err != nil {
			return "", fmt.Errorf("callerid: dtmf: format %+v: %w", f, err)
		}
	}
	return s, nil
}

// DTMF returns the samples of m's DTMF caller ID (see DTMFDigits), each
// digit's tone followed by its pause, made by the audio/dtmf generator.
func DTMF(m Message, o DTMFOptions) ([]int16, error) {
	digits, err := DTMFDigits(m, o.Format)
	if err != nil {
		return nil, err
	}
	if o.On == 0 {
		o.On = DefaultDTMFOn
	}
	if o.Off == 0 {
		o.Off = DefaultDTMFOff
	}
	if o.Level == 0 {
		o.Level = DefaultDTMFLevel
	}
	if !(o.Level >= -40 && o.Level <= -6) {
		return nil, fmt.Errorf("callerid: dtmf: level %g dBm0 outside -40..-6", o.Level)
	}
	gain := math.Pow(10, (o.Level-FullScaleDBm0)/20)
	g, err := dtmf.NewGenerator(digits, o.On, o.Off, gain)
	if err != nil {
		return nil, fmt.Errorf("callerid: dtmf: %w", err)
	}
	n := len(digits) * int((o.On+o.Off)*Rate/time.Second)
	out := make([]int16, 0, n+160)
	frame := make([]int16, 160)
	for {
		switch err := g.Read(context.Background(), frame); {
		case errors.Is(err, io.EOF):
			return out[:min(len(out), n)], nil
		case err != nil:
			return nil, fmt.Errorf("callerid: dtmf: %w", err)
		}
		out = append(out, frame...)
	}
}
