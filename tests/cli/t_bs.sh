#!/bin/sh
# shellcheck disable=SC2119
# -bs (SMTP on stdin/stdout, each message through the normal path to
# smtp-testd) spoken to by a test, and -bv (the dry run) output.
. "${top_srcdir:-.}/tests/cli/lib.sh"

start_testd --reply-rcpt 'nobody@*=550 5.1.1 no such user'
write_conf

# ---- -bs, a pipelined client (PIPELINING is offered) ---------------------
printf 'EHLO app.example\r\nMAIL FROM:<app@client.example>\r\nRCPT TO:<a@server.example>\r\nRCPT TO:<b@server.example>\r\nDATA\r\nSubject: bs\r\n\r\nhello\r\n..leading dot\r\n.\r\nQUIT\r\n' >"$T/in"
run_postie -bs
is "$RC" 0 "-bs pipelined: exit 0"
tr -d '\r' <"$T/out" >"$T/replies"
cat >"$T/want" <<EOF
220 client.example ESMTP postie
250-client.example
250-PIPELINING
250-8BITMIME
250-SMTPUTF8
250 ENHANCEDSTATUSCODES
250 2.1.0 Ok
250 2.1.5 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 message sent
221 2.0.0 Bye
EOF
same_file "$T/replies" "$T/want" "-bs pipelined: the replies"
is "$(cat "$T/err")" "" "-bs pipelined: nothing on stderr"
contains "$(env_of 1)" '^mail app@client\.example SIZE=[0-9]+$' "-bs: MAIL FROM is the envelope sender"
contains "$(env_of 1)" '^rcpt a@server\.example$' "-bs: first RCPT"
contains "$(env_of 1)" '^rcpt b@server\.example$' "-bs: second RCPT"
contains "$(msg 1)" "^\\.leading dot$CR\$" "-bs: dot-unstuffed once, stuffed again on the way out"
contains "$(msg 1)" "^From: app@client\\.example$CR\$" "-bs: From added from MAIL FROM"
contains "$(msg 1)" "^Subject: bs$CR\$" "-bs: the header kept"

# ---- -bs, a client that waits for each reply (python3) -------------------
if command -v python3 >/dev/null 2>&1; then
	cat >"$T/client.py" <<'EOF'
import subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE)
def reply():
    lines = []
    while True:
        l = p.stdout.readline().decode()
        if not l:
            return lines
        lines.append(l.rstrip('\r\n'))
        if l[3:4] != '-':
            return lines
def say(cmd):
    p.stdin.write(cmd.encode() + b'\r\n')
    p.stdin.flush()
    print('%s => %s' % (cmd.split('\r\n')[0], reply()[-1]))
print('greeting => %s' % reply()[-1])
say('HELO app.example')
say('MAIL FROM:<one@client.example>')
say('RCPT TO:<a@server.example>')
say('RSET')
say('MAIL FROM:<two@client.example>')
say('RCPT TO:<c@server.example>')
say('RCPT TO:<nobody@server.example>')
say('DATA')
say('Subject: second\r\n\r\nbody two\r\n.')
say('MAIL FROM:<>')
say('RCPT TO:<nobody@server.example>')
say('DATA')
say('Subject: third\r\n\r\nbody three\r\n.')
say('MAIL FROM:<three@client.example> BODY=8BITMIME')
say('RCPT TO:<bad address>')
say('QUIT')
p.stdin.close()
sys.exit(p.wait())
EOF
	python3 "$T/client.py" "$POSTIE" -C "$T/conf" -bs >"$T/dialog" 2>"$T/err"
	is "$?" 0 "-bs step by step: exit 0"
	cat >"$T/want" <<'EOF'
greeting => 220 client.example ESMTP postie
HELO app.example => 250 client.example
MAIL FROM:<one@client.example> => 250 2.1.0 Ok
RCPT TO:<a@server.example> => 250 2.1.5 Ok
RSET => 250 2.0.0 Ok
MAIL FROM:<two@client.example> => 250 2.1.0 Ok
RCPT TO:<c@server.example> => 250 2.1.5 Ok
RCPT TO:<nobody@server.example> => 250 2.1.5 Ok
DATA => 354 End data with <CR><LF>.<CR><LF>
Subject: second => 250 2.0.0 message sent
MAIL FROM:<> => 250 2.1.0 Ok
RCPT TO:<nobody@server.example> => 250 2.1.5 Ok
DATA => 354 End data with <CR><LF>.<CR><LF>
Subject: third => 550 5.1.1 no such user
MAIL FROM:<three@client.example> BODY=8BITMIME => 250 2.1.0 Ok
RCPT TO:<bad address> => 501 5.5.4 Syntax: RCPT TO:<address>
QUIT => 221 2.0.0 Bye
EOF
	same_file "$T/dialog" "$T/want" "-bs step by step: every reply"
	contains "$T/err" '^postie: <nobody@server\.example>: 550 5\.1\.1 no such user$' "-bs: the refused recipient of a delivered message is reported on stderr"
	is "$(nfiles 'msg-*.eml')" 2 "-bs: RSET dropped the first transaction, the third was refused"
	contains "$(env_of 2)" '^mail two@client\.example' "-bs: second message's sender"
	contains "$(env_of 2)" '^rcpt c@server\.example$' "-bs: second message's recipient"
	contains "$(msg 2)" "^body two$CR\$" "-bs: second message's body"
else
	echo "ok $((tap_n + 1)) # SKIP python3 is needed to speak SMTP step by step"
	tap_n=$((tap_n + 1))
fi

# ---- -bs: the server is down: 451, nothing accepted -------------------------
stop_testd
printf 'EHLO a\r\nMAIL FROM:<x@client.example>\r\nRCPT TO:<a@server.example>\r\nDATA\r\nSubject: x\r\n\r\nx\r\n.\r\nQUIT\r\n' >"$T/in"
run_postie -bs
is "$RC" 0 "-bs with the server down: the session itself went fine"
contains "$T/out" "^451 4\\.3\\.0 127\\.0\\.0\\.1" "-bs with the server down: 451 to the final dot, naming the host"
start_testd
write_conf

# ---- -bv: the dry run ---------------------------------------------------------
printf 'Subject: check\nTo: a@server.example\nBcc: secret@server.example\n\nbody\n' >"$T/in"
run_postie -bv -t -f me@client.example extra@server.example
is "$RC" 0 "-bv: exit 0"
# -bv writes LF line ends throughout (no CR to shape away).
lacks "$T/out" "$CR" "-bv: LF line ends"
sed -E -e "s/^Date: [A-Z][a-z]{2}, [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [+-][0-9]{4}\$/Date: DATE/" -e "s/^Message-ID: <[0-9a-z]+\\.[a-z2-7]{26}@client\\.example>\$/Message-ID: MSGID/" -e "s/port [0-9]+/port PORT/" -e "s/size [0-9]+ bytes/size N bytes/" "$T/out" >"$T/bv"
cat >"$T/want" <<'EOF'
account: default
route: 127.0.0.1 port PORT, TLS none, auth off
EHLO client.example
MAIL FROM:<me@client.example>
RCPT TO:<extra@server.example>
RCPT TO:<a@server.example>
RCPT TO:<secret@server.example>

Date: DATE
From: me@client.example
Message-ID: MSGID
Subject: check
To: a@server.example

(message size N bytes; nothing was sent)
EOF
same_file "$T/bv" "$T/want" "-bv: route, envelope and the header as it would be sent"
is "$(nfiles 'session-*')" 0 "-bv: no connection made"
run_postie -bv
is "$RC" 64 "-bv without recipients: exit 64"

# -bv at a terminal reads no message (python3's pty gives postie one).
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        b = os.read(fd, 4096)
    except OSError:
        break
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))' "$POSTIE" -C "$T/conf" -bv a@server.example >"$T/out" 2>"$T/err" </dev/null
	is "$?" 0 "-bv at a terminal: exit 0 without reading a message"
	contains "$T/out" '^RCPT TO:<a@server\.example>' "-bv at a terminal: the envelope shown"
else
	echo "ok $((tap_n + 1)) # SKIP python3 is needed for a terminal"
	tap_n=$((tap_n + 1))
fi

stop_testd
done_testing
