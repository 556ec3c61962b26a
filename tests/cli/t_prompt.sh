#!/bin/sh
# shellcheck disable=SC2119
# The last password source: a prompt on the terminal, when standard input
# is one.  postie runs on a pseudo-terminal (python3's pty module): the
# message is typed, then ^D, then the password at the prompt.
. "${top_srcdir:-.}/tests/cli/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to drive a pseudo-terminal"
	exit 0
fi

cat >"$T/drive_tty.py" <<'EOP'
import os, pty, select, sys, time

postie, conf, rcpt, answer, out = sys.argv[1:6]
pid, fd = pty.fork()
if pid == 0:
    os.execv(postie, [postie, "-C", conf, rcpt])

seen = b""
def read_for(seconds, until=None):
    global seen
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if not r:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return False
        if not chunk:
            return False
        seen += chunk
        if until is not None and until in seen:
            return True
    return False

os.write(fd, b"Subject: typed\n\nbody\n")
time.sleep(0.2)
os.write(fd, b"\x04")
if read_for(10, b"password for alice at 127.0.0.1: "):
    os.write(fd, answer.encode() + b"\n")
read_for(10)
_, status = os.waitpid(pid, 0)
with open(out, "wb") as f:
    f.write(seen)
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 99)
EOP

printf 'alice:typed pw\n' >"$T/users"
start_testd --sessions 1 --auth-users "$T/users"
write_conf "auth plain" "user alice" "auth_plaintext on"
python3 "$T/drive_tty.py" "$POSTIE" "$T/conf" rcpt@server.example 'typed pw' "$T/tty"
is "$?" 0 "password typed at the prompt: exit 0"
contains "$T/tty" 'password for alice at 127\.0\.0\.1: ' "the prompt names the user and the host"
lacks "$T/tty" 'typed pw' "what is typed at the prompt is not echoed"
wait_session 1
# AUTH PLAIN's initial response is base64("\0alice\0typed pw").
contains "$SRV/dir/session-1.log" "^C: AUTH PLAIN $(printf '\000alice\000typed pw' | base64)\$" "the typed password was the one sent"
contains "$SRV/dir/session-1.log" '^A: authenticated alice$' "and the server took it"
is "$(nfiles 'msg-*.eml')" 1 "the message arrived"
stop_testd

# Standard input not a terminal: no prompt, a clear error, nothing sent.
start_testd --sessions 1 --auth-users "$T/users"
write_conf "auth plain" "user alice" "auth_plaintext on"
printf 'Subject: piped\n\nbody\n' >"$T/in"
run_postie rcpt@server.example
is "$RC" 78 "no password and no terminal: exit 78"
contains "$T/err" 'no password is configured' "no password and no terminal: says so"
lacks "$T/err" 'password for' "no password and no terminal: no prompt"
stop_testd

done_testing
