#!/bin/sh
# shellcheck disable=SC2119,SC2059
# The real postie against smtp-testd: what arrives, byte for byte.
. "${top_srcdir:-.}/tests/cli/lib.sh"

# What postie adds to a message that has none of them (see shaped()).
ADDED='Date: DATE\r\nFrom: sender@client.example\r\nMessage-ID: MSGID\r\n'

start_testd
write_conf

# 1. A plain message with CRLF line ends arrives unchanged, but for the
#    Date and Message-ID it lacked.
printf 'From: a@client.example\r\nTo: b@server.example\r\nSubject: hi\r\n\r\nHello.\r\n' >"$T/in"
{ printf 'Date: DATE\r\nMessage-ID: MSGID\r\n'; cat "$T/in"; } >"$T/want"
run_postie b@server.example
is "$RC" 0 "plain message: exit 0"
is "$(cat "$T/out" "$T/err")" "" "plain message: silent on success"
same_file "$(shaped 1)" "$T/want" "plain message: exact bytes received"
printf 'helo client.example\nmail sender@client.example SIZE=%d\nrcpt b@server.example\n' "$(wc -c <"$(msg 1)")" >"$T/want.env"
same_file "$(env_of 1)" "$T/want.env" "plain message: envelope"

# 2. Bare LF input goes out with CRLF; a missing final newline is added.
printf 'Subject: lf\n\nline one\nline two' >"$T/in"
printf "${ADDED}Subject: lf\r\n\r\nline one\r\nline two\r\n" >"$T/want"
run_postie b@server.example
is "$RC" 0 "bare LF: exit 0"
same_file "$(shaped 2)" "$T/want" "bare LF: normalised to CRLF, final CRLF added"

# 3. Dot-stuffing round trip with -i: lines starting with dots survive.
printf 'Subject: dots\n\n.\n..\n.leading\nmid.dle\n...\n' >"$T/in"
printf "${ADDED}Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\nmid.dle\r\n...\r\n" >"$T/want"
run_postie -i b@server.example
is "$RC" 0 "-i: exit 0"
same_file "$(shaped 3)" "$T/want" "-i: dot lines arrive intact"
run_postie -oi b@server.example
same_file "$(shaped 4)" "$T/want" "-oi: same as -i"

# 4. Without -i a line holding only "." ends the message.
printf 'Subject: stop\n\nbefore\n.\nafter\n' >"$T/in"
printf "${ADDED}Subject: stop\r\n\r\nbefore\r\n" >"$T/want"
run_postie b@server.example
is "$RC" 0 "dot ends: exit 0"
same_file "$(shaped 5)" "$T/want" "dot ends: nothing after the lone dot"

# 5. SMTP smuggling shapes in the input are defused, never an end of data.
printf 'Subject: smuggle\r\n\r\na\n.\nMAIL FROM:<x@evil>\r\nb\r.\rc\r\n' >"$T/in"
printf "${ADDED}Subject: smuggle\r\n\r\na\r\n.\r\nMAIL FROM:<x@evil>\r\nb . c\r\n" >"$T/want"
run_postie -i b@server.example
is "$RC" 0 "smuggling: exit 0"
same_file "$(shaped 6)" "$T/want" "smuggling: bare LF dot and bare CR dot arrive as text"
is "$(nfiles 'msg-*.eml')" 6 "smuggling: exactly one message arrived for it"

# 6. Several recipients, in order; duplicates dropped.
printf 'Subject: many\n\nx\n' >"$T/in"
run_postie one@server.example 'Two <two@server.example>' one@server.example
is "$RC" 0 "several recipients: exit 0"
size=$(wc -c <"$(msg 7)" | tr -d ' ')
printf 'helo client.example\nmail sender@client.example SIZE=%s\nrcpt one@server.example\nrcpt two@server.example\n' "$size" >"$T/want.env"
same_file "$(env_of 7)" "$T/want.env" "several recipients: envelope, SIZE= the message size"

# 7. -f sets the envelope sender; -f '<>' is the null sender.
run_postie -f other@client.example b@server.example
contains "$(env_of 8)" '^mail other@client.example( SIZE=[0-9]+)?$' "-f: envelope sender"
run_postie -f '<>' b@server.example
contains "$(env_of 9)" '^mail ( SIZE=[0-9]+)?$' "-f '<>': null sender"
run_postie -r third@client.example b@server.example
contains "$(env_of 10)" '^mail third@client.example( SIZE=[0-9]+)?$' "-r: same as -f"

# 8. -t: recipients from To, Cc and Bcc; Bcc is not sent on.
printf 'To: to@server.example\nCc: "Cee, Dee" <cc@server.example>\nBcc: hidden@server.example,\n  hidden2@server.example\nSubject: t\n\nbody\n' >"$T/in"
printf "${ADDED}"'To: to@server.example\r\nCc: "Cee, Dee" <cc@server.example>\r\nSubject: t\r\n\r\nbody\r\n' >"$T/want"
run_postie -t
is "$RC" 0 "-t: exit 0"
same_file "$(shaped 11)" "$T/want" "-t: Bcc removed, rest unchanged"
printf 'helo client.example\nmail sender@client.example SIZE=%d\nrcpt to@server.example\nrcpt cc@server.example\nrcpt hidden@server.example\nrcpt hidden2@server.example\n' "$(wc -c <"$(msg 11)")" >"$T/want.env"
same_file "$(env_of 11)" "$T/want.env" "-t: every header recipient in the envelope"
run_postie -t extra@server.example
contains "$(env_of 12)" '^rcpt extra@server.example$' "-t with arguments: argument recipients added"

# 8b. A bare local name is qualified with the local domain.
printf 'Subject: cron\n\nx\n' >"$T/in"
run_postie root
is "$RC" 0 "bare local recipient: exit 0"
contains "$(env_of 13)" '^rcpt root@client.example$' "bare local recipient: qualified with the domain"

# 8c. BODY=8BITMIME for an 8-bit message; -B 7BIT gives BODY=7BIT.
printf 'Subject: caf\303\251\n\ncaf\303\251\n' >"$T/in"
run_postie b@server.example
contains "$(env_of 14)" '^mail sender@client.example SIZE=[0-9]+ BODY=8BITMIME( |$)' "8-bit message: BODY=8BITMIME"
printf 'Subject: plain\n\nx\n' >"$T/in"
run_postie -B 7BIT b@server.example
contains "$(env_of 15)" '^mail sender@client.example SIZE=[0-9]+ BODY=7BIT$' "-B 7BIT: BODY=7BIT"
run_postie -B8BITMIME b@server.example
contains "$(env_of 16)" 'BODY=8BITMIME$' "-B8BITMIME: BODY=8BITMIME"
printf 'Subject: x\n\ncaf\303\251\n' >"$T/in"
run_postie -B 7BIT b@server.example
contains "$(env_of 17)" 'BODY=8BITMIME$' "-B 7BIT on 8-bit data: BODY=8BITMIME, not a false 7BIT"

# 9. Round trips: greeting aside, EHLO; MAIL+RCPT+DATA; dot+QUIT.
wait_session 1
contains "$SRV/dir/session-1.log" '^round_trips 3$' "pipelining: 3 waits for the server after the greeting"
stop_testd

start_testd --no-ext PIPELINING
write_conf
printf 'Subject: np\n\nx\n' >"$T/in"
run_postie a@server.example b@server.example
is "$RC" 0 "no PIPELINING: exit 0"
wait_session 1
contains "$SRV/dir/session-1.log" '^round_trips 7$' "no PIPELINING: one wait per command (EHLO MAIL RCPT RCPT DATA dot QUIT)"
lacks "$SRV/dir/session-1.log" 'PIPELINING' "no PIPELINING: not offered"
stop_testd

# 9b. A message over the server's SIZE limit is refused before MAIL.
start_testd --size 100
write_conf
awk 'BEGIN { printf "Subject: big\n\n"; for (i = 0; i < 20; i++) print "0123456789" }' >"$T/in"
run_postie b@server.example
is "$RC" 65 "over SIZE: exit 65"
contains "$T/err" 'exceeds the server.s limit of 100 bytes' "over SIZE: says so"
wait_session 1
lacks "$SRV/dir/session-1.log" '^C: MAIL' "over SIZE: no MAIL sent"
contains "$SRV/dir/session-1.log" '^C: QUIT' "over SIZE: QUIT sent"
stop_testd

# 9c. RFC 6152 3: a server without 8BITMIME never receives 8-bit data;
#     the message is converted (quoted-printable, RFC 2047 in the header).
start_testd --no-ext 8BITMIME
write_conf
printf 'From: a@client.example\nDate: Mon, 23 Nov 2026 12:00:00 +0000\nMessage-ID: <m@client.example>\nSubject: caf\303\251\n\ncaf\303\251 au lait\n' >"$T/in"
printf 'From: a@client.example\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\nMessage-ID: <m@client.example>\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 au lait\r\n' >"$T/want"
run_postie b@server.example
is "$RC" 0 "no 8BITMIME: exit 0"
same_file "$(msg 1)" "$T/want" "no 8BITMIME: converted to quoted-printable, exact bytes"
ok "$(LC_ALL=C grep -q '[^[:print:][:space:]]' "$(msg 1)" && echo 1 || echo 0)" "no 8BITMIME: no 8-bit byte reached the server"
lacks "$(env_of 1)" 'BODY=' "no 8BITMIME: no BODY= parameter"
stop_testd

# 10. HELO when the server refuses EHLO.
start_testd --no-esmtp
write_conf
run_postie b@server.example
is "$RC" 0 "HELO fallback: exit 0"
contains "$(env_of 1)" '^helo client.example$' "HELO fallback: server saw HELO"
contains "$SRV/dir/session-1.log" '^C: HELO client.example' "HELO fallback: transcript"
stop_testd

# 11. A message larger than the in-memory bound goes through a temporary
#     file and arrives whole.
start_testd
write_conf
awk 'BEGIN { printf "Subject: big\r\n\r\n"; for (i = 0; i < 60000; i++) printf "%06d the quick brown fox jumps over the lazy dog\r\n", i }' >"$T/in"
{ printf "$ADDED"; cat "$T/in"; } >"$T/want"
run_postie b@server.example
is "$RC" 0 "3 MB message: exit 0"
same_file "$(shaped 1)" "$T/want" "3 MB message: arrives byte for byte"

# 12. -v shows the dialogue on stderr.
printf 'Subject: v\n\nx\n' >"$T/in"
run_postie -v b@server.example
is "$RC" 0 "-v: exit 0"
contains "$T/err" '^postie: --> MAIL FROM:<sender@client.example>' "-v: commands shown"
contains "$T/err" '^postie: <-- 250' "-v: replies shown"
lacks "$T/err" 'Subject' "-v: message data not shown"

# 13. Closed standard descriptors: opened on /dev/null, empty message sent
#     (nothing but the fields postie adds).
"$POSTIE" -C "$T/conf" b@server.example <&- >&- 2>"$T/err"
is "$?" 0 "closed stdin and stdout: exit 0"
printf "$ADDED" >"$T/want"
same_file "$(shaped 3)" "$T/want" "closed stdin: an empty message arrives"
stop_testd

done_testing
