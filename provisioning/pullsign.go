package provisioning

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// checkSignatures fetches the detached minisign signature (URL +
// ".minisig") of every fetched file and verifies it against the pinned
// keys of cfg. It returns the signing key IDs for the status line, or
// an error wrapping ErrSignature naming the file and the reason.
func (p *Puller) checkSignatures(ctx context.Context, cfg Config, f *fetcher, urls []string, got map[string]*cacheEntry) (string, error) {
	keys, err := parseMinisignKeys(cfg.SigningKeys)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSignature, err)
	}
	var ids []string
	for _, u := range urls {
		sigURL := u + ".minisig"
		e, _, err := f.get(ctx, sigURL, nil)
		var hs *httpStatusError
		switch {
		case errors.As(err, &hs):
			return "", fmt.Errorf("%w: %s is not signed (GET %s: %d)", ErrSignature, u, sigURL, hs.status)
		case err != nil:
			return "", fmt.Errorf("%w: %s: %w", ErrSignature, u, err)
		case len(e.Body) > maxSignatureSize:
			return "", fmt.Errorf("%w: %s is larger than %d bytes", ErrSignature, sigURL, maxSignatureSize)
		}
		by, err := verifyMinisign(keys, got[u].Body, e.Body)
		if err != nil {
			return "", fmt.Errorf("%s: %w", u, err)
		}
		p.log.Info("provisioning file signature verified", "url", u, "key", by.KeyID, "trusted_comment", by.Trusted)
		ids = append(ids, "key "+by.KeyID)
	}
	return strings.Join(ids, ", "), nil
}
