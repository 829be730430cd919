package provisioning

// decryptAll returns the plaintext of every fetched file: an
// age-encrypted one decrypted with the device's identity, a plain one as
// served (refused when cfg.RequireEncryption). The second result is a
// note for the status source (" (encrypted to the device)" or "").
func (p *Puller) decryptAll(cfg Config, urls []string, got map[string]*cacheEntry) (map[string][]byte, string, error) {
	plain := make(map[string][]byte, len(urls))
	encrypted := 0
	for _, u := range urls {
		b, enc, err := p.age.decryptFile(u, got[u].Body, cfg.RequireEncryption)
		if err != nil {
			return nil, "", err
		}
		if enc {
			encrypted++
			p.log.Info("provisioning file decrypted", "url", u, "recipient", p.age.Recipient())
		}
		plain[u] = b
	}
	if encrypted == 0 {
		return plain, "", nil
	}
	return plain, " (encrypted to the device)", nil
}

// AgeRecipient returns the device's public age recipient ("age1..."),
// which an admin encrypts its files to; empty without an identity.
func (p *Puller) AgeRecipient() string { return p.age.Recipient() }
