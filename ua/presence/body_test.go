package presence

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePIDFRealBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		open  bool
		note  string
		acts  []Activity
		tuple string
	}{
		{"asterisk_pjsip_pidf.xml", true, "On the phone", []Activity{ActivityOnThePhone}, "1000"},
		{"asterisk_chansip_latin1_pidf.xml", false, "Abwesend ä", []Activity{ActivityAway}, "door"},
		{"kamailio_closed_pidf.xml", false, "", nil, "tuple_mixingid"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			p, err := ParsePIDF(readTestdata(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if p.Open() != tc.open || p.Note() != tc.note || !reflect.DeepEqual(p.Activities, tc.acts) || p.Tuples[0].ID != tc.tuple {
				t.Errorf("got %+v, want open=%v note=%q acts=%v tuple=%s", p, tc.open, tc.note, tc.acts, tc.tuple)
			}
		})
	}
}

func TestPIDFRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []PIDF{
		{Entity: "sip:door@pbx.example", Tuples: []Tuple{{ID: "t1", Basic: Open, Contact: "sip:door@10.0.0.2:5060", Note: "Available"}}},
		{Entity: "sip:door@pbx.example", Tuples: []Tuple{{ID: "t1", Basic: Open, Note: "On the phone"}},
			Activities: []Activity{ActivityOnThePhone}, PersonNote: "In a call"},
		{Entity: "sips:door@pbx.example", Tuples: []Tuple{{ID: "a", Basic: Closed, Note: "Door left open <5 min> & more"}},
			Activities: []Activity{ActivityAway}, Notes: []string{"x"}},
	}
	for _, want := range tests {
		b, err := want.Marshal()
		if err != nil {
			t.Fatalf("marshal %+v: %v", want, err)
		}
		got, err := ParsePIDF(b)
		if err != nil {
			t.Fatalf("parse own output: %v\n%s", err, b)
		}
		if want.Notes == nil {
			want.Notes = got.Notes // nil vs empty
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip\n got %+v\nwant %+v\n%s", got, want, b)
		}
	}
}

func TestParsePIDFErrors(t *testing.T) {
	t.Parallel()
	head := `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b">`
	tests := []struct {
		name, body string
		want       error
		msg        string
	}{
		{"empty", "", ErrSyntax, "empty body"},
		{"not xml", "hello", ErrSyntax, ""},
		{"truncated", head + `<tuple id="t"><status><basic>open</basic>`, ErrSyntax, ""},
		{"wrong root", `<foo xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b"/>`, ErrInvalid, "root element"},
		{"no namespace", `<presence entity="sip:a@b"/>`, ErrInvalid, "root element"},
		{"bad entity", `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="http://x"/>`, ErrInvalid, "entity"},
		{"bad basic", head + `<tuple id="t"><status><basic>maybe</basic></status></tuple></presence>`, ErrInvalid, "basic"},
		{"two basics", head + `<tuple id="t"><status><basic>open</basic><basic>open</basic></status></tuple></presence>`, ErrInvalid, "2 <basic>"},
		{"no basic", head + `<tuple id="t"><status/></tuple></presence>`, ErrInvalid, "0 <basic>"},
		{"huge", head + strings.Repeat(" ", MaxBodySize) + `</presence>`, ErrTooLarge, "limit"},
		{"deep", head + strings.Repeat("<x>", 40) + strings.Repeat("</x>", 40) + `</presence>`, ErrTooLarge, "nested"},
		{"many tuples", head + strings.Repeat(`<tuple id="t"><status><basic>open</basic></status></tuple>`, MaxTuples+1) + `</presence>`, ErrTooLarge, "tuples"},
		{"long note", head + `<note>` + strings.Repeat("n", MaxField+1) + `</note></presence>`, ErrTooLarge, "note"},
		{"control char", head + `<note>a&#x1;b</note></presence>`, ErrSyntax, ""},
		{"charset", `<?xml version="1.0" encoding="EBCDIC"?>` + head + `</presence>`, ErrSyntax, "EBCDIC"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePIDF([]byte(tc.body))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "parse pidf") {
				t.Errorf("err = %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
}

func TestMarshalPIDFErrors(t *testing.T) {
	t.Parallel()
	ok := []Tuple{{ID: "t1", Basic: Open}}
	tests := []struct {
		name string
		p    PIDF
		msg  string
	}{
		{"no entity", PIDF{Tuples: ok}, "entity"},
		{"no tuple", PIDF{Entity: "sip:a@b"}, "0 tuples"},
		{"bad basic", PIDF{Entity: "sip:a@b", Tuples: []Tuple{{ID: "t", Basic: "on"}}}, "basic"},
		{"bad id", PIDF{Entity: "sip:a@b", Tuples: []Tuple{{ID: "1 x", Basic: Open}}}, "id"},
		{"bad activity", PIDF{Entity: "sip:a@b", Tuples: ok, Activities: []Activity{"a b"}}, "activity"},
		{"control", PIDF{Entity: "sip:a@b", Tuples: ok, PersonNote: "a\x00"}, "control"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.p.Marshal()
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want one containing %q", err, tc.msg)
			}
		})
	}
}

func TestParseDialogInfoRealBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file    string
		version uint32
		full    bool
		dialogs []Dialog
	}{
		{"asterisk_dialog_early.xml", 3, true, []Dialog{{ID: "1000", Direction: Recipient, State: Early,
			Local: Identity{URI: "sip:door@192.168.1.10", Display: "Door", Target: "sip:door@192.168.1.10"}}}},
		{"kamailio_dialog_confirmed.xml", 1, true, []Dialog{{ID: "as7d900as8", CallID: "a84b4c76e66710",
			LocalTag: "1928301774", RemoteTag: "456", Direction: Initiator, State: Confirmed,
			Remote: Identity{URI: "sip:bob@example.com", Target: "sip:bob@example.com"}}}},
		{"rfc4235_terminated.xml", 2, false, []Dialog{{ID: "as7d900as8", CallID: "a84b4c76e66710",
			LocalTag: "1928301774", State: Terminated, Event: "rejected", Code: 486}}},
		{"idle_dialog.xml", 0, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			d, err := ParseDialogInfo(readTestdata(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if d.Version != tc.version || d.Full != tc.full || !reflect.DeepEqual(d.Dialogs, tc.dialogs) {
				t.Errorf("got %+v\nwant version %d full %v dialogs %+v", d, tc.version, tc.full, tc.dialogs)
			}
		})
	}
}

func TestDialogInfoRoundTrip(t *testing.T) {
	t.Parallel()
	states := []DialogState{Trying, Proceeding, Early, Confirmed, Terminated}
	for i, st := range states {
		want := DialogInfo{Entity: "sip:door@pbx.example", Version: uint32(i), Full: i%2 == 0,
			Dialogs: []Dialog{{ID: "d1", CallID: "c@h", LocalTag: "l", RemoteTag: "r", Direction: Initiator, State: st,
				Local:  Identity{URI: "sip:door@pbx.example", Display: "Door & Co"},
				Remote: Identity{URI: "sip:alice@pbx.example", Display: "Alice", Target: "sip:alice@10.0.0.3"}}}}
		if st == Terminated {
			want.Dialogs[0].Event, want.Dialogs[0].Code = "remote-bye", 200
		}
		b, err := want.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseDialogInfo(b)
		if err != nil {
			t.Fatalf("parse own output: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip\n got %+v\nwant %+v\n%s", got, want, b)
		}
	}
}

func TestParseDialogInfoErrors(t *testing.T) {
	t.Parallel()
	head := `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="sip:a@b">`
	tests := []struct {
		name, body string
		want       error
		msg        string
	}{
		{"wrong ns", `<dialog-info version="1" state="full" entity="sip:a@b"/>`, ErrInvalid, "root"},
		{"bad version", `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="-1" state="full" entity="sip:a@b"/>`, ErrInvalid, "version"},
		{"huge version", `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="99999999999" state="full" entity="sip:a@b"/>`, ErrInvalid, "version"},
		{"bad state attr", `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="some" entity="sip:a@b"/>`, ErrInvalid, "full nor partial"},
		{"bad dialog state", head + `<dialog id="x"><state>ringing</state></dialog></dialog-info>`, ErrInvalid, "state"},
		{"no id", head + `<dialog><state>early</state></dialog></dialog-info>`, ErrInvalid, "missing id"},
		{"bad direction", head + `<dialog id="x" direction="up"><state>early</state></dialog></dialog-info>`, ErrInvalid, "direction"},
		{"bad code", head + `<dialog id="x"><state code="99">terminated</state></dialog></dialog-info>`, ErrInvalid, "code"},
		{"many dialogs", head + strings.Repeat(`<dialog id="x"><state>early</state></dialog>`, MaxDialogs+1) + `</dialog-info>`, ErrTooLarge, "dialogs"},
		{"unclosed", head + `<dialog id="x">`, ErrSyntax, ""},
		{"long id", head + `<dialog id="` + strings.Repeat("i", MaxField+1) + `"><state>early</state></dialog></dialog-info>`, ErrTooLarge, "id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDialogInfo([]byte(tc.body))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
}

func TestMarshalDialogInfoErrors(t *testing.T) {
	t.Parallel()
	for _, d := range []DialogInfo{
		{Entity: "door"},
		{Entity: "sip:a@b", Dialogs: []Dialog{{State: Early}}},
		{Entity: "sip:a@b", Dialogs: []Dialog{{ID: "x", State: "ringing"}}},
		{Entity: "sip:a@b", Dialogs: []Dialog{{ID: "x", State: Early, Direction: "x"}}},
		{Entity: "sip:a@b", Dialogs: []Dialog{{ID: "x", State: Early, Code: 7}}},
		{Entity: "sip:a@b", Dialogs: make([]Dialog, MaxDialogs+1)},
	} {
		if _, err := d.Marshal(); err == nil {
			t.Errorf("Marshal(%+v) succeeded", d)
		}
	}
}

func BenchmarkParsePIDF(b *testing.B) {
	body := readTestdata(b, "asterisk_pjsip_pidf.xml")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePIDF(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalDialogInfo(b *testing.B) {
	d := DialogInfo{Entity: "sip:door@pbx.example", Version: 7, Full: true,
		Dialogs: []Dialog{{ID: "d1", CallID: "c@h", Direction: Initiator, State: Confirmed,
			Remote: Identity{URI: "sip:alice@pbx.example"}}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
