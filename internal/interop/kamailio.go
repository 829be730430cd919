package interop

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"
)

// KamailioOptions selects what the generated Kamailio offers.
type KamailioOptions struct {
	TLS        bool // also listen for TLS, with a certificate from a fresh test CA
	TLSExpired bool // with TLS: Kamailio's certificate expired half an hour ago
	// TLSNames are further DNS names Kamailio's TLS certificate carries
	// (besides localhost, 127.0.0.1 and ::1), such as a SIP domain.
	TLSNames   []string
	Presence   bool // load presence + presence_xml (PUBLISH/SUBSCRIBE)
	MinExpires int  // registrar min_expires (default 10); lower it for refresh tests
	MaxExpires int  // registrar max_expires (default 3600)
	// PublCache is presence's publ_cache mode (default 2, Kamailio's
	// 5.6 default; 1 caches publications in memory and the database).
	PublCache int
	// PresenceMaxExpires caps the expiry presence grants to PUBLISH and
	// SUBSCRIBE (presence max_expires; default 3600): a short one makes
	// a publisher refresh within a test.
	PresenceMaxExpires int
	// Aliases are further domains Kamailio takes as its own (alias=),
	// such as a domain that DNS points at it.
	Aliases []string
	// AssertName, when set, is the display name Kamailio puts in every
	// P-Asserted-Identity it asserts ("Name" <sip:user@domain>).
	AssertName string
	// Host is the loopback address UDP and TCP listen on and the users'
	// domain (default 127.0.0.1). Another host lets a test tell
	// Kamailio's address from its callers'.
	Host string
}

// Kamailio is a running Kamailio: registrar with digest auth (users door,
// alice and bob, password Password, domain 127.0.0.1) and proxy.
type Kamailio struct {
	UDP, TCP string // "127.0.0.1:port" (the same port)
	TLS      string // "127.0.0.1:port" when KamailioOptions.TLS, else ""
	Port     int
	Domain   string
	Users    []string
	CA       *CA  // signer of Kamailio's TLS certificate (nil without TLS)
	Log      *Log // Kamailio's stderr; every request shows as "IN <METHOD> ..."

	ctl  string
	dir  string
	cfg  string
	p    *proc
	t    testing.TB
	opts KamailioOptions
}

// StartKamailio starts Kamailio in a fresh temp dir and waits until it
// answers OPTIONS on UDP (and TLS when asked). It is stopped in t.Cleanup.
func StartKamailio(t testing.TB, opts KamailioOptions) *Kamailio {
	t.Helper()
	bin := Need(t, "kamailio", "kamailio")
	Need(t, "sqlite3", "sqlite3")
	mods, _ := filepath.Glob("/usr/lib/*/kamailio/modules/tm.so")
	if len(mods) == 0 {
		t.Fatal("kamailio modules not found under /usr/lib/*/kamailio/modules")
	}
	if opts.MinExpires == 0 {
		opts.MinExpires = 10
	}
	if opts.MaxExpires == 0 {
		opts.MaxExpires = 3600
	}
	if opts.PublCache == 0 {
		opts.PublCache = 2
	}
	if opts.PresenceMaxExpires == 0 {
		opts.PresenceMaxExpires = 3600
	}
	dir := t.TempDir()
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	k := &Kamailio{Domain: opts.Host, Users: []string{"door", "alice", "bob"}, Log: NewLog(),
		dir: dir, t: t, opts: opts}
	k.Port = FreePort(t)
	k.UDP = net.JoinHostPort(opts.Host, fmt.Sprint(k.Port))
	k.TCP = k.UDP
	ctlPort := FreePort(t)
	k.ctl = fmt.Sprintf("udp:127.0.0.1:%d", ctlPort)
	data := map[string]any{"DB": filepath.Join(dir, "kamailio.sqlite"), "Port": k.Port,
		"ModPath": filepath.Dir(mods[0]) + "/", "CtlPort": ctlPort, "Presence": opts.Presence,
		"MinExpires": opts.MinExpires, "MaxExpires": opts.MaxExpires, "TLSPort": 0,
		"PublCache": opts.PublCache, "PresenceMaxExpires": opts.PresenceMaxExpires, "Aliases": opts.Aliases, "Host": opts.Host,
		"AssertName": opts.AssertName}
	if opts.TLS {
		k.CA = NewCA(t, "sipbell interop CA")
		var cert, key string
		if opts.TLSExpired {
			cert, key = k.CA.IssueExpired(t, "kamailio")
		} else {
			cert, key = k.CA.Issue(t, "kamailio", opts.TLSNames...)
		}
		tlsPort := FreePort(t)
		k.TLS = fmt.Sprintf("127.0.0.1:%d", tlsPort)
		data["TLSPort"] = tlsPort
		data["TLSCfg"] = filepath.Join(dir, "tls.cfg")
		writeTemplate(t, filepath.Join(dir, "tls.cfg"), kamailioTLSCfg, map[string]string{"Cert": cert, "Key": key})
	}
	k.cfg = filepath.Join(dir, "kamailio.cfg")
	writeTemplate(t, k.cfg, kamailioCfg, data)
	k.makeDB(t, data["DB"].(string))
	_ = bin
	dumpOnFailure(t, "kamailio", k.Log)
	t.Cleanup(k.Stop)
	k.start(t)
	return k
}

func (k *Kamailio) makeDB(t testing.TB, db string) {
	t.Helper()
	var sql strings.Builder
	for _, f := range []string{"standard", "auth_db", "usrloc", "presence"} {
		b, err := os.ReadFile("/usr/share/kamailio/db_sqlite/" + f + "-create.sql")
		if err != nil {
			t.Fatalf("kamailio db schema (install kamailio-sqlite-modules): %v", err)
		}
		sql.Write(b)
	}
	for _, u := range k.Users {
		fmt.Fprintf(&sql, "INSERT INTO subscriber(username,domain,password,ha1,ha1b) VALUES('%s','%s','%s','','');\n",
			u, k.Domain, Password)
	}
	cmd := exec.Command("sqlite3", db)
	cmd.Stdin = strings.NewReader(sql.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sqlite3 %s: %v\n%s", db, err, out)
	}
}

func (k *Kamailio) start(t testing.TB) {
	t.Helper()
	run := filepath.Join(k.dir, "run")
	os.MkdirAll(run, 0o755)
	k.p = startProc(t, "kamailio", k.Log, k.dir, "kamailio", "-f", k.cfg, "-DD", "-E",
		"-m", "32", "-M", "4", "-P", filepath.Join(run, "kamailio.pid"), "-Y", run)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := poll(ctx, k.p, func(ctx context.Context) error {
		if _, err := Ping(ctx, "udp", k.UDP, nil); err != nil {
			return err
		}
		if k.TLS != "" {
			if _, err := Ping(ctx, "tls", k.TLS, k.TLSConfig()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("kamailio not ready: %v", err)
	}
}

// Stop stops Kamailio (SIGTERM, then SIGKILL); calling it twice is harmless.
func (k *Kamailio) Stop() { k.p.stop() }

// Restart stops Kamailio and starts it again on the same ports with the
// same database. Registrations are lost (usrloc keeps them in memory).
func (k *Kamailio) Restart(t testing.TB) {
	t.Helper()
	k.Stop()
	waitBindable(k.ctl)
	fmt.Fprintf(k.Log, "\n==== harness: kamailio restarted ====\n")
	k.start(t)
}

// Contacts returns the Contact URIs registered for user (via kamcmd).
func (k *Kamailio) Contacts(ctx context.Context, user string) ([]string, error) {
	out, err := exec.CommandContext(ctx, "kamcmd", "-s", k.ctl, "ul.lookup", "location",
		user+"@"+k.Domain).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "Not Found") || strings.Contains(string(out), "404") {
			return nil, nil
		}
		return nil, fmt.Errorf("kamcmd ul.lookup %s: %v: %s", user, err, out)
	}
	var res []string
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "Address:"); ok {
			res = append(res, strings.TrimSpace(v))
		}
	}
	return res, nil
}

// WaitContacts polls until user has n registered contacts (n=0: none).
func (k *Kamailio) WaitContacts(ctx context.Context, user string, n int) ([]string, error) {
	var got []string
	err := poll(ctx, k.p, func(ctx context.Context) error {
		c, err := k.Contacts(ctx, user)
		if err != nil {
			return err
		}
		got = c
		if len(c) != n {
			return fmt.Errorf("%s has %d contacts %v, want %d", user, len(c), c, n)
		}
		return nil
	})
	return got, err
}

func writeTemplate(t testing.TB, path, text string, data any) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	defer f.Close()
	if err := template.Must(template.New(filepath.Base(path)).Parse(text)).Execute(f, data); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

// TLSConfig returns a client TLS configuration that trusts Kamailio's CA.
func (k *Kamailio) TLSConfig() *tls.Config {
	if k.CA == nil {
		return nil
	}
	c := &tls.Config{RootCAs: k.CA.Pool, ServerName: "127.0.0.1"}
	if k.opts.TLSExpired { // checked as of 45 minutes ago, when it (and the CA) were valid
		c.Time = func() time.Time { return time.Now().Add(-45 * time.Minute) }
	}
	return c
}

// waitBindable waits (up to 5 s) until the "udp:host:port" address ctl can
// be bound again after the process that held it was stopped.
func waitBindable(ctl string) {
	addr := strings.TrimPrefix(ctl, "udp:")
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); {
		if pc, err := net.ListenPacket("udp4", addr); err == nil {
			pc.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
