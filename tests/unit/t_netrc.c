/*
 * t_netrc: the ~/.netrc parser (conf/netrc), with friendly and hostile
 * texts.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf/netrc.h"
#include "tap.h"

#define F "netrc"

/* Look up host/user in text[0..len); ERR_OK with want (NULL: no match). */
static void
finds_mem(const char *text, size_t len, const char *host, const char *user,
    const char *want, const char *name)
{
	struct secret pw;
	struct err e;
	enum err_kind rc;

	secret_init(&pw);
	err_clear(&e);
	rc = conf_netrc_lookup(text, len, F, host, user, &pw, &e);
	if (rc != ERR_OK) {
		tap_ok(0, "%s", name);
		tap_diag("  got kind %d, '%s'", rc, e.msg);
	} else if (want == NULL) {
		if (!tap_ok(!secret_is_set(&pw), "%s", name))
			tap_diag("  got '%s'", pw.data);
	} else
		tap_is_str(pw.data != NULL ? pw.data : "(unset)", want, name);
	secret_free(&pw);
}

static void
finds(const char *text, const char *host, const char *user, const char *want,
    const char *name)
{
	finds_mem(text, strlen(text), host, user, want, name);
}

/* text[0..len) must fail with ERR_CONFIG and exactly msg, setting no pw. */
static void
fails_mem(const char *text, size_t len, const char *msg)
{
	struct secret pw;
	struct err e;
	enum err_kind rc;

	secret_init(&pw);
	err_clear(&e);
	rc = conf_netrc_lookup(text, len, F, "h", "u", &pw, &e);
	if (!tap_ok(rc == ERR_CONFIG && strcmp(e.msg, msg) == 0 &&
	    !secret_is_set(&pw), "refused: %s", msg))
		tap_diag("  got kind %d, '%s'", rc, e.msg);
	secret_free(&pw);
}

static void
fails(const char *text, const char *msg)
{
	fails_mem(text, strlen(text), msg);
}

static void
test_basic(void)
{
	finds("machine h login u password p\n", "h", "u", "p", "one line");
	finds("machine h\n\tlogin u\n\tpassword p\n", "h", "u", "p",
	    "entry across lines");
	finds("machine h password p login u", "h", "u", "p",
	    "password before login, no final newline");
	finds("machine h login u password p\r\n", "h", "u", "p",
	    "CRLF line end is a blank");
	finds("machine h password p\n", "h", "u", "p",
	    "entry without login matches any user");
	finds("machine h login u password p\n", "other", "u", NULL,
	    "other host: no match");
	finds("machine h login u password p\n", "h", "v", NULL,
	    "right machine, other login: no match");
	finds("machine h login u\n", "h", "u", NULL,
	    "entry without password: no match");
	finds("", "h", "u", NULL, "empty text");
	finds(" \n\t\n", "h", "u", NULL, "only blanks");
	finds("machine SMTP.Example.ORG login u password p\n",
	    "smtp.example.org", "u", "p", "host is case-insensitive");
	finds("machine h login U password p\n", "h", "u", NULL,
	    "login is case-sensitive");
	finds("machine h login u password p\n", "h", NULL, NULL,
	    "no user: an entry naming a login does not match");
	finds("machine h password p\n", "h", NULL, "p",
	    "no user: an entry without login matches");
	finds("machine h login u password p\n", NULL, "u", NULL,
	    "no host: no machine entry matches");
	finds("machine h login u account acct password p\n", "h", "u", "p",
	    "account is skipped");
	finds("machine h login u port 587 password p\n", "h", "u", "p",
	    "unknown words are ignored");
	finds("login u password p\nmachine h login u password q\n", "h", "u",
	    "q", "login/password outside an entry are ignored");
	finds("machine hx login u password p\nmachine h login u password q\n",
	    "h", "u", "q", "machine is not a prefix match");
}

static void
test_order(void)
{
	finds("machine h login u password first\n"
	    "machine h login u password second\n", "h", "u", "first",
	    "first match wins");
	finds("machine h login v password other\n"
	    "machine h login u password mine\n", "h", "u", "mine",
	    "entry for another login is passed over");
	finds("machine h password any\nmachine h login u password mine\n",
	    "h", "u", "any", "first match wins even without login");
	finds("default login u password d\n", "h", "u", "d",
	    "default matches any host");
	finds("machine h login u password m\ndefault login u password d\n",
	    "h", "u", "m", "machine before default wins");
	finds("default login u password d\nmachine h login u password m\n",
	    "h", "u", "m", "machine after default still wins");
	finds("machine x login u password m\ndefault login u password d\n",
	    "h", "u", "d", "default when no machine matched");
	finds("default login v password d\n", "h", "u", NULL,
	    "default with another login: no match");
	finds("default password d\n", "h", "u", "d",
	    "default without login");
	finds("default login u password d1\ndefault login u password d2\n",
	    "h", "u", "d1", "first default wins");
	finds("machine h login u password a password b\n", "h", "u", "b",
	    "a repeated password: the last one");
	finds("machine h login u password p machine\n", "h", "u", "p",
	    "match found before a broken later entry");
}

static void
test_quotes(void)
{
	finds("machine h login u password \"two words\"\n", "h", "u",
	    "two words", "quoted password with a blank");
	finds("machine h login u password \"a\\\"b\\\\c\"\n", "h", "u",
	    "a\"b\\c", "backslash escapes in quotes");
	finds("machine h login u password \"\"\n", "h", "u", "",
	    "empty quoted password");
	finds("machine \"h\" login \"u\" password \"p\"\n", "h", "u", "p",
	    "every token quoted");
	finds("machine h login u password a\"b\n", "h", "u", "a\"b",
	    "quote inside a plain token is literal");
	finds("machine h login u password \"line\nbreak\"\n", "h", "u",
	    "line\nbreak", "newline inside quotes kept");
	finds("machine h login u password p#x\n", "h", "u", "p#x",
	    "# is part of a token");
	fails("machine h login u password \"open\n", "netrc:1: unterminated "
	    "quote");
	fails("machine h login u\npassword \"ends in backslash\\",
	    "netrc:2: unterminated quote");
	fails("\n\nmachine \"", "netrc:3: unterminated quote");
}

static void
test_macdef(void)
{
	finds("macdef init\npassword wrong\nmachine h password bad\n\n"
	    "machine h login u password right\n", "h", "u", "right",
	    "macro body skipped up to the empty line");
	finds("machine h login u macdef m\ncd /\n\npassword p\n", "h", "u",
	    "p", "macdef inside an entry keeps the entry open");
	finds("macdef m\n\nmachine h login u password p\n", "h", "u", "p",
	    "empty macro body");
	finds("macdef m\r\nbody\r\n\r\nmachine h login u password p\n", "h",
	    "u", "p", "CRLF empty line ends the macro");
	finds("macdef m\nmachine h login u password p\n", "h", "u", NULL,
	    "macro without an empty line runs to the end");
	fails("machine h macdef", "netrc:1: 'macdef' without a value");
	fails("macdef m\nx\n\nmachine h login u password \"",
	    "netrc:4: unterminated quote");
}

static void
test_hostile(void)
{
	static const char nul1[] = "machine h login u password a\0b\n";
	static const char nul2[] = "machine h\nlogin \0u password p\n";
	static const char nulmac[] = "macdef m\n\0\n\nmachine h password p\n";
	char *big;
	size_t n = 5000;

	fails("machine", "netrc:1: 'machine' without a value");
	fails("machine h login", "netrc:1: 'login' without a value");
	fails("machine h login u\npassword \n\n",
	    "netrc:2: 'password' without a value");
	fails("machine x login u account", "netrc:1: 'account' without a "
	    "value");
	fails_mem(nul1, sizeof(nul1) - 1, "netrc:1: NUL byte");
	fails_mem(nul2, sizeof(nul2) - 1, "netrc:2: NUL byte");
	finds_mem(nulmac, sizeof(nulmac) - 1, "h", "u", "p",
	    "NUL inside a macro body is skipped");
	finds_mem("machine h password p\0junk", 20, "h", "u", "p",
	    "len is honoured (text not NUL-terminated at len)");

	if ((big = malloc(n + 64)) == NULL) {
		tap_skip(3, "out of memory");
		return;
	}
	memcpy(big, "machine h password ", 19);
	memset(big + 19, 'x', 4096);
	big[19 + 4096] = '\0';
	finds(big, "h", "u", big + 19, "password of 4096 bytes accepted");
	memset(big + 19, 'x', n);
	big[19 + n] = '\0';
	fails(big, "netrc:1: token longer than 4096 bytes");
	big[0] = '"';
	memset(big + 1, 'y', n + 18);
	big[n + 19] = '\0';
	fails(big, "netrc:1: token longer than 4096 bytes");
	free(big);
}

int
main(void)
{
	test_basic();
	test_order();
	test_quotes();
	test_macdef();
	test_hostile();
	return tap_done();
}
