#!/bin/sh
# shellcheck disable=SC2119
# AUTH: the real postie against smtp-testd for every mechanism, the
# policy (no password in clear unless auth_plaintext, and then only to
# loopback), wrong credentials, a forged SCRAM server signature, and
# --auth-required.  The channel-bound and certificate mechanisms
# (SCRAM-*-PLUS, EXTERNAL) run at the end, when smtp-testd has TLS.
# smtp-testd logs AUTH responses in clear ("C: ..."), so the tests can
# see exactly what left, and "A: authenticated USER" on success.
. "${top_srcdir:-.}/tests/cli/lib.sh"

printf 'alice:s3cret pw\nbob:other\n' >"$T/users"
# Complete (Date, From, Message-ID): it arrives unchanged.
printf 'Date: Thu, 1 Jan 2026 00:00:00 +0000\nFrom: sender@client.example\nMessage-ID: <auth@client.example>\nSubject: auth\n\nbody\n' >"$T/in"
printf 'Date: Thu, 1 Jan 2026 00:00:00 +0000\r\nFrom: sender@client.example\r\nMessage-ID: <auth@client.example>\r\nSubject: auth\r\n\r\nbody\r\n' >"$T/want.eml"

# auth_testd [smtp-testd options]: one session, alice's password and token.
auth_testd() {
	start_testd --sessions 1 --auth-users "$T/users" \
	    --auth-token alice:tok-123 "$@"
}

# authed MECH NAME: exit 0, silent, AUTH MECH, authenticated, delivered.
authed() {
	is "$RC" 0 "$2: exit 0"
	is "$(cat "$T/err")" "" "$2: silent"
	wait_session 1
	contains "$SRV/dir/session-1.log" "^C: AUTH $1( |\$)" "$2: AUTH $1"
	contains "$SRV/dir/session-1.log" '^A: authenticated ' \
	    "$2: authenticated"
	same_file "$(msg 1)" "$T/want.eml" "$2: message arrived"
	stop_testd
}

# not_sent NAME: no MAIL left, nothing arrived.
not_sent() {
	wait_session 1
	lacks "$SRV/dir/session-1.log" '^C: MAIL' "$1: no MAIL"
	is "$(nfiles 'msg-*.eml')" 0 "$1: nothing delivered"
	stop_testd
}

# ---- every mechanism that needs no TLS ----------------------------------

for mech in plain login cram-md5; do
	auth_testd
	write_conf "auth $mech" "user alice" "password s3cret pw" \
	    "auth_plaintext on"
	run_postie rcpt@server.example
	authed "$(echo "$mech" | tr '[:lower:]' '[:upper:]')" "auth $mech, plaintext, loopback"
done

auth_testd
write_conf "auth plain" "user alice" "password s3cret pw" "auth_plaintext on"
run_postie rcpt@server.example
contains "$SRV/dir/session-1.log" '^C: AUTH PLAIN AGFsaWNlAHMzY3JldCBwdw==$' \
    "auth plain: exact payload"
stop_testd

for mech in xoauth2 oauthbearer; do
	auth_testd
	write_conf "auth $mech" "user alice" "password tok-123" \
	    "auth_plaintext on"
	run_postie rcpt@server.example
	authed "$(echo "$mech" | tr '[:lower:]' '[:upper:]')" "auth $mech, plaintext, loopback"
done

# SCRAM sends no password: allowed without TLS and without auth_plaintext.
for mech in scram-sha-1 scram-sha-256; do
	auth_testd --scram-iterations 4096
	write_conf "auth $mech" "user alice" "password s3cret pw"
	run_postie rcpt@server.example
	authed "$(echo "$mech" | tr '[:lower:]' '[:upper:]')" "auth $mech, no TLS"
done

auth_testd
write_conf "auth on" "user alice" "password s3cret pw"
run_postie rcpt@server.example
authed SCRAM-SHA-256 "auth on: SCRAM-SHA-256 when offered"

auth_testd --auth-mechs "PLAIN LOGIN SCRAM-SHA-1"
write_conf "auth on" "user alice" "password s3cret pw"
run_postie rcpt@server.example
authed SCRAM-SHA-1 "auth on, no TLS: SCRAM-SHA-1 over PLAIN"

# ---- failures -------------------------------------------------------------

auth_testd
write_conf "auth plain" "user alice" "password wrong" "auth_plaintext on"
run_postie rcpt@server.example
is "$RC" 77 "wrong password (PLAIN): exit 77"
contains "$T/err" '535' "wrong password (PLAIN): the 535 reported"
not_sent "wrong password (PLAIN)"

auth_testd
write_conf "auth scram-sha-256" "user alice" "password wrong"
run_postie rcpt@server.example
is "$RC" 77 "wrong password (SCRAM): exit 77"
not_sent "wrong password (SCRAM)"

auth_testd
write_conf "auth xoauth2" "user alice" "password expired" "auth_plaintext on"
run_postie rcpt@server.example
is "$RC" 77 "bad token (XOAUTH2): exit 77"
not_sent "bad token (XOAUTH2)"

auth_testd
write_conf "auth plain" "user alice" "password s3cret pw"
run_postie rcpt@server.example
is "$RC" 77 "PLAIN without TLS, auth_plaintext off: exit 77"
contains "$T/err" 'without TLS' "PLAIN refused: says why"
wait_session 1
lacks "$SRV/dir/session-1.log" '^C: AUTH' "PLAIN refused: no AUTH at all"
not_sent "PLAIN refused"

auth_testd --auth-mechs "PLAIN LOGIN"
write_conf "auth on" "user alice" "password s3cret pw"
run_postie rcpt@server.example
is "$RC" 77 "auth on, only PLAIN/LOGIN offered, no TLS: exit 77"
wait_session 1
lacks "$SRV/dir/session-1.log" '^C: AUTH' "auth on, no TLS: no AUTH at all"
not_sent "auth on, no TLS"

auth_testd --scram-forge
write_conf "auth scram-sha-256" "user alice" "password s3cret pw"
run_postie rcpt@server.example
is "$RC" 76 "forged SCRAM signature: exit 76 (protocol)"
contains "$T/err" 'server signature does not verify' \
    "forged SCRAM signature: says why"
not_sent "forged SCRAM signature"

start_testd --sessions 1 --auth-required
write_conf
run_postie rcpt@server.example
is "$((RC != 0))" 1 "--auth-required, no auth configured: fails ($RC)"
contains "$T/err" '530' "--auth-required: the 530 reported"
wait_session 1
contains "$SRV/dir/session-1.log" '^S: 530 5\.7\.0' "--auth-required: MAIL got 530"
is "$(nfiles 'msg-*.eml')" 0 "--auth-required: nothing delivered"
stop_testd

# ---- with TLS: SCRAM-*-PLUS and EXTERNAL ----------------------------------

CERTS=$T/certs
if ! "$TESTD" --help 2>&1 | grep -q -- '--tls-cert' ||
    ! sh "$top_srcdir/tests/data/mkcerts.sh" "$CERTS" >/dev/null 2>&1; then
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP TLS not available in smtp-testd (or no certtool)"
	done_testing
	exit $?
fi

# tls_auth_testd [options]: STARTTLS with the good certificate, and AUTH.
tls_auth_testd() {
	auth_testd --tls-cert "$CERTS/good.pem" --tls-key "$CERTS/good.key" "$@"
}

tls_conf() {
	write_conf "timeout 5" "tls on" "tls_trust_file $CERTS/ca.pem" \
	    "tls_host_override mail.test.example" "$@"
}

for mech in scram-sha-256-plus scram-sha-1-plus; do
	tls_auth_testd
	tls_conf "auth $mech" "user alice" "password s3cret pw"
	run_postie rcpt@server.example
	authed "$(echo "$mech" | tr '[:lower:]' '[:upper:]')" "auth $mech over STARTTLS"
done

tls_auth_testd
tls_conf "auth on" "user alice" "password s3cret pw"
run_postie rcpt@server.example
authed SCRAM-SHA-256-PLUS "auth on over TLS: SCRAM-SHA-256-PLUS"

tls_auth_testd
tls_conf "auth plain" "user alice" "password s3cret pw"
run_postie rcpt@server.example
authed PLAIN "auth plain over STARTTLS (no auth_plaintext needed)"

tls_auth_testd --client-ca "$CERTS/ca.pem" --require-client-cert
tls_conf "auth external" "tls_cert_file $CERTS/client.pem" \
    "tls_key_file $CERTS/client.key"
run_postie rcpt@server.example
authed EXTERNAL "auth external with a client certificate"

# EXTERNAL without a client certificate: refused before connecting.
tls_auth_testd
tls_conf "auth external"
run_postie rcpt@server.example
is "$RC" 78 "auth external without tls_cert_file: exit 78"
contains "$T/err" 'auth external needs a client certificate' \
    "auth external without tls_cert_file: says so"
is "$(nfiles 'session-*')" 0 "auth external without tls_cert_file: no connection"
stop_testd

# Round trips for STARTTLS + AUTH PLAIN + one recipient with PIPELINING,
# counted by smtp-testd (its flushes after the greeting; the handshake is
# not an SMTP flush): EHLO, STARTTLS, EHLO, AUTH, MAIL+RCPT+DATA, dot+QUIT.
tls_auth_testd
tls_conf "auth plain" "user alice" "password s3cret pw"
run_postie rcpt@server.example
is "$RC" 0 "round trips, STARTTLS + AUTH PLAIN: exit 0"
wait_session 1
is "$(tail -1 "$SRV/dir/session-1.log")" "round_trips 6" \
    "STARTTLS + AUTH PLAIN + PIPELINING: 6 waits after the greeting"
stop_testd

# An attacker offers AUTH only before STARTTLS: postie waits for TLS.
tls_auth_testd --auth-before-tls-only
tls_conf "auth plain" "user alice" "password s3cret pw"
run_postie rcpt@server.example
is "$RC" 77 "AUTH offered only before STARTTLS: exit 77"
wait_session 1
lacks "$SRV/dir/session-1.log" '^C: AUTH' \
    "AUTH only before STARTTLS: no AUTH at all"
not_sent "AUTH only before STARTTLS"

done_testing
