#!/bin/sh
# shellcheck disable=SC2119
# TLS: the real postie against smtp-testd with certificates made by
# tests/data/mkcerts.sh: the certificate matrix (exit code and the one
# line that says why), implicit TLS, client certificates, and the
# STARTTLS attacks, where nothing but EHLO, STARTTLS and QUIT may leave.
. "${top_srcdir:-.}/tests/cli/lib.sh"

CERTS=$T/certs
if ! sh "$top_srcdir/tests/data/mkcerts.sh" "$CERTS" >/dev/null 2>&1; then
	echo "1..0 # SKIP cannot make certificates (is certtool installed?)"
	exit 0
fi

# Complete (Date, From, Message-ID): it arrives unchanged.
printf 'Date: Thu, 1 Jan 2026 00:00:00 +0000\nFrom: sender@client.example\nMessage-ID: <tls@client.example>\nSubject: tls\n\nbody\n' >"$T/in"
printf 'Date: Thu, 1 Jan 2026 00:00:00 +0000\r\nFrom: sender@client.example\r\nMessage-ID: <tls@client.example>\r\nSubject: tls\r\n\r\nbody\r\n' >"$T/want.eml"

# tls_testd CERT [smtp-testd options]: a server with CERT.pem/CERT.key.
tls_testd() {
	c=$1
	shift
	start_testd --sessions 1 --tls-cert "$CERTS/$c.pem" \
	    --tls-key "$CERTS/$c.key" "$@"
}

# tls_conf [lines]: STARTTLS, trusting the test CA, for mail.test.example.
tls_conf() {
	write_conf "timeout 5" "tls on" "tls_trust_file $CERTS/ca.pem" \
	    "tls_host_override mail.test.example" "$@"
}

# delivered NAME: exit 0, silent, the message arrived over TLS.
delivered() {
	is "$RC" 0 "$1: exit 0"
	is "$(cat "$T/err")" "" "$1: silent"
	same_file "$(msg 1)" "$T/want.eml" "$1: message arrived"
	wait_session 1
	contains "$SRV/dir/session-1.log" '^T: TLSv1\.[23] ' "$1: over TLS"
	stop_testd
}

# refused CODE PATTERN NAME: exit CODE, one line on stderr matching
# PATTERN, and neither AUTH nor MAIL in the server's transcript.
refused() {
	is "$RC" "$1" "$3: exit $1"
	is "$(wc -l <"$T/err" | tr -d ' ')" 1 "$3: one line on stderr"
	contains "$T/err" "$2" "$3: says why"
	wait_session 1
	lacks "$SRV/dir/session-1.log" '^C: (AUTH|MAIL)' "$3: no AUTH, no MAIL"
	is "$(nfiles 'msg-*.eml')" 0 "$3: nothing delivered"
	stop_testd
}

# ---- the certificate matrix ----------------------------------------------

tls_testd good
tls_conf
run_postie rcpt@server.example
delivered "CA-signed"
contains "$SRV/dir/session-1.log" '^T: starttls$' "CA-signed: STARTTLS"
contains "$SRV/dir/session-1.log" '^T: TLSv1\.3 TLS_AES_' "CA-signed: TLS 1.3"

# ---- GnuTLS loaded only when used (cmd/gnutls_lazy.c) --------------------

# Built so (configure found the library's soname): postie is not linked
# with GnuTLS, a plain message maps none of it, a TLS one opens it.
if grep -q '^#define POSTIE_GNUTLS_SONAME' "$top_builddir/config.h"; then
	lacks_ldd=0
	ldd "$POSTIE" | grep -q 'libgnutls' && lacks_ldd=1
	is "$lacks_ldd" 0 "lazy GnuTLS: postie is not linked with it"
	start_testd
	write_conf
	LD_DEBUG=files "$POSTIE" -C "$T/conf" rcpt@server.example <"$T/in" \
	    >"$T/out" 2>"$T/ld"
	is "$?" 0 "lazy GnuTLS: plain message sent"
	lacks "$T/ld" 'file=libgnutls' "lazy GnuTLS: not loaded without TLS"
	stop_testd
	tls_testd good
	tls_conf
	LD_DEBUG=files "$POSTIE" -C "$T/conf" rcpt@server.example <"$T/in" \
	    >"$T/out" 2>"$T/ld"
	is "$?" 0 "lazy GnuTLS: TLS message sent"
	contains "$T/ld" 'file=libgnutls\.so.*dynamically loaded by' "lazy GnuTLS: opened for TLS"
	stop_testd
	"$POSTIE" --version >"$T/out" 2>&1
	contains "$T/out" '^postie .*\(GnuTLS [0-9]+\.[0-9]+' "lazy GnuTLS: --version names its version"
else
	echo "# skipped: postie is linked with GnuTLS (--disable-lazy-gnutls)"
fi

tls_testd expired
tls_conf
run_postie rcpt@server.example
refused 75 '^postie: 127\.0\.0\.1: TLS handshake failed: certificate has expired$' "expired"

tls_testd notyet
tls_conf
run_postie rcpt@server.example
refused 75 'TLS handshake failed: certificate is not yet valid$' "not yet valid"

tls_testd wronghost
tls_conf
run_postie rcpt@server.example
refused 75 'certificate does not match host mail\.test\.example$' "wrong host name"

tls_testd good
write_conf "timeout 5" "tls on" "tls_trust_file $CERTS/ca.pem"
run_postie rcpt@server.example
refused 75 'certificate does not match host 127\.0\.0\.1$' "host is an IP, certificate a name"

tls_testd selfsigned
tls_conf
run_postie rcpt@server.example
refused 75 'certificate signer is not trusted \(self-signed certificate\)$' "self-signed"

tls_testd unknownca
tls_conf
run_postie rcpt@server.example
refused 75 'certificate signer is not trusted$' "unknown CA"

tls_testd revoked
tls_conf "tls_crl_file $CERTS/crl.pem"
run_postie rcpt@server.example
refused 75 'certificate has been revoked$' "revoked (tls_crl_file)"

tls_testd wildcard
tls_conf
run_postie rcpt@server.example
delivered "wildcard *.test.example for mail.test.example"

tls_testd idn
tls_conf "tls_host_override bücher.test.example"
run_postie rcpt@server.example
delivered "IDN host name (certificate for the A-label)"

tls_testd ip
write_conf "timeout 5" "tls on" "tls_trust_file $CERTS/ca.pem"
run_postie rcpt@server.example
delivered "IP literal host, certificate with the IP"

# The system trust store does not know the test CA.
tls_testd good
write_conf "timeout 5" "tls on" "tls_host_override mail.test.example"
run_postie rcpt@server.example
refused 75 'certificate signer is not trusted$' "system trust store"

# "~/" in file names is the home folder, as in msmtp.
cp "$CERTS/ca.pem" "$HOME/ca.pem"
tls_testd good
write_conf "timeout 5" "tls on" "tls_trust_file ~/ca.pem" \
    "tls_host_override mail.test.example"
run_postie rcpt@server.example
delivered "tls_trust_file ~/ca.pem"

tls_testd good
tls_conf "tls_trust_file $CERTS/missing.pem"
run_postie rcpt@server.example
refused 78 'tls_trust_file .*missing\.pem' "missing trust file: config error"

# ---- fingerprints and tls_certcheck ----------------------------------------

fp=$(certtool --fingerprint --hash=sha256 --infile "$CERTS/selfsigned.pem" |
    sed 's/../&:/g; s/:$//' | tr 'a-f' 'A-F')
fp_good=$(certtool --fingerprint --hash=sha256 --infile "$CERTS/good.pem")
fp_sha1=$(certtool --fingerprint --hash=sha1 --infile "$CERTS/selfsigned.pem")

tls_testd selfsigned
write_conf "timeout 5" "tls on" "tls_fingerprint $fp"
run_postie rcpt@server.example
delivered "fingerprint pinned (self-signed)"

tls_testd selfsigned
write_conf "timeout 5" "tls on" "tls_fingerprint $fp_good"
run_postie rcpt@server.example
refused 75 "fingerprint mismatch: got SHA256 $fp\$" "fingerprint wrong"

tls_testd selfsigned
write_conf "timeout 5" "tls on" "tls_fingerprint $fp_sha1"
run_postie rcpt@server.example
delivered "SHA-1 fingerprint"

tls_testd selfsigned
write_conf "timeout 5" "tls on" "tls_certcheck off" "logfile $T/mlog"
run_postie rcpt@server.example
delivered "tls_certcheck off"
contains "$T/mlog" 'tls_certcheck is off' "tls_certcheck off: warned in the log"

tls_testd selfsigned
write_conf "timeout 5" "tls on" "tls_certcheck off"
run_postie -v rcpt@server.example
is "$RC" 0 "tls_certcheck off, -v: exit 0"
contains "$T/err" 'warning: tls_certcheck is off' "tls_certcheck off, -v: warned on stderr"
contains "$T/err" '^postie: --- TLS: TLSv1\.3 TLS_AES_[^ ]*, peer CN=mail\.test\.example, SHA256 ' "-v describes the TLS session"
stop_testd

# ---- client certificates, implicit TLS, versions ----------------------------

tls_testd good --client-ca "$CERTS/ca.pem" --require-client-cert
tls_conf "tls_cert_file $CERTS/client.pem" "tls_key_file $CERTS/client.key"
run_postie rcpt@server.example
delivered "client certificate"
contains "$SRV/dir/session-1.log" 'client certificate verified' "client certificate: verified by the server"

tls_testd good --client-ca "$CERTS/ca.pem" --require-client-cert
tls_conf
run_postie rcpt@server.example
refused 75 'TLS (read: received alert: Certificate is required|write: )' "client certificate required, none given"

tls_testd good --implicit-tls
tls_conf "tls_starttls off"
run_postie rcpt@server.example
delivered "implicit TLS"
is "$(head -1 "$SRV/dir/session-1.log" | cut -c1-10)" "T: TLSv1.3" "implicit TLS: handshake before the greeting"
lacks "$SRV/dir/session-1.log" 'STARTTLS' "implicit TLS: no STARTTLS"
is "$(tail -1 "$SRV/dir/session-1.log")" "round_trips 3" "implicit TLS: 3 round trips after the greeting"

tls_testd expired --implicit-tls
tls_conf "tls_starttls off"
run_postie rcpt@server.example
refused 75 'TLS handshake failed: certificate has expired$' "implicit TLS, expired"

tls_testd good --tls-priorities 'NORMAL:-VERS-TLS1.3'
tls_conf
run_postie rcpt@server.example
delivered "TLS 1.2 server"
contains "$SRV/dir/session-1.log" '^T: TLSv1\.2 ' "TLS 1.2 server: TLS 1.2 used"

tls_testd good --tls-priorities 'NORMAL:-VERS-TLS1.3'
tls_conf "tls_min_version TLSv1.3"
run_postie rcpt@server.example
refused 75 'TLS handshake failed: ' "tls_min_version TLSv1.3 vs a TLS 1.2 server"

# ---- STARTTLS attacks ---------------------------------------------------------
# AUTH is configured so that a leak would show in the transcript.

attack_conf() {
	tls_conf "auth on" "user alice" "password secret" "auth_plaintext off"
}

tls_testd good --starttls-inject '250-AUTH PLAIN\r\n250 PIPELINING\r\n'
attack_conf
run_postie rcpt@server.example
refused 75 'server sent data after its STARTTLS reply' "fake EHLO reply after 220"

tls_testd good --starttls-inject '235 2.7.0 Authentication successful\r\n'
attack_conf
run_postie rcpt@server.example
refused 75 'server sent data after its STARTTLS reply' "fake 235 after 220"

tls_testd good --no-ext STARTTLS
attack_conf
run_postie rcpt@server.example
refused 75 'server does not offer STARTTLS' "STARTTLS stripped"
is "$(grep '^C:' "$SRV/dir/session-1.log" | cut -d' ' -f2 | tr '\n' ' ')" "EHLO QUIT " "STARTTLS stripped: only EHLO and QUIT sent"

tls_testd good --reply 'starttls=454 4.7.0 TLS not available'
attack_conf
run_postie rcpt@server.example
refused 75 '454 4\.7\.0 TLS not available' "STARTTLS answered 454"

tls_testd good --reply 'starttls=502 5.5.1 not implemented'
attack_conf
run_postie rcpt@server.example
refused 75 '502 5\.5\.1' "STARTTLS answered 502"

tls_testd good --tls-abort
attack_conf
run_postie rcpt@server.example
refused 75 'TLS handshake failed' "connection closed instead of the handshake"

# ---- round trips ----------------------------------------------------------------
# Counted by smtp-testd: its flushes after the greeting.  The handshake is
# not an SMTP flush.  STARTTLS with PIPELINING, one recipient, no AUTH:
# EHLO, STARTTLS, EHLO, MAIL+RCPT+DATA, dot+QUIT = 5.

tls_testd good
tls_conf
run_postie rcpt@server.example
is "$RC" 0 "round trips: exit 0"
wait_session 1
is "$(tail -1 "$SRV/dir/session-1.log")" "round_trips 5" "STARTTLS + PIPELINING: 5 round trips after the greeting"
stop_testd

done_testing
