package device

import "testing"

func TestParseParty(t *testing.T) {
	tests := []struct {
		in   string
		want party
		bad  bool
	}{
		{in: "1001", want: party{user: "1001"}},
		{in: "alice@PBX.example", want: party{user: "alice", host: "pbx.example"}},
		{in: "sip:alice@pbx:5060;transport=tcp", want: party{user: "alice", host: "pbx"}},
		{in: "SIPS:alice@pbx?subject=x", want: party{user: "alice", host: "pbx"}},
		{in: `"Alice" <sip:alice@pbx>;tag=abc`, want: party{user: "alice", host: "pbx"}},
		{in: "<sip:alice@pbx", bad: true},
		{in: "", bad: true},
		{in: "sip:pbx.example", bad: true},
		{in: "sip:@pbx", bad: true},
		{in: "alice@", bad: true},
		{in: "tel:+4930", bad: true},
		{in: "a b", bad: true},
	}
	for _, tc := range tests {
		got, msg := parseParty(tc.in)
		if (msg != "") != tc.bad {
			t.Errorf("parseParty(%q) error %q, want bad=%v", tc.in, msg, tc.bad)
			continue
		}
		if !tc.bad && got != tc.want {
			t.Errorf("parseParty(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestPartyListAllows(t *testing.T) {
	l := parseParties([]string{"alice", "bob@pbx", "sip:carol@pbx.example"})
	tests := []struct {
		peer string
		want bool
	}{
		{"sip:alice@anywhere", true},
		{"sip:bob@pbx:5060", true},
		{"sip:bob@evil", false},
		{`"Carol" <sip:carol@PBX.example>`, true},
		{"sip:dave@pbx", false},
		{"", false},
		{"<broken", false},
	}
	for _, tc := range tests {
		if got := l.allows(tc.peer); got != tc.want {
			t.Errorf("allows(%q) = %v, want %v", tc.peer, got, tc.want)
		}
	}
}
