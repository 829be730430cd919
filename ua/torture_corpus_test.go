package ua

import "strings"

// The torture corpus: requests written for sipbell after the descriptions
// in RFC 4475 (SIP torture test messages) and RFC 5118 (IPv6 torture
// tests), each named as in the RFC, with the answer a user agent server
// owes it. Messages use "\n" (sent as CRLF unless raw); $VIA is replaced
// by the test socket's address (so that every answer stays on loopback)
// and $CL by the body's length.

type tortureCase struct {
	name string
	// want lists acceptable status codes; 0 means "no answer at all".
	// "ok" (-1) means any answer that is neither 400 nor 5xx: the request
	// is valid and must get past the parser.
	want []int
	raw  bool // sent as written (no CRLF conversion)
	msg  string
}

const valid = -1

// tortureCorpus is the whole corpus: RFC 4475, then RFC 5118.
var tortureCorpus = append(rfc4475Corpus, rfc5118Corpus...)

var rfc4475Corpus = []tortureCase{
	// RFC 4475 §3.1.1.1: a short tortuous INVITE — line folding, odd
	// whitespace and case everywhere, compact forms, escapes, unknown
	// header parameters. Valid.
	{name: "wsinv", want: []int{valid}, msg: "INVITE sip:door@127.0.0.1;unknownparam SIP/2.0\n" +
		"TO :\n sip:door@127.0.0.1 ;   tag    = 1918181833n\n" +
		"from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\n  ;\n  tag = 98asjd8\n" +
		"MaX-fOrWaRdS: 0068\n" +
		"Call-ID: wsinv.ndaksdj@192.0.2.1\n" +
		"Content-Length   : $CL\n" +
		"cseq: 0009\n  INVITE\n" +
		"Via  : SIP  /   2.0\n /UDP\n    $VIA;branch=z9hG4bK-wsinv-1\n" +
		"s :\n" +
		"NewFangledHeader:   newfangled value\n continued newfangled value\n" +
		"UnknownHeaderWithUnusualValue: ;;,,;;,;\n" +
		"Content-Type: application/sdp\n" +
		"Route:\n <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\n" +
		"v:  SIP  / 2.0  / TCP     spindle.example.com   ;\n  branch  =   z9hG4bK9ikj8  ,\n" +
		" SIP  /    2.0   / UDP  192.168.255.111   ; branch=\n z9hG4bK30239\n" +
		"m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\n newvalue ;\n  secondparam ; q = 0.33\n" +
		"\n" + tortureSDP},
	// §3.1.1.2: a wide range of valid characters, in an unknown method:
	// 501 (the method is not implemented here).
	{name: "intmeth", want: []int{501}, msg: "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@127.0.0.1 SIP/2.0\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bK-.!%66*_+`'~\n" +
		"To: \"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7F\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>\n" +
		"From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\xD1\x80\xD0\xB0\xD0\xB1\xD0\xBE\xD1\x82\xD0\xB0\xD1\x8E\xD1\x89\xD0\xB8\xD0\xB9\";tag=_token~1'+`*%!-.\n" +
		"Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\n" +
		"CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~\n" +
		"Max-Forwards: 255\n" +
		"extensionHeader-!.%*+_`'~:\xEF\xBB\xBF\xE5\xA4\xA7\xE5\x81\x9C\xE9\x9B\xBB\n" +
		"Content-Length: 0\n\n"},
	// §3.1.1.3: valid use of % escaping in the Request-URI and headers.
	{name: "esc01", want: []int{200}, msg: "OPTIONS sip:%73ips%3Auser%40example.com@127.0.0.1 SIP/2.0\n" +
		"To: sip:%75se%72@example.com\n" +
		"From: <sip:I%20have%20spaces@example.net>;tag=938\n" +
		"Max-Forwards: 87\n" +
		"i: esc01.239409asdfakjkn23onasd0-3234\n" +
		"CSeq: 234234 OPTIONS\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"C: application/sdp\n" +
		"Contact:\n <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>\n" +
		"L: 0\n\n"},
	// §3.1.1.4: escaped nulls in URIs (a REGISTER: not a registrar, 405).
	{name: "escnull", want: []int{valid}, msg: "REGISTER sip:example.com SIP/2.0\n" +
		"To: sip:null-%00-null@example.com\n" +
		"From: sip:null-%00-null@example.com;tag=839923423\n" +
		"Max-Forwards: 70\n" +
		"Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd\n" +
		"CSeq: 14398234 REGISTER\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Contact: <sip:%00@host5.example.com>\n" +
		"Contact: <sip:%00%00@host5.example.com>\n" +
		"L:0\n\n"},
	// §3.1.1.5: % that is not an escape: RE%47IST%45R is an unknown method.
	{name: "esc02", want: []int{501}, msg: "RE%47IST%45R sip:registrar.example.com SIP/2.0\n" +
		"To: \"%Z%45\" <sip:resource@example.com>\n" +
		"From: \"%Z%45\" <sip:resource@example.com>;tag=f232jadfj23\n" +
		"Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKasdf\n" +
		"CSeq: 29344 RE%47IST%45R\n" +
		"Max-Forwards: 70\n" +
		"Contact: <sip:alias1@host1.example.com>\n" +
		"C%6Fntact: <sip:alias2@host2.example.com>\n" +
		"Contact: <sip:alias3@host3.example.com>\n" +
		"l: 0\n\n"},
	// §3.1.1.6: no LWS between a display name and <.
	{name: "lwsdisp", want: []int{200}, msg: "OPTIONS sip:user@127.0.0.1 SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: caller<sip:caller@example.com>;tag=323\n" +
		"Max-Forwards: 70\n" +
		"Call-ID: lwsdisp.1234abcd@funky.example.com\n" +
		"CSeq: 60 OPTIONS\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"l: 0\n\n"},
	// §3.1.1.7: long values in header fields (long names, a long
	// Call-ID, many long Vias and Record-Routes): valid, and its answers
	// are larger than 1300 bytes (RFC 3261 §18: still sent over UDP).
	{name: "longreq", want: []int{valid}, msg: "INVITE sip:user@127.0.0.1 SIP/2.0\n" +
		"To: \"I have a user name of " + strings.Repeat("extreme", 10) + " proportion\"<sip:user@127.0.0.1:6000;unknownparam1=very" +
		strings.Repeat("long", 20) + "value;longparamnamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamename=shortvalue;verylong" +
		strings.Repeat("Param", 20) + "withnovalue>\n" +
		"from: sip:" + strings.Repeat("amazinglylongcallername", 5) + "@example.net;tag=12" + strings.Repeat("982", 50) +
		"424;unknownheaderparam" + strings.Repeat("name", 20) + "=unknowheaderparam" + strings.Repeat("value", 15) +
		";unknownValueless" + strings.Repeat("paramname", 10) + "\n" +
		"Call-ID: longreq.one" + strings.Repeat("really", 20) + "longcallid\n" +
		"CSeq: 3882340 INVITE\n" +
		"Unknown-" + strings.Repeat("Long", 20) + "-Name: unknown-" + strings.Repeat("long", 20) + "-value; unknown-" +
		strings.Repeat("long", 20) + "-parameter-name = unknown-" + strings.Repeat("long", 20) + "-parameter-value\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bK-longreq-" + strings.Repeat("longbranch", 10) + "\n" +
		strings.Repeat("Via: SIP/2.0/TCP sip33.example.com\nv: SIP/2.0/TCP sip32.example.com\nV: SIP/2.0/TCP sip31.example.com\n", 4) +
		"Max-Forwards: 68\n" +
		"Record-Route: <sip:" + strings.Repeat("iso.example.com", 5) + ";lr>, <sip:" + strings.Repeat("hq.example.com", 5) + ";lr>\n" +
		"Contact: <sip:" + strings.Repeat("amazinglylongcallername", 5) + "@host5.example.net>\n" +
		"Content-Type: application/sdp\n" +
		"l: $CL\n\n" + tortureSDP},
	// §3.1.1.8: extra octets after the message in a UDP datagram (here a
	// whole second request): the first is answered, the rest ignored.
	{name: "dblreq", want: []int{405}, msg: "REGISTER sip:example.com SIP/2.0\n" +
		"To: sip:j.user@example.com\n" +
		"From: sip:j.user@example.com;tag=43251j3j324\n" +
		"Max-Forwards: 8\n" +
		"I: dblreq.0ha0isndaksdj99sdfafnl3lk233412\n" +
		"Contact: sip:j.user@host.example.com\n" +
		"CSeq: 8 REGISTER\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw23492\n" +
		"Content-Length: 0\n\n" +
		"INVITE sip:joe@example.com SIP/2.0\n" +
		"t: sip:joe@example.com\n" +
		"From: sip:caller@example.net;tag=141334\n" +
		"Max-Forwards: 8\n" +
		"Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15\n" +
		"CSeq: 8 INVITE\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw380234\n" +
		"Content-Type: application/sdp\n" +
		"Content-Length: $CL\n\n" + tortureSDP},
	// §3.1.1.9: semicolon-separated parameters in the URI user part.
	{name: "semiuri", want: []int{200}, msg: "OPTIONS sip:user;par=u%40example.net@127.0.0.1 SIP/2.0\n" +
		"To: sip:j_user@example.com\n" +
		"From: sip:caller@example.org;tag=33242\n" +
		"Max-Forwards: 3\n" +
		"Call-ID: semiuri.0ha0isndaksdj\n" +
		"CSeq: 8 OPTIONS\n" +
		"Accept: application/sdp, application/pkcs7-mime,\n multipart/mixed, multipart/signed,\n message/sip, message/sipfrag\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"l: 0\n\n"},
	// §3.1.1.10: varied and unknown transports in the Via (the top one
	// is the one the answer follows).
	{name: "transports", want: []int{200}, msg: "OPTIONS sip:user@127.0.0.1 SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: <sip:caller@example.com>;tag=323\n" +
		"Max-Forwards: 70\n" +
		"Call-ID: transports.kijh4akdnaqjkwendsasfdj\n" +
		"Accept: application/sdp\n" +
		"CSeq: 60 OPTIONS\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf\n" +
		"Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj\n" +
		"Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en\n" +
		"Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee\n" +
		"l: 0\n\n"},
	// §3.1.1.11: a multipart MIME body (sipbell takes MESSAGE only with a
	// handler: any answer but 400 and 5xx).
	{name: "mpart01", want: []int{valid}, msg: "MESSAGE sip:kumiko@127.0.0.1 SIP/2.0\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKnashds9\n" +
		"Max-Forwards: 70\n" +
		"From: \"Bob\" <sip:bob@example.com>;tag=a73kszlfl\n" +
		"To: <sip:kumiko@example.org>\n" +
		"Call-ID: mpart01.5893@example.com\n" +
		"CSeq: 1 MESSAGE\n" +
		"Content-Type: multipart/mixed;boundary=7a9cbec02ceef655\n" +
		"Content-Length: $CL\n\n" +
		"--7a9cbec02ceef655\nContent-Type: text/plain\n\nHello at the door.\n--7a9cbec02ceef655--\n"},
	// §3.1.2.1: extraneous header field separators (To "sip:...;;").
	{name: "badinv01", want: []int{400}, msg: "INVITE sip:user@127.0.0.1 SIP/2.0\n" +
		"To: sip:j.user@example.com\n" +
		"From: sip:caller@example.net;;tag=134161461246\n" +
		"Max-Forwards: 7\n" +
		"Call-ID: badinv01.0ha0isndaksdjasdf3234nas\n" +
		"CSeq: 8 INVITE\n" +
		"Via: SIP/2.0/UDP $VIA;;,;,,\n" +
		"Contact: \"Joe\" <sip:joe@example.org>;;;;\n" +
		"Content-Length: $CL\n" +
		"Content-Type: application/sdp\n\n" + tortureSDP},
	// §3.1.2.2: Content-Length larger than the message (UDP: 400).
	{name: "clerr", want: []int{400}, msg: "INVITE sip:user@127.0.0.1 SIP/2.0\n" +
		"Max-Forwards: 80\n" +
		"To: sip:j.user@example.com\n" +
		"From: sip:caller@example.net;tag=93942939o2\n" +
		"Contact: <sip:caller@hungry.example.net>\n" +
		"Call-ID: clerr.0ha0isndaksdjweiafasdk3\n" +
		"CSeq: 8 INVITE\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bK-39234-23523\n" +
		"Content-Type: application/sdp\n" +
		"Content-Length: 9999\n\n" + tortureSDP},
	// §3.1.2.3: negative Content-Length.
	{name: "ncl", want: []int{400}, msg: "INVITE sip:user@127.0.0.1 SIP/2.0\n" +
		"Max-Forwards: 254\n" +
		"To: sip:j.user@example.com\n" +
		"From: sip:caller@example.net;tag=32394234\n" +
		"Call-ID: ncl.0ha0isndaksdj2193423r542w35\n" +
		"CSeq: 0 INVITE\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Contact: <sip:caller@example53.example.net>\n" +
		"Content-Type: application/sdp\n" +
		"Content-Length: -999\n\n" + tortureSDP},
	// §3.1.2.4: scalar fields with overlarge values.
	{name: "scalar02", want: []int{400}, msg: "REGISTER sip:example.com SIP/2.0\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Max-Forwards: 300\n" +
		"From: sip:user@example.com;tag=932298\n" +
		"To: sip:user@example.com\n" +
		"Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32\n" +
		"CSeq: 39234321 REGISTER\n" +
		"Expires: 1\n" +
		"Contact: sip:user@host129.example.com;expires=280297596632815\n" +
		"Content-Length: 0\n\n"},
	{name: "scalar-cseq", want: []int{400}, msg: "OPTIONS sip:user@127.0.0.1 SIP/2.0\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Max-Forwards: 70\n" +
		"From: sip:user@example.com;tag=932298\n" +
		"To: sip:user@example.com\n" +
		"Call-ID: scalar-cseq.23o0pd9vanlq3wnrlnewofjas9ui32\n" +
		"CSeq: 36893488147419103232 OPTIONS\n" +
		"Content-Length: 0\n\n"},
	// §3.1.2.6: unterminated quoted string in the display name.
	{name: "quotbal", want: []int{400}, msg: "INVITE sip:user@127.0.0.1 SIP/2.0\n" +
		"To: \"Mr. J. User <sip:j.user@example.com>\n" +
		"From: sip:caller@example.net;tag=93334\n" +
		"Max-Forwards: 10\n" +
		"Call-ID: quotbal.aksdj\n" +
		"Contact: <sip:caller@host59.example.net>\n" +
		"CSeq: 8 INVITE\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Content-Type: application/sdp\n" +
		"Content-Length: $CL\n\n" + tortureSDP},
	// §3.1.2.7: <> around the Request-URI.
	{name: "ltgtruri", want: []int{400}, msg: "INVITE <sip:user@127.0.0.1> SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: sip:caller@example.net;tag=39291\n" +
		"Max-Forwards: 23\n" +
		"Call-ID: ltgtruri.1@192.0.2.5\n" +
		"CSeq: 1 INVITE\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Contact: <sip:caller@host5.example.net>\n" +
		"Content-Type: application/sdp\n" +
		"Content-Length: $CL\n\n" + tortureSDP},
	// §3.1.2.8: LWS inside the Request-URI.
	{name: "lwsruri", want: []int{400}, msg: "INVITE sip:user@127.0.0.1; lr SIP/2.0\n" +
		"To: sip:user@example.com;tag=3xfe-9921883-z9f\n" +
		"From: sip:caller@example.net;tag=231413434\n" +
		"Max-Forwards: 5\n" +
		"Call-ID: lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423\n" +
		"CSeq: 2130706432 INVITE\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw2395\n" +
		"Contact: <sip:caller@host1.example.net>\n" +
		"Content-Type: application/sdp\n" +
		"Content-Length: $CL\n\n" + tortureSDP},
	// §3.1.2.9: several SP between the Request-Line's elements.
	{name: "lwsstart", want: []int{400}, msg: "INVITE  sip:user@127.0.0.1  SIP/2.0\n" +
		"Max-Forwards: 8\n" +
		"To: sip:user@example.com\n" +
		"From: sip:caller@example.net;tag=8814\n" +
		"Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com\n" +
		"CSeq: 1893884 INVITE\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw3923\n" +
		"Contact: <sip:caller@host1.example.net>\n" +
		"Content-Type: application/sdp\n" +
		"Content-Length: $CL\n\n" + tortureSDP},
	// §3.1.2.10: SP at the end of the Request-Line (invalid; tolerance
	// is allowed).
	{name: "trws", want: []int{400, 200}, msg: "OPTIONS sip:remote-target@127.0.0.1 SIP/2.0  \n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bK-trws\n" +
		"To: <sip:remote-target@example.com>\n" +
		"From: <sip:local-resource@example.com>;tag=329429089\n" +
		"Call-ID: trws.oicu34958239neffasdhr2345r\n" +
		"Accept: application/sdp\n" +
		"CSeq: 238923 OPTIONS\n" +
		"Max-Forwards: 70\n" +
		"Content-Length: 0\n\n"},
	// §3.1.2.11: escaped headers in the Request-URI.
	{name: "escruri", want: []int{400}, msg: "INVITE sip:user@127.0.0.1?Route=%3Csip:example.com%3E SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: sip:caller@example.net;tag=341518\n" +
		"Max-Forwards: 7\n" +
		"Contact: <sip:caller@host39923.example.net>\n" +
		"Call-ID: escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5\n" +
		"CSeq: 999 INVITE\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Content-Type: application/sdp\n" +
		"Content-Length: $CL\n\n" + tortureSDP},
	// §3.1.2.12: a Date in a time zone other than GMT (tolerance allowed).
	{name: "baddate", want: []int{valid, 400}, msg: "INVITE sip:user@127.0.0.1 SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: sip:caller@example.net;tag=2234923\n" +
		"Max-Forwards: 70\n" +
		"Call-ID: baddate.239423mnsadf3j23lj42--sedfnm234\n" +
		"CSeq: 1392934 INVITE\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Date: Fri, 01 Jan 2010 16:00:00 EST\n" +
		"Contact: <sip:caller@host5.example.net>\n" +
		"Content-Type: application/sdp\n" +
		"Content-Length: $CL\n\n" + tortureSDP},
	// §3.1.2.13: a name-addr with parameters not in <> (ambiguous).
	{name: "regbadct", want: []int{400, 405}, msg: "REGISTER sip:example.com SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: sip:user@example.com;tag=998332\n" +
		"Max-Forwards: 70\n" +
		"Call-ID: regbadct.k345asrl3fdbv@10.0.0.1\n" +
		"CSeq: 1 REGISTER\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E\n" +
		"l: 0\n\n"},
	// §3.1.2.14: spaces inside an addr-spec (tolerance allowed).
	{name: "badaspec", want: []int{400, 200}, msg: "OPTIONS sip:user@127.0.0.1 SIP/2.0\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Max-Forwards: 70\n" +
		"From: \"Watson, Thomas\" < sip:t.watson@example.org >;tag=99sa0xk\n" +
		"To: Aaron Bell <sip:a.g.bell@example.com>\n" +
		"Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3\n" +
		"Accept: application/sdp\n" +
		"CSeq: 3923239 OPTIONS\n" +
		"l: 0\n\n"},
	// §3.1.2.15: non-token characters in an unquoted display name
	// (tolerance allowed).
	{name: "baddn", want: []int{400, 200}, msg: "OPTIONS sip:t.watson@127.0.0.1 SIP/2.0\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Max-Forwards: 70\n" +
		"From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43\n" +
		"To: Watson, Thomas <sip:t.watson@example.org>\n" +
		"Call-ID: baddn.31415@c.example.com\n" +
		"Accept: application/sdp\n" +
		"CSeq: 3923239 OPTIONS\n" +
		"l: 0\n\n"},
	// §3.1.2.16: an unknown protocol version: 505.
	{name: "badvers", want: []int{505}, msg: "OPTIONS sip:t.watson@127.0.0.1 SIP/7.0\n" +
		"Via: SIP/7.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Max-Forwards: 70\n" +
		"From: A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe\n" +
		"To: T. Watson <sip:t.watson@example.org>\n" +
		"Call-ID: badvers.31417@c.example.com\n" +
		"CSeq: 1 OPTIONS\n" +
		"l: 0\n\n"},
	// §3.1.2.17: the Request-Line's method and the CSeq's differ: 400.
	{name: "mismatch01", want: []int{400}, msg: "OPTIONS sip:user@127.0.0.1 SIP/2.0\n" +
		"To: sip:j.user@example.com\n" +
		"From: sip:caller@example.net;tag=34525\n" +
		"Max-Forwards: 6\n" +
		"Call-ID: mismatch01.dj0234sxdfl3\n" +
		"CSeq: 8 INVITE\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"l: 0\n\n"},
	// §3.1.2.18: the same with an unknown method: 400 (or 501).
	{name: "mismatch02", want: []int{400, 501}, msg: "NEWMETHOD sip:user@127.0.0.1 SIP/2.0\n" +
		"To: sip:j.user@example.com\n" +
		"From: sip:caller@example.net;tag=34525\n" +
		"Max-Forwards: 6\n" +
		"Call-ID: mismatch02.dj0234sxdfl3\n" +
		"CSeq: 8 INVITE\n" +
		"Contact: <sip:caller@host.example.net>\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Content-Type: application/sdp\n" +
		"l: $CL\n\n" + tortureSDP},
	// §3.2.1: a Via branch that is only the magic cookie: still valid.
	{name: "badbranch", want: []int{200}, msg: "OPTIONS sip:user@127.0.0.1 SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: sip:caller@example.org;tag=33242\n" +
		"Max-Forwards: 3\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bK\n" +
		"Accept: application/sdp\n" +
		"Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n\n" +
		"CSeq: 8 OPTIONS\n" +
		"l: 0\n\n"},
	// §3.3.1: required header fields missing (Call-ID, From, To): 400.
	{name: "insuf", want: []int{400}, msg: "INVITE sip:user@127.0.0.1 SIP/2.0\n" +
		"CSeq: 193942 INVITE\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Content-Type: application/sdp\n" +
		"l: $CL\n\n" + tortureSDP},
	// §3.3.2: a Request-URI of an unknown scheme: 416.
	{name: "unkscm", want: []int{416}, msg: "OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: sip:caller@example.net;tag=384\n" +
		"Max-Forwards: 3\n" +
		"Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34\n" +
		"CSeq: 3923423 OPTIONS\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Content-Length: 0\n\n"},
	// §3.3.3: a known but atypical scheme sipbell does not serve: 416.
	{name: "novelsc", want: []int{416}, msg: "OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: sip:caller@example.net;tag=384\n" +
		"Max-Forwards: 3\n" +
		"Call-ID: novelsc.asdfasser0q239nwsdfasdkl34\n" +
		"CSeq: 3923423 OPTIONS\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Content-Length: 0\n\n"},
	// §3.3.4: unknown URI schemes in header fields: valid.
	{name: "unksm2", want: []int{valid}, msg: "REGISTER sip:example.com SIP/2.0\n" +
		"To: isbn:2983792873\n" +
		"From: <http://www.example.com>;tag=3234233\n" +
		"Call-ID: unksm2.daksdj@hyphenated-host.example.com\n" +
		"CSeq: 234902 REGISTER\n" +
		"Max-Forwards: 70\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Contact: <name:John_Smith>\n" +
		"l: 0\n\n"},
	// §3.3.5: Require of an extension sipbell does not support: 420 with
	// Unsupported.
	{name: "bext01", want: []int{420}, msg: "OPTIONS sip:user@127.0.0.1 SIP/2.0\n" +
		"To: sip:j_user@example.com\n" +
		"From: sip:caller@example.net;tag=242etr\n" +
		"Max-Forwards: 6\n" +
		"Call-ID: bext01.0ha0isndaksdj\n" +
		"Require: nothingSupportedHere\n" +
		"Proxy-Require: noProxiesSupportThis, nothingSupportedHere\n" +
		"Proxy-Require: nothingSupportedHere\n" +
		"CSeq: 8 OPTIONS\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Content-Length: 0\n\n"},
	// §3.3.6: a body of an unknown content type in an INVITE: 415 with
	// Accept.
	{name: "invut", want: []int{415}, msg: "INVITE sip:user@127.0.0.1 SIP/2.0\n" +
		"Contact: <sip:caller@host5.example.net>\n" +
		"To: sip:j.user@example.com\n" +
		"From: sip:caller@example.net;tag=8392034\n" +
		"Max-Forwards: 70\n" +
		"Call-ID: invut.0ha0isndaksdjadsfij34n23d\n" +
		"CSeq: 235448 INVITE\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Content-Type: application/unknownformat\n" +
		"Content-Length: $CL\n\n" +
		"<audio>\n <pcmu port=\"443\"/>\n</audio>\n"},
	// §3.3.7: an unknown authorization scheme (not a registrar: valid,
	// 405).
	{name: "regaut01", want: []int{valid}, msg: "REGISTER sip:example.com SIP/2.0\n" +
		"To: sip:j.user@example.com\n" +
		"From: sip:j.user@example.com;tag=87321hj23128\n" +
		"Max-Forwards: 8\n" +
		"Call-ID: regaut01.0ha0isndaksdj\n" +
		"CSeq: 9338 REGISTER\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Authorization: NoOneKnowsThisScheme opaque-data=here\n" +
		"Content-Length:0\n\n"},
	// §3.3.8: several values in header fields that take one: 400.
	{name: "multi01", want: []int{400}, msg: "INVITE sip:user@127.0.0.1 SIP/2.0\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Max-Forwards: 70\n" +
		"CSeq: 5 INVITE\n" +
		"Call-ID: multi01.98asdh@192.0.2.1\n" +
		"CSeq: 59 INVITE\n" +
		"Call-ID: multi01.98asdh@192.0.2.2\n" +
		"From: sip:caller@example.com;tag=3413415\n" +
		"To: sip:user@example.com\n" +
		"To: sip:other@example.net\n" +
		"From: sip:caller@example.net;tag=2923420123\n" +
		"Content-Type: application/sdp\n" +
		"l: $CL\n" +
		"Contact: <sip:caller@host5.example.net>\n" +
		"Max-Forwards: 5\n\n" + tortureSDP},
	// §3.3.9: several Content-Length values: 400.
	{name: "mcl01", want: []int{400}, msg: "OPTIONS sip:user@127.0.0.1 SIP/2.0\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"To: sip:user@example.com\n" +
		"From: sip:caller@example.net;tag=323\n" +
		"Max-Forwards: 70\n" +
		"Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf\n" +
		"CSeq: 15932 OPTIONS\n" +
		"Content-Length: 13\n" +
		"Max-Forwards: 60\n" +
		"Content-Length: 5\n" +
		"Content-Type: text/plain\n\n" +
		"There's no way to know how many octets are supposed to be here.\n"},
	// §3.3.11: Max-Forwards 0 on an OPTIONS to the UAS itself: answered.
	{name: "zeromf", want: []int{200}, msg: "OPTIONS sip:user@127.0.0.1 SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: sip:caller@example.net;tag=3ghsd41\n" +
		"Call-ID: zeromf.jfasdlfnm2o2l43r5u0asdfas\n" +
		"CSeq: 39234321 OPTIONS\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Max-Forwards: 0\n" +
		"l: 0\n\n"},
	// §3.3.12–14: REGISTERs with contact and URL parameters, escaped
	// headers in a Contact (valid; not a registrar: 405).
	{name: "cparam01", want: []int{valid}, msg: "REGISTER sip:example.com SIP/2.0\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Max-Forwards: 70\n" +
		"From: sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe\n" +
		"To: sip:watson@example.com\n" +
		"Call-ID: cparam01.70710@saturn.example.com\n" +
		"CSeq: 2 REGISTER\n" +
		"Contact: sip:+19725552222@gw1.example.net;unknownparam\n" +
		"l: 0\n\n"},
	{name: "regescrt", want: []int{valid}, msg: "REGISTER sip:example.com SIP/2.0\n" +
		"To: sip:user@example.com\n" +
		"From: sip:user@example.com;tag=8\n" +
		"Max-Forwards: 70\n" +
		"Call-ID: regescrt.k345asrl3fdbv@192.0.2.1\n" +
		"CSeq: 14398234 REGISTER\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Contact: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>\n" +
		"l: 0\n\n"},
	// §3.3.15: an INVITE that accepts no body type sipbell can answer
	// with: 406.
	{name: "sdp01", want: []int{406}, msg: "INVITE sip:user@127.0.0.1 SIP/2.0\n" +
		"To: sip:j_user@example.com\n" +
		"Contact: <sip:caller@host15.example.net>\n" +
		"From: sip:caller@example.net;tag=234\n" +
		"Max-Forwards: 5\n" +
		"Call-ID: sdp01.ndaksdj9342dasdd\n" +
		"Accept: text/nobodyKnowsThis\n" +
		"CSeq: 8 INVITE\n" +
		"Via: SIP/2.0/UDP $VIA;branch=z9hG4bKkdjuw\n" +
		"Content-Length: $CL\n" +
		"Content-Type: application/sdp\n\n" + tortureSDP},
	// §3.3.16: an RFC 2543 INVITE (no branch cookie, no From tag): valid.
	{name: "inv2543", want: []int{valid}, msg: "INVITE sip:UserB@127.0.0.1 SIP/2.0\n" +
		"Via: SIP/2.0/UDP $VIA\n" +
		"From: <sip:UserA@example.com>\n" +
		"To: <sip:UserB@example.com>\n" +
		"Call-ID: inv2543.38278473fc2@example.com\n" +
		"CSeq: 1 INVITE\n" +
		"Max-Forwards: 70\n" +
		"Contact: <sip:UserA@192.0.2.1>\n" +
		"Content-Type: application/sdp\n" +
		"Content-Length: $CL\n\n" + tortureSDP},
}

// tortureSDP is a plain audio offer for the corpus INVITEs.
const tortureSDP = "v=0\no=mhandley 29739 7272939 IN IP4 192.0.2.3\ns=-\nc=IN IP4 192.0.2.3\n" +
	"t=0 0\nm=audio 49217 RTP/AVP 0 12\nm=video 3227 RTP/AVP 31\na=rtpmap:31 LPC\n"
