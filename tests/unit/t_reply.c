/*
 * t_reply: the SMTP reply parser (smtp/reply.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/reply.h"
#include "tap.h"

/* Feed s whole; returns the status, *used set. */
static enum smtp_reply_status
feed_str(struct smtp_reply_parser *p, const char *s, size_t *used)
{
	return smtp_reply_feed(p, s, strlen(s), used);
}

static void
test_single(void)
{
	struct smtp_reply_parser p;
	size_t used;

	smtp_reply_parser_init(&p);
	tap_is_int(feed_str(&p, "250 2.1.0 sender ok\r\n", &used),
	    SMTP_REPLY_DONE, "single line: done");
	tap_is_int(used, 21, "single line: all used");
	tap_is_int(p.reply.code, 250, "single line: code");
	tap_is_int(p.reply.cls, SMTP_REPLY_POSITIVE, "single line: positive");
	tap_is_str(p.reply.esc, "2.1.0", "single line: esc recorded");
	tap_is_int(p.reply.nlines, 1, "single line: one line");
	tap_is_str(smtp_reply_line(&p.reply, 0), "2.1.0 sender ok",
	    "single line: text keeps esc");
	tap_is_str(smtp_reply_line(&p.reply, 1), "", "line past end is empty");
	smtp_reply_parser_free(&p);
}

static void
test_multi(void)
{
	struct smtp_reply_parser p;
	const char *s = "250-mx.example hello\r\n250-PIPELINING\r\n"
	    "250-SIZE 1000\r\n250 8BITMIME\r\n";
	size_t used;

	smtp_reply_parser_init(&p);
	tap_is_int(feed_str(&p, s, &used), SMTP_REPLY_DONE, "multi: done");
	tap_is_int(used, strlen(s), "multi: all used");
	tap_is_int(p.reply.nlines, 4, "multi: 4 lines");
	tap_is_str(smtp_reply_line(&p.reply, 0), "mx.example hello",
	    "multi: line 0");
	tap_is_str(smtp_reply_line(&p.reply, 2), "SIZE 1000", "multi: line 2");
	tap_is_str(smtp_reply_line(&p.reply, 3), "8BITMIME", "multi: line 3");
	tap_is_str(p.reply.esc, "", "multi: no esc");
	smtp_reply_parser_free(&p);
}

static void
test_bare_and_lf(void)
{
	struct smtp_reply_parser p;
	size_t used;

	smtp_reply_parser_init(&p);
	tap_is_int(feed_str(&p, "250\r\n", &used), SMTP_REPLY_DONE,
	    "bare 250: done");
	tap_is_int(p.reply.code, 250, "bare 250: code");
	tap_is_str(smtp_reply_line(&p.reply, 0), "", "bare 250: empty text");
	tap_is_int(feed_str(&p, "354-a\n354 b\r\n", &used), SMTP_REPLY_DONE,
	    "LF-only ending: done");
	tap_is_int(p.reply.cls, SMTP_REPLY_INTERMEDIATE, "354 intermediate");
	tap_is_str(smtp_reply_line(&p.reply, 0), "a", "LF: no CR in text");
	tap_is_str(smtp_reply_line(&p.reply, 1), "b", "CRLF: CR stripped");
	tap_is_int(feed_str(&p, "421 a\rb\r\n", &used), SMTP_REPLY_DONE,
	    "bare CR inside: done");
	tap_is_str(smtp_reply_line(&p.reply, 0), "a\rb", "bare CR kept");
	tap_is_int(p.reply.cls, SMTP_REPLY_TEMPORARY, "421 temporary");
	smtp_reply_parser_free(&p);
}

static void
test_bytewise(void)
{
	struct smtp_reply_parser p;
	const char *s = "550-5.1.1 no such\r\n550 5.1.1 user here\r\n";
	size_t i, used, n = strlen(s);
	enum smtp_reply_status st = SMTP_REPLY_MORE;
	int ok = 1;

	smtp_reply_parser_init(&p);
	for (i = 0; i < n; i++) {
		st = smtp_reply_feed(&p, s + i, 1, &used);
		if (used != 1 || (i + 1 < n && st != SMTP_REPLY_MORE))
			ok = 0;
	}
	tap_ok(ok, "bytewise: MORE until the last byte, each byte used");
	tap_is_int(st, SMTP_REPLY_DONE, "bytewise: done at the end");
	tap_is_int(p.reply.code, 550, "bytewise: code");
	tap_is_int(p.reply.cls, SMTP_REPLY_PERMANENT, "bytewise: permanent");
	tap_is_str(p.reply.esc, "5.1.1", "bytewise: esc");
	tap_is_int(p.reply.nlines, 2, "bytewise: 2 lines");
	tap_is_str(smtp_reply_line(&p.reply, 1), "5.1.1 user here",
	    "bytewise: line 1");
	smtp_reply_parser_free(&p);
}

static void
test_two_in_one(void)
{
	struct smtp_reply_parser p;
	const char *s = "250 ok\r\n354 go ahead\r\n";
	size_t used, used2;

	smtp_reply_parser_init(&p);
	tap_is_int(feed_str(&p, s, &used), SMTP_REPLY_DONE, "two: first done");
	tap_is_int(used, 8, "two: stopped after first reply");
	tap_is_int(p.reply.code, 250, "two: first code");
	tap_is_int(smtp_reply_feed(&p, s + used, strlen(s) - used, &used2),
	    SMTP_REPLY_DONE, "two: second done");
	tap_is_int(used2, strlen(s) - used, "two: rest used");
	tap_is_int(p.reply.code, 354, "two: second code");
	tap_is_int(p.reply.nlines, 1, "two: parser reset between replies");
	tap_is_str(smtp_reply_line(&p.reply, 0), "go ahead", "two: text");
	tap_is_int(smtp_reply_feed(&p, "", 0, &used), SMTP_REPLY_MORE,
	    "empty feed: more");
	tap_is_int(used, 0, "empty feed: nothing used");
	smtp_reply_parser_free(&p);
}

static void
expect_error(const char *in, const char *name)
{
	struct smtp_reply_parser p;
	size_t used;
	char msg[128];

	smtp_reply_parser_init(&p);
	snprintf(msg, sizeof(msg), "error: %s", name);
	tap_is_int(feed_str(&p, in, &used), SMTP_REPLY_ERROR, msg);
	snprintf(msg, sizeof(msg), "error: %s: reason given", name);
	tap_ok(p.error[0] != '\0', "%s", msg);
	snprintf(msg, sizeof(msg), "error: %s: parser stays dead", name);
	tap_is_int(feed_str(&p, "250 ok\r\n", &used), SMTP_REPLY_ERROR, msg);
	smtp_reply_parser_free(&p);
}

static void
test_errors(void)
{
	char big[SMTP_REPLY_LINE_MAX + 16];
	char *many;
	size_t i, len;
	struct smtp_reply_parser p;

	expect_error("abc\r\n", "letters");
	expect_error("25\r\n", "two digits");
	expect_error("650 x\r\n", "first digit 6");
	expect_error("160 x\r\n", "first digit 1");
	expect_error("270 x\r\n", "second digit 7");
	expect_error("250x\r\n", "bad separator");
	expect_error("250-a\r\n251 b\r\n", "mismatched continuation code");
	expect_error("\r\n", "empty line");

	memset(big, 'a', sizeof(big));
	memcpy(big, "250 ", 4);
	big[SMTP_REPLY_LINE_MAX + 2] = '\0';
	expect_error(big, "line too long (no end)");
	memcpy(big + SMTP_REPLY_LINE_MAX + 1, "\r\n", 3);
	expect_error(big, "line too long");
	/* Exactly SMTP_REPLY_LINE_MAX bytes plus CRLF is fine. */
	memcpy(big + SMTP_REPLY_LINE_MAX, "\r\n", 3);
	smtp_reply_parser_init(&p);
	tap_is_int(feed_str(&p, big, &len), SMTP_REPLY_DONE,
	    "line of exactly SMTP_REPLY_LINE_MAX is accepted");
	smtp_reply_parser_free(&p);

	len = (SMTP_REPLY_LINES_MAX + 1) * 6 + 1;
	many = calloc(1, len);
	if (many == NULL)
		return;
	for (i = 0; i < SMTP_REPLY_LINES_MAX + 1; i++)
		memcpy(many + i * 6, i == SMTP_REPLY_LINES_MAX ?
		    "250 x\n" : "250-x\n", 6);
	expect_error(many, "too many lines");
	/* SMTP_REPLY_LINES_MAX lines is fine. */
	memcpy(many + (SMTP_REPLY_LINES_MAX - 1) * 6, "250 x\n", 7);
	smtp_reply_parser_init(&p);
	tap_is_int(feed_str(&p, many, &len), SMTP_REPLY_DONE,
	    "SMTP_REPLY_LINES_MAX lines accepted");
	tap_is_int(p.reply.nlines, SMTP_REPLY_LINES_MAX, "all lines kept");
	smtp_reply_parser_free(&p);
	free(many);
}

static void
expect_esc(const char *in, const char *esc, const char *name)
{
	struct smtp_reply_parser p;
	size_t used;

	smtp_reply_parser_init(&p);
	if (feed_str(&p, in, &used) != SMTP_REPLY_DONE)
		tap_ok(0, "%s (parse)", name);
	else
		tap_is_str(p.reply.esc, esc, name);
	smtp_reply_parser_free(&p);
}

static void
test_esc(void)
{
	expect_esc("550 5.1.1 no such user\r\n", "5.1.1", "esc 5.1.1 on 550");
	expect_esc("451 4.3.0 later\r\n", "4.3.0", "esc 4.3.0 on 451");
	expect_esc("250 2.123.456 x\r\n", "2.123.456", "esc with 3 digits");
	expect_esc("250 2.0.0\r\n", "2.0.0", "esc at end of line");
	expect_esc("550 4.1.1 mismatch\r\n", "", "esc class 4 on 550 ignored");
	expect_esc("250 5.0.0 mismatch\r\n", "", "esc class 5 on 250 ignored");
	expect_esc("250 2.1234.5 x\r\n", "", "subject of 4 digits ignored");
	expect_esc("250 2.1.0x\r\n", "", "no space after esc ignored");
	expect_esc("250 2..0 x\r\n", "", "empty subject ignored");
	expect_esc("250-hello\r\n250 2.0.0 x\r\n", "",
	    "esc only looked for on the first line");
}

static void
test_format(void)
{
	struct smtp_reply_parser p;
	struct buf out;
	size_t used;

	smtp_reply_parser_init(&p);
	buf_init(&out, 256);
	feed_str(&p, "550-5.1.1 no such user\r\n550 5.1.1 try \x1b[31mred\r\n",
	    &used);
	tap_is_int(smtp_reply_format(&p.reply, &out), 0, "format: ok");
	tap_is_str(buf_str(&out),
	    "550 5.1.1 no such user / 5.1.1 try \\x1b[31mred",
	    "format: joined with ' / ', control bytes escaped");
	buf_reset(&out);
	feed_str(&p, "250\r\n", &used);
	smtp_reply_format(&p.reply, &out);
	tap_is_str(buf_str(&out), "250", "format: bare code");
	buf_reset(&out);
	feed_str(&p, "421 a\rb\\\r\n", &used);
	smtp_reply_format(&p.reply, &out);
	tap_is_str(buf_str(&out), "421 a\\rb\\\\", "format: CR, backslash");
	buf_free(&out);
	buf_init(&out, 8);
	tap_is_int(smtp_reply_format(&p.reply, &out), -1, "format: -1 when full");
	buf_free(&out);
	smtp_reply_parser_free(&p);
}

static void
test_copy(void)
{
	struct smtp_reply_parser p;
	struct smtp_reply r;
	size_t used;

	smtp_reply_parser_init(&p);
	smtp_reply_init(&r);
	feed_str(&p, "451-4.7.1 one\r\n451 4.7.1 two\r\n", &used);
	tap_is_int(smtp_reply_copy(&r, &p.reply), 0, "copy: ok");
	feed_str(&p, "250 other\r\n", &used);
	tap_is_int(r.code, 451, "copy: code survives parser reuse");
	tap_is_str(r.esc, "4.7.1", "copy: esc");
	tap_is_int(r.nlines, 2, "copy: lines");
	tap_is_str(smtp_reply_line(&r, 1), "4.7.1 two", "copy: line 1");
	smtp_reply_free(&r);
	smtp_reply_parser_free(&p);
}

int
main(void)
{
	test_single();
	test_multi();
	test_bare_and_lf();
	test_bytewise();
	test_two_in_one();
	test_errors();
	test_esc();
	test_format();
	test_copy();
	return tap_done();
}
