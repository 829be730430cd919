package provisioning

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"go.yaml.in/yaml/v3"
)

// Submitter takes a fetched configuration document; *Manager is one.
type Submitter interface {
	// Submit parses, validates and applies a document.
	Submit(ctx context.Context, source string, data []byte) (Result, error)
	// Current returns the configuration in force.
	Current() File
	// Record stores and logs the result of a fetch that was not submitted.
	Record(r Result)
}

// Backoff bounds of failed fetches.
const (
	backoffMin = 10 * time.Second
	backoffMax = 15 * time.Minute
)

// PullerOptions configure a Puller.
type PullerOptions struct {
	Config   Config
	Identity Identity
	Target   Submitter
	Clock    clockwork.Clock // default: real clock
	Log      *slog.Logger    // default: slog.Default()
	Rand     func() float64  // [0,1) for jitter; default math/rand/v2
	// StateFile keeps what was last taken from the server across
	// restarts (normally StateDir/PullStateFile), so that an unchanged
	// server file is not applied again over a local change after a
	// restart. Empty: remembered in memory only.
	StateFile string
	// AgeIdentity decrypts files encrypted to the device; nil: an
	// encrypted file is refused.
	AgeIdentity *AgeIdentity
}

// Puller fetches the device's configuration over HTTP(S) at start, every
// Config.Interval (plus a random offset), at once on SyncNow, and again
// with capped exponential backoff after a failure.
//
// The server's file is applied only when it changes (a new ETag or new
// content since the one last taken), so a local change (web page, API)
// stays in force until the server publishes something new; what was last
// taken is remembered across restarts in StateFile.
type Puller struct {
	id     Identity
	target Submitter
	clk    clockwork.Clock
	log    *slog.Logger
	rnd    func() float64
	sync   chan struct{}
	cfgc   chan Config
	syncMu sync.Mutex // one fetch at a time

	// Guarded by syncMu: what was last taken from each URL.
	cache     map[string]*cacheEntry
	stateFile string
	age       *AgeIdentity

	mu       sync.Mutex
	cfg      Config
	fetch    *fetcher
	last     Result
	url      string
	failures int
}

// NewPuller returns a Puller; Run starts it.
func NewPuller(opts PullerOptions) (*Puller, error) {
	if opts.Target == nil {
		return nil, errors.New("provisioning puller: Target is required")
	}
	p := &Puller{
		id: opts.Identity, target: opts.Target, clk: opts.Clock, log: opts.Log, rnd: opts.Rand,
		sync: make(chan struct{}, 1), cfgc: make(chan Config, 1), stateFile: opts.StateFile,
		age: opts.AgeIdentity,
	}
	if p.clk == nil {
		p.clk = clockwork.NewRealClock()
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	if p.rnd == nil {
		p.rnd = rand.Float64
	}
	if err := p.setConfig(opts.Config); err != nil {
		return nil, err
	}
	if removed, err := cleanTempOf(p.stateFile); len(removed) > 0 || err != nil {
		p.log.Info("temporary files of an interrupted save removed", "files", removed, "err", err)
	}
	cache, err := loadPullState(p.stateFile)
	if err != nil {
		p.log.Warn("provisioning state not read: the next fetch is taken as new", "err", err)
	}
	p.cache = cache
	return p, nil
}

func (p *Puller) setConfig(c Config) error {
	client, err := newHTTPClient(c)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg = c
	p.fetch = &fetcher{client: client, ua: p.id.UserAgent()}
	return nil
}

// fetchSettings is the part of a provisioning section that says where
// and how to fetch (rollback, state dir and admin server left out).
func fetchSettings(c Config) Config {
	c.RollbackAfter, c.StateDir, c.Admin = 0, "", AdminConfig{}
	if len(c.DHCPLeaseFiles) == 0 {
		c.DHCPLeaseFiles = nil
	}
	return c
}

// SetConfig makes a changed provisioning section take effect (new URL,
// credentials, interval); the next fetch uses it at once. A section whose
// fetch settings are unchanged (every applied configuration is handed
// here) changes nothing and does not fetch. What was last taken from a
// URL is kept across a change, so a file the server has not changed is
// not applied again; a new URL is fetched as new.
func (p *Puller) SetConfig(c Config) error {
	p.mu.Lock()
	same := reflect.DeepEqual(fetchSettings(p.cfg), fetchSettings(c))
	if same {
		p.cfg = c
	}
	p.mu.Unlock()
	if same {
		return nil
	}
	if err := p.setConfig(c); err != nil {
		return err
	}
	select {
	case p.cfgc <- c:
	default:
	}
	return nil
}

// SyncNow asks for an immediate fetch (e.g. on a SIP NOTIFY with
// Event: check-sync, or the admin's "provision now"). It does not block.
func (p *Puller) SyncNow() {
	select {
	case p.sync <- struct{}{}:
	default:
	}
}

// Last returns the result of the last fetch.
func (p *Puller) Last() Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

// URL returns the per-device URL last fetched ("" when none is known).
func (p *Puller) URL() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.url
}

// Run fetches until ctx is done.
func (p *Puller) Run(ctx context.Context) error {
	for {
		err := p.Sync(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait, ok := p.nextWait(err)
		var timer <-chan time.Time
		stop := func() bool { return false }
		if ok {
			t := p.clk.NewTimer(wait)
			timer, stop = t.Chan(), t.Stop
			p.log.Debug("next provisioning fetch", "in", wait.Round(time.Second))
		}
		select {
		case <-ctx.Done():
			stop()
			return nil
		case <-timer:
		case <-p.sync:
		case <-p.cfgc:
		}
		stop()
	}
}

// nextWait is how long to wait after a fetch: the interval plus up to a
// tenth of it at random after success (false: no periodic fetch), and a
// jittered exponential backoff after a failure, capped at the interval.
func (p *Puller) nextWait(err error) (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil || errors.Is(err, ErrInvalid) || errors.Is(err, ErrNoURL) {
		// An invalid file is not retried early: the server has it wrong
		// and will not change it in the next seconds.
		p.failures = 0
		if p.cfg.Interval <= 0 {
			return 0, false
		}
		return p.cfg.Interval + time.Duration(p.rnd()*float64(p.cfg.Interval/10)), true
	}
	p.failures++
	d := backoffMin << min(p.failures-1, 16)
	limit := backoffMax
	if p.cfg.Interval > 0 {
		limit = min(limit, p.cfg.Interval)
	}
	d = min(d, limit)
	// "Equal jitter": half fixed, half random, so retries spread out but
	// never come back faster than half the step.
	return d/2 + time.Duration(p.rnd()*float64(d/2)), true
}

// ErrNoURL says pull provisioning is off: no URL is configured and no
// DHCP server gave one.
var ErrNoURL = errors.New("no provisioning URL configured or given by DHCP")

// template returns the URL template to fetch and the source name of a
// fetch ("pull", or "pull (dhcp)" for a URL from a DHCP lease), or ""
// when there is none.
func template(cfg Config) (tmpl, source string) {
	if cfg.URL != "" {
		return cfg.URL, "pull"
	}
	files := cfg.DHCPLeaseFiles
	if cfg.DHCPInform != "" { // dhcpinform.go
		files = append(files[:len(files):len(files)], filepath.Join(cfg.StateDir, DHCPInformFile))
	}
	if u := URLFromDHCP(files); u != "" {
		return u, "pull (dhcp)"
	}
	return "", "pull"
}

// Trigger asks for an immediate fetch, like SyncNow, and returns the URL
// that will be fetched; with no URL configured or given by DHCP it asks
// for nothing and returns ErrNoURL.
func (p *Puller) Trigger() (string, error) {
	p.mu.Lock()
	cfg := p.cfg
	p.mu.Unlock()
	tmpl, _ := template(cfg)
	if tmpl == "" {
		return "", ErrNoURL
	}
	p.SyncNow()
	return expandTemplate(tmpl, p.id), nil
}

// Sync fetches the configuration once and hands it to the target when
// it changed. It returns the fetch or validation error, if any.
func (p *Puller) Sync(ctx context.Context) error {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	p.mu.Lock()
	cfg, f := p.cfg, p.fetch
	p.mu.Unlock()
	r, err := p.sync1(ctx, cfg, f)
	if r.Time.IsZero() {
		r.Time = p.clk.Now()
	}
	p.mu.Lock()
	p.last = r
	p.mu.Unlock()
	switch {
	case errors.Is(err, ErrNoURL):
		p.log.Debug("pull provisioning off", "reason", err)
	case err != nil && r.Outcome == OutcomeFetchFailed:
		p.log.Warn("provisioning fetch failed", "err", err)
	}
	return err
}

func (p *Puller) sync1(ctx context.Context, cfg Config, f *fetcher) (Result, error) {
	tmpl, source := template(cfg)
	if tmpl == "" {
		return Result{Source: "pull", Outcome: OutcomeOff, Message: ErrNoURL.Error()}, ErrNoURL
	}
	url := expandTemplate(tmpl, p.id)
	p.mu.Lock()
	p.url = url
	p.mu.Unlock()
	source += " " + url
	var urls []string
	if cfg.CommonURL != "" {
		urls = append(urls, expandTemplate(cfg.CommonURL, p.id))
	}
	urls = append(urls, url)
	got := make(map[string]*cacheEntry, len(urls))
	changed := false
	for _, u := range urls {
		e, ch, err := f.get(ctx, u, p.cache[u])
		if err != nil {
			return Result{Source: source, Outcome: OutcomeFetchFailed, Message: err.Error()}, err
		}
		got[u], changed = e, changed || ch
	}
	if !changed {
		p.remember(got)
		return Result{Source: source, Outcome: OutcomeNotModified}, nil
	}
	if len(cfg.SigningKeys) > 0 {
		signers, err := p.checkSignatures(ctx, cfg, f, urls, got)
		if err != nil {
			p.remember(nil)
			r := Result{Time: p.clk.Now(), Source: source, Outcome: OutcomeInvalid,
				Message: "configuration refused, nothing changed: " + err.Error()}
			p.target.Record(r)
			return r, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		source += " (signed by " + signers + ")"
	}
	plain, how, err := p.decryptAll(cfg, urls, got)
	if err != nil {
		p.remember(nil)
		r := Result{Time: p.clk.Now(), Source: source, Outcome: OutcomeInvalid,
			Message: "configuration refused, nothing changed: " + err.Error()}
		p.target.Record(r)
		return r, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	source += how
	var common []byte
	if cfg.CommonURL != "" {
		common = plain[urls[0]]
	}
	r, err := p.submit(ctx, source, common, plain[url])
	if errors.Is(err, ErrInvalid) {
		// Not remembered, so a fixed file is not mistaken for "same".
		p.remember(nil)
		return r, err
	}
	p.remember(got)
	return r, err
}

// remember keeps what was taken from each URL of this fetch (and forgets
// every other URL), on disk too when it changed.
func (p *Puller) remember(got map[string]*cacheEntry) {
	same := len(got) == len(p.cache)
	for u, e := range got {
		same = same && p.cache[u] == e
	}
	if same {
		return
	}
	if got == nil {
		got = map[string]*cacheEntry{}
	}
	p.cache = got
	if err := savePullState(p.stateFile, got); err != nil {
		p.log.Warn("provisioning state not saved: after a restart the server's file is taken as new", "err", err)
	}
}

// submit hands the fetched document (the device file merged over the
// common one, if any; its provisioning section read over the one in
// force) to the target, unless it would take a way back away without
// saying so (see checkWayBack).
func (p *Puller) submit(ctx context.Context, source string, common, body []byte) (Result, error) {
	refuse := func(err error) (Result, error) {
		r := Result{Time: p.clk.Now(), Source: source, Outcome: OutcomeInvalid, Message: "configuration refused, nothing changed", Errors: Problems(err)}
		p.target.Record(r)
		return r, err
	}
	cur := p.target.Current()
	doc, fetched, err := fetchedDocument(cur.Provisioning, common, body)
	if err != nil {
		return refuse(err)
	}
	if common == nil {
		if _, err := Parse(body); err != nil {
			// Refused as the server wrote it, so that the lines in the
			// errors are the server file's.
			return p.target.Submit(ctx, source, body)
		}
	}
	if next, err := Parse(doc); err == nil {
		if err := checkWayBack(cur, next, fetched); err != nil {
			return refuse(err)
		}
	}
	return p.target.Submit(ctx, source, doc)
}

// mergeYAML merges the per-device document over the common one: mappings
// key by key, anything else (scalars, lists) replaced.
func mergeYAML(common, device []byte) ([]byte, error) {
	var c, d any
	if err := yaml.Unmarshal(common, &c); err != nil {
		return nil, fmt.Errorf("%w: common file: %s", ErrInvalid, yamlMessage(err))
	}
	if err := yaml.Unmarshal(device, &d); err != nil {
		return nil, fmt.Errorf("%w: device file: %s", ErrInvalid, yamlMessage(err))
	}
	out, err := yaml.Marshal(mergeValue(c, d))
	if err != nil {
		return nil, fmt.Errorf("merge provisioning files: %w", err)
	}
	return out, nil
}

func mergeValue(base, over any) any {
	bm, ok1 := base.(map[string]any)
	om, ok2 := over.(map[string]any)
	if !ok1 || !ok2 {
		if over == nil {
			return base
		}
		return over
	}
	out := make(map[string]any, len(bm)+len(om))
	for k, v := range bm {
		out[k] = v
	}
	for k, v := range om {
		out[k] = mergeValue(bm[k], v)
	}
	return out
}
