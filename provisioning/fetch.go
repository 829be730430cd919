package provisioning

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/icholy/digest"
)

// Identity is what a provisioning server knows the device by.
type Identity struct {
	MAC     net.HardwareAddr
	Serial  string
	Model   string // e.g. "rpi-door"
	Version string // firmware version
}

// UserAgent is the User-Agent of provisioning requests:
// "sipbell/<version> (<model>; <mac>)".
func (id Identity) UserAgent() string {
	v := id.Version
	if v == "" {
		v = "dev"
	}
	return fmt.Sprintf("sipbell/%s (%s; %s)", v, id.Model, id.MAC)
}

// expandTemplate replaces the placeholders of a provisioning URL.
func expandTemplate(t string, id Identity) string {
	hexMAC := strings.ReplaceAll(id.MAC.String(), ":", "")
	return strings.NewReplacer(
		"{mac}", hexMAC,
		"{MAC}", strings.ToUpper(hexMAC),
		"{mac_colons}", id.MAC.String(),
		"{serial}", id.Serial,
		"{model}", id.Model,
	).Replace(t)
}

// ErrFetch is wrapped by every error of a provisioning fetch.
var ErrFetch = errors.New("provisioning fetch failed")

// httpStatusError is a non-2xx, non-304 answer.
type httpStatusError struct {
	url    string
	status int
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("GET %s: server answered %d %s", e.url, e.status, http.StatusText(e.status))
}

// cacheEntry is what was last fetched from one URL, for conditional GETs.
type cacheEntry struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	Body         []byte `json:"body"`
}

// fetcher GETs provisioning files with conditional requests and auth.
type fetcher struct {
	client *http.Client
	ua     string
}

// newHTTPClient returns a client trusting the system roots, or only the
// CAs in caFile, authenticating with user/password (basic or digest,
// whichever the server challenges with).
func newHTTPClient(c Config) (*http.Client, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.Proxy = nil
	base.DisableKeepAlives = true // one fetch an hour: no idle connections kept
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("provisioning ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("provisioning ca_file %s: no PEM certificate in it", c.CAFile)
		}
		base.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	var rt http.RoundTripper = base
	if c.User != "" {
		rt = &authTransport{user: c.User, password: c.Password, base: base}
	}
	return &http.Client{Transport: rt, Timeout: c.Timeout}, nil
}

// get fetches url, conditionally on prev (what was last taken from it,
// nil: nothing). It returns the entry to remember for url (prev itself on
// a 304) and changed=false when the server answered 304 or sent the same
// bytes as prev. It does not remember anything itself: the caller keeps
// the entry once the document has been dealt with.
func (f *fetcher) get(ctx context.Context, url string, prev *cacheEntry) (e *cacheEntry, changed bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, false, fmt.Errorf("%w: GET %s: %w", ErrFetch, url, err)
	}
	req.Header.Set("User-Agent", f.ua)
	req.Header.Set("Accept", "application/yaml, text/yaml, text/plain, */*")
	if prev != nil {
		if prev.ETag != "" {
			req.Header.Set("If-None-Match", prev.ETag)
		}
		if prev.LastModified != "" {
			req.Header.Set("If-Modified-Since", prev.LastModified)
		}
	}
	res, err := f.client.Do(req)
	if err != nil {
		return nil, false, fmt.Errorf("%w: GET %s: %w", ErrFetch, url, err)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusNotModified && prev != nil:
		return prev, false, nil
	case res.StatusCode < 200 || res.StatusCode > 299:
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		return nil, false, fmt.Errorf("%w: %w", ErrFetch, &httpStatusError{url, res.StatusCode})
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxFileSize+1))
	if err != nil {
		return nil, false, fmt.Errorf("%w: GET %s: reading body: %w", ErrFetch, url, err)
	}
	if len(body) > MaxFileSize {
		return nil, false, fmt.Errorf("%w: GET %s: body larger than %d bytes", ErrFetch, url, MaxFileSize)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, false, fmt.Errorf("%w: GET %s: the server sent an empty file (%d bytes); nothing changed", ErrFetch, url, len(body))
	}
	changed = prev == nil || !bytes.Equal(prev.Body, body)
	return &cacheEntry{ETag: res.Header.Get("ETag"), LastModified: res.Header.Get("Last-Modified"), Body: body}, changed, nil
}

// authTransport answers a 401 challenge with digest or basic credentials.
// Credentials are only ever sent after the server asked for them.
type authTransport struct {
	user, password string
	base           http.RoundTripper
}

// RoundTrip sends req and, on a 401 with a Digest or Basic challenge,
// sends it again with credentials. Only bodiless requests are retried.
func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.base.RoundTrip(req)
	if err != nil || res.StatusCode != http.StatusUnauthorized || (req.Body != nil && req.Body != http.NoBody) {
		return res, err
	}
	auth, err := t.answer(req, res.Header)
	if err != nil || auth == "" {
		return res, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	retry := req.Clone(req.Context())
	retry.Header.Set("Authorization", auth)
	return t.base.RoundTrip(retry)
}

// answer builds the Authorization header for the challenge in h, or ""
// when there is no challenge this client can answer.
func (t *authTransport) answer(req *http.Request, h http.Header) (string, error) {
	basic := false
	for _, c := range h.Values("WWW-Authenticate") {
		if digest.IsDigest(c) {
			chal, err := digest.ParseChallenge(c)
			if err != nil {
				return "", fmt.Errorf("digest challenge from %s: %w", req.URL.Host, err)
			}
			cred, err := digest.Digest(chal, digest.Options{
				Method: req.Method, URI: req.URL.RequestURI(), Count: 1,
				Username: t.user, Password: t.password,
			})
			if err != nil {
				return "", fmt.Errorf("digest answer to %s: %w", req.URL.Host, err)
			}
			return cred.String(), nil
		}
		if len(c) >= 5 && strings.EqualFold(c[:5], "basic") {
			basic = true
		}
	}
	if basic {
		r := &http.Request{Header: http.Header{}}
		r.SetBasicAuth(t.user, t.password)
		return r.Header.Get("Authorization"), nil
	}
	return "", nil
}
