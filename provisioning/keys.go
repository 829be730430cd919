package provisioning

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// index maps field paths to the lines they were written on, both ways.
type index struct {
	lines map[string]int
	paths map[int]string
	mixed map[int]bool // lines holding unrelated paths (flow style, JSON)
}

func newIndex() *index {
	return &index{lines: map[string]int{}, paths: map[int]string{}, mixed: map[int]bool{}}
}

func (ix *index) add(path string, line int) {
	ix.lines[path] = line
	old, ok := ix.paths[line]
	switch {
	case !ok || strings.HasPrefix(path, old):
		ix.paths[line] = path
	case !strings.HasPrefix(old, path):
		ix.mixed[line] = true
	}
}

// line returns the line of path, or of its nearest written parent.
func (ix *index) line(path string) int {
	for p := path; p != ""; p = parent(p) {
		if l, ok := ix.lines[p]; ok {
			return l
		}
	}
	return 0
}

// pathAt returns the deepest path written on line, or "" when the line
// holds several unrelated fields and the path cannot be told.
func (ix *index) pathAt(line int) string {
	if ix.mixed[line] {
		return ""
	}
	return ix.paths[line]
}

func parent(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

var (
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	durationType    = reflect.TypeOf(time.Duration(0))
)

// checkKeys walks the YAML node against the Go type, recording the line
// of every path and reporting keys the type does not have.
func checkKeys(n *yaml.Node, t reflect.Type, path string, ix *index, errs *cfgerr.List) {
	if path != "" {
		ix.add(path, n.Line)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if t == durationType || reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if !isNull(n) {
				*errs = append(*errs, cfgerr.FieldError{Path: path, Line: n.Line, Msg: "must be a mapping of keys"})
			}
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			p := cfgerr.Join(path, k.Value)
			if !ok {
				*errs = append(*errs, cfgerr.FieldError{Path: p, Line: k.Line, Msg: unknownKey(k.Value, fields)})
				continue
			}
			ix.add(p, k.Line)
			checkKeys(v, ft, p, ix, errs)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for i, e := range n.Content {
				checkKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), ix, errs)
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := cfgerr.Join(path, n.Content[i].Value)
				ix.add(p, n.Content[i].Line)
				checkKeys(n.Content[i+1], t.Elem(), p, ix, errs)
			}
		}
	}
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// yamlFields lists a struct's YAML keys (inline structs flattened).
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range yamlFields(ft) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// unknownKey phrases the error for a key the section does not know,
// suggesting the closest known key when one is near.
func unknownKey(key string, fields map[string]reflect.Type) string {
	best, bestD := "", 3
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if d := editDistance(key, name); d < bestD {
			best, bestD = name, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key %q (did you mean %q?)", key, best)
	}
	return fmt.Sprintf("unknown key %q (known: %s)", key, strings.Join(names, ", "))
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
