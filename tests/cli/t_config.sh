#!/bin/sh
# shellcheck disable=SC2119
# Configuration: files, accounts, errors with file and line.
. "${top_srcdir:-.}/tests/cli/lib.sh"

start_testd
printf 'Subject: c\n\nbody\n' >"$T/in"

# An unknown command: exit 78, "FILE:LINE: ..." on one line.
write_conf "bogus_command 1"
run_postie a@server.example
is "$RC" 78 "unknown command: exit 78"
contains "$T/err" "conf:8: unknown command 'bogus_command'" "unknown command: file and line"

# A -C file that does not exist.
"$POSTIE" -C "$T/nonexistent" a@server.example <"$T/in" >"$T/out" 2>"$T/err"
is "$?" 78 "missing -C file: exit 78"
contains "$T/err" 'nonexistent' "missing -C file: named"

# No host anywhere: the recipients' MX hosts (t_mx.sh sends that way in
# a private network namespace; here -bv only shows the route, and asks
# no DNS server anything).
printf 'defaults\nfrom a@b.example\ndomain b.example\n' >"$T/conf"
run_postie -bv a@server.example b@Other.Example c@server.example
is "$RC" 0 "no host: -bv"
is "$(grep '^route:' "$T/out")" "route: server.example: its MX hosts, port 25, TLS policy dane, no auth
route: other.example: its MX hosts, port 25, TLS policy dane, no auth" "no host: one MX route per domain"
printf 'defaults\nfrom a@b.example\ndomain b.example\ntls_policy may other.example=dane-only\n' >"$T/conf"
run_postie -bv a@server.example b@Other.Example
is "$(grep '^route:' "$T/out")" "route: server.example: its MX hosts, port 25, TLS policy may, no auth
route: other.example: its MX hosts, port 25, TLS policy dane-only, no auth" "no host: the policy of each domain"
printf 'defaults\nfrom a@b.example\nauth on\nuser u\npassword p\n' >"$T/conf"
chmod 600 "$T/conf"
run_postie a@server.example
is "$RC" 78 "no host, auth on: exit 78"
contains "$T/err" "auth is on but no 'host' is set" "no host, auth on: says why"

# -a picks an account; accounts inherit the defaults.
cat >"$T/conf" <<EOC
defaults
host 127.0.0.1
domain client.example
from def@client.example
queue off

account wrongport
port 1

account right : wrongport
port $PORT
from right@client.example

account default : wrongport
EOC
chmod 600 "$T/conf"
run_postie -a right a@server.example
is "$RC" 0 "-a right: exit 0"
contains "$(env_of 1)" '^mail right@client.example( SIZE=[0-9]+)?$' "-a right: its own from"
contains "$(env_of 1)" '^helo client.example$' "-a right: domain inherited from defaults"
run_postie a@server.example
is "$RC" 75 "default account (port 1): exit 75, connection refused"
run_postie -a nosuch a@server.example
is "$RC" 78 "-a unknown account: exit 78"
contains "$T/err" "account 'nosuch' not found" "-a unknown account: says so"

# The user's file ($XDG_CONFIG_HOME/postie/config) without -C.
mkdir -p "$XDG_CONFIG_HOME/postie"
printf 'account default\nhost 127.0.0.1\nport %s\nfrom xdg@client.example\ndomain client.example\n' "$PORT" >"$XDG_CONFIG_HOME/postie/config"
"$POSTIE" a@server.example <"$T/in" >"$T/out" 2>"$T/err"
is "$?" 0 "user config file: exit 0"
contains "$(env_of 2)" '^mail xdg@client.example( SIZE=[0-9]+)?$' "user config file: read"

# An existing ~/.msmtprc works with -C for the commands postie knows.
cat >"$T/msmtprc" <<EOC
# msmtp style
defaults
tls off
logfile $T/msmtp.log

account work
host 127.0.0.1
port $PORT
from "work@client.example"
domain client.example

account default : work
EOC
chmod 600 "$T/msmtprc"
"$POSTIE" -C "$T/msmtprc" a@server.example <"$T/in" >"$T/out" 2>"$T/err"
is "$?" 0 "msmtprc: exit 0"
contains "$(env_of 3)" '^mail work@client.example( SIZE=[0-9]+)?$' "msmtprc: quoted from"
contains "$T/msmtp.log" '^[0-9-]* [0-9:]* msgid=<[^ ]*@client.example> from=<work@client.example> size=[0-9]* relay="127.0.0.1 \[127.0.0.1:[0-9]*\]" delay=[0-9.]* outcome=sent to=<a@server.example> status=sent reply="250 [^"]*"$' "logfile: one line for the message"

# A file with a password readable by others is refused.
write_conf "password secret" "user u"
chmod 644 "$T/conf"
run_postie a@server.example
is "$RC" 78 "password in a world-readable file: exit 78"
contains "$T/err" 'readable by others' "password in a world-readable file: says so"

# timeout applies to every wait.
stop_testd
start_testd --stall ehlo=10
write_conf "timeout 1"
start=$(date +%s)
run_postie a@server.example
end=$(date +%s)
is "$RC" 75 "timeout 1 with a stalled server: exit 75"
ok "$([ $((end - start)) -le 4 ] && echo 0 || echo 1)" "timeout 1: gave up within 4 s"
stop_testd

done_testing
