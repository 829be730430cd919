package provisioning

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"time"

	"github.com/jonboulle/clockwork"
	"go.yaml.in/yaml/v3"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// Config endpoints of the admin API:
//
//	GET   /api/config              the configuration in force as JSON, secrets redacted
//	GET   /api/config?format=yaml  the same as YAML
//	PUT   /api/config              a whole file (YAML or JSON) over the defaults
//	PATCH /api/config              a JSON merge patch (RFC 7396), or YAML in the same shape
//	PATCH /api/config?await=registration  the same, answered once every account
//	                               registered or failed ("registrations"), at most 20 s
//
// A secret sent back as it was shown (Redacted) keeps the secret in force.
// Invalid configurations get 422 {"errors":[{"path","line","message"}]}
// and change nothing.

func (a *Admin) getConfig(w http.ResponseWriter, r *http.Request) {
	red := Redact(a.opts.Manager.Current())
	if r.URL.Query().Get("format") == "yaml" {
		out, err := a.redactedDocument(red)
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

// redactedDocument is the configuration file as the person wrote it
// (see document), each secret set reading Redacted.
func (a *Admin) redactedDocument(red File) ([]byte, error) {
	var paths []string
	redactedPaths(reflect.ValueOf(red), "", &paths)
	changes := make([]change, len(paths))
	for i, p := range paths {
		changes[i] = change{Path: p, Value: Redacted}
	}
	g, err := toGeneric(red)
	if err != nil {
		return nil, err
	}
	return editDocument(a.document(), changes, g)
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
	if err != nil {
		if flow {
			err = dropLines(err)
		}
		a.finish(w, r, f, err)
		return
	}
	a.finishDocument(w, r, f, a.secretsBack(f, body), nil)
}

// secretsBack returns doc with every secret that reads Redacted (sent
// back as it was shown) put back to the secret in force, so the saved
// file holds the secret, not the mask; nil when that fails (the whole
// configuration is then saved).
func (a *Admin) secretsBack(f File, doc []byte) []byte {
	var paths []string
	redactedPaths(reflect.ValueOf(f), "", &paths)
	if len(paths) == 0 {
		return doc
	}
	cur, err := toGeneric(a.opts.Manager.Current())
	if err != nil {
		return nil
	}
	changes := make([]change, 0, len(paths))
	for _, p := range paths {
		v := valueAt(cur, p)
		if v == nil {
			v = ""
		}
		changes = append(changes, change{Path: p, Value: v})
	}
	out, err := editDocument(doc, changes, cur)
	if err != nil {
		return nil
	}
	return out
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
// style and plain where YAML allows (JSON's quotes dropped), keeping
// keys in their order and values as they were.
func blockStyle(b []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return nil, err
	}
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		n.Style = 0
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
	var changes []change
	patchChanges("", cur, patch, &changes)
	doc, err := editDocument(a.document(), changes, cur)
	if err != nil {
		a.finish(w, r, File{}, fmt.Errorf("%w: %w", ErrInvalid, err))
		return
	}
	f, err := Parse(doc)
	if err != nil {
		err = dropLines(err) // lines of the edited document mean nothing to the sender
	}
	a.finishDocument(w, r, f, doc, err)
}

// document is the configuration file in force as the person wrote it,
// comments and all; when the file on disk is not what is in force (the
// device started on its last-known-good, or there is no file), the
// configuration in force marshalled whole.
func (a *Admin) document() []byte {
	cur := a.opts.Manager.Current()
	want, err := hashFile(cur)
	if doc, rerr := os.ReadFile(a.opts.Manager.Path()); rerr == nil && err == nil {
		if f, perr := Parse(doc); perr == nil {
			if h, herr := hashFile(f); herr == nil && h == want {
				return doc
			}
		}
	}
	out, _ := yaml.Marshal(cur)
	return out
}

// finish applies a parsed configuration and answers.
func (a *Admin) finish(w http.ResponseWriter, r *http.Request, f File, err error) {
	a.finishDocument(w, r, f, nil, err)
}

// finishDocument applies a parsed configuration, saving doc (the YAML it
// was parsed from) as the file, and answers.
func (a *Admin) finishDocument(w http.ResponseWriter, r *http.Request, f File, doc []byte, err error) {
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": Problems(err)})
		return
	}
	cur := a.opts.Manager.Current()
	restoreSecrets(reflect.ValueOf(&f).Elem(), reflect.ValueOf(&cur).Elem())
	res, err := a.opts.Manager.ReplaceDocument(r.Context(), "admin "+clientAddr(r), f, doc)
	switch {
	case errors.Is(err, ErrInvalid):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": Problems(err)})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"result": res, "error": err.Error()})
	default:
		out := map[string]any{"result": res}
		if r.URL.Query().Get("await") == "registration" {
			regs, why := a.awaitRegistrations(r.Context())
			out["registrations"] = regs
			if why != "" {
				out["registration_error"] = why
			}
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// RegistrationWaiter is a StatusSource that can wait for the outcome of
// the registrations the configuration in force made.
type RegistrationWaiter interface {
	// AwaitRegistrations waits until every account of the configuration
	// in force has registered or failed, and returns each account's
	// state ("registered", "failed: 401 Unauthorized ...").
	AwaitRegistrations(ctx context.Context) (map[string]string, error)
}

// registrationWait bounds how long a save waits for the registrar's
// answer (a registrar that does not answer: the UA's own timeouts run
// longer).
const registrationWait = 20 * time.Second

// awaitRegistrations is PATCH ?await=registration's answer ("save and
// test registration"): the outcome of the registrations the saved
// configuration made, and why there is none.
func (a *Admin) awaitRegistrations(ctx context.Context) (map[string]string, string) {
	rw, ok := a.opts.Status.(RegistrationWaiter)
	if !ok {
		return nil, "this device cannot report its registrations"
	}
	ctx, cancel := clockwork.WithTimeout(ctx, a.clk, registrationWait)
	defer cancel()
	regs, err := rw.AwaitRegistrations(ctx)
	if err != nil {
		return regs, fmt.Sprintf("no answer from the registrar within %s", registrationWait)
	}
	return regs, ""
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
