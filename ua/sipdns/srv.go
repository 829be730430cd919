package sipdns

import "slices"

// orderSRV orders SRV records as RFC 2782 says: by priority, lowest
// first, and within one priority by weighted random choice (weight 0
// rarely first). intn(n) returns a random number in [0, n).
func orderSRV(rs []srvRecord, intn func(int) int) []srvRecord {
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b srvRecord) int { return int(a.Priority) - int(b.Priority) })
	out := make([]srvRecord, 0, len(rs))
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && rs[j].Priority == rs[i].Priority {
			j++
		}
		out = append(out, weighted(rs[i:j], intn)...)
		i = j
	}
	return out
}

// weighted orders one priority's records: zero weights are placed first,
// then repeatedly a uniform number in [0, sum of weights] picks the first
// record whose running sum reaches it.
func weighted(group []srvRecord, intn func(int) int) []srvRecord {
	rest := make([]srvRecord, 0, len(group))
	for _, r := range group {
		if r.Weight == 0 {
			rest = append(rest, r)
		}
	}
	for _, r := range group {
		if r.Weight != 0 {
			rest = append(rest, r)
		}
	}
	out := make([]srvRecord, 0, len(group))
	for len(rest) > 0 {
		sum := 0
		for _, r := range rest {
			sum += int(r.Weight)
		}
		pick, run := intn(sum+1), 0
		k := len(rest) - 1
		for i, r := range rest {
			run += int(r.Weight)
			if run >= pick {
				k = i
				break
			}
		}
		out = append(out, rest[k])
		rest = append(rest[:k], rest[k+1:]...)
	}
	return out
}
