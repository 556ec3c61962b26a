#!/bin/sh
# shellcheck disable=SC2119
# The header section as sent (issue 4): From, Date and Message-ID added
# as configured, -F and from_full_name, set_to_header, qualify_headers,
# remove_bcc_headers, and -t with recipients_from_args.  What smtp-testd
# received is compared byte for byte; Date and Message-ID vary, so they
# are checked by shape and replaced by DATE and MSGID before comparing.
. "${top_srcdir:-.}/tests/cli/lib.sh"

# want TEXT: $T/want from printf TEXT.
want() {
	# shellcheck disable=SC2059
	printf "$1" >"$T/want"
}

start_testd
write_conf

# 1. A message without From, Date and Message-ID gets all three on top.
printf 'To: b@server.example\nSubject: bare\n\nbody\n' >"$T/in"
run_postie b@server.example
is "$RC" 0 "missing fields: exit 0"
is "$(cat "$T/out" "$T/err")" "" "missing fields: silent"
want 'Date: DATE\r\nFrom: sender@client.example\r\nMessage-ID: MSGID\r\nTo: b@server.example\r\nSubject: bare\r\n\r\nbody\r\n'
same_file "$(shaped 1)" "$T/want" "missing fields: Date, From, Message-ID added in that order, the rest as it came"
contains "$(msg 1)" "$DATE_RE" "missing fields: Date in RFC 5322 form"
contains "$(msg 1)" "$MSGID_RE" "missing fields: Message-ID at the configured domain"

# 2. A message with all three goes unchanged.
printf 'Date: Thu, 1 Jan 2026 00:00:00 +0000\r\nFrom: Someone <x@client.example>\r\nMessage-ID: <given@client.example>\r\nSubject: full\r\n\r\nbody\r\n' >"$T/in"
cp "$T/in" "$T/want"
run_postie b@server.example
is "$RC" 0 "all present: exit 0"
same_file "$(msg 2)" "$T/want" "all present: nothing changed"

# 3. Each run makes a new Message-ID.
printf 'Subject: x\n\nx\n' >"$T/in"
run_postie b@server.example
run_postie b@server.example
id3=$(grep '^Message-ID:' "$(msg 3)")
id4=$(grep '^Message-ID:' "$(msg 4)")
ok "$([ -n "$id3" ] && [ "$id3" != "$id4" ]; echo $?)" "Message-ID: unique per message"

# 4. The zone is the local one (TZ).
(TZ=XYZ-2 && export TZ && run_postie b@server.example)
contains "$(msg 5)" "^Date: .* \\+0200$CR\$" "Date: local zone east of UTC (+0200)"
(TZ=ABC+5 && export TZ && run_postie b@server.example)
contains "$(msg 6)" "^Date: .* -0500$CR\$" "Date: local zone west of UTC (-0500)"

# 5. -F gives From a display name: as is, quoted, or encoded.
printf 'Date: x\nMessage-ID: <m@client.example>\nSubject: name\n\nx\n' >"$T/in"
run_postie -F 'Jane Doe' b@server.example
want 'From: Jane Doe <sender@client.example>\r\nDate: x\r\nMessage-ID: <m@client.example>\r\nSubject: name\r\n\r\nx\r\n'
same_file "$(msg 7)" "$T/want" "-F: From: Jane Doe <sender>"
run_postie -F 'Doe, "JD" Jane' b@server.example
want 'From: "Doe, \\"JD\\" Jane" <sender@client.example>\r\nDate: x\r\nMessage-ID: <m@client.example>\r\nSubject: name\r\n\r\nx\r\n'
same_file "$(msg 8)" "$T/want" "-F with a comma and quotes: a quoted-string"
run_postie -F "$(printf 'Ren\303\251 M\303\274ller')" b@server.example
want 'From: =?utf-8?q?Ren=C3=A9_M=C3=BCller?= <sender@client.example>\r\nDate: x\r\nMessage-ID: <m@client.example>\r\nSubject: name\r\n\r\nx\r\n'
same_file "$(msg 9)" "$T/want" "-F with UTF-8: an RFC 2047 encoded-word"
contains "$(env_of 9)" '^mail sender@client.example SIZE=[0-9]+$' "-F with UTF-8: the message stays 7-bit (no BODY=8BITMIME)"

# 6. from_full_name, and -F over it.
write_conf 'from_full_name "Cron Daemon"'
run_postie b@server.example
contains "$(msg 10)" "^From: Cron Daemon <sender@client.example>$CR\$" "from_full_name: used for From"
run_postie -F Other b@server.example
contains "$(msg 11)" "^From: Other <sender@client.example>$CR\$" "-F overrides from_full_name"

# 7. set_from_header on replaces From; off never adds one.
write_conf 'set_from_header on'
printf 'Date: x\nMessage-ID: <m@client.example>\nFrom: Forged <forged@evil.example>\nSubject: on\n\nFrom: body line\n' >"$T/in"
run_postie b@server.example
want 'Date: x\r\nMessage-ID: <m@client.example>\r\nFrom: sender@client.example\r\nSubject: on\r\n\r\nFrom: body line\r\n'
same_file "$(msg 12)" "$T/want" "set_from_header on: From replaced in place, body untouched"
write_conf 'set_from_header off'
printf 'Date: x\nMessage-ID: <m@client.example>\nSubject: off\n\nx\n' >"$T/in"
run_postie b@server.example
lacks "$(msg 13)" '^From:' "set_from_header off: no From added"

# 8. set_date_header off, set_msgid_header off: left missing.
write_conf 'set_date_header off' 'set_msgid_header off'
printf 'Subject: none\n\nx\n' >"$T/in"
run_postie b@server.example
want 'From: sender@client.example\r\nSubject: none\r\n\r\nx\r\n'
same_file "$(msg 14)" "$T/want" "set_date_header off, set_msgid_header off: only From added"

# 9. The null sender: no From is made up; Date and Message-ID still added.
write_conf
run_postie -f '<>' b@server.example
want 'Date: DATE\r\nMessage-ID: MSGID\r\nSubject: none\r\n\r\nx\r\n'
same_file "$(shaped 15)" "$T/want" "null sender: no From added"

# 10. set_to_header undisclosed_recipients: To, Cc and Bcc become one To
#     (where the first was); -t still takes the recipients from them.
write_conf 'set_to_header undisclosed_recipients' 'set_date_header off' 'set_msgid_header off'
printf 'From: me@client.example\nTo: a@server.example\nSubject: u\nCc: c@server.example\nBcc: d@server.example\n\nTo: body@server.example\n' >"$T/in"
run_postie -t
is "$RC" 0 "undisclosed: exit 0"
want 'From: me@client.example\r\nTo: undisclosed-recipients:;\r\nSubject: u\r\n\r\nTo: body@server.example\r\n'
same_file "$(msg 16)" "$T/want" "undisclosed: one To: undisclosed-recipients:;"
printf 'helo client.example\nmail sender@client.example SIZE=%d\nrcpt a@server.example\nrcpt c@server.example\nrcpt d@server.example\n' "$(wc -c <"$T/want")" >"$T/want.env"
same_file "$(env_of 16)" "$T/want.env" "undisclosed: recipients from the original fields"
write_conf 'undisclosed_recipients' 'set_date_header off' 'set_msgid_header off'
printf 'From: me@client.example\nSubject: none\n\nx\n' >"$T/in"
run_postie b@server.example
want 'To: undisclosed-recipients:;\r\nFrom: me@client.example\r\nSubject: none\r\n\r\nx\r\n'
same_file "$(msg 17)" "$T/want" "undisclosed_recipients (msmtp): To added when there was none"

# 11. qualify_headers on: bare local names in address fields, not in a
#     quoted display name, a comment, another field or the body.
write_conf 'qualify_headers on' 'set_date_header off' 'set_msgid_header off'
printf 'From: root\nTo: root, "root" <a@server.example>, Admin <admin>\nCc: ops (root)\nSubject: root\n\nTo: root\n' >"$T/in"
run_postie -t
is "$RC" 0 "qualify_headers: exit 0"
want 'From: root@client.example\r\nTo: root@client.example, "root" <a@server.example>, Admin <admin@client.example>\r\nCc: ops@client.example (root)\r\nSubject: root\r\n\r\nTo: root\r\n'
same_file "$(msg 18)" "$T/want" "qualify_headers: To: root becomes root@client.example"
write_conf 'set_date_header off' 'set_msgid_header off'
run_postie -t
contains "$(msg 19)" "^To: root, \"root\" <a@server.example>, Admin <admin>$CR\$" "qualify_headers off (default): addresses as they came"

# 12. -t with argument recipients: merged by default; with
#     recipients_from_args exclude, argument addresses are removed.
printf 'To: a@server.example, b@server.example\nCc: c@server.example\n\nx\n' >"$T/in"
run_postie -t b@server.example extra@server.example
contains "$(env_of 20)" '^rcpt extra@server.example$' "merge: argument recipient added"
is "$(grep -c '^rcpt' "$(env_of 20)")" 4 "merge: duplicates removed (4 recipients)"
write_conf 'recipients_from_args exclude'
run_postie -t b@server.example extra@server.example
printf 'rcpt a@server.example\nrcpt c@server.example\n' >"$T/want.rcpt"
grep '^rcpt' "$(env_of 21)" >"$T/got.rcpt"
same_file "$T/got.rcpt" "$T/want.rcpt" "exclude: argument addresses removed from the header's"
run_postie -t a@server.example b@server.example c@server.example
is "$RC" 64 "exclude: nothing left is a usage error"
contains "$T/err" 'no recipient addresses' "exclude: nothing left: says so"

# 13. remove_bcc_headers: on by default (Bcc, Resent-Bcc); off keeps them.
write_conf 'set_date_header off' 'set_msgid_header off'
printf 'From: me@client.example\nTo: a@server.example\nBcc: h@server.example\nResent-Bcc: r@server.example\nSubject: b\n\nBcc: body\n' >"$T/in"
run_postie -t
want 'From: me@client.example\r\nTo: a@server.example\r\nSubject: b\r\n\r\nBcc: body\r\n'
same_file "$(msg 22)" "$T/want" "Bcc and Resent-Bcc removed by default; body untouched"
write_conf 'remove_bcc_headers off' 'set_date_header off' 'set_msgid_header off'
run_postie -t
want 'From: me@client.example\r\nTo: a@server.example\r\nBcc: h@server.example\r\nResent-Bcc: r@server.example\r\nSubject: b\r\n\r\nBcc: body\r\n'
same_file "$(msg 23)" "$T/want" "remove_bcc_headers off: Bcc kept"

# 14. A bad value is a configuration error before anything is sent.
write_conf 'set_from_header always'
run_postie b@server.example
is "$RC" 78 "set_from_header always: exit 78"
contains "$T/err" 'set_from_header: expected auto, on or off' "set_from_header always: says why"
is "$(nfiles 'msg-*.eml')" 23 "bad configuration: nothing sent"
stop_testd

done_testing
