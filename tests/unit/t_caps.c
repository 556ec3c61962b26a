/*
 * t_caps: EHLO keyword parsing (smtp/caps.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "smtp/caps.h"
#include "tap.h"

/* Parse an EHLO reply given as wire text into c (cleared first). */
static int
parse(struct smtp_caps *c, const char *wire)
{
	struct smtp_reply_parser p;
	size_t used;
	int ok;

	smtp_caps_clear(c);
	smtp_reply_parser_init(&p);
	ok = smtp_reply_feed(&p, wire, strlen(wire), &used) == SMTP_REPLY_DONE;
	if (ok)
		smtp_caps_parse(c, &p.reply);
	smtp_reply_parser_free(&p);
	return ok;
}

static void
one_flag(const char *kw, unsigned flag)
{
	char wire[256];
	struct smtp_caps c;

	snprintf(wire, sizeof(wire), "250-mx.example hi\r\n250 %s\r\n", kw);
	parse(&c, wire);
	tap_ok(c.flags == flag, "keyword %s sets exactly its flag", kw);
}

static void
test_each_keyword(void)
{
	struct smtp_caps c;

	one_flag("PIPELINING", SMTP_CAP_PIPELINING);
	one_flag("pipelining", SMTP_CAP_PIPELINING);
	one_flag("8BITMIME", SMTP_CAP_8BITMIME);
	one_flag("SMTPUTF8", SMTP_CAP_SMTPUTF8);
	one_flag("DSN", SMTP_CAP_DSN);
	one_flag("ENHANCEDSTATUSCODES", SMTP_CAP_ENHANCEDSTATUSCODES);
	one_flag("CHUNKING", SMTP_CAP_CHUNKING);
	one_flag("STARTTLS", SMTP_CAP_STARTTLS);
	one_flag("BINARYMIME", SMTP_CAP_BINARYMIME);
	one_flag("SIZE", SMTP_CAP_SIZE);
	one_flag("AUTH PLAIN", SMTP_CAP_AUTH);
	one_flag("X-UNKNOWN FOO", 0);
	one_flag("PIPELININGX", 0);

	parse(&c, "250 PIPELINING\r\n");
	tap_is_int(c.flags, 0, "line 0 is the greeting, not a keyword");
	parse(&c, "250-hi\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
	    "250 STARTTLS\r\n");
	tap_ok(c.flags == (SMTP_CAP_PIPELINING | SMTP_CAP_8BITMIME |
	    SMTP_CAP_STARTTLS), "several keywords");
}

static void
test_size(void)
{
	struct smtp_caps c;

	parse(&c, "250-hi\r\n250 SIZE 10240000\r\n");
	tap_ok(c.flags & SMTP_CAP_SIZE, "SIZE n: flag");
	tap_ok(c.size_max == 10240000ULL, "SIZE n: value");
	parse(&c, "250-hi\r\n250 SIZE\r\n");
	tap_ok(c.flags & SMTP_CAP_SIZE, "SIZE alone: flag");
	tap_ok(c.size_max == 0, "SIZE alone: no limit");
	parse(&c, "250-hi\r\n250 SIZE junk\r\n");
	tap_ok(c.size_max == 0, "SIZE junk: no limit");
}

static void
test_auth(void)
{
	struct smtp_caps c;

	parse(&c, "250-hi\r\n250 AUTH PLAIN login CRAM-MD5\r\n");
	tap_ok(c.flags & SMTP_CAP_AUTH, "AUTH: flag");
	tap_is_str(c.auth, "PLAIN LOGIN CRAM-MD5", "AUTH: upper-cased list");
	tap_ok(smtp_caps_has_auth(&c, "login"), "has_auth case-insensitive");
	tap_ok(!smtp_caps_has_auth(&c, "XOAUTH2"), "has_auth: not offered");
	tap_ok(!smtp_caps_has_auth(&c, "PLAI"), "has_auth: no prefix match");

	parse(&c, "250-hi\r\n250 AUTH=LOGIN PLAIN\r\n");
	tap_ok(c.flags & SMTP_CAP_AUTH, "AUTH=: flag");
	tap_is_str(c.auth, "LOGIN PLAIN", "AUTH=: list");

	parse(&c, "250-hi\r\n250-AUTH LOGIN PLAIN\r\n250 AUTH=LOGIN\r\n");
	tap_is_str(c.auth, "LOGIN PLAIN", "both forms: no duplicates");

	parse(&c, "250-hi\r\n250 AUTH PL@IN GOOD\r\n");
	tap_is_str(c.auth, "GOOD", "invalid mechanism names dropped");
}

static void
test_limits(void)
{
	struct smtp_caps c;
	char desc[256];

	parse(&c, "250-hi\r\n250 LIMITS RCPTMAX=50 MAILMAX=10\r\n");
	tap_is_int(c.rcptmax, 50, "LIMITS RCPTMAX");
	tap_is_int(c.mailmax, 10, "LIMITS MAILMAX");
	parse(&c, "250-hi\r\n250 limits mailmax=3 FOO=1\r\n");
	tap_is_int(c.rcptmax, 0, "LIMITS without RCPTMAX");
	tap_is_int(c.mailmax, 3, "LIMITS lower case");
	parse(&c, "250-hi\r\n250 LIMITS RCPTMAX=x\r\n");
	tap_is_int(c.rcptmax, 0, "LIMITS RCPTMAX junk ignored");

	parse(&c, "250-hi\r\n250-PIPELINING\r\n250-SIZE 5\r\n250 AUTH PLAIN\r\n");
	smtp_caps_describe(&c, desc, sizeof(desc));
	tap_is_str(desc, "PIPELINING SIZE AUTH", "describe");
	smtp_caps_clear(&c);
	tap_ok(c.flags == 0 && c.auth[0] == '\0' && c.size_max == 0,
	    "clear forgets everything");
}

int
main(void)
{
	test_each_keyword();
	test_size();
	test_auth();
	test_limits();
	return tap_done();
}
