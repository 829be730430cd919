package provisioning

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// AgeKeyFile is the name, in the state directory, of the device's own
// age X25519 identity (mode 0600), made on first start.
const AgeKeyFile = "age.key"

// ErrEncryption is wrapped by every refusal of a provisioning file for
// its encryption (not encrypted to this device, encryption required).
var ErrEncryption = errors.New("provisioning file encryption refused")

// maxDecrypted bounds the plaintext of an encrypted provisioning file.
const maxDecrypted = 4 << 20

// AgeIdentity is the device's own age identity: files encrypted to its
// Recipient (age -r age1...) are decrypted before they are parsed. The
// secret half is never logged or shown.
type AgeIdentity struct {
	id *age.X25519Identity
}

// Recipient returns the public "age1..." recipient an admin encrypts to.
func (a *AgeIdentity) Recipient() string {
	if a == nil {
		return ""
	}
	return a.id.Recipient().String()
}

// String shows only the recipient, so that printing the identity by
// mistake does not leak the secret.
func (a *AgeIdentity) String() string { return a.Recipient() }

// LoadOrCreateAgeIdentity reads the identity at path, or makes a new one
// there (mode 0600, written atomically; a temporary file left by an
// interrupted first start removed) when the file does not exist.
func LoadOrCreateAgeIdentity(path string) (*AgeIdentity, bool, error) {
	raw, err := os.ReadFile(path)
	if err == nil {
		id, err := parseAgeKey(raw)
		if err != nil {
			return nil, false, fmt.Errorf("age identity %s: %w", path, err)
		}
		return &AgeIdentity{id: id}, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("read age identity %s: %w", path, err)
	}
	// A temporary file left by a power cut during the first start.
	if _, err := cleanTempOf(path); err != nil {
		return nil, false, err
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, false, fmt.Errorf("make age identity: %w", err)
	}
	body := fmt.Sprintf("# sipbell device identity\n# public key: %s\n%s\n", id.Recipient(), id)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("write age identity %s: %w", path, err)
	}
	if err := WriteFileAtomic(path, []byte(body), 0o600); err != nil {
		return nil, false, fmt.Errorf("age identity: %w", err)
	}
	return &AgeIdentity{id: id}, true, nil
}

// parseAgeKey reads an age-keygen style file: comments and one key line.
func parseAgeKey(raw []byte) (*age.X25519Identity, error) {
	for _, l := range strings.Split(string(raw), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		id, err := age.ParseX25519Identity(l)
		if err != nil {
			return nil, errors.New("not an age X25519 identity")
		}
		return id, nil
	}
	return nil, errors.New("no identity in the file")
}

// isAgeEncrypted tells an age file (binary or ASCII-armored) by its header.
func isAgeEncrypted(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return bytes.HasPrefix(b, []byte("age-encryption.org/v1\n")) ||
		bytes.HasPrefix(b, []byte(armor.Header))
}

// decryptFile returns body decrypted with the device's identity when it
// is an age file; a plain body is returned as is unless require is set.
// Errors wrap ErrEncryption and name the file.
func (a *AgeIdentity) decryptFile(name string, body []byte, require bool) ([]byte, bool, error) {
	if !isAgeEncrypted(body) {
		if require {
			return nil, false, fmt.Errorf("%w: %s is not encrypted (provisioning.require_encryption)", ErrEncryption, name)
		}
		return body, false, nil
	}
	if a == nil {
		return nil, false, fmt.Errorf("%w: %s is age-encrypted but the device has no identity", ErrEncryption, name)
	}
	var in io.Reader = bytes.NewReader(bytes.TrimLeft(body, " \t\r\n"))
	if !bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("age-encryption.org/v1\n")) {
		in = armor.NewReader(in)
	}
	r, err := age.Decrypt(in, a.id)
	var nm *age.NoIdentityMatchError
	switch {
	case errors.As(err, &nm):
		return nil, false, fmt.Errorf("%w: %s is encrypted to another recipient, not this device's %s", ErrEncryption, name, a.Recipient())
	case err != nil:
		return nil, false, fmt.Errorf("%w: %s: %w", ErrEncryption, name, err)
	}
	out, err := io.ReadAll(io.LimitReader(r, maxDecrypted+1))
	switch {
	case err != nil:
		return nil, false, fmt.Errorf("%w: %s: %w", ErrEncryption, name, err)
	case len(out) > maxDecrypted:
		return nil, false, fmt.Errorf("%w: %s decrypts to more than %d bytes", ErrEncryption, name, maxDecrypted)
	}
	return out, true, nil
}
