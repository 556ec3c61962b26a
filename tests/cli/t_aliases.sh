#!/bin/sh
# shellcheck disable=SC2119
# The aliases file (config `aliases`) on real submissions, newaliases, and
# the account chosen by the sender (-f against each account's `from`).
. "${top_srcdir:-.}/tests/cli/lib.sh"

start_testd
cat >"$T/aliases" <<'EOF'
# system aliases
postmaster: root
root: admin@server.example, ops
ops: ops1@server.example,
	ops2@server.example
# a name listing itself is the mailbox itself
keep: keep, copy@server.example
default: catchall@server.example
loop1: loop2
loop2: loop1
pipe: "|/usr/bin/procmail"
EOF
write_conf "aliases $T/aliases"
printf 'Subject: a\n\nbody\n' >"$T/in"

# rcpts N: the recipients of message N, one line, in order.
rcpts() {
	sed -n 's/^rcpt //p' "$(env_of "$1")" | tr '\n' ' '
}

run_postie postmaster
is "$RC" 0 "alias: exit 0"
is "$(rcpts 1)" "admin@server.example ops1@server.example ops2@server.example " "postmaster -> root -> admin, ops -> ops1, ops2 (continuation line)"
run_postie ROOT@client.example
is "$(rcpts 2)" "admin@server.example ops1@server.example ops2@server.example " "name@local-domain, any case, is local"
run_postie root@server.example
is "$(rcpts 3)" "root@server.example " "another domain is not aliased"
run_postie keep
is "$(rcpts 4)" "keep@client.example copy@server.example " "a name listing itself: the mailbox itself, qualified"
run_postie stranger
is "$(rcpts 5)" "catchall@server.example " "default: catches a local name without an entry"
run_postie -n postmaster
is "$(rcpts 6)" "postmaster@client.example " "-n: no aliasing"
printf 'To: root\nCc: friend@server.example\nSubject: t\n\nx\n' >"$T/in"
run_postie -t
is "$(rcpts 7)" "admin@server.example ops1@server.example ops2@server.example friend@server.example " "-t: header recipients are aliased too"
printf 'Subject: a\n\nbody\n' >"$T/in"

run_postie loop1
is "$RC" 78 "alias loop: exit 78"
contains "$T/err" 'loop' "alias loop: says so"
run_postie pipe
is "$RC" 78 "alias to a program: exit 78"
contains "$T/err" 'program' "alias to a program: says why"
is "$(nfiles 'msg-*.eml')" 7 "nothing sent for the refused ones"

# newaliases checks the file: every entry, loops and programs included.
mkdir -p "$T/bin"
ln -s "$POSTIE" "$T/bin/newaliases"
cp "$T/conf" "$XDG_CONFIG_HOME/postie/config" 2>/dev/null ||
	{ mkdir -p "$XDG_CONFIG_HOME/postie" && cp "$T/conf" "$XDG_CONFIG_HOME/postie/config"; }
"$T/bin/newaliases" >"$T/out" 2>"$T/err"
is "$?" 78 "newaliases with a loop: exit 78"
contains "$T/err" 'loop' "newaliases: names the problem"
grep -v -e '^loop' -e '^pipe' "$T/aliases" >"$T/aliases.ok"
write_conf "aliases $T/aliases.ok"
cp "$T/conf" "$XDG_CONFIG_HOME/postie/config"
"$T/bin/newaliases" >"$T/out" 2>"$T/err"
is "$?" 0 "newaliases with a good file: exit 0"
contains "$T/out" "^$T/aliases.ok: 5 aliases$" "newaliases: counts the entries (postmaster, root, ops, keep, default)"
"$POSTIE" -bi >"$T/out" 2>"$T/err"
is "$?" 0 "-bi: the same as newaliases"
write_conf "aliases $T/missing"
run_postie root
is "$RC" 78 "a missing aliases file: exit 78"
contains "$T/err" "$T/missing" "a missing aliases file: named"

# ---- accounts by sender (msmtp's rule) ----------------------------------
cat >"$T/conf" <<EOF
defaults
queue off
host 127.0.0.1
port $PORT
account work
from *@work.example
domain work.example
account home
from j?hn@home.example
domain home.example
account default
from someone@client.example
domain client.example
EOF
chmod 600 "$T/conf"
n=$(nfiles 'msg-*.eml')
run_postie -f ann@work.example a@server.example
is "$RC" 0 "-f matching work: exit 0"
contains "$(env_of $((n + 1)))" '^helo work\.example$' "-f ann@work.example: the work account"
run_postie -f john@home.example a@server.example
contains "$(env_of $((n + 2)))" '^helo home\.example$' "-f john@home.example: the home account"
run_postie -f other@else.example a@server.example
contains "$(env_of $((n + 3)))" '^helo client\.example$' "-f matching none: the default account"
contains "$(env_of $((n + 3)))" '^mail other@else\.example' "-f matching none: -f still the sender"
run_postie -a home -f ann@work.example a@server.example
contains "$(env_of $((n + 4)))" '^helo home\.example$' "-a wins over -f"
run_postie a@server.example
contains "$(env_of $((n + 5)))" '^mail someone@client\.example' "no -f: the default account and its from"

stop_testd
done_testing
