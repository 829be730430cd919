package media

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/g711"
)

func TestFrameLenMatchesAudio(t *testing.T) {
	if frameLen != audio.FrameSamples {
		t.Fatalf("frameLen %d != audio.FrameSamples %d", frameLen, audio.FrameSamples)
	}
}

// tone returns n samples of a sine at freq Hz, amplitude amp, from sample
// offset start.
func tone(freq, amp float64, start, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(start+i)/8000))
	}
	return s
}

type simPacket struct {
	seq     uint16
	ts      uint32
	arrival int // ms
	payload []byte
}

// TestJitterBufferSeededNetwork feeds 60 s of 20 ms packets with 5 % loss,
// 3 % duplicates, uniform 0-60 ms jitter (which reorders) and a few
// explicit swaps, and plays one frame per 20 ms tick.
func TestJitterBufferSeededNetwork(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		rng := rand.New(rand.NewPCG(seed, 42))
		const n = 3000
		seq0, ts0 := uint16(65000), uint32(0xffff0000) // both wrap during the call
		var pkts []simPacket
		lost, dups := 0, 0
		for i := 0; i < n; i++ {
			pcm := tone(440, 8000, i*frameLen, frameLen)
			p := simPacket{seq: seq0 + uint16(i), ts: ts0 + uint32(i*frameLen), payload: make([]byte, frameLen)}
			g711.Ulaw.Encode(p.payload, pcm)
			if i > 0 && i < n-1 && rng.Float64() < 0.05 {
				lost++
				continue
			}
			p.arrival = i*20 + 5 + rng.IntN(61)
			pkts = append(pkts, p)
			if rng.Float64() < 0.03 {
				d := p
				d.arrival += rng.IntN(40)
				pkts = append(pkts, d)
				dups++
			}
		}
		sort.SliceStable(pkts, func(a, b int) bool { return pkts[a].arrival < pkts[b].arrival })
		r := newReceiver(20, 200)
		out := make([]int16, frameLen)
		frames, started, silentRun, maxSilentRun := 0, false, 0, 0
		k := 0
		for tick := 10; k < len(pkts) || r.jb.level() > 0; tick += 20 {
			for ; k < len(pkts) && pkts[k].arrival <= tick; k++ {
				p := pkts[k]
				r.push(p.seq, p.ts, Codec{Name: PCMU}, p.payload, uint32(p.arrival*8))
			}
			r.pop(out)
			frames++
			peak := 0
			for _, v := range out {
				peak = max(peak, int(math.Abs(float64(v))))
			}
			if peak > 1000 {
				started = true
				silentRun = 0
			} else if started && k < len(pkts) {
				silentRun++
				maxSilentRun = max(maxSilentRun, silentRun)
			}
			if frames > 2*n {
				t.Fatal("playout never drained")
			}
		}
		st := &r.stats
		uniq := int(st.received - st.duplicates)
		t.Logf("seed %d: frames %d, received %d, dup %d, lost %d, late %d, concealed %d, played %d slots, jitter %.1f ms, delay %d ms",
			seed, frames, st.received, st.duplicates, st.lost(), r.jb.late, r.jb.concealed, r.jb.played, float64(st.jitterSamples())/8, r.jb.delayMS())
		if int(st.received) != n-lost+dups || int(st.duplicates) != dups || int(st.lost()) != lost {
			t.Errorf("stats received %d dup %d lost %d, injected received %d dup %d lost %d",
				st.received, st.duplicates, st.lost(), n-lost+dups, dups, lost)
		}
		if int(r.jb.played)/frameSlots+int(r.jb.late) != uniq {
			t.Errorf("played %d frames + late %d != unique received %d", r.jb.played/frameSlots, r.jb.late, uniq)
		}
		if maxSilentRun > 0 {
			t.Errorf("audio stopped for %d frames after it started", maxSilentRun)
		}
		// Up to two lost packets at the very start are silence, not concealment
		// (nothing was heard yet when the reordered first packets arrived).
		if c := int(r.jb.concealed); c < lost-2 || c > lost+int(r.jb.late)+int(r.jb.delayMS()/20)+5 {
			t.Errorf("concealed %d frames, want lost %d + late %d + growth", c, lost, r.jb.late)
		}
		if r.jb.late > n/50 {
			t.Errorf("%d late packets: buffer did not adapt to the jitter", r.jb.late)
		}
		if j := float64(st.jitterSamples()) / 8; j < 10 || j > 30 {
			t.Errorf("jitter %.1f ms, want ~20 for uniform 0-60 ms", j)
		}
		if d := r.jb.delayMS(); d < 60 || d > 200 {
			t.Errorf("delay %d ms, want between the jitter (60) and the max", d)
		}
	}
}

// TestJitterBufferShrinksInSilence checks that the delay grown for a jitter
// spike comes back down during silence once the network is calm again.
func TestJitterBufferShrinksInSilence(t *testing.T) {
	j := newJitterBuffer(20, 200)
	out := make([]int16, frameLen)
	silence := make([]int16, frameLen)
	const n = 1000
	arrival := func(i int) int { // ms; packets 50-54 are held up to 100 ms
		if i >= 50 && i < 55 {
			return 55*20 + 5
		}
		return i*20 + 5
	}
	k, maxDelay := 0, 0
	for tick := 10; k < n; tick += 20 {
		for ; k < n && arrival(k) <= tick; k++ {
			pcm := silence
			if k < 100 {
				pcm = tone(500, 8000, k*frameLen, frameLen)
			}
			j.push(uint32(k*frameLen), pcm)
		}
		j.pop(out)
		maxDelay = max(maxDelay, j.delayMS())
	}
	if maxDelay < 80 {
		t.Errorf("delay never grew for the spike (max %d ms)", maxDelay)
	}
	if d := j.delayMS(); d > 40 {
		t.Errorf("delay stayed at %d ms after 18 s of calm silence", d)
	}
}

func maxSlope(x []int16) int {
	m := 0
	for i := 1; i < len(x); i++ {
		m = max(m, int(math.Abs(float64(x[i])-float64(x[i-1]))))
	}
	return m
}

// TestConcealmentHasNoClicks drops frames from tones and checks that no
// sample step at the concealment boundaries exceeds the signal's own
// largest step, and that long gaps fade to silence.
func TestConcealmentHasNoClicks(t *testing.T) {
	for _, tc := range []struct {
		freq float64
		gap  int // frames lost
	}{{300, 1}, {440, 1}, {697, 2}, {1000, 1}, {1633, 3}, {440, 6}, {2000, 1}} {
		j := newJitterBuffer(20, 200)
		var played []int16
		out := make([]int16, frameLen)
		for i := 0; i < 40; i++ {
			pcm := tone(tc.freq, 10000, i*frameLen, frameLen)
			enc := make([]byte, frameLen)
			g711.Ulaw.Encode(enc, pcm)
			g711.Ulaw.Decode(pcm, enc)
			if i < 20 || i >= 20+tc.gap {
				j.push(uint32(i*frameLen), pcm)
			}
			j.pop(out)
			played = append(played, out...)
		}
		ref := tone(tc.freq, 10000, 0, 20*frameLen)
		limit := maxSlope(ref) * 11 / 10 // the tone's own steepest step, +10 % for G.711 noise
		if got := maxSlope(played); got > limit {
			t.Errorf("%v Hz, %d frames lost: largest step %d > signal's %d", tc.freq, tc.gap, got, limit)
		}
		if j.concealed != uint64(tc.gap) {
			t.Errorf("%v Hz: concealed %d frames, want %d", tc.freq, j.concealed, tc.gap)
		}
		if tc.gap >= 4 {
			start := (20 + j.target/frameSlots + 3) * frameLen
			if peak := maxSlope(played[start : start+frameLen]); peak > 0 {
				t.Errorf("%v Hz: a %d-frame gap did not fade to silence", tc.freq, tc.gap)
			}
		}
	}
}

func TestRecvStatsWrapReorderDuplicate(t *testing.T) {
	var r recvStats
	seqs := []uint16{65533, 65535, 65534, 0, 0, 2, 65535, 3}
	dups := 0
	for i, s := range seqs {
		if r.update(s, uint32(i*160), uint32(i*160), true) {
			dups++
		}
	}
	if dups != 2 || r.extMax() != 1<<16|3 || r.lost() != 1 {
		t.Errorf("dups %d extMax %#x lost %d, want 2 0x10003 1", dups, r.extMax(), r.lost())
	}
	frac, cum, ext := r.report()
	if cum != 1 || ext != 1<<16|3 || frac != uint8(256*1/7) {
		t.Errorf("report frac %d cum %d ext %#x", frac, cum, ext)
	}
	if frac, _, _ = r.report(); frac != 0 {
		t.Errorf("second report fraction %d, want 0", frac)
	}
}
