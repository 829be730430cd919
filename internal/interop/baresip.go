package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BaresipOptions describes one headless baresip.
type BaresipOptions struct {
	User       string // SIP user, e.g. "alice" (default "alice")
	Registrar  string // "host:port" of the registrar (e.g. Kamailio.UDP); "" = no registration
	Transport  string // udp (default), tcp or tls
	CAFile     string // sip_cafile: PEM of the CAs baresip trusts for SIP over TLS
	CA         *CA    // trusted (sip_cafile) and issuer of baresip's own certificate (sip_certificate)
	AutoAnswer bool   // answer incoming calls at once
	ToneHz     float64
	// MediaEnc is the account's mediaenc: "srtp" (best effort), "srtp-mand"
	// (RTP/SAVP required) or "dtls_srtp"; the module is loaded. Empty:
	// plain RTP.
	MediaEnc string
	// Host is the address baresip listens on and puts in its SDP
	// (default 127.0.0.1; a test's own network namespace may give another).
	Host string
	// Codecs is the account's audio_codecs in preference order (default
	// "PCMU,PCMA"); naming G722 loads baresip's g722 module.
	Codecs string
}

// Baresip is a running baresip controlled over ctrl_tcp.
type Baresip struct {
	SIP       string    // "127.0.0.1:port" it listens on
	URI       string    // its direct SIP URI, sip:user@127.0.0.1:port
	RecordDir string    // sndfile writes dump-*-dec.wav (heard) and -enc.wav (sent) here
	Log       *Log      // stdout/stderr
	Started   time.Time // just before the process was started
	CertFile  string    // its own certificate and key (PEM), with BaresipOptions.CA

	ctrl    net.Conn
	mu      sync.Mutex
	events  []map[string]any
	replies map[string]map[string]any
	changed chan struct{}
	seq     int
	p       *proc
}

// StartBaresip starts baresip in a temp dir, connects to its ctrl_tcp
// socket and, with a Registrar, waits until it is registered.
func StartBaresip(t testing.TB, opts BaresipOptions) *Baresip {
	t.Helper()
	Need(t, "baresip", "baresip-core")
	if opts.User == "" {
		opts.User = "alice"
	}
	if opts.Transport == "" {
		opts.Transport = "udp"
	}
	if opts.ToneHz == 0 {
		opts.ToneHz = 440
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Codecs == "" {
		opts.Codecs = "PCMU,PCMA"
	}
	dir := t.TempDir()
	b := &Baresip{Log: NewLog(), RecordDir: filepath.Join(dir, "rec"), changed: make(chan struct{}),
		replies: map[string]map[string]any{}}
	os.MkdirAll(b.RecordDir, 0o755)
	port, ctrlPort := FreePort(t), FreePort(t)
	rtp := FreePort(t) &^ 1
	b.SIP = net.JoinHostPort(opts.Host, fmt.Sprint(port))
	b.URI = fmt.Sprintf("sip:%s@%s", opts.User, b.SIP)
	wav := filepath.Join(dir, "tone.wav")
	WriteToneWAV(t, wav, opts.ToneHz, 30)
	cfg := fmt.Sprintf(`poll_method epoll
sip_listen %s
call_local_timeout 120
call_max_calls 4
audio_player aubridge,nil
audio_source aufile,%s
audio_alert aubridge,nil
audio_level no
ausrc_format s16
auplay_format s16
auenc_format s16
audec_format s16
audio_buffer 20-160
rtp_ports %d-%d
rtcp_mux no
jitter_buffer_delay 5-10
net_interface %s
module_path /usr/lib/baresip/modules
module g711.so
module sndfile.so
module aubridge.so
module aufile.so
module_tmp uuid.so
module_tmp account.so
module_app contact.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:%d
snd_path %s
statmode_default off
`, b.SIP, wav, rtp, rtp+9, opts.Host, ctrlPort, b.RecordDir)
	answer := "manual"
	if opts.AutoAnswer {
		answer = "auto"
	}
	regint, host := 0, opts.Host
	if opts.Registrar != "" {
		regint, host = 600, opts.Registrar
	}
	acc := fmt.Sprintf("<sip:%s@%s;transport=%s>;auth_pass=%s;answermode=%s;audio_codecs=%s;regint=%d;pubint=0;ptime=20\n",
		opts.User, host, opts.Transport, Password, answer, opts.Codecs, regint)
	if strings.Contains(strings.ToUpper(opts.Codecs), "G722") {
		cfg += "module g722.so\n"
	}
	switch {
	case strings.HasPrefix(opts.MediaEnc, "srtp"):
		cfg += "module srtp.so\n"
	case opts.MediaEnc == "dtls_srtp":
		cfg += "module dtls_srtp.so\n"
	}
	if opts.MediaEnc != "" {
		acc = strings.TrimSuffix(acc, "\n") + ";mediaenc=" + opts.MediaEnc + "\n"
	}
	if opts.CA != nil {
		opts.CAFile = opts.CA.CertFile
		b.CertFile = baresipCertificate(t, opts.CA, dir)
		cfg += "sip_certificate " + b.CertFile + "\n"
	}
	if opts.CAFile != "" {
		cfg += "sip_cafile " + opts.CAFile + "\n"
	}
	for name, body := range map[string]string{"config": cfg, "accounts": acc, "contacts": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dumpOnFailure(t, "baresip "+opts.User, b.Log)
	b.Started = time.Now()
	b.p = startProc(t, "baresip", b.Log, dir, "baresip", "-f", dir)
	t.Cleanup(b.stop)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := poll(ctx, b.p, func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", fmt.Sprintf("127.0.0.1:%d", ctrlPort))
		if err != nil {
			return err
		}
		b.ctrl = c
		return nil
	})
	if err != nil {
		t.Fatalf("baresip ctrl_tcp not ready: %v", err)
	}
	go b.readCtrl()
	if opts.Registrar != "" {
		// The REGISTER_OK event may precede the ctrl_tcp connection: use the log.
		if err := b.Log.WaitFor(ctx, "binding]"); err != nil {
			t.Fatalf("baresip %s not registered: %v", opts.User, err)
		}
	}
	return b
}

func (b *Baresip) stop() {
	if b.ctrl != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		b.Command(ctx, "quit", "")
		cancel()
		select {
		case <-b.p.done:
		case <-time.After(2 * time.Second):
		}
		b.ctrl.Close()
	}
	b.p.stop()
}

// readCtrl parses netstring-framed JSON from ctrl_tcp.
func (b *Baresip) readCtrl() {
	r := bufio.NewReader(b.ctrl)
	for {
		lenStr, err := r.ReadString(':')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(lenStr, ":")))
		if err != nil || n > 1<<20 {
			return
		}
		buf := make([]byte, n+1)
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(buf[:n], &m) != nil {
			continue
		}
		fmt.Fprintf(b.Log, "ctrl_tcp: %s\n", buf[:n])
		b.mu.Lock()
		if m["event"] == true {
			b.events = append(b.events, m)
		} else if tok, ok := m["token"].(string); ok {
			b.replies[tok] = m
		}
		close(b.changed)
		b.changed = make(chan struct{})
		b.mu.Unlock()
	}
}

// Command sends a ctrl_tcp command (e.g. "dial", "hangup", "accept",
// "sndcode", "quit") and returns the reply's data text.
func (b *Baresip) Command(ctx context.Context, command, params string) (string, error) {
	b.mu.Lock()
	b.seq++
	tok := fmt.Sprintf("t%d", b.seq)
	b.mu.Unlock()
	js, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": tok})
	if _, err := fmt.Fprintf(b.ctrl, "%d:%s,", len(js), js); err != nil {
		return "", fmt.Errorf("baresip %s: %w", command, err)
	}
	for {
		b.mu.Lock()
		m, ok := b.replies[tok]
		ch := b.changed
		b.mu.Unlock()
		if ok {
			data, _ := m["data"].(string)
			if m["ok"] != true {
				return data, fmt.Errorf("baresip %s %s: not ok: %s", command, params, data)
			}
			return data, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return "", fmt.Errorf("baresip %s: %w", command, ctx.Err())
		}
	}
}

// WaitEvent waits for a ctrl_tcp event of type typ (e.g. "CALL_INCOMING",
// "CALL_ESTABLISHED", "CALL_CLOSED", "REGISTER_OK") and returns nil, or
// the context's error. Events seen before the call count.
func (b *Baresip) WaitEvent(ctx context.Context, typ string) error {
	_, err := b.WaitEventData(ctx, typ)
	return err
}

// WaitEventData is WaitEvent returning the event's fields.
func (b *Baresip) WaitEventData(ctx context.Context, typ string) (map[string]any, error) {
	for {
		b.mu.Lock()
		for _, e := range b.events {
			if e["type"] == typ {
				b.mu.Unlock()
				return e, nil
			}
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("baresip event %s: %w", typ, ctx.Err())
		}
	}
}

// baresipCertificate issues a certificate for baresip from ca and writes
// it with its key into one PEM file in dir (as sip_certificate wants).
func baresipCertificate(t testing.TB, ca *CA, dir string) string {
	t.Helper()
	certFile, keyFile := ca.Issue(t, "baresip")
	var pem []byte
	for _, f := range []string{certFile, keyFile} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pem = append(pem, b...)
	}
	path := filepath.Join(dir, "sip-cert.pem")
	if err := os.WriteFile(path, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
