#!/bin/sh
# shellcheck disable=SC2119
# International addresses (IDN) and SMTPUTF8 (RFC 6531), client side:
# what MAIL and RCPT carry with and without SMTPUTF8 at the server, the
# recipients that cannot go without it, and what is refused before any
# connection.  The server's transcript escapes bytes >= 0x80 as \xHH and a
# backslash as \\; its msg-N.env has the addresses as they came.
. "${top_srcdir:-.}/tests/cli/lib.sh"

printf 'Subject: plain\n\nbody\n' >"$T/plain"
printf 'Subject: Gr\303\274\303\237e\n\nbody\n' >"$T/utf8subj"
cp "$T/plain" "$T/in"
nsess=0

# send ARGS: run postie against the newest server; sets LOG to the
# transcript of the session it made.
send() {
	run_postie "$@"
	nsess=$((nsess + 1))
	wait_session "$nsess"
	LOG=$SRV/dir/session-$nsess.log
}

# line FILE LINE NAME: FILE has LINE, byte for byte (grep -Fx).
line() {
	if grep -Fxq -- "$2" "$1"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "#   no line '$2' in $1:"
		sed 's/^/#   | /' "$1" | head -20
	fi
}

MAIL_RE='^C: MAIL FROM:<sender@client\.example> SIZE=[0-9]+'

# --- a server that offers SMTPUTF8 (testd's default set) -------------------
start_testd
write_conf

send 'a@bücher.example'
is "$RC" 0 "SMTPUTF8 offered, UTF-8 domain: exit 0"
contains "$LOG" "$MAIL_RE SMTPUTF8\$" "SMTPUTF8 offered, UTF-8 domain: SMTPUTF8 on MAIL"
line "$LOG" 'C: RCPT TO:<a@b\xc3\xbccher.example>' "SMTPUTF8 offered, UTF-8 domain: RCPT in UTF-8"
contains "$(env_of 1)" '^rcpt a@bücher\.example$' "SMTPUTF8 offered, UTF-8 domain: delivered"

send 'jörg@example.org' 'b@x.example'
is "$RC" 0 "SMTPUTF8 offered, non-ASCII local part: exit 0"
is "$(cat "$T/err")" "" "SMTPUTF8 offered, non-ASCII local part: silent"
contains "$LOG" "$MAIL_RE SMTPUTF8\$" "SMTPUTF8 offered, non-ASCII local part: SMTPUTF8 on MAIL"
line "$LOG" 'C: RCPT TO:<j\xc3\xb6rg@example.org>' "SMTPUTF8 offered, non-ASCII local part: RCPT in UTF-8"
line "$LOG" 'C: RCPT TO:<b@x.example>' "SMTPUTF8 offered, non-ASCII local part: the other RCPT as it is"
printf 'rcpt jörg@example.org\nrcpt b@x.example\n' >"$T/want"
grep '^rcpt' "$(env_of 2)" >"$T/got"
same_file "$T/got" "$T/want" "SMTPUTF8 offered, non-ASCII local part: both delivered"

send 'Ann@Bücher.EXAMPLE'
line "$LOG" 'C: RCPT TO:<Ann@b\xc3\xbccher.example>' "SMTPUTF8 offered, mixed case: U-labels, local part kept"

send -f 'zoë@client.example' 'a@server.example'
is "$RC" 0 "SMTPUTF8 offered, non-ASCII sender: exit 0"
contains "$LOG" '^C: MAIL FROM:<zo\\xc3\\xab@client\.example> SIZE=[0-9]+ SMTPUTF8$' "SMTPUTF8 offered, non-ASCII sender: MAIL in UTF-8 with SMTPUTF8"

send 'a@server.example'
is "$RC" 0 "all ASCII: exit 0"
contains "$LOG" "$MAIL_RE\$" "all ASCII: no SMTPUTF8 on MAIL"

send -U 'a@server.example'
is "$RC" 0 "-U, all ASCII: exit 0"
contains "$LOG" "$MAIL_RE SMTPUTF8\$" "-U: SMTPUTF8 on MAIL"
line "$LOG" 'C: RCPT TO:<a@server.example>' "-U: RCPT as it is"

send -vU 'a@server.example'
is "$RC" 0 "-vU grouped: exit 0"
contains "$LOG" "$MAIL_RE SMTPUTF8\$" "-vU grouped: SMTPUTF8 on MAIL"

cp "$T/utf8subj" "$T/in"
send 'a@server.example'
is "$RC" 0 "UTF-8 Subject: exit 0"
contains "$LOG" "$MAIL_RE BODY=8BITMIME SMTPUTF8\$" "UTF-8 Subject: SMTPUTF8 (and BODY=8BITMIME) on MAIL"
cp "$T/plain" "$T/in"

# The header as sent decides: a UTF-8 Bcc that is removed does not count.
printf 'Bcc: j\303\266rg@example.org\nSubject: b\n\nbody\n' >"$T/in"
send 'a@server.example'
is "$RC" 0 "UTF-8 only in a removed Bcc: exit 0"
lacks "$LOG" '^C: MAIL.*SMTPUTF8' "UTF-8 only in a removed Bcc: no SMTPUTF8 on MAIL"
lacks "$(msg 9)" '^Bcc' "UTF-8 only in a removed Bcc: Bcc removed"
cp "$T/plain" "$T/in"

send -N failure 'jörg@bücher.example' 'b@x.example'
is "$RC" 0 "DSN with SMTPUTF8: exit 0"
line "$(env_of 10)" 'rcpt jörg@bücher.example NOTIFY=FAILURE ORCPT=utf-8;j\x{F6}rg@b\x{FC}cher.example' "DSN with SMTPUTF8: ORCPT=utf-8; in utf-8-addr-xtext (RFC 6533)"
line "$(env_of 10)" 'rcpt b@x.example NOTIFY=FAILURE ORCPT=rfc822;b@x.example' "DSN with SMTPUTF8: an ASCII ORCPT stays rfc822"
stop_testd

# --- a server without SMTPUTF8 ----------------------------------------------
start_testd --no-ext SMTPUTF8
write_conf
nsess=0
NOTE='non-ASCII local part needs SMTPUTF8, which 127.0.0.1 does not offer'

send 'a@bücher.example'
is "$RC" 0 "no SMTPUTF8, UTF-8 domain: exit 0"
contains "$LOG" "$MAIL_RE\$" "no SMTPUTF8, UTF-8 domain: no SMTPUTF8 on MAIL"
line "$LOG" 'C: RCPT TO:<a@xn--bcher-kva.example>' "no SMTPUTF8, UTF-8 domain: RCPT in A-labels"

send 'x@faß.de' 'y@Under_Score.Example'
line "$LOG" 'C: RCPT TO:<x@xn--fa-hia.de>' "no SMTPUTF8: faß.de non-transitional (xn--fa-hia.de)"
line "$LOG" 'C: RCPT TO:<y@Under_Score.Example>' "no SMTPUTF8: an ASCII domain byte for byte"

send 'jörg@example.org' 'b@x.example'
is "$RC" 0 "no SMTPUTF8, one non-ASCII local part of two: exit 0"
is "$(cat "$T/err")" "postie: <jörg@example.org>: $NOTE" "no SMTPUTF8, one non-ASCII local part of two: one clear line"
lacks "$LOG" 'RCPT TO:<j' "no SMTPUTF8, one non-ASCII local part of two: left out of the transaction"
line "$LOG" 'C: RCPT TO:<b@x.example>' "no SMTPUTF8, one non-ASCII local part of two: the other sent"
is "$(grep '^rcpt' "$(env_of 3)")" "rcpt b@x.example" "no SMTPUTF8, one non-ASCII local part of two: the other delivered"

send 'jörg@example.org'
is "$RC" 65 "no SMTPUTF8, only a non-ASCII local part: exit 65"
is "$(cat "$T/err")" "postie: <jörg@example.org>: $NOTE" "no SMTPUTF8, only a non-ASCII local part: one clear line"
lacks "$LOG" '^C: (MAIL|RCPT|DATA)' "no SMTPUTF8, only a non-ASCII local part: no transaction"
is "$(nfiles 'msg-*.eml')" 3 "no SMTPUTF8, only a non-ASCII local part: nothing delivered"

send 'jörg@example.org' 'zoë@example.org'
is "$RC" 65 "no SMTPUTF8, two non-ASCII local parts: exit 65"
is "$(wc -l <"$T/err" | tr -d ' ')" 2 "no SMTPUTF8, two non-ASCII local parts: a line each"

send -f 'zoë@client.example' 'a@server.example'
is "$RC" 65 "no SMTPUTF8, non-ASCII sender: exit 65"
is "$(cat "$T/err")" "postie: 127.0.0.1: sender <zoë@client.example>: $NOTE" "no SMTPUTF8, non-ASCII sender: one clear line"
lacks "$LOG" '^C: (MAIL|RCPT|DATA)' "no SMTPUTF8, non-ASCII sender: no transaction"

cp "$T/utf8subj" "$T/in"
send 'a@server.example'
is "$RC" 0 "no SMTPUTF8, UTF-8 Subject: exit 0"
contains "$LOG" "$MAIL_RE BODY=8BITMIME\$" "no SMTPUTF8, UTF-8 Subject: no SMTPUTF8 on MAIL"
cp "$T/plain" "$T/in"

send -U 'a@server.example'
is "$RC" 0 "no SMTPUTF8, -U: exit 0 (never a failure by itself)"
is "$(cat "$T/err")" "" "no SMTPUTF8, -U: silent without -v"
contains "$LOG" "$MAIL_RE\$" "no SMTPUTF8, -U: no SMTPUTF8 on MAIL"

send -v -U 'a@bücher.example'
is "$RC" 0 "no SMTPUTF8, -v -U: exit 0"
contains "$T/err" '^postie: --- the server does not offer SMTPUTF8: ' "no SMTPUTF8, -v -U: the transcript says so"

send -N failure 'a@bücher.example'
line "$LOG" 'C: RCPT TO:<a@xn--bcher-kva.example> NOTIFY=FAILURE ORCPT=rfc822;a@xn--bcher-kva.example' "DSN without SMTPUTF8: ORCPT in A-labels"
stop_testd

# --- refused before any connection -------------------------------------------
start_testd
write_conf

# refused PATTERN NAME ARGS...: exit 65, one line saying why.
refused() {
	pattern=$1 name=$2
	shift 2
	run_postie "$@"
	is "$RC" 65 "$name: exit 65"
	is "$(wc -l <"$T/err" | tr -d ' ')" 1 "$name: one line"
	contains "$T/err" "$pattern" "$name: says why"
}

refused "^postie: recipient: invalid address 'a@b\\\\xff\\.example': not valid UTF-8\$" \
    "invalid UTF-8 recipient" "$(printf 'a@b\377.example')"
refused "invalid address 'a\\\\xc0\\\\xaf@x\\.example': not valid UTF-8" \
    "overlong UTF-8" "$(printf 'a\300\257@x.example')" b@x.example
refused "invalid address 'a@-ü\\.de': its domain is refused by IDNA" \
    "domain IDNA refuses" 'a@-ü.de'
refused "^postie: sender: invalid address 'x\\\\xff@client\\.example': not valid UTF-8\$" \
    "invalid UTF-8 sender" -f "$(printf 'x\377@client.example')" a@server.example
printf 'To: %s\nSubject: t\n\nbody\n' "$(printf 'a@b\377.example')" >"$T/in"
refused "recipient: invalid address 'a@b\\\\xff\\.example'" "invalid UTF-8 in To with -t" -t
cp "$T/plain" "$T/in"
is "$(nfiles 'session-*')" 0 "refused addresses: no connection made"
stop_testd

done_testing
