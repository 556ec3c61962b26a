#!/bin/sh
# shellcheck disable=SC2119
# Hostile input through the CLI: the limits postie.8 documents (a header
# section of at most 1 MiB, at most 100000 addresses in a list), address
# syntax that never ends, deep nesting, NUL and invalid UTF-8, very long
# lines, and -t with 100000 recipients against a server that takes 1000
# per transaction (RFC 5321 4.5.3.1.10: 452, the client sends the rest in
# another transaction).  What is refused is refused with exit 65, one
# line on stderr, and before any connection.
. "${top_srcdir:-.}/tests/cli/lib.sh"

# run_limited SECONDS [args]: run_postie, killed (RC 124) after SECONDS.
run_limited() {
	lim=$(($1 * 10))
	shift
	"$POSTIE" -C "$T/conf" "$@" <"$T/in" >"$T/out" 2>"$T/err" &
	pp=$!
	i=0
	while kill -0 "$pp" 2>/dev/null && [ $i -lt $lim ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pp" 2>/dev/null; then
		kill "$pp"
		wait "$pp"
		RC=124
	else
		wait "$pp"
		RC=$?
	fi
}

# refused NAME: exit 65, one line on stderr, nothing on stdout, no session.
refused() {
	is "$RC" 65 "$1: exit 65"
	is "$(wc -l <"$T/err" | tr -d ' ')" 1 "$1: one line on stderr"
	[ "$(wc -l <"$T/err")" -eq 1 ] || sed 's/^/#   | /' "$T/err" | head -5
	is "$(cat "$T/out")" "" "$1: nothing on stdout"
	is "$(nfiles 'session-*.log')" "$sessions" "$1: no connection"
}

# fields N: N header fields of 17 octets with CRLF.
fields() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
	    printf "X-Field: %06d\r\n", i % 1000000 }'
}

# section TOTAL: $T/head, 17-octet fields and a last "X: 99..." that make
# a header section of TOTAL octets, then the empty line and a body.
section() {
	awk -v t="$1" -v h="$(wc -c <"$T/head")" 'BEGIN {
		n = int((t - h - 5) / 17); r = t - h - n * 17
		for (i = 0; i < n; i++) printf "X-Field: %06d\r\n", i
		printf "X: "
		for (i = 0; i < r - 5; i++) printf "9"
		printf "\r\n\r\nbody\r\n"
	}' | cat "$T/head" -
}

# maxline FILE: the longest line, without its CRLF.
maxline() {
	awk '{ sub(/\r$/, ""); if (length($0) > m) m = length($0) }
	    END { print m + 0 }' "$1"
}

HEAD="Date: Thu, 1 Jan 2026 00:00:00 +0000\r\nFrom: a@client.example\r\nMessage-ID: <hostile@client.example>\r\n"
start_testd
write_conf
sessions=0

# 1. The header section: exactly 1 MiB goes (Date, From and Message-ID
#    present: nothing to add); one octet more is refused, and so is a
#    section of 1 MiB that lacks a Date (adding one would pass the cap).
printf '%b' "$HEAD" >"$T/head"
section 1048576 >"$T/in"
is "$(sed -n '/^\r$/q;p' "$T/in" | wc -c | tr -d ' ')" 1048576 \
    "1 MiB: the section is 1048576 octets"
run_postie b@server.example
is "$RC" 0 "1 MiB header section: exit 0"
sessions=1
wait_session 1
same_file "$(msg 1)" "$T/in" "1 MiB header section: sent byte for byte"
section 1048577 >"$T/in"
run_postie b@server.example
refused "1 MiB + 1"
is "$(cat "$T/err")" "postie: the header section is larger than 1048576 bytes" \
    "1 MiB + 1: says why"
sed 1d "$T/head" >"$T/head2"
mv "$T/head2" "$T/head"
section 1048576 >"$T/in"
run_postie b@server.example
refused "1 MiB without Date"
contains "$T/err" "header section too long" "1 MiB without Date: says why"

# 2. Many fields; a 64 KiB field line; a 2 MiB body line: sent, every
#    line on the wire within 998 octets (RFC 5322 2.1.1), nothing lost.
{
	printf '%b' "$HEAD"
	fields 50000
	printf 'X-Long: '
	awk 'BEGIN { for (i = 0; i < 65536; i++) printf "y" }'
	printf '\r\n\r\n'
	awk 'BEGIN { for (i = 0; i < 2097152; i++) printf "b" }'
	printf '\r\n'
} >"$T/in"
run_postie b@server.example
is "$RC" 0 "50000 fields, a 64 KiB field, a 2 MiB body line: exit 0"
sessions=$((sessions + 1))
wait_session $sessions
m=$(msg 2)
is "$(grep -c '^X-Field: ' "$m")" 50000 "... 50000 fields arrived"
is "$(tr -cd y <"$m" | wc -c | tr -d ' ')" 65536 "... the 64 KiB field whole"
is "$(tr -cd b <"$m" | wc -c | tr -d ' ')" 2097152 "... the 2 MiB line whole"
ok "$([ "$(maxline "$m")" -le 998 ]; echo $?)" \
    "... no line over 998 octets ($(maxline "$m"))"

# 3. Address syntax that never ends, with -t: refused before connecting,
#    the field named.
for v in '"john doe@server.example' 'a@server.example (comment' \
    'Name <a@server.example' 'a@[192.0.2.1' 'a@server.example)'; do
	printf 'To: %s\r\nSubject: x\r\n\r\nx\r\n' "$v" >"$T/in"
	run_postie -t
	refused "To: $v"
	contains "$T/err" "^postie: To: invalid address list: " \
	    "To: $v: names the field"
done

# 4. 100000 nested comments: no stack to exhaust; closed: fine.
awk 'BEGIN { printf "To: "; for (i = 0; i < 100000; i++) printf "(";
    for (i = 0; i < 100000; i++) printf ")";
    printf " deep@server.example\r\n\r\nx\r\n" }' >"$T/in"
run_postie -t
is "$RC" 0 "100000 nested comments: exit 0"
sessions=$((sessions + 1))
wait_session $sessions
contains "$(env_of 3)" "^rcpt deep@server.example$" \
    "100000 nested comments: the address found"
awk 'BEGIN { printf "To: "; for (i = 0; i < 100000; i++) printf "(";
    printf " deep@server.example\r\n\r\nx\r\n" }' >"$T/in"
run_postie -t
refused "100000 '(' unclosed"

# 5. NUL is removed as the message is read (postie.8), in the header too;
#    invalid UTF-8 goes as it is to an 8BITMIME server.
printf '%bTo: n\000ul@server.example\r\nSubject: \377\376 bad UTF-8\r\n\r\nx\r\n' "$HEAD" >"$T/in"
run_postie -t
is "$RC" 0 "NUL in To: exit 0"
sessions=$((sessions + 1))
wait_session $sessions
contains "$(env_of 4)" "^rcpt nul@server.example$" "NUL in To: removed"
contains "$(env_of 4)" " BODY=8BITMIME( |$)" "invalid UTF-8: BODY=8BITMIME"
printf '%bTo: nul@server.example\r\nSubject: \377\376 bad UTF-8\r\n\r\nx\r\n' "$HEAD" >"$T/want"
same_file "$(msg 4)" "$T/want" "invalid UTF-8 in Subject: as it is"
stop_testd

# 6. The same to a server without 8BITMIME: encoded-words with the
#    charset unknown-8bit (postie.8, RFC 2047).
start_testd --no-ext 8BITMIME
write_conf
printf 'To: nul@server.example\r\nSubject: \377\376 bad UTF-8\r\n\r\nx\r\n' >"$T/in"
run_postie -t
is "$RC" 0 "invalid UTF-8, 7-bit server: exit 0"
wait_session 1
contains "$(msg 1)" "^Subject: =\\?unknown-8bit\\?q\\?=FF=FE\\?= bad UTF-8$CR\$" \
    "invalid UTF-8, 7-bit server: an unknown-8bit encoded-word"
stop_testd

# 7. 100001 addresses in To: refused before connecting.  100000: all
#    delivered, in transactions of at most what the server takes (1000,
#    then 452 4.5.3: RFC 5321 4.5.3.1.10), each recipient once; a
#    ten-minute guard stops a hang (speed is measured in bench/).
start_testd
write_conf
sessions=0
awk 'BEGIN { printf "Date: x\r\nMessage-ID: <m@x>\r\nFrom: a@client.example\r\nTo: ";
    for (i = 0; i <= 100000; i++) printf "%s%d@e", i ? "," : "", i;
    printf "\r\nSubject: many\r\n\r\nx\r\n" }' >"$T/in"
run_postie -t
refused "100001 recipients"
contains "$T/err" "too many addresses" "100001 recipients: says why"
awk 'BEGIN { printf "Date: x\r\nMessage-ID: <m@x>\r\nFrom: a@client.example\r\nTo: ";
    for (i = 0; i < 100000; i++) printf "%s%d@e", i ? "," : "", i;
    printf "\r\nSubject: many\r\n\r\nx\r\n" }' >"$T/in"
# A guard against a hang, not a speed target (bench/ measures speed).
run_limited 600 -t
cat "$SRV"/dir/msg-*.env 2>/dev/null | sed -n 's/^rcpt //p' | sort >"$T/got.rcpt"
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "%d@e\n", i }' | sort >"$T/want.rcpt"
echo "# 100000 recipients: exit $RC, $(wc -l <"$T/got.rcpt" | tr -d ' ')" \
    "RCPTs accepted in $(nfiles 'msg-*.eml') messages," \
    "$(wc -l <"$T/err" | tr -d ' ') lines on stderr"
is "$RC" 0 "100000 recipients: exit 0"
same_file "$T/got.rcpt" "$T/want.rcpt" "100000 recipients: each accepted exactly once (1000 a transaction)"
is "$(nfiles 'msg-*.eml')" 100 "100000 recipients: in 100 transactions"
is "$(cat "$T/err")" "" "100000 recipients: silent"
stop_testd

done_testing
