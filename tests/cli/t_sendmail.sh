#!/bin/sh
# shellcheck disable=SC2119
# postie called as sendmail, mailq and newaliases, with the exact command
# lines real callers use (cronie, Debian cron, PHP mail(), mutt, git
# send-email), sendmail's options one by one, and the argument-injection
# attempts that must be refused and write nothing.
. "${top_srcdir:-.}/tests/cli/lib.sh"

mkdir -p "$T/bin" "$XDG_CONFIG_HOME/postie"
for n in sendmail mailq newaliases; do
	ln -s "$POSTIE" "$T/bin/$n"
done
SENDMAIL=$T/bin/sendmail

start_testd
write_conf
# Called as sendmail, postie reads the user's file (no -C needed).
cp "$T/conf" "$XDG_CONFIG_HOME/postie/config"
chmod 600 "$XDG_CONFIG_HOME/postie/config"

# as_sendmail ARGS...: $SENDMAIL ARGS with stdin from $T/in; sets RC.
as_sendmail() {
	"$SENDMAIL" "$@" <"$T/in" >"$T/out" 2>"$T/err"
	RC=$?
}

n=0
# delivered NAME: the last run exited 0, silently, and message n+1 arrived.
delivered() {
	n=$((n + 1))
	is "$RC" 0 "$1: exit 0"
	is "$(cat "$T/err")" "" "$1: silent"
	is "$(nfiles "msg-$n.eml")" 1 "$1: delivered"
}

# cronie 4 (do_command.c): the job's output piped with these flags.
printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@host> run-parts /etc/cron.daily\nX-Cron-Env: <SHELL=/bin/sh>\n\n.\nline after a lone dot\n' >"$T/in"
as_sendmail -FCronDaemon -i -odi -oem -oi -t -f root
delivered "cronie"
contains "$(env_of $n)" '^mail root@client\.example SIZE=[0-9]+$' "cronie: -f root qualified"
contains "$(env_of $n)" '^rcpt root@client\.example$' "cronie: To: root qualified"
contains "$(msg $n)" '^line after a lone dot' "cronie: -i keeps the lone dot line and what follows"
contains "$(msg $n)" '^From: root \(Cron Daemon\)' "cronie: its From kept"

# Debian cron 3.0pl1 (do_command.c): recipient on the command line, 8-bit.
printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@host> test\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\nr\303\251sultat\n' >"$T/in"
as_sendmail -i -FCronDaemon -B8BITMIME -oem root
delivered "Debian cron"
contains "$(env_of $n)" 'BODY=8BITMIME' "Debian cron: BODY=8BITMIME"
contains "$(env_of $n)" '^rcpt root@client\.example$' "Debian cron: root qualified"

# PHP mail() (sendmail_path = "sendmail -t -i").
printf 'To: a@server.example\nCc: b@server.example\nBcc: hidden@server.example\nSubject: php\nX-PHP-Originating-Script: 0:form.php\n\n.\nbody\n' >"$T/in"
as_sendmail -t -i
delivered "PHP mail()"
contains "$(env_of $n)" '^rcpt hidden@server\.example$' "PHP: Bcc is a recipient"
lacks "$(msg $n)" '^Bcc:' "PHP: Bcc removed from the header"
contains "$(msg $n)" '^\.\.?'"$CR"'?$' "PHP: the lone dot line is kept"

# mutt (sendmail="/usr/sbin/sendmail -oem -oi"): mutt adds -- before
# the recipients.
printf 'From: Me <me@client.example>\nTo: a@server.example\nSubject: mutt\n\nhi\n' >"$T/in"
as_sendmail -oem -oi -- a@server.example b@server.example
delivered "mutt"
contains "$(env_of $n)" '^rcpt b@server\.example$' "mutt: both recipients"

# git send-email (sendemail.sendmailCmd / smtpServer = /usr/sbin/sendmail):
# "sendmail -i -f FROM RCPT..." with its own Message-ID and In-Reply-To.
printf 'From: Dev <dev@client.example>\nTo: list@server.example\nSubject: [PATCH] fix\nMessage-ID: <20261123.1@client.example>\nIn-Reply-To: <20261122.9@client.example>\n\n---\n.\n' >"$T/in"
as_sendmail -i -f dev@client.example list@server.example maintainer@server.example
delivered "git send-email"
contains "$(env_of $n)" '^mail dev@client\.example' "git: -f is the sender"
contains "$(msg $n)" '^Message-ID: <20261123\.1@client\.example>' "git: its Message-ID kept"

# logwatch, smartd and friends: -t alone; a lone dot ends the message.
printf 'To: a@server.example\nSubject: dot\n\nbefore\n.\nafter\n' >"$T/in"
as_sendmail -t
delivered "-t without -i"
lacks "$(msg $n)" '^after' "without -i: a lone dot ends the message"

# ---- options, one by one ----------------------------------------------------
printf 'Subject: o\n\nbody\n' >"$T/in"
for opts in "-odb" "-odq" "-odi" "-ODeliveryMode=b" "-oep" "-oew" "-oem" \
    "-h 12" "-G" "-Am" "-Ac" "-p esmtp" "-Mrsmtp" "-om" "-os" "-oL9" \
    "-OMeToo=true" "-U" "-n" "-L myapp" "-O IgnoreDots=true" "-bm" \
    "-r sender@client.example" "-F Name" "-V envid1" "-N never" "-R full"; do
	# shellcheck disable=SC2086 # the option and its argument
	as_sendmail $opts a@server.example
	delivered "$opts"
done
contains "$(env_of $((n - 4)))" '^mail sender@client\.example' "-r: the sender"
contains "$(msg $((n - 3)))" '^From: Name <sender@client\.example>' "-F: the full name"

# -odb and -odq deliver in the foreground until the queue exists: a
# failure is still reported, never lost in a detached child.
stop_testd
as_sendmail -odb a@server.example
is "$RC" 75 "-odb with the server down: exit 75, nothing lost silently"
contains "$T/err" 'refused|connect' "-odb with the server down: says why"
as_sendmail -oeq a@server.example
is "$RC" 75 "-oeq: the exit status still tells"
is "$(cat "$T/err")" "" "-oeq: nothing on stderr"
start_testd
write_conf
cp "$T/conf" "$XDG_CONFIG_HOME/postie/config"
n=0

# ---- argument injection (PHPMailer CVE-2016-10033 and kin) -------------------
printf 'Subject: inj\n\nbody\n' >"$T/in"
as_sendmail -f '-X/tmp/x' a@server.example
is "$RC" 64 "-f '-X...': refused"
contains "$T/err" "refusing sender '-X/tmp/x'" "-f '-X...': says why"
as_sendmail -fattacker@example.org -X"$T/shell.php" -OQueueDirectory="$T/q1" -oQ"$T/q2" -oA"$T/al" a@server.example
n=$((n + 1))
is "$RC" 0 "-X, -oQ, -OQueueDirectory, -oA: ignored, the message sent"
is "$(nfiles "msg-$n.eml")" 1 "-X, -oQ, -OQueueDirectory, -oA: delivered"
is "$(grep -c '^postie: warning: ignoring -[XoO]' "$T/err")" 4 "one warning for each of them"
contains "$T/err" "warning: ignoring -X $T/shell.php: postie writes no traffic log" "-X: the warning names it"
for f in shell.php q1 q2 al; do
	[ ! -e "$T/$f" ]
	ok $? "nothing written at $f"
done
as_sendmail -- -oQ/tmp
is "$RC" 64 "recipient -oQ/tmp: refused"
as_sendmail a@server.example -oQ/tmp
is "$RC" 64 "recipient -oQ/tmp after another: refused"
as_sendmail -F "$(printf 'Name\r\nBcc: victim@example.org')" a@server.example
is "$RC" 64 "CR/LF in -F: refused"
as_sendmail "$(printf 'a@server.example\nb@evil.example')"
is "$RC" 64 "LF in a recipient: refused"
as_sendmail -be
is "$RC" 64 "-be: usage error"
as_sendmail -bt
is "$RC" 64 "-bt: usage error"
as_sendmail -bh
is "$RC" 64 "-bh: usage error"
as_sendmail -bd
is "$RC" 64 "-bd: usage error"
as_sendmail -Q reason a@server.example
is "$RC" 64 "-Q: unknown option, exit 64"
contains "$T/err" 'unknown option -Q' "-Q: named"
is "$(nfiles 'msg-*.eml')" "$n" "no refused command line delivered anything"

# -C as sendmail: only when the system file allows it.
as_sendmail -C "$T/conf" a@server.example
is "$RC" 77 "-C as sendmail without allow_config_option: exit 77"
contains "$T/err" 'allow_config_option' "-C as sendmail: says how to allow it"
"$POSTIE" -C "$T/conf" a@server.example <"$T/in" >"$T/out" 2>"$T/err"
is "$?" 0 "-C as postie: honoured"
n=$((n + 1))

# With a system file that allows it (a private mount namespace shows our
# /etc; root only).  The -C file's owner and mode are checked even then.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1; then
	mkdir -p "$T/etc"
	cp -a /etc/. "$T/etc/"
	echo "allow_config_option on" >"$T/etc/postie.conf"
	cp "$T/conf" "$T/other.conf"
	sed -i 's/^domain .*/domain other.example/' "$T/other.conf"
	chmod 600 "$T/other.conf"
	cp "$T/other.conf" "$T/loose.conf"
	chmod 666 "$T/loose.conf"
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m sh -c '
		mount --bind "$1/etc" /etc || exit 99
		"$2" -C "$1/other.conf" a@server.example <"$1/in" >/dev/null 2>"$1/err1"
		echo $? >"$1/rc1"
		"$2" -C "$1/loose.conf" a@server.example <"$1/in" >/dev/null 2>"$1/err2"
		echo $? >"$1/rc2"' sh "$T" "$SENDMAIL"
	is "$(cat "$T/rc1")" 0 "-C as sendmail with allow_config_option on: exit 0"
	n=$((n + 1))
	contains "$(env_of $n)" '^helo other\.example$' "-C as sendmail: the file was used"
	is "$(cat "$T/rc2")" 78 "-C file writable by others: refused even when allowed"
	contains "$T/err2" 'writable by group or others' "-C writable: says why"
else
	echo "ok $((tap_n + 1)) # SKIP allow_config_option needs root for a private /etc"
	tap_n=$((tap_n + 1))
fi

# ---- the other names ---------------------------------------------------------
# A private queue (as root the default is the system's spool).
echo "queue_dir $T/q" >>"$XDG_CONFIG_HOME/postie/config"
"$T/bin/mailq" >"$T/out" 2>"$T/err"
is "$?" 0 "mailq: exit 0"
contains "$T/out" '^Mail queue is empty$' "mailq: the queue is empty"
"$SENDMAIL" -bp >"$T/out" 2>"$T/err"
contains "$T/out" '^Mail queue is empty$' "-bp: the queue is empty"
"$T/bin/newaliases" >"$T/out" 2>"$T/err"
is "$?" 0 "newaliases without an aliases file: exit 0"
for q in -q -qf -q30m -q1h -qIabc; do
	"$SENDMAIL" "$q" >"$T/out" 2>"$T/err"
	is "$?" 0 "$q: exit 0 (no queue yet)"
done
"$SENDMAIL" -q5x >"$T/out" 2>"$T/err"
is "$?" 64 "-q5x: not an interval"

stop_testd
done_testing
