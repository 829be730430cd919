package main

import (
	"encoding/json"

	"github.com/sipbell/sipbell/ua"
)

// callMedia says in GET /api/status whether a call's media is encrypted
// ("" before its media is negotiated).
func callMedia(c ua.Call) string {
	n, ok := c.Media()
	if !ok {
		return ""
	}
	return mediaDetail(n.SRTP.Suite()) // history.go
}

// withEncryption returns the device's status section st with an
// "encryption" field: whether the media of the device's call is
// encrypted and how ("media encrypted (SRTP AES_CM_128_HMAC_SHA1_80 via
// DTLS)", "media not encrypted"), "no call" when there is none with
// media. st is returned as it is if it is not a JSON object.
func withEncryption(st any, calls []ua.Call) any {
	b, err := json.Marshal(st)
	if err != nil {
		return st
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return st
	}
	m["encryption"] = "no call"
	for _, c := range calls {
		if detail := callMedia(c); detail != "" {
			m["encryption"] = detail
			break
		}
	}
	return m
}
