// Package dialplan matches the digits dialled on an analog phone against
// a digit map and says what to do next: wait (with the short or the long
// inter-digit timer), dial now, dial when the timer runs out, or give up
// (reorder tone), and which number to dial.
//
// The syntax is the digit map of RFC 3435 (MGCP) section 2.1.5, with the
// substitution extension of Sipura/Linksys SPA and Grandstream ATAs:
//
//	(911|[2-9]11|0|00|[2-9]xxxxxx|1[2-9]xx[2-9]xxxxxx|011x.T)
//	<8:>xxxxxxx           dial 8 and 7 digits; the 8 is not sent
//	<:1>[2-9]xxxxxxxxx    10 digits; 1 is put in front
//	<00:+>x.T             00 is replaced by +
//
// Patterns are separated by "|"; parentheses around the whole map are
// optional. An element is a digit 0-9, * or #, a DTMF letter A-D, x (any
// digit 0-9), a set in brackets ([2-9], [135], [0-3*#]) or T (the
// inter-digit timer ran out). "." after an element repeats it zero or more
// times. <from:to> drops the elements of "from" from the number to dial
// and puts the text "to" in their place. Spaces are ignored.
package dialplan

import (
	"errors"
	"fmt"
	"strings"
)

// Limits of a digit map.
const (
	MaxMapLen   = 4096 // characters
	MaxPatterns = 200
	MaxElements = 64 // elements and insertions in one pattern
	MaxInput    = 64 // dialled symbols Match looks at
)

// ErrSyntax is wrapped by every *SyntaxError.
var ErrSyntax = errors.New("dialplan: digit map syntax error")

// SyntaxError is a digit-map parse error at a character position.
type SyntaxError struct {
	Pos int    // 0-based byte offset in the map
	Msg string // what is wrong there
}

// Error names the position (1-based, as people count) and the problem.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("dialplan: digit map, character %d: %s", e.Pos+1, e.Msg)
}

// Unwrap makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// symbols are the events a digit map can name, in bit order of symset.
const symbols = "0123456789*#ABCDT"

type symset uint32

const (
	digitSet symset = 1<<10 - 1
	timerSet symset = 1 << 16
)

func symIndex(c byte) int {
	if c >= 'a' && c <= 'd' {
		c -= 'a' - 'A'
	}
	return strings.IndexByte(symbols, c)
}

// item is one step of a pattern: an element matching one symbol from set
// (repeat: zero or more), or, when set is 0, an insertion of text.
type item struct {
	set    symset
	repeat bool
	drop   bool // inside <from:...>: matched, not sent
	text   string
}

type pattern struct {
	items []item
	src   string
}

// Map is a parsed digit map. It is immutable and safe for concurrent use.
type Map struct {
	pats []pattern
	src  string
}

// String returns the map as it was parsed.
func (m *Map) String() string { return m.src }

// Parse parses a digit map.
func Parse(s string) (*Map, error) {
	if len(s) > MaxMapLen {
		return nil, &SyntaxError{Pos: MaxMapLen, Msg: fmt.Sprintf("longer than %d characters", MaxMapLen)}
	}
	p := parser{s: s}
	p.skip()
	end := len(s)
	if p.peek() == '(' {
		end = strings.LastIndexByte(s, ')')
		if end < 0 || strings.TrimSpace(s[end+1:]) != "" {
			return nil, p.err(p.i, "\"(\" opens the map but no \")\" ends it")
		}
		p.i++
	}
	m := &Map{src: s}
	for {
		if len(m.pats) == MaxPatterns {
			return nil, p.err(p.i, fmt.Sprintf("more than %d patterns", MaxPatterns))
		}
		pat, err := p.pattern(end)
		if err != nil {
			return nil, err
		}
		m.pats = append(m.pats, pat)
		if p.i >= end {
			return m, nil
		}
		p.i++ // '|'
	}
}

type parser struct {
	s string
	i int
}

func (p *parser) err(pos int, msg string) error { return &SyntaxError{Pos: pos, Msg: msg} }

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// pattern parses up to '|' or end.
func (p *parser) pattern(end int) (pattern, error) {
	start := p.i
	var pat pattern
	sub := -1 // position of an open '<', -1 outside
	for p.skip(); p.i < end && p.s[p.i] != '|'; p.skip() {
		c, at := p.s[p.i], p.i
		switch {
		case c == '<':
			if sub >= 0 {
				return pat, p.err(p.i, "\"<\" inside <from:to>")
			}
			sub = p.i
			p.i++
			continue
		case c == ':' && sub >= 0:
			j := strings.IndexByte(p.s[p.i:end], '>')
			if j < 0 {
				return pat, p.err(sub, "<from:to> has no \">\"")
			}
			to := p.s[p.i+1 : p.i+j]
			if k := strings.IndexAny(to, "<>:|()[]. \t\r\n"); k >= 0 {
				return pat, p.err(p.i+1+k, fmt.Sprintf("%q not allowed in the replacement of <from:to>", to[k]))
			}
			for k := range len(to) {
				if to[k] < 0x21 || to[k] > 0x7e {
					return pat, p.err(p.i+1+k, fmt.Sprintf("byte %#x not allowed in the replacement of <from:to>", to[k]))
				}
			}
			if to != "" {
				pat.items = append(pat.items, item{text: to})
			}
			p.i += j + 1
			sub = -1
		case c == '.':
			if len(pat.items) == 0 || pat.items[len(pat.items)-1].set == 0 || pat.items[len(pat.items)-1].repeat {
				return pat, p.err(p.i, "\".\" must follow an element (a digit, x, [..] or T)")
			}
			pat.items[len(pat.items)-1].repeat = true
			p.i++
		default:
			set, err := p.element()
			if err != nil {
				return pat, err
			}
			pat.items = append(pat.items, item{set: set, drop: sub >= 0})
		}
		if len(pat.items) > MaxElements {
			return pat, p.err(at, fmt.Sprintf("pattern longer than %d elements", MaxElements))
		}
	}
	if sub >= 0 {
		return pat, p.err(sub, "<from:to> has no \":\"")
	}
	pat.src = strings.TrimSpace(p.s[start:p.i])
	if pat.src == "" {
		return pat, p.err(p.i, "empty pattern")
	}
	if !hasElement(pat.items) {
		return pat, p.err(start, "pattern "+pat.src+" matches no digit")
	}
	if !sends(pat.items) {
		return pat, p.err(start, "pattern "+pat.src+" dials nothing (no digit of it is kept)")
	}
	return pat, nil
}

func hasElement(items []item) bool {
	for _, it := range items {
		if it.set != 0 {
			return true
		}
	}
	return false
}

// sends reports whether a match of items can give a number: an insertion
// or a kept element other than T.
func sends(items []item) bool {
	for _, it := range items {
		if it.set == 0 || (!it.drop && it.set&^timerSet != 0) {
			return true
		}
	}
	return false
}

// element parses one position: a symbol, x or [...].
func (p *parser) element() (symset, error) {
	c := p.s[p.i]
	if c == 'x' || c == 'X' {
		p.i++
		return digitSet, nil
	}
	if c != '[' {
		if k := symIndex(c); k >= 0 || c == 't' {
			p.i++
			if c == 't' {
				return timerSet, nil
			}
			return 1 << k, nil
		}
		return 0, p.err(p.i, fmt.Sprintf("unexpected %q: want a digit, *, #, A-D, x, [, T, ., <, | or )", c))
	}
	open := p.i
	p.i++
	var set symset
	for ; p.i < len(p.s) && p.s[p.i] != ']'; p.i++ {
		c := p.s[p.i]
		k := symIndex(c)
		switch {
		case c == 'x' || c == 'X':
			set |= digitSet
		case c == 't':
			set |= timerSet
		case k < 0:
			return 0, p.err(p.i, fmt.Sprintf("unexpected %q in [...]", c))
		case p.i+2 < len(p.s) && p.s[p.i+1] == '-':
			hi := symIndex(p.s[p.i+2])
			if k > 9 || hi < 0 || hi > 9 || hi < k {
				return 0, p.err(p.i, fmt.Sprintf("range %s is not digit-digit ascending", p.s[p.i:p.i+3]))
			}
			for d := k; d <= hi; d++ {
				set |= 1 << d
			}
			p.i += 2
		default:
			set |= 1 << k
		}
	}
	if p.i >= len(p.s) {
		return 0, p.err(open, "\"[\" has no \"]\"")
	}
	p.i++
	if set == 0 {
		return 0, p.err(open, "empty []")
	}
	return set, nil
}
