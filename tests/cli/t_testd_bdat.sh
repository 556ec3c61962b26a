#!/bin/sh
# shellcheck disable=SC2119
# smtp-testd's CHUNKING (RFC 3030), SMTPUTF8 and recipient limits, seen
# from a raw client (python3): whole sessions pipelined in one write, and
# what testd stored, byte for byte.  The client engine's own BDAT tests
# are elsewhere; this checks the server side a client test relies on.
. "${top_srcdir:-.}/tests/cli/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP python3 is needed for the raw client"
	done_testing
	exit $?
fi

# raw IN OUT: connect to the newest server, wait for the greeting, send
# the bytes of file IN in one write, and write every byte the server sent
# until it closed to OUT (greeting included).
cat >"$T/raw.py" <<'EOP'
import socket, sys
port, infile, outfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = socket.create_connection(("127.0.0.1", port), timeout=20)
got = b""
while b"\r\n" not in got:
    d = c.recv(65536)
    if not d:
        break
    got += d
with open(infile, "rb") as f:
    c.sendall(f.read())
while True:
    try:
        d = c.recv(65536)
    except OSError:
        break
    if not d:
        break
    got += d
with open(outfile, "wb") as f:
    f.write(got)
EOP
raw() {
	python3 "$T/raw.py" "$PORT" "$1" "$2"
}

# py FILE CODE: write the bytes the python expression CODE gives to FILE.
py() {
	python3 -c "import sys; sys.stdout.buffer.write($2)" >"$1"
}

# 1. Two chunks with every byte value (CRLF.CRLF, bare LF, NUL, 8-bit)
#    and QUIT, pipelined after EHLO in one write.
start_testd --sessions 1 --chunking
py "$T/c1" 'bytes(range(256)) + b"\r\n.\r\nx\n.\n" + b"..\r\n"'
py "$T/c2" 'b"Subject: last\r\n\r\n\xc3\xa9t\xc3\xa9\r\n.\r\n"'
cat "$T/c1" "$T/c2" >"$T/want"
n1=$(wc -c <"$T/c1" | tr -d ' ')
n2=$(wc -c <"$T/c2" | tr -d ' ')
{
	printf 'EHLO raw.example\r\n'
	printf 'MAIL FROM:<s@raw.example> BODY=8BITMIME SMTPUTF8\r\n'
	printf 'RCPT TO:<r@testd.example>\r\n'
	printf 'BDAT %s\r\n' "$n1"
	cat "$T/c1"
	printf 'BDAT %s LAST\r\n' "$n2"
	cat "$T/c2"
	printf 'QUIT\r\n'
} >"$T/in1"
raw "$T/in1" "$T/out1"
wait_session 1
contains "$T/out1" '^250[- ]CHUNKING' "--chunking: CHUNKING offered"
contains "$T/out1" "^250 2\\.0\\.0 $n1 octets received" "first chunk: 250 with its size"
contains "$T/out1" '^250 2\.0\.0 Ok: queued' "BDAT LAST: queued"
contains "$T/out1" '^221 ' "QUIT answered after the chunks"
same_file "$(msg 1)" "$T/want" "msg-1.eml holds exactly the octets of both chunks"
contains "$(env_of 1)" '^mail s@raw\.example BODY=8BITMIME SMTPUTF8$' "msg-1.env: MAIL with its parameters"
contains "$(env_of 1)" '^rcpt r@testd\.example$' "msg-1.env: the recipient"
LOG=$SRV/dir/session-1.log
contains "$LOG" "^C: BDAT $n1\$" "transcript: the first BDAT line"
contains "$LOG" "^C: BDAT $n2 LAST\$" "transcript: BDAT LAST"
contains "$LOG" "^C: <BDAT $((n1 + n2)) bytes>\$" "transcript: the message's size"
lacks "$LOG" '^C: Subject' "transcript: no chunk octets as commands"
contains "$LOG" '^round_trips 1$' "one flight for MAIL, RCPT, both chunks and QUIT"
stop_testd

# 2. A chunk, then RSET: that message is gone; the next one is whole.
start_testd --sessions 1 --chunking
{
	printf 'EHLO raw.example\r\nMAIL FROM:<s@raw.example>\r\n'
	printf 'RCPT TO:<r@testd.example>\r\nBDAT 6\r\nfirst\n'
	printf 'RSET\r\nMAIL FROM:<t@raw.example>\r\nRCPT TO:<r@testd.example>\r\n'
	printf 'BDAT 7 LAST\r\nsecond\n'
	printf 'QUIT\r\n'
} >"$T/in2"
raw "$T/in2" "$T/out2"
wait_session 1
printf 'second\n' >"$T/want"
same_file "$(msg 1)" "$T/want" "BDAT then RSET: the next message has only its own chunk"
is "$(nfiles 'msg-*.eml')" 1 "BDAT then RSET: one message stored"
contains "$(env_of 1)" '^mail t@raw\.example$' "BDAT then RSET: the second envelope"
stop_testd

# 3. --reply on a BDAT: the message is refused, nothing stored, and the
#    rest of the session is in step.
start_testd --sessions 1 --chunking --reply 'bdat#1=452 4.3.1 Disk full'
{
	printf 'EHLO raw.example\r\nMAIL FROM:<s@raw.example>\r\n'
	printf 'RCPT TO:<r@testd.example>\r\nBDAT 5\r\nNOOP\n'
	printf 'BDAT 3 LAST\r\nabcNOOP\r\nQUIT\r\n'
} >"$T/in3"
raw "$T/in3" "$T/out3"
wait_session 1
is "$(grep -c '^452 4\.3\.1 Disk full' "$T/out3")" 2 "--reply bdat#1=452: that chunk and BDAT LAST refused"
contains "$T/out3" '^250 2\.0\.0 Ok' "  ... NOOP after them answered"
is "$(nfiles 'msg-*.eml')" 0 "  ... nothing stored"
stop_testd

# 4. Without --chunking: no CHUNKING, BDAT gets 502, its octets skipped.
start_testd --sessions 1
{
	printf 'EHLO raw.example\r\nBDAT 6 LAST\r\nRSET\r\nNOOP\r\nQUIT\r\n'
} >"$T/in4"
raw "$T/in4" "$T/out4"
wait_session 1
lacks "$T/out4" 'CHUNKING' "default: no CHUNKING offered"
contains "$T/out4" '^502 5\.5\.1' "default: BDAT gets 502"
lacks "$SRV/dir/session-1.log" '^C: RSET' "default: the octets after BDAT are not commands"
stop_testd

# 5. SMTPUTF8 and parameters (testd offers SMTPUTF8 by default).
start_testd --sessions 1 --no-ext DSN
{
	printf 'EHLO raw.example\r\n'
	printf 'MAIL FROM:<j\303\266rg@raw.example>\r\n'
	printf 'MAIL FROM:<s@raw.example> NOTIFY=NEVER\r\n'
	printf 'MAIL FROM:<s@raw.example> RET=HDRS\r\n'
	printf 'MAIL FROM:<j\303\266rg@raw.example> SMTPUTF8\r\n'
	printf 'RCPT TO:<z\303\253@testd.example>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n'
} >"$T/in5"
raw "$T/in5" "$T/out5"
wait_session 1
contains "$T/out5" '^553 5\.6\.7 ' "UTF-8 sender without SMTPUTF8: 553 5.6.7"
is "$(grep -c '^555 5\.5\.4 ' "$T/out5")" 2 "NOTIFY on MAIL, RET without DSN: 555"
printf 'helo raw.example\nmail j\303\266rg@raw.example SMTPUTF8\nrcpt z\303\253@testd.example\n' >"$T/want"
same_file "$(env_of 1)" "$T/want" "UTF-8 with SMTPUTF8: msg-1.env has both paths as sent"
stop_testd

# 6. --rcpt-max announces LIMITS and enforces it; --rcpt-limit only
#    enforces.
for opt in max limit; do
	start_testd --sessions 1 "--rcpt-$opt" 2
	{
		printf 'EHLO raw.example\r\nMAIL FROM:<s@raw.example>\r\n'
		printf 'RCPT TO:<a@testd.example>\r\nRCPT TO:<b@testd.example>\r\n'
		printf 'RCPT TO:<c@testd.example>\r\nQUIT\r\n'
	} >"$T/in6"
	raw "$T/in6" "$T/out6"
	wait_session 1
	if [ "$opt" = max ]; then
		contains "$T/out6" '^250[- ]LIMITS RCPTMAX=2' "--rcpt-max 2: LIMITS RCPTMAX=2 announced"
	else
		lacks "$T/out6" 'LIMITS' "--rcpt-limit 2: no LIMITS"
	fi
	is "$(grep -c '^250 2\.1\.5' "$T/out6")" 2 "--rcpt-$opt 2: two recipients taken"
	contains "$T/out6" '^452 4\.5\.3 Error: too many recipients' "--rcpt-$opt 2: the third gets 452 4.5.3"
	stop_testd
done

done_testing
