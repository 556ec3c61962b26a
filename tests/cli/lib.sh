# Shared helpers for the CLI tests: TAP output, a private smtp-testd on a
# loopback port chosen by the kernel, and running the real postie binary.
# Sourced by tests/cli/t_*.sh; automake sets top_builddir and top_srcdir.
# shellcheck shell=sh disable=SC2034,SC2119,SC2120

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
POSTIE=$top_builddir/cmd/postie
TESTD=$top_builddir/tests/server/smtp-testd

T=$(mktemp -d "${TMPDIR:-/tmp}/postie-cli.XXXXXX") || exit 99
# A private home, so no configuration of the machine's user interferes.
HOME=$T/home
XDG_CONFIG_HOME=$T/home/.config
export HOME XDG_CONFIG_HOME
unset TMPDIR
mkdir -p "$HOME"

tap_n=0
tap_failed=0
testd_pids=""
testd_k=0

cleanup() {
	for p in $testd_pids; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ "$tap_failed" -eq 0 ]; then
		rm -rf "$T"
	else
		echo "# files kept in $T"
	fi
}
trap cleanup EXIT
trap 'exit 99' INT TERM

# ok STATUS NAME: STATUS 0 passes.
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

# is GOT WANT NAME
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}

# same_file GOT WANT NAME: byte-for-byte.
same_file() {
	if cmp -s "$1" "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "#   $1 differs from $2:"
		od -c "$1" | head -20 | sed 's/^/#   got  /'
		od -c "$2" | head -20 | sed 's/^/#   want /'
	fi
}

# contains FILE PATTERN NAME: grep -E.
contains() {
	if grep -Eq -- "$2" "$1"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "#   '$2' not found in $1:"
		sed 's/^/#   | /' "$1" | head -20
	fi
}

# lacks FILE PATTERN NAME
lacks() {
	if grep -Eq -- "$2" "$1" 2>/dev/null; then
		ok 1 "$3"
		sed 's/^/#   | /' "$1" | head -20
	else
		ok 0 "$3"
	fi
}

# start_testd [smtp-testd options]: sets SRV (its folder), PORT, TESTD_PID.
start_testd() {
	testd_k=$((testd_k + 1))
	SRV=$T/srv$testd_k
	mkdir -p "$SRV/dir"
	"$TESTD" --dir "$SRV/dir" --port-file "$SRV/port" --idle-exit 60 \
	    "$@" >"$SRV/stdout" 2>"$SRV/stderr" &
	TESTD_PID=$!
	testd_pids="$testd_pids $TESTD_PID"
	i=0
	while [ ! -s "$SRV/port" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	PORT=$(cat "$SRV/port" 2>/dev/null)
	if [ -z "$PORT" ]; then
		echo "Bail out! smtp-testd did not start: $(cat "$SRV/stderr")"
		exit 1
	fi
}

# stop_testd: stop the newest server (by PID) and wait for it.
stop_testd() {
	kill "$TESTD_PID" 2>/dev/null
	wait "$TESTD_PID" 2>/dev/null
}

# wait_session N: until the server has written session-N.log whole.
wait_session() {
	i=0
	while ! grep -q '^round_trips' "$SRV/dir/session-$1.log" 2>/dev/null &&
	    [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

# write_conf [extra lines]: a configuration for the newest server in
# $T/conf (mode 600); extra arguments are added as lines.
#
# Without a queue_dir line the queue is off, so a temporary failure is
# exit 75 and nothing lands in a queue the test did not ask for; tests of
# the queue name their queue_dir.
write_conf() {
	queue="queue off"
	for line in "$@"; do
		case $line in
		queue_dir*) queue="" ;;
		esac
	done
	{
		echo "defaults"
		echo "domain client.example"
		echo "account default"
		echo "host 127.0.0.1"
		echo "port $PORT"
		echo "from sender@client.example"
		[ -n "$queue" ] && echo "$queue"
		for line in "$@"; do
			echo "$line"
		done
	} >"$T/conf"
	chmod 600 "$T/conf"
}

# run_postie [args]: postie -C $T/conf ARGS with stdin from $T/in; sets RC,
# output in $T/out and $T/err.
run_postie() {
	"$POSTIE" -C "$T/conf" "$@" <"$T/in" >"$T/out" 2>"$T/err"
	RC=$?
}

# msg N: path of the N-th message the newest server accepted.
msg() {
	echo "$SRV/dir/msg-$1.eml"
}

# nfiles GLOB: how many files in the newest server's folder match GLOB.
nfiles() {
	find "$SRV/dir" -name "$1" | wc -l | tr -d ' '
}

env_of() {
	echo "$SRV/dir/msg-$1.env"
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# postie adds Date, From and Message-ID when they are missing (set_*_header
# auto, the default); Date and Message-ID vary, so tests compare messages
# through shaped(), which replaces a well-formed Date and Message-ID (for
# the domain client.example) by "Date: DATE" and "Message-ID: MSGID"; a
# malformed one stays and fails the byte-for-byte compare.
CR=$(printf '\r')
DATE_RE="^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$CR\$"
MSGID_RE="^Message-ID: <[0-9a-z]+\\.[a-z2-7]{26}@client\\.example>$CR\$"

# shaped N: path of message N with Date and Message-ID replaced.
shaped() {
	sed -E -e "s/$DATE_RE/Date: DATE$CR/" -e "s/$MSGID_RE/Message-ID: MSGID$CR/" \
	    "$(msg "$1")" >"$T/shaped"
	echo "$T/shaped"
}
