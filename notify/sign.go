package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names of a signed webhook request.
const (
	HeaderSignature = "X-Sipbell-Signature"
	HeaderTimestamp = "X-Sipbell-Timestamp"
)

// ErrBadSignature is wrapped by Verify's errors.
var ErrBadSignature = errors.New("bad webhook signature")

// Sign returns the X-Sipbell-Signature value for body sent at ts:
// "sha256=" + hex(HMAC-SHA256(secret, "<unix ts>." + body)).
func Sign(secret string, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a received request the way a receiver should: the
// signature matches (constant-time) and the timestamp is within
// tolerance of now, so a captured request cannot be replayed later.
func Verify(secret, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("verify: timestamp %q: %w", timestamp, ErrBadSignature)
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return fmt.Errorf("verify: timestamp %v is %v away from now: %w", ts.UTC(), d.Round(time.Second), ErrBadSignature)
	}
	want := Sign(secret, ts, body)
	if !hmac.Equal([]byte(want), []byte(strings.TrimSpace(signature))) {
		return fmt.Errorf("verify: signature does not match: %w", ErrBadSignature)
	}
	return nil
}
