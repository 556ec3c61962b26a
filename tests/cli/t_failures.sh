#!/bin/sh
# shellcheck disable=SC2119
# Exit codes and error lines for each failure, and what the server got.
. "${top_srcdir:-.}/tests/cli/lib.sh"

printf 'Subject: f\n\nbody\n' >"$T/in"

# expect_fail CODE PATTERN NAME [testd options]: one failing submission
# to a fresh server; checks exit code, one stderr line, no message stored.
expect_fail() {
	code=$1 pattern=$2 name=$3
	shift 3
	start_testd "$@"
	write_conf "timeout 2"
	run_postie rcpt@server.example
	is "$RC" "$code" "$name: exit $code"
	is "$(wc -l <"$T/err" | tr -d ' ')" 1 "$name: one line on stderr"
	contains "$T/err" "$pattern" "$name: says why"
	is "$(nfiles 'msg-*.eml')" 0 "$name: nothing delivered"
	stop_testd
}

expect_fail 69 '554' "greeting 554" --reply 'connect=554 5.3.2 go away'
expect_fail 75 '421' "greeting 421" --reply 'connect=421 4.3.2 busy'
expect_fail 69 '550 5\.7\.1' "EHLO and HELO refused" --reply 'ehlo=550 5.7.1 no' --reply 'helo=550 5.7.1 no'
expect_fail 75 '451 4\.3\.0' "MAIL 451" --reply 'mail=451 4.3.0 try later'
expect_fail 69 '553 5\.7\.1' "MAIL 553 policy" --reply 'mail=553 5.7.1 not you'
expect_fail 67 'rcpt@server.example.*550 5\.1\.1' "RCPT 550 5.1.1" --reply 'rcpt=550 5.1.1 no such user'
expect_fail 75 '450 4\.2\.1' "RCPT 450" --reply 'rcpt=450 4.2.1 mailbox busy'
expect_fail 69 '554 5\.5\.1' "DATA 554" --reply 'data=554 5.5.1 no'
expect_fail 75 '451 4\.3\.0' "end of data 451" --reply 'dataend=451 4.3.0 disk full'
expect_fail 65 '554 5\.6\.0' "end of data 554 5.6.0" --reply 'dataend=554 5.6.0 bad content'
expect_fail 75 'closed' "connection dropped after MAIL" --after mail=drop
expect_fail 75 '421' "421 at RCPT" --after rcpt=421
expect_fail 75 'closed' "connection dropped at end of data" --after dataend=drop
expect_fail 75 'timeout' "server stalls at greeting" --stall connect=5

# Connection refused: a port that a server had and gave back.
start_testd
write_conf
stop_testd
run_postie rcpt@server.example
is "$RC" 75 "connection refused: exit 75"
contains "$T/err" '127\.0\.0\.1.*refused' "connection refused: names the address"

# One recipient of two refused for good: the other gets the message, exit 0,
# and the refused one is reported.
start_testd --reply-rcpt 'bad*=550 5.1.1 no such user'
write_conf
run_postie good@server.example bad@server.example
is "$RC" 0 "one of two refused: exit 0"
contains "$T/err" '^postie: <bad@server\.example>: 550 5\.1\.1 no such user$' "one of two refused: reported on its own line"
is "$(wc -l <"$T/err" | tr -d ' ')" 1 "one of two refused: nothing else on stderr"
size=$(wc -c <"$(msg 1)" | tr -d ' ')
printf 'helo client.example\nmail sender@client.example SIZE=%s\nrcpt good@server.example\n' "$size" >"$T/want.env"
same_file "$(env_of 1)" "$T/want.env" "one of two refused: delivered to the other"
stop_testd

# Both recipients refused for good: one line each, naming it, and no
# summary line repeating one of them.
start_testd --reply 'rcpt=550 5.1.1 no such user'
write_conf
run_postie one@server.example two@server.example
is "$RC" 67 "both refused: exit 67"
is "$(wc -l <"$T/err" | tr -d ' ')" 2 "both refused: exactly two lines"
contains "$T/err" '^postie: <one@server\.example>: 550 5\.1\.1 no such user$' "both refused: the first named"
contains "$T/err" '^postie: <two@server\.example>: 550 5\.1\.1 no such user$' "both refused: the second named"
stop_testd

# One recipient of two deferred: no data sent at all (a retry must not
# duplicate for the other), exit 75.
start_testd --reply-rcpt 'later*=451 4.2.0 greylisted'
write_conf
run_postie now@server.example later@server.example
is "$RC" 75 "one of two deferred: exit 75"
is "$(nfiles 'msg-*.eml')" 0 "one of two deferred: nothing delivered"
wait_session 1
lacks "$SRV/dir/session-1.log" 'DATA [0-9]+ bytes' "one of two deferred: no message data sent"
stop_testd

# Every recipient refused with PIPELINING: DATA got 354, a lone dot ends it.
start_testd --reply 'rcpt=550 5.1.1 nobody' --reply 'data=354 go ahead' \
    --reply 'dataend=554 5.5.1 no valid recipients'
write_conf
run_postie x@server.example y@server.example
is "$RC" 67 "all refused, DATA 354: exit 67"
wait_session 1
contains "$SRV/dir/session-1.log" '^C: <DATA 0 bytes>$' "all refused, DATA 354: a lone dot, no message data"
stop_testd

# A refused sender is the sender's fault: one line saying so, no line
# blaming each recipient.
start_testd --reply 'mail=553 5.7.1 not you'
write_conf
printf 'Subject: s\n\nbody\n' >"$T/in"
run_postie a@server.example b@server.example
is "$RC" 69 "sender refused, two recipients: exit 69"
is "$(wc -l <"$T/err" | tr -d ' ')" 1 "sender refused: one line on stderr"
contains "$T/err" '^postie: sender <sender@client\.example> refused: 553 5\.7\.1 not you$' "sender refused: the line names the sender"
stop_testd

done_testing
