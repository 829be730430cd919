package main

import "github.com/sipbell/sipbell/ua"

// callMedia says in GET /api/status whether a call's media is encrypted
// ("" before its media is negotiated).
func callMedia(c ua.Call) string {
	n, ok := c.Media()
	if !ok {
		return ""
	}
	return mediaDetail(n.SRTP.Suite()) // history.go
}
