#include "config.h"

#include <string.h>

#include "smtp/dsn.h"
#include "tap.h"

static void
test_notify(void)
{
	char out[64];
	struct err e;

	tap_is_int(smtp_dsn_notify("never", out, sizeof(out), &e), ERR_OK,
	    "-N never");
	tap_is_str(out, "NEVER", "-N never: NEVER");
	tap_is_int(smtp_dsn_notify("success,Failure,DELAY", out, sizeof(out),
	    &e), ERR_OK, "-N list");
	tap_is_str(out, "SUCCESS,FAILURE,DELAY", "-N list: upper-cased");
	tap_is_int(smtp_dsn_notify("failure", out, sizeof(out), &e), ERR_OK,
	    "-N one word");
	tap_is_str(out, "FAILURE", "-N one word: FAILURE");
	tap_is_int(smtp_dsn_notify("never,failure", out, sizeof(out), &e),
	    ERR_USAGE, "-N never in a list: refused");
	tap_is_int(smtp_dsn_notify("success,", out, sizeof(out), &e),
	    ERR_USAGE, "-N trailing comma: refused");
	tap_is_int(smtp_dsn_notify("", out, sizeof(out), &e), ERR_USAGE,
	    "-N empty: refused");
	tap_is_int(smtp_dsn_notify("sucess", out, sizeof(out), &e), ERR_USAGE,
	    "-N misspelt: refused");
	tap_ok(strstr(e.msg, "'sucess'") != NULL, "-N misspelt: named");
}

static void
test_ret_envid(void)
{
	char out[8], big[SMTP_DSN_ENVID_MAX + 2];
	struct err e;

	tap_is_int(smtp_dsn_ret("Full", out, sizeof(out), &e), ERR_OK, "-R full");
	tap_is_str(out, "FULL", "-R full: FULL");
	tap_is_int(smtp_dsn_ret("hdrs", out, sizeof(out), &e), ERR_OK, "-R hdrs");
	tap_is_str(out, "HDRS", "-R hdrs: HDRS");
	tap_is_int(smtp_dsn_ret("body", out, sizeof(out), &e), ERR_USAGE,
	    "-R other: refused");
	tap_is_int(smtp_dsn_envid("QQ314159", &e), ERR_OK, "-V plain");
	tap_is_int(smtp_dsn_envid("a\rb", &e), ERR_USAGE, "-V with CR: refused");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tap_is_int(smtp_dsn_envid(big, &e), ERR_USAGE, "-V over 100: refused");
	big[SMTP_DSN_ENVID_MAX] = '\0';
	tap_is_int(smtp_dsn_envid(big, &e), ERR_OK, "-V of 100: taken");
}

static void
test_xtext(void)
{
	struct buf b;

	buf_init(&b, 256);
	tap_is_int(smtp_dsn_xtext(&b, "a+b=c d@x.example\xc3\xa9"), 0, "xtext");
	tap_is_str(buf_str(&b), "a+2Bb+3Dc+20d@x.example+C3+A9",
	    "xtext: +, =, space and 8-bit bytes as +XX (RFC 3461 4)");
	buf_free(&b);
	buf_init(&b, 4);
	tap_is_int(smtp_dsn_xtext(&b, "a b"), -1, "xtext: cap honoured");
	buf_free(&b);
}

static void
test_utf8_xtext(void)
{
	struct buf b;

	buf_init(&b, 256);
	tap_is_int(smtp_dsn_utf8_xtext(&b, "j\xc3\xb6rg+a=b\\c@b\xc3\xbc"
	    "cher.example"), 0, "utf-8-addr-xtext");
	tap_is_str(buf_str(&b), "j\\x{F6}rg\\x{2B}a\\x{3D}b\\x{5C}c@b\\x{FC}"
	    "cher.example", "utf-8-addr-xtext: RFC 6533 3 forms");
	buf_reset(&b);
	tap_is_int(smtp_dsn_utf8_xtext(&b, "\xe2\x82\xac\xf0\x9f\x93\xa7 "
	    "\xc4\x80@x"), 0, "utf-8-addr-xtext: 3- and 4-byte forms");
	tap_is_str(buf_str(&b), "\\x{20AC}\\x{1F4E7}\\x{20}\\x{100}@x",
	    "utf-8-addr-xtext: no leading zero, upper case, space encoded");
	buf_reset(&b);
	tap_is_int(smtp_dsn_utf8_xtext(&b, "plain@example.org"), 0,
	    "utf-8-addr-xtext: ASCII");
	tap_is_str(buf_str(&b), "plain@example.org",
	    "utf-8-addr-xtext: ASCII unchanged");
	buf_reset(&b);
	tap_is_int(smtp_dsn_utf8_xtext(&b, "a\xc0\xaf" "b"), -1,
	    "utf-8-addr-xtext: overlong refused");
	tap_is_int(smtp_dsn_utf8_xtext(&b, "a\xed\xa0\x80"), -1,
	    "utf-8-addr-xtext: surrogate refused");
	tap_is_int(smtp_dsn_utf8_xtext(&b, "a\xc3"), -1,
	    "utf-8-addr-xtext: cut sequence refused");
	tap_is_int((long long)b.len, 0, "utf-8-addr-xtext: nothing appended "
	    "on failure");
	buf_free(&b);
	buf_init(&b, 8);
	tap_is_int(smtp_dsn_utf8_xtext(&b, "\xc3\xb6\xc3\xb6"), -1,
	    "utf-8-addr-xtext: cap honoured");
	tap_is_int((long long)b.len, 0, "utf-8-addr-xtext: cap, nothing "
	    "appended");
	buf_free(&b);
}

int
main(void)
{
	test_notify();
	test_ret_envid();
	test_xtext();
	test_utf8_xtext();
	return tap_done();
}
