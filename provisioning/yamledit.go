package provisioning

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// The admin page's changes are made to the configuration file as a YAML
// document (yaml.Node), not by marshalling the whole configuration: the
// person's comments, key order and the keys they left out (defaults stay
// defaults) survive a save.

// ErrBadPath is wrapped by errors about a key path a change names.
var ErrBadPath = errors.New("bad key path")

// change sets Value at Path ("device.buttons[0].targets"), or with Delete
// removes the key or list entry there (back to its default).
type change struct {
	Path   string
	Value  any
	Delete bool
}

// step is one part of a key path: a mapping key, or a list index (Key "").
type step struct {
	Key   string
	Index int
}

// parsePath splits "a.b[2].c" into its steps.
func parsePath(p string) ([]step, error) {
	var out []step
	for _, part := range strings.Split(p, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key == "" {
			return nil, fmt.Errorf("%w: %q", ErrBadPath, p)
		}
		out = append(out, step{Key: key})
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if !ok || err != nil || i < 0 || i > 1000 {
				return nil, fmt.Errorf("%w: %q", ErrBadPath, p)
			}
			out = append(out, step{Index: i})
			rest = strings.TrimPrefix(after, "[")
			if after != "" && !strings.HasPrefix(after, "[") {
				return nil, fmt.Errorf("%w: %q", ErrBadPath, p)
			}
		}
	}
	return out, nil
}

// editDocument applies changes to the YAML document doc and returns the
// edited document. An empty doc starts from an empty mapping. cur is the
// configuration in force (maps, lists, scalars): a list the document
// leaves out (its default in force) is written out from it before one
// of its entries is changed.
func editDocument(doc []byte, changes []change, cur any) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, yamlMessage(err))
	}
	if len(root.Content) == 0 { // empty, or only comments: keep them on top
		top := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", HeadComment: strings.TrimSpace(string(doc))}
		root = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{top}}
	}
	top := root.Content[0]
	if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
		*top = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	for _, c := range changes {
		steps, err := parsePath(c.Path)
		if err != nil {
			return nil, err
		}
		if c.Delete {
			deleteAt(top, steps)
			continue
		}
		var v yaml.Node
		if err := v.Encode(c.Value); err != nil {
			return nil, fmt.Errorf("edit %s: %w", c.Path, err)
		}
		if err := setAt(top, steps, &v, cur, ""); err != nil {
			return nil, fmt.Errorf("edit %s: %w", c.Path, err)
		}
	}
	out, err := yaml.Marshal(&root)
	if err != nil {
		return nil, fmt.Errorf("edit config: %w", err)
	}
	return out, nil
}

// setAt puts v at steps under n, making the mappings and list entries on
// the way; an existing node keeps its comments. cur is the value in force
// at n, whose key path is at.
func setAt(n *yaml.Node, steps []step, v *yaml.Node, cur any, at string) error {
	s := steps[0]
	var slot **yaml.Node
	var next any
	switch {
	case s.Key != "":
		at = strings.TrimPrefix(at+"."+s.Key, ".")
		cm, _ := cur.(map[string]any)
		next = cm[s.Key]
		if n.Kind != yaml.MappingNode {
			if !isNull(n) {
				return fmt.Errorf("%w: %q is not a mapping", ErrBadPath, s.Key)
			}
			*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == s.Key {
				slot = &n.Content[i+1]
			}
		}
		if slot == nil {
			fresh := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
			if l, isList := next.([]any); isList && len(steps) > 1 {
				entries := make([]any, len(l))
				for i, e := range l {
					entries[i] = stripEntry(at, e)
				}
				if err := fresh.Encode(entries); err != nil {
					return err
				}
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s.Key}, fresh)
			slot = &n.Content[len(n.Content)-1]
		}
	default:
		at = fmt.Sprintf("%s[%d]", at, s.Index)
		if cl, _ := cur.([]any); s.Index < len(cl) {
			next = cl[s.Index]
		}
		if n.Kind != yaml.SequenceNode {
			if !isNull(n) {
				return fmt.Errorf("%w: [%d] of a value that is not a list", ErrBadPath, s.Index)
			}
			*n = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		}
		switch {
		case s.Index < len(n.Content):
		case s.Index == len(n.Content):
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"})
		default:
			return fmt.Errorf("%w: [%d] past the end of a list of %d", ErrBadPath, s.Index, len(n.Content))
		}
		slot = &n.Content[s.Index]
	}
	if len(steps) > 1 {
		return setAt(*slot, steps[1:], v, next, at)
	}
	old := *slot
	v.HeadComment, v.LineComment, v.FootComment = old.HeadComment, old.LineComment, old.FootComment
	if old.Kind == yaml.SequenceNode && v.Kind == yaml.SequenceNode && old.Style&yaml.FlowStyle != 0 {
		v.Style |= yaml.FlowStyle
	}
	*slot = v
	return nil
}

// deleteAt removes the key or list entry at steps; a path that is not
// there is already as wanted.
func deleteAt(n *yaml.Node, steps []step) {
	s := steps[0]
	last := len(steps) == 1
	switch {
	case s.Key != "" && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value != s.Key {
				continue
			}
			if !last {
				deleteAt(n.Content[i+1], steps[1:])
				return
			}
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
			return
		}
	case s.Key == "" && n.Kind == yaml.SequenceNode && s.Index < len(n.Content):
		if !last {
			deleteAt(n.Content[s.Index], steps[1:])
			return
		}
		n.Content = append(n.Content[:s.Index], n.Content[s.Index+1:]...)
	}
}

// patchChanges turns a JSON merge patch (RFC 7396) against cur (the
// configuration in force as maps, lists and scalars, secrets in clear)
// into the changes that make a difference: a value equal to the one in
// force is no change (so sending a whole section back writes nothing of
// it), Redacted keeps the secret, null removes the key. Lists of the
// same length are compared entry by entry; otherwise a list is set whole,
// with any Redacted in it put back from cur.
func patchChanges(prefix string, cur, patch any, out *[]change) {
	pm, ok := patch.(map[string]any)
	cm, _ := cur.(map[string]any)
	if !ok {
		if patch == Redacted {
			return
		}
		pl, pIsList := patch.([]any)
		cl, cIsList := cur.([]any)
		if pIsList && cIsList && allMaps(pl) && allMaps(cl) {
			listChanges(prefix, cl, pl, out)
			return
		}
		if !sameValue(cur, patch) {
			*out = append(*out, change{Path: prefix, Value: unredact(patch, cur)})
		}
		return
	}
	for _, k := range slices.Sorted(maps.Keys(pm)) {
		v := pm[k]
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		if v == nil {
			*out = append(*out, change{Path: path, Delete: true})
			continue
		}
		patchChanges(path, cm[k], v, out)
	}
}

// listChanges is patchChanges for a list of mappings (accounts,
// buttons): entries kept are changed key by key, entries added are
// written with only the keys that differ from a new entry's defaults; a
// list made shorter is written whole, each entry's masked secrets taken
// from the entry in force it matches best.
func listChanges(prefix string, cl, pl []any, out *[]change) {
	if len(pl) >= len(cl) {
		for i := range pl {
			path := fmt.Sprintf("%s[%d]", prefix, i)
			if i < len(cl) {
				patchChanges(path, cl[i], pl[i], out)
			} else {
				*out = append(*out, change{Path: path, Value: stripEntry(prefix, unredact(pl[i], nil))})
			}
		}
		return
	}
	whole := make([]any, len(pl))
	for i, e := range pl {
		whole[i] = stripEntry(prefix, unredact(e, bestMatch(e, cl)))
	}
	*out = append(*out, change{Path: prefix, Value: whole})
}

// bestMatch is the entry of cl with the most values equal to e's.
func bestMatch(e any, cl []any) any {
	em, _ := e.(map[string]any)
	var best any
	most := 0
	for _, c := range cl {
		cm, _ := c.(map[string]any)
		n := 0
		for k, v := range em {
			if v != Redacted && sameValue(cm[k], v) {
				n++
			}
		}
		if n > most {
			best, most = c, n
		}
	}
	return best
}

// defaultGeneric is Default() as maps, lists and scalars.
var defaultGeneric = sync.OnceValue(func() any {
	g, _ := toGeneric(Default())
	return g
})

// stripEntry leaves out of a list entry (a mapping) the keys a new entry
// of the list at listPath has anyway: zero values, and values equal to
// those of the list's first default entry (a button's order and ring
// time), so the file says only what the person set.
func stripEntry(listPath string, e any) any {
	m, ok := e.(map[string]any)
	if !ok {
		return e
	}
	var tmpl map[string]any
	if l, _ := valueAt(defaultGeneric(), listPath).([]any); len(l) > 0 {
		tmpl, _ = l[0].(map[string]any)
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if t, has := tmpl[k]; isZero(v) || has && sameValue(t, v) {
			continue
		}
		out[k] = v
	}
	return out
}

// isZero reports a value a key left out has too.
func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == "" || x == "0s"
	case bool:
		return !x
	case float64:
		return x == 0
	case int:
		return x == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func allMaps(l []any) bool {
	for _, e := range l {
		if _, ok := e.(map[string]any); !ok {
			return false
		}
	}
	return true
}

// sameValue compares a patch value with the one in force, numbers by
// value (JSON's 3 and YAML's 3 are one).
func sameValue(cur, patch any) bool {
	return reflect.DeepEqual(normalize(cur), normalize(patch))
}

func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = normalize(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	}
	return v
}

// unredact returns v with every Redacted string replaced by the value at
// the same place in cur (lists by index, mappings by key).
func unredact(v, cur any) any {
	switch x := v.(type) {
	case string:
		if x == Redacted {
			if s, ok := cur.(string); ok {
				return s
			}
		}
		return x
	case []any:
		cl, _ := cur.([]any)
		out := make([]any, len(x))
		for i := range x {
			var c any
			if i < len(cl) {
				c = cl[i]
			}
			out[i] = unredact(x[i], c)
		}
		return out
	case map[string]any:
		cm, _ := cur.(map[string]any)
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = unredact(e, cm[k])
		}
		return out
	}
	return v
}

// redactedPaths lists the key paths of the secret fields of v (a File)
// that read Redacted: a document sent back as it was shown.
func redactedPaths(v reflect.Value, prefix string, out *[]string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			redactedPaths(v.Elem(), prefix, out)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			path := name
			if prefix != "" {
				path = prefix + "." + name
			}
			if f.Tag.Get("secret") == "true" && v.Field(i).Kind() == reflect.String {
				if v.Field(i).String() == Redacted {
					*out = append(*out, path)
				}
				continue
			}
			redactedPaths(v.Field(i), path, out)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			redactedPaths(v.Index(i), fmt.Sprintf("%s[%d]", prefix, i), out)
		}
	}
}

// valueAt is the value at path in a configuration as maps and lists.
func valueAt(v any, path string) any {
	steps, err := parsePath(path)
	if err != nil {
		return nil
	}
	for _, s := range steps {
		switch x := v.(type) {
		case map[string]any:
			v = x[s.Key]
		case []any:
			if s.Key != "" || s.Index >= len(x) {
				return nil
			}
			v = x[s.Index]
		default:
			return nil
		}
	}
	return v
}
