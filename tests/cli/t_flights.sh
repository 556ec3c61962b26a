#!/bin/sh
# shellcheck disable=SC2119
# One write per pipelined flight, on a socket with TCP_NODELAY: read off
# the system calls postie makes (strace), not inferred.  LeakSanitizer
# cannot run under ptrace, so it is off for that run.
. "${top_srcdir:-.}/tests/cli/lib.sh"

if ! command -v strace >/dev/null 2>&1; then
	echo "1..0 # SKIP strace is not installed"
	exit 0
fi

start_testd
write_conf
printf 'Subject: flights\n\nbody\n' >"$T/in"
ASAN_OPTIONS=detect_leaks=0 strace -f -qq -s 512 -e trace=setsockopt,sendto,write,sendmsg -o "$T/trace" \
    "$POSTIE" -C "$T/conf" a@server.example <"$T/in" >"$T/out" 2>"$T/err"
is "$?" 0 "under strace: exit 0"
contains "$T/trace" 'setsockopt\([0-9]+, SOL_TCP, TCP_NODELAY, \[1\]' "TCP_NODELAY is set on the socket"
# The writes to the server: sendto() on the socket (MSG_NOSIGNAL).
grep -E 'sendto\(' "$T/trace" >"$T/sends"
is "$(wc -l <"$T/sends" | tr -d ' ')" 3 "three writes in all: EHLO; MAIL+RCPT+DATA; message+dot+QUIT"
contains "$T/sends" 'MAIL FROM:<sender@client.example> SIZE=[0-9]+\\r\\nRCPT TO:<a@server.example>\\r\\nDATA\\r\\n"' "MAIL, RCPT and DATA leave in one write"
contains "$T/sends" 'body\\r\\n\.\\r\\nQUIT\\r\\n"' "the final dot and QUIT leave with the message"
wait_session 1
contains "$SRV/dir/session-1.log" '^round_trips 3$' "the server saw 3 waits"
stop_testd
done_testing
