package media

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

func addSDPCorpus(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "sdp", "*.sdp"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed corpus in testdata/sdp: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzAnswer checks that any offer gets an answer or a classified error,
// and that an accepted answer is itself acceptable to the offerer side.
func FuzzAnswer(f *testing.F) {
	addSDPCorpus(f)
	f.Fuzz(func(t *testing.T, offer []byte) {
		s := NewSDP(DefaultConfig(), netip.MustParseAddrPort("127.0.0.1:10000"))
		ans, neg, err := s.Answer(offer, SendRecv)
		if err != nil {
			if !errors.Is(err, ErrBadSDP) && !errors.Is(err, ErrNoCommonCodec) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if neg.PTime <= 0 || !neg.Remote.IsValid() {
			t.Fatalf("accepted with bad result %+v", neg)
		}
		if _, _, err := NewSDP(DefaultConfig(), netip.MustParseAddrPort("127.0.0.1:10002")).Answer(ans, SendRecv); err != nil {
			t.Fatalf("our answer is not acceptable SDP: %v\n%s", err, ans)
		}
	})
}

// FuzzParseAnswer checks that any answer to our offer is parsed or refused
// with a classified error.
func FuzzParseAnswer(f *testing.F) {
	addSDPCorpus(f)
	f.Fuzz(func(t *testing.T, answer []byte) {
		s := NewSDP(DefaultConfig(), netip.MustParseAddrPort("127.0.0.1:10000"))
		if _, err := s.Offer(SendRecv); err != nil {
			t.Fatal(err)
		}
		neg, err := s.ParseAnswer(answer)
		if err != nil {
			if !errors.Is(err, ErrBadSDP) && !errors.Is(err, ErrNoCommonCodec) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if neg.Codec.Name != "PCMU" && neg.Codec.Name != "PCMA" {
			t.Fatalf("unexpected codec %+v", neg.Codec)
		}
	})
}
