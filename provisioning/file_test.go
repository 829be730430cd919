package provisioning

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sipbell/sipbell/internal/cfgerr"
)

func TestParseErrorsCarryPathAndLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string // each error's "line N: path: msg" prefix
	}{
		{"unknown top key", "sip:\n  user: door\nsipp: {}\n", []string{`line 3: sipp: unknown key "sipp" (did you mean "sip"?)`}},
		{"unknown nested key", "sip:\n  usr: door\n  lissten: 1.2.3.4:5\n", []string{
			`line 2: sip.usr: unknown key "usr" (did you mean "user"?)`,
			`line 3: sip.lissten: unknown key "lissten" (did you mean "listen"?)`,
		}},
		{"wrong type", "sip:\n  trace: maybe\n", []string{"line 2: sip.trace: cannot unmarshal"}},
		{"section not a map", "sip: 5\n", []string{"line 1: sip: must be a mapping of keys"}},
		{"invalid value", "sip:\n  user: door\n  listen: nowhere\n", []string{"line 3: sip.listen: "}},
		{"every kind at once", "sip:\n  usr: x\n  trace: 3\n  listen: nowhere\n", []string{
			`line 2: sip.usr: unknown key "usr"`,
			"line 3: sip.trace: cannot unmarshal",
			"line 4: sip.listen: ",
		}},
		{"one-line JSON type error has no guessed path", `{"sip":{"user":"door","trace":"maybe"}}`, []string{"line 1: cannot unmarshal"}},
		{"two invalid values", "sip:\n  user: \"\"\n  listen: nowhere\n", []string{"line 3: sip.listen: ", "line 2: sip.user: must not be empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err %v does not wrap ErrInvalid", err)
			}
			var l cfgerr.List
			if !errors.As(err, &l) {
				t.Fatalf("err %v is not a field error list", err)
			}
			if len(l) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(l), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(l[i].Error(), w) {
					t.Errorf("error %d = %q, want prefix %q", i, l[i].Error(), w)
				}
			}
		})
	}
}

func TestParseSyntaxError(t *testing.T) {
	_, err := Parse([]byte("sip:\n  user: [unclosed\n"))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "line") {
		t.Fatalf("syntax error %v should wrap ErrInvalid and give a line", err)
	}
}

func TestParseDefaultsAndOverrides(t *testing.T) {
	f, err := Parse(nil)
	if err != nil {
		t.Fatalf("empty file: %v", err)
	}
	if !reflect.DeepEqual(f, Default()) {
		t.Errorf("empty file gave %+v, want defaults", f)
	}
	f, err = Parse([]byte("sip:\n  user: gate\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.SIP.User != "gate" || f.SIP.Listen != Default().SIP.Listen {
		t.Errorf("override lost defaults: %+v", f.SIP)
	}
}

func TestParseTooLarge(t *testing.T) {
	big := []byte("sip:\n  user: door\n# " + strings.Repeat("x", MaxFileSize) + "\n")
	if _, err := Parse(big); !errors.Is(err, ErrInvalid) {
		t.Fatalf("oversize file: %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte("sip:\n  user: gate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(p)
	if err != nil || f.SIP.User != "gate" {
		t.Fatalf("Load = %+v, %v", f.SIP, err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("missing file error %v should name the file and wrap ErrNotExist", err)
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	if _, err := Load("../configs/sipbell.example.yaml"); err != nil {
		t.Fatalf("shipped example config: %v", err)
	}
}

func TestRedact(t *testing.T) {
	type acct struct {
		User     string `yaml:"user"`
		Password string `yaml:"password" secret:"true"`
	}
	type cfg struct {
		Accounts []acct          `yaml:"accounts"`
		ByName   map[string]acct `yaml:"by_name"`
		Token    string          `yaml:"token" secret:"true"`
		Empty    string          `yaml:"empty" secret:"true"`
	}
	in := cfg{
		Accounts: []acct{{"a", "pw1"}},
		ByName:   map[string]acct{"x": {"b", "pw2"}},
		Token:    "tok",
	}
	out := in
	redactValue(reflect.ValueOf(&out).Elem())
	if out.Accounts[0].Password != Redacted || out.ByName["x"].Password != Redacted || out.Token != Redacted {
		t.Errorf("secrets not redacted: %+v", out)
	}
	if out.Empty != "" || out.Accounts[0].User != "a" {
		t.Errorf("non-secrets changed: %+v", out)
	}
	if in.Accounts[0].Password != "pw1" || in.ByName["x"].Password != "pw2" || in.Token != "tok" {
		t.Errorf("redaction changed the original: %+v", in)
	}
}
