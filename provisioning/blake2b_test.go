package provisioning

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestBlake2b512 checks the digest against RFC 7693's "abc" vector and
// against coreutils' b2sum (BLAKE2b-512) at block-boundary lengths.
func TestBlake2b512(t *testing.T) {
	t.Parallel()
	d := blake2b512([]byte("abc"))
	const abc = "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
	if got := hex.EncodeToString(d[:]); got != abc {
		t.Fatalf("BLAKE2b-512(abc) = %s, want %s", got, abc)
	}
	b2sum, err := exec.LookPath("b2sum")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("b2sum (coreutils) missing")
		}
		t.Skip("b2sum missing")
	}
	for _, n := range []int{0, 1, 127, 128, 129, 256, 1000, 70000} {
		msg := bytes.Repeat([]byte{byte(n), 0xa5, 'x'}, n/3+1)[:n]
		cmd := exec.Command(b2sum)
		cmd.Stdin = bytes.NewReader(msg)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("b2sum: %v", err)
		}
		d := blake2b512(msg)
		if want := strings.Fields(string(out))[0]; hex.EncodeToString(d[:]) != want {
			t.Errorf("%d bytes: digest %x, b2sum says %s", n, d, want)
		}
	}
}
