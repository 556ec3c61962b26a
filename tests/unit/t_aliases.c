/*
 * t_aliases: the /etc/aliases parser and expander (conf/aliases), with
 * friendly and hostile texts.  Every expansion is compared in full, every
 * error by its exact message.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/aliases.h"
#include "tap.h"
#include "util/buf.h"

#define F "aliases"
#define LH "host.example"

static char got[8192];

/* The list joined with " | ". */
static const char *
join(const struct mail_address_list *l)
{
	size_t i;

	got[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			strlcat(got, " | ", sizeof(got));
		strlcat(got, l->addrs[i], sizeof(got));
	}
	return got;
}

/*
 * Parse text[0..len) and expand addr with localhost lh: the addresses
 * joined with " | ", or "PARSE:msg" / "ERR:msg" (plus " (kind N)" when the
 * kind is not ERR_CONFIG).  Static result.
 */
static const char *
run(const char *text, size_t len, const char *addr, const char *lh)
{
	struct conf_aliases a;
	struct mail_address_list l;
	struct err e;
	enum err_kind rc;
	char kind[32] = "";

	conf_aliases_init(&a);
	mail_address_list_init(&l);
	err_clear(&e);
	if ((rc = conf_aliases_parse(&a, text, len, F, &e)) != ERR_OK) {
		if (rc != ERR_CONFIG)
			snprintf(kind, sizeof(kind), " (kind %d)", rc);
		snprintf(got, sizeof(got), "PARSE:%s%s", e.msg, kind);
	} else if ((rc = conf_aliases_expand(&a, addr, lh, &l, &e)) !=
	    ERR_OK) {
		if (rc != ERR_CONFIG)
			snprintf(kind, sizeof(kind), " (kind %d)", rc);
		snprintf(got, sizeof(got), "ERR:%s%s", e.msg, kind);
	} else
		join(&l);
	mail_address_list_free(&l);
	conf_aliases_free(&a);
	return got;
}

static void
is_lh(const char *text, const char *addr, const char *lh, const char *want,
    const char *name)
{
	tap_is_str(run(text, strlen(text), addr, lh), want, name);
}

static void
is(const char *text, const char *addr, const char *want, const char *name)
{
	is_lh(text, addr, LH, want, name);
}

static void add(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Append to a test text; the caps are the tests' own, so abort past them. */
static void
add(struct buf *b, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    buf_append(b, line, (size_t)n) == -1)
		abort();
}

/* Parsing text[0..len) fails with exactly ERR_CONFIG msg. */
static void
fails_mem(const char *text, size_t len, const char *msg)
{
	char want[1024];

	snprintf(want, sizeof(want), "PARSE:%s", msg);
	tap_is_str(run(text, len, "x", LH), want, msg);
}

static void
fails(const char *text, const char *msg)
{
	fails_mem(text, strlen(text), msg);
}

/* conf_aliases_check() on text: "OK n" or "ERR:msg". */
static const char *
check(const char *text, size_t len)
{
	struct conf_aliases a;
	struct err e;
	size_t n = 12345;

	conf_aliases_init(&a);
	err_clear(&e);
	if (conf_aliases_parse(&a, text, len, F, &e) != ERR_OK)
		snprintf(got, sizeof(got), "PARSE:%s", e.msg);
	else if (conf_aliases_check(&a, LH, &n, &e) != ERR_OK)
		snprintf(got, sizeof(got), "ERR:%s (n %zu, kind %d)", e.msg, n,
		    e.kind);
	else
		snprintf(got, sizeof(got), "OK %zu", n);
	conf_aliases_free(&a);
	return got;
}

static void
checks(const char *text, const char *want, const char *name)
{
	tap_is_str(check(text, strlen(text)), want, name);
}

static void
test_basic(void)
{
	is("root: admin@example.org\n", "root", "admin@example.org",
	    "one alias");
	is("root: admin@example.org", "root", "admin@example.org",
	    "no final newline");
	is("staff: a@x.test, b@x.test ,c@x.test\t,  d@x.test\n", "staff",
	    "a@x.test | b@x.test | c@x.test | d@x.test",
	    "several targets in order, blanks trimmed");
	is("root : a@x.test\n", "root", "a@x.test", "blanks before ':'");
	is("root:a@x.test\n", "root", "a@x.test", "no blank after ':'");
	is("staff: a@x.test, a@x.test, A@X.TEST\n", "staff",
	    "a@x.test | A@X.TEST",
	    "duplicates dropped (domain case-insensitive only)");
	is("ops: \"Ops, on call\" <ops@x.test>, Bob <bob@x.test>\n", "ops",
	    "ops@x.test | bob@x.test", "display names, quoted comma");
	is("q: \"a,b\"@x.test, c@x.test\n", "q", "\"a,b\"@x.test | c@x.test",
	    "quoted local part holding a comma");
	is("c: a@x.test (the boss, really), b@x.test\n", "c",
	    "a@x.test | b@x.test", "comment holding a comma");
	is("r: <@relay1.test,@relay2.test:u@x.test>, v@x.test\n", "r",
	    "u@x.test | v@x.test", "obs-route's commas inside <>");
	is("t: team: a@x.test, b@x.test;, c@x.test\n", "t",
	    "a@x.test | b@x.test | c@x.test", "a group is one member");
	is("e: a@x.test,, ,b@x.test,\n", "e", "a@x.test | b@x.test",
	    "empty members skipped");
	is("u: j\xc3\xb6rg@b\xc3\xbc" "cher.test\n", "u",
	    "j\xc3\xb6rg@b\xc3\xbc" "cher.test", "UTF-8 target");
	is("", "root", "root", "empty text: no aliases");
	is("root: a@x.test\n", "nobody", "nobody",
	    "no alias, no default: as written");
	is("root: a@x.test\n", "nobody@" LH, "nobody@" LH,
	    "no alias, @localhost: as written");
}

static void
test_lines(void)
{
	is("a: b@x.test,\n  c@x.test,\n\td@x.test\n", "a",
	    "b@x.test | c@x.test | d@x.test", "continuation lines");
	is("a: b@x.test\n  , c@x.test\n", "a", "b@x.test | c@x.test",
	    "continuation starting with the comma");
	is("a:\n  b@x.test\n", "a", "b@x.test",
	    "targets only on the continuation line");
	is("a: b@x.test,\n# note\n\n  \t\n  c@x.test\nz: y@x.test\n", "a",
	    "b@x.test | c@x.test",
	    "comment and blank lines do not end an entry");
	is("# head\n  # indented comment\na: b@x.test\n#tail", "a",
	    "b@x.test", "comment lines, indented too");
	is("a: \"Smith,\n  John\" <j@x.test>\n", "a", "j@x.test",
	    "a quoted string spanning a line break");
	is("a: b@x.test,\r\n c@x.test\r\nd: e@x.test\r\n", "a",
	    "b@x.test | c@x.test", "CRLF lines");
	is("a: b@x.test,\r\n c@x.test\r\nd: e@x.test\r\n", "d",
	    "e@x.test", "CRLF lines, the next entry");
	is("a: b@x.test\r\n\r\n# c\r\nd: e@x.test", "d", "e@x.test",
	    "CRLF blank and comment lines");
	is("a: |cmd\nb: x@y.test\n", "b", "x@y.test",
	    "an unusable entry does not stop the others");
}

static void
test_local(void)
{
	const char *t = "Root: admin@x.test\n";

	is(t, "root", "admin@x.test", "names are case-insensitive");
	is(t, "ROOT", "admin@x.test", "names are case-insensitive (upper)");
	is(t, "root@" LH, "admin@x.test", "name@localhost is local");
	is(t, "root@HOST.Example", "admin@x.test",
	    "localhost compared case-insensitively");
	is(t, "root@other.example", "root@other.example",
	    "remote address untouched");
	is(t, "root@" LH ".evil", "root@" LH ".evil",
	    "localhost is no suffix match");
	is_lh(t, "root@" LH, NULL, "root@" LH,
	    "NULL localhost: only bare names are local");
	is_lh(t, "root", NULL, "admin@x.test", "NULL localhost, bare name");
	is(t, "\"root\"@other.example", "\"root\"@other.example",
	    "quoted remote untouched");
	is("a@b: c@x.test\n", "x", "PARSE:aliases:1: alias name 'a@b' "
	    "holds '@'", "a name with '@' is refused");
	tap_ok(conf_aliases_is_local("root", NULL), "is_local: bare name");
	tap_ok(conf_aliases_is_local("root@LOCALHOST", "localhost"),
	    "is_local: @localhost");
	tap_ok(!conf_aliases_is_local("root@localhost", "other"),
	    "is_local: other domain");
	tap_ok(!conf_aliases_is_local("root@localhost", NULL),
	    "is_local: NULL localhost");
	tap_ok(conf_aliases_is_local("\"a@b\"", "x"),
	    "is_local: '@' inside a quoted local part");
	tap_ok(conf_aliases_is_local("\"a@b\"@x", "x"),
	    "is_local: quoted local part, then @localhost");
}

static void
test_recursive(void)
{
	const char *t =
	    "a: b, top@x.test\n"
	    "b: c, d@x.test\n"
	    "c: e@x.test, b2@" LH "\n"
	    "b2: deep@x.test\n";

	is(t, "a", "e@x.test | deep@x.test | d@x.test | top@x.test",
	    "recursive, depth first, targets in order");
	is(t, "c@" LH, "e@x.test | deep@x.test",
	    "target name@localhost expands");
	is("a: b, c\nb: d\nc: d\nd: z@x.test\n", "a", "z@x.test",
	    "a diamond is not a loop");
	is("a: bob\n", "a", "bob", "a target with no alias stays");
	is("a: bob@" LH "\n", "a", "bob@" LH,
	    "a target @localhost with no alias stays as written");
	is("a: b@elsewhere.test\nb: no@x.test\n", "a", "b@elsewhere.test",
	    "a remote target is not looked up");
	is("root: root, admin@x.test\n", "root", "root | admin@x.test",
	    "self-reference: the mailbox itself");
	is("root: ROOT@" LH ", admin@x.test\n", "root",
	    "ROOT@" LH " | admin@x.test", "self-reference via @localhost");
	is("postmaster: root\nroot: root, admin@x.test\n", "postmaster",
	    "root | admin@x.test", "self-reference reached from another");
	is("root: \\root, admin@x.test\n", "root", "root | admin@x.test",
	    "\\name: the mailbox, not expanded");
	is("x: \\root\nroot: a@x.test\n", "x", "root",
	    "\\name is never looked up");
	is("a: <b>\nb: c@x.test\n", "a", "c@x.test", "<name> expands");
	is("a: Bee <b@" LH ">\nb: c@x.test\n", "a", "c@x.test",
	    "Name <name@localhost> expands");
}

static void
test_loops(void)
{
	const char *two = "a: b\nb: x@y.test, a\n";
	const char *three = "a: b\nb: c\nc: a\n";
	struct buf b;
	size_t i;

	is(two, "a", "ERR:aliases:2: alias loop: a -> b -> a", "loop of 2");
	is(two, "b", "ERR:aliases:1: alias loop: b -> a -> b",
	    "loop of 2, from the other end");
	is(three, "a", "ERR:aliases:3: alias loop: a -> b -> c -> a",
	    "loop of 3");
	is(three, "C@" LH, "ERR:aliases:2: alias loop: c -> a -> b -> c",
	    "loop of 3, entered via @localhost");
	is("x: ok@y.test, a\na: b\nb: A\n", "x",
	    "ERR:aliases:3: alias loop: a -> b -> a",
	    "loop below the recipient names only the loop");
	is("a: b\nb: b@" LH ", z@x.test\n", "a", "b@" LH " | z@x.test",
	    "self-reference below the top is no loop");

	/* a0 -> a1 -> ... : 32 levels expand, 33 do not. */
	buf_init(&b, 4096);
	for (i = 0; i < 32; i++)
		add(&b, "a%zu: a%zu\n", i, i + 1);
	add(&b, "a32: end@x.test\n");
	tap_is_str(run(b.data, b.len, "a1", LH), "end@x.test",
	    "32 levels deep");
	tap_is_str(run(b.data, b.len, "a0", LH), "ERR:aliases:32: alias "
	    "'a32': nested deeper than 32 aliases", "33 levels deep");
	buf_free(&b);
}

static void
test_default(void)
{
	const char *t = "default: me@x.test\nroot: admin@x.test, bob\n";

	is(t, "nobody", "me@x.test", "default: unaliased name");
	is(t, "NOBODY@" LH, "me@x.test", "default: unaliased @localhost");
	is(t, "nobody@other.test", "nobody@other.test",
	    "default: not for remote addresses");
	is(t, "root", "admin@x.test | me@x.test",
	    "default: not for aliases, but for their unaliased targets");
	is(t, "default", "me@x.test", "default: looked up by name");
	is("default: bob, me@x.test\n", "carol", "bob | me@x.test",
	    "default's own unaliased targets stay");
	is("default: default, me@x.test\n", "carol", "default | me@x.test",
	    "default naming itself");
	is("default: ops\nops: a@x.test, bob\n", "carol", "a@x.test | bob",
	    "inside default, unaliased names stay");
	is("root: root, a@x.test\ndefault: me@x.test\n", "root",
	    "root | a@x.test", "a self-reference does not take the default");
	is("root: \\bob\ndefault: me@x.test\n", "root", "bob",
	    "\\name does not take the default");
	is("a: zz\ndefault: a\n", "a",
	    "ERR:aliases:2: alias loop: a -> default -> a",
	    "a loop through the default");
	is("a: zz\ndefault: a\n", "carol", "zz",
	    "the default is not applied twice");
	is("default: |/usr/bin/procmail\n", "carol",
	    "ERR:aliases:1: alias 'default': postie cannot deliver to a "
	    "program: |/usr/bin/procmail", "an unusable default");
	is("default: |/usr/bin/procmail\nroot: a@x.test\n", "other@x.test",
	    "other@x.test", "an unusable default is not reached remotely");
}

static void
test_unusable(void)
{
	const char *t =
	    "prog: |/usr/bin/procmail -a x\n"
	    "file: /var/mail/archive\n"
	    "inc: :include:/etc/mail/list\n"
	    "qprog: \"|/usr/bin/vacation joe, bob\", x@y.test\n"
	    "qfile: \"/var/mail/a file\"\n"
	    "angle: <|cmd>\n"
	    "mix: ok@y.test, :INCLUDE: /etc/x\n"
	    "via: ok@y.test, prog\n"
	    "fine: ok@y.test\n";

	is(t, "fine", "ok@y.test", "unusable targets parse");
	is(t, "prog", "ERR:aliases:1: alias 'prog': postie cannot deliver "
	    "to a program: |/usr/bin/procmail -a x", "program");
	is(t, "file", "ERR:aliases:2: alias 'file': postie cannot deliver "
	    "to a file: /var/mail/archive", "file");
	is(t, "inc", "ERR:aliases:3: alias 'inc': postie cannot deliver to "
	    "an :include: list: :include:/etc/mail/list", ":include:");
	is(t, "qprog", "ERR:aliases:4: alias 'qprog': postie cannot deliver "
	    "to a program: \"|/usr/bin/vacation joe, bob\"",
	    "quoted program with a comma is one target");
	is(t, "qfile", "ERR:aliases:5: alias 'qfile': postie cannot deliver "
	    "to a file: \"/var/mail/a file\"", "quoted file");
	is(t, "angle", "ERR:aliases:6: alias 'angle': postie cannot deliver "
	    "to a program: |cmd", "program in angle brackets");
	is(t, "mix", "ERR:aliases:7: alias 'mix': postie cannot deliver to "
	    "an :include: list: :INCLUDE: /etc/x", ":include: any case");
	is(t, "via", "ERR:aliases:1: alias 'prog': postie cannot deliver "
	    "to a program: |/usr/bin/procmail -a x",
	    "reached through another alias");
	is(t, "nobody", "nobody", "unaliased name unaffected");
	is("x: \\|cmd\n", "x", "ERR:aliases:1: alias 'x': postie cannot "
	    "deliver to a program: |cmd", "\\|cmd is still a program");
	is("a: b@x.test,\n  |cmd\n", "a", "ERR:aliases:2: alias 'a': postie "
	    "cannot deliver to a program: |cmd",
	    "the line of a continued target");
}

static void
test_malformed(void)
{
	static const char nul[] = "a: b@x.test\nc: d\0@x.test\n";

	fails("root admin\n", "aliases:1: no ':' after alias name 'root'");
	fails("a: b@x.test\nroot\n", "aliases:2: no ':' after alias name "
	    "'root'");
	fails("ro#ot: x\n", "aliases:1: no ':' after alias name 'ro'");
	fails(": x@y.test\n", "aliases:1: alias without a name");
	fails("a@b: c\n", "aliases:1: alias name 'a@b' holds '@'");
	fails("a:\n", "aliases:1: alias 'a' has no targets");
	fails("a: , ,\n\nb: c\n", "aliases:1: alias 'a' has no targets");
	fails("a: list:;\n", "aliases:1: alias 'a' has no targets");
	fails("  a: b\n", "aliases:1: continuation line without an alias");
	fails("# c\n\n\tx@y.test\n", "aliases:3: continuation line without "
	    "an alias");
	fails("a: b c\n", "aliases:1: alias 'a': invalid address list: "
	    "words without an address near 'b c'");
	fails("a: b@x.test,\n  <c@x.test\n", "aliases:2: alias 'a': invalid "
	    "address list: unterminated '<' near '<c@x.test'");
	fails("a: b@x.test # note\n", "aliases:1: alias 'a': invalid address "
	    "list: expected ',' near '# note'");
	fails("a: \"open\n", "aliases:1: alias 'a': invalid address list: "
	    "unterminated quoted string near '\"open'");
	fails("b: c\nB: d\n", "aliases:2: alias 'B' already defined at line "
	    "1");
	fails("b: x\na: x\nc: x\na: y\nb: z\n", "aliases:4: alias 'a' "
	    "already defined at line 2");
	fails("a: x\na: y\nA: z\n", "aliases:2: alias 'a' already defined at "
	    "line 1");
	fails("default: x\nDefault: y\n", "aliases:2: alias 'Default' "
	    "already defined at line 1");
	fails_mem(nul, sizeof(nul) - 1, "aliases:2: NUL byte in line");
	fails("a: b\n\x01: c\n", "aliases:2: control character in line");
	fails("a: b\rc\n", "aliases:1: control character in line");
	fails("a: b\n\n# \x7f\n", "aliases:3: control character in line");
	fails("a: b\x1b[2J\n", "aliases:1: control character in line");
}

static void
test_caps(void)
{
	char *t;
	size_t len;

	/* "a: " + addresses up to exactly the line cap, then one more. */
	t = tap_repeat("a: ", "b@x.test,", 454, "c@x.tes", &len);
	tap_ok(len == CONF_ALIASES_LINE_MAX, "line of %zu bytes", len);
	tap_is_str(run(t, len, "a", LH), "b@x.test | c@x.tes",
	    "a line of 4096 bytes");
	free(t);
	t = tap_repeat("a: ", "b@x.test,", 454, "c@x.tes\r\n", &len);
	tap_is_str(run(t, len, "a", LH), "b@x.test | c@x.tes",
	    "a line of 4096 bytes and CRLF");
	free(t);
	t = tap_repeat("a: ", "b@x.test,", 454, "c@x.test", &len);
	tap_is_str(run(t, len, "a", LH), "PARSE:aliases:1: line longer than "
	    "4096 bytes", "a line of 4097 bytes");
	free(t);
	t = tap_repeat("b: c\na: ", "x@y.test,", 500, "\n", &len);
	tap_is_str(run(t, len, "a", LH), "PARSE:aliases:2: line longer than "
	    "4096 bytes", "a line over the cap");
	free(t);
	t = tap_repeat("b: c\na: x@y.test,", "\n x@y.test,", 500, "\n", &len);
	tap_is_str(run(t, len, "a", LH), "x@y.test",
	    "a long entry over many lines");
	free(t);
	t = tap_repeat("", "# padding padding padding\n", 40329,
	    "a: bcdefghijkl@x.test\n", &len);
	tap_ok(len == CONF_ALIASES_TEXT_MAX, "text of %zu bytes", len);
	tap_is_str(run(t, len, "a", LH), "bcdefghijkl@x.test",
	    "text of exactly 1 MiB");
	free(t);
	t = tap_repeat("", "# padding padding padding\n", 40329,
	    "a: bcdefghijkl@x.test\n\n", &len);
	tap_is_str(run(t, len, "a", LH), "PARSE:aliases: larger than 1048576 "
	    "bytes", "text over the cap");
	free(t);
}

/* Levels of names n<L>_<k>, each listing all of the next level, into
 * b (initialised by the caller). */
static void
fanout(struct buf *b, size_t levels, size_t width)
{
	size_t l, k, j;

	for (l = 0; l < levels; l++)
		for (k = 0; k < width; k++) {
			add(b, "n%zu_%zu:", l, k);
			for (j = 0; j < width; j++)
				if (l + 1 < levels)
					add(b, " n%zu_%zu,", l + 1, j);
				else
					add(b, " r%zu@x.test,", j);
			add(b, "\n");
		}
}

static void
test_hostile(void)
{
	struct buf b;

	/* 10^4 paths of 4 levels: walked in full, 10 addresses out. */
	buf_init(&b, CONF_ALIASES_TEXT_MAX);
	fanout(&b, 4, 10);
	tap_is_str(run(b.data, b.len, "n0_0", LH), "r0@x.test | r1@x.test | "
	    "r2@x.test | r3@x.test | r4@x.test | r5@x.test | r6@x.test | "
	    "r7@x.test | r8@x.test | r9@x.test", "fan-out of 10^4 paths");
	/* 10^20 paths: stopped by the walk cap, not by patience. */
	buf_reset(&b);
	fanout(&b, 20, 10);
	tap_is_str(run(b.data, b.len, "n0_3", LH), "ERR:aliases:4: alias "
	    "'n0_3': expands to more than 100000 targets",
	    "fan-out of 10^20 paths");
	tap_is_str(run(b.data, b.len, "nobody", LH), "nobody",
	    "the fan-out text still expands other names");
	tap_is_str(check(b.data, b.len), "ERR:aliases:1: alias 'n0_0': "
	    "expands to more than 100000 targets (n 200, kind 13)",
	    "check stops at the fan-out");
	buf_free(&b);
}

static void
test_check(void)
{
	struct buf b;
	size_t i;

	checks("", "OK 0", "check: empty");
	checks("a: b\nb: c@x.test\nroot: root, a\ndefault: me@x.test\n",
	    "OK 4", "check: good file");
	checks("a: b\nb: c@x.test\nx: |cmd\nl: m\nm: l\n",
	    "ERR:aliases:3: alias 'x': postie cannot deliver to a program: "
	    "|cmd (n 5, kind 13)", "check: first failing entry in file order");
	checks("l: m\nm: l\nx: |cmd\n", "ERR:aliases:2: alias loop: l -> m "
	    "-> l (n 3, kind 13)", "check: loop");
	checks("a: zz\ndefault: a\n", "ERR:aliases:2: alias loop: a -> "
	    "default -> a (n 2, kind 13)", "check: loop via the default");
	checks("a: b\nb: c\n", "OK 2", "check: unaliased targets are fine");

	/* A hub of 11110 walks, referenced by 1000 names: 1.1e7 in all. */
	buf_init(&b, CONF_ALIASES_TEXT_MAX);
	fanout(&b, 4, 10);
	for (i = 0; i < 1000; i++)
		add(&b, "h%zu: n0_0\n", i);
	tap_is_str(check(b.data, b.len), "ERR:aliases: too complex to check: "
	    "more than 10000000 targets walked (n 1040, kind 13)",
	    "check: total walk cap");
	buf_free(&b);
}

static void
test_api(void)
{
	struct conf_aliases a;
	struct mail_address_list l;
	struct err e;
	size_t n = 99;

	conf_aliases_init(&a);
	mail_address_list_init(&l);
	tap_ok(conf_aliases_parse(&a, "x: y@z.test\n", 12, NULL, &e) ==
	    ERR_OK, "parse with file NULL");
	tap_ok(conf_aliases_parse(&a, "x: \n", 4, NULL, &e) == ERR_CONFIG &&
	    strcmp(e.msg, "(aliases):1: alias 'x' has no targets") == 0,
	    "file NULL names the text (aliases)");
	tap_ok(a.n == 0 && a.entries == NULL && a.byname == NULL,
	    "a failed parse leaves the table empty");
	tap_ok(conf_aliases_expand(&a, "x", LH, &l, &e) == ERR_OK &&
	    strcmp(join(&l), "x") == 0, "an empty table keeps names");
	tap_ok(conf_aliases_check(&a, LH, &n, &e) == ERR_OK && n == 0,
	    "check on an empty table");
	tap_ok(conf_aliases_parse(&a, "x: one@z.test\n", 14, F, &e) ==
	    ERR_OK && conf_aliases_parse(&a, "y: two@z.test\n", 14, F, &e) ==
	    ERR_OK, "parse twice");
	mail_address_list_free(&l);
	tap_ok(conf_aliases_expand(&a, "x", LH, &l, &e) == ERR_OK &&
	    conf_aliases_expand(&a, "y", LH, &l, &e) == ERR_OK &&
	    strcmp(join(&l), "x | two@z.test") == 0,
	    "a second parse replaces the first");
	tap_ok(conf_aliases_expand(&a, "two@z.test", LH, &l, &e) == ERR_OK &&
	    conf_aliases_expand(&a, "y", LH, &l, &e) == ERR_OK && l.n == 2,
	    "expand appends to out, dropping duplicates");
	tap_ok(conf_aliases_expand(&a, "", LH, &l, &e) == ERR_DATA,
	    "an empty recipient is refused by the list (ERR_DATA)");
	tap_ok(conf_aliases_check(&a, LH, NULL, &e) == ERR_OK, "n may be NULL");
	mail_address_list_free(&l);
	conf_aliases_free(&a);
	conf_aliases_free(&a);
	conf_aliases_free(NULL);
	tap_ok(1, "free twice and free(NULL)");
}

int
main(void)
{
	test_basic();
	test_lines();
	test_local();
	test_recursive();
	test_loops();
	test_default();
	test_unusable();
	test_malformed();
	test_caps();
	test_hostile();
	test_check();
	test_api();
	return tap_done();
}
