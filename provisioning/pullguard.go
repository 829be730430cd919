package provisioning

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

// A fetched document is the device's whole configuration, read over the
// defaults, with one exception: its provisioning: section is read over
// the provisioning section in force, key by key, not over the defaults.
// The provisioning section is the device's own way back to its server
// and its admin page (URL, credentials, state dir, admin listener and
// password), which the server may not know; a document without one keeps
// them, and a key it does write wins (url: "" turns pulling off).
//
// On top of that, a fetched document is refused when it would take away
// a way back without saying so: the provisioning URL, the admin web
// server, or every SIP account the device has. Saying so is writing the
// key with its empty value: provisioning: {url: ""},
// provisioning: {admin: {listen: ""}}, sip: {accounts: []}.

// errEmptyDocument is a fetched document that holds no settings at all.
var errEmptyDocument = errors.New("the document holds no settings (only comments, or nothing)")

// fetchedDocument builds what is submitted for a fetched file: body
// (merged over common when there is one) with its provisioning section
// read over cur's. It returns the document as fetched (for explicit
// keys) too. Errors wrap ErrInvalid.
func fetchedDocument(cur Config, common, body []byte) (doc []byte, fetched map[string]any, err error) {
	var d any
	if common != nil {
		if body, err = mergeYAML(common, body); err != nil {
			return nil, nil, err
		}
	}
	if err := yaml.Unmarshal(body, &d); err != nil {
		return nil, nil, fmt.Errorf("%w: %s", ErrInvalid, yamlMessage(err))
	}
	if d == nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalid, errEmptyDocument)
	}
	m, ok := d.(map[string]any)
	if !ok {
		// Not a mapping: the Manager says what is wrong with it.
		return body, nil, nil
	}
	base, err := toGeneric(struct {
		P Config `yaml:"provisioning"`
	}{cur})
	if err != nil {
		return nil, nil, err
	}
	out, err := yaml.Marshal(mergeValue(base, m))
	if err != nil {
		return nil, nil, fmt.Errorf("fetched document: %w", err)
	}
	return out, m, nil
}

// checkWayBack refuses next, built from the fetched document, when it
// takes away one of cur's ways back that the document does not name
// explicitly. The error wraps ErrInvalid and lists every such field.
func checkWayBack(cur, next File, fetched map[string]any) error {
	var errs cfgerr.List
	if cur.Provisioning.URL != "" && next.Provisioning.URL == "" && !hasKey(fetched, "provisioning", "url") {
		errs.Add("provisioning.url", `the document would remove the provisioning URL (the device's way back to its server); to mean it, write url: "" in its provisioning: section`)
	}
	if cur.Provisioning.Admin.Listen != "" && next.Provisioning.Admin.Listen == "" && !hasKey(fetched, "provisioning", "admin", "listen") {
		errs.Add("provisioning.admin.listen", `the document would turn the admin web page off; to mean it, write listen: "" in its provisioning: admin: section`)
	}
	if n := len(cur.SIP.Accounts); n > 0 && len(next.SIP.Accounts) == 0 && !hasKey(fetched, "sip", "accounts") {
		aors := make([]string, n)
		for i, a := range cur.SIP.Accounts {
			aors[i] = a.User + "@" + a.Domain
			if a.Domain == "" {
				aors[i] = a.User + "@" + a.Registrar
			}
		}
		errs.Add("sip.accounts", "the document has no SIP account and would end every registration of the device (%s); to mean it, write accounts: [] in its sip: section", strings.Join(aors, ", "))
	}
	return wrapList(errs.Err())
}

// hasKey reports whether the mapping path is written in m.
func hasKey(m map[string]any, path ...string) bool {
	for i, k := range path {
		v, ok := m[k]
		if !ok {
			return false
		}
		if i == len(path)-1 {
			return true
		}
		if m, ok = v.(map[string]any); !ok {
			return false
		}
	}
	return false
}
