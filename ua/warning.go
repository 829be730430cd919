package ua

import (
	"errors"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/sdp/v3"
	"github.com/sipbell/sipbell/ua/media"
)

// staticCodecs names the static RTP payload types of RFC 3551 that an
// offer may use without an rtpmap line.
var staticCodecs = map[string]string{"0": "PCMU", "3": "GSM", "4": "G723", "5": "DVI4", "6": "DVI4",
	"7": "LPC", "8": "PCMA", "9": "G722", "10": "L16", "11": "L16", "12": "QCELP", "13": "CN",
	"14": "MPA", "15": "G728", "16": "DVI4", "17": "DVI4", "18": "G729"}

// maxNamedCodecs bounds the codec names one Warning lists.
const maxNamedCodecs = 8

// offeredCodecs names the audio codecs of an SDP offer in words (PCMA,
// G729), telephone-event and comfort noise left out, at most
// maxNamedCodecs of them.
func offeredCodecs(offer []byte) []string {
	var d sdp.SessionDescription
	if err := d.Unmarshal(offer); err != nil {
		return nil
	}
	var out []string
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Media != "audio" {
			continue
		}
		for _, pt := range m.MediaName.Formats {
			name := staticCodecs[pt]
			if v, err := strconv.Atoi(pt); err == nil {
				if c, err := d.GetCodecForPayloadType(uint8(v)); err == nil && c.Name != "" {
					name = c.Name
				}
			}
			if name == "" || strings.EqualFold(name, "telephone-event") || strings.EqualFold(name, "CN") {
				continue
			}
			name = sanitize(strings.ToUpper(name))
			if len(name) > 32 {
				name = name[:32]
			}
			out = appendOnce(out, name)
			if len(out) == maxNamedCodecs {
				return out
			}
		}
	}
	return out
}

// incompatibleMedia is the Warning of a 488 Not Acceptable Here (RFC 3261
// §20.43, code 305): the offered codecs and ours, in words.
func (u *UA) incompatibleMedia(offer []byte) sip.Header {
	offered := strings.Join(offeredCodecs(offer), ", ")
	if offered == "" {
		offered = "no audio codec"
	}
	text := "Incompatible media format: offered " + offered + "; we take " + strings.Join(u.mediaCfg.Codecs, ", ")
	return sip.NewHeader("Warning", "305 "+u.warnAgent()+` "`+text+`"`)
}

// warnAgent is the host[:port] a Warning names as its agent.
func (u *UA) warnAgent() string {
	host := u.host
	if host == "" {
		host = "sipbell"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if a := u.Addr(); a != nil {
		return host + ":" + strconv.Itoa(a.Port)
	}
	return host
}

// notAcceptable is the Warning of a 488 for an offer Answer refused:
// 305 naming the codecs when none is in common, else 399 with the reason.
func (u *UA) notAcceptable(offer []byte, err error) sip.Header {
	if errors.Is(err, media.ErrNoCommonCodec) {
		return u.incompatibleMedia(offer)
	}
	return sip.NewHeader("Warning", "399 "+u.warnAgent()+` "`+sanitize(err.Error())+`"`)
}
