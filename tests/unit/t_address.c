#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/address.h"
#include "tap.h"

/*
 * Parse text and return the addresses joined with " | ", or "ERR:" and
 * the message.  The result is a static buffer.
 */
static const char *
parse_len(const char *text, size_t len)
{
	static char out[4096];
	struct mail_address_list l;
	struct err e;
	size_t i;

	mail_address_list_init(&l);
	err_clear(&e);
	out[0] = '\0';
	if (mail_address_parse_list(text, len, &l, &e) != ERR_OK) {
		snprintf(out, sizeof(out), "ERR:%s", e.msg);
		if (e.kind != ERR_DATA)
			strlcat(out, " (not ERR_DATA)", sizeof(out));
		if (l.n != 0)
			strlcat(out, " (list not empty)", sizeof(out));
	} else {
		for (i = 0; i < l.n; i++) {
			if (i > 0)
				strlcat(out, " | ", sizeof(out));
			strlcat(out, l.addrs[i], sizeof(out));
		}
	}
	mail_address_list_free(&l);
	return out;
}

static const char *
parse(const char *text)
{
	return parse_len(text, strlen(text));
}

static void
is(const char *text, const char *want, const char *name)
{
	tap_is_str(parse(text), want, name);
}

/* An error whose message holds both why and the excerpt. */
static void
fails(const char *text, const char *why, const char *near, const char *name)
{
	const char *got = parse(text);
	int ok = strncmp(got, "ERR:invalid address list: ", 26) == 0 &&
	    strstr(got, why) != NULL && (near == NULL || strstr(got, near));

	if (!tap_ok(ok, "%s", name))
		tap_diag("  got '%s', want error '%s' near '%s'", got, why,
		    near ? near : "");
}

static void
test_forms(void)
{
	is("jdoe@example.com", "jdoe@example.com", "plain addr-spec");
	is("<jdoe@example.com>", "jdoe@example.com", "angle-addr alone");
	is("John Doe <jdoe@example.com>", "jdoe@example.com",
	    "display name of atoms");
	is("\"Joe Q. Public\" <john.q.public@example.com>",
	    "john.q.public@example.com", "quoted display name");
	is("John Q. Public <jqp@x.test>", "jqp@x.test",
	    "obs-phrase with a dot");
	is("\"Smith, John\" <js@x>", "js@x",
	    "comma inside a quoted display name does not split");
	is("=?utf-8?Q?J=C3=B6rg?= <j@x.test>", "j@x.test",
	    "encoded-word display name");
	is("J\xc3\xb6rg \xff\xfe <j@x.test>", "j@x.test",
	    "8-bit and invalid UTF-8 display name allowed");
	is("a@b,c@d", "a@b | c@d", "list without spaces");
	is("a@b, c@d,", "a@b | c@d", "trailing comma");
	is("a@b, , ,c@d", "a@b | c@d", "empty members (obs-addr-list)");
	is(",a@b", "a@b", "leading comma");
	is("", "", "empty text");
	is("  (only a comment)  ", "", "only CFWS");
	is("root", "root", "bare local name");
	is("root, postmaster", "root | postmaster", "two bare names");
	is("Root <root>", "root", "bare name in angle brackets");
	is("jdoe@one.test (comment)", "jdoe@one.test", "trailing comment");
	is("john (x) . doe @ example . com", "john.doe@example.com",
	    "CFWS inside addr-spec removed");
	is("(a (nested \\) (c)) comment)x@y", "x@y",
	    "nested comments with quoted-pairs");
	is("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
	    "pete@silly.test", "RFC 5322 A.5 comments");
	is("\"a b\"@x.test", "\"a b\"@x.test", "quoted local part kept");
	is("\"a\\\"b\"@x.test", "\"a\\\"b\"@x.test",
	    "quoted-pair kept as written");
	is("\"a@b\"@x.test", "\"a@b\"@x.test", "@ inside quoted local part");
	is("jdoe@[192.0.2.1]", "jdoe@[192.0.2.1]", "IPv4 domain literal");
	is("<jdoe@[IPv6:2001:db8::1]>", "jdoe@[IPv6:2001:db8::1]",
	    "IPv6 domain literal");
	is("<@relay.test:user@x.test>", "user@x.test", "obs-route");
	is("Joe <@r1.test,@r2.test:user@x.test>", "user@x.test",
	    "obs-route with two hops");
	is("To: a@b, c@d;", "a@b | c@d", "group");
	is("team: a@b (first), Bob <c@d> (second);", "a@b | c@d",
	    "group with comments");
	is("Undisclosed recipients:;", "", "empty group");
	is("undisclosed-recipients:", "", "group open at the end");
	is("A: a@x;, B: b@x;, c@x", "a@x | b@x | c@x", "multiple groups");
	is("a@b,\r\n\tc@d", "a@b | c@d", "folded list");
	is("John\r\n Doe <j@\r\n x.test>", "j@x.test", "folds in a mailbox");
	is("\"a\r\n b\"@x", "\"a b\"@x", "fold inside a quoted string");
	is("j\xc3\xa9r\xc3\xb4me@exampl\xc3\xa9.test",
	    "j\xc3\xa9r\xc3\xb4me@exampl\xc3\xa9.test",
	    "non-ASCII local part and domain kept");
	is("a@b\t,\tc@d", "a@b | c@d", "tabs");
}

static void
test_duplicates(void)
{
	is("A@X.COM, A@x.com", "A@X.COM", "domain compared without case");
	is("a@x.com, A@x.com", "a@x.com | A@x.com",
	    "local part compared with case");
	is("a@b, Name <a@b>, g: a@b;", "a@b", "same address three ways");
	is("\"a@b\"@c, \"a@b\"@C", "\"a@b\"@c",
	    "quoted local with @, domain case");
	is("root, ROOT, root", "root | ROOT", "bare names");
}

static void
test_list_add(void)
{
	struct mail_address_list l = { 0 };
	struct err e;
	char big[MAIL_ADDRESS_LEN_MAX + 2];

	tap_is_int(mail_address_list_add(&l, "a@x.test", &e), ERR_OK, "add");
	tap_is_int(mail_address_list_add(&l, "a@X.TEST", &e), ERR_OK,
	    "add duplicate");
	tap_is_int((long long)l.n, 1, "zeroed list works, duplicate dropped");
	tap_is_int(mail_address_parse_list("b@x, a@x.Test", 13, &l, &e),
	    ERR_OK, "parse into a list with entries");
	tap_is_int((long long)l.n, 2, "parse sees the earlier entries");
	tap_is_int(mail_address_list_add(&l, "x\r\n@y", &e), ERR_DATA,
	    "add refuses control characters");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tap_is_int(mail_address_list_add(&l, big, &e), ERR_DATA,
	    "add refuses an address too long");
	tap_is_int(mail_address_list_add(&l, "", &e), ERR_DATA,
	    "add refuses empty");
	tap_is_int(mail_address_parse_list("c@x, <d@x", 9, &l, &e), ERR_DATA,
	    "failing parse");
	tap_is_int((long long)l.n, 2, "a failing parse leaves the list as is");
	tap_is_int(mail_address_list_add(&l, "c@x", &e), ERR_OK,
	    "add after a failed parse");
	tap_is_int(mail_address_list_add(&l, "b@X", &e), ERR_OK,
	    "duplicate check after a failed parse");
	tap_is_int((long long)l.n, 3, "index rebuilt correctly");
	mail_address_list_free(&l);
	tap_is_int((long long)l.n, 0, "free leaves the list empty");
	mail_address_list_free(&l);
	mail_address_list_free(NULL);
}

static void
test_hostile(void)
{
	fails("\"Smith, John <js@x>", "unterminated quoted string",
	    "'\"Smith, John <js@x>'", "unterminated quote");
	fails("a@b (comment (nested)", "unterminated comment",
	    "'(comment (nested)'", "unterminated comment");
	fails("John <jd@x.test", "unterminated '<'", "'<jd@x.test'",
	    "unterminated angle bracket");
	fails("John <jd@x.test, b@c", "expected '>'", "', b@c'",
	    "angle bracket closed by nothing before a comma");
	fails("a@[1.2.3.4", "unterminated domain literal", "[1.2.3.4",
	    "unterminated domain literal");
	fails("root, <(postmaster>", "unterminated comment",
	    "'(postmaster>'", "unterminated comment right after '<'");
	fails("<@(r:a@b>", "unterminated comment", NULL,
	    "unterminated comment in a route");
	fails("a@(x", "unterminated comment", NULL,
	    "unterminated comment after '@'");
	fails("a@b)", "unbalanced ')'", NULL, "stray ')'");
	fails("a@b>", "expected ','", NULL, "stray '>'");
	tap_is_str(parse_len("a@b,\0c@d", 8), "ERR:invalid address list: "
	    "control character near '\\x00c@d'", "NUL");
	tap_is_str(parse_len("\"a\0\"@d", 6), "ERR:invalid address list: "
	    "control character near '\\x00\"@d'", "NUL in quotes");
	fails("a\x01@b", "control character", "\\x01", "SOH");
	fails("\"a\x7f\"@b", "control character", NULL, "DEL in quotes");
	fails("a@b\nc@d", "control character", "\\x0a", "bare LF");
	fails("a@b,\r\nc@d", "line break not followed by a blank", "\\x0d",
	    "CRLF not a fold");
	fails("a@b\r", "line break", NULL, "CR at the end");
	fails("\"a\\\r\n b\"@x", "control character", NULL,
	    "quoted-pair of CR refused");
	fails("a@", "missing domain", NULL, "missing domain");
	fails("@b", "missing local part", NULL, "missing local part");
	fails("a@b..c", "empty domain label", NULL, "empty domain label");
	fails("a@b.", "empty domain label", NULL, "trailing dot in domain");
	fails("<>", "empty address", NULL, "empty angle-addr");
	fails("John Doe", "words without an address", NULL, "phrase alone");
	fails("John Doe@x", "blank inside the local part", NULL,
	    "space in local part");
	fails("a@b c@d", "expected ','", "'c@d'", "missing comma");
	fails("a@b@c", "expected ','", NULL, "two @");
	fails("a@b; c@d", "expected ','", "'; c@d'", "stray ';'");
	fails("; c@d", "';' outside a group", NULL, "leading ';'");
	fails("g: h: a@b;;", "group inside a group", NULL, "nested group");
	fails("<<a@b>>", "expected an address", NULL, "double angle");
	fails("a [1.2.3.4] <x@y>", "unexpected text", NULL,
	    "literal in a display name");
	fails("a@b, >", "unbalanced '>'", NULL, "lone '>'");
	fails("a\\b@c", "backslash outside quotes", NULL, "stray backslash");
}

/* Nothing sensitive leaks to the terminal: the excerpt is escaped. */
static void
test_message(void)
{
	tap_is_str(parse("x@y, \"abc\x1b[2J"),
	    "ERR:invalid address list: control character near "
	    "'\\x1b[2J'", "escape sequence escaped in the message");
	tap_is_str(parse("<01234567890123456789012345678901234567890@x"),
	    "ERR:invalid address list: unterminated '<' near "
	    "'<01234567890123456789012...'", "excerpt is short");
}

static char *
repeat_list(size_t n, size_t *len)
{
	size_t cap = n * 24 + 1, o = 0, i;
	char *s = malloc(cap);

	if (s == NULL)
		abort();
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, cap - o, "%su%zu@d%zu.test",
		    i ? ", " : "", i, i % 97);
	*len = o;
	return s;
}

static void
test_limits(void)
{
	struct mail_address_list l;
	struct err e;
	char *s, big[MAIL_ADDRESS_LEN_MAX + 16];
	size_t len;
	clock_t t0;
	double secs;

	mail_address_list_init(&l);
	s = repeat_list(MAIL_ADDRESS_MAX, &len);
	t0 = clock();
	tap_is_int(mail_address_parse_list(s, len, &l, &e), ERR_OK,
	    "100000 addresses parse");
	secs = tap_seconds_since(t0);
	tap_diag("100000 addresses took %.3fs (speed: bench/, not here)", secs);
	tap_is_int((long long)l.n, MAIL_ADDRESS_MAX, "all kept");
	tap_is_str(l.addrs[MAIL_ADDRESS_MAX - 1], "u99999@d89.test",
	    "last one right");
	tap_is_int(mail_address_parse_list(s, len, &l, &e), ERR_OK,
	    "same 100000 again: all duplicates");
	tap_is_int(mail_address_parse_list("one@more", 8, &l, &e), ERR_DATA,
	    "100001st address refused");
	tap_ok(strstr(e.msg, "too many addresses") != NULL,
	    "message says too many (%s)", e.msg);
	tap_is_int(mail_address_parse_list("u0@D0.TEST", 10, &l, &e), ERR_OK,
	    "a duplicate is still fine at the limit");
	mail_address_list_free(&l);
	free(s);

	/* A 64 KiB line: a long display name and a long comment. */
	len = 65536;
	if ((s = malloc(len + 64)) == NULL)
		abort();
	memset(s, 'n', len);
	s[len / 2] = '(';
	memcpy(s + len - 1, ") <a@b>", 8);
	tap_is_str(parse(s), "a@b", "64 KiB display name and comment");
	memset(s, '(', len);
	s[len] = '\0';
	fails(s, "unterminated comment", "'((((", "64 KiB of '('");
	memset(s, '"', len);
	tap_is_str(parse(s), "ERR:invalid address list: words without an "
	    "address near '\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"...'",
	    "64 KiB of '\"'");
	free(s);

	memset(big, 'a', sizeof(big));
	memcpy(big + MAIL_ADDRESS_LEN_MAX - 4, "@x.y", 5);
	tap_is_int((long long)strlen(parse(big)), MAIL_ADDRESS_LEN_MAX,
	    "address of MAIL_ADDRESS_LEN_MAX bytes");
	memcpy(big + MAIL_ADDRESS_LEN_MAX - 4, "a@x.y", 6);
	fails(big, "address too long", NULL, "one byte more");
}

/*
 * Nesting: the parser does not recurse, so 100000 levels of comment cost
 * no stack, and the work stays linear.
 */
static void
test_nesting(void)
{
	char *open, *s;
	size_t len, n = 100000;
	clock_t t0;
	double dt;

	open = tap_repeat("", "(", n, "", &len);
	s = malloc(2 * n + 16);
	if (s == NULL)
		abort();
	memcpy(s, open, n);
	memset(s + n, ')', n);
	memcpy(s + 2 * n, " a@b.test", 10);
	t0 = clock();
	tap_is_str(parse(s), "a@b.test", "100000 nested comments, closed");
	dt = tap_seconds_since(t0);
	tap_diag("100000 nested comments took %.3fs", dt);
	s[2 * n - 1] = 'x';
	fails(s, "unterminated comment", "'((((", "100000 nested comments, one "
	    "')' short");
	free(s);
	s = tap_repeat("Name ", "(", n, "", &len);
	free(open);
	open = tap_repeat(s, ")", n, " <a@b.test>", &len);
	tap_is_str(parse(open), "a@b.test", "deep comment in a display name");
	free(s);
	free(open);

	s = tap_repeat("a@b.test, \"", "\\\"", 50000, "\"@c.test", &len);
	fails(s, "address too long", NULL,
	    "50000 quoted-pairs: a local part over the limit refused");
	free(s);
	s = tap_repeat("", "<", 100000, "a@b>", &len);
	fails(s, "expected an address", NULL, "100000 '<'");
	free(s);
	s = tap_repeat("", "g:", 100000, ";", &len);
	fails(s, "group inside a group", NULL, "100000 nested groups");
	free(s);
}

/* Every unterminated construct, also at the very end and 64 KiB long. */
static void
test_unterminated(void)
{
	char *s;
	size_t len;

	fails("\"", "unterminated quoted string", NULL, "lone '\"'");
	fails("a@b, \"c", "unterminated quoted string", "'\"c'",
	    "quote open at the end");
	fails("\"a\\\"@b", "unterminated quoted string", NULL,
	    "quote closed only by an escaped quote");
	fails("\"a\\", "backslash at the end", NULL,
	    "backslash at the end inside quotes");
	fails("(", "unterminated comment", NULL, "lone '('");
	fails("a@b (c \\)", "unterminated comment", NULL,
	    "comment closed only by an escaped ')'");
	fails("<", "expected an address", NULL, "lone '<'");
	fails("Name <a@b", "unterminated '<'", "'<a@b'",
	    "angle-addr open at the end");
	fails("Name <a", "unterminated '<'", NULL,
	    "angle-addr with a bare name open at the end");
	fails("<@relay", "invalid route", NULL, "route open at the end");
	fails("a@[", "unterminated domain literal", NULL, "lone '['");
	fails("a@[1.2.3.4\\]", "unterminated domain literal", NULL,
	    "literal closed only by an escaped ']'");
	fails("a@[1.2[3]", "'[' inside a domain literal", NULL,
	    "'[' inside a literal");
	is("g: a@b, c@d", "a@b | c@d", "group open at the end: accepted");
	s = tap_repeat("\"", "a", 65536, "", &len);
	fails(s, "unterminated quoted string", NULL,
	    "64 KiB quoted string, unterminated");
	free(s);
	s = tap_repeat("a@[", "1", 65536, "", &len);
	fails(s, "unterminated domain literal", NULL,
	    "64 KiB domain literal, unterminated");
	free(s);
	s = tap_repeat("Name <", "x", 65536, "", &len);
	fails(s, "unterminated '<'", NULL, "64 KiB angle-addr, unterminated");
	free(s);
	s = tap_repeat("\"", "a", 65536, "\" <a@b>", &len);
	tap_is_str(parse(s), "a@b", "64 KiB quoted display name");
	free(s);
}

/* NUL anywhere is a control character; the list is left as it was. */
static void
test_nul(void)
{
	tap_is_str(parse_len("\0", 1), "ERR:invalid address list: control "
	    "character near '\\x00'", "NUL alone");
	tap_is_str(parse_len("a@b\0", 4), "ERR:invalid address list: control "
	    "character near '\\x00'", "NUL at the end");
	tap_is_str(parse_len("a@b (x\0y)", 9), "ERR:invalid address list: "
	    "control character near '\\x00y)'", "NUL in a comment");
	tap_is_str(parse_len("a@[1.2\0.3.4]", 12), "ERR:invalid address "
	    "list: control character near '\\x00.3.4]'",
	    "NUL in a domain literal");
	tap_is_str(parse_len("a\0@b", 4), "ERR:invalid address list: control "
	    "character near '\\x00@b'", "NUL in a local part");
	tap_is_str(parse_len("a@b\0.c", 6), "ERR:invalid address list: "
	    "control character near '\\x00.c'", "NUL in a domain");
	tap_is_str(parse_len("N\0ame <a@b>", 11), "ERR:invalid address list: "
	    "control character near '\\x00ame <a@b>'",
	    "NUL in a display name");
	tap_is_str(parse_len("a@b, c@d", 3), "a@b",
	    "the length counts, not a NUL");
}

/*
 * Bytes >= 0x80 are atext (RFC 6532 3.2) and pass as they are, valid
 * UTF-8 or not: the address parser neither checks nor rewrites them.
 */
static void
test_invalid_utf8(void)
{
	is("\xff\xfe@x.test", "\xff\xfe@x.test", "0xff 0xfe local part kept");
	is("\xc0\xaf@x.test", "\xc0\xaf@x.test", "overlong '/' kept");
	is("a@\xed\xa0\x80.test", "a@\xed\xa0\x80.test",
	    "UTF-16 surrogate in the domain kept");
	is("\x80\x80@x", "\x80\x80@x", "lone continuation bytes kept");
	is("\"\xe2\x82\"@x", "\"\xe2\x82\"@x",
	    "truncated sequence in quotes kept");
	is("\xf4\x90\x80\x80 <a@x>", "a@x", "past U+10FFFF in a display name");
	is("(\xff) a@x (\xfe\xfe)", "a@x", "junk in comments");
	fails("\xff\x01@x", "control character", "\\x01",
	    "a control byte after junk still refused");
}

/* The list's cap, the duplicate index and linear time under load. */
static void
test_many(void)
{
	struct mail_address_list l;
	struct err e;
	char *s, *p;
	size_t len, i, n = MAIL_ADDRESS_MAX + 1, o = 0;
	clock_t t0;
	double dt;

	/* One text of 100001 addresses: refused, and l left as it was. */
	if ((s = malloc(n * 24)) == NULL)
		abort();
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, n * 24 - o, "%sr%zu@x.test",
		    i ? "," : "", i);
	mail_address_list_init(&l);
	mail_address_list_add(&l, "before@x.test", &e);
	t0 = clock();
	tap_is_int(mail_address_parse_list(s, o, &l, &e), ERR_DATA,
	    "100001 addresses in one text refused");
	dt = tap_seconds_since(t0);
	tap_diag("... took %.3fs", dt);
	tap_ok(strstr(e.msg, "too many addresses") != NULL,
	    "... saying too many (%s)", e.msg);
	tap_is_int((long long)l.n, 1, "... and the list is left as it was");
	tap_is_int(mail_address_list_add(&l, "r5@x.test", &e), ERR_OK,
	    "the list works after the refusal");
	tap_is_int((long long)l.n, 2, "... and its index too");
	mail_address_list_free(&l);

	/* Exactly the cap with names, comments and groups around them. */
	o = 0;
	p = realloc(s, MAIL_ADDRESS_MAX * 48);
	if (p == NULL)
		abort();
	s = p;
	for (i = 0; i < MAIL_ADDRESS_MAX; i++)
		o += (size_t)snprintf(s + o, MAIL_ADDRESS_MAX * 48 - o,
		    i % 3 == 0 ? "%sN%zu <r%zu@x.test>" :
		    i % 3 == 1 ? "%s(c) r%zu@x.test (c%zu)" :
		    "%sg: r%zu@x.test;", i ? ", " : "", i, i);
	mail_address_list_init(&l);
	t0 = clock();
	tap_is_int(mail_address_parse_list(s, o, &l, &e), ERR_OK,
	    "100000 mixed forms (names, comments, groups)");
	dt = tap_seconds_since(t0);
	tap_diag("... took %.3fs", dt);
	tap_is_int((long long)l.n, MAIL_ADDRESS_MAX, "... all kept");
	mail_address_list_free(&l);
	free(s);

	/* 200000 copies of one address: one kept, still linear. */
	s = tap_repeat("", "same@x.test, SAME@X.TEST, ", 100000, "", &len);
	mail_address_list_init(&l);
	t0 = clock();
	tap_is_int(mail_address_parse_list(s, len, &l, &e), ERR_OK,
	    "200000 duplicates");
	dt = tap_seconds_since(t0);
	tap_diag("... took %.3fs", dt);
	tap_is_int((long long)l.n, 2, "... local parts differ in case: 2");
	mail_address_list_free(&l);
	free(s);
}

/* RFC 5321 4.1.2: what goes in MAIL FROM and RCPT TO. */
static void
test_smtp_form(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "john@x.example", "john@x.example" },
		{ "john.q.public@x.example", "john.q.public@x.example" },
		{ "john.@x.example", "\"john.\"@x.example" },
		{ "john..doe@x.example", "\"john..doe\"@x.example" },
		{ ".john@x.example", "\".john\"@x.example" },
		{ "\"john doe\"@x.example", "\"john doe\"@x.example" },
		{ "\"a@b\"@x.example", "\"a@b\"@x.example" },
		{ "a.\\b@x.example", "\"a.\\\\b\"@x.example" },
		{ "j\303\266rg@x.example", "j\303\266rg@x.example" },
		{ "root", "root" },
		{ "root.", "\"root.\"" },
		{ "!#$%&'*+-/=?^_`{|}~@x", "!#$%&'*+-/=?^_`{|}~@x" },
	};
	char out[64], small[8];
	struct err e;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tap_is_int(mail_address_smtp_form(cases[i].in, out, sizeof(out),
		    &e), ERR_OK, "smtp form: ok");
		tap_is_str(out, cases[i].want, cases[i].in);
	}
	tap_is_int(mail_address_smtp_form("john.@x.example", small,
	    sizeof(small), &e), ERR_DATA, "smtp form: too small is an error");
	tap_is_int(mail_address_smtp_form("ab@x", small, 5, &e), ERR_OK,
	    "smtp form: exactly fits");
}

int
main(void)
{
	test_forms();
	test_duplicates();
	test_list_add();
	test_hostile();
	test_message();
	test_limits();
	test_nesting();
	test_unterminated();
	test_nul();
	test_invalid_utf8();
	test_many();
	test_smtp_form();
	return tap_done();
}
