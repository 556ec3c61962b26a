#!/bin/sh
# shellcheck disable=SC2119
# CHUNKING (RFC 3030) and many recipients (RFC 5321 4.5.3.1.10, RFC 9422
# LIMITS RCPTMAX), against smtp-testd: the exact bytes stored, the
# commands in the transcript, the transactions, the exit code.
. "${top_srcdir:-.}/tests/cli/lib.sh"

# Every recipient of envelope N, one per line.
rcpts_of() {
	sed -n 's/^rcpt //p' "$(env_of "$1")"
}

# 1. BDAT, one recipient: MAIL + RCPT + BDAT LAST + QUIT in one flight,
# the message stored exactly (not stuffed: dots as they are).
start_testd --chunking
write_conf
printf 'Subject: chunks\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@client.example>\r\nFrom: sender@client.example\r\n\r\n.dot\r\n..two\r\nend\r\n' >"$T/in"
run_postie a@server.example
is "$RC" 0 "BDAT: exit 0"
is "$(cat "$T/err")" "" "BDAT: silent"
same_file "$(msg 1)" "$T/in" "BDAT: the server stored the message byte for byte"
wait_session 1
log=$SRV/dir/session-1.log
size=$(wc -c <"$T/in" | tr -d ' ')
contains "$log" "^C: BDAT $size LAST\$" "BDAT: one chunk, LAST, of the message's size"
lacks "$log" '^C: DATA' "BDAT: no DATA"
contains "$log" '^round_trips 2$' "BDAT: two round trips (EHLO, then the rest), one fewer than DATA"

# 2. LF-only input: normalised before counting; a long line is folded.
awk 'BEGIN { printf "Subject: long\n\n"; for (i = 0; i < 1500; i++) printf "x"; printf "\n.\n" }' >"$T/in"
run_postie -i a@server.example
is "$RC" 0 "BDAT, LF input: exit 0"
wait_session 2
awk 'BEGIN { printf "Subject: long\r\n\r\n"; for (i = 0; i < 998; i++) printf "x"; printf "\r\n "; for (i = 0; i < 502; i++) printf "x"; printf "\r\n.\r\n" }' >"$T/want"
# Date, From and Message-ID were added in front: compare from Subject on.
sed -n '/^Subject: long/,$p' "$(msg 2)" >"$T/got"
same_file "$T/got" "$T/want" "BDAT: CRLF line ends, a line over 998 octets folded, no stuffing"

# 3. A message bigger than one chunk (256 KiB): several BDATs, same bytes.
awk 'BEGIN { printf "Subject: big\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <2@client.example>\r\nFrom: sender@client.example\r\n\r\n"; for (i = 0; i < 12000; i++) printf "%070d\r\n", i }' >"$T/in"
run_postie a@server.example
is "$RC" 0 "BDAT, 850 KB: exit 0"
same_file "$(msg 3)" "$T/in" "BDAT, 850 KB: stored byte for byte"
wait_session 3
is "$(grep -c '^C: BDAT [0-9]*$' "$SRV/dir/session-3.log")" 3 "BDAT, 850 KB: three chunks before LAST"
contains "$SRV/dir/session-3.log" '^C: BDAT [0-9]+ LAST$' "BDAT, 850 KB: then LAST"

# 4. Two recipients, one deferred (4xx): the chunk went, LAST did not;
# nothing delivered, exit 75.
stop_testd
start_testd --chunking --reply-rcpt 'b@server.example=450 4.2.1 busy'
write_conf
printf 'Subject: two\n\nbody\n' >"$T/in"
run_postie a@server.example b@server.example
is "$RC" 75 "BDAT, a 4xx recipient: exit 75"
is "$(nfiles 'msg-*.eml')" 0 "BDAT, a 4xx recipient: nothing delivered"
wait_session 1
log=$SRV/dir/session-1.log
contains "$log" '^C: BDAT [0-9]+$' "BDAT, a 4xx recipient: the data went ahead..."
lacks "$log" 'LAST' "...but never LAST"
contains "$T/err" 'b@server.example.*450 4.2.1 busy' "BDAT, a 4xx recipient: says why"

# Both accepted: LAST after the RCPT replies, delivered once.
stop_testd
start_testd --chunking
write_conf
run_postie a@server.example b@server.example
is "$RC" 0 "BDAT, two recipients: exit 0"
is "$(rcpts_of 1 | tr '\n' ' ')" "a@server.example b@server.example " "BDAT, two recipients: one message to both"
wait_session 1
contains "$SRV/dir/session-1.log" '^C: BDAT 0 LAST$' "BDAT, two recipients: LAST alone once the RCPTs are in"

# 5. 452 too many recipients: the rest in further transactions.
stop_testd
start_testd --rcpt-limit 2
write_conf
run_postie r1@server.example r2@server.example r3@server.example r4@server.example r5@server.example
is "$RC" 0 "452 too many: exit 0"
is "$(cat "$T/err")" "" "452 too many: silent"
is "$(nfiles 'msg-*.eml')" 3 "452 too many: three transactions"
is "$(rcpts_of 1 | tr '\n' ' ')" "r1@server.example r2@server.example " "452 too many: first two"
is "$(rcpts_of 2 | tr '\n' ' ')" "r3@server.example r4@server.example " "452 too many: next two"
is "$(rcpts_of 3 | tr '\n' ' ')" "r5@server.example " "452 too many: the last"
same_file "$(msg 1)" "$(msg 3)" "452 too many: the same message each time"
is "$(nfiles 'session-*.log')" 1 "452 too many: one connection"
wait_session 1
is "$(grep -c '^C: QUIT' "$SRV/dir/session-1.log")" 1 "452 too many: one QUIT, at the end"

# The same with BDAT.
stop_testd
start_testd --rcpt-limit 2 --chunking
write_conf
run_postie r1@server.example r2@server.example r3@server.example
is "$RC" 0 "452 too many, BDAT: exit 0"
is "$(nfiles 'msg-*.eml')" 2 "452 too many, BDAT: two transactions"
is "$(rcpts_of 2 | tr '\n' ' ')" "r3@server.example " "452 too many, BDAT: the rest"

# 6. LIMITS RCPTMAX: never more than announced, no 452 needed.
stop_testd
start_testd --rcpt-max 2
write_conf
run_postie r1@server.example r2@server.example r3@server.example r4@server.example r5@server.example
is "$RC" 0 "RCPTMAX=2: exit 0"
is "$(nfiles 'msg-*.eml')" 3 "RCPTMAX=2: three transactions"
wait_session 1
lacks "$SRV/dir/session-1.log" '^S: 452' "RCPTMAX=2: no 452"
is "$(rcpts_of 3 | tr '\n' ' ')" "r5@server.example " "RCPTMAX=2: the last alone"

# 7. A further transaction that fails for now: the first ones got the
# message, the rest are reported, exit 0 (no retry would be right for the
# first ones).
stop_testd
start_testd --rcpt-limit 1 --reply 'mail#2=451 4.3.0 try later'
write_conf
run_postie r1@server.example r2@server.example
is "$RC" 0 "further transaction refused for now: exit 0"
is "$(nfiles 'msg-*.eml')" 1 "further transaction refused for now: the first delivered"
contains "$T/err" 'r2@server.example.*451 4.3.0 try later' "further transaction refused for now: the other reported"
stop_testd

done_testing
