package interop

// kamailioCfg is the Kamailio configuration template, adapted from the
// known-good /work/shared/peers/kamailio/kamailio.cfg. Every request is
// logged as "IN <method> <src> <proto> cseq=<n> expires=<v>" so tests can
// count what reached the server.
const kamailioCfg = `#!KAMAILIO
#!substdef "!DBURL!sqlite://{{.DB}}!g"
debug=2
log_stderror=yes
log_prefix="{$mt $hdr(CSeq) $ci} "
memdbg=5
memlog=5
children=2
tcp_children=2
auto_aliases=no
listen=udp:{{.Host}}:{{.Port}}
listen=tcp:{{.Host}}:{{.Port}}
{{if .TLSPort}}listen=tls:127.0.0.1:{{.TLSPort}}
enable_tls=yes
{{end}}alias="localhost:{{.Port}}"
{{range .Aliases}}alias="{{.}}"
{{end}}tcp_accept_no_cl=yes
dns=no
rev_dns=no
use_dns_cache=no
mpath="{{.ModPath}}"

loadmodule "ctl.so"
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "db_sqlite.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
{{if .Presence}}loadmodule "presence.so"
loadmodule "presence_xml.so"
loadmodule "presence_mwi.so"
{{end}}{{if .TLSPort}}loadmodule "tls.so"
{{end}}
modparam("ctl", "binrpc", "udp:127.0.0.1:{{.CtlPort}}")
modparam("tm", "fr_timer", 5000)
modparam("tm", "fr_inv_timer", 60000)
modparam("rr", "enable_full_lr", 1)
modparam("rr", "append_fromtag", 1)
modparam("registrar", "max_expires", {{.MaxExpires}})
modparam("registrar", "min_expires", {{.MinExpires}})
modparam("usrloc", "db_mode", 0)
modparam("auth_db", "db_url", "DBURL")
modparam("auth_db", "calculate_ha1", yes)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "load_credentials", "")
modparam("auth_db", "use_domain", 0)
{{if .Presence}}modparam("presence", "db_url", "DBURL")
modparam("presence", "server_address", "sip:127.0.0.1:{{.Port}}")
modparam("presence", "subs_db_mode", 0)
modparam("presence", "publ_cache", {{.PublCache}})
modparam("presence", "max_expires", {{.PresenceMaxExpires}})
modparam("presence_xml", "db_url", "DBURL")
modparam("presence_xml", "force_active", 1)
{{end}}{{if .TLSPort}}modparam("tls", "config", "{{.TLSCfg}}")
{{end}}
request_route {
	xlog("L_NOTICE", "IN $rm $si:$sp $pr cseq=$cs expires=$hdr(Expires)\n");
	route(REQINIT);
	if (is_method("CANCEL")) {
		if (t_check_trans()) route(RELAY);
		exit;
	}
	if (!is_method("ACK")) {
		if (t_precheck_trans()) { t_check_trans(); exit; }
		t_check_trans();
	}
	route(WITHINDLG);
	remove_hf("Route");
	if (is_method("INVITE|SUBSCRIBE")) record_route();
	route(AUTH);
	route(REGISTRAR);
	route(PRESENCE);
	if ($rU==$null) { sl_send_reply("484", "Address Incomplete"); exit; }
	route(LOCATION);
}

route[REQINIT] {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (is_method("OPTIONS") && uri==myself && $rU==$null) {
		sl_send_reply("200", "Keepalive");
		exit;
	}
	if (!sanity_check("17895", "7")) { xlog("L_WARN", "malformed from $si:$sp\n"); exit; }
}

route[RELAY] {
	if (!t_relay()) sl_reply_error();
	exit;
}

route[WITHINDLG] {
	if (!has_totag()) return;
	if (loose_route()) {
		route(RELAY);
		exit;
	}
	if (is_method("SUBSCRIBE") && uri==myself) {
		route(PRESENCE);
		exit;
	}
	if (is_method("ACK")) {
		if (t_check_trans()) route(RELAY);
		exit;
	}
	sl_send_reply("404", "Not here");
	exit;
}

route[AUTH] {
	# Only this proxy asserts identities (RFC 3325): what a caller claims
	# is dropped, and an authenticated user's identity asserted.
	remove_hf("P-Asserted-Identity");
	remove_hf("P-Preferred-Identity");
	if (is_method("REGISTER") || from_uri==myself) {
		if (!auth_check("$fd", "subscriber", "1")) {
			auth_challenge("$fd", "0");
			exit;
		}
		if (!is_method("REGISTER|PUBLISH")) {
			append_hf("P-Asserted-Identity: {{if .AssertName}}\"{{.AssertName}}\" {{end}}<sip:$au@$fd>\r\n");
			consume_credentials();
		}
	}
	if (from_uri!=myself && uri!=myself) {
		sl_send_reply("403", "Not relaying");
		exit;
	}
}

route[REGISTRAR] {
	if (!is_method("REGISTER")) return;
	if (!save("location")) sl_reply_error();
	exit;
}

route[PRESENCE] {
	if (!is_method("PUBLISH|SUBSCRIBE")) return;
{{if .Presence}}	if (!t_newtran()) { sl_reply_error(); exit; }
	if (is_method("PUBLISH")) {
		handle_publish();
		t_release();
	} else {
		handle_subscribe();
		t_release();
	}
{{else}}	sl_send_reply("501", "Not Implemented");
{{end}}	exit;
}

route[LOCATION] {
	if (!lookup("location")) {
		$var(rc) = $rc;
		t_newtran();
		switch ($var(rc)) {
			case -1:
			case -3:
				send_reply("404", "Not Found");
				exit;
			case -2:
				send_reply("405", "Method Not Allowed");
				exit;
		}
	}
	route(RELAY);
	exit;
}
`

const kamailioTLSCfg = `[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = {{.Key}}
certificate = {{.Cert}}

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
`
