#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mime.h"
#include "tap.h"

#define S(lit) lit, sizeof(lit) - 1
#define OUT_MAX (64u << 20)

/* The 8-bit body line and header most QP tests share. */
#define QP_HDR \
	"MIME-Version: 1.0\r\n" \
	"Content-Type: text/plain; charset=utf-8\r\n" \
	"Content-Transfer-Encoding: 8bit\r\n\r\n" \
	"\xc3\xa9\r\n"
#define QP_OUT \
	"MIME-Version: 1.0\r\n" \
	"Content-Type: text/plain; charset=utf-8\r\n" \
	"Content-Transfer-Encoding: quoted-printable\r\n\r\n" \
	"=C3=A9\r\n"

/* Convert in, fed step bytes at a time (0: all at once). */
static enum err_kind
convert(const char *cs, const char *in, size_t n, size_t step,
    struct buf *out, struct err *e)
{
	struct mail_mime *m = mail_mime_new(cs);
	enum err_kind rc = ERR_OK;
	size_t pos = 0, k;

	buf_init(out, OUT_MAX);
	err_clear(e);
	if (m == NULL)
		return ERR_OS;
	while (rc == ERR_OK && pos < n) {
		k = step == 0 || n - pos < step ? n - pos : step;
		rc = mail_mime_feed(m, in + pos, k, out, e);
		pos += k;
	}
	if (rc == ERR_OK)
		rc = mail_mime_finish(m, out, e);
	mail_mime_free(m);
	return rc;
}

/* Every byte 7-bit, every CR before a LF and every LF after a CR. */
static bool
wire_ok(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] >= 0x80)
			return false;
		if (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n'))
			return false;
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			return false;
	}
	return true;
}

/*
 * Check the conversion of in against want (NULL: only the properties),
 * that the output is fit for a 7-bit wire, and that feeding it in other
 * splits (byte at a time among them) gives the same bytes.  Returns the
 * output (caller frees), or NULL on error.
 */
static char *
check(const char *cs, const char *in, size_t n, const char *want, size_t wn,
    const char *name, size_t *outlen)
{
	static const size_t steps[] = { 1, 2, 3, 7, 64, 4097 };
	struct buf whole, part;
	struct err e;
	size_t i;
	bool same = true;
	char *r;

	if (convert(cs, in, n, 0, &whole, &e) != ERR_OK) {
		tap_ok(0, "%s: %s", name, e.msg);
		buf_free(&whole);
		return NULL;
	}
	if (want != NULL)
		tap_is_mem(whole.data, whole.len, want, wn, name);
	tap_ok(wire_ok(buf_str(&whole), whole.len), "%s: 7-bit, CRLF only",
	    name);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i] > n && i > 0)
			break;
		if (convert(cs, in, n, steps[i], &part, &e) != ERR_OK ||
		    part.len != whole.len ||
		    memcmp(buf_str(&part), buf_str(&whole), whole.len) != 0) {
			tap_diag("split %zu differs", steps[i]);
			same = false;
		}
		buf_free(&part);
	}
	tap_ok(same, "%s: same output in every split", name);
	if (outlen != NULL)
		*outlen = whole.len;
	r = whole.data != NULL ? whole.data : strdup("");
	return r;
}

static void
is_conv(const char *cs, const char *in, size_t n, const char *want, size_t wn,
    const char *name)
{
	free(check(cs, in, n, want, wn, name, NULL));
}

/* The same, with the input expected back byte for byte. */
static void
is_same(const char *in, size_t n, const char *name)
{
	is_conv(NULL, in, n, in, n, name);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode a quoted-printable body (RFC 2045 6.7) into dst, checking the
 * encoder's promises: lines of at most 76 characters, no unencoded
 * trailing blank, only 33..126 and blanks, '=' only as =XX or a soft break.
 */
static bool
qp_decode(const char *p, size_t n, struct buf *dst)
{
	size_t i = 0, start = 0;

	while (i < n) {
		if (p[i] == '\r') {
			if (i - start > 76 || (i > start &&
			    (p[i - 1] == ' ' || p[i - 1] == '\t')))
				return false;
			buf_append(dst, "\r\n", 2);
			i += 2;
			start = i;
		} else if (p[i] == '=' && i + 2 < n && p[i + 1] == '\r') {
			if (i + 1 - start > 76)
				return false;
			i += 3;
			start = i;
		} else if (p[i] == '=') {
			if (i + 2 >= n || hexval(p[i + 1]) < 0 ||
			    hexval(p[i + 2]) < 0)
				return false;
			buf_append_byte(dst, (unsigned char)(hexval(p[i + 1]) *
			    16 + hexval(p[i + 2])));
			i += 3;
		} else if ((p[i] >= 33 && p[i] <= 126) || p[i] == ' ' ||
		    p[i] == '\t') {
			buf_append(dst, p + i, 1);
			i++;
		} else {
			return false;
		}
	}
	return n - start <= 76;
}

/* Body lines after QP_HDR, converted, decoded back and compared. */
static void
qp_roundtrip(const char *body, size_t n, const char *name)
{
	struct buf in, dec;
	size_t olen, skip = sizeof(QP_OUT) - 1;
	char *o;

	buf_init(&in, OUT_MAX);
	buf_init(&dec, OUT_MAX);
	buf_append(&in, S(QP_HDR));
	buf_append(&in, body, n);
	o = check(NULL, in.data, in.len, NULL, 0, name, &olen);
	tap_ok(o != NULL && olen >= skip && memcmp(o, QP_OUT, skip) == 0 &&
	    qp_decode(o + skip, olen - skip, &dec) && dec.len == n &&
	    memcmp(dec.data, body, n) == 0, "%s: decodes back", name);
	free(o);
	buf_free(&in);
	buf_free(&dec);
}

static void
test_plain(void)
{
	is_conv(NULL, S(
	    "From: a@example.org\r\n"
	    "Subject: x\r\n"
	    "\r\n"
	    "caf\xc3\xa9\r\n"
	    "= sign\r\n"), S(
	    "From: a@example.org\r\n"
	    "Subject: x\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "caf=C3=A9\r\n"
	    "=3D sign\r\n"), "plain 8-bit without MIME: utf-8 guessed");
	is_conv(NULL, S(
	    "Subject: x\r\n\r\nfirst\r\n\r\ncaf\xe9\r\n"), S(
	    "Subject: x\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=unknown-8bit\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\nfirst\r\n\r\ncaf=E9\r\n"), "not UTF-8: unknown-8bit");
	is_conv("iso-8859-1", S(
	    "Subject: x\r\n\r\ncaf\xe9\r\n"), S(
	    "Subject: x\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=iso-8859-1\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\ncaf=E9\r\n"), "configured charset");
	is_conv("bad charset\r\n", S(
	    "\r\n\xc3\xa9"), S(
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n=C3=A9"), "no header, unterminated; a bad charset ignored");
	is_same(S("From: a@example.org\r\nSubject: hello\r\n\r\n"
	    "plain = text\r\n.\r\nFrom me\r\n  \r\nlast"),
	    "7-bit without MIME passes unchanged");
	is_conv(NULL, S("Subject: x\n\nbare LF\n"),
	    S("Subject: x\r\n\r\nbare LF\r\n"), "bare LF becomes CRLF");
}

static void
test_single_part(void)
{
	is_conv(NULL, S(
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=iso-8859-1\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "Subject: s\r\n"
	    "\r\n"
	    "d\xe9j\xe0 vu\r\n"), S(
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=iso-8859-1\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "Subject: s\r\n"
	    "\r\n"
	    "d=E9j=E0 vu\r\n"), "8bit iso-8859-1 becomes QP, CTE replaced");
	is_conv(NULL, S(
	    "MIME-Version: 1.0\r\n"
	    "content-transfer-encoding: 8BIT (comment)\r\n"
	    "Content-Transfer-Encoding: binary\r\n"
	    "\r\n"
	    "\xc3\xa9\r\n"), S(
	    "MIME-Version: 1.0\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "\r\n"
	    "=C3=A9\r\n"), "8BIT replaced, a second CTE dropped, type added");
	is_conv(NULL, S(
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n"
	    "only ascii\r\n"), S(
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "\r\n"
	    "only ascii\r\n"), "8bit label on 7-bit text becomes 7bit");
	is_same(S(
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "caf=C3=A9\r\n"), "QP part passes unchanged");
	is_conv(NULL, S(
	    "MIME-Version: 1.0\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n"
	    "AAEC\xff\r\n"), S(
	    "MIME-Version: 1.0\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n"
	    "AAEC?\r\n"), "8-bit in a base64 part becomes '?'");
	is_conv(NULL, S(
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "\r\n"
	    "a\rb\x00" "c\r\n"), S(
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "a=0Db=00c\r\n"), "bare CR and NUL make a 7bit part QP");
}

#define MIXED_HEAD \
	"MIME-Version: 1.0\r\n" \
	"Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n" \
	"\r\n" \
	"This is a multi-part message in MIME format.\r\n"
#define ATTACHMENT \
	"--XYZ\r\n" \
	"Content-Type: application/octet-stream; name=\"a.bin\"\r\n" \
	"Content-Transfer-Encoding: base64\r\n" \
	"\r\n" \
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v\r\n" \
	"MDEyMw==\r\n" \
	"--XYZ--\r\n" \
	"epilogue\r\n"

static void
test_multipart(void)
{
	is_conv(NULL, S(MIXED_HEAD
	    "--XYZ\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n"
	    "Gr\xc3\xbc\xc3\x9f" "e\r\n"
	    "\r\n"
	    ATTACHMENT), S(MIXED_HEAD
	    "--XYZ\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "Gr=C3=BC=C3=9Fe\r\n"
	    "\r\n"
	    ATTACHMENT), "multipart: only the 8-bit text part changes");
	is_same(S(MIXED_HEAD
	    "--XYZ  \t\r\n"
	    "\r\n"
	    "no header: text/plain us-ascii\r\n"
	    "--XYZzz\r\n"
	    "-- not a boundary either\r\n"
	    "--XYZ\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "\r\n"
	    "seven bit\r\n"
	    ATTACHMENT), "7-bit multipart with base64 passes unchanged");
	is_conv(NULL, S(
	    "Content-Type: (c) Multipart/MIXED (c) ; (x) BOUNDARY = \"a b\""
	    " ;\r\n charset=x\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n"
	    "--a b\r\n"
	    "\r\n"
	    "\xc3\xa9\r\n"
	    "--a b--\r\n"), S(
	    "Content-Type: (c) Multipart/MIXED (c) ; (x) BOUNDARY = \"a b\""
	    " ;\r\n charset=x\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "\r\n"
	    "--a b\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "=C3=A9\r\n"
	    "--a b--\r\n"), "comments, case, quoted boundary; 8bit label");
}

#define NESTED_IN \
	"MIME-Version: 1.0\r\n" \
	"Content-Type: multipart/mixed; boundary=outer\r\n" \
	"\r\n" \
	"--outer\r\n" \
	"Content-Type: multipart/alternative; boundary=inner\r\n" \
	"\r\n" \
	"--inner\r\n" \
	"Content-Type: text/plain; charset=utf-8\r\n" \
	"Content-Transfer-Encoding: 8bit\r\n" \
	"\r\n"
#define NESTED_OUT \
	"MIME-Version: 1.0\r\n" \
	"Content-Type: multipart/mixed; boundary=outer\r\n" \
	"\r\n" \
	"--outer\r\n" \
	"Content-Type: multipart/alternative; boundary=inner\r\n" \
	"\r\n" \
	"--inner\r\n" \
	"Content-Type: text/plain; charset=utf-8\r\n" \
	"Content-Transfer-Encoding: quoted-printable\r\n" \
	"\r\n"

static void
test_nested(void)
{
	is_conv(NULL, S(NESTED_IN
	    "pl\xc3\xa4in\r\n"
	    "--inner\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n"
	    "<p>h\xc3\xa4</p>\r\n"
	    "--inner--\r\n"
	    "--outer\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "ascii\r\n"
	    "--outer--\r\n"), S(NESTED_OUT
	    "pl=C3=A4in\r\n"
	    "--inner\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "<p>h=C3=A4</p>\r\n"
	    "--inner--\r\n"
	    "--outer\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "ascii\r\n"
	    "--outer--\r\n"), "nested alternative inside mixed");
	is_conv(NULL, S(NESTED_IN
	    "\xc3\xa4\r\n"
	    "--outer\r\n"
	    "\r\n"
	    "--inner\r\n"
	    "--outer--\r\n"), S(NESTED_OUT
	    "=C3=A4\r\n"
	    "--outer\r\n"
	    "\r\n"
	    "--inner\r\n"
	    "--outer--\r\n"), "an outer delimiter ends the inner multipart");
}

static void
test_message(void)
{
	is_conv(NULL, S(
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=b\r\n"
	    "\r\n"
	    "--b\r\n"
	    "Content-Type: message/rfc822\r\n"
	    "\r\n"
	    "Subject: inner \xc3\xa9\r\n"
	    "\r\n"
	    "inner body \xc3\xa9\r\n"
	    "--b--\r\n"), S(
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=b\r\n"
	    "\r\n"
	    "--b\r\n"
	    "Content-Type: message/rfc822\r\n"
	    "\r\n"
	    "Subject: inner =?utf-8?q?=C3=A9?=\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "inner body =C3=A9\r\n"
	    "--b--\r\n"), "message/rfc822 part: its own message");
	is_conv(NULL, S(
	    "Content-Type: multipart/digest; boundary=d\r\n"
	    "\r\n"
	    "--d\r\n"
	    "\r\n"
	    "Subject: in digest\r\n"
	    "\r\n"
	    "\xc3\xa9\r\n"
	    "--d--\r\n"), S(
	    "Content-Type: multipart/digest; boundary=d\r\n"
	    "\r\n"
	    "--d\r\n"
	    "\r\n"
	    "Subject: in digest\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "=C3=A9\r\n"
	    "--d--\r\n"), "digest parts default to message/rfc822");
}

static void
test_header_words(void)
{
	is_conv(NULL, S(
	    "Subject: Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln\r\n\r\nbody\r\n"),
	    S("Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= aus =?utf-8?q?K=C3=B6ln?="
	    "\r\n\r\nbody\r\n"), "8-bit Subject: encoded-words");
	is_conv(NULL, S(
	    "Subject: \xc3\xa9t\xc3\xa9 \xc3\xa0\r\n\t\"Paris\"\r\n\r\n"),
	    S("Subject: =?utf-8?q?=C3=A9t=C3=A9_=C3=A0?=\r\n\t\"Paris\"\r\n"
	    "\r\n"), "adjacent 8-bit words share one encoded-word");
	is_conv(NULL, S(
	    "From: \"J\xc3\xb6rg M\xc3\xbcller\" <j@example.org>, "
	    "(K\xc3\xb6ln) x@y\r\n\r\n"),
	    S("From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <j@example.org>, "
	    "(=?utf-8?q?K?=\r\n =?utf-8?q?=C3=B6ln?=) x@y\r\n\r\n"),
	    "address field: quoted phrase and comment (the comment's first "
	    "word ends its line by column 76)");
	is_conv(NULL, S(
	    "Content-Disposition: attachment; filename=\"r\xc3\xa9sum\xc3\xa9"
	    ".pdf\"\r\n\r\n"),
	    S("Content-Disposition: attachment;\r\n "
	    "filename=\"=?utf-8?q?r=C3=A9sum=C3=A9=2Epdf?=\"\r\n\r\n"),
	    "parameter: encoded-word kept in quotes, folded to 76 (RFC 2047 2)");
	is_conv(NULL, S("X-Bad: caf\xe9\r\nX-Name\xe9: v\r\n"),
	    S("X-Bad: =?unknown-8bit?q?caf=E9?=\r\nX-Name?: v\r\n"),
	    "not UTF-8: unknown-8bit; 8-bit name becomes '?'");
	is_conv(NULL, S(
	    "Subject: \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\r\n\r\n"),
	    S("Subject: =?utf-8?q?=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9"
	    "=C3=A9=C3=A9=C3=A9?=\r\n =?utf-8?q?=C3=A9=C3=A9=C3=A9?=\r\n\r\n"),
	    "long: words of at most 75, whole characters, folded, lines of "
	    "at most 76 (RFC 2047 2)");
	is_conv(NULL, S("Subject: a\rb \xc3\xa9\r\n\r\n"),
	    S("Subject: a?b =?utf-8?q?=C3=A9?=\r\n\r\n"),
	    "bare CR in a header becomes '?'");
}

/* n copies of c appended to b. */
static void
rep(struct buf *b, char c, size_t n)
{
	while (n-- > 0)
		buf_append(b, &c, 1);
}

/* QP_HDR + x*n + tail + CRLF against QP_OUT + want. */
static void
qp_line_is(size_t n, const char *tail, const char *want, const char *name)
{
	struct buf in, w;
	const char *p;

	buf_init(&in, OUT_MAX);
	buf_init(&w, OUT_MAX);
	buf_append_str(&in, QP_HDR);
	rep(&in, 'x', n);
	buf_append_str(&in, tail);
	buf_append_str(&in, "\r\n");
	buf_append_str(&w, QP_OUT);
	for (p = want; *p != '\0'; p++) {
		char *x;
		long k = strtol(p, &x, 10);

		if (*p >= '1' && *p <= '9' && *x == 'X') {
			/* "75X" in want: 75 x's */
			rep(&w, 'x', (size_t)k);
			p = x;
			continue;
		}
		buf_append(&w, p, 1);
	}
	is_conv(NULL, in.data, in.len, w.data, w.len, name);
	buf_free(&in);
	buf_free(&w);
}

static void
test_qp(void)
{
	struct buf b;
	size_t i;

	is_conv(NULL, S(QP_HDR
	    "a=b\r\n"
	    "ab \r\n"
	    "ab\t\r\n"
	    "a b\tc\r\n"
	    ".dot\r\n"
	    "From me\r\n"
	    "\r\n"
	    "end"), S(QP_OUT
	    "a=3Db\r\n"
	    "ab=20\r\n"
	    "ab=09\r\n"
	    "a b\tc\r\n"
	    ".dot\r\n"
	    "From me\r\n"
	    "\r\n"
	    "end"), "QP: '=', trailing blanks, hard breaks, dots kept");
	qp_line_is(76, "", "76X\r\n", "QP: a line of exactly 76 stays whole");
	qp_line_is(77, "", "75X=\r\nxx\r\n", "QP: 77 gets a soft break");
	qp_line_is(200, "", "75X=\r\n75X=\r\n50X\r\n", "QP: a long line");
	qp_line_is(75, " ", "75X=\r\n=20\r\n", "QP: trailing blank at 76");
	qp_line_is(74, "\xc3\xa9", "74X=\r\n=C3=A9\r\n",
	    "QP: an escape is not split");
	qp_line_is(73, "=", "73X=3D\r\n", "QP: an escape ends at 76");
	qp_line_is(72, "=y", "72X=3Dy\r\n", "QP: 76 with an escape");
	qp_line_is(73, "=y", "73X=\r\n=3Dy\r\n", "QP: room for the soft break");

	buf_init(&b, OUT_MAX);
	for (i = 0; i < 9000; i++)
		buf_append_byte(&b, (unsigned char)(i % 7 == 0 ? ' ' :
		    i % 251 == 10 ? 'z' : i % 251));
	buf_append_str(&b, " \r\n\r\n");
	rep(&b, ' ', 5000);
	buf_append_str(&b, "\r\nabc\r\r\n\r\n");
	rep(&b, '=', 4095);
	buf_append_str(&b, "\t\r\nlast \t");
	qp_roundtrip(b.data, b.len, "QP: long lines, every byte, blanks");
	buf_free(&b);
}

static void
test_truncated(void)
{
	is_conv(NULL, S(MIXED_HEAD
	    "--XYZ\r\n"
	    "\r\n"
	    "Gr\xc3\xbc\xc3\x9f" "e"), S(MIXED_HEAD
	    "--XYZ\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "Gr=C3=BC=C3=9Fe"), "no close delimiter: the part is flushed");
	is_same(S(MIXED_HEAD
	    "--XYZ\r\n"
	    "Content-Type: text/plain\r\n"
	    "X-Cut: he"), "input ends in a part's header");
	is_same(S(MIXED_HEAD
	    "--XYZ\r\n"
	    "Content-Type: text/plain\r\n"
	    "--XYZ--"), "a delimiter ends a part's header");
}

/* Multiparts nested depth deep; the innermost holds an 8-bit part. */
static enum err_kind
nest(int depth, struct buf *out, struct err *e)
{
	struct buf in;
	enum err_kind rc;
	int i;

	buf_init(&in, OUT_MAX);
	for (i = 0; i < depth; i++)
		buf_printf(&in, "Content-Type: multipart/mixed; boundary=b%d"
		    "\r\n\r\n--b%d\r\n", i, i);
	buf_append_str(&in, "\r\n\xc3\xa9\r\n--b0--\r\n");
	rc = convert(NULL, in.data, in.len, 0, out, e);
	buf_free(&in);
	return rc;
}

static void
test_hostile(void)
{
	struct mail_mime *m;
	struct buf in, out;
	struct err e;

	tap_is_int(nest(MAIL_MIME_DEPTH_MAX, &out, &e), ERR_OK,
	    "nesting at the cap");
	tap_ok(strstr(buf_str(&out), "=C3=A9\r\n--b0--\r\n") != NULL &&
	    wire_ok(buf_str(&out), out.len), "innermost part converted");
	buf_free(&out);
	tap_is_int(nest(MAIL_MIME_DEPTH_MAX + 1, &out, &e), ERR_DATA,
	    "nesting past the cap");
	tap_ok(strstr(e.msg, "nested") != NULL, "says why: %s", e.msg);
	buf_free(&out);

	buf_init(&in, OUT_MAX);
	buf_append_str(&in, "Subject: ");
	rep(&in, 'a', MAIL_MIME_LINE_MAX);
	tap_is_int(convert(NULL, in.data, in.len, 0, &out, &e), ERR_DATA,
	    "header line past the cap");
	buf_free(&out);
	buf_reset(&in);
	while (in.len < MAIL_MIME_LINE_MAX)
		buf_append_str(&in, "X-Many: 0123456789012345678901234567\r\n");
	tap_is_int(convert(NULL, in.data, in.len, 0, &out, &e), ERR_DATA,
	    "header section past the cap");
	buf_free(&out);

	m = mail_mime_new(NULL);
	buf_init(&out, OUT_MAX);
	tap_is_int(mail_mime_feed(m, in.data, in.len, &out, &e), ERR_DATA,
	    "feed fails");
	tap_is_int(mail_mime_feed(m, S("x"), &out, &e), ERR_DATA,
	    "and keeps failing");
	tap_is_int(mail_mime_finish(m, &out, &e), ERR_DATA, "finish too");
	mail_mime_free(m);
	buf_free(&out);
	buf_free(&in);

	m = mail_mime_new(NULL);
	buf_init(&out, 19);
	tap_is_int(mail_mime_feed(m, S("Subject: x\r\n\r\nbody\r\n"), &out,
	    &e), ERR_OK, "small out: feed holds");
	tap_is_int(mail_mime_finish(m, &out, &e), ERR_DATA,
	    "small out: over its cap is ERR_DATA");
	mail_mime_free(m);
	buf_free(&out);

	m = mail_mime_new(NULL);
	buf_init(&out, OUT_MAX);
	tap_is_int(mail_mime_finish(m, &out, &e), ERR_OK, "empty input");
	tap_is_int((long long)out.len, 0, "empty output");
	tap_is_int(mail_mime_feed(m, S("x"), &out, &e), ERR_SOFTWARE,
	    "feed after finish is a bug");
	mail_mime_free(m);
	buf_free(&out);
	mail_mime_free(NULL);

	is_same(S("Subject: no body\r\n"), "header only");
	is_same(S("Subject: no body"), "header only, unterminated");
	is_same(S("Subject: empty body\r\n\r\n"), "empty body");
	is_same(S("\r\n"), "nothing but the empty line");
}

static void
test_hold_cap(void)
{
	struct buf in, dec;
	const char *hdr = "Subject: big\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
	size_t olen, hl = strlen(hdr);
	char *o;

	buf_init(&in, OUT_MAX);
	buf_init(&dec, OUT_MAX);
	buf_append_str(&in, "Subject: big\r\n\r\n");
	while (in.len < MAIL_MIME_HOLD_MAX + 100)
		buf_append_str(&in, "seven bit text, = sign\r\n");
	o = check(NULL, in.data, in.len, NULL, 0, "past the hold", &olen);
	tap_ok(o != NULL && olen > hl && memcmp(o, hdr, hl) == 0 &&
	    qp_decode(o + hl, olen - hl, &dec) && dec.len == in.len - 16 &&
	    memcmp(dec.data, in.data + 16, dec.len) == 0,
	    "past the hold: encoded, not lost");
	free(o);
	buf_reset(&in);
	buf_append_str(&in, "Subject: long\r\n\r\n");
	rep(&in, 'a', 999);
	buf_append_str(&in, "\r\n");
	o = check(NULL, in.data, in.len, NULL, 0, "999-byte line", &olen);
	tap_ok(o != NULL && strstr(o, "quoted-printable") != NULL,
	    "a line over 998 is encoded");
	free(o);
	buf_free(&in);
	buf_free(&dec);
}

/*
 * Guessing the charset holds the body, but no more than
 * MAIL_MIME_HOLD_MAX: fed in small chunks, the converter starts writing
 * the body by then, and no call writes more than 3.2 times what it was
 * fed plus what it held (the caller's buffer stays small).
 */
static void
test_hold_bound(void)
{
	static const char line[] = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x\r\n";
	const size_t step = 4096;
	struct mail_mime *m = mail_mime_new(NULL);
	struct buf in, out, dec;
	struct err e;
	size_t pos, k, before, most = 0, first = 0, hl;
	enum err_kind rc = ERR_OK;
	const char *body;

	buf_init(&in, OUT_MAX);
	buf_init(&out, OUT_MAX);
	buf_init(&dec, OUT_MAX);
	buf_append_str(&in, "Subject: big\r\n\r\n");
	hl = in.len;
	while (in.len < 2 * MAIL_MIME_HOLD_MAX)
		buf_append_str(&in, line);
	for (pos = 0; pos < in.len && rc == ERR_OK; pos += k) {
		k = in.len - pos < step ? in.len - pos : step;
		before = out.len;
		rc = mail_mime_feed(m, in.data + pos, k, &out, &e);
		if (out.len - before > most)
			most = out.len - before;
		if (first == 0 && out.len > 0)
			first = pos + k;
	}
	if (rc == ERR_OK)
		rc = mail_mime_finish(m, &out, &e);
	tap_is_int(rc, ERR_OK, "8-bit body, charset guessed, fed in 4 KiB");
	tap_ok(first > 0 && first <= hl + MAIL_MIME_HOLD_MAX + step,
	    "  ... output starts once MAIL_MIME_HOLD_MAX is held (at %zu)",
	    first);
	tap_ok(most <= (MAIL_MIME_HOLD_MAX + step) / 10 * 32 + 200,
	    "  ... one call writes at most 3.2 x (hold + chunk) (%zu)", most);
	body = strstr(buf_str(&out), "\r\n\r\n");
	tap_ok(body != NULL && strstr(buf_str(&out),
	    "charset=utf-8\r\n") != NULL && qp_decode(body + 4,
	    out.len - (size_t)(body + 4 - out.data), &dec) &&
	    dec.len == in.len - hl && memcmp(dec.data, in.data + hl,
	    dec.len) == 0, "  ... utf-8, the body decodes to the input");
	mail_mime_free(m);
	buf_free(&in);
	buf_free(&out);
	buf_free(&dec);
}

int
main(void)
{
	test_plain();
	test_single_part();
	test_multipart();
	test_nested();
	test_message();
	test_header_words();
	test_qp();
	test_truncated();
	test_hostile();
	test_hold_cap();
	test_hold_bound();
	return tap_done();
}
