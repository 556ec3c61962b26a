#!/bin/sh
# shellcheck disable=SC2119
# The manual pages: mandoc finds nothing to warn about, postie.8 has an
# entry for every option of cmd/options.h and a row for every exit status
# of cmd/postie.c, and postie.conf.5 documents every command of
# src/conf/parse.c with its default and an example.
. "${top_srcdir:-.}/tests/cli/lib.sh"

MAN8=$top_srcdir/man/postie.8
MAN5=$top_srcdir/man/postie.conf.5
OPTIONS_H=$top_srcdir/cmd/options.h
PARSE_C=$top_srcdir/src/conf/parse.c
POSTIE_C=$top_srcdir/cmd/postie.c

# ---- mandoc -------------------------------------------------------------

if command -v mandoc >/dev/null 2>&1; then
	mandoc -Tlint -W warning "$MAN8" "$MAN5" >"$T/lint" 2>&1
	is "$?" 0 "mandoc -Tlint -W warning: exit 0"
	is "$(cat "$T/lint")" "" "mandoc -Tlint -W warning: no output"
	# Rendered, without the overstrike of bold and underlined text.
	bs=$(printf '\b')
	mandoc -Tutf8 "$MAN8" 2>&1 | sed "s/.$bs//g" >"$T/postie.8.txt"
	contains "$T/postie.8.txt" '^EXIT STATUS$' "postie.8 renders"
	mandoc -Tutf8 "$MAN5" 2>&1 | sed "s/.$bs//g" >"$T/postie.conf.5.txt"
	contains "$T/postie.conf.5.txt" '^EXAMPLES$' "postie.conf.5 renders"
else
	for what in "lint: exit 0" "lint: no output" "postie.8 renders" \
	    "postie.conf.5 renders"; do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n - $what # SKIP mandoc is not installed"
	done
fi

# ---- postie.8 -------------------------------------------------------------

# has_item FILE MACRO NAME: FILE has a list entry (".It") naming NAME with
# MACRO (Fl, Ic), alone or among others, as in ".It Fl oi , Fl O Cm x".
has_item() {
	grep -Eq -- "^\\.It (.* )?$2 $3( |\$)" "$1"
}

# item FILE MACRO NAME WHAT: one test.
item() {
	if has_item "$1" "$2" "$3"; then
		ok 0 "$4"
	else
		ok 1 "$4"
		echo "#   no '.It ... $2 $3' entry in $1"
	fi
}

for n in postie sendmail mailq newaliases; do
	contains "$MAN8" "^\\.Nm $n( ,)?\$" "postie.8 NAME: $n"
done
for s in NAME SYNOPSIS DESCRIPTION ALIASES LOGGING ENVIRONMENT FILES \
    'EXIT STATUS' EXAMPLES 'SEE ALSO' STANDARDS CAVEATS; do
	contains "$MAN8" "^\\.Sh $s\$" "postie.8 has the section $s"
done

# The options of cmd/options.h (its header comment), each with an entry:
# modes, -q forms, the options it implements, those it ignores, and those
# it ignores with a warning.
for o in bm bs bp bv bi q qf qI qR qS t i f r F N R V B U v n L C a h \
    G A p M X D d oi oe od om os oL o7 o8 oQ oA -help -version; do
	item "$MAN8" Fl "$o" "postie.8: an entry for -$o"
done
# -q<interval>: the form with a time attached.
contains "$MAN8" '^\.It Fl q Ns Ar interval$' "postie.8: an entry for -q<interval>"

# Every -o letter and every -O name that options.h mentions.
sed -n '1,/\*\//p' "$OPTIONS_H" >"$T/options-comment"
grep -Eo -- '-o[a-zA-Z0-9]' "$T/options-comment" | sort -u >"$T/o-forms"
grep -Eo -- '-O [A-Z][A-Za-z]+' "$T/options-comment" | sed 's/^-O //' |
    sort -u >"$T/O-names"
if [ -s "$T/o-forms" ] && [ -s "$T/O-names" ]; then
	ok 0 "options.h: -o and -O forms found"
else
	ok 1 "options.h: -o and -O forms found"
fi
while read -r o; do
	item "$MAN8" Fl "${o#-}" "postie.8: an entry for $o (from options.h)"
done <"$T/o-forms"
while read -r name; do
	if grep -Eq -- "^\\.It (.* )?Fl O Cm $name( |\$)" "$MAN8"; then
		ok 0 "postie.8: an entry for -O $name (from options.h)"
	else
		ok 1 "postie.8: an entry for -O $name (from options.h)"
	fi
done <"$T/O-names"

# The options ignored with a warning are said to be, with the reason.
contains "$MAN8" 'CVE-2016-10033' "postie.8: PHPMailer CVE-2016-10033 named"
contains "$MAN8" 'allow_config_option' "postie.8: -C under the name sendmail"
contains "$MAN8" 'Mail queue is empty' "postie.8: -bp until the queue exists"

# A row of the EXIT STATUS table for every status of exits[] in postie.c.
sed -nE 's/^[[:space:]]*\[ERR_[A-Z_]+\] = (EX_[A-Z]+),$/\1/p' "$POSTIE_C" |
    sort -u >"$T/exits"
if [ "$(grep -c '' "$T/exits")" -ge 10 ]; then
	ok 0 "postie.c: the exit table was read"
else
	ok 1 "postie.c: the exit table was read"
fi
while read -r ex; do
	contains "$MAN8" "^\\.It [0-9]+ Ta Dv $ex Ta" "postie.8: exit status $ex"
done <"$T/exits"
for code in 0 64 65 67 68 69 70 71 73 74 75 76 77 78; do
	contains "$MAN8" "^\\.It $code Ta Dv EX_" "postie.8: exit status $code"
done

# ---- postie.conf.5 -------------------------------------------------------

# entry_of NAME: the text of NAME's ".It Ic" entry in postie.conf.5, up to
# the next command's entry or the next section.
entry_of() {
	awk -v re="^\\\\.It (.* )?Ic $1( |\$)" '
		found && (/^\.It (.* )?Ic / || /^\.S[hs] /) { exit }
		$0 ~ re { found = 1 }
		found { print }
	' "$MAN5"
}

# documented NAME: an entry that gives the default and an example.
documented() {
	entry_of "$1" >"$T/entry"
	if [ ! -s "$T/entry" ]; then
		ok 1 "postie.conf.5: $1 has an entry"
		return
	fi
	ok 0 "postie.conf.5: $1 has an entry"
	contains "$T/entry" '[Dd]efault' "postie.conf.5: $1: its default"
	contains "$T/entry" '^Examples?:$' "postie.conf.5: $1: an example"
	contains "$T/entry" "^\\.Dl $1( |\$)" "postie.conf.5: $1: the example uses it"
}

# The table of src/conf/parse.c: { "name", CONF_KEY or KEY_NONE, ... }.
sed -nE 's/^[[:space:]]*\{ "([a-z0-9_]+)", (CONF_[A-Z0-9_]+|KEY_NONE),.*/\1 \2/p' \
    "$PARSE_C" >"$T/commands"
ncommands=$(grep -c '' "$T/commands")
if [ "$ncommands" -ge 30 ]; then
	ok 0 "parse.c: the command table was read ($ncommands commands)"
else
	ok 1 "parse.c: the command table was read ($ncommands commands)"
fi
while read -r name key; do
	if [ "$key" = KEY_NONE ]; then
		# Not supported yet: named (as such, or with an entry).
		contains "$MAN5" "(^\\.|[ ])Ic $name( |\$)" "postie.conf.5 names $name"
	else
		documented "$name"
	fi
done <"$T/commands"

# The commands being added, by name, whatever parse.c says today.
for name in aliases log_format allow_config_option; do
	documented "$name"
done
# Sections of the file, handled outside the table.
item "$MAN5" Ic defaults "postie.conf.5: an entry for defaults"
item "$MAN5" Ic account "postie.conf.5: an entry for account"
contains "$MAN5" '^\.Ss Choosing the account$' "postie.conf.5: how the account is chosen"
for host in smtp.gmail.com smtp.office365.com smtp.fastmail.com 127.0.0.1; do
	contains "$MAN5" "^host $host\$" "postie.conf.5: an example for $host"
done

done_testing
