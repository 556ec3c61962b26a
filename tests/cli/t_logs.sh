#!/bin/sh
# shellcheck disable=SC2119
# The message log (postie.8, LOGGING; deliver/msglog.h): one line a
# message in a log file (`logfile`, text or `log_format json`) or in
# syslog (`syslog [FACILITY]`, -L TAG), with exact content.
. "${top_srcdir:-.}/tests/cli/lib.sh"

# skip REASON: one skipped test point.
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
}

# re STRING: STRING as an ERE that matches it literally.
re() {
	printf '%s\n' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'
}

# msgid N: the Message-ID of message N, without <>.
msgid() {
	sed -n "s/^Message-ID: <\\(.*\\)>$CR\$/\\1/p" "$(msg "$1")"
}

# size N: message N's size in bytes.
size() {
	wc -c <"$(msg "$1")" | tr -d ' '
}

# lines FILE: its number of lines.
lines() {
	wc -l <"$1" | tr -d ' '
}

STAMP='^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} '
DELAY='[0-9]+\.[0-9]{3}'
FROM='from=<sender@client\.example>'
OK250='reply="250 2\.0\.0 Ok: queued"'
# relay: the relay= of a session with the newest server.
relay() {
	echo "relay=\"127\\.0\\.0\\.1 \\[127\\.0\\.0\\.1:$PORT\\]\""
}

# 1. One recipient, sent: one line, every field in order.  The Message-ID
#    is the one postie added.  size is the message as submitted: header
#    as sent (Date, From, Message-ID added), every line ending in CRLF,
#    without the dot-stuffing of the transfer (the body has a line that
#    starts with a dot): the same as the SIZE= postie declared on MAIL
#    and the bytes smtp-testd stored (RFC 1870 counts the message that
#    way), not the size of the LF-terminated input.
start_testd
write_conf "logfile $T/log"
printf 'Subject: log\n\nbody\n.dot line\n' >"$T/in"
run_postie a@server.example
is "$RC" 0 "sent: exit 0"
is "$(cat "$T/err")" "" "sent: nothing on stderr"
is "$(lines "$T/log")" 1 "sent: one line"
contains "$T/log" "$STAMP""msgid=<$(re "$(msgid 1)")> $FROM size=$(size 1) $(relay) delay=$DELAY outcome=sent to=<a@server\\.example> status=sent $OK250\$" "sent: the line, field by field"
contains "$(env_of 1)" "^mail sender@client\\.example SIZE=$(size 1)\$" "sent: size= is the SIZE= declared"
ok "$([ "$(size 1)" -ne "$(wc -c <"$T/in")" ] && echo 0 || echo 1)" "sent: size is not the input's size (LF, no added fields)"

# 2. Two recipients, one refused for good: outcome partial, each with its
#    status and the server's reply; exit 0 and one line on stderr.
stop_testd
start_testd --reply-rcpt 'bad*=550 5.1.1 no such user'
write_conf "logfile $T/log2"
run_postie good@server.example bad@server.example
is "$RC" 0 "partial: exit 0"
is "$(lines "$T/err")" 1 "partial: one line on stderr"
contains "$T/err" '^postie: <bad@server\.example>: 550 5\.1\.1 no such user$' "partial: the refused recipient on stderr"
is "$(lines "$T/log2")" 1 "partial: one line"
contains "$T/log2" "$STAMP""msgid=<$(re "$(msgid 1)")> $FROM size=$(size 1) $(relay) delay=$DELAY outcome=partial to=<good@server\\.example> status=sent $OK250 to=<bad@server\\.example> status=bounced reply=\"550 5\\.1\\.1 no such user\"\$" "partial: the line"

# Every recipient refused: bounced, exit 67.
stop_testd
start_testd --reply 'rcpt=550 5.1.1 no such user'
write_conf "logfile $T/log3"
run_postie a@server.example b@server.example
is "$RC" 67 "bounced: exit 67"
contains "$T/log3" "$STAMP""msgid=<[^>]+> $FROM size=[0-9]+ $(relay) delay=$DELAY outcome=bounced to=<a@server\\.example> status=bounced reply=\"550 5\\.1\\.1 no such user\" to=<b@server\\.example> status=bounced reply=\"550 5\\.1\\.1 no such user\"\$" "bounced: the line"

# A session refused for good at the greeting: failed, with error=.
stop_testd
start_testd --reply 'connect=554 5.3.2 go away'
write_conf "logfile $T/log4"
run_postie a@server.example
is "$RC" 69 "failed: exit 69"
contains "$T/log4" "$STAMP""msgid=<[^>]+> $FROM size=[0-9]+ $(relay) delay=$DELAY outcome=failed to=<a@server\\.example> status=bounced reply=\"server refused the session: 554 5\\.3\\.2 go away\" error=\"server refused the session: 554 5\\.3\\.2 go away\"\$" "failed: the line, with error="
stop_testd

# 3. Nobody listening (a port a server had and gave back): the session
#    fails before any recipient is decided, for now (connection refused
#    is temporary): deferred, not failed; relay=none (no connection),
#    every recipient deferred with the reason, error= the same; exit 75.
start_testd
stop_testd
write_conf "logfile $T/log5"
run_postie a@server.example b@server.example
is "$RC" 75 "server down: exit 75"
is "$(lines "$T/log5")" 1 "server down: one line"
why="connect to 127\\.0\\.0\\.1:$PORT: Connection refused"
contains "$T/log5" "$STAMP""msgid=<[^>]+> $FROM size=[0-9]+ relay=none delay=$DELAY outcome=deferred to=<a@server\\.example> status=deferred reply=\"$why\" to=<b@server\\.example> status=deferred reply=\"$why\" error=\"$why\"\$" "server down: the line"

# 4. A hostile reply: '"' and '\' to close the quotes and forge fields,
#    a tab, UTF-8, a C1 control (U+0085) and U+2028.  (smtp-testd turns
#    other control bytes into "?" before they leave, so they cannot be
#    sent from here; deliver/msglog's unit tests cover them.)  The client
#    renders a reply printable first (smtp_reply_format: '\' as "\\",
#    a tab as "\t", each byte >= 0x7f as "\xHH"), so what reaches the log
#    is ASCII, with '"' and '\' still to escape.
hostile=$(printf '550 5.1.1 x" status=sent to=<forged@evil.example> reply="y \\ z\t\303\251 \302\205 \342\200\250 end')
start_testd --reply-rcpt "bad*=$hostile"
write_conf "logfile $T/log6"
run_postie good@server.example bad@server.example
is "$RC" 0 "hostile reply: exit 0"
is "$(lines "$T/log6")" 1 "hostile reply: still one line"
lacks "$T/log6" '[[:cntrl:]]' "hostile reply: no control byte in the log"
rendered='550 5.1.1 x" status=sent to=<forged@evil.example> reply="y \\ z\t\xc3\xa9 \xc2\x85 \xe2\x80\xa8 end'
contains "$T/err" "^postie: <bad@server\\.example>: $(re "$rendered")\$" "hostile reply: stderr has the printable rendering"
# Escaped once (msglog.h): '"' as \" and '\' as \\ inside the quotes.
logged=$(printf '%s\n' "$rendered" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
contains "$T/log6" " status=bounced reply=\"$(re "$logged")\"\$" "hostile reply: quoted and escaped once"
# A reader of the quoting (\X is X, a bare '"' ends the value) must see
# the fields postie wrote: to, status, reply, twice.
awk '{
	s = $0; sub(/^[^ ]+ [^ ]+ /, "", s); out = ""
	while (s != "") {
		if (match(s, /^[a-z]+=/) == 0) { out = out " ?"; break }
		k = substr(s, 1, RLENGTH - 1); s = substr(s, RLENGTH + 1)
		if (substr(s, 1, 1) == "\"") {
			s = substr(s, 2)
			while (s != "" && substr(s, 1, 1) != "\"")
				s = substr(s, substr(s, 1, 1) == "\\" ? 3 : 2)
			s = substr(s, 2)
		} else
			sub(/^[^ ]*/, "", s)
		sub(/^ /, "", s); out = out " " k
	}
	print substr(out, 2)
}' "$T/log6" >"$T/keys6"
printf 'msgid from size relay delay outcome to status reply to status reply\n' >"$T/want6"
tap_n=$((tap_n + 1))
if cmp -s "$T/keys6" "$T/want6"; then
	echo "ok $tap_n - hostile reply: a reader sees exactly the fields written"
else
	echo "not ok $tap_n - hostile reply: a reader sees exactly the fields written"
	echo "#   keys: $(cat "$T/keys6")"
fi

# A UTF-8 address passes unchanged in the text line (msglog.h).
write_conf "logfile $T/log7"
run_postie "j$(printf '\303\266')rg@server.example"
is "$RC" 0 "UTF-8 recipient: exit 0"
contains "$T/log7" " to=<j$(printf '\303\266')rg@server\\.example> status=sent " "UTF-8 recipient: written as UTF-8"

# Many recipients: the line is whole (up to 64 KiB, then more=N); 120
# recipients make a line of about 9 KB.
rcpts=$(awk 'BEGIN { for (i = 1; i <= 120; i++) printf "rcpt-%03d@server.example ", i }')
write_conf "logfile $T/log8"
# shellcheck disable=SC2086 # one word each
run_postie $rcpts
is "$RC" 0 "120 recipients: exit 0"
is "$(lines "$T/log8")" 1 "120 recipients: one line"
contains "$T/log8" " to=<rcpt-120@server\\.example> status=sent $OK250\$" "120 recipients: the line is whole"
stop_testd

# `logfile -`: the line goes to the standard output.
start_testd
write_conf "logfile -"
run_postie a@server.example
is "$RC" 0 "logfile -: exit 0"
is "$(lines "$T/out")" 1 "logfile -: one line on stdout"
contains "$T/out" "$STAMP""msgid=<$(re "$(msgid 1)")> $FROM size=$(size 1) $(relay) delay=$DELAY outcome=sent to=<a@server\\.example> status=sent $OK250\$" "logfile -: the line"

# A log file that cannot be opened: exit 73 before any connection.
write_conf "logfile $T/nonexistent/log"
run_postie a@server.example
is "$RC" 73 "unopenable log file: exit 73"
contains "$T/err" "^postie: cannot open log file $(re "$T")/nonexistent/log: " "unopenable log file: says so"
is "$(nfiles 'session-*.log')" 1 "unopenable log file: no connection"
stop_testd

# 5. log_format json: one object a line, "time" first; every line parses
#    (python3) and holds the fields, the hostile reply and the UTF-8
#    address decoded as they were.
if command -v python3 >/dev/null 2>&1; then
	cat >"$T/flat.py" <<'EOP'
import json, sys
sys.stdout.reconfigure(encoding="utf-8")
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    try:
        o = json.loads(line)
    except ValueError as e:
        print("%d invalid %s" % (n, e))
        continue
    print("%d keys=%s" % (n, ",".join(o)))
    for k, v in o.items():
        if k != "recipients":
            print("%d %s:%s=%s" % (n, k, type(v).__name__, v))
            continue
        for i, r in enumerate(v):
            print("%d rcpt%d keys=%s" % (n, i, ",".join(r)))
            for rk, rv in r.items():
                print("%d rcpt%d.%s=%s" % (n, i, rk, rv))
EOP
	utf8="j$(printf '\303\266')rg@server.example"
	start_testd --reply-rcpt "bad*=$hostile"
	write_conf "logfile $T/json" "log_format json"
	run_postie "$utf8" bad@server.example
	is "$RC" 0 "json: exit 0"
	jmid=$(msgid 1) jsize=$(size 1) jport=$PORT
	# shellcheck disable=SC2086 # one word each
	run_postie $rcpts
	is "$RC" 0 "json, 120 recipients: exit 0"
	stop_testd
	run_postie a@server.example
	is "$RC" 75 "json, server down: exit 75"
	is "$(lines "$T/json")" 3 "json: one line a message"
	contains "$T/json" '^\{"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4}","msgid":' "json: the time first, then msgid"
	python3 "$T/flat.py" "$T/json" >"$T/flat"
	lacks "$T/flat" '^[0-9]+ invalid' "json: every line is valid JSON"
	# jv N KEY: the flattened value.
	jv() {
		sed -n "s/^$1 $2=//p" "$T/flat"
	}
	is "$(jv 1 keys)" "time,msgid,from,size,relay,delay,outcome,recipients" "json: the members, in order"
	is "$(jv 1 msgid:str)" "$jmid" "json: msgid is the Message-ID"
	is "$(jv 1 from:str)" "sender@client.example" "json: from"
	is "$(jv 1 size:int)" "$jsize" "json: size, a number"
	is "$(jv 1 relay:str)" "127.0.0.1 [127.0.0.1:$jport]" "json: relay"
	contains "$T/flat" '^1 delay:float=[0-9]+\.[0-9]+$' "json: delay, a number"
	is "$(jv 1 outcome:str)" "partial" "json: outcome"
	is "$(jv 1 "rcpt0 keys")" "to,status,reply" "json: recipient members"
	is "$(jv 1 rcpt0.to)" "$utf8" "json: a UTF-8 address as it is"
	is "$(jv 1 rcpt0.status)" "sent" "json: first status"
	is "$(jv 1 rcpt0.reply)" "250 2.0.0 Ok: queued" "json: first reply"
	is "$(jv 1 rcpt1.to)" "bad@server.example" "json: second recipient"
	is "$(jv 1 rcpt1.status)" "bounced" "json: second status"
	is "$(jv 1 rcpt1.reply)" "$rendered" "json: the hostile reply, decoded as postie holds it"
	is "$(jv 2 keys)" "time,msgid,from,size,relay,delay,outcome,recipients" "json, 120 recipients: whole, no more"
	is "$(grep -c '^2 rcpt[0-9]*\.to=' "$T/flat")" 120 "json, 120 recipients: all listed"
	is "$(jv 2 rcpt119.to)" "rcpt-120@server.example" "json, 120 recipients: the last one"
	is "$(jv 3 keys)" "time,msgid,from,size,delay,outcome,recipients,error" "json, server down: no relay, an error"
	is "$(jv 3 outcome:str)" "deferred" "json, server down: deferred"
	is "$(jv 3 error:str)" "connect to 127.0.0.1:$jport: Connection refused" "json, server down: the error"
	is "$(jv 3 rcpt0.status)" "deferred" "json, server down: the recipient deferred"
else
	skip "python3 is needed to parse the JSON lines"
fi

# 6. -L without syslog configured changes nothing: no log anywhere.
start_testd
write_conf
before=$(ls -A "$T")
run_postie -L myapp a@server.example
is "$RC" 0 "-L without syslog: exit 0"
is "$(cat "$T/out" "$T/err")" "" "-L without syslog: nothing on stdout or stderr"
is "$(ls -A "$T")" "$before" "-L without syslog: no file written"
is "$(nfiles 'msg-*.eml')" 1 "-L without syslog: delivered"
run_postie -L '' a@server.example
is "$RC" 64 "-L '': usage error"
contains "$T/err" '^postie: -L takes a syslog tag$' "-L '': says so"
stop_testd

# 7. syslog.  glibc's syslog(3) always writes to /dev/log, and CI machines
#    (containers) often have no /dev/log at all, or one whose lines this
#    test cannot read.  So, as root only: a private mount namespace
#    (unshare -m, propagation private: no mount is seen outside) with a
#    /dev of our own, $T/dev, holding null, zero, random and urandom (bind
#    mounts of the real ones, brought along by --rbind) and a Unix
#    datagram socket at $T/dev/log, bound by a python3 listener that
#    appends each datagram as a line to $T/syslog.out.  The listener is
#    ready (bound) before /dev is replaced and postie runs; after each run
#    a marker datagram, queued behind postie's, tells when the listener
#    has written them.  It is stopped by its PID on every exit of the
#    namespace's shell, and exits by itself after 60 s without a
#    datagram; the namespace ends with that shell.  Outside, $T gets only
#    plain files.
if [ "$(id -u)" -ne 0 ]; then
	skip "syslog: needs root for a private /dev (unshare -m)"
elif ! command -v python3 >/dev/null 2>&1; then
	skip "syslog: python3 is needed for the /dev/log listener"
elif ! unshare -m --propagation private true 2>/dev/null; then
	skip "syslog: unshare -m does not work here"
elif [ ${#T} -gt 90 ]; then
	skip "syslog: $T is too long for a socket's name"
else
	cat >"$T/listen.py" <<'EOP'
import socket, sys
path, out, ready = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(60)
open(ready, "w").close()
with open(out, "ab", buffering=0) as f:
    while True:
        try:
            d = s.recv(1 << 20)
        except socket.timeout:
            break
        f.write(d.rstrip(b"\0") + b"\n")
EOP
	cat >"$T/ns.sh" <<'EOS'
# In the private mount namespace (t_logs.sh): $1 is $T, $2 postie.
T=$1 POSTIE=$2
lpid=
stop() {
	[ -z "$lpid" ] || { kill "$lpid"; wait "$lpid"; } 2>/dev/null
	lpid=
}
trap stop EXIT
trap 'exit 99' INT TERM HUP
set -e
mkdir "$T/dev"
for d in null zero random urandom; do
	: >"$T/dev/$d"
	mount --bind "/dev/$d" "$T/dev/$d"
done
python3 "$T/listen.py" "$T/dev/log" "$T/syslog.out" "$T/ready" &
lpid=$!
i=0
while [ ! -e "$T/ready" ]; do
	kill -0 "$lpid"
	[ $i -lt 200 ] || { echo "listener not ready"; exit 1; }
	sleep 0.05
	i=$((i + 1))
done
# --rbind: the bind mounts inside $T/dev come along (with --bind they
# would be the empty files under them).
mount --rbind "$T/dev" /dev
for d in null zero random urandom; do
	[ -c "/dev/$d" ]
done
set +e
# run NAME CONF ARGS...: postie, its PID and exit status in $T/ns-NAME,
# then the marker "--- NAME" through /dev/log, awaited in the output.
run() {
	name=$1 conf=$2
	shift 2
	"$POSTIE" -C "$T/$conf" "$@" <"$T/in" >"$T/ns-$name.out" 2>"$T/ns-$name.err" &
	pid=$!
	wait "$pid"
	echo "$pid $?" >"$T/ns-$name"
	python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(sys.argv[2].encode(), sys.argv[1])' /dev/log "--- $name"
	i=0
	until grep -qx -- "--- $name" "$T/syslog.out" 2>/dev/null; do
		[ $i -lt 200 ] || { echo "marker $name not seen"; exit 1; }
		sleep 0.05
		i=$((i + 1))
	done
}
run A conf-a a@server.example
run B conf-b -L myapp a@server.example
run C conf-c a@server.example
run D conf-d a@server.example
run E conf-e good@server.example bad@server.example
run F conf-f -L myapp a@server.example
EOS
	# C: a port where nobody listens (a server had it and gave it back).
	start_testd
	stop_testd
	write_conf "syslog"
	mv "$T/conf" "$T/conf-c"
	start_testd --reply-rcpt "bad*=$hostile"
	for c in a:syslog b:"syslog LOG_LOCAL3" d:"syslog on
log_format json" e:"syslog LOG_USER
log_format json" f:; do
		write_conf "${c#*:}"
		mv "$T/conf" "$T/conf-${c%%:*}"
	done
	[ -e /dev/log ] || [ -L /dev/log ]
	devlog_before=$?
	unshare -m --propagation private sh "$T/ns.sh" "$T" "$POSTIE" >"$T/ns.log" 2>&1
	is "$?" 0 "syslog: the private /dev and its listener worked"
	sed 's/^/#   ns: /' "$T/ns.log"
	[ -e /dev/log ] || [ -L /dev/log ]
	is "$?" "$devlog_before" "syslog: /dev/log outside is as it was"
	lacks /proc/self/mountinfo " $(re "$T")/" "syslog: no mount left outside"

	# sl NAME: the syslog lines of run NAME, in $T/sl-NAME.
	sl() {
		awk -v r="--- $1" '$0 == r { printf "%s", b; exit }
		    /^--- / { b = ""; next } { b = b $0 "\n" }' \
		    "$T/syslog.out" >"$T/sl-$1"
		echo "$T/sl-$1"
	}
	# pid NAME / rc NAME: postie's PID and exit status in run NAME.
	pid() {
		cut -d' ' -f1 "$T/ns-$1"
	}
	rc() {
		cut -d' ' -f2 "$T/ns-$1" 2>/dev/null
	}
	SYSTIME='[A-Z][a-z]{2} [ 1-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}'
	# A: LOG_MAIL (2) | LOG_INFO (6) = 22, ident postie, with the PID.
	is "$(rc A)" 0 "syslog: exit 0"
	is "$(lines "$(sl A)")" 1 "syslog: one line"
	contains "$T/sl-A" "^<22>$SYSTIME postie\\[$(pid A)\\]: msgid=<$(re "$(msgid 1)")> $FROM size=$(size 1) $(relay) delay=$DELAY outcome=sent to=<a@server\\.example> status=sent $OK250\$" "syslog: <22> (mail.info), postie[PID], the line"
	# B: LOG_LOCAL3 (19) | LOG_INFO = 158, ident from -L.
	is "$(rc B)" 0 "syslog LOG_LOCAL3 -L myapp: exit 0"
	is "$(lines "$(sl B)")" 1 "syslog LOG_LOCAL3 -L myapp: one line"
	contains "$T/sl-B" "^<158>$SYSTIME myapp\\[$(pid B)\\]: msgid=<$(re "$(msgid 2)")> $FROM size=$(size 2) $(relay) delay=$DELAY outcome=sent to=<a@server\\.example> status=sent $OK250\$" "syslog LOG_LOCAL3 -L myapp: <158> (local3.info), myapp[PID]"
	# C: a failure is logged at LOG_ERR (3): 2 * 8 + 3 = 19.
	is "$(rc C)" 75 "syslog, server down: exit 75"
	contains "$(sl C)" "^<19>$SYSTIME postie\\[$(pid C)\\]: msgid=<[^>]+> $FROM size=[0-9]+ relay=none delay=$DELAY outcome=deferred to=<a@server\\.example> status=deferred reply=\"[^\"]*Connection refused\" error=\"[^\"]*Connection refused\"\$" "syslog, server down: <19> (mail.err)"
	# D: json in syslog: the object after the tag, without "time" (syslog
	#    has its own), and valid.
	is "$(rc D)" 0 "syslog json: exit 0"
	contains "$(sl D)" "^<22>$SYSTIME postie\\[$(pid D)\\]: \\{\"msgid\":\"$(re "$(msgid 3)")\",\"from\":\"sender@client\\.example\",\"size\":$(size 3),\"relay\":\"127\\.0\\.0\\.1 \\[127\\.0\\.0\\.1:$PORT\\]\",\"delay\":$DELAY,\"outcome\":\"sent\",\"recipients\":\\[\\{\"to\":\"a@server\\.example\",\"status\":\"sent\",\"reply\":\"250 2\\.0\\.0 Ok: queued\"\\}\\]\\}\$" "syslog json: the object"
	# E: json in syslog with the hostile reply: still valid JSON.
	is "$(rc E)" 0 "syslog json, hostile reply: exit 0"
	contains "$(sl E)" "^<14>$SYSTIME postie\\[$(pid E)\\]: \\{" "syslog json, hostile reply: <14> (user.info)"
	sed 's/^[^{]*//' "$T/sl-E" >"$T/sl-E.json"
	python3 "$T/flat.py" "$T/sl-E.json" >"$T/flat-E"
	tap_n=$((tap_n + 1))
	if [ "$(sed -n 's/^1 rcpt1\.reply=//p' "$T/flat-E")" = "$rendered" ]; then
		echo "ok $tap_n - syslog json, hostile reply: valid, the reply decoded"
	else
		echo "not ok $tap_n - syslog json, hostile reply: valid, the reply decoded"
		sed 's/^/#   | /' "$T/flat-E" | head -3
	fi
	# F: -L without syslog: nothing reaches /dev/log.
	is "$(rc F)" 0 "-L without syslog: exit 0"
	is "$(lines "$(sl F)")" 0 "-L without syslog: nothing sent to syslog"
	stop_testd
fi

done_testing
