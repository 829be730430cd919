package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sipbell/sipbell/audio"
)

// ErrNoPort is wrapped when no RTP/RTCP port pair in the range is free.
var ErrNoPort = errors.New("no free RTP port")

// ErrClosed is returned by Session methods after Close.
var ErrClosed = errors.New("media session closed")

// EventKind tells what an Event reports.
type EventKind uint8

// Session events.
const (
	// EventDTMF is an RFC 4733 digit received from the peer.
	EventDTMF EventKind = iota + 1
	// EventTimeout means no RTP arrived for Config.RTPTimeout while the
	// peer should be sending; the UA should hang up.
	EventTimeout
	// EventSecurity means the call's encryption failed (a DTLS-SRTP
	// handshake, dtls_session.go); the UA should hang up.
	EventSecurity
)

// Event is something the session reports to its owner.
type Event struct {
	Kind   EventKind
	Digit  rune       // EventDTMF: '0'-'9', '*', '#', 'A'-'D'
	Source DTMFSource // EventDTMF: how the digit arrived (first of its copies)
	At     time.Time
}

// Stats are one call's media statistics. Received, Lost and Jitter follow
// RFC 3550 (Lost counts packets never received; duplicates do not make up
// for losses).
type Stats struct {
	Sent       uint64  // RTP packets sent (audio and telephone-event)
	Received   uint64  // RTP packets accepted from the peer, duplicates included
	Lost       int64   // packets the peer sent that never arrived
	Late       uint64  // arrived after their playout time; 20 ms frames dropped beyond the max delay
	Duplicate  uint64  // copies of packets already received
	Concealed  uint64  // 20 ms frames (partly) synthesised by loss concealment
	Rejected   uint64  // packets dropped: unknown payload type, wrong source, malformed
	STUN       uint64  // STUN binding requests (answered) and indications from the peer
	JitterMS   float64 // interarrival jitter
	DelayMS    int     // current jitter buffer playout delay
	RemoteLost int64   // cumulative loss the peer reports for our stream (RTCP)
}

// Options are a session's optional collaborators.
type Options struct {
	Logger *slog.Logger // nil: discard
	Clock  audio.Clock  // nil: the system clock
	// LoopReceives makes Run's playout loop take the received RTP on
	// every frame (non-blocking reads) instead of a reader goroutine
	// waiting on the socket: no wake-up per packet, no netpoller. Set it only when
	// Run runs for the session's life (Manager does); the reader
	// goroutine takes over if Run returns before Close. Ignored where
	// the platform has no non-blocking read (rawrecv_other.go).
	LoopReceives bool
	// AudioRate is the sample rate of the source and sink Run is given
	// (8000 or 16000 Hz; 0 means 8000): Run's frames are 20 ms at it, and
	// the session resamples to and from the codec's rate where they
	// differ (voice.go).
	AudioRate int
}

// Session is the RTP/RTCP endpoint of one call: a bound even port for RTP
// and the next one for RTCP. Create it with Listen before the SDP
// exchange (its LocalAddr goes into NewSDP), then Start it with the
// negotiated parameters. Methods are safe for concurrent use; WriteFrame
// and SendDTMF's packets come from the single sender.
type Session struct {
	cfg    Config
	log    *slog.Logger
	clock  audio.Clock
	rtp    *net.UDPConn
	rtcp   *net.UDPConn
	local  netip.AddrPort
	epoch  time.Time
	events chan Event

	mu       sync.Mutex
	started  bool
	closed   bool
	cancel   context.CancelFunc
	neg      Negotiated
	peer     peerState
	rx       *receiver
	rxPrev   Stats // counters of earlier peer SSRCs
	remLost  int64
	lastRx   time.Time
	timedOut bool
	tx       sender
	merger   *DTMFMerger
	wg       sync.WaitGroup
	reading  bool         // the reader goroutine runs
	raw      *rawReceiver // non-nil: Run's loop receives RTP (Options.LoopReceives)
	loop     loopBuffers  // Run's loop's receive buffers (loop.go)

	// srtp is the negotiated SRTP transform, nil for plain RTP
	// (srtp_session.go); txSRTP is the sender's buffer for it.
	srtp     atomic.Pointer[SRTP]
	txSRTP   [1500 + SRTPOverhead]byte
	srtpFail srtpFailLog

	audioRate int       // Options.AudioRate, 8000 or 16000 (voice.go)
	dtls      dtlsState // DTLS-SRTP association (dtls_session.go)
}

// peerState is what we learned about the peer's stream.
type peerState struct {
	latched   bool // rtpAddr is where its packets come from
	rtpAddr   netip.AddrPort
	rtcpAddr  netip.AddrPort
	rtcpLatch bool
	ssrc      uint32
	haveSSRC  bool
	lastEvent uint32 // timestamp of the last telephone-event reported
	haveEvent bool
	rejected  uint64
	stun      uint64 // STUN from the peer, answered or a keep-alive (stun.go)

	// digitWarned: digits from a source other than the SDP's were logged
	// (dtmf.go).
	digitWarned bool
}

// Listen binds an RTP port (even) and its RTCP port (+1) on ip, trying
// the configured range from a random start and moving on when a port is in
// use. ip may be unspecified to listen on every address.
func Listen(cfg Config, ip netip.Addr, opts Options) (*Session, error) {
	if opts.Logger == nil {
		opts.Logger = discardLogger()
	}
	if opts.Clock == nil {
		opts.Clock = audio.SystemClock()
	}
	rtpConn, rtcpConn, err := bindPair(ip, cfg.RTPPortMin, cfg.RTPPortMax)
	if err != nil {
		return nil, err
	}
	s := &Session{cfg: cfg, log: opts.Logger, clock: opts.Clock, rtp: rtpConn, rtcp: rtcpConn,
		local: rtpConn.LocalAddr().(*net.UDPAddr).AddrPort(), events: make(chan Event, 64),
		rx: newReceiver(cfg.JitterMinMS, cfg.JitterMaxMS), merger: NewDTMFMerger(dtmfMergeWindow)}
	s.epoch = s.clock.Now()
	s.audioRate = audioRate(opts.AudioRate)
	s.tx.init(cfg)
	if opts.LoopReceives && rawRecvSupported {
		if s.raw, err = newRawReceiver(rtpConn); err != nil {
			s.raw = nil // the reader goroutine receives
		}
	}
	return s, nil
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// bindPair binds an even RTP port and the odd RTCP port after it.
func bindPair(ip netip.Addr, lo, hi int) (*net.UDPConn, *net.UDPConn, error) {
	lo += lo & 1
	n := (hi - lo + 1) / 2
	if n <= 0 {
		return nil, nil, fmt.Errorf("bind RTP in %d-%d: %w: empty range", lo, hi, ErrNoPort)
	}
	start := rand.IntN(n)
	for i := 0; i < n; i++ {
		port := lo + 2*((start+i)%n)
		a, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
		if err != nil {
			if errors.Is(err, syscall.EADDRINUSE) {
				continue
			}
			return nil, nil, fmt.Errorf("bind RTP %v: %w", netip.AddrPortFrom(ip, uint16(port)), err)
		}
		b, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port+1))))
		if err != nil {
			a.Close()
			if errors.Is(err, syscall.EADDRINUSE) {
				continue
			}
			return nil, nil, fmt.Errorf("bind RTCP %v: %w", netip.AddrPortFrom(ip, uint16(port+1)), err)
		}
		return a, b, nil
	}
	return nil, nil, fmt.Errorf("bind RTP on %v in %d-%d: %w", ip, lo, hi, ErrNoPort)
}

// LocalAddr returns the bound RTP address (put it in the SDP).
func (s *Session) LocalAddr() netip.AddrPort { return s.local }

// Events returns the channel of DTMF and timeout events. It is closed
// when the session is closed.
func (s *Session) Events() <-chan Event { return s.events }

// Start begins receiving and sending RTCP with the negotiated
// parameters; called again (after a re-INVITE) it applies the new ones:
// a new remote address unlatches symmetric RTP, a new direction starts or
// stops sending. The session's goroutines end with Close or when ctx ends.
func (s *Session) Start(ctx context.Context, neg Negotiated) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.started && neg.Remote != s.neg.Remote {
		s.peer.latched, s.peer.rtcpLatch = false, false
	}
	if !s.peer.latched {
		s.peer.rtpAddr = neg.Remote
	}
	if !s.peer.rtcpLatch {
		s.peer.rtcpAddr = neg.RemoteRTCP
	}
	if neg.Direction.Sends() && !s.neg.Direction.Sends() {
		s.tx.marker = true
	}
	s.neg = neg
	s.setSRTP(neg.SRTP) // srtp_session.go
	s.tx.configure(neg)
	s.rx.codec(neg.Codec)
	s.lastRx = s.clock.Now() // the timeout counts from (re)negotiation
	s.timedOut = false
	if s.started {
		return nil
	}
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	s.wg.Add(2)
	go s.readRTCP()
	go s.control(ctx)
	if s.raw == nil {
		s.startReaderLocked()
	}
	return nil
}

// startReaderLocked starts the RTP reader goroutine unless it runs or the
// session is closed. Called with s.mu held.
func (s *Session) startReaderLocked() {
	if s.reading || s.closed || !s.started {
		return
	}
	s.reading = true
	s.wg.Add(1)
	go s.readRTP()
}

// Close stops the session: sockets closed, goroutines ended, events
// channel closed. It is idempotent.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.stopDTLSLocked()
	cancel := s.cancel
	bye, dst := s.goodbye()
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if bye = s.protectRTCP(bye); bye != nil {
		_, _ = s.rtcp.WriteToUDPAddrPort(bye, dst) // best effort
	}
	err := errors.Join(s.rtp.Close(), s.rtcp.Close())
	s.wg.Wait()
	s.mu.Lock()
	s.rx.jb.release() // the readers are gone; Stats keeps the counters
	s.mu.Unlock()
	close(s.events)
	return err
}

// Stats returns a snapshot of the call's statistics.
func (s *Session) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.rxPrev
	r := s.rx
	st.Sent = s.tx.sent
	st.Received += r.stats.received
	st.Duplicate += r.stats.duplicates
	st.Lost += r.stats.lost()
	st.Late += r.jb.late
	st.Concealed += r.jb.concealed
	st.Rejected = s.peer.rejected + r.dropped
	st.STUN = s.peer.stun
	st.JitterMS = float64(r.stats.jitterSamples()) / 8
	st.DelayMS = r.jb.delayMS()
	st.RemoteLost = s.remLost
	return st
}

// emit delivers an event without blocking the network loop.
func (s *Session) emit(e Event) {
	select {
	case s.events <- e:
	default:
		s.log.Warn("media event dropped: owner not reading", "kind", e.Kind)
	}
}

// dtmfMergeWindow is how far apart two copies of one key press may be
// (INFO after RFC 4733, the Goertzel detector's delay).
const dtmfMergeWindow = time.Second

// digit delivers a digit from src unless it is another copy of a key
// press already delivered. Called with s.mu held.
func (s *Session) digit(src DTMFSource, d rune, at time.Time) {
	if !s.digitAllowed(src) { // dtmf.go: only from the media peer
		return
	}
	if s.merger.Add(src, d, at) {
		s.emit(Event{Kind: EventDTMF, Digit: d, Source: src, At: at})
	}
}

// ReceiveInfoDigit feeds a digit the UA received in a SIP INFO (see
// ParseDTMFInfo) into the session's digit stream, where it is merged with
// RFC 4733 and in-band copies of the same key press.
func (s *Session) ReceiveInfoDigit(d rune) error {
	if _, ok := digitEvent(d); !ok {
		return fmt.Errorf("receive INFO digit %q: %w", d, ErrBadDTMF)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.digit(DTMFInfo, d, s.clock.Now())
	return nil
}

// arrival converts a time to 8 kHz timestamp units since the session began.
func (s *Session) arrival(t time.Time) uint32 {
	return uint32(t.Sub(s.epoch).Microseconds() * 8 / 1000)
}
