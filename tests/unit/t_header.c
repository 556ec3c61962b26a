#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver/input.h"
#include "mail/header.h"
#include "tap.h"

#define S(lit) lit, sizeof(lit) - 1

static void
test_next(void)
{
	static const char h[] =
	    "Subject: a\r\n"
	    "\tfolded\r\n"
	    " twice\r\n"
	    "X-Empty:\r\n"
	    "not a field line\r\n"
	    "Name With Space: x\r\n"
	    "Obs-Name \t: obs\r\n"
	    "To: a@b";
	struct mail_header_field f;
	size_t pos = 0;

	tap_is_int(mail_header_next(S(h), &pos, &f), 1, "first field");
	tap_is_mem(f.name, f.name_len, S("Subject"), "name");
	tap_is_mem(f.value, f.value_len, S(" a\r\n\tfolded\r\n twice"),
	    "value keeps its folds, not the final CRLF");
	tap_is_mem(f.raw, f.raw_len, S("Subject: a\r\n\tfolded\r\n twice\r\n"),
	    "raw is the whole field");
	tap_is_int(mail_header_next(S(h), &pos, &f), 1, "second field");
	tap_is_mem(f.name, f.name_len, S("X-Empty"), "empty field name");
	tap_is_int((long long)f.value_len, 0, "empty value");
	tap_is_mem(f.raw, f.raw_len, S("X-Empty:\r\n"), "empty field raw");
	tap_is_int(mail_header_next(S(h), &pos, &f), 1, "obs-optional field");
	tap_is_mem(f.name, f.name_len, S("Obs-Name"),
	    "lines that are not fields skipped; blank before colon");
	tap_is_mem(f.value, f.value_len, S(" obs"), "obs value");
	tap_is_int(mail_header_next(S(h), &pos, &f), 1, "last field");
	tap_is_mem(f.raw, f.raw_len, S("To: a@b"), "unterminated last line");
	tap_is_mem(f.value, f.value_len, S(" a@b"), "its value");
	tap_is_int(mail_header_next(S(h), &pos, &f), 0, "end");
	tap_is_int(mail_header_next(S(h), &pos, &f), 0, "end stays end");

	pos = 0;
	tap_is_int(mail_header_next("", 0, &pos, &f), 0, "no header at all");
	pos = 0;
	tap_is_int(mail_header_next(S(" orphan\r\n\tfold\r\n"), &pos, &f), 0,
	    "continuation lines without a field");
	pos = 0;
	tap_is_int(mail_header_next(S(":x\r\n"), &pos, &f), 0,
	    "empty name is not a field");
}

static void
test_is(void)
{
	struct mail_header_field f;
	size_t pos = 0;

	mail_header_next(S("rESENT-bcc: x\r\n"), &pos, &f);
	tap_ok(mail_header_is(&f, "Resent-Bcc"), "is: case-insensitive");
	tap_ok(!mail_header_is(&f, "Resent-Bc"), "is: prefix is not equal");
	tap_ok(!mail_header_is(&f, "Resent-Bcc2"), "is: longer is not equal");
	tap_ok(!mail_header_is(&f, "Bcc"), "is: suffix is not equal");
}

/* The recipients joined with " | ", or "ERR:" and the message. */
static const char *
rcpts(const char *h, size_t len)
{
	static char out[4096];
	struct mail_address_list l;
	struct err e;
	size_t i;

	mail_address_list_init(&l);
	out[0] = '\0';
	if (mail_header_recipients(h, len, &l, &e) != ERR_OK) {
		snprintf(out, sizeof(out), "ERR:%s", e.msg);
		mail_address_list_free(&l);
		return out;
	}
	for (i = 0; i < l.n; i++) {
		if (i > 0)
			strlcat(out, " | ", sizeof(out));
		strlcat(out, l.addrs[i], sizeof(out));
	}
	mail_address_list_free(&l);
	return out;
}

static void
test_recipients(void)
{
	tap_is_str(rcpts(S(
	    "From: me@x\r\n"
	    "To: a@x, \"B\" <b@x>\r\n"
	    "Subject: To: not@me\r\n"
	    "cc: c@x,\r\n"
	    "  a@X\r\n"
	    "BCC: d@x\r\n"
	    "Reply-To: r@x\r\n"
	    "To: e@x, b@X\r\n")),
	    "a@x | b@x | c@x | d@x | e@x",
	    "To, Cc and Bcc, any case, folded, duplicates dropped");
	tap_is_str(rcpts(S("From: me@x\r\nSubject: hi\r\n")), "",
	    "no recipient fields");
	tap_is_str(rcpts("", 0), "", "no header at all");
	tap_is_str(rcpts(S("To:\r\nCc: \r\n")), "", "empty values");
	tap_is_str(rcpts(S("To: a@x\r\nCc: b@x, <c@x\r\n")),
	    "ERR:Cc: invalid address list: unterminated '<' near '<c@x'",
	    "error names the field");
	tap_is_str(rcpts(S("X-To: a@x\r\nTo-X: b@x\r\nTo : c@x\r\n")), "c@x",
	    "only exact names");
}

static void
test_resent(void)
{
	tap_is_str(rcpts(S(
	    "Received: from a by b\r\n"
	    "Resent-From: r@x\r\n"
	    "Resent-To: n1@x\r\n"
	    "Resent-Cc: n2@x\r\n"
	    "Resent-Bcc: n3@x\r\n"
	    "Resent-Date: today\r\n"
	    "From: me@x\r\n"
	    "To: old@x\r\n")),
	    "n1@x | n2@x | n3@x", "Resent fields replace To/Cc/Bcc");
	tap_is_str(rcpts(S(
	    "Return-Path: <x@y>\r\n"
	    "Received: by hop2\r\n"
	    "Resent-Date: two\r\n"
	    "Resent-From: r2@x\r\n"
	    "Resent-To: new@x\r\n"
	    "Received: by hop1\r\n"
	    "Resent-Date: one\r\n"
	    "Resent-From: r1@x\r\n"
	    "Resent-To: older@x\r\n"
	    "To: old@x\r\n")),
	    "new@x", "only the newest (topmost) block");
	tap_is_str(rcpts(S(
	    "Resent-To: new@x\r\n"
	    "Resent-Date: two\r\n"
	    "Resent-Date: one\r\n"
	    "Resent-To: older@x\r\n")),
	    "new@x", "adjacent blocks split at a second Resent-Date");
	tap_is_str(rcpts(S(
	    "Resent-From: r@x\r\n"
	    "Resent-Date: one\r\n"
	    "To: old@x\r\n")),
	    "", "a resent block without recipients names none");
	tap_is_str(rcpts(S(
	    "From: me@x\r\n"
	    "To: old@x\r\n"
	    "resent-to: appended@x\r\n")),
	    "appended@x", "a block below the other fields still counts");
	tap_is_str(rcpts(S("Resent-To: a@x\r\nResent-Bcc: <b@x\r\n")),
	    "ERR:Resent-Bcc: invalid address list: unterminated '<' near '<b@x'",
	    "error in a Resent field names it");
}

static const char *
removed(const char *h, size_t len, const char *const *names)
{
	static char out[4096];
	struct buf b;
	struct err e;

	buf_init(&b, 4096);
	if (mail_header_remove(h, len, names, &b, &e) != ERR_OK)
		snprintf(out, sizeof(out), "ERR:%s", e.msg);
	else
		strlcpy(out, buf_str(&b), sizeof(out));
	buf_free(&b);
	return out;
}

static void
test_remove(void)
{
	static const char *const bcc[] = { "Bcc", "Resent-Bcc", NULL };
	static const char *const none[] = { NULL };
	static const char h[] =
	    "From: me@x\r\n"
	    "bcc: hidden@x,\r\n"
	    "\tmore@x\r\n"
	    " evenmore@x\r\n"
	    "To: a@x\r\n"
	    "junk line\r\n"
	    "RESENT-BCC: r@x\r\n"
	    "Bccx: keep\r\n"
	    "Bcc: last@x";
	struct buf b;
	struct err e;

	tap_is_str(removed(S(h), bcc),
	    "From: me@x\r\nTo: a@x\r\njunk line\r\nBccx: keep\r\n",
	    "Bcc and Resent-Bcc removed with continuation lines");
	tap_is_str(removed(S(h), none), h, "nothing to remove: a copy");
	tap_is_str(removed(S("Subject: x\r\n"), bcc), "Subject: x\r\n",
	    "no Bcc field: a copy");
	tap_is_str(removed(S("Bcc: a\r\n"), bcc), "", "only a Bcc field");
	tap_is_str(removed("", 0, bcc), "", "empty section");

	buf_init(&b, 8);
	tap_is_int(mail_header_remove(S(h), bcc, &b, &e), ERR_DATA,
	    "output over the buffer cap");
	buf_free(&b);
	buf_init(&b, 64);
	buf_append_str(&b, "X: 1\r\n");
	mail_header_remove(S("Y: 2\r\nBcc: z\r\n"), bcc, &b, &e);
	tap_is_str(buf_str(&b), "X: 1\r\nY: 2\r\n", "appends to out");
	buf_free(&b);
}

/* Many fields: still linear. */
static void
test_many(void)
{
	size_t n = 100000, cap = n * 20, o = 0, i;
	struct mail_address_list l;
	struct err e;
	char *h = malloc(cap);

	if (h == NULL)
		abort();
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(h + o, cap - o, "To: u%zu@x\r\n", i);
	mail_address_list_init(&l);
	tap_is_int(mail_header_recipients(h, o, &l, &e), ERR_OK,
	    "100000 To fields");
	tap_is_int((long long)l.n, (long long)n, "100000 recipients");
	mail_address_list_free(&l);
	free(h);
}

/* ---- composing ------------------------------------------------------- */

/* What a generator appended, or "ERR:" and the message. */
static char got[8192];

static const char *
result(struct buf *b, enum err_kind rc, const struct err *e)
{
	if (rc != ERR_OK)
		snprintf(got, sizeof(got), "ERR:%s", e->msg);
	else
		strlcpy(got, buf_str(b), sizeof(got));
	buf_free(b);
	return got;
}

static const char *
date(long long t, long off)
{
	struct buf b;
	struct err e;

	buf_init(&b, 256);
	return result(&b, mail_header_date(t, off, &b, &e), &e);
}

static void
test_date(void)
{
	tap_is_str(date(0, 0), "Thu, 1 Jan 1970 00:00:00 +0000", "date: epoch");
	tap_is_str(date(1795433696, 3600), "Mon, 23 Nov 2026 12:34:56 +0100",
	    "date: local time and zone");
	tap_is_str(date(1709251199, 0), "Thu, 29 Feb 2024 23:59:59 +0000",
	    "date: leap day");
	tap_is_str(date(951879600, -19800), "Tue, 29 Feb 2000 21:30:00 -0530",
	    "date: negative offset, 400-year leap day");
	tap_is_str(date(2147483648LL, 0), "Tue, 19 Jan 2038 03:14:08 +0000",
	    "date: past 2038");
	tap_is_str(date(1795433696, 3600 + 59), "Mon, 23 Nov 2026 12:34:56 +0100",
	    "date: seconds of the offset dropped, time kept consistent");
	tap_is_str(date(-5, 0), "Thu, 1 Jan 1970 00:00:00 +0000",
	    "date: before the epoch clamped");
	tap_is_str(date(1LL << 60, 0), "Fri, 31 Dec 9999 23:59:59 +0000",
	    "date: past 9999 clamped");
	tap_is_str(date(0, -3600), "Wed, 31 Dec 1969 23:00:00 -0100",
	    "date: the epoch west of UTC");
	tap_is_str(date(0, 1000000), "Mon, 5 Jan 1970 03:59:00 +9959",
	    "date: offset clamped to +9959");
}

static void
test_utc_offset(void)
{
	struct tm l, u;

	memset(&l, 0, sizeof(l));
	memset(&u, 0, sizeof(u));
	l.tm_year = u.tm_year = 126;
	l.tm_yday = u.tm_yday = 100;
	l.tm_hour = 13;
	u.tm_hour = 12;
	tap_is_int(mail_header_utc_offset(&l, &u), 3600, "offset: +1h");
	l.tm_hour = 6;
	l.tm_min = 30;
	tap_is_int(mail_header_utc_offset(&l, &u), -19800, "offset: -5:30");
	l.tm_yday = 101;
	l.tm_hour = 1;
	l.tm_min = 0;
	tap_is_int(mail_header_utc_offset(&l, &u), 13 * 3600,
	    "offset: local is the next day");
	l.tm_year = 127;
	l.tm_yday = 0;
	u.tm_yday = 364;
	u.tm_hour = 23;
	tap_is_int(mail_header_utc_offset(&l, &u), 2 * 3600,
	    "offset: local is in the next year");
	l.tm_year = 125;
	l.tm_yday = 364;
	l.tm_hour = 20;
	u.tm_year = 126;
	u.tm_yday = 0;
	u.tm_hour = 1;
	tap_is_int(mail_header_utc_offset(&l, &u), -5 * 3600,
	    "offset: local is in the year before");
}

static const char *
msgid(long long t, const unsigned char *r, size_t n, const char *dom)
{
	struct buf b;
	struct err e;

	buf_init(&b, 1024);
	return result(&b, mail_header_msgid(t, r, n, dom, &b, &e), &e);
}

static void
test_msgid(void)
{
	unsigned char r[40];
	size_t i;

	for (i = 0; i < sizeof(r); i++)
		r[i] = (unsigned char)i;
	tap_is_str(msgid(1795433696, r, 16, "client.example"),
	    "<toydi8.aaaqeayeaudaocajbifqydiob4@client.example>",
	    "msgid: base36 time, base32 random, domain");
	memset(r, 0xff, sizeof(r));
	tap_is_str(msgid(0, r, 16, "x"),
	    "<0.77777777777777777777777774@x>", "msgid: all ones, epoch");
	tap_is_str(msgid(-1, r, 8, "x"), "<0.7777777777776@x>",
	    "msgid: 8 bytes, negative time as 0");
	tap_is_int((long long)strlen(msgid(0, r, 40, "x")),
	    (long long)strlen("<0.@x>") + 52, "msgid: at most 32 bytes used");
	tap_is_str(msgid(0, r, 7, "x"), "ERR:Message-ID: too few random bytes",
	    "msgid: too few random bytes");
	tap_is_str(msgid(0, r, 16, "bad domain"),
	    "ERR:'bad domain' cannot be the domain of a Message-ID "
	    "(RFC 5322 3.6.4)", "msgid: domain with a blank refused");
	tap_ok(strncmp(msgid(0, r, 16, "a..b"), "ERR:", 4) == 0,
	    "msgid: empty label refused");
	tap_ok(strncmp(msgid(0, r, 16, ".a"), "ERR:", 4) == 0,
	    "msgid: leading dot refused");
	tap_ok(strncmp(msgid(0, r, 16, ""), "ERR:", 4) == 0,
	    "msgid: empty domain refused");
	tap_ok(strncmp(msgid(0, r, 16, "a>b"), "ERR:", 4) == 0,
	    "msgid: special in the domain refused");
}

static const char *
mailbox(const char *name, const char *addr)
{
	struct buf b;
	struct err e;

	buf_init(&b, 4096);
	return result(&b, mail_header_mailbox(name, addr, &b, &e), &e);
}

static void
test_mailbox(void)
{
	tap_is_str(mailbox(NULL, "a@x"), "a@x", "mailbox: no name");
	tap_is_str(mailbox("", "a@x"), "a@x", "mailbox: empty name");
	tap_is_str(mailbox("Jane Doe", "a@x"), "Jane Doe <a@x>",
	    "mailbox: atoms as they are");
	tap_is_str(mailbox("Doe, Jane", "a@x"), "\"Doe, Jane\" <a@x>",
	    "mailbox: a comma is quoted");
	tap_is_str(mailbox("John Q. Public", "a@x"),
	    "\"John Q. Public\" <a@x>", "mailbox: a dot is quoted");
	tap_is_str(mailbox("say \"hi\" \\o/", "a@x"),
	    "\"say \\\"hi\\\" \\\\o/\" <a@x>",
	    "mailbox: quote and backslash escaped");
	tap_is_str(mailbox("two  blanks", "a@x"), "\"two  blanks\" <a@x>",
	    "mailbox: double blank quoted");
	tap_is_str(mailbox(" lead", "a@x"), "\" lead\" <a@x>",
	    "mailbox: leading blank quoted");
	tap_is_str(mailbox("Ren\xc3\xa9 M\xc3\xbcller", "a@x"),
	    "=?utf-8?q?Ren=C3=A9_M=C3=BCller?= <a@x>",
	    "mailbox: UTF-8 as an encoded-word");
	tap_is_str(mailbox("a=?b_c?", "a@x"), "=?utf-8?q?a=3D=3Fb=5Fc=3F?= <a@x>",
	    "mailbox: text like an encoded-word is encoded");
	tap_is_str(mailbox("a\tb\x01", "a@x"), "=?utf-8?q?a=09b=01?= <a@x>",
	    "mailbox: control bytes encoded");
	tap_is_str(mailbox("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "a@x"),
	    "=?utf-8?q?=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9"
	    "=C3=A9?= =?utf-8?q?=C3=A9?= <a@x>",
	    "mailbox: words of at most 75 bytes, characters not split");
	tap_is_str(mailbox("a\nb", "a@x"),
	    "ERR:refusing a line break in a generated address",
	    "mailbox: LF in the name refused");
	tap_is_str(mailbox("a", "a@x\r"),
	    "ERR:refusing a line break in a generated address",
	    "mailbox: CR in the address refused");
}

static const char *
fold(const char *text)
{
	struct buf b;
	struct err e;

	buf_init(&b, 8192);
	return result(&b, mail_header_fold(text, strlen(text), &b, &e), &e);
}

static void
test_fold(void)
{
	char big[1100], want[1200];

	tap_is_str(fold("Date: now"), "Date: now\r\n", "fold: short line");
	tap_is_str(fold("From: aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd "
	    "eeeeeeeeee ffffffffff gggg <x@y>"),
	    "From: aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee "
	    "ffffffffff gggg\r\n <x@y>\r\n", "fold: at the last blank under 78");
	tap_is_str(fold("From: aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd "
	    "eeeeeeeeee ffffffffff gggggg"),
	    "From: aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd "
	    "eeeeeeeeee ffffffffff gggggg\r\n", "fold: exactly 78 stays");
	tap_is_str(fold("From: aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd "
	    "eeeeeeeeee ffffffffff ggggggg"),
	    "From: aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd "
	    "eeeeeeeeee ffffffffff\r\n ggggggg\r\n", "fold: 79 folds");
	memset(big, 'x', 100);
	memcpy(big, "Message-ID: ", 12);
	big[100] = '\0';
	snprintf(want, sizeof(want), "%s\r\n", big);
	tap_is_str(fold(big), want, "fold: never before the first word");
	memset(big, 'x', 999);
	memcpy(big, "X: ", 3);
	big[999] = '\0';
	tap_is_str(fold(big), "ERR:a generated header line is longer than 998 "
	    "bytes", "fold: a word past 998 refused");
	big[998] = '\0';
	snprintf(want, sizeof(want), "%s\r\n", big);
	tap_is_str(fold(big), want, "fold: 998 is allowed");
	tap_is_str(fold("X: a  b"), "X: a  b\r\n", "fold: blanks kept");
}

static const char *
qualify(const char *v)
{
	struct buf b;
	struct err e;

	buf_init(&b, 4096);
	return result(&b, mail_header_qualify(v, strlen(v), "d.example", &b,
	    &e), &e);
}

static void
test_qualify(void)
{
	struct buf b;
	struct err e;

	tap_is_str(qualify(" root"), " root@d.example", "qualify: bare name");
	tap_is_str(qualify(" a@x, root, b@y"), " a@x, root@d.example, b@y",
	    "qualify: only the bare one");
	tap_is_str(qualify(" Admin <root>"), " Admin <root@d.example>",
	    "qualify: in angle brackets");
	tap_is_str(qualify(" \"root\" <root>"), " \"root\" <root@d.example>",
	    "qualify: not inside a quoted display name");
	tap_is_str(qualify(" \"root, toor\" <a@x>"),
	    " \"root, toor\" <a@x>", "qualify: quoted name with a comma");
	tap_is_str(qualify(" root (the root) , toor"),
	    " root@d.example (the root) , toor@d.example",
	    "qualify: before a comment; comments left alone");
	tap_is_str(qualify(" (root) a@x"), " (root) a@x",
	    "qualify: not inside a comment");
	tap_is_str(qualify(" team: root, a@x;, b"),
	    " team: root@d.example, a@x;, b@d.example",
	    "qualify: group members; not the group name");
	tap_is_str(qualify(" undisclosed-recipients:;"),
	    " undisclosed-recipients:;", "qualify: empty group untouched");
	tap_is_str(qualify(" john.doe"), " john.doe@d.example",
	    "qualify: dotted local part");
	tap_is_str(qualify(" \"a b\""), " \"a b\"@d.example",
	    "qualify: quoted local part");
	tap_is_str(qualify(" <@relay:root>"), " <@relay:root@d.example>",
	    "qualify: after an obs-route");
	tap_is_str(qualify(" root,\r\n\ttoor"),
	    " root@d.example,\r\n\ttoor@d.example", "qualify: folds kept");
	tap_is_str(qualify(" a@x (c"), " a@x (c",
	    "qualify: invalid list copied unchanged");
	tap_is_str(qualify(" root <"), " root <",
	    "qualify: unterminated angle copied unchanged");
	tap_is_str(qualify(""), "", "qualify: empty value");
	buf_init(&b, 64);
	tap_is_str(result(&b, mail_header_qualify(S(" root"), "a b", &b, &e),
	    &e), "ERR:'a b' cannot qualify an address (RFC 5322 3.2.3)",
	    "qualify: bad domain refused");
	buf_init(&b, 6);
	tap_is_int(mail_header_qualify(S(" root"), "d.example", &b, &e),
	    ERR_DATA, "qualify: output over the cap");
	buf_free(&b);
}

static const unsigned char rnd16[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    11, 12, 13, 14, 15 };

static void
compose_init(struct mail_header_compose *c)
{
	memset(c, 0, sizeof(*c));
	c->from = c->date = c->msgid = MAIL_HEADER_SET_AUTO;
	c->remove_bcc = true;
	c->sender = "me@client.example";
	c->now = 1795433696;
	c->utc_offset = 3600;
	c->rnd = rnd16;
	c->nrnd = sizeof(rnd16);
	c->domain = "client.example";
}

static const char *
compose(const char *h, const struct mail_header_compose *c)
{
	struct buf b;
	struct err e;

	buf_init(&b, 8192);
	return result(&b, mail_header_compose(h, strlen(h), c, &b, &e), &e);
}

#define DATE "Date: Mon, 23 Nov 2026 12:34:56 +0100\r\n"
#define MSGID "Message-ID: <toydi8.aaaqeayeaudaocajbifqydiob4@client.example>\r\n"

static void
test_compose_add(void)
{
	struct mail_header_compose c;

	compose_init(&c);
	tap_is_str(compose("Subject: hi\r\n", &c),
	    DATE "From: me@client.example\r\n" MSGID "Subject: hi\r\n",
	    "compose: Date, From, Message-ID added at the top");
	tap_is_str(compose("", &c),
	    DATE "From: me@client.example\r\n" MSGID,
	    "compose: empty section");
	tap_is_str(compose("from: a@x\r\nDATE: x\r\nmessage-id: <1@x>\r\n",
	    &c), "from: a@x\r\nDATE: x\r\nmessage-id: <1@x>\r\n",
	    "compose: nothing added when present (any case)");
	tap_is_str(compose("From:\r\n", &c), DATE MSGID "From:\r\n",
	    "compose: an empty From counts as present");
	c.full_name = "Jane Doe";
	tap_is_str(compose("Date: x\r\nMessage-ID: <1@x>\r\n", &c),
	    "From: Jane Doe <me@client.example>\r\n"
	    "Date: x\r\nMessage-ID: <1@x>\r\n", "compose: From with a name");
	c.sender = "";
	tap_is_str(compose("Date: x\r\nMessage-ID: <1@x>\r\n", &c),
	    "Date: x\r\nMessage-ID: <1@x>\r\n",
	    "compose: no From for the null sender");
	compose_init(&c);
	c.from = c.date = c.msgid = MAIL_HEADER_SET_OFF;
	tap_is_str(compose("Subject: hi\r\n", &c), "Subject: hi\r\n",
	    "compose: all off: nothing added");
	compose_init(&c);
	c.from = MAIL_HEADER_SET_ON;
	c.date = c.msgid = MAIL_HEADER_SET_OFF;
	c.full_name = "Doe, Jane";
	tap_is_str(compose("To: a@x\r\nFrom: old@x,\r\n  other@x\r\n"
	    "Subject: s\r\nfrom: again@x\r\n", &c),
	    "To: a@x\r\nFrom: \"Doe, Jane\" <me@client.example>\r\n"
	    "Subject: s\r\n", "compose: set_from on replaces From in place");
	tap_is_str(compose("To: a@x\r\n", &c),
	    "From: \"Doe, Jane\" <me@client.example>\r\nTo: a@x\r\n",
	    "compose: set_from on adds a missing From");
	c.sender = NULL;
	tap_is_str(compose("From: old@x\r\n", &c), "From: old@x\r\n",
	    "compose: set_from on keeps From without a sender");
}

static void
test_compose_rewrite(void)
{
	struct mail_header_compose c;
	static const char h[] =
	    "Date: x\r\nMessage-ID: <1@x>\r\nFrom: root\r\n"
	    "To: root, \"root\" <a@x>\r\nBcc: b@x\r\nSubject: root\r\n"
	    "Resent-Bcc: r@x\r\nnot a field\r\nCc: toor\r\n";

	compose_init(&c);
	tap_is_str(compose(h, &c),
	    "Date: x\r\nMessage-ID: <1@x>\r\nFrom: root\r\n"
	    "To: root, \"root\" <a@x>\r\nSubject: root\r\n"
	    "not a field\r\nCc: toor\r\n",
	    "compose: Bcc and Resent-Bcc removed, the rest byte for byte");
	c.remove_bcc = false;
	tap_is_str(compose(h, &c), h, "compose: remove_bcc off keeps them");
	c.qualify = "d.example";
	tap_is_str(compose(h, &c),
	    "Date: x\r\nMessage-ID: <1@x>\r\nFrom: root@d.example\r\n"
	    "To: root@d.example, \"root\" <a@x>\r\nBcc: b@x\r\n"
	    "Subject: root\r\nResent-Bcc: r@x\r\nnot a field\r\n"
	    "Cc: toor@d.example\r\n",
	    "compose: qualify address fields only");
	compose_init(&c);
	c.undisclosed = true;
	tap_is_str(compose(h, &c),
	    "Date: x\r\nMessage-ID: <1@x>\r\nFrom: root\r\n"
	    "To: undisclosed-recipients:;\r\nSubject: root\r\n"
	    "not a field\r\n",
	    "compose: undisclosed: To, Cc, Bcc become one To in place");
	c.remove_bcc = false;
	tap_is_str(compose("Bcc: b@x\r\nResent-Bcc: r@x\r\n", &c),
	    DATE "From: me@client.example\r\n" MSGID
	    "To: undisclosed-recipients:;\r\nResent-Bcc: r@x\r\n",
	    "compose: undisclosed replaces Bcc even with remove_bcc off");
	tap_is_str(compose("Subject: s\r\n", &c),
	    DATE "From: me@client.example\r\n" MSGID
	    "To: undisclosed-recipients:;\r\nSubject: s\r\n",
	    "compose: undisclosed adds To when there was none");
}

static void
test_compose_errors(void)
{
	struct mail_header_compose c;
	struct buf b;
	struct err e;

	compose_init(&c);
	c.full_name = "a\nb";
	tap_is_str(compose("", &c),
	    "ERR:refusing a line break in a generated address",
	    "compose: line break in the name refused");
	compose_init(&c);
	c.domain = "no domain";
	tap_ok(strncmp(compose("", &c), "ERR:'no domain' cannot", 22) == 0,
	    "compose: bad Message-ID domain refused");
	compose_init(&c);
	buf_init(&b, 50);
	tap_is_int(mail_header_compose(S("Subject: x\r\n"), &c, &b, &e),
	    ERR_DATA, "compose: over the cap");
	buf_free(&b);
}

static void
test_compose(void)
{
	test_compose_add();
	test_compose_rewrite();
	test_compose_errors();
}

/* ---- hostile input ---------------------------------------------------- */

static void
test_hostile_scan(void)
{
	struct mail_header_field f;
	struct mail_address_list l;
	struct err e;
	size_t pos, len, n;
	char *h;
	clock_t t0;
	double dt;

	/* A 64 KiB field: one line, then the same folded every 64 bytes. */
	h = tap_repeat("X-Long: ", "y", 65536, "\r\nTo: a@x\r\n", &len);
	pos = 0;
	tap_is_int(mail_header_next(h, len, &pos, &f), 1, "64 KiB line: field");
	tap_is_int((long long)f.value_len, 65537, "64 KiB line: whole value");
	tap_is_int(mail_header_next(h, len, &pos, &f), 1, "... then the next");
	tap_ok(mail_header_is(&f, "To"), "... which is To");
	free(h);
	h = tap_repeat("Subject: x",
	    "\r\n yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
	    "yyyyyyyyyyyyyyyyyyyyy", 1024, "\r\n", &len);
	pos = 0;
	tap_is_int(mail_header_next(h, len, &pos, &f), 1,
	    "1024 continuation lines: one field");
	tap_is_int((long long)f.raw_len, (long long)len, "... all of it");
	free(h);

	/* Only continuation lines: no field, no recipient. */
	h = tap_repeat("", " To: a@x\r\n\tCc: b@x\r\n", 1000, "", &len);
	pos = 0;
	tap_is_int(mail_header_next(h, len, &pos, &f), 0,
	    "only continuation lines: no field");
	tap_is_str(rcpts(h, len), "", "only continuation lines: no recipient");
	free(h);

	/* A To of 64 KiB (4000 addresses) and one of 1 MiB. */
	h = malloc(2 << 20);
	if (h == NULL)
		abort();
	len = (size_t)snprintf(h, 8, "To: ");
	for (n = 0; n < 4000; n++)
		len += (size_t)snprintf(h + len, 64, "u%04zu@x.test, ", n);
	memcpy(h + len, "\r\n", 3);
	len += 2;
	mail_address_list_init(&l);
	tap_is_int(mail_header_recipients(h, len, &l, &e), ERR_OK,
	    "64 KiB To line");
	tap_is_int((long long)l.n, 4000, "... 4000 recipients");
	mail_address_list_free(&l);
	len = (size_t)snprintf(h, 8, "To: ");
	for (n = 0; n < MAIL_ADDRESS_MAX; n++)
		len += (size_t)snprintf(h + len, 64, "%zx@x,", n);
	len += (size_t)snprintf(h + len, 64, "\r\nCc: one@more\r\n");
	mail_address_list_init(&l);
	t0 = clock();
	tap_is_int(mail_header_recipients(h, len, &l, &e), ERR_DATA,
	    "100000 in To and one more in Cc: refused");
	dt = tap_seconds_since(t0);
	tap_diag("... took %.3fs", dt);
	tap_is_str(e.msg, "Cc: invalid address list: too many addresses near "
	    "'one@more'", "... naming the field");
	tap_is_int((long long)l.n, MAIL_ADDRESS_MAX,
	    "... l keeps the fields before the bad one");
	mail_address_list_free(&l);
	free(h);

	/* Unterminated constructs in a field: refused, field named. */
	tap_is_str(rcpts(S("To: \"john doe@x\r\n")),
	    "ERR:To: invalid address list: unterminated quoted string near "
	    "'\"john doe@x'", "unterminated quote in To");
	tap_is_str(rcpts(S("Cc: a@x (comment\r\n")),
	    "ERR:Cc: invalid address list: unterminated comment near "
	    "'(comment'", "unterminated comment in Cc");
	tap_is_str(rcpts(S("Bcc: a@[1.2.3.4\r\n")),
	    "ERR:Bcc: invalid address list: unterminated domain literal near "
	    "'[1.2.3.4'", "unterminated literal in Bcc");
	tap_is_str(rcpts(S("To: a@x\r\n(\r\n")), "a@x",
	    "a line that is not a field is no continuation");
	tap_is_str(rcpts(S("To: a\0@x\r\n")), "ERR:To: invalid address list: "
	    "control character near '\\x00@x'", "NUL in To");
	tap_is_str(rcpts(S("To: \xff\xfe@x, J\xc3\xb6rg \xff <j@x>\r\n")),
	    "\xff\xfe@x | j@x", "invalid UTF-8 kept as it is");
}

/* Many fields, long fields: copied byte for byte, in linear time. */
static void
test_hostile_compose(void)
{
	struct mail_header_compose c;
	struct buf b;
	struct err e;
	char *h, *name;
	size_t len, n;
	clock_t t0;
	double dt;
	enum err_kind rc;

	h = tap_repeat("Date: x\r\nMessage-ID: <1@x>\r\nFrom: a@x\r\n",
	    "X-F: 1\r\nBcc: b@x\r\n", 50000, "", &len);
	compose_init(&c);
	buf_init(&b, DELIVER_INPUT_HEADER_MAX);
	t0 = clock();
	rc = mail_header_compose(h, len, &c, &b, &e);
	tap_is_int(rc, ERR_OK, "100000 fields");
	dt = tap_seconds_since(t0);
	tap_diag("... took %.3fs", dt);
	tap_is_int((long long)b.len, (long long)(len - 50000 * 10),
	    "... 50000 Bcc removed, the rest kept");
	buf_free(&b);
	free(h);

	/* 1 MiB exactly: nothing to add fits; one more field does not. */
	n = DELIVER_INPUT_HEADER_MAX - 46;
	h = tap_repeat("Date: x\r\nMessage-ID: <1@x>\r\nFrom: a@x\r\nX-L: ",
	    "z", n, "\r\n", &len);
	tap_is_int((long long)len, DELIVER_INPUT_HEADER_MAX,
	    "a section of exactly 1 MiB");
	buf_init(&b, DELIVER_INPUT_HEADER_MAX);
	tap_is_int(mail_header_compose(h, len, &c, &b, &e), ERR_OK,
	    "1 MiB with nothing to add: composed");
	tap_ok(b.len == len && memcmp(b.data, h, len) == 0,
	    "... byte for byte");
	buf_free(&b);
	memcpy(h, "Xate", 4);
	buf_init(&b, DELIVER_INPUT_HEADER_MAX);
	tap_is_int(mail_header_compose(h, len, &c, &b, &e), ERR_DATA,
	    "1 MiB that needs a Date: too long");
	tap_is_str(e.msg, "header section too long", "... says so");
	buf_free(&b);
	free(h);

	/* Qualifying 5000 bare names in one 64 KiB field. */
	h = tap_repeat("To: ", "root,\r\n\ttoor, ", 5000, "x\r\n", &len);
	compose_init(&c);
	c.qualify = "d.example";
	buf_init(&b, 4u << 20);
	tap_is_int(mail_header_compose(h, len, &c, &b, &e), ERR_OK,
	    "qualify 10001 bare names");
	n = 0;
	for (name = strstr(b.data, "@d.example"); name != NULL;
	    name = strstr(name + 1, "@d.example"))
		n++;
	tap_is_int((long long)n, 10001, "... each got @d.example");
	buf_free(&b);
	free(h);

	/* A generated From whose name cannot be folded under 998. */
	name = tap_repeat("", "n", 2000, "", &len);
	compose_init(&c);
	c.full_name = name;
	tap_is_str(compose("", &c), "ERR:a generated header line is longer "
	    "than 998 bytes", "-F of 2000 bytes without a blank: refused");
	free(name);
	name = tap_repeat("", "word ", 400, "end", &len);
	c.full_name = name;
	buf_init(&b, 1 << 16);
	tap_is_int(mail_header_compose(S(""), &c, &b, &e), ERR_OK,
	    "-F of 400 words: folded");
	h = b.data;
	for (n = 0; h != NULL && *h != '\0'; n++) {
		char *eol = strstr(h, "\r\n");

		if (eol == NULL || eol - h > MAIL_HEADER_FOLD_AT)
			break;
		h = eol + 2;
	}
	tap_ok(h != NULL && *h == '\0', "... every line within 78 octets");
	buf_free(&b);
	free(name);
	name = tap_repeat("", "\xc3\xa9", 2000, "", &len);
	c.full_name = name;
	buf_init(&b, 1 << 16);
	tap_is_int(mail_header_compose(S(""), &c, &b, &e), ERR_OK,
	    "-F of 2000 UTF-8 characters: encoded-words, folded");
	h = strstr(b.data, "From: ");
	tap_ok(h != NULL && strstr(h, "?= =?") == NULL &&
	    strstr(h, "?=\r\n =?utf-8?q?") != NULL,
	    "... one encoded-word a line");
	buf_free(&b);
	free(name);
}

/* deliver/input: the header section's cap, as postie reads stdin. */
static enum err_kind
read_input(const char *p, size_t n, bool dot_ends, struct deliver_input *in,
    struct err *e)
{
	FILE *fp = tmpfile();
	enum err_kind rc;

	if (fp == NULL || fwrite(p, 1, n, fp) != n || fflush(fp) != 0 ||
	    fseek(fp, 0, SEEK_SET) != 0)
		abort();
	deliver_input_init(in);
	rc = deliver_input_read(in, fileno(fp), dot_ends, NULL, e);
	fclose(fp);
	return rc;
}

/*
 * A header section of total bytes: fields of 17 bytes ("X-Field: 123456"
 * CRLF) and a last one ("X: " + digits + CRLF) to make up the rest, then
 * the empty line and a body.  eol: "\r\n" or "\n" (then sizes count the
 * CRLF the input is normalised to).
 */
static char *
section(size_t total, const char *eol, size_t *len)
{
	size_t nf = (total - 5) / 17, rest = total - nf * 17, i, o = 0;
	char *s = malloc(total + 64);

	if (s == NULL || rest < 5)
		abort();
	for (i = 0; i < nf; i++)
		o += (size_t)sprintf(s + o, "X-Field: 123456%s", eol);
	memcpy(s + o, "X: ", 3);
	o += 3;
	memset(s + o, '9', rest - 5);
	o += rest - 5;
	o += (size_t)sprintf(s + o, "%s%sbody%s", eol, eol, eol);
	*len = o;
	return s;
}

static void
test_input_cap(void)
{
	struct deliver_input in;
	struct err e;
	char *h;
	size_t len;

	h = section(DELIVER_INPUT_HEADER_MAX, "\r\n", &len);
	tap_is_int(read_input(h, len, true, &in, &e), ERR_OK,
	    "input: a header section of exactly 1 MiB");
	tap_is_int((long long)in.header.len, DELIVER_INPUT_HEADER_MAX,
	    "... kept whole");
	tap_is_int((long long)in.body_size, 6, "... and the body");
	deliver_input_free(&in);
	free(h);
	h = section(DELIVER_INPUT_HEADER_MAX + 1, "\r\n", &len);
	tap_is_int(read_input(h, len, true, &in, &e), ERR_DATA,
	    "input: one byte over 1 MiB");
	tap_is_str(e.msg, "the header section is larger than 1048576 bytes",
	    "... says so");
	deliver_input_free(&in);
	free(h);

	/* LF line ends count as the CRLF they become. */
	h = section(DELIVER_INPUT_HEADER_MAX + 1, "\n", &len);
	tap_ok(len < DELIVER_INPUT_HEADER_MAX, "LF lines: under 1 MiB as read");
	tap_is_int(read_input(h, len, true, &in, &e), ERR_DATA,
	    "input: ... one byte over as CRLF: refused");
	deliver_input_free(&in);
	free(h);

	/* One line of 1 MiB with its CRLF, and one byte longer. */
	h = tap_repeat("X-F: ", "a", DELIVER_INPUT_HEADER_MAX - 7,
	    "\r\n\r\nb\r\n", &len);
	tap_is_int(read_input(h, len, true, &in, &e), ERR_OK,
	    "input: one header line of exactly 1 MiB");
	tap_is_int((long long)in.header.len, DELIVER_INPUT_HEADER_MAX,
	    "... kept whole");
	deliver_input_free(&in);
	free(h);
	h = tap_repeat("X-F: ", "a", DELIVER_INPUT_HEADER_MAX - 6,
	    "\r\n\r\nb\r\n", &len);
	tap_is_int(read_input(h, len, true, &in, &e), ERR_DATA,
	    "input: one header line one byte over 1 MiB");
	deliver_input_free(&in);
	free(h);

	/* NUL removed, 8-bit kept, only continuation lines are body. */
	tap_is_int(read_input(S("Sub\0ject: \xff\0x\r\n\r\nb\0ody\r\n"), true,
	    &in, &e), ERR_OK, "input: NUL and 8-bit in the header");
	tap_is_mem(in.header.data, in.header.len, S("Subject: \xffx\r\n"),
	    "... NUL removed, 8-bit kept");
	tap_ok(in.eightbit, "... 8-bit noted");
	tap_is_int((long long)in.body_size, 6, "... NUL removed in the body");
	deliver_input_free(&in);
	tap_is_int(read_input(S(" To: a@x\n\tCc: b@x\n\nbody\n"), true, &in,
	    &e), ERR_OK, "input: only continuation lines");
	tap_is_int((long long)in.header.len, 0, "... no header section");
	tap_is_int((long long)in.body_size, 28, "... all body, normalised");
	deliver_input_free(&in);
}

int
main(void)
{
	test_next();
	test_is();
	test_recipients();
	test_resent();
	test_remove();
	test_many();
	test_date();
	test_utc_offset();
	test_msgid();
	test_mailbox();
	test_fold();
	test_qualify();
	test_compose();
	test_hostile_scan();
	test_hostile_compose();
	test_input_cap();
	return tap_done();
}
