package provisioning

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// ErrSignature is wrapped by every refusal of a provisioning file for its
// minisign signature (missing, malformed, by an unpinned key, or not
// matching the file).
var ErrSignature = errors.New("provisioning file signature refused")

// maxSignatureSize bounds a fetched .minisig file.
const maxSignatureSize = 4 << 10

// minisignKey is a pinned minisign public key (format documented at
// https://jedisct1.github.io/minisign/: base64 of "Ed", an 8-byte key ID
// and the 32-byte Ed25519 public key).
type minisignKey struct {
	id  [8]byte
	pub ed25519.PublicKey
}

// ID is the key ID as minisign prints it (upper-case hex).
func (k minisignKey) ID() string { return keyIDString(k.id) }

func keyIDString(id [8]byte) string {
	return fmt.Sprintf("%X", binary.LittleEndian.Uint64(id[:])) // as minisign prints it: no leading zeros
}

// parseMinisignKey reads a public key: the base64 line ("RW...") alone
// or a whole minisign.pub file (its untrusted comment line is skipped).
func parseMinisignKey(s string) (minisignKey, error) {
	var k minisignKey
	line := ""
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "untrusted comment:") {
			line = l
			break
		}
	}
	raw, err := base64.StdEncoding.DecodeString(line)
	if err != nil || len(raw) != 2+8+ed25519.PublicKeySize || string(raw[:2]) != "Ed" {
		return k, fmt.Errorf("minisign public key %q: not a base64 minisign Ed25519 key (RW... of 56 characters)", abbreviate(line))
	}
	copy(k.id[:], raw[2:10])
	k.pub = ed25519.PublicKey(raw[10:])
	return k, nil
}

func abbreviate(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// parseMinisignKeys parses every pinned key.
func parseMinisignKeys(keys []string) ([]minisignKey, error) {
	out := make([]minisignKey, 0, len(keys))
	for _, s := range keys {
		k, err := parseMinisignKey(s)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// signedBy describes a verified signature for the status line.
type signedBy struct {
	KeyID   string
	Trusted string // the trusted comment, e.g. "timestamp:... file:..."
}

// verifyMinisign checks that sig (the content of a .minisig file) is a
// valid signature of msg by one of keys, over both the file ("ED":
// BLAKE2b-512 prehashed, minisign's default; "Ed": legacy, the file
// itself) and the trusted comment.
func verifyMinisign(keys []minisignKey, msg, sig []byte) (signedBy, error) {
	lines := strings.Split(strings.ReplaceAll(string(sig), "\r\n", "\n"), "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "untrusted comment:") {
		return signedBy{}, fmt.Errorf("%w: not a minisign signature file", ErrSignature)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(lines[1]))
	if err != nil || len(raw) != 2+8+ed25519.SignatureSize {
		return signedBy{}, fmt.Errorf("%w: malformed signature line", ErrSignature)
	}
	alg := string(raw[:2])
	var id [8]byte
	copy(id[:], raw[2:10])
	fileSig := raw[10:]
	trusted, ok := strings.CutPrefix(lines[2], "trusted comment: ")
	if !ok {
		return signedBy{}, fmt.Errorf("%w: no trusted comment line", ErrSignature)
	}
	global, err := base64.StdEncoding.DecodeString(strings.TrimSpace(lines[3]))
	if err != nil || len(global) != ed25519.SignatureSize {
		return signedBy{}, fmt.Errorf("%w: malformed trusted-comment signature", ErrSignature)
	}
	var key *minisignKey
	for i := range keys {
		if keys[i].id == id {
			key = &keys[i]
			break
		}
	}
	if key == nil {
		return signedBy{}, fmt.Errorf("%w: signed by key %s, which is not pinned", ErrSignature, keyIDString(id))
	}
	signed := msg
	switch alg {
	case "ED":
		d := blake2b512(msg)
		signed = d[:]
	case "Ed":
	default:
		return signedBy{}, fmt.Errorf("%w: unknown signature algorithm %q", ErrSignature, alg)
	}
	if !ed25519.Verify(key.pub, signed, fileSig) {
		return signedBy{}, fmt.Errorf("%w: the signature by key %s does not match the file", ErrSignature, key.ID())
	}
	if !ed25519.Verify(key.pub, append(bytes.Clone(fileSig), trusted...), global) {
		return signedBy{}, fmt.Errorf("%w: the trusted comment of key %s's signature was altered", ErrSignature, key.ID())
	}
	return signedBy{KeyID: key.ID(), Trusted: trusted}, nil
}
