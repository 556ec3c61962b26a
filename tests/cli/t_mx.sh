#!/bin/sh
# Direct delivery to MX hosts (no `host` configured), against real peers:
# a private network namespace whose resolver is unbound serving test
# zones (one of them DNSSEC-signed, for DANE), and smtp-testd instances on
# port 25 of namespace addresses.  Each case checks the exit status, what
# each server received (or that it received no MAIL at all) and, where it
# matters, what -v and the log line say.  Needs root (namespaces); skips
# with the reason elsewhere.
# shellcheck shell=sh disable=SC2030,SC2031,SC2012,SC2016
# (SC2012: ls -t over file names the servers made; SC2016: $0/$1 of sh -c)

. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/lib_netns.sh"

if ! why=$(netns_usable); then
	echo "1..0 # SKIP $why"
	exit 0
fi
netns_up

# --- addresses, servers --------------------------------------------------

# mx1, mx2: plain servers; v6: an IPv6-only one; dead: nothing listens;
# busy: 421 greeting; rej: refuses every recipient for good; tls: a
# STARTTLS server with a self-signed, expired certificate for another
# name (fine for DANE-EE, "may" and "encrypt"); tlsabort: offers STARTTLS
# and aborts the handshake; ca: a CA-signed certificate for its name;
# ta: a chain leaf <- CA for DANE-TA.
netns_addr 192.0.2.11 192.0.2.12 192.0.2.13 192.0.2.14 192.0.2.15 \
    192.0.2.16 192.0.2.17 192.0.2.18 192.0.2.19 192.0.2.20 192.0.2.21 \
    2001:db8::12
netns_unreachable 198.51.100.0/24

make_cert tlsee wrong.example expired || exit 1
make_cert tlsother other.example || exit 1
make_ca ca "Test CA" || exit 1
make_cert mxca mxca.plain.test ca=ca || exit 1
make_cert mxta mxta.dane.test ca=ca || exit 1
cat "$T/mxta.pem" "$T/ca.pem" >"$T/mxta-chain.pem"

# srv NAME ADDR [smtp-testd options]: a server on ADDR port 25.
srv() {
	name=$1 addr=$2
	shift 2
	mkdir -p "$T/$name"
	netns_bg "$TESTD" --dir "$T/$name" --listen "$addr" --port 25 \
	    --idle-exit 120 --hostname "$name.test" "$@" \
	    >"$T/$name.out" 2>"$T/$name.err"
	if ! netns_wait_listen "$addr" 25; then
		echo "Bail out! smtp-testd $name did not start: $(cat "$T/$name.err")"
		exit 1
	fi
}

srv mx1 192.0.2.11
srv mx2 192.0.2.12
srv v6 2001:db8::12
srv busy 192.0.2.14 --reply 'connect=421 4.3.2 busy'
srv rej 192.0.2.15 --reply 'rcpt=550 5.1.1 no such user'
srv tls 192.0.2.16 --tls-cert "$T/tlsee.pem" --tls-key "$T/tlsee.key"
srv tlsabort 192.0.2.17 --tls-cert "$T/tlsee.pem" --tls-key "$T/tlsee.key" \
    --tls-abort
srv mxca 192.0.2.18 --tls-cert "$T/mxca.pem" --tls-key "$T/mxca.key"
srv mxta 192.0.2.19 --tls-cert "$T/mxta-chain.pem" --tls-key "$T/mxta.key"
srv tls2 192.0.2.20 --tls-cert "$T/tlsother.pem" --tls-key "$T/tlsother.key"
srv rcptbusy 192.0.2.21 --reply 'rcpt=450 4.2.1 mailbox busy'

# --- zones ---------------------------------------------------------------

netns_zone plain.test unsigned <<'EOF'
mx1		A	192.0.2.11
mx2		A	192.0.2.12
v6		AAAA	2001:db8::12
dead		A	192.0.2.13
busy		A	192.0.2.14
rej		A	192.0.2.15
tls		A	192.0.2.16
tlsabort	A	192.0.2.17
mxca		A	192.0.2.18
far		A	198.51.100.1
rcptbusy	A	192.0.2.21
pref		MX	20 mx2
pref		MX	10 mx1
refused		MX	10 dead
refused		MX	20 mx2
busyfirst	MX	10 busy
busyfirst	MX	20 mx2
unreach		MX	10 far
unreach		MX	20 mx2
afallback	A	192.0.2.12
nullmx		MX	0 .
nullmx		A	192.0.2.12
perm		MX	10 rej
perm		MX	20 mx2
ipv6		MX	10 v6
alldead		MX	10 dead
alldead		MX	20 far
multi		A	192.0.2.13
multi		A	192.0.2.12
multiaddr	MX	10 multi
later		MX	10 dead
rcpt4xx		MX	10 rcptbusy
rcpt4xx		MX	20 mx2
may		MX	10 tls
mayabort	MX	10 tlsabort
verify		MX	10 mxca
verifybad	MX	10 tls
EOF
netns_zone xn--bcher-kva.test unsigned <<'EOF'
@		MX	10 mx1.plain.test.
EOF

# DANE: mxee's TLSA matches the expired, misnamed certificate of "tls"
# (DANE-EE ignores names and dates); mxbad's matches nothing; mxplain
# has TLSA records but its server offers no STARTTLS; mxbogus's TLSA
# signature is broken; mxpkix has only a usage-1 record; mxta a DANE-TA
# record for the CA of its chain.
ee=$(tlsa_data 1 1 "$T/tlsee.pem")
other=$(tlsa_data 1 1 "$T/tlsother.pem")
ca=$(tlsa_data 1 1 "$T/ca.pem")
netns_zone dane.test signed <<EOF
mxee		A	192.0.2.16
mxbad		A	192.0.2.16
mxplain		A	192.0.2.11
mxbogus		A	192.0.2.16
mxpkix		A	192.0.2.16
mxta		A	192.0.2.19
mxtawrong	A	192.0.2.19
_25._tcp.mxee	TLSA	3 1 1 $ee
_25._tcp.mxbad	TLSA	3 1 1 $other
_25._tcp.mxplain TLSA	3 1 1 $ee
_25._tcp.mxbogus TLSA	3 1 1 $ee
_25._tcp.mxpkix	TLSA	1 1 1 $other
_25._tcp.mxta	TLSA	2 1 1 $ca
_25._tcp.mxtawrong TLSA	2 1 1 $ca
ee		MX	10 mxee
bad		MX	10 mxbad
badthenee	MX	10 mxbad
badthenee	MX	20 mxee
plain		MX	10 mxplain
bogustlsa	MX	10 mxbogus
bogustlsa	MX	20 mxee
pkix		MX	10 mxpkix
ta		MX	10 mxta
tawrong		MX	10 mxtawrong
notlsa		MX	10 mx1.plain.test.
EOF
netns_zone_corrupt dane.test _25._tcp.mxbogus TLSA || exit 1
netns_zone broken.test bogus <<'EOF'
@		MX	10 mx1.plain.test.
EOF
netns_dns_start trust-ad

# --- helpers -------------------------------------------------------------

printf 'Subject: direct\n\nHello by MX.\n' >"$T/in"

# conf [lines]: no host; the queue off (a temporary failure is 75)
# unless a queue_dir line is given.
conf() {
	queue="queue off"
	case "$*" in
	*queue_dir*) queue="" ;;
	esac
	{
		echo "defaults"
		echo "domain client.example"
		[ -n "$queue" ] && echo "$queue"
		echo "logfile $T/mail.log"
		echo "account default"
		echo "from sender@client.example"
		for line in "$@"; do
			echo "$line"
		done
	} >"$T/conf"
	chmod 600 "$T/conf"
}

# send RCPT... : postie -v in the namespace; RC, $T/out, $T/err.
send() {
	: >"$T/mail.log"
	netns_run "$POSTIE" -C "$T/conf" -v -- "$@" <"$T/in" >"$T/out" \
	    2>"$T/err"
	RC=$?
}

# got NAME: how many messages server NAME accepted so far.
got() {
	find "$T/$1" -name 'msg-*.eml' | wc -l | tr -d ' '
}

# mails NAME: how many MAIL commands server NAME saw.
mails() {
	cat "$T/$1"/session-*.log 2>/dev/null | grep -c '^C: MAIL FROM'
}

# last_session NAME: the transcript of NAME's newest session.
last_session() {
	ls -t "$T/$1"/session-*.log 2>/dev/null | head -1
}

# last_env NAME: the envelope of NAME's newest message.
last_env() {
	ls -t "$T/$1"/msg-*.env 2>/dev/null | head -1
}

conf

# --- routing -------------------------------------------------------------

send a@pref.plain.test
is "$RC" 0 "preference order: delivered"
is "$(got mx1)/$(got mx2)" "1/0" "preference order: by mx1 (10), not mx2 (20)"
contains "$(last_env mx1)" 'a@pref\.plain\.test' "preference order: the recipient"
contains "$T/err" 'MX 10 mx1\.plain\.test' "-v: the MX hosts"
contains "$T/mail.log" 'relay="?mx1\.plain\.test \[192\.0\.2\.11' "log: relay mx1"
lacks "$T/err" 'AUTH' "no AUTH"

send b@refused.plain.test
is "$RC" 0 "first MX refuses the connection: delivered"
is "$(got mx2)" 1 "first MX refused: by the second"

send c@busyfirst.plain.test
is "$RC" 0 "first MX says 421: delivered"
is "$(got mx2)" 2 "421: by the second"
is "$(mails busy)" 0 "421: no MAIL to the busy one"

send d@unreach.plain.test
is "$RC" 0 "first MX unreachable: delivered"
is "$(got mx2)" 3 "unreachable: by the second"

send e@afallback.plain.test
is "$RC" 0 "no MX: the domain's address (implicit MX)"
is "$(got mx2)" 4 "implicit MX: by the A record's server"
contains "$T/err" 'implicit MX' "-v: implicit MX"

n1=$(got mx1) n2=$(got mx2)
send f@nullmx.plain.test
is "$RC" 68 "null MX with an A record: 68"
contains "$T/err" 'accepts no mail \(null MX' "null MX: the reason"
is "$(got mx1)/$(got mx2)" "$n1/$n2" "null MX: nothing sent"

send g@nope.plain.test
is "$RC" 68 "NXDOMAIN: 68"
contains "$T/err" 'nope\.plain\.test does not exist' "NXDOMAIN: the reason"

send h@broken.test
is "$RC" 75 "SERVFAIL (bogus zone): temporary, 75"
contains "$T/err" 'broken\.test failed: server failure or no answer' "SERVFAIL: the reason"
is "$(got mx1)/$(got mx2)" "$n1/$n2" "SERVFAIL: nothing sent"

send i@perm.plain.test
is "$RC" 67 "5xx from the first MX: 67, no further MX"
is "$(got mx2)/$(mails mx2)" "$n2/$n2" "5xx stops: nothing to the second"
contains "$T/err" '550 5\.1\.1' "5xx: the server's reply"

send j@alldead.plain.test
is "$RC" 75 "every MX fails: 75"
contains "$T/err" 'far\.plain\.test|198\.51\.100\.1' "every MX fails: the last reason"

n2=$(got mx2)
send kk@multiaddr.plain.test
is "$RC" 0 "an MX with two addresses, one refusing: delivered"
is "$(got mx2)" $((n2 + 1)) "two addresses: by the one that listens"

send k@ipv6.plain.test
is "$RC" 0 "IPv6-only MX: delivered"
is "$(got v6)" 1 "IPv6: by the v6 server"

n2=$(got mx2)
send l@rcpt4xx.plain.test
is "$RC" 0 "RCPT 450 at the first MX: delivered by the second"
is "$(got rcptbusy)/$(got mx2)" "0/$((n2 + 1))" "RCPT 450: by mx2"

n1=$(got mx1) n2=$(got mx2)
send m1@pref.plain.test m2@pref.plain.test n@afallback.plain.test
is "$RC" 0 "two domains in one submission"
is "$(got mx1)/$(got mx2)" "$((n1 + 1))/$((n2 + 1))" "two domains: one message each"
is "$(grep -c 'pref\.plain\.test' "$(last_env mx1)")" 2 "two domains: both recipients of one domain in one transaction"
lacks "$(last_env mx1)" 'afallback' "two domains: each server only its own"
contains "$T/mail.log" 'to=<m1@pref.plain.test> status=sent.*to=<n@afallback.plain.test> status=sent' "two domains: one log line"

printf 'Subject: idn\n\nIDN.\n' >"$T/in"
n1=$(got mx1)
send "o@b$(printf '\303\274')cher.test"
is "$RC" 0 "IDN domain: delivered"
is "$(got mx1)" $((n1 + 1)) "IDN: by the MX of the A-label"
contains "$T/err" 'xn--bcher-kva\.test: MX 10 mx1\.plain\.test' "IDN: the MX of the A-label"
contains "$(last_env mx1)" "^rcpt o@b$(printf '\303\274')cher\.test" "IDN: RCPT in U-labels with SMTPUTF8"
printf 'Subject: direct\n\nHello by MX.\n' >"$T/in"

send 'p@[192.0.2.12]'
is "$RC" 0 "address literal: delivered to it"

# --- the queue ----------------------------------------------------------

# A temporary failure is queued (exit 0); `postie -q` delivers it by MX
# once the MX host listens (-qf: the entry is not due for 5 minutes).
conf "queue_dir $T/queue"
send q1@later.plain.test
is "$RC" 0 "queue: every MX down: queued, exit 0"
contains "$T/err" 'queued as' "queue: -v says queued"
srv later 192.0.2.13
netns_run "$POSTIE" -C "$T/conf" -qf >"$T/out" 2>"$T/err"
is "$?" 0 "queue: -qf exit 0"
is "$(got later)" 1 "queue: -qf delivered by the MX"
contains "$(last_env later)" 'q1@later\.plain\.test' "queue: the recipient"
is "$(find "$T/queue" -name '*.env' | wc -l | tr -d ' ')" 0 "queue: empty after"
conf

# --- a smarthost named through DNS --------------------------------------

# Not MX delivery, but the same resolver: a smarthost's name that
# resolves is used; one whose lookup fails for now (SERVFAIL) is a
# temporary failure, queued when the queue is on.
conf "host mx2.plain.test"
n2=$(got mx2)
send sh1@anywhere.example
is "$RC" 0 "smarthost by name: delivered"
is "$(got mx2)" $((n2 + 1)) "smarthost by name: to its address"
lacks "$T/err" 'MX ' "smarthost by name: no MX lookup"
conf "host smtp.broken.test"
send sh2@anywhere.example
is "$RC" 75 "smarthost name SERVFAIL: 75"
contains "$T/err" 'smtp\.broken\.test' "smarthost name SERVFAIL: names the host"
conf "host smtp.broken.test" "queue_dir $T/queue2"
send sh3@anywhere.example
is "$RC" 0 "smarthost name SERVFAIL, queue on: queued, exit 0"
is "$(find "$T/queue2" -name '*.env' | wc -l | tr -d ' ')" 1 "smarthost name SERVFAIL: one entry"
conf "host nothere.plain.test"
send sh4@anywhere.example
is "$RC" 68 "smarthost name NXDOMAIN: 68"
conf

# --- EHLO name and AUTH --------------------------------------------------

# No `domain`: the machine's fully qualified name (a private UTS
# namespace with a short host name the namespace's hosts file knows).
conf_nodomain() {
	printf 'defaults\nqueue off\naccount default\nfrom s@client.example\n' >"$T/conf"
	chmod 600 "$T/conf"
}
if command -v unshare >/dev/null 2>&1 && command -v hostname >/dev/null 2>&1; then
	conf_nodomain
	cp "$NETNS_ETC/hosts" "$T/hosts.orig"
	echo "192.0.2.11 box.example.test box" >>"$NETNS_ETC/hosts"
	n1=$(got mx1)
	netns_run unshare -u sh -c 'hostname box && exec "$0" -C "$1" r1@pref.plain.test' \
	    "$POSTIE" "$T/conf" <"$T/in" >"$T/out" 2>"$T/err"
	is "$?" 0 "short host name: delivered"
	is "$(got mx1)" $((n1 + 1)) "short host name: by mx1"
	contains "$(last_session mx1)" '^C: EHLO box\.example\.test' "EHLO: the fully qualified name"
	cp "$T/hosts.orig" "$NETNS_ETC/hosts"
	conf
else
	echo "# skipped: EHLO FQDN (no unshare or hostname)"
fi

contains "$(last_session mx2)" '^C: EHLO client\.example' "EHLO: the configured domain"
conf "auth on" "user u" "password p"
send q@pref.plain.test
is "$RC" 78 "auth without a host: configuration error"
contains "$T/err" 'never authenticates' "auth without a host: why"
conf

# --- opportunistic TLS ---------------------------------------------------

send r@may.plain.test
is "$RC" 0 "STARTTLS offered: delivered"
contains "$(last_session tls)" '^T: TLSv1\.[23] ' "may: over TLS (bad certificate not checked)"
contains "$T/mail.log" 'tls_policy=dane:may' "log: dane degrades to may without TLSA"

send s@mayabort.plain.test
is "$RC" 0 "handshake fails: delivered in clear"
contains "$T/err" 'trying again without TLS' "-v: the retry in clear"
is "$(got tlsabort)" 1 "handshake fails: one message"
is "$(mails tlsabort)" 1 "handshake fails: MAIL only on the clear session"

conf "tls_policy encrypt"
send t@pref.plain.test
is "$RC" 75 "encrypt, no STARTTLS: 75"
contains "$T/err" 'does not offer STARTTLS' "encrypt: why"
conf "tls_policy may verify.plain.test=verify verifybad.plain.test=verify" "tls_trust_file $T/ca.pem"
send u@verify.plain.test
is "$RC" 0 "verify, CA-signed for the MX name: delivered"
contains "$T/mail.log" 'tls_policy=verify' "log: verify"
send v@verifybad.plain.test
is "$RC" 75 "verify, self-signed: 75"
is "$(got tls)/$(mails tls)" "1/1" "verify failed: no MAIL"
conf "tls_policy none"
send w@may.plain.test
is "$RC" 0 "none: delivered"
lacks "$(last_session tls)" '^C: STARTTLS' "none: no STARTTLS"
conf

# --- DANE ----------------------------------------------------------------

ntls=$(got tls)
send x@ee.dane.test
is "$RC" 0 "DANE-EE matching an expired, misnamed certificate: delivered"
is "$(got tls)" $((ntls + 1)) "DANE-EE: delivered by the TLS server"
contains "$T/err" 'TLSA records validated' "-v: TLSA records validated"
contains "$T/err" 'DANE-EE' "-v: DANE-EE verified"
contains "$T/mail.log" 'tls_policy=dane ' "log: dane applied"
contains "$(last_session tls)" '^T: sni mxee\.dane\.test$' "DANE: SNI is the MX host name"

send y@bad.dane.test
is "$RC" 75 "DANE mismatch, no other MX: 75"
contains "$T/err" 'TLSA' "mismatch: why"
is "$(got tls)/$(mails tls)" "$((ntls + 1))/$((ntls + 1))" "mismatch: no MAIL, no clear retry"

send z@badthenee.dane.test
is "$RC" 0 "DANE mismatch at the first MX: delivered by the next"
is "$(got tls)" $((ntls + 2)) "mismatch then match: delivered once"

n1=$(got mx1)
send aa@plain.dane.test
is "$RC" 75 "TLSA present, STARTTLS missing: 75"
is "$(mails mx1)" "$n1" "STARTTLS missing: no MAIL"

send bb@bogustlsa.dane.test
is "$RC" 0 "bogus TLSA at the first MX: delivered by the next"
contains "$T/err" 'mxbogus\.dane\.test.*skipped' "bogus TLSA: the host skipped"

send cc@pkix.dane.test
is "$RC" 0 "usage 1 only: encrypted, delivered"
contains "$T/mail.log" 'tls_policy=dane:encrypt' "usage 1 only: encrypt"

nta=$(got mxta)
send dd@ta.dane.test
is "$RC" 0 "DANE-TA, name matches: delivered"
is "$(got mxta)" $((nta + 1)) "DANE-TA: by mxta"
contains "$T/err" 'DANE-TA' "-v: DANE-TA verified"
send ee@tawrong.dane.test
is "$RC" 75 "DANE-TA, name does not match the MX host: 75"
is "$(got mxta)" $((nta + 1)) "DANE-TA wrong name: nothing sent"

n1=$(got mx1)
send ff@notlsa.dane.test
is "$RC" 0 "signed MX, no TLSA: delivered (may)"
conf "tls_policy dane-only"
send gg@notlsa.dane.test
is "$RC" 75 "dane-only without TLSA: 75"
is "$(got mx1)" $((n1 + 1)) "dane-only without TLSA: nothing sent"
send hh@pref.plain.test
is "$RC" 75 "dane-only, unsigned MX: 75"
contains "$T/err" 'not DNSSEC-validated' "dane-only unsigned: why"
send ii@ee.dane.test
is "$RC" 0 "dane-only with DANE-EE: delivered"
conf

# Without trust-ad glibc clears AD: no DANE, the mismatching record is
# ignored and "may" applies.
netns_resolv_conf
ntls=$(got tls)
send jj@bad.dane.test
is "$RC" 0 "AD absent: no DANE, delivered (may)"
is "$(got tls)" $((ntls + 1)) "AD absent: delivered"
contains "$T/mail.log" 'tls_policy=dane:may' "AD absent: may applied"
netns_resolv_conf trust-ad

done_testing
