package media

// recvStats keeps the RFC 3550 receiver statistics of one source:
// extended highest sequence number (A.1), loss (A.3), interarrival jitter
// (A.8), plus exact duplicate detection over the last seqWindow numbers.
type recvStats struct {
	started      bool
	baseSeq      uint32 // extended sequence number of the first packet
	maxSeq       uint16
	cycles       uint32 // sequence wraps, shifted left 16
	received     uint64 // every accepted packet, duplicates included
	duplicates   uint64
	seen         [seqWindow / 64]uint64 // bitmap of sequence numbers seen
	transit      int32                  // last relative transit time (timestamp units)
	timed        bool                   // transit is set
	jitter       uint32                 // RFC 3550 jitter, scaled by 16
	expPrior     uint32                 // expected at the last report
	uniqPrior    uint64                 // unique packets at the last report
	lastSRMiddle uint32                 // middle 32 bits of the last SR's NTP time
	lastSRAt     int64                  // arrival of the last SR (unix ns), 0 if none
}

const seqWindow = 1024 // sequence numbers remembered for duplicate detection

func (r *recvStats) bit(seq uint16) (word *uint64, mask uint64) {
	i := int(seq) % seqWindow
	return &r.seen[i/64], 1 << (i % 64)
}

// update records a packet with sequence number seq and RTP timestamp ts
// arriving at arrival (in timestamp units, 8 kHz). timing says whether the
// packet's timestamp tracks its sampling instant (audio; not the repeated
// timestamp of telephone-event packets) and so counts toward jitter. It
// reports whether the packet is a duplicate.
func (r *recvStats) update(seq uint16, ts uint32, arrival uint32, timing bool) (dup bool) {
	r.received++
	if !r.started {
		r.started, r.maxSeq, r.baseSeq = true, seq, uint32(seq)
		r.timed, r.transit = timing, int32(arrival-ts)
		w, m := r.bit(seq)
		*w |= m
		return false
	}
	delta := seq - r.maxSeq
	switch {
	case delta == 0:
		r.duplicates++
		return true
	case delta < 0x8000: // ahead (possibly with a wrap)
		if delta >= seqWindow {
			clear(r.seen[:])
		} else {
			for s := r.maxSeq + 1; s != seq; s++ { // forget the numbers we skip
				w, m := r.bit(s)
				*w &^= m
			}
		}
		if seq < r.maxSeq {
			r.cycles += 1 << 16
		}
		r.maxSeq = seq
	case -delta >= seqWindow: // far behind: too old to tell
	default: // behind: reordered or duplicate
		if w, m := r.bit(seq); *w&m != 0 {
			r.duplicates++
			return true
		}
		ext := r.cycles | uint32(seq)
		if seq > r.maxSeq {
			ext -= 1 << 16
		}
		if int32(ext-r.baseSeq) < 0 { // older than the first packet: reordered start
			r.baseSeq = ext
		}
	}
	w, m := r.bit(seq)
	*w |= m
	if !timing {
		return false
	}
	// RFC 3550 A.8 interarrival jitter, on the packets that are new.
	transit := int32(arrival - ts)
	if !r.timed {
		r.timed, r.transit = true, transit
	}
	d := transit - r.transit
	r.transit = transit
	if d < 0 {
		d = -d
	}
	r.jitter += uint32(d) - ((r.jitter + 8) >> 4)
	return false
}

// extMax returns the extended highest sequence number received.
func (r *recvStats) extMax() uint32 { return r.cycles | uint32(r.maxSeq) }

// lost returns the cumulative number of packets lost (never received;
// duplicates do not make up for losses).
func (r *recvStats) lost() int64 {
	if !r.started {
		return 0
	}
	expected := int64(r.extMax()-r.baseSeq) + 1
	return max(expected-int64(r.received-r.duplicates), 0)
}

// jitterSamples returns the interarrival jitter in timestamp units.
func (r *recvStats) jitterSamples() uint32 { return r.jitter >> 4 }

// report returns the RR fields: fraction lost since the last report (8-bit
// fixed point), cumulative lost (24-bit, clamped) and the extended highest
// sequence number, and starts a new interval.
func (r *recvStats) report() (fraction uint8, cumulative uint32, extMax uint32) {
	expected := r.extMax() - r.baseSeq + 1
	uniq := r.received - r.duplicates
	expInt := expected - r.expPrior
	recvInt := int64(uniq - r.uniqPrior)
	r.expPrior, r.uniqPrior = expected, uniq
	if lostInt := int64(expInt) - recvInt; expInt > 0 && lostInt > 0 {
		fraction = uint8(lostInt << 8 / int64(expInt))
	}
	return fraction, uint32(min(r.lost(), 0x7fffff)), r.extMax()
}
