#!/bin/sh
# shellcheck disable=SC2119
# The message corpus, tests/data/messages/ (see its README): for each
# case, postie reads NAME.eml with the arguments in NAME.args and sends it
# to a fresh smtp-testd (options in NAME.testd); it must exit 0, silently,
# and the server must have stored exactly NAME.env and NAME.out (through
# lib.sh's shaped() when the case has NAME.shaped).  A case with a
# NAME.todo file shows a known bug: it is one TODO test, which passes
# unexpectedly once the bug is fixed.
. "${top_srcdir:-.}/tests/cli/lib.sh"

CORPUS=$top_srcdir/tests/data/messages

# check STATUS NAME: ok, or, in a case with a .todo file, one failure
# more for the case's single TODO test (see run_case).
check() {
	if [ -z "$todo" ]; then
		ok "$1" "$2"
	elif [ "$1" -ne 0 ]; then
		todo_failed=$((todo_failed + 1))
		echo "# $2: failed"
	fi
}

# visible FILE: sed's unambiguous form (POSIX "l": CR as \r, NUL and
# 8-bit bytes in octal, "$" at each line end), so that a diff shows them.
visible() {
	sed -n l "$1"
}

# same NAME GOT WANT: compare byte for byte; on a difference, a diff of
# the visible forms.
same() {
	if cmp -s "$2" "$3"; then
		check 0 "$1"
		return
	fi
	check 1 "$1"
	visible "$3" >"$T/want.vis"
	visible "$2" >"$T/got.vis"
	diff -u "$T/want.vis" "$T/got.vis" | head -40 | sed 's/^/#   /'
}

# run_case NAME: NAME.args, NAME.conf and NAME.testd hold one word a
# line, no quoting.
run_case() {
	name=$1
	todo=""
	todo_failed=0
	[ -f "$CORPUS/$name.todo" ] && todo=$(cat "$CORPUS/$name.todo")
	set --
	if [ -f "$CORPUS/$name.testd" ]; then
		while IFS= read -r a || [ -n "$a" ]; do
			set -- "$@" "$a"
		done <"$CORPUS/$name.testd"
	fi
	start_testd "$@"
	set --
	if [ -f "$CORPUS/$name.conf" ]; then
		while IFS= read -r a || [ -n "$a" ]; do
			set -- "$@" "$a"
		done <"$CORPUS/$name.conf"
	fi
	write_conf "$@"
	set --
	while IFS= read -r a || [ -n "$a" ]; do
		set -- "$@" "$a"
	done <"$CORPUS/$name.args"
	cp "$CORPUS/$name.eml" "$T/in"
	run_postie "$@"
	wait_session 1
	stop_testd
	check "$([ "$RC" -eq 0 ]; echo $?)" "$name: exit 0"
	[ "$RC" -eq 0 ] || sed 's/^/#   stderr: /' "$T/err"
	check "$([ ! -s "$T/err" ] && [ ! -s "$T/out" ]; echo $?)" \
	    "$name: silent"
	got_env=$SRV/dir/msg-1.env
	got_eml=$SRV/dir/msg-1.eml
	if [ -f "$CORPUS/$name.shaped" ] && [ -f "$got_eml" ]; then
		# Date and Message-ID generated: compared by shape (lib.sh),
		# and SIZE, which their lengths change, as "SIZE=SIZE".
		got_eml=$(shaped 1)
		sed 's/ SIZE=[0-9]*/ SIZE=SIZE/' "$got_env" >"$T/env.shaped"
		got_env=$T/env.shaped
	fi
	if [ -f "$got_env" ]; then
		same "$name: envelope" "$got_env" "$CORPUS/$name.env"
		same "$name: message" "$got_eml" "$CORPUS/$name.out"
	else
		check 1 "$name: envelope (nothing received)"
		check 1 "$name: message (nothing received)"
		sed 's/^/#   session: /' "$SRV/dir/session-1.log" 2>/dev/null |
		    head -20
	fi
	check "$([ "$(nfiles 'msg-*.eml')" -eq 1 ]; echo $?)" \
	    "$name: one message"
	# A known bug: one TODO test for the whole case, so that a fix
	# shows as an unexpected pass (and the .todo file goes).
	if [ -n "$todo" ]; then
		tap_n=$((tap_n + 1))
		[ "$todo_failed" -eq 0 ] || printf 'not '
		echo "ok $tap_n - $name: as the corpus says # TODO $todo"
	fi
}

n=0
for eml in "$CORPUS"/*.eml; do
	name=$(basename "$eml" .eml)
	run_case "$name"
	n=$((n + 1))
done
todo=""
ok "$([ "$n" -ge 20 ]; echo $?)" "corpus: $n cases"

# RFC 2047 section 2: a header line that holds an encoded-word is at most
# 76 characters long.  The exact folds are postie's choice, so this is
# checked apart from the corpus: long To and Subject fields with UTF-8 to
# a 7-bit server.
start_testd --no-ext 8BITMIME --no-ext SMTPUTF8
write_conf "set_date_header off" "set_msgid_header off"
printf '%s\n' 'To: "Zoë Ærøskøbing" <zoe@server.example>, 山田太郎 <yamada@server.example>' \
    'Subject: Grüße aus Köln — 日本語のテスト und noch viel mehr Text damit es lang wird äöü' \
    '' 'x' >"$T/in"
run_postie -t
wait_session 1
stop_testd
is "$RC" 0 "encoded-words: exit 0"
long=$(awk '/=\?/ { sub(/\r$/, ""); if (length($0) > 76) n++ } END { print n + 0 }' \
    "$(msg 1)")
is "$long" 0 "encoded-words: no line over 76 characters (RFC 2047 2)"
[ "$long" -eq 0 ] || sed -n 's/^/#   | /p' "$(msg 1)" | head -8

done_testing
