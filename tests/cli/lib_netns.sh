# lib_netns.sh: a private network namespace with its own DNS, for CLI
# tests of delivery by MX (and DANE).  Source it after lib.sh:
#
#	. "${top_srcdir:-.}/tests/cli/lib.sh"
#	. "$top_srcdir/tests/cli/lib_netns.sh"
#	if ! why=$(netns_usable); then
#		echo "1..0 # SKIP $why"
#		exit 0
#	fi
#	netns_up
#	netns_addr 192.0.2.10 2001:db8::10
#	netns_zone example.test unsigned <<'EOF'
#	@	MX	10 mx
#	mx	A	192.0.2.10
#	EOF
#	netns_dns_start trust-ad
#	netns_run "$POSTIE" ...		# resolves through the test zones
#
# Nothing reaches the machine's network or DNS: the namespace has only lo
# and a veth pair whose two ends are both inside it (veth rather than a
# dummy interface: some kernels, CI VMs among them, lack the dummy
# module; a namespace without veth is rare), and no default route, so a
# connect to any address not added with netns_addr fails at once
# (ENETUNREACH).  Programs run with `ip netns exec`, which
# bind-mounts /etc/netns/$NETNS/{resolv.conf,hosts,nsswitch.conf} over
# /etc: the resolver is the namespace's unbound on 127.0.0.1 port 53,
# /etc/hosts knows only localhost, and nsswitch says "hosts: files dns".
# The namespace name is postie-PID-RANDOM; everything else lives in
# $NETNS_DIR ($T/netns; kept with $T when a test fails: unbound.log has
# unbound's reasons for every SERVFAIL, val-log-level 2).
#
# Needs root, iproute2 (ip netns, veth), unbound, ldns-keygen,
# ldns-signzone and ldns-read-zone (ldnsutils); certtool for the
# certificate helpers.  Functions:
#
# netns_usable
#	0 when all of the above works here; else prints why (one line, for
#	a TAP SKIP) and returns 1.  Creates and deletes a probe namespace.
# netns_up
#	Creates the namespace ($NETNS), lo up, veth pt0/pt1 up (test
#	addresses go on pt0; no IPv6 address waits for DAD), the
#	/etc/netns/$NETNS files (resolv.conf already points at 127.0.0.1, so
#	even before netns_dns_start no lookup leaves; a test may append
#	lines to $NETNS_ETC/hosts), and the cleanup: the
#	EXIT trap becomes "netns_down; cleanup" (lib.sh's cleanup still
#	runs, after), and HUP exits 99 like INT and TERM.  Bails out (TAP
#	"Bail out!", exit 1) when something fails.  Call it once, and not
#	in a subshell ($(...), a pipeline): it sets variables.
# netns_down
#	Kills (by PID) unbound, every netns_bg process and whatever else is
#	still inside the namespace, deletes the namespace and
#	/etc/netns/$NETNS (and /etc/netns if netns_up created it).
#	Idempotent; the EXIT trap calls it, tests need not.
# netns_addr ADDR...
#	Adds each address (IPv4 as /32, IPv6 as /128 with nodad, or with an
#	explicit /LEN) to pt0: servers can listen on ADDR at once.  A
#	connect to an address of the namespace where nothing listens is
#	refused at once (ECONNREFUSED).
# netns_unreachable PREFIX...
#	An "unreachable" route: connects to PREFIX (v4 or v6, e.g.
#	198.51.100.0/24, 2001:db8:dead::/48) fail at once, EHOSTUNREACH.
#	(Any address outside every route already fails at once, with
#	ENETUNREACH.)
# netns_drop PREFIX...
#	Packets to PREFIX are sent out pt0 to a gateway that does not exist
#	and are lost: a connect times out (the program's own timeout).
#	Addresses added with netns_addr stay reachable even inside PREFIX.
# netns_run CMD [ARG...]
#	Runs CMD in the namespace (ip netns exec), in the foreground; its
#	exit status.
# netns_bg CMD [ARG...]
#	Starts CMD in the namespace in the background (do not add "&");
#	sets NETNS_BG_PID to its PID (ip netns exec execs CMD, so it is
#	CMD's own PID); netns_down kills it.  Redirect as for any command:
#	netns_bg CMD >out 2>err.
# netns_wait_listen ADDR PORT
#	Waits (up to 5 s) until a TCP socket listens on ADDR:PORT in the
#	namespace (ss); returns 1 if none does.
# netns_zone NAME unsigned|signed|bogus  <ZONE-TEXT
#	Writes the zone NAME (e.g. example.test, no final dot) from stdin
#	in zone-file syntax.  $ORIGIN NAME. and $TTL 60 come first; when
#	the text has no SOA record, an SOA and an NS record for NAME are
#	added.  Checked with ldns-read-zone (errors on stderr, return 1).
#	  unsigned  served as it is; answers never have AD.
#	  signed    one ECDSA P-256 key (flags 257, SEP) made with
#	            ldns-keygen signs the zone (ldns-signzone, NSEC,
#	            signatures valid for 4 weeks from now); its DS is
#	            unbound's trust anchor for NAME, so answers (also
#	            NXDOMAIN and NODATA) are secure: AD set, when asked for
#	            (trust-ad, see below).
#	  bogus     signed as above, but the trust anchor is the DS of
#	            another key, absent from the zone: every lookup of a
#	            name in NAME fails validation: SERVFAIL.
#	Each zone is an island of trust (no DS in any parent).  unbound
#	reads the zones when it starts: a zone written or changed while it
#	runs needs netns_dns_restart.  Calling netns_zone again for the same
#	NAME replaces the zone (new keys).
# netns_zone_corrupt NAME OWNER TYPE
#	In the signed zone NAME, damages the signature(s) of the RRset
#	OWNER/TYPE (e.g. _25._tcp.mx1.example.test TLSA; OWNER relative to
#	NAME or absolute, final dot optional): that one lookup is bogus
#	(SERVFAIL) while the rest of the zone validates.  Returns 1 (with a
#	message on stderr) when no such signature exists.  Before
#	netns_dns_start, or followed by netns_dns_restart.
# netns_dns_start [trust-ad|no-trust-ad]
#	Starts unbound in the namespace (foreground process, as root, no
#	chroot, $NETNS_DIR/unbound.conf, log $NETNS_DIR/unbound.log) on
#	127.0.0.1 port 53, validating, serving every zone written with
#	netns_zone as an auth-zone (for-upstream yes, for-downstream no,
#	fallback-enabled no: unbound answers from it as a recursive
#	resolver would, and validates).  The root zone "." is an auth-zone
#	too, empty but for its SOA and NS: a name outside the test zones is
#	NXDOMAIN (without AD) at once, and unbound has no reason to send a
#	query anywhere (nor a route to do it).  Waits until unbound serves;
#	bails out if it does not within 5 s.  Then writes resolv.conf as
#	netns_resolv_conf does, with trust-ad (the default) or without.
#	Sets NETNS_DNS_PID.  A running unbound is stopped first.
# netns_dns_stop
#	Stops unbound (by PID) and waits for it.  Lookups then fail at once
#	(port 53 closed: ICMP port unreachable).
# netns_dns_restart
#	netns_dns_stop, then unbound starts again and reads the zones as
#	they are now; resolv.conf is left as it is.
# netns_resolv_conf [OPTION...]
#	Rewrites the namespace's resolv.conf: "nameserver 127.0.0.1" and
#	"options timeout:1 attempts:1 OPTION...": a dead resolver costs a
#	program at most about a second a query.  E.g. netns_resolv_conf
#	trust-ad; netns_resolv_conf (no trust-ad).  Takes effect for the
#	next lookup (the file is rewritten in place).  Tests that need
#	another file may write "$NETNS_ETC/resolv.conf" themselves.
#
# Certificates (certtool; ECDSA P-256 keys), for TLS servers and TLSA
# records:
#
# make_ca NAME [CN]
#	A self-signed CA: $T/NAME.pem and $T/NAME.key.
# make_cert NAME CN [OPTION...]
#	A server certificate $T/NAME.pem, key $T/NAME.key, valid for a year
#	from now, with CN and, unless dns= is given, one DNS name, CN.
#	Options: ca=CA (signed by $T/CA.pem; default self-signed), expired
#	(valid in 2015 only), notyet (valid from 2090), dns=NAME (a DNS
#	subjectAltName; repeatable), ip=ADDR (an IP subjectAltName).
#	Returns 1 and shows certtool's messages when it fails.
# tlsa_data SELECTOR MTYPE CERT.pem
#	Prints the certificate association data of a TLSA record for
#	CERT.pem, in lower-case hex: SELECTOR 0 the whole certificate
#	(DER), 1 its SubjectPublicKeyInfo (DER); MTYPE 0 the data itself, 1
#	its SHA-256, 2 its SHA-512.  E.g.
#	  echo "_25._tcp.mx TLSA 3 1 1 $(tlsa_data 1 1 "$T/mx.pem")"
#
# What glibc (2.36) makes of this, seen with res_nmkquery + res_nsend as
# in src/dns/resolve.c and with getaddrinfo:
#   - with "options trust-ad" the query has AD set and the answer's AD
#     is kept (set for signed zones, also on NXDOMAIN and NODATA; never
#     for unsigned ones); without it the query has no AD and glibc
#     clears AD in every answer, even when the server set it.  No
#     EDNS0 (no OPT record) either way, "options edns0" included, so an
#     answer over 512 bytes comes truncated and res_nsend retries it
#     over TCP by itself (unbound listens on TCP too).
#   - SERVFAIL (bogus): res_nsend returns -1, errno ETIMEDOUT, after one
#     query per attempt, at once; it never hands back the SERVFAIL answer.
#     unbound stopped: -1, ECONNREFUSED, at once.  NXDOMAIN: the answer.
#   - getaddrinfo(AF_UNSPEC) asks A and AAAA: both SERVFAIL gives
#     EAI_AGAIN, but a bogus A with a valid AAAA gives the AAAA address
#     alone, and a bogus A with no AAAA gives EAI_NODATA: the failure is
#     hidden.  With AF_INET alone the bogus A is EAI_AGAIN.
#
# Variables set: NETNS (the name), NETNS_DIR, NETNS_ETC
# (/etc/netns/$NETNS), NETNS_DNS_PID, NETNS_BG_PID.  Internal names start
# with _netns.
#
# shellcheck shell=sh

# ip and unbound live in sbin, which a test's PATH may lack.
case :$PATH: in
*:/usr/sbin:*) ;;
*) PATH=$PATH:/usr/sbin:/sbin ;;
esac

NETNS=""
NETNS_DIR=""
NETNS_ETC=""
NETNS_DNS_PID=""
NETNS_BG_PID=""
_netns_pids=""
_netns_made_etc=""

netns_usable() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "needs root (ip netns)"
		return 1
	fi
	for _n in ip unbound ldns-keygen ldns-signzone ldns-read-zone ss; do
		if ! command -v "$_n" >/dev/null 2>&1; then
			echo "$_n is not installed"
			return 1
		fi
	done
	# glibc asks nscd before DNS, and nscd's socket is shared with the
	# host: lookups would leave the namespace.
	if [ -S /run/nscd/socket ] || [ -S /var/run/nscd/socket ]; then
		echo "nscd runs here: lookups in a namespace would reach it"
		return 1
	fi
	_n=postie-$$-probe
	if ! ip netns add "$_n" 2>/dev/null; then
		echo "ip netns add does not work here"
		return 1
	fi
	if ! ip -n "$_n" link add pt0 type veth peer name pt1 2>/dev/null; then
		ip netns del "$_n"
		echo "cannot make a veth pair in a network namespace"
		return 1
	fi
	ip netns del "$_n"
}

# _netns_bail MESSAGE: TAP "Bail out!" and exit 1 (the EXIT trap cleans).
_netns_bail() {
	echo "Bail out! $1"
	exit 1
}

netns_up() {
	[ -z "$NETNS" ] || _netns_bail "netns_up called twice"
	NETNS=postie-$$-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	NETNS_DIR=$T/netns
	NETNS_ETC=/etc/netns/$NETNS
	mkdir -p "$NETNS_DIR/zones" "$NETNS_DIR/keys" ||
	    _netns_bail "cannot make $NETNS_DIR"
	# The trap first: whatever exists afterwards gets removed.
	trap 'netns_down; cleanup' EXIT
	trap 'exit 99' HUP
	[ -d /etc/netns ] || _netns_made_etc=1
	mkdir -p "$NETNS_ETC" || _netns_bail "cannot make $NETNS_ETC"
	netns_resolv_conf
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
	    >"$NETNS_ETC/hosts"
	if [ -f /etc/nsswitch.conf ]; then
		sed '/^hosts:/d' /etc/nsswitch.conf
	fi >"$NETNS_ETC/nsswitch.conf"
	echo "hosts: files dns" >>"$NETNS_ETC/nsswitch.conf"
	ip netns add "$NETNS" || _netns_bail "ip netns add $NETNS failed"
	# One ip for all the rest.  No automatic link-local addresses, so
	# no duplicate address detection to wait for: pt0 gets fe80::2
	# (nodad), the source of netns_drop's IPv6 packets when no global
	# address exists.  02:00:00:00:00:01, the MAC of netns_drop's
	# gateways, is nobody's.
	if ! ip -n "$NETNS" -batch - <<EOF; then
link set lo up
link add pt0 type veth peer name pt1
link set pt0 addrgenmode none
link set pt1 addrgenmode none
link set pt0 up
link set pt1 up
addr add fe80::2/64 dev pt0 nodad
neigh replace 169.254.0.1 lladdr 02:00:00:00:00:01 dev pt0 nud permanent
neigh replace fe80::1 lladdr 02:00:00:00:00:01 dev pt0 nud permanent
EOF
		_netns_bail "cannot set up the links of $NETNS"
	fi
}

netns_down() {
	for _n in $_netns_pids; do
		kill "$_n" 2>/dev/null || :
		wait "$_n" 2>/dev/null || :
	done
	_netns_pids=""
	NETNS_DNS_PID=""
	[ -n "$NETNS" ] || return 0
	# Whatever the test started inside otherwise (all of it ours: the
	# namespace is private to this test).
	for _n in $(ip netns pids "$NETNS" 2>/dev/null); do
		kill "$_n" 2>/dev/null || :
	done
	_n=0
	while [ -n "$(ip netns pids "$NETNS" 2>/dev/null)" ] && [ $_n -lt 50 ]; do
		sleep 0.02
		_n=$((_n + 1))
	done
	ip netns del "$NETNS" 2>/dev/null || :
	rm -rf "$NETNS_ETC"
	if [ -n "$_netns_made_etc" ]; then
		rmdir /etc/netns 2>/dev/null || :
	fi
	NETNS=""
}

# _netns_family ADDR: 4 or 6.
_netns_family() {
	case $1 in
	*:*) echo 6 ;;
	*) echo 4 ;;
	esac
}

# _netns_need FUNCTION: bails out unless netns_up ran.
_netns_need() {
	[ -n "$NETNS" ] || _netns_bail "$1 before netns_up"
}

netns_addr() {
	_netns_need netns_addr
	for _n in "$@"; do
		case $_n in
		*:*/*) ip -n "$NETNS" addr add "$_n" dev pt0 nodad ;;
		*:*) ip -n "$NETNS" addr add "$_n/128" dev pt0 nodad ;;
		*/*) ip -n "$NETNS" addr add "$_n" dev pt0 ;;
		*) ip -n "$NETNS" addr add "$_n/32" dev pt0 ;;
		esac || _netns_bail "cannot add address $_n"
	done
}

netns_unreachable() {
	_netns_need netns_unreachable
	for _n in "$@"; do
		ip -n "$NETNS" -"$(_netns_family "$_n")" route add unreachable "$_n" ||
		    _netns_bail "cannot add an unreachable route to $_n"
	done
}

netns_drop() {
	_netns_need netns_drop
	for _n in "$@"; do
		if [ "$(_netns_family "$_n")" = 6 ]; then
			ip -n "$NETNS" -6 route add "$_n" via fe80::1 dev pt0
		else
			ip -n "$NETNS" -4 route add "$_n" via 169.254.0.1 dev pt0 onlink
		fi || _netns_bail "cannot add a lossy route to $_n"
	done
}

netns_run() {
	ip netns exec "$NETNS" "$@"
}

netns_bg() {
	ip netns exec "$NETNS" "$@" &
	NETNS_BG_PID=$!
	_netns_pids="$_netns_pids $NETNS_BG_PID"
}

netns_wait_listen() {
	case $1 in
	*:*) _n="[$1]:$2" ;;
	*) _n="$1:$2" ;;
	esac
	_netns_i=0
	while [ $_netns_i -lt 250 ]; do
		if ip netns exec "$NETNS" ss -Hltn "src $_n" 2>/dev/null |
		    grep -q .; then
			return 0
		fi
		sleep 0.02
		_netns_i=$((_netns_i + 1))
	done
	return 1
}

# _netns_key ZONE DIR: makes a key for ZONE in DIR; prints its base path.
_netns_key() {
	mkdir -p "$2" &&
	    _netns_k=$(cd "$2" && ldns-keygen -a ECDSAP256SHA256 -k "$1") &&
	    echo "$2/$_netns_k"
}

netns_zone() {
	_netns_need netns_zone
	_netns_z=${1%.}
	_netns_f=$NETNS_DIR/zones/$_netns_z
	rm -rf "$_netns_f.zone" "$_netns_f.ds" "$NETNS_DIR/keys/$_netns_z"
	cat >"$_netns_f.text"
	{
		echo "\$ORIGIN $_netns_z."
		echo "\$TTL 60"
		if ! grep -Eiq '^[^;]*[[:space:]]SOA[[:space:]]' "$_netns_f.text"; then
			echo "@ IN SOA ns.$_netns_z. hostmaster.$_netns_z. 1 3600 600 86400 60"
			echo "@ IN NS ns.$_netns_z."
		fi
		cat "$_netns_f.text"
	} >"$_netns_f.in"
	if ! ldns-read-zone -q "$_netns_f.in" >/dev/null 2>"$_netns_f.err"; then
		echo "netns_zone $_netns_z: $(cat "$_netns_f.err")" >&2
		return 1
	fi
	case $2 in
	unsigned)
		cp "$_netns_f.in" "$_netns_f.zone"
		return
		;;
	signed | bogus) ;;
	*)
		echo "netns_zone $_netns_z: unsigned, signed or bogus, not '$2'" >&2
		return 1
		;;
	esac
	_netns_d=$NETNS_DIR/keys/$_netns_z
	if ! { _netns_k=$(_netns_key "$_netns_z" "$_netns_d") &&
	    ldns-signzone -f "$_netns_f.zone" "$_netns_f.in" "$_netns_k" \
	    2>"$_netns_f.err"; }; then
		echo "netns_zone $_netns_z: cannot sign: $(cat "$_netns_f.err")" >&2
		return 1
	fi
	# bogus: the anchor is another key's DS; that key signs nothing.
	if [ "$2" = bogus ]; then
		_netns_k=$(_netns_key "$_netns_z" "$_netns_d/other") || return 1
	fi
	cp "$_netns_k.ds" "$_netns_f.ds"
}

netns_zone_corrupt() {
	_netns_need netns_zone_corrupt
	_netns_f=$NETNS_DIR/zones/${1%.}.zone
	_netns_z=$(echo "${1%.}" | tr '[:upper:]' '[:lower:]')
	_netns_o=$(echo "${2%.}" | tr '[:upper:]' '[:lower:]')
	case $_netns_o in
	@) _netns_o=$_netns_z ;;
	"$_netns_z" | *".$_netns_z") ;;
	*) _netns_o=$_netns_o.$_netns_z ;;
	esac
	if [ ! -f "${_netns_f%.zone}.ds" ]; then
		echo "netns_zone_corrupt: $_netns_z is not a signed zone" >&2
		return 1
	fi
	# Replace the first character of the signature (the last field) by
	# another base64 one: still well-formed, no longer valid.
	if ! awk -v o="$_netns_o." -v t="$3" '
	tolower($1) == o && toupper($4) == "RRSIG" && toupper($5) == toupper(t) {
		c = substr($NF, 1, 1) == "A" ? "B" : "A"
		$NF = c substr($NF, 2)
		n++
	}
	{ print }
	END { exit n == 0 }' "$_netns_f" >"$_netns_f.new"; then
		rm -f "$_netns_f.new"
		echo "netns_zone_corrupt: no RRSIG for $_netns_o. $3 in $_netns_z" >&2
		return 1
	fi
	mv "$_netns_f.new" "$_netns_f"
}

# _netns_unbound_conf: $NETNS_DIR/unbound.conf for the zones written.
_netns_unbound_conf() {
	printf '%s\n' '. IN SOA . hostmaster. 1 3600 600 86400 60' \
	    '. IN NS localhost.' >"$NETNS_DIR/root.zone"
	{
		cat <<EOF
server:
	verbosity: 1
	log-queries: yes
	log-replies: yes
	use-syslog: no
	logfile: ""
	log-time-ascii: yes
	chroot: ""
	username: ""
	directory: "$NETNS_DIR"
	pidfile: "$NETNS_DIR/unbound.pid"
	do-daemonize: no
	interface: 127.0.0.1
	port: 53
	num-threads: 1
	so-reuseport: no
	# Few outgoing ports: shuffling the default 59448 at start takes
	# unbound 0.1 s, and it sends nothing anyway.
	outgoing-port-avoid: 0-65535
	outgoing-port-permit: 50000-50063
	outgoing-range: 32
	module-config: "validator iterator"
	qname-minimisation: no
	trust-anchor-signaling: no
	root-key-sentinel: no
	val-log-level: 2
	ede: yes
EOF
		for _netns_f in "$NETNS_DIR"/zones/*.zone; do
			[ -f "$_netns_f" ] || continue
			_netns_z=$(basename "$_netns_f" .zone)
			# "test.", "invalid." and others are built-in local
			# zones (NXDOMAIN) that would hide an auth-zone.
			echo "	local-zone: \"$_netns_z.\" transparent"
			if [ -f "${_netns_f%.zone}.ds" ]; then
				echo "	trust-anchor-file: \"${_netns_f%.zone}.ds\""
			fi
		done
		printf 'remote-control:\n\tcontrol-enable: no\n'
		for _netns_f in "$NETNS_DIR/root.zone" "$NETNS_DIR"/zones/*.zone; do
			[ -f "$_netns_f" ] || continue
			_netns_z=$(basename "$_netns_f" .zone).
			[ "$_netns_f" = "$NETNS_DIR/root.zone" ] && _netns_z=.
			printf 'auth-zone:\n\tname: "%s"\n\tzonefile: "%s"\n' \
			    "$_netns_z" "$_netns_f"
			printf '\tfor-upstream: yes\n\tfor-downstream: no\n'
			printf '\tfallback-enabled: no\n'
		done
	} >"$NETNS_DIR/unbound.conf"
}

# _netns_unbound_start: starts unbound, waits until it serves.
_netns_unbound_start() {
	_netns_unbound_conf
	_netns_log=$NETNS_DIR/unbound.log
	echo "---- start $(date '+%T')" >>"$_netns_log"
	_netns_mark=$(wc -l <"$_netns_log")
	ip netns exec "$NETNS" unbound -d -p -c "$NETNS_DIR/unbound.conf" \
	    >>"$_netns_log" 2>&1 &
	NETNS_DNS_PID=$!
	_netns_pids="$_netns_pids $NETNS_DNS_PID"
	_netns_i=0
	# unbound logs "start of service" once its sockets are open.
	while ! tail -n +"$((_netns_mark + 1))" "$_netns_log" |
	    grep -q 'start of service'; do
		if ! kill -0 "$NETNS_DNS_PID" 2>/dev/null || [ $_netns_i -ge 500 ]; then
			sed 's/^/# unbound: /' "$_netns_log"
			_netns_bail "unbound did not start"
		fi
		sleep 0.01
		_netns_i=$((_netns_i + 1))
	done
}

netns_dns_start() {
	_netns_need netns_dns_start
	netns_dns_stop
	case ${1:-trust-ad} in
	trust-ad) _netns_ad=trust-ad ;;
	no-trust-ad) _netns_ad="" ;;
	*) _netns_bail "netns_dns_start: trust-ad or no-trust-ad, not '$1'" ;;
	esac
	_netns_unbound_start
	# shellcheck disable=SC2086
	netns_resolv_conf $_netns_ad
}

netns_dns_stop() {
	[ -n "$NETNS_DNS_PID" ] || return 0
	kill "$NETNS_DNS_PID" 2>/dev/null || :
	wait "$NETNS_DNS_PID" 2>/dev/null || :
	_netns_p=""
	for _n in $_netns_pids; do
		[ "$_n" = "$NETNS_DNS_PID" ] || _netns_p="$_netns_p $_n"
	done
	_netns_pids=$_netns_p
	NETNS_DNS_PID=""
}

netns_dns_restart() {
	_netns_need netns_dns_restart
	netns_dns_stop
	_netns_unbound_start
}

netns_resolv_conf() {
	_netns_o="options timeout:1 attempts:1"
	for _n in "$@"; do
		_netns_o="$_netns_o $_n"
	done
	printf 'nameserver 127.0.0.1\n%s\n' "$_netns_o" >"$NETNS_ETC/resolv.conf"
}

# _netns_cert NAME SIGNER TEMPLATE-LINES...: tests/data/certlib.sh's
# recipe in $T (lib.sh sets top_srcdir); certtool's messages on stderr
# when it fails.
# shellcheck source=tests/data/certlib.sh disable=SC2154
. "$top_srcdir/tests/data/certlib.sh"
_netns_cert() {
	_netns_c=$T/$1
	_netns_s=$2
	[ "$_netns_s" = self ] || _netns_s=$T/$_netns_s
	shift 2
	: >"$_netns_c.log"
	CERTLIB_LOG=$_netns_c.log certlib_make "$_netns_c" "$_netns_s" "$@"
	_netns_rc=$?
	if [ $_netns_rc -ne 0 ]; then
		sed 's/^/# certtool: /' "$_netns_c.log" >&2
	fi
	rm -f "$_netns_c.log"
	return $_netns_rc
}

make_ca() {
	_netns_cert "$1" self "cn = \"${2:-postie netns test CA $1}\"" ca \
	    cert_signing_key 'activation_date = "2010-01-01 00:00:00 UTC"' \
	    'expiration_date = "2199-01-01 00:00:00 UTC"'
}

make_cert() {
	_netns_name=$1
	_netns_cn=$2
	shift 2
	_netns_signer=self
	_netns_time='expiration_days = 365'
	_netns_san=""
	for _n in "$@"; do
		case $_n in
		ca=*) _netns_signer=${_n#ca=} ;;
		expired) _netns_time='activation_date = "2015-01-01 00:00:00 UTC"
expiration_date = "2016-01-01 00:00:00 UTC"' ;;
		notyet) _netns_time='activation_date = "2090-01-01 00:00:00 UTC"
expiration_date = "2099-01-01 00:00:00 UTC"' ;;
		dns=*) _netns_san="$_netns_san
dns_name = \"${_n#dns=}\"" ;;
		ip=*) _netns_san="$_netns_san
ip_address = \"${_n#ip=}\"" ;;
		*)
			echo "make_cert: unknown option $_n" >&2
			return 1
			;;
		esac
	done
	[ -n "$_netns_san" ] || _netns_san="dns_name = \"$_netns_cn\""
	_netns_cert "$_netns_name" "$_netns_signer" "cn = \"$_netns_cn\"" \
	    "$_netns_san" tls_www_server signing_key encryption_key \
	    "$_netns_time"
}

tlsa_data() {
	case $1 in
	0) certtool --certificate-info --infile "$3" --outder ;;
	1) certtool --pubkey-info --load-certificate "$3" --outder ;;
	*) echo "tlsa_data: selector 0 or 1, not '$1'" >&2 && false ;;
	esac >"$T/tlsa.der" || return 1
	case $2 in
	0) od -An -v -tx1 "$T/tlsa.der" | tr -d ' \n' && echo ;;
	1) sha256sum "$T/tlsa.der" | cut -d' ' -f1 ;;
	2) sha512sum "$T/tlsa.der" | cut -d' ' -f1 ;;
	*)
		echo "tlsa_data: matching type 0, 1 or 2, not '$2'" >&2
		return 1
		;;
	esac
}
