package notify

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sipbell/sipbell/internal/localzone"
)

// The message texts are written in a small subset of Go's text/template
// syntax, parsed and rendered here without text/template (whose reflective
// method calls keep the linker from dropping unused methods: 1.4 MB of
// the ARMv6 binary). What a text may hold:
//
//	{{.Who}}                      a field of the event (the names in textFields)
//	{{.Time.Format "15:04"}}      the event time in a Go time layout (UTC)
//	{{.Time.Local.Format "15:04"}} the same in the device's time zone
//	{{if .Button}}…{{else if .Peer}}…{{else}}…{{end}}   a field set (not zero, not empty)
//	{{range .Targets}} {{.}}{{end}}                    each target in turn
//	{{/* a comment */}}  {{- trims the space before, -}} the space after
//
// Anything else between {{ and }} (pipelines, functions, variables) is a
// configuration error naming the action.

// ErrTextSyntax is wrapped by the errors of texts this subset cannot read.
var ErrTextSyntax = errors.New("not supported in message texts")

// textSupported is told in every syntax error.
const textSupported = `use {{.Field}}, {{.Time.Format "15:04"}}, {{.Time.Local.Format "15:04"}}, ` +
	`{{if .Field}}...{{else if .Field}}...{{else}}...{{end}}, {{range .Targets}}{{.}}{{end}}`

// textFields are the payload fields a text may name, with their values.
var textFields = map[string]func(p *Payload) any{
	"ID": func(p *Payload) any { return p.ID }, "Event": func(p *Payload) any { return p.Event },
	"Time": func(p *Payload) any { return p.Time }, "Device": func(p *Payload) any { return p.Device },
	"Account": func(p *Payload) any { return p.Account }, "Registration": func(p *Payload) any { return p.Registration },
	"Button": func(p *Payload) any { return p.Button }, "Targets": func(p *Payload) any { return p.Targets },
	"Peer": func(p *Payload) any { return p.Peer }, "Incoming": func(p *Payload) any { return p.Incoming },
	"Reason": func(p *Payload) any { return p.Reason }, "Who": func(p *Payload) any { return p.Who },
	"OpenSeconds": func(p *Payload) any { return p.OpenSeconds }, "Open": func(p *Payload) any { return p.Open },
}

// textNode is one piece of a parsed text.
type textNode struct {
	lit    string   // literal text (field == "" and no branches)
	field  string   // {{.field}}; "." is the range element
	local  bool     // .Time.Local
	layout string   // .Time.Format layout; "" prints the value as text/template would
	conds  []string // if / else if fields, one per branch; "" is the else branch
	bodies [][]textNode
	rng    bool // range over field, bodies[0] per element
}

// text is a parsed message text.
type text struct{ nodes []textNode }

// parseText parses src; the error names the action it cannot read.
func parseText(src string) (*text, error) {
	toks, err := lexText(src)
	if err != nil {
		return nil, err
	}
	p := &textParser{toks: toks}
	nodes, end, err := p.list(0)
	if err != nil {
		return nil, err
	}
	if end != "" {
		return nil, fmt.Errorf("{{%s}} without {{if}} or {{range}}: %w", end, ErrTextSyntax)
	}
	return &text{nodes: nodes}, nil
}

// textToken is literal text or the inside of one action.
type textToken struct {
	lit    string
	action string
	isAct  bool
}

// lexText splits src into literal text and actions, applying the {{- -}}
// trim markers and dropping comments.
func lexText(src string) ([]textToken, error) {
	var toks []textToken
	trimNext := false
	for src != "" {
		i := strings.Index(src, "{{")
		if i < 0 {
			i = len(src)
		}
		lit := src[:i]
		if trimNext {
			lit = strings.TrimLeft(lit, " \t\r\n")
		}
		src = src[i:]
		if src == "" {
			toks = append(toks, textToken{lit: lit})
			break
		}
		j := strings.Index(src, "}}")
		if j < 0 {
			return nil, fmt.Errorf("%q: {{ without }}: %w", truncate(src, 20), ErrTextSyntax)
		}
		act := src[2:j]
		src = src[j+2:]
		if strings.HasPrefix(act, "- ") {
			lit = strings.TrimRight(lit, " \t\r\n")
			act = act[2:]
		}
		trimNext = strings.HasSuffix(act, " -")
		if trimNext {
			act = act[:len(act)-2]
		}
		toks = append(toks, textToken{lit: lit})
		act = strings.TrimSpace(act)
		if strings.HasPrefix(act, "/*") && strings.HasSuffix(act, "*/") {
			continue
		}
		toks = append(toks, textToken{action: act, isAct: true})
	}
	return toks, nil
}

type textParser struct {
	toks []textToken
	pos  int
}

// list parses nodes up to an {{else...}} or {{end}} (returned as end,
// "" at the end of the text) at depth.
func (p *textParser) list(depth int) ([]textNode, string, error) {
	var nodes []textNode
	for p.pos < len(p.toks) {
		t := p.toks[p.pos]
		p.pos++
		if !t.isAct {
			if t.lit != "" {
				nodes = append(nodes, textNode{lit: t.lit})
			}
			continue
		}
		word, arg, _ := strings.Cut(t.action, " ")
		arg = strings.TrimSpace(arg)
		switch word {
		case "end", "else":
			if depth == 0 {
				return nil, "", fmt.Errorf("{{%s}} without {{if}} or {{range}}: %w", t.action, ErrTextSyntax)
			}
			return nodes, t.action, nil
		case "if", "range":
			n, err := p.block(word, arg, depth)
			if err != nil {
				return nil, "", err
			}
			nodes = append(nodes, n)
		default:
			n, err := parseValue(t.action, depth > 0)
			if err != nil {
				return nil, "", err
			}
			nodes = append(nodes, n)
		}
	}
	return nodes, "", nil
}

// block parses an {{if}} (with its else branches) or a {{range}} up to
// its {{end}}.
func (p *textParser) block(word, arg string, depth int) (textNode, error) {
	n := textNode{rng: word == "range"}
	cond := arg
	for {
		f, err := fieldName(cond, word+" "+cond)
		if err != nil {
			return n, err
		}
		if n.rng && f != "Targets" {
			return n, fmt.Errorf("{{range %s}}: only .Targets is a list: %w", cond, ErrTextSyntax)
		}
		body, end, err := p.list(depth + 1)
		if err != nil {
			return n, err
		}
		n.conds, n.bodies = append(n.conds, f), append(n.bodies, body)
		switch {
		case end == "":
			return n, fmt.Errorf("{{%s %s}} without {{end}}: %w", word, arg, ErrTextSyntax)
		case end == "end":
			return n, nil
		case n.rng:
			return n, fmt.Errorf("{{%s}} in {{range}}: %w (%s)", end, ErrTextSyntax, textSupported)
		case end == "else":
			body, end, err := p.list(depth + 1)
			if err != nil {
				return n, err
			}
			if end != "end" {
				return n, fmt.Errorf("{{else}} of {{if %s}} without {{end}}: %w", arg, ErrTextSyntax)
			}
			n.conds, n.bodies = append(n.conds, ""), append(n.bodies, body)
			return n, nil
		case strings.HasPrefix(end, "else if "):
			cond = strings.TrimSpace(strings.TrimPrefix(end, "else if "))
		default:
			return n, fmt.Errorf("{{%s}}: %w (%s)", end, ErrTextSyntax, textSupported)
		}
	}
}

// fieldName checks that s names one payload field (".Who") and returns
// its name; act is the whole action, for the error.
func fieldName(s, act string) (string, error) {
	name, ok := strings.CutPrefix(s, ".")
	if !ok || name == "" || strings.ContainsAny(name, ". \t\"`()|$") {
		return "", fmt.Errorf("{{%s}}: %w (%s)", act, ErrTextSyntax, textSupported)
	}
	if textFields[name] == nil {
		return "", unknownField(name)
	}
	return name, nil
}

func unknownField(name string) error {
	return fmt.Errorf("unknown field .%s (one of .ID .Event .Time .Device .Account .Registration .Button "+
		".Targets .Peer .Incoming .Reason .Who .OpenSeconds .Open): %w", name, ErrTextSyntax)
}

// parseValue parses a value action: .Field, .Time[.Local][.Format "…"],
// or "." inside a range.
func parseValue(act string, inBlock bool) (textNode, error) {
	if act == "." {
		if !inBlock {
			return textNode{}, fmt.Errorf("{{.}} outside {{range .Targets}}: %w", ErrTextSyntax)
		}
		return textNode{field: "."}, nil
	}
	path, layoutArg, hasArg := strings.Cut(act, " ")
	if hasArg {
		l, err := strconv.Unquote(strings.TrimSpace(layoutArg))
		if err != nil || !strings.HasSuffix(path, ".Format") {
			return textNode{}, fmt.Errorf("{{%s}}: %w (%s)", act, ErrTextSyntax, textSupported)
		}
		path = strings.TrimSuffix(path, ".Format")
		if l == "" {
			return textNode{}, fmt.Errorf("{{%s}}: empty time layout: %w", act, ErrTextSyntax)
		}
		layoutArg = l
	}
	n := textNode{}
	if rest, ok := strings.CutPrefix(path, ".Time"); ok && (rest == "" || rest == ".Local" || rest == ".UTC") {
		n.field, n.local = "Time", rest == ".Local"
		if hasArg {
			n.layout = layoutArg
		}
		return n, nil
	}
	if hasArg {
		return textNode{}, fmt.Errorf("{{%s}}: only .Time has a .Format: %w", act, ErrTextSyntax)
	}
	f, err := fieldName(path, act)
	if err != nil {
		return textNode{}, err
	}
	n.field = f
	return n, nil
}

// render writes the text for p into b.
func (t *text) render(b *strings.Builder, p *Payload) {
	renderNodes(b, t.nodes, p, "")
}

func renderNodes(b *strings.Builder, nodes []textNode, p *Payload, elem string) {
	for i := range nodes {
		n := &nodes[i]
		switch {
		case n.rng:
			for _, e := range p.Targets {
				renderNodes(b, n.bodies[0], p, e)
			}
		case n.bodies != nil:
			for k, c := range n.conds {
				if c == "" || truthy(textFields[c](p)) {
					renderNodes(b, n.bodies[k], p, elem)
					break
				}
			}
		case n.field == ".":
			b.WriteString(elem)
		case n.field == "Time":
			tm := p.Time
			if n.local {
				tm = localzone.Local(tm) // device.time_zone, else the system's
			}
			if n.layout != "" {
				b.WriteString(tm.Format(n.layout))
			} else {
				b.WriteString(tm.String())
			}
		case n.field != "":
			fmt.Fprint(b, textFields[n.field](p))
		default:
			b.WriteString(n.lit)
		}
	}
}

// truthy is text/template's notion of a set value: not zero, not empty.
func truthy(v any) bool {
	switch v := v.(type) {
	case string:
		return v != ""
	case int:
		return v != 0
	case bool:
		return v
	case float64:
		return v != 0
	case time.Duration:
		return v != 0
	case time.Time:
		return !v.IsZero()
	case []string:
		return len(v) > 0
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
