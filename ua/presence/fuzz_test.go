package presence

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addSeeds adds every testdata body whose name contains kind.
func addSeeds(f *testing.F, kind string) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	n := 0
	for _, p := range files {
		if strings.Contains(p, kind) {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
			n++
		}
	}
	if n == 0 {
		f.Fatalf("no %s seeds in testdata", kind)
	}
}

// FuzzParsePIDF checks that no input crashes the parser and that what
// parses marshals back into something that parses the same way.
func FuzzParsePIDF(f *testing.F) {
	addSeeds(f, "pidf")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePIDF(b)
		if err != nil || len(p.Tuples) == 0 {
			return
		}
		out, err := p.Marshal()
		if err != nil {
			return // e.g. a parsed tuple id that is not an XML ID
		}
		q, err := ParsePIDF(out)
		if err != nil {
			t.Fatalf("own output does not parse: %v\n%s", err, out)
		}
		if q.Open() != p.Open() || q.Note() != p.Note() || len(q.Activities) != len(p.Activities) {
			t.Fatalf("round trip changed the document: %+v -> %+v", p, q)
		}
	})
}

// FuzzParseDialogInfo does the same for dialog-info.
func FuzzParseDialogInfo(f *testing.F) {
	addSeeds(f, "dialog")
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDialogInfo(b)
		if err != nil {
			return
		}
		out, err := d.Marshal()
		if err != nil {
			return
		}
		e, err := ParseDialogInfo(out)
		if err != nil {
			t.Fatalf("own output does not parse: %v\n%s", err, out)
		}
		if e.Version != d.Version || len(e.Dialogs) != len(d.Dialogs) {
			t.Fatalf("round trip changed the document: %+v -> %+v", d, e)
		}
	})
}

// FuzzCommands checks the command rule on any body: no panic, the door
// opens only for the trusted proxy or the exact secret, and a secret is
// never echoed.
func FuzzCommands(f *testing.F) {
	const secret = "fuzz-secret-1234"
	for _, s := range []string{"open", "open " + secret, "OPEN  " + secret + "\nx", "status", "help", "", "\xff", "open fuzz-secret-123"} {
		f.Add([]byte(s), false, true)
		f.Add([]byte(s), true, false)
	}
	f.Fuzz(func(t *testing.T, body []byte, trusted, allowed bool) {
		c := NewCommands(CommandConfig{Secret: secret}, nil, nil)
		// trusted: a verified sender the door opens for.
		m := IncomingMessage{ContentType: "text/plain", Body: body, Allowed: allowed}
		if trusted && allowed {
			m.Identity, m.MayOpen = "sip:alice@pbx", true
		}
		d := c.Handle(m)
		if d.Open {
			line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
			f := strings.Fields(line)
			withSecret := len(f) == 2 && f[1] == secret
			if !trusted && !withSecret {
				t.Fatalf("opened for %q trusted=%v allowed=%v", body, trusted, allowed)
			}
			if !trusted && !allowed {
				t.Fatalf("opened for an unknown sender: %q", body)
			}
		}
		if strings.Contains(d.Reply, secret) || strings.Contains(d.Log, secret) {
			t.Fatalf("secret echoed: %+v", d)
		}
		if d.Status == 0 {
			t.Fatal("no status")
		}
	})
}
