package g722

// This file holds the sub-band ADPCM of ITU-T G.722 §3-§6 (blocks 1L-4L of
// the lower and 1H-4H of the higher sub-band), written from the
// Recommendation's computational description. All quantities are 16-bit
// fixed point as the Recommendation specifies; sat16 plays the part of its
// 16-bit limiting.

// sat16 limits v to the 16-bit two's complement range.
func sat16(v int32) int32 {
	if v > 32767 {
		return 32767
	}
	if v < -32768 {
		return -32768
	}
	return v
}

// sign is the Recommendation's sign bit: -1 for negative values, 0 for
// zero and positive ones (zero counts as positive).
func sign(v int32) int32 { return v >> 15 }

// ilb is the 32-entry log-to-linear table of SCALEL/SCALEH:
// round(2048 * 2^(i/32)).
var ilb = [32]int32{
	2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383,
	2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
	2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371,
	3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
}

// scale converts a logarithmic scale factor nb into the linear one (DETL
// or DETH); bias is 8 for the lower and 10 for the higher sub-band.
func scale(nb, bias int32) int32 {
	w := ilb[(nb>>6)&31]
	if sh := bias - nb>>11; sh >= 0 {
		w >>= sh
	} else {
		w <<= -sh
	}
	return w << 2
}

// band is the state of one sub-band's adaptive quantiser and predictor
// (block 4 of either sub-band).
type band struct {
	s   int32    // predictor output SL/SH
	sz  int32    // zero-section output SZL/SZH
	det int32    // linear scale factor DETL/DETH
	nb  int32    // logarithmic scale factor NBL/NBH
	a   [3]int32 // pole coefficients AL1, AL2 (index 0 unused)
	b   [7]int32 // zero coefficients BL1..BL6 (index 0 unused)
	d   [7]int32 // quantised differences DLT1..DLT6 (index 0 unused)
	p   [3]int32 // partially reconstructed signal PLT0..PLT2
	r   [3]int32 // reconstructed signal RLT0..RLT2

	// ffmpeg selects ffmpeg's G.722 arithmetic instead of the
	// Recommendation's (see adapt); wide counts the sums that left 16 bits
	// there, where the two differ. Only tests use them.
	ffmpeg bool
	wide   int
}

// adapt is block 4: it reconstructs the signal with the quantised
// difference d, adapts the pole and zero predictors, shifts the delay
// line and computes the next prediction.
func (bd *band) adapt(d int32) {
	// RECONS, PARREC
	bd.r[0] = sat16(bd.s + d)
	bd.p[0] = sat16(bd.sz + d)

	// UPPOL2: a2 leaks towards 0, moves with the sign agreement of p0/p2
	// against f(a1) times the agreement of p0/p1.
	sg0, sg1, sg2 := sign(bd.p[0]), sign(bd.p[1]), sign(bd.p[2])
	wd1 := sat16(bd.a[1] << 2)
	wd2 := wd1
	if sg0 == sg1 {
		wd2 = sat16(-wd1)
	}
	wd2 >>= 7
	wd3 := int32(-128)
	if sg0 == sg2 {
		wd3 = 128
	}
	a2 := sat16(wd2 + wd3 + (bd.a[2]*32512)>>15)
	a2 = min(max(a2, -12288), 12288)

	// UPPOL1: a1 leaks, moves with the sign agreement of p0/p1, limited
	// so the pole pair stays stable.
	wd1 = -192
	if sg0 == sg1 {
		wd1 = 192
	}
	a1 := sat16(wd1 + (bd.a[1]*32640)>>15)
	lim := 15360 - a2
	a1 = min(max(a1, -lim), lim)
	bd.a[1], bd.a[2] = a1, a2

	// UPZERO: each b_i leaks and moves with the sign agreement of d and
	// d_i (not at all when d is 0); |b_i| stays within 16 bits without
	// limiting. DELAYA shifts the delay lines.
	step := int32(128)
	if d == 0 {
		step = 0
	}
	sd := sign(d)
	prev := d // the new d_1
	for i := 1; i <= 6; i++ {
		w := -step
		if sign(bd.d[i]) == sd {
			w = step
		}
		bd.b[i] = w + (bd.b[i]*32640)>>15
		prev, bd.d[i] = bd.d[i], prev
	}
	bd.p[2], bd.p[1] = bd.p[1], bd.p[0]
	bd.r[2], bd.r[1] = bd.r[1], bd.r[0]

	// FILTEZ, FILTEP and PREDIC in 16-bit arithmetic with limiting at
	// every addition, FILTEZ summing from b_6 d_6 down to b_1 d_1.
	sp1 := (bd.a[1] * sat16(bd.r[1]+bd.r[1])) >> 15
	sp2 := (bd.a[2] * sat16(bd.r[2]+bd.r[2])) >> 15
	if bd.ffmpeg {
		// ffmpeg's arithmetic: no limiting inside the sums.
		var sz int32
		for i := 6; i >= 1; i-- {
			sz += (bd.d[i] * bd.b[i]) >> 14
			if sz != sat16(sz) {
				bd.wide++
			}
		}
		if sp1+sp2 != sat16(sp1+sp2) {
			bd.wide++
		}
		bd.sz = sz
		bd.s = sat16(sz + sp1 + sp2)
		return
	}
	var sz int32
	for i := 6; i >= 1; i-- {
		sz = sat16(sz + (sat16(bd.d[i]+bd.d[i])*bd.b[i])>>15)
	}
	bd.sz = sz
	bd.s = sat16(sat16(sp1+sp2) + sz)
}

// reset puts the band into the Recommendation's initial state; det0 is the
// initial linear scale factor (32 lower, 8 higher sub-band).
func (bd *band) reset(det0 int32) {
	*bd = band{det: det0, ffmpeg: bd.ffmpeg}
}

// Lower sub-band tables (Tables 6 and 7 of G.722).

// q6 holds the decision levels of the 6-bit quantiser (QUANTL), in the
// units of the inverse quantiser tables below.
var q6 = [30]int32{
	0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650,
	714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980,
	2195, 2557, 2919,
}

// qq6, qq5 and qq4 are the output levels of the 6-, 5- and 4-bit inverse
// quantisers, indexed by the 6-, 5- or 4-bit code.
var qq6 = [64]int32{
	-17, -17, -17, -17, -3101, -2738, -2376, -2088, -1873, -1689, -1535,
	-1399, -1279, -1170, -1072, -982, -899, -822, -750, -682, -618, -558,
	-501, -447, -396, -347, -300, -254, -211, -170, -130, -91,
	3101, 2738, 2376, 2088, 1873, 1689, 1535, 1399, 1279, 1170, 1072, 982,
	899, 822, 750, 682, 618, 558, 501, 447, 396, 347, 300, 254, 211, 170,
	130, 91, 54, 17, -54, -17,
}

var qq5 = [32]int32{
	-35, -35, -2919, -2195, -1765, -1458, -1219, -1023, -858, -714, -587,
	-473, -370, -276, -190, -110, 2919, 2195, 1765, 1458, 1219, 1023, 858,
	714, 587, 473, 370, 276, 190, 110, 35, -35,
}

var qq4 = [16]int32{
	0, -2557, -1612, -1121, -786, -530, -323, -150,
	2557, 1612, 1121, 786, 530, 323, 150, 0,
}

// wl is the lower sub-band log scale factor multiplier (LOGSCL), indexed
// by rl4: the magnitude rank of a 4-bit code.
var wl = [8]int32{-60, -30, 58, 172, 334, 538, 1198, 3042}

var rl4 = [16]uint8{0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0}

// Higher sub-band tables: 2-bit output levels (INVQAH) and the log scale
// factor multiplier (LOGSCH), by code.
var (
	qq2 = [4]int32{-926, -202, 926, 202}
	wh  = [4]int32{798, -214, 798, -214}
)

// quantL is QUANTL: the 6-bit code of the lower sub-band difference el.
func quantL(el, det int32) uint8 {
	wd := el
	if el < 0 {
		wd = -(el + 1) // the Recommendation's one's complement magnitude
	}
	// The decision levels grow with mil: find the first one above wd by
	// bisection (the interval mil is [q6[mil-1], q6[mil]), mil 30 open).
	lo, hi := 1, 30
	for lo < hi {
		mid := (lo + hi) / 2
		if wd >= (q6[mid]*det)>>12 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	mil := lo
	if el < 0 {
		switch mil {
		case 1:
			return 63
		case 2:
			return 62
		}
		return uint8(34 - mil)
	}
	return uint8(62 - mil)
}

// quantH is QUANTH: the 2-bit code of the higher sub-band difference eh.
func quantH(eh, det int32) uint8 {
	wd := eh
	if eh < 0 {
		wd = -(eh + 1)
	}
	large := wd >= (564*det)>>12
	switch {
	case eh < 0 && large:
		return 0
	case eh < 0:
		return 1
	case large:
		return 2
	}
	return 3
}

// lowAdapt updates the lower sub-band after its 4-bit code il4 (the two
// LSBs of the 6-bit code dropped, as the Recommendation does in every
// mode): INVQAL, LOGSCL, SCALEL and block 4L.
func (bd *band) lowAdapt(il4 uint8) {
	dlt := (bd.det * qq4[il4]) >> 12
	nb := (bd.nb*32512)>>15 + wl[rl4[il4]]
	bd.nb = min(max(nb, 0), 18432)
	bd.det = scale(bd.nb, 8)
	bd.adapt(dlt)
}

// highAdapt updates the higher sub-band after its 2-bit code ih and
// returns the reconstructed signal RH (limited, block 5H): INVQAH,
// LOGSCH, SCALEH, block 4H.
func (bd *band) highAdapt(ih uint8) int32 {
	dh := (bd.det * qq2[ih]) >> 12
	rh := limit(bd.s + dh)
	nb := (bd.nb*32512)>>15 + wh[ih]
	bd.nb = min(max(nb, 0), 22528)
	bd.det = scale(bd.nb, 10)
	bd.adapt(dh)
	return rh
}

// limit is block 5: the reconstructed signal is limited to 15 bits.
func limit(v int32) int32 { return min(max(v, -16384), 16383) }
