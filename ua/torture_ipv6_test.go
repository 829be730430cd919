package ua

// rfc5118Corpus: the IPv6 torture requests of RFC 5118 §4, written for
// sipbell after the RFC's descriptions (see torture_corpus_test.go).
var rfc5118Corpus = []tortureCase{
	// RFC 5118 §4.1: a valid request with IPv6 references.
	{name: "ipv6-good", want: []int{valid}, msg: "REGISTER sip:[2001:db8::10] SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: sip:user@example.com;tag=81x2\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKas3-111\n" +
		"Call-ID: ipv6-good.SSG9559905523997077@hlau_4100\n" +
		"Max-Forwards: 70\n" +
		"Contact: \"Caller\" <sip:caller@[2001:db8::1]>\n" +
		"CSeq: 98176 REGISTER\n" +
		"Content-Length: 0\n\n"},
	// §4.2: an IPv6 reference without brackets: 400.
	{name: "ipv6-bad", want: []int{400}, msg: "REGISTER sip:2001:db8::10 SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: sip:user@example.com;tag=81x2\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKas3-111\n" +
		"Call-ID: ipv6-bad.SSG9559905523997077@hlau_4100\n" +
		"Max-Forwards: 70\n" +
		"Contact: \"Caller\" <sip:caller@[2001:db8::1]>\n" +
		"CSeq: 98176 REGISTER\n" +
		"Content-Length: 0\n\n"},
	// §4.3, §4.4: a port inside or outside the brackets: both valid.
	{name: "port-ambiguous", want: []int{valid}, msg: "REGISTER sip:[2001:db8::10:5070] SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: sip:user@example.com;tag=81x2\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKas3-111\n" +
		"Call-ID: port-ambiguous.SSG9559905523997077@hlau_4100\n" +
		"Contact: \"Caller\" <sip:caller@[2001:db8::1]>\n" +
		"Max-Forwards: 70\n" +
		"CSeq: 98176 REGISTER\n" +
		"Content-Length: 0\n\n"},
	{name: "port-unambiguous", want: []int{valid}, msg: "REGISTER sip:[2001:db8::10]:5070 SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: sip:user@example.com;tag=81x2\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKas3-111\n" +
		"Call-ID: port-unambiguous.SSG9559905523997077@hlau_4100\n" +
		"Contact: \"Caller\" <sip:caller@[2001:db8::1]>\n" +
		"Max-Forwards: 70\n" +
		"CSeq: 98176 REGISTER\n" +
		"Content-Length: 0\n\n"},
	// §4.5, §4.6: a received parameter with and without brackets: valid
	// (a BYE outside any dialog: 481).
	{name: "via-received-param-with-delim", want: []int{valid}, msg: "BYE sip:[2001:db8::10] SIP/2.0\n" +
		"To: sip:user@example.com;tag=bd76ya\n" +
		"From: sip:user@example.com;tag=81x2\n" +
		"Via: SIP/2.0/UDP $VIA;received=[2001:db8::9:255];branch=z9hG4bKas3-111\n" +
		"Call-ID: via-received-with-delim.SSG9559905523997077@hlau_4100\n" +
		"Max-Forwards: 70\n" +
		"CSeq: 321 BYE\n" +
		"Content-Length: 0\n\n"},
	{name: "via-received-param-no-delim", want: []int{valid}, msg: "OPTIONS sip:[2001:db8::10] SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: sip:user@example.com;tag=81x2\n" +
		"Via: SIP/2.0/UDP $VIA;received=2001:db8::9:255;branch=z9hG4bKas3\n" +
		"Call-ID: via-received-no-delim.SSG95523997077@hlau_4100\n" +
		"Max-Forwards: 70\n" +
		"Contact: \"Caller\" <sip:caller@[2001:db8::9:1]>\n" +
		"CSeq: 921 OPTIONS\n" +
		"Content-Length: 0\n\n"},
	// §4.7, §4.8: IPv6 and IPv4-mapped addresses in the SDP: valid.
	{name: "ipv6-in-sdp", want: []int{valid}, msg: "INVITE sip:user@[2001:db8::10] SIP/2.0\n" +
		"To: sip:user@[2001:db8::10]\n" +
		"From: sip:user@example.com;tag=81x2\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKas3-111\n" +
		"Call-ID: ipv6-in-sdp.SSG9559905523997077@hlau_4100\n" +
		"Contact: \"Caller\" <sip:caller@[2001:db8::1]>\n" +
		"CSeq: 8612 INVITE\n" +
		"Max-Forwards: 70\n" +
		"Content-Type: application/sdp\n" +
		"Content-Length: $CL\n\n" +
		"v=0\no=assistant 971731711378798081 0 IN IP6 2001:db8::20\ns=Live video feed\n" +
		"c=IN IP6 2001:db8::20\nt=0 0\nm=audio 6000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n"},
	{name: "ipv4-mapped-ipv6", want: []int{valid}, msg: "INVITE sip:user@example.com SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: sip:user@east.example.com;tag=81x2\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKas3-111\n" +
		"Call-ID: ipv4-mapped.SSG9559905523997077@hlau_4100\n" +
		"Contact: \"T. desk phone\" <sip:ted@[::ffff:192.0.2.2]>\n" +
		"CSeq: 612 INVITE\n" +
		"Max-Forwards: 70\n" +
		"Content-Type: application/sdp\n" +
		"Content-Length: $CL\n\n" +
		"v=0\no=assistant 971731711378798081 0 IN IP6 ::ffff:192.0.2.2\ns=Call me soon, please!\n" +
		"c=IN IP6 ::ffff:192.0.2.2\nt=0 0\nm=audio 6000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n"},
	// §4.9, §4.10: the RFC 3261 ABNF bug (three colons) and its correct
	// form: both are to be accepted.
	{name: "ipv6-bug-abnf-3-colons", want: []int{200, 400}, msg: "OPTIONS sip:user@[2001:db8:::192.0.2.1] SIP/2.0\n" +
		"To: sip:user@[2001:db8:::192.0.2.1]\n" +
		"From: sip:user@example.com;tag=810x2\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKas3-111\n" +
		"Call-ID: ipv6-3-colons.G9559905523997077@hlau_4100\n" +
		"CSeq: 689 OPTIONS\n" +
		"Max-Forwards: 70\n" +
		"Content-Length: 0\n\n"},
	{name: "ipv6-correct-abnf-2-colons", want: []int{200}, msg: "OPTIONS sip:user@[2001:db8::192.0.2.1] SIP/2.0\n" +
		"To: sip:user@[2001:db8::192.0.2.1]\n" +
		"From: sip:user@example.com;tag=810x2\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKas3-111\n" +
		"Call-ID: ipv6-2-colons.G9559905523997077@hlau_4100\n" +
		"CSeq: 689 OPTIONS\n" +
		"Max-Forwards: 70\n" +
		"Content-Length: 0\n\n"},
}
