#include "config.h"

#include <string.h>

#include "mail/idn.h"
#include "util/utf8.h"
#include "tap.h"

/* to_ascii and to_utf8 of in give these (NULL: ERR_DATA with why in it). */
static void
conv(const char *in, const char *ascii, const char *utf8, const char *why,
    const char *name)
{
	char out[MAIL_IDN_LEN_MAX + 1];
	struct err e;
	enum err_kind rc;

	err_clear(&e);
	rc = mail_idn_to_ascii(in, out, sizeof(out), &e);
	if (ascii != NULL) {
		tap_is_int(rc, ERR_OK, name);
		tap_is_str(out, ascii, name);
	} else {
		tap_is_int(rc, ERR_DATA, name);
		tap_ok(why != NULL && strstr(e.msg, why) != NULL,
		    "%s: says '%s' (%s)", name, why, e.msg);
	}
	err_clear(&e);
	rc = mail_idn_to_utf8(in, out, sizeof(out), &e);
	if (utf8 != NULL) {
		tap_is_int(rc, ERR_OK, name);
		tap_is_str(out, utf8, name);
	} else
		tap_is_int(rc, ERR_DATA, name);
}

static void
cls(const char *in, enum err_kind want_rc, enum mail_idn_class want,
    const char *name)
{
	enum mail_idn_class c = (enum mail_idn_class)-1;
	struct err e;

	tap_is_int(mail_idn_check(in, &c, &e), want_rc, name);
	if (want_rc == ERR_OK)
		tap_is_int(c, want, name);
}

static void
test_ascii(void)
{
	conv("user@example.org", "user@example.org", "user@example.org",
	    NULL, "ASCII: as it is");
	conv("User@Example.ORG", "User@Example.ORG", "User@Example.ORG",
	    NULL, "ASCII: case kept byte for byte");
	conv("a@under_score.example", "a@under_score.example",
	    "a@under_score.example", NULL, "ASCII: underscore not refused");
	conv("a@xn--bcher-kva.example", "a@xn--bcher-kva.example",
	    "a@xn--bcher-kva.example", NULL, "ASCII: A-labels left alone");
	conv("a@-bad-.example", "a@-bad-.example", "a@-bad-.example", NULL,
	    "ASCII: no IDNA on an ASCII domain");
	conv("root", "root", "root", NULL, "bare local name");
	conv("", "", "", NULL, "null reverse-path");
	conv("a@", "a@", "a@", NULL, "empty domain: left to others");
	conv("\"a@b\"@example.org", "\"a@b\"@example.org",
	    "\"a@b\"@example.org", NULL, "quoted local part with '@'");
	cls("user@example.org", ERR_OK, MAIL_IDN_ASCII, "class: ASCII");
	cls("root", ERR_OK, MAIL_IDN_ASCII, "class: bare name");
}

static void
test_domains(void)
{
	conv("a@bücher.example", "a@xn--bcher-kva.example",
	    "a@bücher.example", NULL, "bücher.example: A-label");
	conv("Ann@Bücher.EXAMPLE", "Ann@xn--bcher-kva.example",
	    "Ann@bücher.example", NULL,
	    "mixed case: domain mapped, local part kept");
	conv("x@faß.de", "x@xn--fa-hia.de", "x@faß.de", NULL,
	    "ß non-transitional: xn--fa-hia.de, not fass.de");
	/* u + combining diaeresis: NFC first. */
	conv("a@bu\xcc\x88" "cher.example", "a@xn--bcher-kva.example",
	    "a@bücher.example", NULL, "NFC input");
	conv("a@ｂücher.example", "a@xn--bcher-kva.example",
	    "a@bücher.example", NULL, "UTS #46 width mapping");
	conv("a@a_b.bücher.de", "a@a_b.xn--bcher-kva.de",
	    "a@a_b.bücher.de", NULL, "underscore next to a U-label");
	conv("a@-ü.de", NULL, NULL, "refused by IDNA", "leading hyphen");
	conv("a@ü\xe2\x80\x8d" "b.de", NULL, NULL, "refused by IDNA",
	    "ZWJ without context");
	conv("a@x\xef\xb9\xab" "y.ü.de", NULL, NULL, "not a host name",
	    "U+FE6B mapped to '@': refused");
	conv("a@ü。。de", NULL, NULL, "not a host name",
	    "ideographic full stops: empty label");
	conv("a@ü.de.", NULL, NULL, "not a host name", "trailing dot");
	cls("a@bücher.example", ERR_OK, MAIL_IDN_DOMAIN, "class: domain");
	cls("a@-ü.de", ERR_DATA, MAIL_IDN_ASCII, "class: bad domain");
}

static void
test_local(void)
{
	conv("jörg@example.org", NULL, "jörg@example.org",
	    "non-ASCII local part needs SMTPUTF8", "non-ASCII local part");
	conv("jörg@bücher.example", NULL, "jörg@bücher.example",
	    "needs SMTPUTF8", "non-ASCII local part and domain");
	conv("jörg@-ü.de", NULL, NULL, "refused by IDNA",
	    "non-ASCII local part, bad domain: the domain is named");
	conv("jörg", NULL, "jörg", "needs SMTPUTF8", "bare non-ASCII name");
	conv("\"j ö\"@example.org", NULL, "\"j ö\"@example.org",
	    "needs SMTPUTF8", "quoted non-ASCII local part");
	/* NFD local part: sent as given, never normalised. */
	conv("jo\xcc\x88rg@example.org", NULL, "jo\xcc\x88rg@example.org",
	    "needs SMTPUTF8", "local part not normalised");
	cls("jörg@example.org", ERR_OK, MAIL_IDN_LOCAL, "class: local");
	cls("jörg@bücher.example", ERR_OK, MAIL_IDN_LOCAL,
	    "class: local and domain");
}

static void
test_literals(void)
{
	conv("a@[192.0.2.1]", "a@[192.0.2.1]", "a@[192.0.2.1]", NULL,
	    "IPv4 literal");
	conv("a@[IPv6:2001:db8::1]", "a@[IPv6:2001:db8::1]",
	    "a@[IPv6:2001:db8::1]", NULL, "IPv6 literal");
	conv("jörg@[192.0.2.1]", NULL, "jörg@[192.0.2.1]", "needs SMTPUTF8",
	    "literal, non-ASCII local part");
	conv("a@[ü]", NULL, NULL, "address literal", "non-ASCII literal");
}

static void
test_utf8(void)
{
	struct err e;

	conv("a@b\xff.example", NULL, NULL, "not valid UTF-8", "0xff");
	err_clear(&e);
	(void)mail_idn_check("a\xff@x.example", NULL, &e);
	tap_ok(strstr(e.msg, "'a\\xff@x.example'") != NULL,
	    "invalid byte escaped in the message (%s)", e.msg);
	conv("a\xc0\xaf@x.example", NULL, NULL, "not valid UTF-8",
	    "overlong '/' (C0 AF)");
	conv("a\xe0\x80\xaf@x.example", NULL, NULL, "not valid UTF-8",
	    "overlong 3-byte (E0 80 AF)");
	conv("a\xf0\x80\x80\xaf@x.example", NULL, NULL, "not valid UTF-8",
	    "overlong 4-byte (F0 80 80 AF)");
	conv("a\xed\xa0\x80@x.example", NULL, NULL, "not valid UTF-8",
	    "surrogate (ED A0 80)");
	conv("a\xf4\x90\x80\x80@x.example", NULL, NULL, "not valid UTF-8",
	    "past U+10FFFF");
	conv("a\xc3@x.example", NULL, NULL, "not valid UTF-8",
	    "truncated sequence");
	conv("a\xc3", NULL, NULL, "not valid UTF-8", "truncated at the end");
	conv("a\xc2\x85@x.example", NULL, NULL, "control character",
	    "C1 control (NEL)");
	conv("a\x01@x.example", NULL, NULL, "control character",
	    "C0 control");
	conv("\xf0\x9f\x93\xa7@x.example", NULL, "\xf0\x9f\x93\xa7@x.example",
	    "needs SMTPUTF8", "4-byte character is valid");
	err_clear(&e);
	(void)mail_idn_check("\xe2\x80\xae" "evil\x01@x", NULL, &e);
	tap_ok(strstr(e.msg, "\\x01") != NULL, "control escaped (%s)",
	    e.msg);
	tap_ok(utf8_valid("h\xc3\xa9", 3), "utf8_valid: yes");
	tap_ok(!utf8_valid("h\xc3", 2), "utf8_valid: cut");
	tap_ok(!utf8_valid("\xc1\xbf", 2), "utf8_valid: overlong");
}

static void
test_lengths(void)
{
	char in[MAIL_IDN_LEN_MAX + 2], out[MAIL_IDN_LEN_MAX + 1], small[8];
	char label[200];
	struct err e;
	size_t i;

	memset(in, 'a', MAIL_IDN_LEN_MAX);
	in[MAIL_IDN_LEN_MAX] = '\0';
	in[10] = '@';
	tap_is_int(mail_idn_to_ascii(in, out, sizeof(out), &e), ERR_OK,
	    "998 bytes: taken");
	tap_is_int(strlen(out), MAIL_IDN_LEN_MAX, "998 bytes: whole");
	in[MAIL_IDN_LEN_MAX] = 'a';
	in[MAIL_IDN_LEN_MAX + 1] = '\0';
	tap_is_int(mail_idn_to_ascii(in, out, sizeof(out), &e), ERR_DATA,
	    "999 bytes: refused");
	tap_ok(strstr(e.msg, "...") != NULL && strlen(e.msg) < 400,
	    "999 bytes: the message is cut");
	tap_is_int(mail_idn_to_ascii("a@bücher.example", small, sizeof(small),
	    &e), ERR_DATA, "small buffer: refused, not cut");
	tap_is_int(mail_idn_to_ascii("abcdefghij", small, sizeof(small),
	    &e), ERR_DATA, "small buffer, ASCII: refused");
	/* A 64-byte A-label is one too many (RFC 1035). */
	strlcpy(label, "a@ü", sizeof(label));
	for (i = 0; i < 55; i++)
		strlcat(label, "x", sizeof(label));
	strlcat(label, ".de", sizeof(label));
	tap_is_int(mail_idn_to_ascii(label, out, sizeof(out), &e), ERR_OK,
	    "A-label of 63 bytes: taken");
	strlcpy(label, "a@ü", sizeof(label));
	for (i = 0; i < 56; i++)
		strlcat(label, "x", sizeof(label));
	strlcat(label, ".de", sizeof(label));
	tap_is_int(mail_idn_to_ascii(label, out, sizeof(out), &e), ERR_DATA,
	    "A-label of 64 bytes: refused");
	/* A local part that fits, a domain that grows past the cap. */
	memset(in, 'a', MAIL_IDN_LEN_MAX);
	in[MAIL_IDN_LEN_MAX - 10] = '\0';
	strlcat(in, "@ü.de", sizeof(in));
	tap_is_int(mail_idn_to_ascii(in, out, sizeof(out), &e), ERR_DATA,
	    "past 998 once converted: refused");
	tap_ok(strstr(e.msg, "too long") != NULL, "... says too long");
}

int
main(void)
{
	test_ascii();
	test_domains();
	test_local();
	test_literals();
	test_utf8();
	test_lengths();
	return tap_done();
}
