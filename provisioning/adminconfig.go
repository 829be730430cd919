package provisioning

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"

	"go.yaml.in/yaml/v3"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Config endpoints of the admin API:
//
//	GET   /api/config              the configuration in force as JSON, secrets redacted
//	GET   /api/config?format=yaml  the same as YAML
//	PUT   /api/config              a whole file (YAML or JSON) over the defaults
//	PATCH /api/config              a JSON merge patch (RFC 7396), or YAML in the same shape
//
// A secret sent back as it was shown (Redacted) keeps the secret in force.
// Invalid configurations get 422 {"errors":[{"path","line","message"}]}
// and change nothing.

func (a *Admin) getConfig(w http.ResponseWriter, r *http.Request) {
	red := Redact(a.opts.Manager.Current())
	if r.URL.Query().Get("format") == "yaml" {
		out, err := yaml.Marshal(red)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		_, _ = w.Write(out)
		return
	}
	g, err := toGeneric(red)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (a *Admin) putConfig(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, MaxFileSize)
	if !ok {
		return
	}
	// A document in flow style (JSON, or YAML on one line) is rewritten
	// in block style first, so every field is on its own line and errors
	// name the right path; its line numbers then mean nothing to the
	// sender and are dropped.
	flow := isFlow(body)
	if flow {
		if b, err := blockStyle(body); err == nil {
			body = b
		}
	}
	f, err := Parse(body)
	if err != nil && flow {
		err = dropLines(err)
	}
	a.finish(w, r, f, err)
}

// isFlow reports whether a document starts as a flow mapping ("{...}").
func isFlow(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == '{'
	}
	return false
}

// blockStyle re-encodes a YAML/JSON document with every node in block
// style, keeping keys in their order and values as they were.
func blockStyle(b []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return nil, err
	}
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		n.Style &^= yaml.FlowStyle
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&n)
	return yaml.Marshal(&n)
}

func (a *Admin) patchConfig(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, MaxFileSize)
	if !ok {
		return
	}
	var patch any
	if err := yaml.Unmarshal(body, &patch); err != nil {
		a.finish(w, r, File{}, fmt.Errorf("%w: %s", ErrInvalid, yamlMessage(err)))
		return
	}
	if _, isMap := patch.(map[string]any); !isMap && patch != nil {
		a.finish(w, r, File{}, fmt.Errorf("%w: a patch must be a mapping of sections", ErrInvalid))
		return
	}
	cur, err := toGeneric(a.opts.Manager.Current())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	merged, err := yaml.Marshal(mergePatch(cur, patch))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	f, err := Parse(merged)
	if err != nil {
		err = dropLines(err) // lines of the merged document mean nothing to the sender
	}
	a.finish(w, r, f, err)
}

// finish applies a parsed configuration and answers.
func (a *Admin) finish(w http.ResponseWriter, r *http.Request, f File, err error) {
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": Problems(err)})
		return
	}
	cur := a.opts.Manager.Current()
	restoreSecrets(reflect.ValueOf(&f).Elem(), reflect.ValueOf(&cur).Elem())
	res, err := a.opts.Manager.Replace(r.Context(), "admin "+clientAddr(r), f)
	switch {
	case errors.Is(err, ErrInvalid):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": Problems(err)})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"result": res, "error": err.Error()})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"result": res})
	}
}

// toGeneric turns a value into maps/lists/scalars keyed by YAML names.
func toGeneric(v any) (map[string]any, error) {
	data, err := yaml.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("config to generic: %w", err)
	}
	out := map[string]any{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("config to generic: %w", err)
	}
	return out, nil
}

// mergePatch applies an RFC 7396 JSON merge patch: objects merge key by
// key, null removes a key (back to its default), anything else replaces.
func mergePatch(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	out := make(map[string]any, len(tm))
	for k, v := range tm {
		out[k] = v
	}
	for k, v := range pm {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = mergePatch(out[k], v)
	}
	return out
}

func dropLines(err error) error {
	var l cfgerr.List
	if !errors.As(err, &l) {
		return err
	}
	out := make(cfgerr.List, len(l))
	for i, fe := range l {
		fe.Line = 0
		out[i] = fe
	}
	return wrapList(out)
}

// restoreSecrets puts the old value back into every secret field of nv
// that reads Redacted (the client sent back what it was shown). Lists
// are matched by index, maps by key.
func restoreSecrets(nv, ov reflect.Value) {
	switch nv.Kind() {
	case reflect.Pointer:
		if !nv.IsNil() && !ov.IsNil() {
			restoreSecrets(nv.Elem(), ov.Elem())
		}
	case reflect.Struct:
		t := nv.Type()
		for i := 0; i < t.NumField(); i++ {
			if !t.Field(i).IsExported() {
				continue
			}
			f := nv.Field(i)
			if t.Field(i).Tag.Get("secret") == "true" && f.Kind() == reflect.String {
				if f.String() == Redacted {
					f.SetString(ov.Field(i).String())
				}
				continue
			}
			restoreSecrets(f, ov.Field(i))
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < nv.Len() && i < ov.Len(); i++ {
			restoreSecrets(nv.Index(i), ov.Index(i))
		}
	case reflect.Map:
		if nv.IsNil() || ov.IsNil() {
			return
		}
		it := nv.MapRange()
		for it.Next() {
			o := ov.MapIndex(it.Key())
			if !o.IsValid() {
				continue
			}
			e := reflect.New(it.Value().Type()).Elem()
			e.Set(it.Value())
			restoreSecrets(e, o)
			nv.SetMapIndex(it.Key(), e)
		}
	}
}
