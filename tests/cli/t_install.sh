#!/bin/sh
# shellcheck disable=SC2119
# make install and uninstall with DESTDIR: postie in bindir, sendmail,
# mailq and newaliases in sbindir as symbolic links to the installed
# postie (the path without DESTDIR, as a package needs), the manuals;
# configure --disable-sendmail-links; and what each name does.
. "${top_srcdir:-.}/tests/cli/lib.sh"

# The make runs below are not part of the make that runs the tests: no
# jobserver or command-line variables (TESTS=...) of that one.
unset MAKEFLAGS MFLAGS MAKELEVEL
MK=${MAKE:-make}

# skip REASON: one skipped test point.
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
}

# mk ARGS...: make, quiet; on failure its output as TAP diagnostics.
mk() {
	"$MK" "$@" >"$T/make.log" 2>&1
	mk_rc=$?
	[ $mk_rc -eq 0 ] || tail -40 "$T/make.log" | sed 's/^/#   make: /'
	return $mk_rc
}

# var NAME: a variable of the build's Makefile, with ${prefix},
# ${exec_prefix} and ${datarootdir} expanded.
var() {
	sed -n "s/^$1 = //p" "$top_builddir/Makefile" | sed -n 1p |
	    sed -e "s|\${datarootdir}|$datarootdir|g" \
	    -e "s|\${exec_prefix}|$exec_prefix|g" -e "s|\${prefix}|$prefix|g"
}
prefix='' exec_prefix='' datarootdir=''
prefix=$(var prefix)
exec_prefix=$(var exec_prefix)
datarootdir=$(var datarootdir)
bindir=$(var bindir)
sbindir=$(var sbindir)
mandir=$(var mandir)
case $bindir$sbindir$mandir in
*'$'* | '')
	echo "Bail out! cannot read the install directories from $top_builddir/Makefile"
	exit 1 ;;
esac

# 1. make install.
R=$T/root
mk -C "$top_builddir" install DESTDIR="$R"
is "$?" 0 "make install DESTDIR: exit 0"
[ -f "$R$bindir/postie" ] && [ -x "$R$bindir/postie" ]
ok $? "postie in bindir ($bindir), executable"
"$R$bindir/postie" --version >"$T/out" 2>"$T/err"
is "$?" 0 "the installed postie runs"
for n in sendmail mailq newaliases; do
	[ -L "$R$sbindir/$n" ]
	ok $? "$n: a symbolic link in sbindir ($sbindir)"
	is "$(readlink "$R$sbindir/$n")" "$bindir/postie" "$n: to the installed postie, without DESTDIR"
done
same_file "$R$mandir/man8/postie.8" "$top_srcdir/man/postie.8" "postie.8 in man8"
same_file "$R$mandir/man5/postie.conf.5" "$top_srcdir/man/postie.conf.5" "postie.conf.5 in man5"
(cd "$R" && find . ! -type d | sort) >"$T/got"
printf '%s\n' ".$bindir/postie" ".$mandir/man5/postie.conf.5" \
    ".$mandir/man8/postie.8" ".$sbindir/mailq" ".$sbindir/newaliases" \
    ".$sbindir/sendmail" | sort >"$T/want"
same_file "$T/got" "$T/want" "nothing else installed"

# Installing again replaces the links (a package upgrade).
mk -C "$top_builddir" install DESTDIR="$R"
is "$?" 0 "make install again: exit 0"
is "$(readlink "$R$sbindir/sendmail")" "$bindir/postie" "make install again: the links as they were"

# 2. make uninstall: the binary, the links and the manuals go.
mk -C "$top_builddir" uninstall DESTDIR="$R"
is "$?" 0 "make uninstall DESTDIR: exit 0"
is "$(cd "$R" && find . ! -type d)" "" "make uninstall: nothing left but directories"

# 3. configure --disable-sendmail-links: postie alone.  A second build
#    (without optimisation or sanitizers, for speed: about 35 s) in $T.
if [ -f "$top_srcdir/config.status" ]; then
	skip "the source directory is configured: no second build beside it"
else
	mkdir "$T/build2"
	(cd "$T/build2" && "$top_srcdir/configure" -q --disable-sendmail-links \
	    CC="$(var CC)" CFLAGS=-O0 >"$T/configure.log" 2>&1)
	rc=$?
	[ $rc -eq 0 ] || tail -20 "$T/configure.log" | sed 's/^/#   configure: /'
	is "$rc" 0 "configure --disable-sendmail-links: exit 0"
	R2=$T/root2
	mk -C "$T/build2" -j2 install-exec DESTDIR="$R2"
	is "$?" 0 "--disable-sendmail-links: make install-exec: exit 0"
	is "$(cd "$R2" 2>/dev/null && find . ! -type d)" ".$bindir/postie" "--disable-sendmail-links: postie only, no links"
	mk -C "$T/build2" uninstall DESTDIR="$R2"
	is "$?" 0 "--disable-sendmail-links: make uninstall: exit 0"
	is "$(cd "$R2" && find . ! -type d)" "" "--disable-sendmail-links: make uninstall: nothing left"
fi

# 4. The names, through links to the built postie (postie tells the modes
#    apart by the name it is called by).
mkdir "$T/bin"
for n in sendmail mailq newaliases; do
	ln -s "$POSTIE" "$T/bin/$n"
done
# A private queue (as root the default is the system's spool).
mkdir -p "$XDG_CONFIG_HOME/postie"
printf 'queue_dir %s/q\n' "$T" >"$XDG_CONFIG_HOME/postie/config"
"$T/bin/mailq" >"$T/out" 2>"$T/err"
is "$?" 0 "mailq: exit 0"
is "$(cat "$T/out")" "Mail queue is empty" "mailq: says the queue is empty"
is "$(cat "$T/err")" "" "mailq: nothing on stderr"
# newaliases without any configuration (a private HOME; no system file):
# nothing to check, exit 0, silent.
sysconf=$(sed -n 's/^#define POSTIE_SYSTEM_CONF "\(.*\)"$/\1/p' "$top_builddir/config.h")
if [ -e "$sysconf" ]; then
	skip "$sysconf exists: newaliases would read it"
else
	rm -f "$XDG_CONFIG_HOME/postie/config"
	"$T/bin/newaliases" >"$T/out" 2>"$T/err"
	is "$?" 0 "newaliases, no configuration: exit 0"
	is "$(cat "$T/out" "$T/err")" "" "newaliases, no configuration: silent"
fi
# sendmail reads the user's file; -bv shows what it would send.
mkdir -p "$XDG_CONFIG_HOME/postie"
printf 'account default\nhost 127.0.0.1\nport 2525\nfrom me@client.example\ndomain client.example\n' >"$XDG_CONFIG_HOME/postie/config"
printf 'Subject: v\n\nbody\n' | "$T/bin/sendmail" -bv a@server.example >"$T/out" 2>"$T/err"
is "$?" 0 "sendmail -bv: exit 0"
contains "$T/out" '^RCPT TO:<a@server\.example>$' "sendmail -bv: the recipient"
contains "$T/out" '^\(message size [0-9]+ bytes; nothing was sent\)$' "sendmail -bv: nothing sent"

done_testing
