package ua

import "net/netip"

// SpareMedia is what a MediaHandler may do besides: keep the sockets of
// the next call bound ahead of it (media.Manager does), so that an
// incoming call's 200 OK does not wait for them (issue 16, INVITE→200).
// The UA asks for a spare once it serves and again after each call took
// one (an incoming call's once its answer is out), and closes it as Run
// ends. Open then hands the spare to the call when it is on ip.
type SpareMedia interface {
	// PrepareSpare binds sockets for the next call on ip, unless they
	// are bound; it must not block on anything but the bind.
	PrepareSpare(ip netip.Addr) error
	// CloseSpare closes the spare; none is bound after it.
	CloseSpare()
}

// mediaIP is the address calls' RTP is bound on: the advertised host, or
// every address when that is a name.
func (u *UA) mediaIP() netip.Addr {
	u.mu.Lock()
	host := u.host
	u.mu.Unlock()
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	return ip
}

// prepareSpare has the media handler bind the next call's sockets, when
// it keeps spares. A failure is not the caller's: the next call binds its
// own sockets and reports it then.
func (u *UA) prepareSpare() {
	sp, ok := u.mediaHandler().(SpareMedia)
	if !ok {
		return
	}
	if err := sp.PrepareSpare(u.mediaIP()); err != nil {
		u.log.Debug("no spare media sockets", "err", err)
	}
}

// closeSpare closes the media handler's spare sockets, when it keeps
// them.
func (u *UA) closeSpare() {
	if sp, ok := u.mediaHandler().(SpareMedia); ok {
		sp.CloseSpare()
	}
}
