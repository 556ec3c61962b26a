#!/bin/sh
# shellcheck disable=SC2119
# The queue under crashes and concurrency (issue 6, "Tests"):
#  1. SIGKILL at random points during submissions (a server that accepts,
#     is down, fails for now at some step, stalls, or takes one recipient
#     of two; -odq), and
#  2. during `postie -qf` runs: every message whose postie exited 0 is
#     delivered or whole in the queue, mailq never lists a half-written
#     entry, a final -qf delivers everything, byte for byte; duplicates
#     only from runs killed after the server took the message.
#  3. SIGTERM while a big body is on its way (a server that stops reading,
#     BDAT stalled) and while the reply to the dot is awaited: the end of
#     the data is not sent after the signal, the entry stays whole.
#  4. 50 concurrent submissions while a flush runs: each message delivered
#     exactly once.
# STRESS_SEED=N repeats a run's random choices (the seed is printed).
# Under AddressSanitizer, the runs of stages 1, 2 and 4 and their servers
# skip the leak check at exit (detect_leaks=0): it doubles the cost of a
# run, and many of these runs are killed anyway; the final flushes and
# stage 3 (signals) keep it, as t_queue.sh does.
. "${top_srcdir:-.}/tests/cli/lib.sh"

if ! command -v timeout >/dev/null 2>&1; then
	echo "1..0 # SKIP timeout(1) is needed to kill postie at a random point"
	exit 0
fi
SEED=${STRESS_SEED:-$(($(date +%s) % 100000 + $$))}
echo "# seed $SEED (STRESS_SEED=$SEED repeats the random choices)"

Q=$T/queue
SPOOL=$T/spool
mkdir -p "$T/in" "$SPOOL"
: >"$T/runs"
: >"$T/odd"
: >"$T/queued"

# Message N: its own Message-ID and a body of N-dependent length (up to
# 13 KB), complete (Date, From, Message-ID), so it arrives unchanged.
GEN='
function msg(n, eol,   s, i, k) {
	s = "Date: Thu, 1 Jan 2026 00:00:00 +0000" eol \
	    "From: sender@client.example" eol \
	    "Message-ID: <stress-" n "@client.example>" eol \
	    "Subject: stress " n eol eol "token " n eol
	k = (n * 37) % 150
	for (i = 1; i <= k; i++)
		s = s sprintf("%04d of message %d: the quick brown fox jumps over the lazy dog", i, n) eol
	return s "end of " n eol
}'

# make_in N: the message file $T/in/N (LF line ends, as a user writes).
make_in() {
	awk -v n="$1" "$GEN"'BEGIN { printf "%s", msg(n, "\n") }' >"$T/in/$1"
}

# conf PORT NAME [lines]: $T/conf for our queue and a server; postie says
# EHLO NAME.client.example, so the server's msg-M.env names the run.
: >"$T/conf"
chmod 600 "$T/conf"
conf() {
	port=$1
	name=$2
	shift 2
	{
		echo "defaults"
		echo "domain $name.client.example"
		echo "account default"
		echo "host 127.0.0.1"
		echo "port $port"
		echo "from sender@client.example"
		echo "queue_dir $Q"
		echo "timeout 20"
		for line in "$@"; do
			echo "$line"
		done
	} >"$T/conf"
}

# now_ms: milliseconds (GNU date; 0 elsewhere).
now_ms() {
	t=$(date +%s%N 2>/dev/null)
	case $t in
	*N | '') echo 0 ;;
	*) echo $((t / 1000000)) ;;
	esac
}

# kill_after KIND PERMILLE INPUT ARGS...: postie -C $T/conf ARGS <INPUT,
# SIGKILLed after a delay unless it ended before: PERMILLE/1000 of 1.6
# times how long a run of KIND takes here (est_KIND, in ms, kept up to
# date: the mean of runs that ended on their own, or longer when a kill
# shows that).  So about a third of the runs end on their own, the rest
# are killed at points spread over their whole course.  Sets RC (137:
# killed).
kill_after() {
	eval "est=\$est_$1"
	d=$(($2 * 16 * est / 10000 + 1))
	input=$3
	kind=$1
	shift 3
	t0=$(now_ms)
	TMPDIR=$SPOOL timeout -s KILL "$((d / 1000)).$(printf %03d $((d % 1000)))" \
	    "$POSTIE" -C "$T/conf" "$@" <"$input" >/dev/null 2>"$T/err"
	RC=$?
	t=$(($(now_ms) - t0))
	if [ "$t0" -eq 0 ]; then
		return		# no clock in ms here: the estimate stays
	elif [ "$RC" -ne 137 ]; then
		est=$(((3 * est + t) / 4 + 1))
	elif [ "$t" -gt "$est" ]; then
		est=$t
	fi
	eval "est_$kind=\$est"
}

# note RUN RC KIND N RCPT...: the run's line in $T/runs; an exit that is
# neither 0 nor 137 (killed) goes to $T/odd with its stderr.
note() {
	echo "$*" >>"$T/runs"
	case $2 in
	0 | 137) ;;
	*) echo "run $1 ($3): exit $2: $(head -n 3 "$T/err")" >>"$T/odd" ;;
	esac
}

# mailq_check NAME: postie -bp; every entry it lists must be whole (its
# size that of message N, N from its recipients), and it must list every
# ID.env in the queue (none hidden as unreadable).  Pending recipients go
# to $T/queued ("N RCPT"); problems are counted in $T/mq_bad.
: >"$T/mq_bad"
mq_checks=0
mailq_check() {
	mq_checks=$((mq_checks + 1))
	"$POSTIE" -C "$T/conf" -bp </dev/null >"$T/mailq" 2>&1
	rc=$?
	[ $rc -eq 0 ] || echo "$1: mailq exit $rc" >>"$T/mq_bad"
	awk "$GEN"'
	/^[0-9a-v]+ +[0-9]+ +[0-9]+[smhd] / { id = $1; size = $2; ids++; next }
	/^ +<[tl][0-9]+@server\.example> / {
		a = $1
		gsub(/[<>]/, "", a)
		n = substr(a, 2)
		sub(/@.*/, "", n)
		if (!(id in seen) && size != length(msg(n, "\r\n")))
			printf "%s: entry %s listed with %s bytes, message %s has %d\n", name, id, size, n, length(msg(n, "\r\n")) >>bad
		seen[id] = 1
		if ($2 == "pending")
			print n, a >>queued
	}
	END { print ids + 0 >count }' name="$1" bad="$T/mq_bad" \
	    queued="$T/queued" count="$T/mq_count" "$T/mailq"
	envs=$(find "$Q" -maxdepth 1 -name '*.env' 2>/dev/null | wc -l | tr -d ' ')
	listed=$(cat "$T/mq_count")
	if [ "$envs" != "$listed" ]; then
		echo "$1: $envs .env files, mailq lists $listed" >>"$T/mq_bad"
		sed 's/^/    /' "$T/mailq" >>"$T/mq_bad"
	fi
}

# deliveries DIR...: one line per message and recipient the servers took:
# "N RCPT RUN whole", or "... damaged:FILE" when the bytes are not
# exactly message N with CRLF line ends.
deliveries() {
	for d in "$@"; do
		find "$d" -name 'msg-*.eml'
	done | awk "$GEN"'
	{
		eml = $0
		env = eml
		sub(/\.eml$/, ".env", env)
		helo = ""
		nr = 0
		while ((getline line <env) > 0) {
			if (line ~ /^helo /)
				helo = substr(line, 6)
			else if (line ~ /^rcpt /) {
				split(substr(line, 6), f, " ")
				r[++nr] = f[1]
			}
		}
		close(env)
		body = ""
		n = ""
		while ((getline line <eml) > 0) {
			body = body line "\n"
			if (n == "" && line ~ /^Message-ID: <stress-[0-9]+@/) {
				n = line
				sub(/^Message-ID: <stress-/, "", n)
				sub(/@.*/, "", n)
			}
		}
		close(eml)
		ok = n != "" && body == msg(n, "\r\n")
		run = helo
		sub(/\..*/, "", run)
		for (i = 1; i <= nr; i++)
			print (n == "" ? "none" : n), r[i], run, (ok ? "whole" : "damaged:" eml)
	}'
}

# settle DIR...: until every session the servers had is over.
settle() {
	i=0
	while [ $i -lt 100 ]; do
		open=0
		for d in "$@"; do
			if grep -L '^round_trips' "$d"/session-*.log 2>/dev/null |
			    grep -q .; then
				open=1
			fi
		done
		[ $open -eq 0 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
}

# accounted STAGE FILE: every recipient of every run that exited 0 is in
# the deliveries FILE or pending in $T/queued; lost ones to $T/lost.
accounted() {
	awk -v stage="$1" '
	FILENAME == ARGV[1] { got[$1 " " $2] = 1; next }
	FILENAME == ARGV[2] { got[$1 " " $2] = 1; next }
	$2 == 0 {
		for (i = 5; i <= NF; i++)
			if (!(($4 " " $i) in got))
				printf "%s: run %s (%s) exited 0, but message %s for %s is neither delivered nor queued\n", stage, $1, $3, $4, $i
	}' "$2" "$T/queued" "$T/runs" >"$T/lost"
	lost=$(wc -l <"$T/lost" | tr -d ' ')
	if [ "$lost" -eq 0 ]; then
		ok 0 "$1: every message whose postie exited 0 is delivered or queued"
	else
		ok 1 "$1: every message whose postie exited 0 is delivered or queued"
		sed 's/^/#   /' "$T/lost" | head -20
	fi
}

# ---------------------------------------------------------------------
ASAN_ORIG=${ASAN_OPTIONS-}
ASAN_OPTIONS="${ASAN_ORIG:+$ASAN_ORIG:}detect_leaks=0"
export ASAN_OPTIONS

# The servers of stages 1 and 2, each with its own folder.
start_testd --idle-exit 600
S_OK=$PORT D_OK=$SRV/dir
start_testd --idle-exit 600 --reply 'mail=451 4.3.0 try later'
S_M451=$PORT D_M451=$SRV/dir
start_testd --idle-exit 600 --reply 'dataend=451 4.3.0 not now'
S_E451=$PORT D_E451=$SRV/dir
start_testd --idle-exit 600 --after dataend=drop
S_DROP=$PORT D_DROP=$SRV/dir
start_testd --idle-exit 600 --reply-rcpt 'l*@*=451 4.2.1 mailbox busy'
S_PART=$PORT D_PART=$SRV/dir
start_testd --idle-exit 600 --stall connect=1
S_STALLG=$PORT D_STALLG=$SRV/dir
start_testd --idle-exit 600 --stall dataend=1 --reply 'dataend=451 4.3.0 not now'
S_STALLD=$PORT D_STALLD=$SRV/dir
start_testd
S_DOWN=$PORT
stop_testd
# stages12 COMMAND: COMMAND with the folders of these servers as arguments.
stages12() {
	"$@" "$D_OK" "$D_M451" "$D_E451" "$D_DROP" "$D_PART" "$D_STALLG" \
	    "$D_STALLD"
}

# How long a submission takes here (ASan, load): the slowest of three
# (queued after a 451 to the data, queued after a refused connection,
# delivered) is the first estimate for every kind of run.
n=0
cal=0
for port in "$S_E451" "$S_DOWN" "$S_OK"; do
	n=$((n + 1))
	make_in $n
	conf "$port" "cal$n"
	# shellcheck disable=SC2034 # kill_after reads it (eval)
	est_cal=30000
	kill_after cal 1000 "$T/in/$n" "t$n@server.example"
	note "cal$n" "$RC" cal "$n" "t$n@server.example"
	[ "$t" -gt "$cal" ] && cal=$t
done
[ "$cal" -ge 20 ] && [ "$cal" -le 5000 ] || cal=200
echo "# a submission takes up to $cal ms here"
est_sub=$cal
est_odq=$cal
est_flush=$cal

# ---------------------------------------------------------------------
# 1. SIGKILL during submissions.
RUNS1=100
awk -v seed="$SEED" -v n="$RUNS1" 'BEGIN {
	srand(seed)
	for (i = 1; i <= n; i++) {
		r = rand()
		k = r < .22 ? "ok" : r < .32 ? "down" : r < .42 ? "mail451" : \
		    r < .56 ? "end451" : r < .66 ? "drop" : r < .76 ? "partial" : \
		    r < .92 ? "odq" : r < .96 ? "stallgreet" : "stalldata"
		printf "%s %d\n", k, int(rand() * 1000)
	}
}' >"$T/plan1"
t1=$(now_ms)
run=0
while read -r kind pm; do
	run=$((run + 1))
	n=$((n + 1))
	make_in $n
	rcpts="t$n@server.example"
	args=
	est=sub
	case $kind in
	ok) port=$S_OK ;;
	down) port=$S_DOWN ;;
	mail451) port=$S_M451 ;;
	end451) port=$S_E451 ;;
	drop) port=$S_DROP ;;
	partial)
		port=$S_PART
		rcpts="t$n@server.example l$n@server.example"
		;;
	odq)
		port=$S_OK
		args=-odq
		est=odq
		;;
	# Killed while the server stalls (these would take a second more
	# to end on their own, like "ok" and "end451").
	stallgreet) port=$S_STALLG ;;
	stalldata) port=$S_STALLD ;;
	esac
	conf "$port" "r$run"
	# shellcheck disable=SC2086 # an option or none; one or two addresses
	kill_after "$est" "$pm" "$T/in/$n" $args $rcpts
	# shellcheck disable=SC2086
	note "r$run" "$RC" "$kind" $n $rcpts
	if [ $((run % 8)) -eq 0 ]; then
		mailq_check "submissions, run $run"
	fi
done <"$T/plan1"
echo "# stage 1: $RUNS1 submissions in $(($(now_ms) - t1)) ms:" \
    "$(awk '$1 ~ /^r/ && $2 == 0' "$T/runs" | wc -l | tr -d ' ') exited 0," \
    "$(awk '$1 ~ /^r/ && $2 == 137' "$T/runs" | wc -l | tr -d ' ') killed;" \
    "a run takes about $est_sub ms, -odq $est_odq ms"
stages12 settle
: >"$T/queued"
mailq_check "after the submissions"
stages12 deliveries >"$T/deliv"
accounted "after the submissions" "$T/deliv"

# ---------------------------------------------------------------------
# 2. SIGKILL during flushes: rounds of two -odq submissions at once (also
# killed at random) and three -qf runs against a server that accepts (or,
# one in three, answers 451 at the end of data: state updates).
ROUNDS=20
awk -v seed="$SEED" -v n="$ROUNDS" 'BEGIN {
	srand(seed + 1)
	for (i = 1; i <= n; i++) {
		for (k = 1; k <= 5; k++)
			printf "%d ", int(rand() * 1000)
		printf "%d %d %d\n", rand() < .33, rand() < .33, rand() < .33
	}
}' >"$T/plan2"
t1=$(now_ms)
k1=$(awk '$1 ~ /^r/ && $2 == 137' "$T/runs" | wc -l | tr -d ' ')
while read -r d1 d2 f1 f2 f3 p1 p2 p3; do
	conf "$S_OK" odq
	n1=$((n + 1))
	n2=$((n + 2))
	n=$n2
	make_in $n1
	make_in $n2
	# Two at once: these do not update est_odq.
	for x in "$n1:$d1" "$n2:$d2"; do
		d=$((${x#*:} * 16 * est_odq / 10000 + 1))
		TMPDIR=$SPOOL timeout -s KILL "$((d / 1000)).$(printf %03d $((d % 1000)))" \
		    "$POSTIE" -C "$T/conf" -odq "t${x%:*}@server.example" \
		    <"$T/in/${x%:*}" >/dev/null 2>"$T/err.${x%:*}" &
		eval "pid_${x%:*}=\$!"
	done
	for x in $n1 $n2; do
		eval "pid=\$pid_$x"
		# (2>/dev/null: no "Killed" from the shell)
		wait "$pid" 2>/dev/null
		RC=$?
		run=$((run + 1))
		cp "$T/err.$x" "$T/err"
		note "r$run" "$RC" odq2 "$x" "t$x@server.example"
	done
	for x in "$f1:$p1" "$f2:$p2" "$f3:$p3"; do
		run=$((run + 1))
		case ${x#*:} in
		1) port=$S_E451 kind=flush451 ;;
		*) port=$S_OK kind=flush ;;
		esac
		conf "$port" "r$run"
		kill_after flush "${x%:*}" /dev/null -qf
		note "r$run" "$RC" "$kind" -
	done
	if [ $((run % 10)) -eq 0 ]; then
		mailq_check "flushes, run $run"
	fi
done <"$T/plan2"
echo "# stage 2: $((ROUNDS * 5)) runs (-odq and -qf) in $(($(now_ms) - t1)) ms:" \
    "$(($(awk '$1 ~ /^r/ && $2 == 137' "$T/runs" | wc -l | tr -d ' ') - k1)) killed;" \
    "a -qf takes about $est_flush ms"
stages12 settle
: >"$T/queued"
mailq_check "after the flushes"
stages12 deliveries >"$T/deliv"
accounted "after the flushes" "$T/deliv"
is "$(cat "$T/odd")" "" "every run exited 0 or was killed (no other exit)"

is "$(cat "$T/mq_bad")" "" "mailq never listed a half-written entry ($mq_checks listings)"

# What the crashes left: in tmp/, files being written (.msg, .env of a
# put, .upd of an update); in the queue, .msg without .env (a put killed
# between its renames).  Neither is an entry; gc removes them once old.
tmpleft=$(find "$Q/tmp" -type f | wc -l | tr -d ' ')
orphans=0
for f in "$Q"/*.msg; do
	[ -f "$f" ] || continue
	[ -f "${f%.msg}.env" ] || orphans=$((orphans + 1))
done
echo "# the crashes left $tmpleft file(s) in tmp/ and $orphans .msg without .env"
is "$(find "$Q/tmp" ! -type f ! -path "$Q/tmp" | wc -l | tr -d ' ')" 0 "tmp/ holds only files"
is "$(find "$Q/tmp" -type f | sed 's|.*/||' | grep -Ecv '^[0-9a-v]{16,20}\.(msg|env|upd)$')" 0 \
    "tmp/ holds only ID.msg, ID.env and ID.upd files"

# The final flush, to a server that accepts.
conf "$S_OK" final
ASAN_OPTIONS=$ASAN_ORIG "$POSTIE" -C "$T/conf" -qf </dev/null >"$T/out" 2>"$T/err"
is "$?" 0 "the final -qf: exit 0"
is "$(cat "$T/err")" "" "the final -qf: silent"
mailq_check "after the final flush"
contains "$T/mailq" '^Mail queue is empty$' "the final -qf empties the queue"
stages12 settle
stages12 deliveries >"$T/deliv"
: >"$T/queued"
accounted "after the final -qf" "$T/deliv"
is "$(grep -v ' whole$' "$T/deliv")" "" "every message delivered is whole, byte for byte"

# Duplicates: a message (for one recipient) the servers took more than
# once.  Allowed only when all but one of those deliveries came from a
# run that was killed (the server had answered 250, the state update was
# lost); two from runs that ended on their own are a bug.
awk '
FILENAME == ARGV[1] { rc[$1] = $2; next }
{
	k = $1 " " $2
	cnt[k]++
	if (rc[$3] != 137)
		clean[k]++
	else
		killed[k] = killed[k] " " $3
}
END {
	for (k in cnt) {
		if (cnt[k] > 1) {
			dups += cnt[k] - 1
			print "dup", k, cnt[k]
			n = split(killed[k], r, " ")
			for (i = 1; i <= n; i++)
				if (by[r[i]]++ == 0)
					runs++
		}
		if (clean[k] > 1)
			print "bad", k, clean[k]
	}
	for (r1 in by)
		if (by[r1] > most)
			most = by[r1]
	print "total", dups + 0, runs + 0, most + 0
}' "$T/runs" "$T/deliv" >"$T/dups"
read -r dups druns dmost <<EOF
$(sed -n 's/^total //p' "$T/dups")
EOF
echo "# $(wc -l <"$T/deliv" | tr -d ' ') deliveries, $dups of them duplicates, from $druns killed runs (up to $dmost by one run): the server took the message, the run was killed before it recorded that"
grep '^dup' "$T/dups" | sed 's/^dup /#   message, recipient, times: /' | head -10
is "$(grep '^bad' "$T/dups")" "" "no message sent twice by runs that were not killed"

# gc: once old, what the crashes left goes (touch dates them 2020).
find "$Q/tmp" -type f -exec touch -t 202001010000 {} +
for f in "$Q"/*.msg; do
	[ -f "$f" ] && [ ! -f "${f%.msg}.env" ] && touch -t 202001010000 "$f"
done
"$POSTIE" -C "$T/conf" -q </dev/null >"$T/out" 2>"$T/err"
is "$?" 0 "a queue run with old leftovers: exit 0"
is "$(find "$Q/tmp" -type f | wc -l | tr -d ' ')" 0 "gc empties tmp/ of old files"
is "$(find "$Q" -maxdepth 1 -type f | wc -l | tr -d ' ')" 0 "gc removes old .msg without .env: the queue folder is empty"
is "$(find "$SPOOL" -type f | wc -l | tr -d ' ')" 0 "no spool file left in TMPDIR"
stop_testd

# ---------------------------------------------------------------------
# 3. SIGTERM during a delivery: the end of the data is not sent after the
# signal, the entry stays whole in the queue, a later -qf sends it.  A big
# message (16 MB) where the body must be on its way, else a small one.
ASAN_OPTIONS=$ASAN_ORIG
t1=$(now_ms)
Q3=$T/queue3
awk 'BEGIN { printf "Date: Thu, 1 Jan 2026 00:00:00 +0000\nFrom: sender@client.example\nMessage-ID: <big@client.example>\nSubject: big\n\n"; for (i = 0; i < 300000; i++) printf "%07d the quick brown fox jumps over the lazy dog\n", i }' >"$T/big"
printf 'Date: Thu, 1 Jan 2026 00:00:00 +0000\nFrom: sender@client.example\nMessage-ID: <small@client.example>\nSubject: small\n\nbody\n.line with a dot\n' >"$T/small"
for f in big small; do
	sed 's/$/\r/' "$T/$f" >"$T/$f.crlf"
done

# qconf3 PORT: the configuration for stage 3's queue.
qconf3() {
	conf "$1" s3
	sed "s|^queue_dir .*|queue_dir $Q3|" "$T/conf" >"$T/conf3"
	chmod 600 "$T/conf3"
}

# wait_log FILE PATTERN: until a line matches (10 s at most).
wait_log() {
	i=0
	while ! grep -q -- "$2" "$1" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	grep -q -- "$2" "$1" 2>/dev/null
}

# still_queued NAME big|small: mailq lists the entry, whole, pending
# because of the signal, and a -qf to a fresh server that accepts
# delivers it byte for byte.
still_queued() {
	size=$(wc -c <"$T/$2.crlf" | tr -d ' ')
	"$POSTIE" -C "$T/conf3" -bp </dev/null >"$T/mailq3" 2>&1
	contains "$T/mailq3" "^[0-9a-v]+ +$size " "$1: the entry is listed, whole ($size bytes)"
	contains "$T/mailq3" 'pending \(.*signal.*\)' "$1: pending, interrupted by the signal"
	start_testd
	qconf3 "$PORT"
	"$POSTIE" -C "$T/conf3" -qf </dev/null >"$T/out" 2>"$T/err"
	is "$?" 0 "$1: -qf exit 0"
	same_file "$(msg 1)" "$T/$2.crlf" "$1: -qf delivers it byte for byte"
	"$POSTIE" -C "$T/conf3" -bp </dev/null >"$T/mailq3" 2>&1
	contains "$T/mailq3" '^Mail queue is empty$' "$1: then the queue is empty"
	stop_testd
}

# 3a. -qf, DATA, a server that stops reading: its session process is
# stopped (SIGSTOP) as soon as it has said 354, so the body fills the
# socket buffers and postie waits to write more; then SIGTERM.
start_testd --stall data=1
qconf3 "$PORT"
TMPDIR=$SPOOL "$POSTIE" -C "$T/conf3" -odq big@server.example <"$T/big" >/dev/null 2>&1
"$POSTIE" -C "$T/conf3" -qf </dev/null >"$T/out" 2>"$T/err" &
pid=$!
log=$SRV/dir/session-1.log
child=
if wait_log "$log" '^T: stall'; then
	child=$(ps -o pid= --ppid "$TESTD_PID" 2>/dev/null | tr -d ' ')
fi
if [ -n "$child" ]; then
	i=0
	while ! grep -q '^S: 354' "$log" && [ $i -lt 5000 ]; do
		i=$((i + 1))
	done
	kill -STOP "$child"
	sleep 0.3
fi
if [ -z "$child" ] || grep -q '^C: <DATA' "$log" || ! kill -0 "$pid" 2>/dev/null; then
	[ -n "$child" ] && kill -CONT "$child"
	wait "$pid"
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP SIGTERM mid-body: the server could not be stopped before the end of the data"
	stop_testd
	rm -rf "$Q3"
else
	kill -TERM "$pid"
	wait "$pid"
	is "$?" 0 "SIGTERM during -qf, mid-body: exit 0 (the entry stays queued)"
	kill -CONT "$child"
	wait_session 1
	lacks "$log" '^C: <DATA' "SIGTERM mid-body: the server never got the end of the data"
	is "$(nfiles 'msg-*.eml')" 0 "SIGTERM mid-body: nothing delivered"
	stop_testd
	still_queued "SIGTERM mid-body (-qf)" big
fi

# 3b. A direct submission, BDAT: the server stalls before reading the
# second chunk; SIGTERM: no BDAT LAST, and the message is queued (exit 0).
start_testd --chunking --stall 'bdat#2=1'
qconf3 "$PORT"
TMPDIR=$SPOOL "$POSTIE" -C "$T/conf3" big@server.example <"$T/big" >"$T/out" 2>"$T/err" &
pid=$!
log=$SRV/dir/session-1.log
wait_log "$log" '^T: stall'
kill -TERM "$pid"
wait "$pid"
is "$?" 0 "SIGTERM during a direct submission, mid-body (BDAT): exit 0, queued"
is "$(cat "$T/err")" "" "SIGTERM during a direct submission: silent"
wait_session 1
lacks "$log" '^C: BDAT [0-9]+ LAST' "SIGTERM mid-body (BDAT): no BDAT LAST"
is "$(nfiles 'msg-*.eml')" 0 "SIGTERM mid-body (BDAT): nothing delivered"
stop_testd
still_queued "SIGTERM mid-body (direct, BDAT)" big

# 3c. SIGINT and SIGHUP while a direct submission waits for the 354: no
# data at all, queued, exit 0.
for sig in INT HUP; do
	start_testd --stall data=1
	qconf3 "$PORT"
	"$POSTIE" -C "$T/conf3" small@server.example <"$T/small" >"$T/out" 2>"$T/err" &
	pid=$!
	log=$SRV/dir/session-1.log
	wait_log "$log" '^T: stall'
	kill -"$sig" "$pid"
	wait "$pid"
	is "$?" 0 "SIG$sig while waiting for 354: exit 0, queued"
	wait_session 1
	lacks "$log" '^C: <DATA' "SIG$sig before 354: no data sent"
	is "$(nfiles 'msg-*.eml')" 0 "SIG$sig before 354: nothing delivered"
	stop_testd
	still_queued "SIG$sig before 354" small
done

# 3d. SIGTERM after the dot, while the reply is awaited (the server
# stalls at the end of data, then takes the message): the dot left before
# the signal, so postie still waits for the reply and records it: the
# message delivered once, the entry gone, nothing sent again.
start_testd --stall dataend=1
qconf3 "$PORT"
"$POSTIE" -C "$T/conf3" -odq small@server.example <"$T/small" >/dev/null 2>&1
"$POSTIE" -C "$T/conf3" -qf </dev/null >"$T/out" 2>"$T/err" &
pid=$!
log=$SRV/dir/session-1.log
wait_log "$log" '^T: stall'
kill -TERM "$pid"
wait "$pid"
is "$?" 0 "SIGTERM awaiting the reply to the dot: exit 0"
wait_session 1
same_file "$(msg 1)" "$T/small.crlf" "SIGTERM after the dot: the server took the message"
"$POSTIE" -C "$T/conf3" -bp </dev/null >"$T/mailq3" 2>&1
contains "$T/mailq3" '^Mail queue is empty$' "SIGTERM after the dot: the reply was awaited and recorded: the queue is empty"
"$POSTIE" -C "$T/conf3" -qf </dev/null >"$T/out" 2>"$T/err"
is "$(nfiles 'msg-*.eml')" 1 "SIGTERM after the dot: a later -qf sends nothing again"
stop_testd
rm -rf "$Q3"
echo "# stage 3 took $(($(now_ms) - t1)) ms"

# ---------------------------------------------------------------------
# 4. 50 concurrent submissions (20 -odq, 20 direct, 10 -odb) while a
# flush runs over 10 queued messages: each delivered exactly once.  The
# server stalls a second before taking the second message of a session,
# so the flush (and every queue run after a direct success) holds its
# entries while the others come.
ASAN_OPTIONS="${ASAN_ORIG:+$ASAN_ORIG:}detect_leaks=0"
start_testd --idle-exit 600 --stall 'dataend#2=1'
D4=$SRV/dir
conf "$PORT" p4
: >"$T/p4"
first=$((n + 1))
for k in 1 2 3 4 5 6 7 8 9 10; do
	n=$((n + 1))
	make_in $n
	"$POSTIE" -C "$T/conf" -odq "t$n@server.example" <"$T/in/$n" >/dev/null 2>&1
	echo "$n $?" >>"$T/p4"
done
k=0
while [ $k -lt 50 ]; do
	k=$((k + 1))
	make_in $((n + k))
done
"$POSTIE" -C "$T/conf" -qf </dev/null >"$T/out.flush" 2>&1 &
flush_pid=$!
pids=
t1=$(now_ms)
k=0
while [ $k -lt 50 ]; do
	k=$((k + 1))
	n=$((n + 1))
	case $((k % 5)) in
	0 | 1) mode=-odq ;;
	2) mode=-odb ;;
	*) mode=-odi ;;
	esac
	(
		"$POSTIE" -C "$T/conf" "$mode" "t$n@server.example" <"$T/in/$n" >/dev/null 2>"$T/err.$n"
		echo "$n $?" >>"$T/p4"
	) &
	pids="$pids $!"
	if [ $((k % 10)) -eq 0 ]; then
		"$POSTIE" -C "$T/conf" -bp </dev/null >"$T/mailq.$k" 2>&1 &
		pids="$pids $!"
	fi
done
for p in $pids; do
	wait "$p"
done
wait "$flush_pid"
is "$?" 0 "stage 4: the flush exit 0"
echo "# stage 4: 50 submissions and the flush done in $(($(now_ms) - t1)) ms"
is "$(awk '$2 != 0' "$T/p4")" "" "stage 4: all 60 submissions exit 0"
# The -odb children and entries another runner held: run the queue until
# it is empty (10 s at most).
i=0
while [ -n "$(find "$Q" -maxdepth 1 -name '*.env' 2>/dev/null)" ] && [ $i -lt 50 ]; do
	sleep 0.2
	ASAN_OPTIONS=$ASAN_ORIG "$POSTIE" -C "$T/conf" -qf </dev/null >/dev/null 2>&1
	i=$((i + 1))
done
is "$(find "$Q" -maxdepth 1 -type f | wc -l | tr -d ' ')" 0 "stage 4: the queue is empty"
settle "$D4"
bad=
for k in 10 20 30 40 50; do
	mailq=$T/mailq.$k
	# A listing made while others write: each entry whole, too.
	awk "$GEN"'
	/^[0-9a-v]+ +[0-9]+ +[0-9]+[smhd] / { size = $2; next }
	/^ +<t[0-9]+@server\.example> / {
		n = $1
		gsub(/[<>t]/, "", n)
		sub(/@.*/, "", n)
		if (size != length(msg(n, "\r\n")))
			print "listed with " size " bytes: message " n
	}' "$mailq" >>"$T/p4bad"
	grep -Eq '^(Mail queue is empty|[0-9]+ messages? in the queue)$' "$mailq" || bad="$bad $k"
done
is "$bad$(cat "$T/p4bad")" "" "stage 4: mailq during the storm lists whole entries only"
deliveries "$D4" >"$T/deliv4"
is "$(grep -v ' whole$' "$T/deliv4")" "" "stage 4: every message delivered byte for byte"
is "$(awk '{ print $1 }' "$T/deliv4" | sort | uniq -d | tr '\n' ' ')" "" "stage 4: no message delivered twice"
is "$(awk -v a="$first" -v b="$n" '{ got[$1] = 1 }
    END { for (i = a; i <= b; i++) if (!(i in got)) printf "%d ", i }' "$T/deliv4")" "" \
    "stage 4: every message delivered"
stop_testd

done_testing
