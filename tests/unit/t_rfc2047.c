#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/rfc2047.h"
#include "tap.h"

#define OUT_MAX (1u << 20)

/* Well-formed UTF-8 (RFC 3629), whole characters only. */
static bool
utf8_ok(const unsigned char *p, size_t n)
{
	size_t i = 0, k, len;

	while (i < n) {
		len = p[i] < 0x80 ? 1 : p[i] >= 0xc2 && p[i] <= 0xdf ? 2 :
		    p[i] >= 0xe0 && p[i] <= 0xef ? 3 :
		    p[i] >= 0xf0 && p[i] <= 0xf4 ? 4 : 0;
		if (len == 0 || n - i < len)
			return false;
		for (k = 1; k < len; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		i += len;
	}
	return true;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;	/* lower case is not what we write */
}

/*
 * What a reader makes of out (RFC 2047 6): encoded-words separated by a
 * space or CRLF SP, each "=?cs?q?...?=" of at most 75 characters with
 * only section 5 (3) characters; decoded into text.  With utf8 each
 * word must decode to whole characters.  Lines (col = the column out
 * starts at) at most line_max.  Returns a reason, or NULL when good.
 */
static const char *
decode(const struct buf *out, const char *cs, bool utf8, size_t col,
    size_t line_max, struct buf *text)
{
	const char *p = out->data, *end = out->data + out->len, *w, *q;
	size_t pre = strlen(cs) + 5, start;
	int hi, lo;

	buf_init(text, OUT_MAX);
	if (out->len == 0)
		return NULL;
	for (;;) {
		w = p;
		if ((size_t)(end - p) < pre + 2 || memcmp(p, "=?", 2) != 0 ||
		    memcmp(p + 2, cs, strlen(cs)) != 0 ||
		    memcmp(p + 2 + strlen(cs), "?q?", 3) != 0)
			return "not an encoded-word";
		start = text->len;
		for (q = p + pre; q < end && *q != '?'; q++) {
			if (*q == '_')
				buf_append_byte(text, ' ');
			else if (*q == '=') {
				if (end - q < 3 || (hi = hexval(q[1])) < 0 ||
				    (lo = hexval(q[2])) < 0)
					return "bad =XX";
				buf_append_byte(text, (unsigned char)(hi * 16 + lo));
				q += 2;
			} else if (strchr("!*+-/", *q) != NULL ||
			    (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
			    (*q >= '0' && *q <= '9'))
				buf_append_byte(text, (unsigned char)*q);
			else
				return "a character not allowed in a phrase";
		}
		if (end - q < 2 || q[1] != '=')
			return "unterminated";
		p = q + 2;
		if (p - w > MAIL_RFC2047_WORD_MAX)
			return "word over 75 characters";
		if (utf8 && !utf8_ok((const unsigned char *)text->data + start,
		    text->len - start))
			return "a character split between words";
		col += (size_t)(p - w);
		if (col > line_max)
			return "line too long";
		if (p == end)
			return NULL;
		if (*p == ' ') {
			p++;
			col++;
		} else if (end - p >= 3 && memcmp(p, "\r\n ", 3) == 0) {
			p += 3;
			col = 1;
		} else
			return "words not separated by a blank";
	}
}

/* words(text) with charset, fold and start column; checked by decode(). */
static void
check_words(const char *text, size_t n, const char *cs, bool fold,
    size_t col, size_t line_max, const char *name)
{
	struct buf out, back;
	struct err e;
	const char *why;
	size_t c = col;

	buf_init(&out, OUT_MAX);
	tap_is_int(mail_rfc2047_words(&out, text, n, cs, fold, &c, &e), ERR_OK,
	    name);
	why = decode(&out, cs, strcmp(cs, "utf-8") == 0, col, line_max, &back);
	tap_ok(why == NULL, "  ... well-formed words, %s", why ? why : "ok");
	tap_is_mem(back.data, back.len, text, n, "  ... decoded: the text");
	buf_free(&out);
	buf_free(&back);
}

static void
is_words(const char *text, const char *cs, bool fold, size_t col,
    const char *want, size_t want_col, const char *name)
{
	struct buf out;
	struct err e;
	size_t c = col;

	buf_init(&out, OUT_MAX);
	mail_rfc2047_words(&out, text, strlen(text), cs, fold, &c, &e);
	tap_is_str(buf_str(&out), want, name);
	tap_is_int((long long)c, (long long)want_col, "  ... column after");
	buf_free(&out);
}

/* n copies of the UTF-8 character ch. */
static void
rep(struct buf *b, const char *ch, size_t n)
{
	while (n-- > 0)
		buf_append_str(b, ch);
}

static void
test_words(void)
{
	struct buf t;

	is_words("", "utf-8", true, 5, "", 5, "empty text: nothing");
	is_words("a b_c=d?e\"f", "utf-8", true, 0,
	    "=?utf-8?q?a_b=5Fc=3Dd=3Fe=22f?=", 31,
	    "space as _, _ = ? and quote encoded");
	is_words("caf\xc3\xa9", "utf-8", true, 0, "=?utf-8?q?caf=C3=A9?=", 21,
	    "UTF-8: =XX in upper case");
	is_words("\xe9t\xe9", "iso-8859-1", true, 0,
	    "=?iso-8859-1?q?=E9t=E9?=", 24, "another charset");

	/* 63 encoded characters fit a utf-8 word (75 - 12). */
	buf_init(&t, OUT_MAX);
	rep(&t, "a", 63);
	check_words(t.data, t.len, "utf-8", true, 0, 76, "63 ASCII: one word");
	rep(&t, "a", 1);
	check_words(t.data, t.len, "utf-8", true, 0, 76, "64 ASCII: two words");
	buf_reset(&t);
	rep(&t, "a", 62);
	rep(&t, "\xc3\xa9", 1);
	check_words(t.data, t.len, "utf-8", true, 0, 76,
	    "62 ASCII + a 2-byte character: not split over the limit");
	buf_reset(&t);
	rep(&t, "\xe2\x82\xac", 30);
	check_words(t.data, t.len, "utf-8", true, 0, 76,
	    "30 x 3-byte characters");
	buf_reset(&t);
	rep(&t, "\xf0\x9f\x98\x80", 20);
	check_words(t.data, t.len, "utf-8", true, 0, 76,
	    "20 x 4-byte characters");
	buf_reset(&t);
	rep(&t, "x\xf0\x9f\x98\x80", 20);
	check_words(t.data, t.len, "utf-8", true, 0, 76,
	    "ASCII and 4-byte characters mixed");
	check_words(t.data, t.len, "utf-8", false, 0, SIZE_MAX,
	    "  no folding: spaces only");
	buf_reset(&t);
	rep(&t, "\xe9", 60);
	check_words(t.data, t.len, "a-very-long-charset-name-of-forty-chars",
	    true, 0, 76, "a 39-character charset: words still fit 75");
	buf_free(&t);

	{
		struct buf out;
		struct err e;
		size_t col = 0;

		buf_init(&out, OUT_MAX);
		buf_init(&t, OUT_MAX);
		rep(&t, "\xc3\xa9", 40);
		mail_rfc2047_words(&out, t.data, t.len, "utf-8", false, &col,
		    &e);
		tap_ok(strstr(buf_str(&out), "\r\n") == NULL &&
		    strstr(buf_str(&out), "?= =?") != NULL,
		    "fold false (inside quotes): words separated by a space");
		buf_reset(&out);
		col = 0;
		mail_rfc2047_words(&out, t.data, t.len, "utf-8", true, &col,
		    &e);
		tap_ok(strstr(buf_str(&out), "?=\r\n =?") != NULL,
		    "fold true: CRLF SP between words");
		buf_free(&out);
		buf_free(&t);
	}
}

/* The output buf's cap is an error, ERR_DATA. */
static void
test_cap(void)
{
	struct buf out, run;
	struct err e;
	size_t col = 0;

	buf_init(&out, 20);
	tap_is_int(mail_rfc2047_words(&out, "\xc3\xa9\xc3\xa9", 4, "utf-8",
	    true, &col, &e), ERR_DATA, "words: out's cap: ERR_DATA");
	buf_free(&out);
	buf_init(&out, 20);
	buf_init(&run, 1024);
	tap_is_int(mail_rfc2047_value(&out, &run, " \xc3\xa9t\xc3\xa9", 7,
	    MAIL_RFC2047_TEXT, "utf-8", 8, &e), ERR_DATA,
	    "value: out's cap: ERR_DATA");
	buf_free(&out);
	buf_free(&run);
}

static void
is_value(const char *v, enum mail_rfc2047_class cls, const char *want,
    const char *name)
{
	struct buf out, run;
	struct err e;

	buf_init(&out, OUT_MAX);
	buf_init(&run, OUT_MAX);
	tap_is_int(mail_rfc2047_value(&out, &run, v, strlen(v), cls, "utf-8",
	    9, &e), ERR_OK, name);
	tap_is_str(buf_str(&out), want, "  ... the field body");
	buf_free(&out);
	buf_free(&run);
}

static void
test_value(void)
{
	tap_is_int(mail_rfc2047_class_of("Subject", 7), MAIL_RFC2047_TEXT,
	    "Subject: text");
	tap_is_int(mail_rfc2047_class_of("reply-TO", 8), MAIL_RFC2047_PHRASE,
	    "Reply-To (any case): phrase");
	tap_is_int(mail_rfc2047_class_of("Content-Disposition", 19),
	    MAIL_RFC2047_PARAM, "Content-*: parameters");
	is_value(" plain", MAIL_RFC2047_TEXT, " plain", "7-bit: as it is");
	is_value(" a\rb \xc3\xa9", MAIL_RFC2047_TEXT, " a?b =?utf-8?q?=C3=A9?=",
	    "bare CR in a 7-bit word: '?'");
	is_value(" \xc3\xa9 \xc3\xa9\r\n x", MAIL_RFC2047_TEXT,
	    " =?utf-8?q?=C3=A9_=C3=A9?=\r\n x",
	    "adjacent 8-bit words: one run, its blanks inside");
	is_value(" \"J\xc3\xb6rg\" <j@x>", MAIL_RFC2047_PHRASE,
	    " =?utf-8?q?J=C3=B6rg?= <j@x>", "phrase: quotes go");
	is_value(" a; n=\"\xc3\xa9.x\"", MAIL_RFC2047_PARAM,
	    " a; n=\"=?utf-8?q?=C3=A9=2Ex?=\"", "parameter: inside quotes");
}

/* Random text of 1- to 4-byte characters, blanks and specials. */
static void
test_property(void)
{
	static const char *const chars[] = {
		"a", "Z", " ", "_", "=", "?", "\"", "\xc3\xa9", "\xe2\x82\xac",
		"\xf0\x9f\x98\x80", "\xdf\xbf", "!", "\t"
	};
	uint32_t seed = 99;
	struct buf t, out, back;
	struct err e;
	int i, bad = 0, badf = 0;
	size_t k, n, col, c;
	const char *why;

	for (i = 0; i < 2000; i++) {
		buf_init(&t, OUT_MAX);
		seed = seed * 1664525u + 1013904223u;
		n = (seed >> 8) % 200;
		for (k = 0; k < n; k++) {
			seed = seed * 1664525u + 1013904223u;
			buf_append_str(&t, chars[(seed >> 8) %
			    (sizeof(chars) / sizeof(chars[0]))]);
		}
		col = (seed >> 20) % 40;
		c = col;
		buf_init(&out, OUT_MAX);
		mail_rfc2047_words(&out, t.data, t.len, "utf-8", true, &c, &e);
		why = decode(&out, "utf-8", true, col, 76, &back);
		if (why != NULL || back.len != t.len ||
		    (t.len > 0 && memcmp(back.data, t.data, t.len) != 0)) {
			if (bad++ == 0)
				tap_diag("input %d: %s", i, why ? why : "text");
		}
		buf_free(&back);
		buf_reset(&out);
		c = col;
		mail_rfc2047_words(&out, t.data, t.len, "utf-8", false, &c, &e);
		why = decode(&out, "utf-8", true, col, SIZE_MAX, &back);
		badf += why != NULL || strstr(buf_str(&out), "\r\n") != NULL;
		buf_free(&back);
		buf_free(&out);
		buf_free(&t);
	}
	tap_is_int(bad, 0, "2000 random texts, folding, any start column up to "
	    "39: words of at most 75, whole characters, lines of at most 76, "
	    "decoded the same");
	tap_is_int(badf, 0, "  ... without folding: well-formed, one line");
}

int
main(void)
{
	test_words();
	test_cap();
	test_value();
	test_property();
	return tap_done();
}
