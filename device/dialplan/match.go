package dialplan

import "fmt"

// Status is what the digits dialled so far mean.
type Status int

// The outcomes of Match.
const (
	// NoMatch: no pattern can match any more; play reorder.
	NoMatch Status = iota
	// Partial: a pattern may still match; wait for Result.Timer.
	Partial
	// FullAmbiguous: a pattern matches, but more digits could match
	// another one; dial Result.Number when Result.Timer (short) runs out.
	FullAmbiguous
	// FullUnique: dial Result.Number now.
	FullUnique
)

// String names the status.
func (s Status) String() string {
	switch s {
	case NoMatch:
		return "no-match"
	case Partial:
		return "partial"
	case FullAmbiguous:
		return "full-ambiguous"
	case FullUnique:
		return "full-unique"
	}
	return fmt.Sprintf("dialplan.Status(%d)", int(s))
}

// Timer is the inter-digit timer to wait for.
type Timer int

// The timers.
const (
	NoTimer Timer = iota
	// Short: the digits so far are a number (or become one when the timer
	// runs out, a T in the map); the timer running out dials it.
	Short
	// Long: the digits so far are not yet a number; the timer running
	// out means reorder.
	Long
)

// String names the timer.
func (t Timer) String() string {
	return [...]string{"none", "short", "long"}[min(max(int(t), 0), 2)]
}

// Result is the meaning of the digits dialled so far.
type Result struct {
	Status Status
	// Timer is the timer to run for Partial and FullAmbiguous.
	Timer Timer
	// Number is the number to dial (after substitutions) for the full
	// matches; for FullAmbiguous, the number dialled when Timer runs out.
	Number string
	// Pattern is the pattern that matched, as written in the map.
	Pattern string
}

// Match tells what input means. input is the dialled symbols (0-9, *, #,
// A-D), optionally ending in T when the inter-digit timer ran out: then
// the result is FullUnique (a pattern matches, with or without its T) or
// NoMatch. Input with no digit yet is Partial with the long timer (the
// caller's dial-tone timeout applies instead); a T alone is NoMatch.
func (m *Map) Match(input string) Result {
	timedOut := len(input) > 0 && (input[len(input)-1] == 'T' || input[len(input)-1] == 't')
	if timedOut {
		input = input[:len(input)-1]
	}
	if len(input) > MaxInput {
		return Result{}
	}
	for i := range len(input) {
		if k := symIndex(input[i]); k < 0 || k == 16 {
			return Result{}
		}
	}
	if input == "" {
		if timedOut {
			return Result{}
		}
		return Result{Status: Partial, Timer: Long}
	}
	var full *Result
	extend, tdone := false, false
	for i := range m.pats {
		r := m.pats[i].run(input)
		if r.tOut == "" {
			r.tAccept = false // a match that dials nothing is none
		}
		if r.out == "" {
			r.accept = false
		}
		if timedOut {
			if r.tAccept || r.accept {
				out := r.tOut
				if !r.tAccept {
					out = r.out
				}
				return Result{Status: FullUnique, Number: out, Pattern: m.pats[i].src}
			}
			continue
		}
		if r.accept && full == nil {
			full = &Result{Number: r.out, Pattern: m.pats[i].src}
		}
		extend = extend || r.extend
		tdone = tdone || r.tAccept
	}
	switch {
	case timedOut:
		return Result{}
	case full != nil && extend:
		full.Status, full.Timer = FullAmbiguous, Short
		return *full
	case full != nil:
		full.Status = FullUnique
		return *full
	case tdone:
		return Result{Status: Partial, Timer: Short}
	case extend:
		return Result{Status: Partial, Timer: Long}
	}
	return Result{}
}

// state is one position in a pattern with the number built on the way
// there.
type state struct {
	pos int
	out string
}

// runResult is what a pattern makes of an input.
type runResult struct {
	accept  bool   // the input matches the whole pattern
	out     string // the number then
	tAccept bool   // the input plus a timer event matches it
	tOut    string
	extend  bool // a further digit (not T) can still lead to a match
}

// run feeds input through the pattern as a nondeterministic automaton:
// the live positions after each symbol, each with the first number built
// on a path there.
func (p *pattern) run(input string) runResult {
	cur := p.closure([]state{{}})
	for i := range len(input) {
		cur = p.step(cur, symIndex(input[i]), input[i])
		if len(cur) == 0 {
			return runResult{}
		}
	}
	var r runResult
	n := len(p.items)
	for _, s := range cur {
		if s.pos == n {
			if !r.accept {
				r.accept, r.out = true, s.out
			}
			continue
		}
		if p.items[s.pos].set&^timerSet != 0 {
			r.extend = true
		}
	}
	for _, s := range p.step(cur, 16, 0) {
		if s.pos == n {
			r.tAccept, r.tOut = true, s.out
			break
		}
	}
	return r
}

// step moves every state over symbol k (byte c, appended to the number
// unless the element drops it or it is T).
func (p *pattern) step(cur []state, k int, c byte) []state {
	var next []state
	for _, s := range cur {
		if s.pos == len(p.items) {
			continue
		}
		it := p.items[s.pos]
		if it.set&(1<<k) == 0 {
			continue
		}
		out := s.out
		if !it.drop && k != 16 {
			out += string(c)
		}
		if it.repeat {
			next = append(next, state{s.pos, out})
		} else {
			next = append(next, state{s.pos + 1, out})
		}
	}
	return p.closure(next)
}

// closure adds the states reachable without a symbol (skipping a repeated
// element, taking an insertion), keeping the first state per position.
func (p *pattern) closure(in []state) []state {
	var out []state
	seen := make([]bool, len(p.items)+1)
	var add func(s state)
	add = func(s state) {
		if seen[s.pos] {
			return
		}
		seen[s.pos] = true
		out = append(out, s)
		if s.pos == len(p.items) {
			return
		}
		switch it := p.items[s.pos]; {
		case it.set == 0:
			add(state{s.pos + 1, s.out + it.text})
		case it.repeat:
			add(state{s.pos + 1, s.out})
		}
	}
	for _, s := range in {
		add(s)
	}
	return out
}
