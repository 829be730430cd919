package provisioning

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

//go:embed web
var webFS embed.FS

// StatusSource reports the device's state for GET /api/status:
// registration per account, the current call with media statistics, IO
// states, version, uptime. The value is encoded as JSON.
type StatusSource interface {
	Status(ctx context.Context) any
}

// Actions are what the admin API can make the device do.
type Actions interface {
	Call(ctx context.Context, target string) error
	Hangup(ctx context.Context) error
	OpenDoor(ctx context.Context) error
	Restart(ctx context.Context) error
}

// SelfTester is implemented by Actions that can test the speaker and
// microphone (POST /api/actions/self-test): SelfTest runs the test and
// returns its outcome, encoded as JSON.
type SelfTester interface {
	SelfTest(ctx context.Context) (any, error)
}

// SyncSource is pull provisioning as the admin API sees it; *Puller is one.
type SyncSource interface {
	// Trigger starts a fetch and returns its URL, or ErrNoURL.
	Trigger() (string, error)
	Last() Result
	URL() string
}

// Timeouts bound the admin server against slow or idle clients.
type Timeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

// DefaultTimeouts are the admin server's timeouts.
var DefaultTimeouts = Timeouts{ReadHeader: 5 * time.Second, Read: 30 * time.Second, Write: 30 * time.Second, Idle: 2 * time.Minute}

// AdminOptions configure the admin server.
type AdminOptions struct {
	Config   AdminConfig
	StateDir string
	Manager  *Manager     // required: the configuration in force
	Pull     SyncSource   // optional: "provision now" and its status
	Status   StatusSource // optional
	Actions  Actions      // optional
	// Sim is the simulated board's HTTP handler (board.Sim.Handler), mounted
	// under /sim/; nil on real hardware.
	Sim http.Handler
	// History serves GET /api/history (the device's event history),
	// behind the login; nil: no history.
	History http.Handler
	// PasswordResetFiles are where a PasswordResetFile may be (the boot
	// partition, beside the configuration file): the first found resets
	// the admin password at start.
	PasswordResetFiles []string
	// Logs are the recent log lines for GET /api/logs (the page's log
	// viewer), behind the login; nil: none.
	Logs     LogSource
	Timeouts Timeouts // zero: DefaultTimeouts
	Clock    clockwork.Clock
	Log      *slog.Logger
}

// Admin is the device's web UI and JSON API.
type Admin struct {
	opts     AdminOptions
	log      *slog.Logger
	clk      clockwork.Clock
	limiter  *limiter
	failLog  *failLog
	sessions *sessions

	resetFrom string // the file the admin password was reset from at start
	streams   eventStreams
	quit      chan struct{} // closed when Serve stops: live streams end
	quitOnce  sync.Once

	mu      sync.Mutex
	pw      passwordHash
	okBasic [32]byte // sha256 of the last password that verified, for cheap basic auth
}

// maxSmallBody caps login and action bodies.
const maxSmallBody = 4 << 10

// NewAdmin prepares the admin server: it loads the admin password hash,
// or stores the configured one, or generates and logs one (first boot).
func NewAdmin(opts AdminOptions) (*Admin, error) {
	if opts.Manager == nil {
		return nil, errors.New("admin: Manager is required")
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Timeouts == (Timeouts{}) {
		opts.Timeouts = DefaultTimeouts
	}
	if removed, err := cleanTempOf(filepath.Join(opts.StateDir, PasswordFile), filepath.Join(opts.StateDir, SelfSignedCertFile),
		filepath.Join(opts.StateDir, SelfSignedKeyFile)); len(removed) > 0 || err != nil {
		opts.Log.Info("temporary files of an interrupted save removed", "files", removed, "err", err)
	}
	from, err := resetPasswordFromFile(opts.StateDir, opts.PasswordResetFiles, opts.Config.Password, opts.Log)
	if err != nil {
		opts.Log.Warn("admin password not reset", "err", err)
	}
	configured := opts.Config.Password
	if overridden(opts.StateDir, configured) {
		configured = "" // a reset file replaced it
	}
	pw, err := ensurePassword(opts.StateDir, configured, opts.Log)
	if err != nil {
		return nil, err
	}
	return &Admin{
		opts: opts, log: opts.Log, clk: opts.Clock, pw: pw, resetFrom: from, quit: make(chan struct{}),
		limiter:  newLimiter(opts.Clock.Now),
		failLog:  &failLog{log: opts.Log, clk: opts.Clock},
		sessions: &sessions{now: opts.Clock.Now, m: map[string]time.Time{}},
	}, nil
}

// SetPassword changes the admin password (a changed admin.password in a
// newly applied configuration). Redacted or empty keeps the current one.
// A changed password ends every session: whoever logged in with the old
// one logs in again.
func (a *Admin) SetPassword(pw string) error {
	if pw == "" || pw == Redacted || overridden(a.opts.StateDir, pw) {
		return nil
	}
	h, err := ensurePassword(a.opts.StateDir, pw, a.log)
	if err != nil {
		return err
	}
	a.mu.Lock()
	changed := h != a.pw
	a.pw = h
	if changed {
		a.okBasic = [32]byte{}
	}
	a.mu.Unlock()
	if changed {
		n := a.sessions.dropAll()
		a.log.Info("admin password changed: sessions ended", "sessions", n)
	}
	return nil
}

// PasswordResetFrom is the file the admin password was reset from at
// start, "" when it was not.
func (a *Admin) PasswordResetFrom() string { return a.resetFrom }

// Handler returns the admin server's routes.
func (a *Admin) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/login", a.login)
	mux.HandleFunc("POST /api/logout", a.logout)
	mux.Handle("GET /api/status", a.auth(http.HandlerFunc(a.status)))
	mux.Handle("GET /api/events", a.auth(http.HandlerFunc(a.events)))
	mux.Handle("POST /api/backup", a.auth(http.HandlerFunc(a.backup)))
	mux.Handle("POST /api/restore", a.auth(http.HandlerFunc(a.restore)))
	if a.opts.Logs != nil {
		mux.Handle("GET /api/logs", a.auth(http.HandlerFunc(a.logs)))
	}
	mux.Handle("GET /api/config", a.auth(http.HandlerFunc(a.getConfig)))
	mux.Handle("PUT /api/config", a.auth(http.HandlerFunc(a.putConfig)))
	mux.Handle("PATCH /api/config", a.auth(http.HandlerFunc(a.patchConfig)))
	mux.Handle("POST /api/actions/{action}", a.auth(http.HandlerFunc(a.action)))
	a.guestRoutes(mux) // guests.go
	if a.opts.History != nil {
		mux.Handle("GET /api/history", a.auth(a.opts.History))
	}
	if a.opts.Sim != nil {
		mux.Handle("/sim/", a.auth(http.StripPrefix("/sim", a.opts.Sim)))
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API endpoint: "+r.Method+" "+r.URL.Path)
	})
	sub, _ := fs.Sub(webFS, "web")
	static := http.FileServerFS(sub)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		static.ServeHTTP(w, r)
	})
	return securityHeaders(sameOriginChanges(mux))
}

// hstsMaxAge is how long a browser that reached the page over HTTPS
// (with a certificate it trusts) keeps to HTTPS for it.
const hstsMaxAge = 365 * 24 * time.Hour

func securityHeaders(h http.Handler) http.Handler {
	hsts := "max-age=" + strconv.Itoa(int(hstsMaxAge.Seconds()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		w.Header().Set("Cache-Control", "no-store")
		if r.TLS != nil {
			w.Header().Set("Strict-Transport-Security", hsts)
		}
		h.ServeHTTP(w, r)
	})
}

// sameOriginChanges refuses (403) every state-changing request (any
// method but GET, HEAD and OPTIONS) that a browser sent from another
// site, whatever its credentials (cookie, Basic, none): its Origin, or
// without one its Referer, must be this server. A request with neither
// is not from a browser page (curl, scripts) and passes on to the
// password check.
func sameOriginChanges(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if !sameOrigin(r) {
				writeError(w, http.StatusForbidden, "cross-origin request refused")
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// Server returns an http.Server for the admin handler with timeouts
// against slow clients and a header size bound.
func (a *Admin) Server() *http.Server {
	t := a.opts.Timeouts
	return &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelDebug),
	}
}

// Serve serves the admin UI on ln (HTTPS unless Config.TLS is false)
// until ctx is done.
func (a *Admin) Serve(ctx context.Context, ln net.Listener) error {
	srv := a.Server()
	lim := newConnLimiter(ln, adminMaxConns, adminMaxPerSource, a.log)
	srv.ConnState, ln = lim.track, lim
	if a.opts.Config.TLS {
		cert, err := adminCertificate(a.opts.Config, a.opts.StateDir)
		if err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("admin server: %w", err)
	case <-ctx.Done():
	}
	a.quitOnce.Do(func() { close(a.quit) })
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	<-errc
	return nil
}

// ListenAndServe listens on Config.Listen and serves until ctx is done.
func (a *Admin) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.opts.Config.Listen)
	if err != nil {
		return fmt.Errorf("admin server: %w", err)
	}
	scheme := "http"
	if a.opts.Config.TLS {
		scheme = "https"
	}
	a.log.Info("admin web UI", "url", scheme+"://"+ln.Addr().String()+"/")
	return a.Serve(ctx, ln)
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// checkPassword verifies pw for the client at addr, rate-limited. It
// returns 0 on success, else the HTTP status to answer.
func (a *Admin) checkPassword(w http.ResponseWriter, addr, pw string) int {
	if d := a.limiter.attempt(addr); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(d.Seconds()+0.999)))
		a.failLog.note(addr, true)
		return http.StatusTooManyRequests
	}
	a.mu.Lock()
	h, ok := a.pw, a.okBasic
	a.mu.Unlock()
	sum := sha256Sum(pw)
	if ok != ([32]byte{}) && subtle.ConstantTimeCompare(sum[:], ok[:]) == 1 {
		a.limiter.succeed(addr)
		return 0
	}
	if !h.verify(pw) {
		a.failLog.note(addr, false)
		return http.StatusUnauthorized
	}
	a.mu.Lock()
	a.okBasic = sum
	a.mu.Unlock()
	a.limiter.succeed(addr)
	return 0
}

// auth admits a request with a live session cookie or HTTP basic
// credentials (user "admin").
func (a *Admin) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(sessionCookie); err == nil && a.sessions.valid(c.Value) {
			next.ServeHTTP(w, r) // cross-origin changes were refused before
			return
		}
		user, pw, ok := r.BasicAuth()
		if !ok {
			writeError(w, http.StatusUnauthorized, "log in first")
			return
		}
		code := a.checkPassword(w, clientAddr(r), pw)
		if code == 0 && subtle.ConstantTimeCompare([]byte(user), []byte("admin")) != 1 {
			code = http.StatusUnauthorized
		}
		if code != 0 {
			if code == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="sipbell", charset="UTF-8"`)
			}
			writeError(w, code, http.StatusText(code))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin reports whether r comes from a page of this server: its
// Origin header, or without one its Referer, names this scheme and host;
// a request with neither header is not from a browser page and passes.
func sameOrigin(r *http.Request) bool {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	self := scheme + "://" + r.Host
	if o := r.Header.Get("Origin"); o != "" {
		return strings.EqualFold(o, self)
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		u, err := url.Parse(ref)
		return err == nil && strings.EqualFold(u.Scheme+"://"+u.Host, self)
	}
	return true
}

func (a *Admin) login(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Password string `json:"password"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if code := a.checkPassword(w, clientAddr(r), req.Password); code != 0 {
		msg := "wrong password"
		if code == http.StatusTooManyRequests {
			msg = "too many failed logins: wait " + w.Header().Get("Retry-After") + " s"
		}
		writeError(w, code, msg)
		return
	}
	tok, err := a.sessions.create()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: int(sessionTTL.Seconds()),
	})
	w.WriteHeader(http.StatusNoContent)
}

func (a *Admin) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.sessions.drop(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

// ProvisioningStatus is the provisioning part of GET /api/status.
type ProvisioningStatus struct {
	LastChange Result  `json:"last_change"`
	LastFetch  *Result `json:"last_fetch,omitempty"`
	URL        string  `json:"url,omitempty"`
	// AgeRecipient is the device's public age recipient: files
	// encrypted to it (age -r) are decrypted on fetch.
	AgeRecipient string `json:"age_recipient,omitempty"`
}

func (a *Admin) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.statusValue(r.Context()))
}

func (a *Admin) action(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Target string `json:"target"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	name := r.PathValue("action")
	if name == "provision" {
		if a.opts.Pull == nil {
			writeError(w, http.StatusConflict, "pull provisioning is not set up")
			return
		}
		url, err := a.opts.Pull.Trigger()
		if err != nil {
			writeError(w, http.StatusConflict, "provisioning is off: "+err.Error())
			return
		}
		a.log.Info("admin action", "action", name, "url", url, "from", clientAddr(r))
		writeJSON(w, http.StatusAccepted, map[string]string{"result": "fetching " + url + " (the outcome shows under Last provisioning fetch)"})
		return
	}
	act := a.opts.Actions
	if act == nil {
		writeError(w, http.StatusNotImplemented, "actions are not available")
		return
	}
	var err error
	switch name {
	case "call":
		if req.Target == "" {
			writeError(w, http.StatusBadRequest, `"target" is required (a SIP URI or number)`)
			return
		}
		err = act.Call(r.Context(), req.Target)
	case "hangup":
		err = act.Hangup(r.Context())
	case "open-door":
		err = act.OpenDoor(r.Context())
	case "restart":
		err = act.Restart(r.Context())
	case "self-test":
		a.selfTest(w, r, act)
		return
	case "firmware-check": // manifest_update.go
		a.firmwareCheck(w, r, act)
		return
	default:
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown action %q (call, firmware-check, hangup, open-door, provision, restart, self-test)", name))
		return
	}
	if err != nil {
		writeError(w, http.StatusConflict, name+": "+err.Error())
		return
	}
	a.log.Info("admin action", "action", name, "from", clientAddr(r))
	writeJSON(w, http.StatusOK, map[string]string{"result": name + " done"})
}

// readJSON decodes a small optional JSON body into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, ok := readBody(w, r, maxSmallBody)
	if !ok {
		return false
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return true
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad JSON body: "+err.Error())
		return false
	}
	return true
}

// readBody reads at most limit bytes; a larger body gets 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", limit))
		} else {
			writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
		}
		return nil, false
	}
	return body, true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
