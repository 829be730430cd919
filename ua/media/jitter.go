package media

// The jitter buffer holds decoded audio in 10 ms slots keyed by RTP
// timestamp, so packets of any ptime that is a multiple of 10 ms fit. A
// slot spans 80 ticks of the 8 kHz RTP clock: 80 samples of G.711, or 160
// of G.722 (16 kHz audio on an 8 kHz clock, RFC 3551).
const (
	slotSamples = 80  // RTP clock ticks per slot (10 ms); samples at 8 kHz
	frameSlots  = 2   // slots per 20 ms playout frame
	nSlots      = 256 // ring size: 2.56 s of audio
	silentLevel = 200 // |sample| below this counts as silence
	adaptWindow = 100 // packets per adaptation window (2 s at 20 ms)
	maxLateRun  = 10  // consecutive late packets that force a resync
	frameLen    = 160 // ticks per playout frame (audio.FrameSamples at 8 kHz)
)

type slot struct {
	ts     uint32 // RTP timestamp of the slot's first sample
	filled bool   // holds audio not yet played
	played bool   // was played (a copy arriving now is a duplicate)
	silent bool
	pcm    [maxTick * slotSamples]int16 // the first slotSamples*tick are used
}

// jitterBuffer reorders decoded audio, drops duplicates and late packets,
// adapts its playout delay (grows when packets arrive late, shrinks in
// silence when the last window had slack) and conceals gaps. Push and pop
// are called with the owner's lock held; neither allocates once the
// buffer holds its slot ring. The ring (about 85 KB) is taken from a
// small bounded pool when the first packet anchors playout, not when the
// call is set up, and goes back to it on release.
type jitterBuffer struct {
	k                  int // samples per tick: 1 (8 kHz), 2 (16 kHz)
	minSlots, maxSlots int // delay bounds
	target             int // current delay target in slots
	anchored           bool
	base               uint32 // timestamp the slot index counts from
	next               uint32 // timestamp of the next sample to play
	head               uint32 // timestamp just past the newest audio received
	grow, shrink       int    // pending delay changes in slots
	audible            bool   // real audio has been played since anchoring
	winMin, winN       int    // smallest headroom (slots) in the current window
	lastWinMin         int
	lateRun            int // consecutive late packets
	late, concealed    uint64
	played             uint64 // slots of received audio played
	skipped            uint64 // slots of received silence skipped to shrink the delay
	plc                plc
	slots              *[nSlots]slot // nil until anchored; see release
}

// newJitterBuffer returns a buffer whose playout delay stays within
// [minMS, maxMS] (rounded to 10 ms, at least one frame above zero).
func newJitterBuffer(minMS, maxMS int) *jitterBuffer {
	j := &jitterBuffer{k: 1, minSlots: max(minMS/10, frameSlots), maxSlots: min(max(maxMS/10, frameSlots), nSlots-2*frameSlots)}
	j.minSlots = min(j.minSlots, j.maxSlots)
	j.target = j.minSlots
	j.winMin, j.lastWinMin = nSlots, nSlots
	return j
}

// tick returns the samples per RTP clock tick: 1 at 8 kHz, 2 at 16 kHz.
func (j *jitterBuffer) tick() int { return j.k }

// setTick switches the buffer to k samples per tick (a codec of another
// rate was negotiated): what it holds is dropped and playout restarts
// with the next packet.
func (j *jitterBuffer) setTick(k int) {
	if k == j.k || k < 1 || k > maxTick {
		return
	}
	j.k, j.anchored, j.audible = k, false, false
	j.plc = plc{k: k}
}

// slotFor returns ts's slot. Indexing is relative to the anchor, so the
// 32-bit timestamp wrap (not a multiple of the slot size) is harmless.
func (j *jitterBuffer) slotFor(ts uint32) *slot { return &j.slots[((ts-j.base)/slotSamples)%nSlots] }

// level returns how many slots of audio lie between next and head.
func (j *jitterBuffer) level() int { return int(int32(j.head-j.next)) / slotSamples }

// anchor (re)starts playout so that ts plays after the target delay.
// The first anchor takes the slot ring.
func (j *jitterBuffer) anchor(ts uint32) {
	if j.slots == nil {
		j.slots = takeSlots()
	}
	for i := range j.slots {
		j.slots[i].filled, j.slots[i].played = false, false
	}
	j.next = ts - uint32(j.target*slotSamples)
	j.base = j.next
	j.head = ts
	j.anchored = true
	j.grow, j.shrink, j.lateRun = 0, 0, 0
}

// pushResult says what happened to a pushed packet.
type pushResult uint8

const (
	pushStored pushResult = iota
	pushLate
	pushDuplicate
)

// push stores the decoded samples of one packet with RTP timestamp ts.
// len(pcm) should be a multiple of 80 ticks (80 or 160 samples); a
// trailing partial slot is dropped.
func (j *jitterBuffer) push(ts uint32, pcm []int16) pushResult {
	sk := slotSamples * j.k
	n := len(pcm) / sk
	if n == 0 {
		return pushStored
	}
	if !j.anchored {
		j.anchor(ts)
	}
	d := int(int32(ts-j.next)) / slotSamples
	if int32(ts-j.next) < 0 {
		d = (int(int32(ts-j.next)) - slotSamples + 1) / slotSamples
	}
	if s := j.slotFor(ts); s.ts == ts && (s.filled || s.played) {
		return pushDuplicate
	}
	switch {
	case d < -nSlots/2 || d > nSlots-n-frameSlots:
		j.anchor(ts) // timestamp jump: the peer restarted its clock
		d = j.target
	case j.level() <= 0 && d > j.maxSlots, j.lateRun >= maxLateRun:
		// The peer's clock jumped within the ring, forward past the
		// maximum delay while we had nothing, or backwards: resync.
		j.anchor(ts)
		d = j.target
	}
	j.adapt(d)
	if d < 0 {
		j.late++
		j.lateRun++
		return pushLate
	}
	j.lateRun = 0
	for i := 0; i < n; i++ {
		s := j.slotFor(ts + uint32(i*slotSamples))
		s.ts, s.filled, s.played, s.silent = ts+uint32(i*slotSamples), true, false, true
		copy(s.pcm[:sk], pcm[i*sk:])
		for _, v := range s.pcm[:sk] {
			if v > silentLevel || v < -silentLevel {
				s.silent = false
				break
			}
		}
	}
	if end := ts + uint32(n*slotSamples); int32(end-j.head) > 0 {
		j.head = end
	}
	return pushStored
}

// adapt records the headroom d (slots before playout) of an arriving
// packet and schedules delay changes.
func (j *jitterBuffer) adapt(d int) {
	if d < 0 { // late: grow by the lateness at once (one spike, one growth)
		need := (-d + frameSlots - 1) / frameSlots * frameSlots
		if g := min(need-j.grow, j.maxSlots-j.target); g > 0 {
			j.target += g
			j.grow += g
		}
		j.shrink = 0
		j.winMin, j.winN = nSlots, 0
		return
	}
	j.winMin = min(j.winMin, d)
	if j.winN++; j.winN < adaptWindow {
		return
	}
	// Every packet of the last two windows had this much slack: shrink
	// by it (whole frames); the skips happen in silence (see pop).
	slack := min(j.winMin, j.lastWinMin) / frameSlots * frameSlots
	if s := min(slack, j.target-j.minSlots); s > 0 {
		j.target -= s
		j.shrink = s
	}
	j.lastWinMin, j.winMin, j.winN = j.winMin, nSlots, 0
}

// pop writes the next 20 ms frame into out (frameLen ticks: 160 or 320
// samples) and reports whether any of it was concealed.
func (j *jitterBuffer) pop(out []int16) (concealed bool) {
	out = out[:frameLen*j.k]
	if !j.anchored {
		clear(out)
		return false
	}
	if j.grow >= frameSlots { // stretch: repeat without advancing
		j.grow -= frameSlots
		return j.fill(out, true)
	}
	for j.level() > j.maxSlots+frameSlots { // burst beyond the maximum delay
		if j.drop() > 0 {
			j.late++ // one 20 ms frame, one packet at the usual ptime
		}
	}
	if j.shrink >= frameSlots && j.level() > j.target && j.frameSilent() {
		j.shrink -= frameSlots
		j.skipped += j.drop()
	}
	return j.fill(out, false)
}

// frameSilent reports whether the next frame is received silence.
func (j *jitterBuffer) frameSilent() bool {
	for i := 0; i < frameSlots; i++ {
		ts := j.next + uint32(i*slotSamples)
		if s := j.slotFor(ts); s.ts != ts || !s.filled || !s.silent {
			return false
		}
	}
	return true
}

// drop discards the next frame unplayed and returns how many of its
// slots held audio.
func (j *jitterBuffer) drop() (n uint64) {
	for i := 0; i < frameSlots; i++ {
		ts := j.next + uint32(i*slotSamples)
		if s := j.slotFor(ts); s.ts == ts && s.filled {
			s.filled, s.played = false, true
			n++
		}
	}
	j.next += frameLen
	return n
}

// fill writes the frame at next (or a concealment frame when stretch is
// set) and advances next unless stretching.
func (j *jitterBuffer) fill(out []int16, stretch bool) (concealed bool) {
	sk := slotSamples * j.k
	for i := 0; i < frameSlots; i++ {
		part := out[i*sk : (i+1)*sk]
		ts := j.next + uint32(i*slotSamples)
		s := j.slotFor(ts)
		if !stretch && s.ts == ts && s.filled {
			copy(part, s.pcm[:sk])
			s.filled, s.played = false, true
			j.plc.real(part)
			j.audible = true
			j.played++
			continue
		}
		if !j.audible { // nothing heard yet: plain silence
			clear(part)
			continue
		}
		j.plc.conceal(part)
		concealed = true
	}
	if !stretch {
		j.next += frameLen
	}
	if concealed {
		j.concealed++
	}
	return concealed
}

// delayMS returns the current playout delay target in milliseconds.
func (j *jitterBuffer) delayMS() int { return j.target * 10 }

// slotPool holds slot rings of ended calls for the next ones: a door
// station or adapter has one or two calls at a time, so a few suffice.
// A ring in the pool belongs to no buffer.
var slotPool = make(chan *[nSlots]slot, 2)

// takeSlots returns a ring from the pool, or a new one. Its contents are
// stale; anchor clears the flags that make a slot audible.
func takeSlots() *[nSlots]slot {
	select {
	case s := <-slotPool:
		return s
	default:
		return new([nSlots]slot)
	}
}

// release gives the slot ring back to the pool (the call ended) and
// unanchors the buffer: what it held is gone, and a later push takes a
// ring anew. The counters stay for Stats.
func (j *jitterBuffer) release() {
	if j.slots == nil {
		return
	}
	s := j.slots
	j.slots, j.anchored, j.audible = nil, false, false
	select {
	case slotPool <- s:
	default: // the pool is full: the collector takes it
	}
}
