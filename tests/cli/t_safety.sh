#!/bin/sh
# shellcheck disable=SC2119
# Failure paths where a wrong step would corrupt, duplicate or fake a
# delivery.  Two server misbehaviours smtp-testd cannot show come from a
# small scripted server (python3): one that stops reading after 354, one
# that sends a reply before the final dot.
. "${top_srcdir:-.}/tests/cli/lib.sh"

# 1. A reply to the final dot slower than `timeout` is still awaited:
#    RFC 5321 gives it 10 minutes, and giving up early would report a
#    failure for a message the server took (a retry would duplicate it).
start_testd --sessions 1 --stall dataend=3
write_conf "timeout 1"
printf 'Subject: slow\n\nbody\n' >"$T/in"
run_postie rcpt@server.example
is "$RC" 0 "slow reply to the dot with timeout 1: still exit 0"
is "$(nfiles 'msg-*.eml')" 1 "slow reply to the dot: delivered once"
stop_testd

# 2. With STARTTLS required, nothing before TLS is trusted: a 5xx greeting
#    or EHLO refusal is temporary (75), not permanent.
start_testd --sessions 1 --reply 'connect=554 5.3.2 go away'
write_conf "tls on" "timeout 5"
run_postie rcpt@server.example
is "$RC" 75 "tls on, 554 greeting: exit 75"
stop_testd
start_testd --sessions 1 --reply 'ehlo=550 5.7.1 no'
write_conf "tls on" "timeout 5"
run_postie rcpt@server.example
is "$RC" 75 "tls on, EHLO 550: exit 75"
stop_testd

if ! command -v python3 >/dev/null 2>&1; then
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP python3 is needed for the scripted server"
	done_testing
	exit $?
fi

# scripted MODE: a one-session server; writes its port to $T/sport and
# every byte it got after its 354 to $T/got.
cat >"$T/server.py" <<'EOP'
import socket, sys, time
mode, portfile, gotfile = sys.argv[1:4]
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
import os
os.rename(portfile + ".tmp", portfile)
ls.settimeout(20)
c, _ = ls.accept()
c.settimeout(20)
buf = b""
def line():
    global buf
    while b"\r\n" not in buf:
        d = c.recv(65536)
        if not d:
            raise SystemExit(0)
        buf += d
    l, buf = buf.split(b"\r\n", 1)
    return l
c.sendall(b"220 scripted\r\n")
line()
c.sendall(b"250-scripted\r\n250 PIPELINING\r\n")
line(); line(); line()          # MAIL, RCPT, DATA
if mode == "stall":
    c.sendall(b"250 ok\r\n250 ok\r\n354 go\r\n")
    time.sleep(3)               # stop reading: postie's writes block
elif mode == "stray":
    c.sendall(b"250 ok\r\n250 ok\r\n354 go\r\n250 2.0.0 fake\r\n")
elif mode == "stray-late":
    c.sendall(b"250 ok\r\n250 ok\r\n354 go\r\n")
    time.sleep(0.3)             # postie is sending the body now
    c.sendall(b"250 2.0.0 fake\r\n")
got = buf
try:
    while True:
        d = c.recv(65536)
        if not d:
            break
        got += d
        if got.endswith(b"\r\n.\r\n"):
            c.sendall(b"554 5.6.0 refused\r\n")
except OSError:
    pass
with open(gotfile, "wb") as f:
    f.write(got)
EOP

# scripted MODE [TIMEOUT]: start it, wait for its port, write the
# configuration (timeout 1 unless given).
scripted() {
	rm -f "$T/sport" "$T/got"
	python3 "$T/server.py" "$1" "$T/sport" "$T/got" &
	SCRIPTED_PID=$!
	i=0
	while [ ! -s "$T/sport" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	PORT=$(cat "$T/sport")
	write_conf "timeout ${2:-1}"
}

# 3. A server that stops reading mid-message: the write times out, exit
#    75, and what the server finally reads is a prefix of the message,
#    never bytes sent twice, never a final dot.  (From, Date and
#    Message-ID are given, so postie adds nothing to the header.)
awk 'BEGIN { printf "From: a@client.example\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\nMessage-ID: <big@client.example>\r\nSubject: big\r\n\r\n"; for (i = 0; i < 200000; i++) printf "%07d the quick brown fox jumps over the lazy dog\r\n", i }' >"$T/in"
scripted stall
run_postie rcpt@server.example
is "$RC" 75 "server stops reading mid-message: exit 75"
wait "$SCRIPTED_PID"
got=$(wc -c <"$T/got" | tr -d ' ')
ok "$([ "$got" -gt 0 ] && cmp -s -n "$got" "$T/got" "$T/in" && echo 0 || echo 1)" \
    "server stops reading: it got a prefix of the message ($got bytes), nothing twice"
lacks "$T/got" '^\.\r?$' "server stops reading: no final dot reached it"

# 4. A reply before the final dot would be taken for the dot's answer:
#    postie drops the connection instead (exit 75, no final dot).
printf 'Subject: stray\n\nbody\n' >"$T/in"
scripted stray
run_postie rcpt@server.example
is "$RC" 75 "reply before the dot: exit 75, not a fake success"
wait "$SCRIPTED_PID"
lacks "$T/got" '^\.\r?$' "reply before the dot: no final dot sent"

# 5. The same reply arriving while the body is still being sent: caught
#    by the check right before the final dot.
awk 'BEGIN { printf "From: a@client.example\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\nMessage-ID: <late@client.example>\r\nSubject: late\r\n\r\n"; for (i = 0; i < 200000; i++) printf "%07d the quick brown fox jumps over the lazy dog\r\n", i }' >"$T/in"
# A timeout well above the server's pause: under load a 1 s write
# deadline could pass before the server reads again, and the test would
# see a timeout instead of the stray reply.
scripted stray-late 5
run_postie rcpt@server.example
is "$RC" 75 "reply during the body: exit 75, not a fake success"
contains "$T/err" 'server sent data before the end of the message' "reply during the body: says why"
wait "$SCRIPTED_PID"
lacks "$T/got" '^\.\r?$' "reply during the body: no final dot sent"

done_testing
