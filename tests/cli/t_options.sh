#!/bin/sh
# shellcheck disable=SC2119
# Command-line handling: what is refused (before any connection), what is
# accepted, and the informational modes.
. "${top_srcdir:-.}/tests/cli/lib.sh"

start_testd
write_conf
printf 'Subject: o\n\nbody\n' >"$T/in"

# refused CODE PATTERN NAME ARGS...: refused with CODE, nothing sent.
refused() {
	code=$1 pattern=$2 name=$3
	shift 3
	run_postie "$@"
	is "$RC" "$code" "$name: exit $code"
	contains "$T/err" "$pattern" "$name: says why"
	is "$(nfiles 'session-*')" 0 "$name: no connection made"
}

refused 64 "refusing recipient '-oQ/tmp'" "recipient starting with -" -- -oQ/tmp
refused 64 "refusing sender '-X/tmp/x'" "sender starting with -" -f '-X/tmp/x' a@server.example
refused 64 "refusing recipient '-f'" "options end at the first operand" a@server.example -f x@y
refused 64 'line break' "recipient with a line break" "$(printf 'a@server.example\nRCPT TO:<b@x>')"
refused 64 'line break' "-F with a line break" -F "$(printf 'Name\r\nBcc: x@y')" a@server.example
refused 64 'unknown option -Z' "unknown option" -Z a@server.example
refused 64 'unknown option -oZ' "unknown -o option" -oZ a@server.example
refused 64 'needs an argument' "-f without its argument" -f
refused 64 'no recipients given' "no recipient"
refused 64 'no recipient addresses found' "-t without recipients" -t
refused 64 'unsupported mode -bd' "daemon mode" -bd a@server.example
refused 64 "-N takes never, or success, failure and delay" "bad -N" -N sometimes a@server.example
refused 64 "-R takes full or hdrs" "bad -R" -R body a@server.example
refused 64 "-V: an envelope id is printable" "-V with a line break" -V "$(printf 'a\rb')" a@server.example
refused 64 "-B takes 7BIT or 8BITMIME" "bad -B" -B BINARY a@server.example
refused 65 'invalid' "malformed recipient" 'a@server.example, <b@'

"$POSTIE" --version >"$T/out" 2>"$T/err"
is "$?" 0 "--version: exit 0"
contains "$T/out" '^postie [0-9]+\.[0-9]+\.[0-9]+ \(GnuTLS [0-9.]+, libidn2 [0-9.]+\)$' "--version: versions shown"
"$POSTIE" --help >"$T/out" 2>"$T/err"
is "$?" 0 "--help: exit 0"
contains "$T/out" '^usage: postie' "--help: usage on stdout"

# Options real callers pass are accepted (cron, mutt, PHP, Debian cron).
accepted() {
	name=$1
	shift
	run_postie "$@"
	is "$RC" 0 "$name: exit 0"
	is "$(cat "$T/err")" "" "$name: silent"
}
accepted "cronie" -FCronDaemon -i -odi -oem -oi -f root@client.example a@server.example
accepted "Debian cron" -i -FCronDaemon -B8BITMIME -oem a@server.example
accepted "mutt" -oem -oi -- a@server.example
accepted "grouped flags -ti" -ti a@server.example
accepted "PHP mail()" -t -i a@server.example
accepted "attached -f" -fattached@client.example a@server.example
contains "$(env_of 6)" '^mail attached@client.example( SIZE=[0-9]+)?$' "attached -f: used as the sender"

# DSN (RFC 3461): RET and ENVID on MAIL, NOTIFY and ORCPT on RCPT.
run_postie -N success,failure -R hdrs -V 'QQ 314159' dsn@server.example
is "$RC" 0 "-N -R -V: exit 0"
contains "$(env_of 7)" '^mail sender@client\.example SIZE=[0-9]+ RET=HDRS ENVID=QQ\+20314159$' "-R and -V: RET and ENVID (xtext) on MAIL"
contains "$(env_of 7)" '^rcpt dsn@server\.example NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;dsn@server\.example$' "-N: NOTIFY and ORCPT on RCPT"
run_postie -Nnever dsn@server.example
contains "$(env_of 8)" '^rcpt dsn@server\.example NOTIFY=NEVER ORCPT=rfc822;dsn@server\.example$' "-Nnever attached: NOTIFY=NEVER"
stop_testd

# A server without DSN gets the message without the parameters; -v says so.
start_testd --no-ext DSN
write_conf
run_postie -v -N failure -R full dsn@server.example
is "$RC" 0 "no DSN at the server: still exit 0"
contains "$(env_of 1)" '^rcpt dsn@server\.example$' "no DSN at the server: no NOTIFY, no ORCPT"
lacks "$(env_of 1)" 'RET=' "no DSN at the server: no RET"
contains "$T/err" 'does not offer DSN' "no DSN at the server: -v says so"

write_conf "queue_dir $T/q"
"$POSTIE" -C "$T/conf" -bp >"$T/out" 2>"$T/err"
is "$?" 0 "-bp: exit 0"
contains "$T/out" 'queue is empty' "-bp: says the queue is empty"

stop_testd
done_testing
