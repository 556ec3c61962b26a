#!/bin/sh
# tests/cli/lib_netns.sh itself: the private network namespace, its DNS
# (unbound over test zones: unsigned, signed, bogus, one bogus RRset),
# its addresses and routes, the certificate and TLSA helpers, and that
# nothing is left behind.  Queries are made with drill inside the
# namespace, with the AD bit set in the query (so a validating resolver
# reports AD); connections with python3.  Does not need postie.
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/lib_netns.sh"

if ! why=$(netns_usable); then
	echo "1..0 # SKIP $why"
	exit 0
fi
for c in drill python3 certtool; do
	if ! command -v $c >/dev/null 2>&1; then
		echo "1..0 # SKIP $c is not installed"
		exit 0
	fi
done

# The interpreter itself: a pyenv shim costs most of a second a start.
PY=$(python3 -c 'import sys; print(sys.executable)')

# ms: milliseconds since the epoch.
ms() {
	echo $(($(date +%s%N) / 1000000))
}

# q FILE NAME TYPE [drill options]: drill in the namespace (through its
# resolv.conf), AD set in the query; the answer in FILE; sets QMS (ms).
q() {
	qf=$1 qn=$2 qt=$3
	shift 3
	qt0=$(ms)
	netns_run drill -o AD "$@" "$qn" "$qt" >"$qf" 2>&1
	QMS=$(($(ms) - qt0))
}

# rcode FILE, flags FILE: from drill's header lines.
rcode() {
	sed -n 's/.*rcode: \([A-Z]*\),.*/\1/p' "$1"
}
flags() {
	sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' "$1" | sed 's/ *$//'
}

# fast MS NAME: MS is under a second.
fast() {
	ok "$([ "$1" -lt 1000 ] && echo 0 || echo 1)" "$2 (${1} ms)"
}

# conn ADDR-OR-NAME PORT TIMEOUT: connect from the namespace; prints
# "connected: FIRST-LINE", "timeout" or the errno's name, and the time.
cat >"$T/conn.py" <<'EOF'
import errno, socket, sys, time
host, port, tmo = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
t = time.monotonic()
try:
    s = socket.create_connection((host, port), timeout=tmo)
    r = "connected: " + s.makefile("rb").readline().decode().strip()
except socket.timeout:
    r = "timeout"
except OSError as e:
    r = errno.errorcode.get(e.errno, str(e))
print(r, int((time.monotonic() - t) * 1000))
EOF
conn() {
	netns_run "$PY" "$T/conn.py" "$@" 2>&1
}

# A server that greets every connection with "220 ADDR" and closes.
cat >"$T/greet.py" <<'EOF'
import socket, sys
addr, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(8)
s.settimeout(60)
while True:
    c, _ = s.accept()
    c.sendall(b"220 " + addr.encode() + b"\r\n")
    c.close()
EOF

host_resolv=$(cksum </etc/resolv.conf)

# ---- setup, timed ------------------------------------------------------

make_cert mx1 mx1.signed.test
is "$?" 0 "make_cert: self-signed"
t0=$(ms)
netns_up
netns_addr 192.0.2.10 192.0.2.11 2001:db8::10
netns_zone plain.test unsigned <<'EOF'
@	MX	10 mx
mx	A	192.0.2.10
EOF
netns_zone signed.test signed <<EOF
@			MX	10 mx1
@			MX	20 mx2
mx1			A	192.0.2.10
mx1			AAAA	2001:db8::10
_25._tcp.mx1		TLSA	3 1 1 $(tlsa_data 1 1 "$T/mx1.pem")
mx2			A	192.0.2.11
_25._tcp.mx2		TLSA	3 1 1 $(tlsa_data 1 1 "$T/mx1.pem")
EOF
is "$?" 0 "netns_zone signed"
netns_zone_corrupt signed.test _25._tcp.mx2 TLSA
is "$?" 0 "netns_zone_corrupt: the TLSA RRset of mx2"
netns_zone bogus.test bogus <<'EOF'
@	MX	10 mx
mx	A	192.0.2.10
EOF
netns_dns_start trust-ad
t1=$(ms)
echo "# netns_up, 3 addresses, 3 zones (2 signed), netns_dns_start: $((t1 - t0)) ms"

# ---- the namespace's files -----------------------------------------------

is "$(netns_run cat /etc/resolv.conf)" "nameserver 127.0.0.1
options timeout:1 attempts:1 trust-ad" "resolv.conf in the namespace"
contains "$NETNS_ETC/nsswitch.conf" '^hosts: files dns$' "nsswitch.conf: hosts from files and DNS"
is "$(netns_run cat /etc/hosts)" "$(cat "$NETNS_ETC/hosts")" "hosts: the namespace's"
is "$(netns_run getent ahostsv4 localhost | awk 'NR == 1 {print $1}')" 127.0.0.1 "hosts: localhost"
is "$(cksum </etc/resolv.conf)" "$host_resolv" "the machine's resolv.conf is untouched"

# ---- DNS -------------------------------------------------------------------

q "$T/d1" plain.test MX
is "$(rcode "$T/d1")" NOERROR "unsigned MX: NOERROR"
contains "$T/d1" '^plain\.test\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+MX[[:space:]]+10 mx\.plain\.test\.$' "unsigned MX: the record"
is "$(flags "$T/d1")" "qr rd ra" "unsigned MX: no AD"

q "$T/d2" signed.test MX
is "$(rcode "$T/d2")" NOERROR "signed MX: NOERROR"
is "$(flags "$T/d2")" "qr rd ra ad" "signed MX: AD"
contains "$T/d2" 'IN[[:space:]]+MX[[:space:]]+20 mx2\.signed\.test\.$' "signed MX: the records"

q "$T/d3" _25._tcp.mx1.signed.test TLSA
is "$(flags "$T/d3")" "qr rd ra ad" "signed TLSA: AD"
contains "$T/d3" "IN[[:space:]]+TLSA[[:space:]]+3 1 1 $(tlsa_data 1 1 "$T/mx1.pem")\$" "signed TLSA: the record"

q "$T/d4" mx1.signed.test AAAA
is "$(flags "$T/d4")" "qr rd ra ad" "signed AAAA: AD"
contains "$T/d4" 'IN[[:space:]]+AAAA[[:space:]]+2001:db8::10$' "signed AAAA: the record"

q "$T/d5" bogus.test MX
is "$(rcode "$T/d5")" SERVFAIL "bogus zone: SERVFAIL"
fast "$QMS" "bogus zone: at once"
q "$T/d6" bogus.test MX -o CD
is "$(rcode "$T/d6")" NOERROR "bogus zone, checking disabled (CD): the data is there"
contains "$NETNS_DIR/unbound.log" 'validation failure <bogus\.test\. MX IN>' "bogus zone: unbound says why"

q "$T/d7" _25._tcp.mx2.signed.test TLSA
is "$(rcode "$T/d7")" SERVFAIL "corrupted TLSA RRset: SERVFAIL"
fast "$QMS" "corrupted TLSA RRset: at once"
q "$T/d8" mx2.signed.test A
is "$(flags "$T/d8") $(rcode "$T/d8")" "qr rd ra ad NOERROR" "same zone, same host, A: validates"
q "$T/d9" _25._tcp.mx1.signed.test TLSA
is "$(flags "$T/d9") $(rcode "$T/d9")" "qr rd ra ad NOERROR" "same zone, other host's TLSA: validates"

q "$T/d10" nothere.plain.test A
is "$(rcode "$T/d10")" NXDOMAIN "missing name, unsigned zone: NXDOMAIN"
is "$(flags "$T/d10")" "qr rd ra" "missing name, unsigned zone: no AD"
q "$T/d11" nothere.signed.test MX
is "$(flags "$T/d11") $(rcode "$T/d11")" "qr rd ra ad NXDOMAIN" "missing name, signed zone: NXDOMAIN, AD"
q "$T/d12" signed.test TLSA
is "$(flags "$T/d12") $(rcode "$T/d12")" "qr rd ra ad NOERROR" "no such type, signed zone: NODATA, AD"
q "$T/d13" www.example.com A
is "$(rcode "$T/d13")" NXDOMAIN "a name outside the test zones: NXDOMAIN"
fast "$QMS" "a name outside the test zones: at once"
q "$T/d14" nothere.test A
is "$(rcode "$T/d14")" NXDOMAIN "next to the zones (test. is built in): NXDOMAIN"

# Through glibc: getaddrinfo reads the namespace's resolv.conf.
is "$(netns_run getent ahostsv6 mx1.signed.test | awk 'NR == 1 {print $1}')" "2001:db8::10" "glibc: AAAA"
is "$(netns_run getent ahostsv4 mx2.signed.test | awk 'NR == 1 {print $1}')" "192.0.2.11" "glibc: A"
t=$(ms)
netns_run getent hosts mx.bogus.test >/dev/null
ok "$([ $? -eq 2 ] && echo 0 || echo 1)" "glibc: bogus name not found"
fast $(($(ms) - t)) "glibc: bogus name, at once"

netns_resolv_conf
is "$(netns_run cat /etc/resolv.conf)" "nameserver 127.0.0.1
options timeout:1 attempts:1" "netns_resolv_conf: trust-ad gone"

# Checks of the helpers themselves.
printf 'x\tA\t192.0.2.1\nbroken IN MX\n' >"$T/badzone"
! netns_zone broken.test unsigned <"$T/badzone" 2>"$T/zerr"
ok $? "netns_zone: a syntax error fails"
contains "$T/zerr" '^netns_zone broken\.test: ' "netns_zone: says so"
rm -f "$NETNS_DIR/zones/broken.test".*
! netns_zone_corrupt signed.test mx3 A 2>"$T/cerr"
ok $? "netns_zone_corrupt: no such RRset fails"
contains "$T/cerr" 'no RRSIG for mx3\.signed\.test\. A' "netns_zone_corrupt: says so"

# A changed zone is served after netns_dns_restart.
old_pid=$NETNS_DNS_PID
netns_zone plain.test unsigned <<'EOF'
@	MX	10 mx
mx	A	192.0.2.10
new	A	192.0.2.99
EOF
t=$(ms)
netns_dns_restart
echo "# netns_dns_restart: $(($(ms) - t)) ms"
ok "$(kill -0 "$old_pid" 2>/dev/null && echo 1 || echo 0)" "netns_dns_restart: the old unbound is gone"
q "$T/d15" new.plain.test A
contains "$T/d15" 'IN[[:space:]]+A[[:space:]]+192\.0\.2\.99$' "netns_dns_restart: the new record"
netns_dns_stop
t=$(ms)
netns_run getent hosts mx.plain.test >/dev/null
ok "$([ $? -eq 2 ] && echo 0 || echo 1)" "resolver stopped: not found"
fast $(($(ms) - t)) "resolver stopped: at once"
netns_dns_restart

# ---- addresses and routes ------------------------------------------------

netns_bg "$PY" "$T/greet.py" 2001:db8::10 25 2>"$T/greet6.err"
g6=$NETNS_BG_PID
netns_bg "$PY" "$T/greet.py" 192.0.2.10 25 2>"$T/greet4.err"
netns_wait_listen 2001:db8::10 25
is "$?" 0 "IPv6 address: a server listens on [2001:db8::10]:25"
netns_wait_listen 192.0.2.10 25
is "$?" 0 "IPv4 address: a server listens on 192.0.2.10:25"
is "$(conn 2001:db8::10 25 5 | cut -d' ' -f1-3)" "connected: 220 2001:db8::10" "IPv6: connected"
is "$(conn 192.0.2.10 25 5 | cut -d' ' -f1-3)" "connected: 220 192.0.2.10" "IPv4: connected"
is "$(conn mx1.signed.test 25 5 | cut -d' ' -f1-3)" "connected: 220 2001:db8::10" "by name (AAAA first): connected"
kill "$g6"
wait "$g6" 2>/dev/null
is "$(conn 2001:db8::10 25 5 | cut -d' ' -f1)" ECONNREFUSED "nothing listening: refused"
r=$(conn 192.0.2.11 26 5)
is "${r% *}" ECONNREFUSED "nothing listening (IPv4): refused"

netns_unreachable 198.51.100.0/24 2001:db8:dead::/48
r=$(conn 198.51.100.7 25 5)
is "${r% *}" EHOSTUNREACH "netns_unreachable v4: EHOSTUNREACH"
fast "${r#* }" "netns_unreachable v4: at once"
r=$(conn 2001:db8:dead::7 25 5)
is "${r% *}" EHOSTUNREACH "netns_unreachable v6: EHOSTUNREACH"
fast "${r#* }" "netns_unreachable v6: at once"
r=$(conn 8.8.8.8 53 5)
is "${r% *}" ENETUNREACH "no route out of the namespace (v4): ENETUNREACH"
r=$(conn 2001:4860:4860::8888 53 5)
is "${r% *}" ENETUNREACH "no route out of the namespace (v6): ENETUNREACH"

netns_drop 203.0.113.0/24 2001:db8:beef::/48
r=$(conn 203.0.113.7 25 0.5)
is "${r% *}" timeout "netns_drop v4: the connect times out"
r=$(conn 2001:db8:beef::7 25 0.5)
is "${r% *}" timeout "netns_drop v6: the connect times out"

# ---- certificates and TLSA data ------------------------------------------

make_ca ca
is "$?" 0 "make_ca"
make_cert mx2 mx2.signed.test ca=ca dns=mx2.signed.test dns=mx.signed.test
is "$?" 0 "make_cert: signed by the CA"
certtool --verify --load-ca-certificate "$T/ca.pem" --infile "$T/mx2.pem" >"$T/verify" 2>&1
is "$?" 0 "make_cert ca=: verifies against the CA"
certtool -i --infile "$T/mx2.pem" >"$T/info2"
contains "$T/info2" 'DNSname: mx\.signed\.test' "make_cert dns=: the names"
make_cert old mx1.signed.test expired
certtool -i --infile "$T/old.pem" >"$T/info3"
contains "$T/info3" 'Not After: .* 2016$' "make_cert expired"
! make_cert x y bad 2>/dev/null
ok $? "make_cert: an unknown option fails"

is "$(tlsa_data 0 0 "$T/mx2.pem")" \
    "$(certtool -i --infile "$T/mx2.pem" --outder | od -An -v -tx1 | tr -d ' \n')" \
    "tlsa_data 0 0: the certificate's DER"
if command -v danetool >/dev/null 2>&1; then
	# danetool prints "_443._tcp.mx. IN TLSA ( 03 SS MM DATA )".
	for sel in 0 1; do
		for mt in 1 2; do
			o=""
			[ $sel = 0 ] && o="--x509"
			[ $mt = 2 ] && o="$o --hash=sha512"
			# shellcheck disable=SC2086
			want=$(danetool --tlsa-rr --host mx $o \
			    --load-certificate "$T/mx2.pem" 2>/dev/null |
			    awk '{print $(NF - 1)}')
			is "$(tlsa_data $sel $mt "$T/mx2.pem")" "$want" "tlsa_data $sel $mt: as danetool"
		done
	done
fi

# ---- nothing left behind ---------------------------------------------------

# A child test that sets everything up, then fails (exit 3), and one
# killed by SIGTERM: namespace, unbound, /etc/netns/NAME are gone.
cat >"$T/child.sh" <<'EOF'
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/lib_netns.sh"
netns_up
netns_addr 192.0.2.1
netns_zone child.test signed <<'EOZ'
@ MX 10 mx
EOZ
netns_dns_start
netns_bg sleep 60
echo "$NETNS $NETNS_DNS_PID $NETNS_BG_PID $T" >"$1"
[ "$2" = exit ] && exit 3
while :; do sleep 0.1; done
EOF
# gone NAME: checks that child NAME left nothing.
gone() {
	read -r cns cdns cbg ct <"$T/$1.info"
	ip netns list | grep -q "^$cns\\( \\|\$\\)"
	is "$?" 1 "$1: namespace deleted"
	ok "$([ -e "/etc/netns/$cns" ] && echo 1 || echo 0)" "$1: /etc/netns/NAME removed"
	ok "$(kill -0 "$cdns" 2>/dev/null && echo 1 || echo 0)" "$1: unbound ended"
	ok "$(kill -0 "$cbg" 2>/dev/null && echo 1 || echo 0)" "$1: netns_bg process ended"
	ok "$([ -e "$ct" ] && echo 1 || echo 0)" "$1: its \$T removed"
}
top_srcdir=$top_srcdir top_builddir=$top_builddir sh "$T/child.sh" "$T/fail.info" exit >"$T/fail.out" 2>&1
is "$?" 3 "failing child: exit 3"
gone fail
top_srcdir=$top_srcdir top_builddir=$top_builddir sh "$T/child.sh" "$T/term.info" >"$T/term.out" 2>&1 &
child=$!
i=0
while [ ! -s "$T/term.info" ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill "$child"
wait "$child"
is "$?" 99 "child killed by SIGTERM: exit 99"
gone term

done_testing
