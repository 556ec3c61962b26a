/*
 * t_conf: msmtp's configuration language (conf/parse) and loading files
 * and passwords (conf/load).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/load.h"
#include "conf/parse.h"
#include "tap.h"

#define F "t.conf"

/* ---- helpers ----------------------------------------------------------- */

static enum err_kind
parse(struct conf *c, const char *text, struct err *e)
{
	conf_parse_init(c);
	err_clear(e);
	return conf_parse_text(c, text, strlen(text), F, e);
}

/* text must fail with ERR_CONFIG and exactly msg. */
static void
parse_fails(const char *text, const char *msg)
{
	struct conf c;
	struct err e;
	enum err_kind rc = parse(&c, text, &e);

	if (!tap_ok(rc == ERR_CONFIG && strcmp(e.msg, msg) == 0,
	    "refused: %s", msg))
		tap_diag("  got kind %d, '%s'", rc, e.msg);
	conf_parse_free(&c);
}

/* text must parse; returns the value of k in account acct (NULL: find). */
static int
value_is(const char *text, const char *acct, enum conf_key k,
    const char *want, const char *name)
{
	struct conf c;
	struct err e;
	const char *got = NULL;
	int ok;

	if (parse(&c, text, &e) != ERR_OK)
		tap_diag("  parse failed: %s", e.msg);
	else
		got = conf_parse_get(conf_parse_find(&c, acct), k);
	if (want == NULL)
		ok = tap_ok(got == NULL, "%s", name);
	else
		ok = tap_is_str(got != NULL ? got : "(null)", want, name);
	conf_parse_free(&c);
	return ok;
}

/* ---- parse ------------------------------------------------------------- */

static void
test_commands(void)
{
	static const char text[] =
	    "account all\n"
	    "host smtp.example.org\n"
	    "port 587\n"
	    "from me@example.org\n"
	    "domain client.example.org\n"
	    "timeout 30\n"
	    "auth plain\n"
	    "user me\n"
	    "password s3cret\n"
	    "passwordeval pass show mail\n"
	    "logfile ~/.postie.log\n"
	    "syslog LOG_MAIL\n"
	    "auth_plaintext on\n";
	const struct conf_account *a;
	struct conf c;
	struct err e;

	tap_is_int(parse(&c, text, &e), ERR_OK, "every implemented command");
	a = conf_parse_find(&c, "all");
	tap_ok(a != NULL && strcmp(a->name, "all") == 0, "account found");
	tap_is_str(conf_parse_get(a, CONF_HOST), "smtp.example.org", "host");
	tap_is_str(conf_parse_get(a, CONF_PORT), "587", "port");
	tap_is_int(conf_parse_num(a, CONF_PORT, 25), 587, "port as number");
	tap_is_str(conf_parse_get(a, CONF_FROM), "me@example.org", "from");
	tap_is_str(conf_parse_get(a, CONF_DOMAIN), "client.example.org",
	    "domain");
	tap_is_int(conf_parse_num(a, CONF_TIMEOUT, -1), 30, "timeout");
	tap_is_str(conf_parse_get(a, CONF_AUTH), "PLAIN",
	    "auth mechanism upper-cased");
	tap_ok(conf_parse_bool(a, CONF_AUTH, false), "auth PLAIN is on");
	tap_is_str(conf_parse_get(a, CONF_USER), "me", "user");
	tap_is_str(conf_parse_get(a, CONF_PASSWORD), "s3cret", "password");
	tap_is_str(conf_parse_get(a, CONF_PASSWORDEVAL), "pass show mail",
	    "passwordeval keeps inner blanks");
	tap_is_str(conf_parse_get(a, CONF_LOGFILE), "~/.postie.log",
	    "logfile");
	tap_is_str(conf_parse_get(a, CONF_SYSLOG), "LOG_MAIL", "syslog");
	tap_ok(conf_parse_bool(a, CONF_SYSLOG, false), "syslog facility is on");
	tap_ok(conf_parse_bool(a, CONF_AUTH_PLAINTEXT, false),
	    "auth_plaintext on");
	tap_ok(conf_parse_get(a, CONF_TLS) == NULL, "tls unset");
	tap_ok(conf_parse_bool(a, CONF_TLS, true), "unset bool gives def");
	tap_is_int(conf_parse_num(a, CONF_TIMEOUT + 0, 0), 30, "num again");
	tap_is_int(conf_parse_num(a, CONF_HOST, 7), 7,
	    "num of a non-number gives def");
	tap_is_str(a->file[CONF_PORT], F, "file noted per key");
	tap_is_int(a->line[CONF_PORT], 3, "line noted per key");
	tap_is_int(a->def_line, 1, "account definition line");
	conf_parse_free(&c);
}

static void
test_values(void)
{
	value_is("auth\n", NULL, CONF_AUTH, "on", "auth without argument: on");
	value_is("auth off\n", NULL, CONF_AUTH, "off", "auth off");
	value_is("auth LoGiN\n", NULL, CONF_AUTH, "LOGIN", "auth LoGiN");
	value_is("auth cram-md5\n", NULL, CONF_AUTH, "CRAM-MD5", "auth cram-md5");
	value_is("auth scram-sha-1\n", NULL, CONF_AUTH, "SCRAM-SHA-1",
	    "auth scram-sha-1");
	value_is("auth scram-sha-256\n", NULL, CONF_AUTH, "SCRAM-SHA-256",
	    "auth scram-sha-256");
	value_is("auth scram-sha-1-plus\n", NULL, CONF_AUTH,
	    "SCRAM-SHA-1-PLUS", "auth scram-sha-1-plus");
	value_is("auth SCRAM-SHA-256-PLUS\n", NULL, CONF_AUTH,
	    "SCRAM-SHA-256-PLUS", "auth SCRAM-SHA-256-PLUS");
	value_is("auth xoauth2\n", NULL, CONF_AUTH, "XOAUTH2", "auth xoauth2");
	value_is("auth oauthbearer\n", NULL, CONF_AUTH, "OAUTHBEARER",
	    "auth oauthbearer");
	value_is("auth external\n", NULL, CONF_AUTH, "EXTERNAL",
	    "auth external");
	value_is("syslog\n", NULL, CONF_SYSLOG, "on", "syslog empty: on");
	value_is("syslog off\n", NULL, CONF_SYSLOG, "off", "syslog off");
	value_is("syslog LOG_LOCAL7\n", NULL, CONF_SYSLOG, "LOG_LOCAL7",
	    "syslog LOG_LOCAL7");
	value_is("auth_plaintext\n", NULL, CONF_AUTH_PLAINTEXT, "on",
	    "bool without argument: on");
	value_is("auth_plaintext off\n", NULL, CONF_AUTH_PLAINTEXT, "off",
	    "bool off");
	value_is("timeout off\n", NULL, CONF_TIMEOUT, "0", "timeout off: 0");
	value_is("timeout 0\n", NULL, CONF_TIMEOUT, "0", "timeout 0");
	value_is("timeout 2147483647\n", NULL, CONF_TIMEOUT, "2147483647",
	    "timeout INT_MAX");
	value_is("port 1\n", NULL, CONF_PORT, "1", "port 1");
	value_is("port 65535\n", NULL, CONF_PORT, "65535", "port 65535");
	value_is("from\n", NULL, CONF_FROM, NULL, "empty string unsets");
	value_is("host \t  a.example  \t\n", NULL, CONF_HOST, "a.example",
	    "argument trimmed");
	value_is("host\ta.example\n", NULL, CONF_HOST, "a.example",
	    "tab separates command and argument");
	value_is("from a\"b\n", NULL, CONF_FROM, "a\"b",
	    "quote inside unquoted argument is literal");
	value_is("logfile C:\\x\n", NULL, CONF_LOGFILE, "C:\\x",
	    "backslash in unquoted argument is literal");
	value_is("host x # y\n", NULL, CONF_HOST, "x # y",
	    "# after a command is not a comment (as in msmtp)");
}

static void
test_bad_values(void)
{
	parse_fails("port 99999\n",
	    F ":1: port: '99999' is not a number from 1 to 65535");
	parse_fails("\n\nport 0\n",
	    F ":3: port: '0' is not a number from 1 to 65535");
	parse_fails("port -1\n", F ":1: port: '-1' is not a number from 1 to 65535");
	parse_fails("port +25\n", F ":1: port: '+25' is not a number from 1 to 65535");
	parse_fails("port 25x\n", F ":1: port: '25x' is not a number from 1 to 65535");
	parse_fails("port\n", F ":1: port: needs an argument");
	parse_fails("timeout 2147483648\n", F ":1: timeout: '2147483648' is "
	    "not a number from 0 to 2147483647");
	parse_fails("timeout soon\n", F ":1: timeout: 'soon' is not a number "
	    "from 0 to 2147483647");
	parse_fails("host\n", F ":1: host: needs an argument");
	parse_fails("host \"\"\n", F ":1: host: needs an argument");
	parse_fails("domain\n", F ":1: domain: needs an argument");
	parse_fails("passwordeval\n", F ":1: passwordeval: needs an argument");
	parse_fails("tls maybe\n", F ":1: tls: expected on or off, got 'maybe'");
	parse_fails("auth_plaintext yes\n",
	    F ":1: auth_plaintext: expected on or off, got 'yes'");
	parse_fails("auth_plaintext ON\n",
	    F ":1: auth_plaintext: expected on or off, got 'ON'");
	parse_fails("auth gssapi\n",
	    F ":1: auth: mechanism 'gssapi' is not supported yet");
	parse_fails("auth NTLM\n",
	    F ":1: auth: mechanism 'NTLM' is not supported yet");
	parse_fails("auth digest\n", F ":1: auth: unknown mechanism 'digest'");
	parse_fails("syslog LOG_KERN\n", F ":1: syslog: expected on, off or a "
	    "facility (LOG_USER, LOG_MAIL, LOG_LOCAL0..LOG_LOCAL7), got "
	    "'LOG_KERN'");
}

static void
test_commands_refused(void)
{
	parse_fails("hots a\n", F ":1: unknown command 'hots'");
	parse_fails("Host a\n", F ":1: unknown command 'Host'");
	parse_fails("# c\nprotocol lmtp\n", F ":2: 'protocol' is not supported yet");
	parse_fails("auto_from on\n", F ":1: 'auto_from' is not supported yet");
	parse_fails("logfile_time_format %F\n",
	    F ":1: 'logfile_time_format' is not supported yet");
	parse_fails("proxy_host h\n", F ":1: 'proxy_host' is not supported yet");
	parse_fails("eval echo x\n", F ":1: 'eval' is not supported yet");
	parse_fails("tls_min_dh_prime_bits 2048\n",
	    F ":1: 'tls_min_dh_prime_bits' is not supported yet");
	parse_fails("defaults x\n", F ":1: defaults: takes no argument");
	parse_fails("account\n", F ":1: account: needs a name");
	parse_fails("account : a\n", F ":1: account: needs a name");
	parse_fails("account a,b\n", F ":1: account: bad name 'a,b'");
}

static void
test_tls_off(void)
{
	const struct conf_account *a;
	struct conf c;
	struct err e;

	tap_is_int(parse(&c, "tls off\ntls_starttls on\naccount x\ntls off\n"
	    "tls_starttls off\nhost h\n", &e), ERR_OK,
	    "tls off and tls_starttls accepted");
	a = conf_parse_find(&c, "x");
	tap_ok(a != NULL && !conf_parse_bool(a, CONF_TLS, true),
	    "tls reads as off");
	tap_ok(!conf_parse_bool(a, CONF_TLS_STARTTLS, true),
	    "tls_starttls off stored");
	conf_parse_free(&c);
	parse_fails("tls off\ntls_starttls perhaps\n",
	    F ":2: tls_starttls: expected on or off, got 'perhaps'");
}

/* The TLS commands (issue 3): stored, and their values checked. */
static void
test_tls_keys(void)
{
	static const char fp256[] = "AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:"
	    "45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
	const struct conf_account *a;
	struct conf c;
	struct err e;
	char text[1024];

	snprintf(text, sizeof(text), "account x\nhost h\ntls\n"
	    "tls_starttls off\ntls_trust_file ~/ca.pem\ntls_crl_file c.pem\n"
	    "tls_fingerprint %s\ntls_key_file k.pem\ntls_cert_file c.pem\n"
	    "tls_certcheck off\ntls_priorities NORMAL:-VERS-TLS1.2\n"
	    "tls_host_override mail.example\ntls_min_version TLSv1.3\n",
	    fp256);
	tap_is_int(parse(&c, text, &e), ERR_OK, "tls keys accepted");
	a = conf_parse_find(&c, "x");
	tap_ok(a != NULL && conf_parse_bool(a, CONF_TLS, false), "tls on");
	tap_ok(a != NULL && !conf_parse_bool(a, CONF_TLS_STARTTLS, true),
	    "tls_starttls off");
	tap_ok(a != NULL && !conf_parse_bool(a, CONF_TLS_CERTCHECK, true),
	    "tls_certcheck off");
	tap_is_str(a != NULL ? conf_parse_get(a, CONF_TLS_FINGERPRINT) : NULL,
	    fp256, "tls_fingerprint stored as given");
	tap_is_str(a != NULL ? conf_parse_get(a, CONF_TLS_TRUST_FILE) : NULL,
	    "~/ca.pem", "tls_trust_file stored unexpanded");
	tap_is_str(a != NULL ? conf_parse_get(a, CONF_TLS_MIN_VERSION) : NULL,
	    "TLSv1.3", "tls_min_version");
	conf_parse_free(&c);
	tap_is_int(parse(&c, "tls_fingerprint 0123456789abcdef0123"
	    "456789abcdef01234567\n", &e), ERR_OK,
	    "SHA-1 fingerprint, plain hex");
	conf_parse_free(&c);
	tap_is_int(parse(&c, "tls_fingerprint\ntls_min_version\n", &e),
	    ERR_OK, "empty tls_fingerprint and tls_min_version unset");
	conf_parse_free(&c);
	parse_fails("tls_fingerprint AB:CD\n", F ":1: tls_fingerprint: "
	    "expected the SHA-256 (32 bytes) or SHA-1 (20 bytes) fingerprint "
	    "in hex, as AB:CD:..., got 'AB:CD'");
	parse_fails("tls_fingerprint 0123456789abcdef0123456789abcdef0123456g"
	    "\n", F ":1: tls_fingerprint: expected the SHA-256 (32 bytes) or "
	    "SHA-1 (20 bytes) fingerprint in hex, as AB:CD:..., got "
	    "'0123456789abcdef0123456789abcdef0123456g'");
	parse_fails("tls_fingerprint 01:23456789abcdef0123456789abcdef01234567"
	    "\n", F ":1: tls_fingerprint: expected the SHA-256 (32 bytes) or "
	    "SHA-1 (20 bytes) fingerprint in hex, as AB:CD:..., got "
	    "'01:23456789abcdef0123456789abcdef01234567'");
	parse_fails("tls_min_version TLSv1.1\n", F ":1: tls_min_version: "
	    "expected TLSv1.2 or TLSv1.3, got 'TLSv1.1'");
	parse_fails("tls_certcheck maybe\n",
	    F ":1: tls_certcheck: expected on or off, got 'maybe'");
}

static void
test_inheritance(void)
{
	static const char text[] =
	    "host default.example\n"		/* before any section */
	    "defaults\n"
	    "port 587\n"
	    "user du\n"
	    "account a\n"
	    "host a.example\n"
	    "defaults\n"
	    "from late@example\n"
	    "account b\n"
	    "user \"\"\n";
	const struct conf_account *a, *b;
	struct conf c;
	struct err e;

	tap_is_int(parse(&c, text, &e), ERR_OK, "defaults and accounts");
	a = conf_parse_find(&c, "a");
	b = conf_parse_find(&c, "b");
	tap_ok(a != NULL && b != NULL, "both accounts found");
	tap_is_str(conf_parse_get(a, CONF_HOST), "a.example", "own setting");
	tap_is_str(conf_parse_get(a, CONF_PORT), "587", "inherited default");
	tap_is_int(a->line[CONF_PORT], 3, "inherited value keeps its line");
	tap_ok(conf_parse_get(a, CONF_FROM) == NULL,
	    "defaults set after an account do not reach it");
	tap_is_str(conf_parse_get(b, CONF_FROM), "late@example",
	    "but reach later accounts");
	tap_is_str(conf_parse_get(b, CONF_HOST), "default.example",
	    "setting before any section is a default");
	tap_ok(conf_parse_get(b, CONF_USER) == NULL,
	    "empty argument unsets an inherited string");
	tap_ok(conf_parse_find(&c, NULL) == &c.defaults,
	    "no 'default' account: find(NULL) is the defaults");
	tap_is_str(conf_parse_find(&c, NULL)->name, "defaults",
	    "defaults section is named defaults");
	tap_ok(conf_parse_find(&c, "nope") == NULL, "unknown account: NULL");
	tap_ok(conf_parse_find(NULL, NULL) == NULL, "find on NULL conf");
	conf_parse_free(&c);
}

static void
test_parents(void)
{
	static const char text[] =
	    "defaults\nport 25\ntimeout 10\n"
	    "account a\nhost a.example\nport 465\nfrom a@example\n"
	    "account b\nhost b.example\nuser bu\nuser \"\"\n"
	    "account c : a, b\nfrom c@example\n"
	    "account d:b,a\n"
	    "account default : c\n";
	const struct conf_account *a;
	struct conf c;
	struct err e;

	tap_is_int(parse(&c, text, &e), ERR_OK, "accounts with parents");
	a = conf_parse_find(&c, "c");
	tap_is_str(conf_parse_get(a, CONF_HOST), "b.example",
	    "later parent wins");
	tap_is_str(conf_parse_get(a, CONF_PORT), "25",
	    "a parent is whole: b's inherited default beats a's port");
	tap_is_str(conf_parse_get(a, CONF_FROM), "c@example", "own wins");
	tap_is_str(conf_parse_get(a, CONF_TIMEOUT), "10", "defaults too");
	tap_ok(conf_parse_get(a, CONF_USER) == NULL,
	    "a parent's explicit unset is inherited");
	a = conf_parse_find(&c, "d");
	tap_is_str(conf_parse_get(a, CONF_HOST), "a.example",
	    "order reversed: a wins");
	tap_is_str(conf_parse_get(a, CONF_PORT), "465", "port from a");
	a = conf_parse_find(&c, NULL);
	tap_ok(a != NULL && strcmp(a->name, "default") == 0,
	    "find(NULL) is the account called default");
	tap_is_str(conf_parse_get(a, CONF_FROM), "c@example",
	    "account default : c copies c");
	tap_is_int((long long)c.naccounts, 5, "five accounts");
	conf_parse_free(&c);

	parse_fails("account b : zz\n", F ":1: account 'b': unknown parent 'zz'");
	parse_fails("account a\naccount b : a,\n",
	    F ":2: account 'b': empty parent name");
	parse_fails("account a : a\n", F ":1: account 'a': unknown parent 'a'");
	parse_fails("account a\nhost x\naccount a\n",
	    F ":3: account 'a' is already defined at " F ":1");
	parse_fails("account default : x\n",
	    F ":1: account 'default': unknown parent 'x'");
}

static void
test_two_texts(void)
{
	static const char sys[] =
	    "defaults\nfrom sys@example\nport 25\n"
	    "account work\nhost sys.example\nuser sysuser\n"
	    "account other\nhost other.example\n";
	static const char usr[] =
	    "defaults\nport 587\n"
	    "account work\nhost user.example\n"
	    "account mine : other\nuser me\n"
	    "account default : work\n";
	const struct conf_account *a;
	struct conf c;
	struct err e;

	conf_parse_init(&c);
	tap_is_int(conf_parse_text(&c, sys, strlen(sys), "/etc/postie.conf",
	    &e), ERR_OK, "system text");
	tap_is_int(conf_parse_text(&c, usr, strlen(usr), "user.conf", &e),
	    ERR_OK, "user text");
	a = conf_parse_find(&c, "work");
	tap_is_str(conf_parse_get(a, CONF_HOST), "user.example",
	    "user's account replaces the system's");
	tap_ok(conf_parse_get(a, CONF_USER) == NULL,
	    "nothing of the replaced account is kept");
	tap_is_str(conf_parse_get(a, CONF_FROM), "sys@example",
	    "system defaults carry over");
	tap_is_str(a->file[CONF_FROM], "/etc/postie.conf",
	    "carried value names the system file");
	tap_is_str(conf_parse_get(a, CONF_PORT), "587", "user default wins");
	tap_is_str(a->def_file, "user.conf", "replacement defined in user file");
	a = conf_parse_find(&c, "mine");
	tap_is_str(conf_parse_get(a, CONF_HOST), "other.example",
	    "user account with a system parent");
	tap_is_str(conf_parse_get(conf_parse_find(&c, NULL), CONF_HOST),
	    "user.example", "default account");
	tap_is_int((long long)c.naccounts, 4, "four accounts, none doubled");
	conf_parse_free(&c);
}

static void
test_syntax(void)
{
	static const char crlf[] = "# c\r\nhost a\r\nport 25\r\n\r\n";

	value_is("password \"  with spaces  \"\n", NULL, CONF_PASSWORD,
	    "  with spaces  ", "quoted argument keeps its blanks");
	value_is("password \"a\\\"b\\\\c\"\n", NULL, CONF_PASSWORD, "a\"b\\c",
	    "escapes \\\" and \\\\");
	value_is("password   \"#x\"   \n", NULL, CONF_PASSWORD, "#x",
	    "blanks around quotes trimmed");
	value_is("user \"\"\n", NULL, CONF_USER, NULL, "empty quotes unset");
	value_is("# comment\n   # indented\n\t#tab\n\n   \nhost h\n", NULL,
	    CONF_HOST, "h", "comments and blank lines");
	value_is(crlf, NULL, CONF_HOST, "a", "CRLF line ends");
	value_is(crlf, NULL, CONF_PORT, "25", "CRLF: port has no CR");
	value_is("host a\nport 26", NULL, CONF_PORT, "26",
	    "last line without newline");
	value_is("", NULL, CONF_HOST, NULL, "empty text");
	parse_fails("password \"abc\n", F ":1: unterminated quote");
	parse_fails("password \"abc\\\"\n", F ":1: unterminated quote");
	parse_fails("password \"a\\nb\"\n",
	    F ":1: bad escape in quoted argument (only \\\" and \\\\)");
	parse_fails("password \"a\" b\n", F ":1: text after closing quote");
	parse_fails("host a\x01\n", F ":1: control character in line");
	parse_fails("host a\rb\n", F ":1: control character in line");
}

static void
test_limits(void)
{
	char *big;
	struct conf c;
	struct err e;
	size_t i;

	conf_parse_init(&c);
	tap_ok(conf_parse_text(&c, "#\nhost a\0b\n", 10, F, &e) == ERR_CONFIG &&
	    strcmp(e.msg, F ":2: NUL byte in line") == 0, "NUL byte refused");
	conf_parse_free(&c);

	big = malloc(CONF_TEXT_MAX + 2);
	if (big == NULL)
		return;
	memset(big, '#', CONF_TEXT_MAX + 2);
	memcpy(big, "host ", 5);
	big[CONF_LINE_MAX] = '\n';
	conf_parse_init(&c);
	tap_ok(conf_parse_text(&c, big, CONF_LINE_MAX + 1, F, &e) == ERR_OK &&
	    strlen(conf_parse_get(&c.defaults, CONF_HOST)) == CONF_LINE_MAX - 5,
	    "line of CONF_LINE_MAX bytes accepted");
	conf_parse_free(&c);
	big[CONF_LINE_MAX] = '#';
	conf_parse_init(&c);
	tap_ok(conf_parse_text(&c, big, CONF_LINE_MAX + 1, F, &e) ==
	    ERR_CONFIG && strcmp(e.msg, F ":1: line longer than 4096 bytes") ==
	    0, "line over CONF_LINE_MAX refused");
	conf_parse_free(&c);
	memset(big, '#', CONF_TEXT_MAX + 2);
	for (i = 0; i < CONF_TEXT_MAX + 2; i += 64)
		big[i] = '\n';
	conf_parse_init(&c);
	tap_ok(conf_parse_text(&c, big, CONF_TEXT_MAX, F, &e) == ERR_OK,
	    "text of CONF_TEXT_MAX bytes accepted");
	conf_parse_free(&c);
	conf_parse_init(&c);
	tap_ok(conf_parse_text(&c, big, CONF_TEXT_MAX + 1, F, &e) ==
	    ERR_CONFIG && strcmp(e.msg, F ": larger than 1048576 bytes") == 0,
	    "text over CONF_TEXT_MAX refused");
	conf_parse_free(&c);
	free(big);
	conf_parse_free(NULL);
}

static void
test_msmtprc(void)
{
	static const char rc[] =
	    "# Set default values for all following accounts.\n"
	    "defaults\n"
	    "auth           on\n"
	    "tls            off\n"
	    "logfile        ~/.msmtp.log\n"
	    "\n"
	    "# Gmail\n"
	    "account        gmail\n"
	    "host           smtp.gmail.com\n"
	    "port           587\n"
	    "from           username@gmail.com\n"
	    "user           username\n"
	    "passwordeval   \"gpg --quiet --for-your-eyes-only --no-tty "
	    "--decrypt ~/.msmtp-gmail.gpg\"\n"
	    "\n"
	    "# A freemail service\n"
	    "account        freemail : gmail\n"
	    "host           smtp.freemail.example\n"
	    "from           joe_smith@freemail.example\n"
	    "user           joe.smith\n"
	    "password       \"secret with # and spaces\"\n"
	    "\n"
	    "# Set a default account\n"
	    "account default : gmail\n";
	const struct conf_account *a;
	struct conf c;
	struct err e;

	if (!tap_is_int(parse(&c, rc, &e), ERR_OK, "a real ~/.msmtprc"))
		tap_diag("  %s", e.msg);
	a = conf_parse_find(&c, NULL);
	tap_is_str(conf_parse_get(a, CONF_HOST), "smtp.gmail.com",
	    "msmtprc: default is gmail");
	tap_is_str(conf_parse_get(a, CONF_PASSWORDEVAL), "gpg --quiet "
	    "--for-your-eyes-only --no-tty --decrypt ~/.msmtp-gmail.gpg",
	    "msmtprc: quoted passwordeval");
	tap_ok(conf_parse_bool(a, CONF_AUTH, false), "msmtprc: auth on");
	tap_ok(!conf_parse_bool(a, CONF_TLS, true), "msmtprc: tls off");
	a = conf_parse_find(&c, "freemail");
	tap_is_str(conf_parse_get(a, CONF_PASSWORD), "secret with # and spaces",
	    "msmtprc: quoted password");
	tap_is_str(conf_parse_get(a, CONF_PORT), "587",
	    "msmtprc: port from parent");
	tap_is_str(conf_parse_get(a, CONF_LOGFILE), "~/.msmtp.log",
	    "msmtprc: logfile from defaults");
	conf_parse_free(&c);
}

static void
test_key_names(void)
{
	tap_is_str(conf_parse_key_name(CONF_HOST), "host", "key name host");
	tap_is_str(conf_parse_key_name(CONF_TLS_TRUST_FILE), "tls_trust_file",
	    "key name tls_trust_file");
	tap_is_str(conf_parse_key_name(CONF_AUTH_PLAINTEXT), "auth_plaintext",
	    "key name auth_plaintext");
	tap_ok(conf_parse_key_name(CONF_KEY_COUNT) != NULL,
	    "key name out of range is not NULL");
}

/* The header commands (issue 4) and their msmtp aliases. */
static void
test_header_commands(void)
{
	value_is("set_from_header on\n", NULL, CONF_SET_FROM_HEADER, "on",
	    "set_from_header on");
	value_is("set_from_header auto\n", NULL, CONF_SET_FROM_HEADER, "auto",
	    "set_from_header auto");
	value_is("set_from_header off\n", NULL, CONF_SET_FROM_HEADER, "off",
	    "set_from_header off");
	value_is("add_missing_from_header off\n", NULL, CONF_SET_FROM_HEADER,
	    "off", "add_missing_from_header off is set_from_header off");
	value_is("add_missing_from_header\n", NULL, CONF_SET_FROM_HEADER,
	    "auto", "add_missing_from_header alone is auto");
	value_is("set_from_header on\nadd_missing_from_header on\n", NULL,
	    CONF_SET_FROM_HEADER, "auto", "aliases: the last line wins");
	value_is("set_date_header off\n", NULL, CONF_SET_DATE_HEADER, "off",
	    "set_date_header off");
	value_is("add_missing_date_header on\n", NULL, CONF_SET_DATE_HEADER,
	    "auto", "add_missing_date_header on is auto");
	value_is("set_msgid_header auto\n", NULL, CONF_SET_MSGID_HEADER,
	    "auto", "set_msgid_header auto");
	value_is("set_to_header undisclosed_recipients\n", NULL,
	    CONF_SET_TO_HEADER, "undisclosed_recipients",
	    "set_to_header undisclosed_recipients");
	value_is("undisclosed_recipients\n", NULL, CONF_SET_TO_HEADER,
	    "undisclosed_recipients", "undisclosed_recipients alone is on");
	value_is("set_to_header undisclosed_recipients\n"
	    "undisclosed_recipients off\n", NULL, CONF_SET_TO_HEADER, "off",
	    "undisclosed_recipients off is set_to_header off");
	value_is("remove_bcc_headers off\n", NULL, CONF_REMOVE_BCC_HEADERS,
	    "off", "remove_bcc_headers off");
	value_is("qualify_headers\n", NULL, CONF_QUALIFY_HEADERS, "on",
	    "qualify_headers alone is on");
	value_is("from_full_name \" Jane Doe \"\n", NULL, CONF_FROM_FULL_NAME,
	    " Jane Doe ", "from_full_name keeps quoted blanks");
	value_is("from_full_name Jane\nfrom_full_name\n", NULL,
	    CONF_FROM_FULL_NAME, NULL, "from_full_name alone unsets it");
	value_is("recipients_from_args exclude\n", NULL,
	    CONF_RECIPIENTS_FROM_ARGS, "exclude", "recipients_from_args exclude");
	value_is("defaults\nset_date_header off\naccount a\n", "a",
	    CONF_SET_DATE_HEADER, "off", "header commands are inherited");
	parse_fails("set_from_header yes\n", F ":1: set_from_header: expected "
	    "auto, on or off, got 'yes'");
	parse_fails("set_from_header\n", F ":1: set_from_header: needs an "
	    "argument");
	parse_fails("set_date_header on\n", F ":1: set_date_header: expected "
	    "auto or off, got 'on'");
	parse_fails("set_msgid_header ON\n", F ":1: set_msgid_header: "
	    "expected auto or off, got 'ON'");
	parse_fails("set_to_header on\n", F ":1: set_to_header: expected off "
	    "or undisclosed_recipients, got 'on'");
	parse_fails("undisclosed_recipients yes\n", F ":1: "
	    "undisclosed_recipients: expected on or off, got 'yes'");
	parse_fails("add_missing_date_header auto\n", F ":1: "
	    "add_missing_date_header: expected on or off, got 'auto'");
	parse_fails("recipients_from_args\n", F ":1: recipients_from_args: "
	    "needs an argument");
	parse_fails("recipients_from_args sendmail\n", F ":1: "
	    "recipients_from_args: expected merge or exclude, got 'sendmail'");
	parse_fails("qualify_headers maybe\n", F ":1: qualify_headers: "
	    "expected on or off, got 'maybe'");
	parse_fails("remove_bcc_headers 1\n", F ":1: remove_bcc_headers: "
	    "expected on or off, got '1'");
	/* A full name can never carry a line break into the header. */
	parse_fails("from_full_name a\rb\n", F ":1: control character in line");
	parse_fails("from_full_name \"a\\nb\"\n",
	    F ":1: bad escape in quoted argument (only \\\" and \\\\)");
	tap_is_str(conf_parse_key_name(CONF_SET_TO_HEADER), "set_to_header",
	    "key name set_to_header (not its alias)");
	tap_is_str(conf_parse_key_name(CONF_SET_FROM_HEADER),
	    "set_from_header", "key name set_from_header");
}

/* ---- load -------------------------------------------------------------- */

static char tmpdir[256];

static void
write_file(const char *name, const char *text, mode_t mode, char *path,
    size_t size)
{
	int fd;

	snprintf(path, size, "%s/%s", tmpdir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		tap_diag("cannot write %s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	chmod(path, mode);
}

static void
test_load_files(void)
{
	char path[512], want[1200];
	struct conf c;
	struct err e;

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	conf_parse_init(&c);
	tap_is_int(conf_load_file(&c, path, false, &e), ERR_OK,
	    "missing optional file is fine");
	tap_is_int(conf_load_file(&c, path, true, &e), ERR_CONFIG,
	    "missing required file is an error");
	tap_ok(strncmp(e.msg, path, strlen(path)) == 0, "message names it");
	conf_parse_free(&c);

	write_file("pw644", "account a\npassword x\n", 0644, path,
	    sizeof(path));
	conf_parse_init(&c);
	tap_is_int(conf_load_file(&c, path, false, &e), ERR_CONFIG,
	    "password in a 0644 file refused");
	snprintf(want, sizeof(want), "%s: contains a password but is readable "
	    "by others (chmod 600 %s)", path, path);
	tap_is_str(e.msg, want, "password file message");
	conf_parse_free(&c);

	write_file("pw640", "password x\n", 0640, path, sizeof(path));
	conf_parse_init(&c);
	tap_is_int(conf_load_file(&c, path, false, &e), ERR_CONFIG,
	    "password in a 0640 file refused");
	conf_parse_free(&c);

	write_file("pw600", "account a\npassword x\n", 0600, path,
	    sizeof(path));
	conf_parse_init(&c);
	tap_is_int(conf_load_file(&c, path, false, &e), ERR_OK,
	    "password in a 0600 file accepted");
	tap_is_str(conf_parse_get(conf_parse_find(&c, "a"), CONF_PASSWORD),
	    "x", "password loaded");
	conf_parse_free(&c);

	write_file("nopw644", "account a\nhost h\npassword\n", 0644, path,
	    sizeof(path));
	conf_parse_init(&c);
	tap_is_int(conf_load_file(&c, path, false, &e), ERR_OK,
	    "0644 file without a password accepted");
	tap_is_str(conf_parse_get(conf_parse_find(&c, "a"), CONF_HOST), "h",
	    "its settings loaded");
	conf_parse_free(&c);

	write_file("bad", "\nbogus x\n", 0600, path, sizeof(path));
	conf_parse_init(&c);
	tap_is_int(conf_load_file(&c, path, false, &e), ERR_CONFIG,
	    "parse error from a file");
	snprintf(want, sizeof(want), "%s:2: unknown command 'bogus'", path);
	tap_is_str(e.msg, want, "message has the file's path and line");
	conf_parse_free(&c);
}

static void
test_load_special(void)
{
	char path[512], link[600];
	struct conf c;
	struct err e;
	int fd;

	write_file("target", "host via-link\n", 0600, path, sizeof(path));
	snprintf(link, sizeof(link), "%s/link", tmpdir);
	unlink(link);
	if (symlink(path, link) == -1)
		tap_diag("symlink: %s", strerror(errno));
	conf_parse_init(&c);
	tap_is_int(conf_load_file(&c, link, true, &e), ERR_OK,
	    "symlinked file followed");
	tap_is_str(conf_parse_get(&c.defaults, CONF_HOST), "via-link",
	    "symlinked file read");
	conf_parse_free(&c);

	conf_parse_init(&c);
	tap_is_int(conf_load_file(&c, tmpdir, true, &e), ERR_CONFIG,
	    "a directory is refused");
	conf_parse_free(&c);

	snprintf(path, sizeof(path), "%s/huge", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || ftruncate(fd, CONF_TEXT_MAX + 1) == -1)
		tap_diag("huge: %s", strerror(errno));
	if (fd != -1)
		close(fd);
	conf_parse_init(&c);
	tap_is_int(conf_load_file(&c, path, true, &e), ERR_CONFIG,
	    "file over CONF_TEXT_MAX refused");
	tap_ok(strstr(e.msg, "larger than") != NULL, "says it is too large");
	conf_parse_free(&c);
}

static void
test_load_user(void)
{
	char path[512];
	struct conf c;
	struct err e;

	write_file("gw", "host gw\n", 0620, path, sizeof(path));
	conf_parse_init(&c);
	tap_is_int(conf_load_standard(&c, path, true, &e), ERR_CONFIG,
	    "group-writable -C file refused");
	tap_ok(strstr(e.msg, "writable") != NULL, "message says writable: %s",
	    e.msg);
	conf_parse_free(&c);

	write_file("ow", "host ow\n", 0602, path, sizeof(path));
	conf_parse_init(&c);
	tap_is_int(conf_load_standard(&c, path, true, &e), ERR_CONFIG,
	    "world-writable -C file refused");
	conf_parse_free(&c);

	write_file("ok", "host ok\n", 0644, path, sizeof(path));
	conf_parse_init(&c);
	tap_is_int(conf_load_standard(&c, path, true, &e), ERR_OK,
	    "0644 -C file accepted");
	tap_is_str(conf_parse_get(&c.defaults, CONF_HOST), "ok", "-C read");
	conf_parse_free(&c);

	snprintf(path, sizeof(path), "%s/nonexistent", tmpdir);
	conf_parse_init(&c);
	tap_is_int(conf_load_standard(&c, path, true, &e), ERR_CONFIG,
	    "missing -C file is an error");
	conf_parse_free(&c);
}

static void
test_load_default(void)
{
	char path[512], dir[512];
	struct conf c;
	struct err e;

	snprintf(dir, sizeof(dir), "%s/postie", tmpdir);
	mkdir(dir, 0700);
	write_file("postie/config", "host xdg\n", 0600, path, sizeof(path));
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	conf_parse_init(&c);
	tap_is_int(conf_load_standard(&c, NULL, true, &e), ERR_OK,
	    "XDG default file");
	tap_is_str(conf_parse_get(&c.defaults, CONF_HOST), "xdg",
	    "$XDG_CONFIG_HOME/postie/config read");
	conf_parse_free(&c);

	snprintf(dir, sizeof(dir), "%s/.config", tmpdir);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/.config/postie", tmpdir);
	mkdir(dir, 0700);
	write_file(".config/postie/config", "host home\n", 0600, path,
	    sizeof(path));
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", tmpdir, 1);
	conf_parse_init(&c);
	tap_is_int(conf_load_standard(&c, NULL, true, &e), ERR_OK,
	    "HOME default file");
	tap_is_str(conf_parse_get(&c.defaults, CONF_HOST), "home",
	    "~/.config/postie/config read");
	conf_parse_free(&c);

	snprintf(dir, sizeof(dir), "%s/empty", tmpdir);
	mkdir(dir, 0700);
	setenv("XDG_CONFIG_HOME", dir, 1);
	conf_parse_init(&c);
	tap_is_int(conf_load_standard(&c, NULL, true, &e), ERR_OK,
	    "no user file at all is fine");
	tap_ok(c.naccounts == 0 && conf_parse_get(&c.defaults, CONF_HOST) ==
	    NULL, "and nothing is set");
	conf_parse_free(&c);
}

/* The password of the defaults section of text, via conf_load_password. */
static enum err_kind
eval_pw(const char *text, struct secret *pw, struct err *e)
{
	struct conf c;
	enum err_kind rc;

	secret_init(pw);
	if ((rc = parse(&c, text, e)) == ERR_OK)
		rc = conf_load_password(&c.defaults, NULL, NULL, false, pw, e);
	conf_parse_free(&c);
	return rc;
}

static void
test_password(void)
{
	struct secret pw;
	struct err e;

	tap_is_int(eval_pw("password direct\npasswordeval echo other\n", &pw,
	    &e), ERR_OK, "password wins over passwordeval");
	tap_is_str(pw.data, "direct", "password value");
	secret_free(&pw);
	tap_is_int(eval_pw("host h\n", &pw, &e), ERR_OK, "no password: ok");
	tap_ok(!secret_is_set(&pw), "and the secret stays unset");
	tap_is_int(eval_pw("passwordeval echo secret\n", &pw, &e), ERR_OK,
	    "passwordeval echo secret");
	tap_is_str(pw.data, "secret", "first line without newline");
	tap_is_int((long long)pw.len, 6, "length 6");
	secret_free(&pw);
	tap_is_int(eval_pw("passwordeval printf 'one\\ntwo\\n'\n", &pw, &e),
	    ERR_OK, "passwordeval printing two lines");
	tap_is_str(pw.data, "one", "first line taken");
	secret_free(&pw);
	tap_is_int(eval_pw("passwordeval printf 'crlf\\r\\n'\n", &pw, &e),
	    ERR_OK, "passwordeval with CRLF");
	tap_is_str(pw.data, "crlf", "CR stripped");
	secret_free(&pw);
	tap_is_int(eval_pw("passwordeval printf nonl\n", &pw, &e), ERR_OK,
	    "output without newline");
	tap_is_str(pw.data, "nonl", "taken whole");
	secret_free(&pw);
	tap_is_int(eval_pw("passwordeval yes | head -c 100000\n", &pw, &e),
	    ERR_OK, "long output");
	tap_is_str(pw.data, "y", "long output: first line");
	secret_free(&pw);
	tap_is_int(eval_pw("passwordeval exit 3\n", &pw, &e), ERR_CONFIG,
	    "passwordeval exit 3");
	tap_is_str(e.msg, "passwordeval: command failed (exit 3)",
	    "exit status in the message");
	tap_ok(!secret_is_set(&pw), "no secret on failure");
	tap_is_int(eval_pw("passwordeval echo pw; exit 1\n", &pw, &e),
	    ERR_CONFIG, "output but non-zero exit fails");
	tap_ok(!secret_is_set(&pw), "and sets no secret");
	tap_is_int(eval_pw("passwordeval true\n", &pw, &e), ERR_CONFIG,
	    "no output fails");
	tap_ok(strncmp(e.msg, "passwordeval: command failed", 28) == 0,
	    "no output message: %s", e.msg);
	tap_is_int(eval_pw("passwordeval cat\n", &pw, &e), ERR_CONFIG,
	    "passwordeval gets no stdin (cat prints nothing)");
	tap_is_int(eval_pw("passwordeval kill -9 $$\n", &pw, &e), ERR_CONFIG,
	    "killed command fails");
	secret_free(&pw);
}

/* ---- password sources: password, passwordeval, ~/.netrc, /etc/netrc ---- */

#define NETRC_HOST "smtp.example.org"

static char home[300], home_netrc[320], sys_netrc[320];

/* conf_load_password_with() for the defaults of text, may_prompt false. */
static enum err_kind
src_pw(const char *text, const char *host, const char *user,
    struct secret *pw, struct err *e)
{
	struct conf c;
	enum err_kind rc;

	secret_init(pw);
	err_clear(e);
	if ((rc = parse(&c, text, e)) == ERR_OK)
		rc = conf_load_password_with(&c.defaults, host, user, false,
		    sys_netrc, pw, e);
	conf_parse_free(&c);
	return rc;
}

/* The password found for text/host/user is want (NULL: none). */
static void
src_is(const char *text, const char *host, const char *user,
    const char *want, const char *name)
{
	struct secret pw;
	struct err e;
	enum err_kind rc = src_pw(text, host, user, &pw, &e);

	if (rc != ERR_OK) {
		tap_ok(0, "%s", name);
		tap_diag("  got kind %d, '%s'", rc, e.msg);
	} else if (want == NULL)
		tap_ok(!secret_is_set(&pw), "%s", name);
	else
		tap_is_str(pw.data != NULL ? pw.data : "(unset)", want, name);
	secret_free(&pw);
}

/* Must fail with kind and a message starting with msg; sets no password. */
static void
src_fails(const char *text, const char *user, enum err_kind kind,
    const char *msg, const char *name)
{
	struct secret pw;
	struct err e;
	enum err_kind rc = src_pw(text, NETRC_HOST, user, &pw, &e);

	if (!tap_ok(rc == kind && strncmp(e.msg, msg, strlen(msg)) == 0 &&
	    !secret_is_set(&pw), "%s", name))
		tap_diag("  got kind %d, '%s'", rc, e.msg);
	secret_free(&pw);
}

static void
write_netrc(const char *path, const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		tap_diag("cannot write %s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	chmod(path, mode);
}

static void
test_sources_order(void)
{
	src_is("password direct\npasswordeval echo eval\n", NETRC_HOST, "u",
	    "direct", "password beats passwordeval and netrc");
	src_is("passwordeval echo eval\n", NETRC_HOST, "u", "eval",
	    "passwordeval beats netrc");
	src_fails("passwordeval exit 1\n", "u", ERR_CONFIG,
	    "passwordeval: command failed", "a failing passwordeval does not "
	    "fall through to netrc");
	src_is("host h\n", NETRC_HOST, "u", "home", "~/.netrc beats "
	    "/etc/netrc; its entry for another login is passed over");
	src_is("host h\n", "SMTP.example.ORG", "u", "home",
	    "netrc host is case-insensitive");
	src_is("host h\n", NETRC_HOST, "other", "sys-other", "~/.netrc "
	    "entry for another login not used: /etc/netrc is");
	src_is("host h\n", NETRC_HOST, "nobody", NULL, "no source: ERR_OK, "
	    "password unset");
	src_is("host h\n", "other.example.org", "d", "sys-default",
	    "/etc/netrc default entry");
	src_is("host h\n", NULL, "u", NULL, "no host: netrc not consulted");
	src_is("host h\n", NETRC_HOST, NULL, NULL,
	    "no user: netrc not consulted");
	src_is("host h\n", NETRC_HOST, "", NULL, "empty user: same");
	unlink(home_netrc);
	src_is("host h\n", NETRC_HOST, "u", "sys-u", "no ~/.netrc: "
	    "/etc/netrc");
	unlink(sys_netrc);
	src_is("host h\n", NETRC_HOST, "u", NULL, "neither file: unset");
}

static void
test_sources_refused(void)
{
	char msg[1200];

	write_netrc(home_netrc, "machine " NETRC_HOST " login u password p\n",
	    0644);
	snprintf(msg, sizeof(msg), "%s: contains passwords but is readable "
	    "by others (chmod 600 %s)", home_netrc, home_netrc);
	src_fails("host h\n", "u", ERR_CONFIG, msg, "~/.netrc 0644 refused");
	chmod(home_netrc, 0640);
	src_fails("host h\n", "u", ERR_CONFIG, msg, "~/.netrc 0640 refused");
	chmod(home_netrc, 0604);
	src_fails("host h\n", "u", ERR_CONFIG, msg, "~/.netrc 0604 refused");
	src_is("host h\n", NETRC_HOST, "other", NULL, "~/.netrc 0604 "
	    "without our entry: no password, no error (as ftp)");
	write_netrc(home_netrc, "machine " NETRC_HOST " login u password "
	    "\"open\n", 0600);
	snprintf(msg, sizeof(msg), "%s:1: unterminated quote", home_netrc);
	src_fails("host h\n", "u", ERR_CONFIG, msg, "~/.netrc syntax error");
	write_netrc(sys_netrc, "machine " NETRC_HOST " login u password p\n",
	    0644);
	write_netrc(home_netrc, "", 0600);
	src_is("host h\n", NETRC_HOST, "u", "p", "/etc/netrc 0644 is not "
	    "refused (a system file)");
	if (geteuid() == 0)
		tap_skip(2, "root reads files mode 0000");
	else {
		chmod(sys_netrc, 0);
		src_is("host h\n", NETRC_HOST, "u", NULL,
		    "unreadable /etc/netrc skipped");
		chmod(home_netrc, 0);
		src_fails("host h\n", "u", ERR_NOPERM, home_netrc,
		    "unreadable ~/.netrc is an error");
	}
	unlink(sys_netrc);
	unlink(home_netrc);
}

static void
test_sources_files(void)
{
	static const char entry[] = "machine " NETRC_HOST " login u "
	    "password p\n";
	char msg[1200];
	char *big;
	size_t n = (1u << 20) + 1;

	if (mkdir(home_netrc, 0700) == -1)
		tap_diag("mkdir %s: %s", home_netrc, strerror(errno));
	snprintf(msg, sizeof(msg), "%s: not a regular file", home_netrc);
	src_fails("host h\n", "u", ERR_CONFIG, msg, "~/.netrc directory");
	rmdir(home_netrc);
	if ((big = malloc(n + 1)) == NULL) {
		tap_skip(2, "out of memory");
		return;
	}
	memset(big, ' ', n);
	big[n] = '\0';
	memcpy(big, entry, sizeof(entry) - 1);
	write_netrc(home_netrc, big, 0600);
	snprintf(msg, sizeof(msg), "%s: larger than 1048576 bytes",
	    home_netrc);
	src_fails("host h\n", "u", ERR_CONFIG, msg, "~/.netrc over 1 MiB");
	big[n - 1] = '\0';
	write_netrc(home_netrc, big, 0600);
	src_is("host h\n", NETRC_HOST, "u", "p", "~/.netrc of exactly 1 MiB");
	free(big);
	unlink(home_netrc);
}

static void
test_password_sources(void)
{
	snprintf(home, sizeof(home), "%s/home", tmpdir);
	snprintf(home_netrc, sizeof(home_netrc), "%s/.netrc", home);
	snprintf(sys_netrc, sizeof(sys_netrc), "%s/sysnetrc", tmpdir);
	if (mkdir(home, 0700) == -1)
		tap_diag("mkdir %s: %s", home, strerror(errno));
	setenv("HOME", home, 1);
	write_netrc(home_netrc, "machine " NETRC_HOST " login x password "
	    "wrong-login\nmachine " NETRC_HOST " login u password home\n",
	    0600);
	write_netrc(sys_netrc, "machine " NETRC_HOST " login other password "
	    "sys-other\nmachine " NETRC_HOST " login u password sys-u\n"
	    "default login d password sys-default\n", 0644);
	test_sources_order();
	test_sources_refused();
	test_sources_files();
	unlink(home_netrc);
	unlink(sys_netrc);
	if (rmdir(home) == -1)
		tap_diag("rmdir %s: %s", home, strerror(errno));
}

static void
cleanup(void)
{
	static const char *const names[] = {
		"pw644", "pw640", "pw600", "nopw644", "bad", "target", "link",
		"huge", "gw", "ow", "ok", "postie/config",
		".config/postie/config", ".config/postie", ".config", "postie",
		"empty",
	};
	char path[512];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		if (unlink(path) == -1)
			rmdir(path);
	}
	if (rmdir(tmpdir) == -1)
		tap_diag("rmdir %s: %s", tmpdir, strerror(errno));
}

/* Issue 5's commands, and the account a sender picks (msmtp's rule). */
static void
test_drop_in_commands(void)
{
	static const char accts[] =
	    "defaults\nfrom fallback@example.org\n"
	    "account work\nfrom *@work.example\nhost w\n"
	    "account home\nfrom j?hn@HOME.example\nhost h\n"
	    "account any : work\nfrom *\nhost a\n"
	    "account nofrom\nfrom\nhost n\n";
	static const struct {
		const char *addr, *want;
	} cases[] = {
		{ "ann@work.example", "work" },
		{ "ANN@Work.Example", "work" },
		{ "john@home.example", "home" },
		{ "joohn@home.example", "any" },
		{ "x@elsewhere.example", "any" },
	};
	struct conf c;
	struct err e;
	const struct conf_account *a;
	size_t i;

	value_is("aliases /etc/aliases\n", NULL, CONF_ALIASES, "/etc/aliases",
	    "aliases FILE");
	parse_fails("aliases\n", F ":1: aliases: needs an argument");
	value_is("log_format json\n", NULL, CONF_LOG_FORMAT, "json",
	    "log_format json");
	value_is("log_format text\n", NULL, CONF_LOG_FORMAT, "text",
	    "log_format text");
	parse_fails("log_format xml\n",
	    F ":1: log_format: expected text or json, got 'xml'");
	value_is("allow_config_option on\n", NULL, CONF_ALLOW_CONFIG_OPTION,
	    "on", "allow_config_option on");

	if (parse(&c, accts, &e) != ERR_OK) {
		tap_ok(0, "accounts by sender: parse: %s", e.msg);
		return;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[128];

		a = conf_parse_find_from(&c, cases[i].addr);
		snprintf(name, sizeof(name), "account for %s", cases[i].addr);
		tap_is_str(a != NULL ? a->name : "(none)", cases[i].want, name);
	}
	conf_parse_free(&c);
	if (parse(&c, "account a\nfrom a@x\n", &e) == ERR_OK)
		tap_ok(conf_parse_find_from(&c, "b@x") == NULL,
		    "no account matches: NULL (the defaults are no match)");
	conf_parse_free(&c);
}

/* The queue's commands (issue 6); durations in seconds. */
static void
test_queue_commands(void)
{
	static const struct {
		const char *v;
		long long want;
	} ok[] = {
		{ "90", 90 }, { "30m", 1800 }, { "4h", 14400 }, { "5d", 432000 },
		{ "1h30m", 5400 }, { "2w", 1209600 }, { "0", 0 },
	};
	struct conf c;
	struct err e;
	char text[64];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "queue_lifetime %s\n", ok[i].v);
		if (parse(&c, text, &e) != ERR_OK)
			tap_ok(0, "queue_lifetime %s: %s", ok[i].v, e.msg);
		else
			tap_ok(conf_parse_seconds(conf_parse_find(&c, NULL),
			    CONF_QUEUE_LIFETIME, -1) == ok[i].want,
			    "queue_lifetime %s is %lld s", ok[i].v, ok[i].want);
		conf_parse_free(&c);
	}
	parse_fails("queue_retry_min 5x\n", F ":1: queue_retry_min: '5x' is "
	    "not a duration (such as 90, 30m, 4h or 5d)");
	parse_fails("queue_retry_max 400d\n", F ":1: queue_retry_max: '400d' "
	    "is not a duration (such as 90, 30m, 4h or 5d)");
	parse_fails("queue_lifetime\n", F ":1: queue_lifetime: needs an "
	    "argument");
	parse_fails("queue_dir\n", F ":1: queue_dir: needs an argument");
	value_is("queue off\n", NULL, CONF_QUEUE, "off", "queue off");
	if (parse(&c, "defaults\n", &e) == ERR_OK)
		tap_ok(conf_parse_seconds(conf_parse_find(&c, NULL),
		    CONF_QUEUE_LIFETIME, 432000) == 432000,
		    "queue_lifetime unset: the default");
	conf_parse_free(&c);
}

/* tls_policy: the syntax, and the level each domain gets. */
static void
test_tls_policy(void)
{
	static const struct {
		const char *value, *domain;
		enum conf_tls_policy want;
	} cases[] = {
		{ NULL, "example.org", CONF_TLS_POLICY_DANE },
		{ "may", "example.org", CONF_TLS_POLICY_MAY },
		{ "none", "example.org", CONF_TLS_POLICY_NONE },
		{ "encrypt", "example.org", CONF_TLS_POLICY_ENCRYPT },
		{ "verify", "example.org", CONF_TLS_POLICY_VERIFY },
		{ "dane-only", "example.org", CONF_TLS_POLICY_DANE_ONLY },
		{ "may dane", "example.org", CONF_TLS_POLICY_DANE },	/* last */
		{ "example.org=verify", "example.org", CONF_TLS_POLICY_VERIFY },
		{ "example.org=verify", "EXAMPLE.org", CONF_TLS_POLICY_VERIFY },
		{ "example.org=verify", "example.net", CONF_TLS_POLICY_DANE },
		{ "example.org=verify", "sub.example.org",
		    CONF_TLS_POLICY_DANE },
		{ "may .example.org=encrypt", "sub.example.org",
		    CONF_TLS_POLICY_ENCRYPT },
		{ "may .example.org=encrypt", "example.org",
		    CONF_TLS_POLICY_MAY },
		{ "may .example.org=encrypt", "badexample.org",
		    CONF_TLS_POLICY_MAY },
		{ "a.example=none a.example=verify", "a.example",
		    CONF_TLS_POLICY_NONE },			/* first wins */
		{ "  none\tb.example=dane-only  ", "b.example",
		    CONF_TLS_POLICY_DANE_ONLY },
		{ "  none\tb.example=dane-only  ", "c.example",
		    CONF_TLS_POLICY_NONE },
		{ "xn--bcher-kva.example=encrypt", "xn--bcher-kva.example",
		    CONF_TLS_POLICY_ENCRYPT },
	};
	static const char *const bad[] = {
		"tls_policy maybe\n", "tls_policy example.org=\n",
		"tls_policy =may\n", "tls_policy exa mple.org=may x\n",
		"tls_policy ex..ample=may\n", "tls_policy .=may\n",
		"tls_policy b\xc3\xbc" "cher.example=may\n",
		"tls_policy example.org=may=none\n", "tls_policy DANE\n",
	};
	struct conf c;
	struct err e;
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum conf_tls_policy got = conf_parse_tls_policy(
		    cases[i].value, cases[i].domain, CONF_TLS_POLICY_DANE);

		tap_ok(got == cases[i].want, "tls_policy '%s' for %s: %s (got "
		    "%s)", cases[i].value != NULL ? cases[i].value : "(unset)",
		    cases[i].domain, conf_parse_tls_policy_name(cases[i].want),
		    conf_parse_tls_policy_name(got));
		if (cases[i].value == NULL)
			continue;
		snprintf(text, sizeof(text), "tls_policy %s\n", cases[i].value);
		tap_ok(parse(&c, text, &e) == ERR_OK, "tls_policy '%s' parses",
		    cases[i].value);
		conf_parse_free(&c);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum err_kind rc = parse(&c, bad[i], &e);

		tap_ok(rc == ERR_CONFIG && strstr(e.msg, "tls_policy: expected "
		    "words LEVEL or DOMAIN=LEVEL") != NULL, "refused: %.*s (%s)",
		    (int)strlen(bad[i]) - 1, bad[i], e.msg);
		conf_parse_free(&c);
	}
	parse_fails("tls_policy\n", F ":1: tls_policy: needs an argument");
	tap_ok(strcmp(conf_parse_tls_policy_name(CONF_TLS_POLICY_DANE_ONLY),
	    "dane-only") == 0, "the name of dane-only");
}

int
main(void)
{
	const char *t = getenv("TMPDIR");

	test_commands();
	test_values();
	test_bad_values();
	test_commands_refused();
	test_tls_off();
	test_tls_keys();
	test_inheritance();
	test_parents();
	test_two_texts();
	test_syntax();
	test_limits();
	test_msmtprc();
	test_key_names();
	test_header_commands();
	test_drop_in_commands();
	test_queue_commands();
	test_tls_policy();

	snprintf(tmpdir, sizeof(tmpdir), "%s/t_conf.XXXXXX",
	    t != NULL && t[0] == '/' ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		tap_ok(0, "mkdtemp %s: %s", tmpdir, strerror(errno));
		return tap_done();
	}
	umask(022);
	test_load_files();
	test_load_special();
	test_load_user();
	test_load_default();
	test_password();
	test_password_sources();
	cleanup();
	return tap_done();
}
