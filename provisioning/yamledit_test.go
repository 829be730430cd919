package provisioning

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestPatchEditsTheDocument: a merge patch changes only what differs from
// the configuration in force, in the person's document: comments, order
// and left-out keys stay; a secret sent back masked stays the secret.
func TestPatchEditsTheDocument(t *testing.T) {
	t.Parallel()
	doc := `# my door station, set up by hand
sip:
  user: door # the name on the door
  accounts:
    - registrar: 127.0.0.1:5060 # the PBX
      user: door
      password: s3cret
device:
  buttons:
    - targets: [nobody]
`
	cur := map[string]any{
		"sip": map[string]any{"user": "door", "listen": "0.0.0.0:5060", "accounts": []any{
			map[string]any{"registrar": "127.0.0.1:5060", "user": "door", "password": "s3cret", "expires": "1h0m0s"}}},
		"device": map[string]any{"buttons": []any{map[string]any{"targets": []any{"nobody"}, "order": "parallel"}},
			"door": map[string]any{"allowed": []any{}}},
		"audio": map[string]any{"capture": "default"},
	}
	tests := []struct {
		name, patch string
		want, gone  []string
	}{
		{"button target", `{"device":{"buttons":[{"targets":["bob"],"order":"parallel"}]}}`,
			[]string{"# my door station", "# the name on the door", "# the PBX", "targets: [bob]", "password: s3cret"}, []string{"order:", "listen:", "nobody"}},
		{"whole section sent back with a masked password", `{"sip":{"user":"gate","listen":"0.0.0.0:5060","accounts":[{"registrar":"127.0.0.1:5060","user":"door","password":"********","expires":"1h0m0s"}]}}`,
			[]string{"user: gate # the name on the door", "password: s3cret"}, []string{"********", "listen:", "expires:"}},
		{"an account added", `{"sip":{"accounts":[{"registrar":"127.0.0.1:5060","user":"door","password":"********"},{"registrar":"pbx2","user":"gate","password":"pw2"}]}}`,
			[]string{"password: s3cret", "registrar: pbx2", "password: pw2"}, []string{"********"}},
		{"key removed", `{"sip":{"user":null}}`, []string{"accounts:"}, []string{"user: door #"}},
		{"new section", `{"device":{"door":{"allowed":["sip:alice@pbx"]}}}`, []string{"allowed:", "- sip:alice@pbx", "targets: [nobody]"}, []string{"capture"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var patch any
			if err := json.Unmarshal([]byte(tc.patch), &patch); err != nil {
				t.Fatal(err)
			}
			var ch []change
			patchChanges("", cur, patch, &ch)
			out, err := editDocument([]byte(doc), ch, cur)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("%q missing from\n%s", w, out)
				}
			}
			for _, g := range tc.gone {
				if strings.Contains(string(out), g) {
					t.Errorf("%q should not be in\n%s", g, out)
				}
			}
		})
	}
}

// TestEditDocumentFillsDefaultList: changing entry 1 of a list the file
// leaves out (its default in force) writes the list out first.
func TestEditDocumentFillsDefaultList(t *testing.T) {
	t.Parallel()
	cur := map[string]any{"device": map[string]any{"buttons": []any{map[string]any{"targets": []any{"a"}}, map[string]any{"targets": []any{"b"}}}}}
	out, err := editDocument([]byte("# hand\n"), []change{{Path: "device.buttons[1].targets", Value: []any{"c"}}}, cur)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"- a", "- c", "# hand"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("%q missing from\n%s", w, out)
		}
	}
	if _, err := editDocument(nil, []change{{Path: "device.buttons[5].targets", Value: "x"}}, nil); err == nil {
		t.Error("an entry past the end of a list was made")
	}
	if _, err := parsePath("a..b"); err == nil {
		t.Error(`"a..b" parsed`)
	}
}

// TestAdminSaveKeepsTheFile: through the admin API, a file written by
// hand and put with PUT is saved as written; a PATCH from the page keeps
// its comment and adds only the key changed; GET ?format=yaml shows the
// person's file with the secret masked, and putting that back keeps the
// secret.
func TestAdminSaveKeepsTheFile(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, nil)
	hand := "# written by hand\nsip:\n  user: gate # our gate\n  accounts:\n    - registrar: 127.0.0.1:5060\n      user: gate\n      password: s3cret\n"
	if res, body := e.do(t, "PUT", "/api/config", testAdminPW, hand); res.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %d %s", res.StatusCode, body)
	}
	read := func() string {
		b, err := os.ReadFile(e.mgr.Path())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read(); got != hand {
		t.Fatalf("PUT saved\n%s\nnot the file sent", got)
	}
	if res, body := e.do(t, "PATCH", "/api/config", testAdminPW, `{"sip":{"display_name":"Front gate","accounts":[{"password":"********"}]}}`); res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %d %s", res.StatusCode, body)
	}
	got := read()
	for _, w := range []string{"# written by hand", "user: gate # our gate", "display_name: Front gate", "password: s3cret"} {
		if !strings.Contains(got, w) {
			t.Errorf("%q missing from the saved file\n%s", w, got)
		}
	}
	if n := strings.Count(got, "\n"); n > 9 {
		t.Errorf("the saved file grew to %d lines:\n%s", n, got)
	}
	_, shown := e.do(t, "GET", "/api/config?format=yaml", testAdminPW, "")
	if strings.Contains(shown, "s3cret") || !strings.Contains(shown, "password: '********'") && !strings.Contains(shown, `password: "********"`) || !strings.Contains(shown, "# our gate") {
		t.Fatalf("GET yaml shows\n%s", shown)
	}
	if res, body := e.do(t, "PUT", "/api/config", testAdminPW, strings.Replace(shown, "Front gate", "Back gate", 1)); res.StatusCode != http.StatusOK {
		t.Fatalf("PUT back: %d %s", res.StatusCode, body)
	}
	if got := read(); !strings.Contains(got, "password: s3cret") || !strings.Contains(got, "Back gate") {
		t.Fatalf("putting the shown file back saved\n%s", got)
	}
	if e.mgr.Current().SIP.Accounts[0].Password != "s3cret" {
		t.Fatal("the secret in force changed")
	}
}
