/*
 * t_msglog: the per-message log line (deliver/msglog.h), text and JSON:
 * exact lines, escaping of hostile values, omitted fields and the cap.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/msglog.h"
#include "tap.h"
#include "util/utf8.h"

/* --- a small strict JSON checker (RFC 8259), for validity ------------ */

struct jp {
	const char *p, *end;
	int depth;
};

static int json_value(struct jp *j);

static void
json_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static int
json_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return 0;
	j->p += n;
	return 1;
}

static int
json_string(struct jp *j)
{
	uint32_t cp;
	size_t k;
	int i;

	if (!json_lit(j, "\""))
		return 0;
	while (j->p < j->end) {
		unsigned char c = (unsigned char)*j->p;

		if (c == '"') {
			j->p++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (++j->p >= j->end)
				return 0;
			if (*j->p == 'u') {
				for (i = 1; i <= 4; i++)
					if (j->p + i >= j->end ||
					    strchr("0123456789abcdefABCDEF",
					    j->p[i]) == NULL || j->p[i] == '\0')
						return 0;
				j->p += 5;
			} else if (*j->p != '\0' && strchr("\"\\/bfnrt",
			    *j->p) != NULL) {
				j->p++;
			} else {
				return 0;
			}
			continue;
		}
		if ((k = utf8_decode(j->p, (size_t)(j->end - j->p), &cp)) == 0)
			return 0;
		j->p += k;
	}
	return 0;
}

static int
json_digits(struct jp *j)
{
	const char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

static int
json_number(struct jp *j)
{
	json_lit(j, "-");
	if (json_lit(j, "0")) {
		if (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			return 0;
	} else if (!json_digits(j)) {
		return 0;
	}
	if (json_lit(j, ".") && !json_digits(j))
		return 0;
	if (json_lit(j, "e") || json_lit(j, "E")) {
		if (!json_lit(j, "+"))
			json_lit(j, "-");
		if (!json_digits(j))
			return 0;
	}
	return 1;
}

/* An object ('}') or an array (']'), its opening byte already taken. */
static int
json_members(struct jp *j, char close)
{
	json_ws(j);
	if (json_lit(j, close == '}' ? "}" : "]"))
		return 1;
	for (;;) {
		if (close == '}') {
			if (!json_string(j))
				return 0;
			json_ws(j);
			if (!json_lit(j, ":"))
				return 0;
		}
		if (!json_value(j))
			return 0;
		json_ws(j);
		if (json_lit(j, close == '}' ? "}" : "]"))
			return 1;
		if (!json_lit(j, ","))
			return 0;
		json_ws(j);
	}
}

static int
json_value(struct jp *j)
{
	int ok;

	json_ws(j);
	if (j->p >= j->end || ++j->depth > 64)
		return 0;
	if (json_lit(j, "{"))
		ok = json_members(j, '}');
	else if (json_lit(j, "["))
		ok = json_members(j, ']');
	else if (*j->p == '"')
		ok = json_string(j);
	else if (json_lit(j, "true") || json_lit(j, "false") ||
	    json_lit(j, "null"))
		ok = 1;
	else
		ok = json_number(j);
	j->depth--;
	return ok;
}

/* s is exactly one JSON object and nothing else. */
static int
json_valid_object(const char *s, size_t n)
{
	struct jp j = { s, s + n, 0 };

	if (n == 0 || s[0] != '{' || !json_value(&j))
		return 0;
	json_ws(&j);
	return j.p == j.end;
}

/* --- helpers ---------------------------------------------------------- */

/* Format m in f into a fresh buf of max bytes; the line, malloc'd. */
static char *
fmt(const struct deliver_msglog *m, enum deliver_msglog_format f,
    size_t max, enum err_kind *rc)
{
	struct buf out;
	struct err e;
	char *s;

	buf_init(&out, max);
	*rc = deliver_msglog_format(m, f, &out, &e);
	if ((s = strdup(buf_str(&out))) == NULL)
		abort();
	buf_free(&out);
	return s;
}

static void
is_line(const struct deliver_msglog *m, enum deliver_msglog_format f,
    const char *want, const char *name)
{
	enum err_kind rc;
	char *got = fmt(m, f, 1 << 20, &rc);

	tap_is_int(rc, ERR_OK, name);
	tap_is_str(got, want, name);
	if (f == DELIVER_MSGLOG_JSON)
		tap_ok(json_valid_object(got, strlen(got)), "%s: valid JSON",
		    name);
	else
		tap_ok(strchr(got, '\n') == NULL && strchr(got, '\r') == NULL,
		    "%s: one line", name);
	free(got);
}

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* --- exact lines ------------------------------------------------------ */

static void
test_sent(void)
{
	struct deliver_msglog_rcpt r[] = {
		{ "bob@example.net", "sent", "250 2.0.0 Ok: queued as 4Xyz" },
	};
	struct deliver_msglog m = {
		.msgid = "20240101.abc@host.example",
		.from = "alice@example.org",
		.rcpts = r, .nrcpt = 1,
		.relay = "mx.example.net [192.0.2.25]",
		.tls = "TLS1.3", .size = 1234, .duration_ms = 1523,
		.outcome = "sent",
	};

	is_line(&m, DELIVER_MSGLOG_TEXT,
	    "msgid=<20240101.abc@host.example> from=<alice@example.org> "
	    "size=1234 relay=\"mx.example.net [192.0.2.25]\" tls=TLS1.3 "
	    "delay=1.523 outcome=sent to=<bob@example.net> status=sent "
	    "reply=\"250 2.0.0 Ok: queued as 4Xyz\"", "text: sent");
	is_line(&m, DELIVER_MSGLOG_JSON,
	    "{\"msgid\":\"20240101.abc@host.example\","
	    "\"from\":\"alice@example.org\",\"size\":1234,"
	    "\"relay\":\"mx.example.net [192.0.2.25]\",\"tls\":\"TLS1.3\","
	    "\"delay\":1.523,\"outcome\":\"sent\",\"recipients\":["
	    "{\"to\":\"bob@example.net\",\"status\":\"sent\","
	    "\"reply\":\"250 2.0.0 Ok: queued as 4Xyz\"}]}", "json: sent");
}

static void
test_null_sender(void)
{
	struct deliver_msglog_rcpt r[] = { { "postmaster@example.net", "sent",
	    NULL } };
	struct deliver_msglog m = {
		.msgid = "q1", .from = "", .rcpts = r, .nrcpt = 1,
		.relay = "mx [192.0.2.1]", .size = 10, .duration_ms = 5,
		.outcome = "sent",
	};

	is_line(&m, DELIVER_MSGLOG_TEXT, "msgid=<q1> from=<> size=10 "
	    "relay=\"mx [192.0.2.1]\" delay=0.005 outcome=sent "
	    "to=<postmaster@example.net> status=sent", "text: null sender");
	is_line(&m, DELIVER_MSGLOG_JSON, "{\"msgid\":\"q1\",\"from\":\"\","
	    "\"size\":10,\"relay\":\"mx [192.0.2.1]\",\"delay\":0.005,"
	    "\"outcome\":\"sent\",\"recipients\":[{\"to\":"
	    "\"postmaster@example.net\",\"status\":\"sent\"}]}",
	    "json: null sender");
	m.from = NULL;
	is_line(&m, DELIVER_MSGLOG_TEXT, "msgid=<q1> from=<> size=10 "
	    "relay=\"mx [192.0.2.1]\" delay=0.005 outcome=sent "
	    "to=<postmaster@example.net> status=sent",
	    "text: NULL sender reads as null sender");
}

static void
test_partial(void)
{
	struct deliver_msglog_rcpt r[] = {
		{ "a@example.net", "sent", "250 2.1.5 Ok" },
		{ "nobody@example.net", "bounced",
		    "550 5.1.1 <nobody@example.net>: User unknown" },
	};
	struct deliver_msglog m = {
		.msgid = "id@x", .from = "me@x", .rcpts = r, .nrcpt = 2,
		.relay = "smtp.x [2001:db8::1]", .tls = "TLS1.2",
		.size = 99, .duration_ms = 61001, .outcome = "partial",
	};

	is_line(&m, DELIVER_MSGLOG_TEXT, "msgid=<id@x> from=<me@x> size=99 "
	    "relay=\"smtp.x [2001:db8::1]\" tls=TLS1.2 delay=61.001 "
	    "outcome=partial to=<a@example.net> status=sent "
	    "reply=\"250 2.1.5 Ok\" to=<nobody@example.net> status=bounced "
	    "reply=\"550 5.1.1 <nobody@example.net>: User unknown\"",
	    "text: partial, one bounced");
	is_line(&m, DELIVER_MSGLOG_JSON, "{\"msgid\":\"id@x\",\"from\":"
	    "\"me@x\",\"size\":99,\"relay\":\"smtp.x [2001:db8::1]\","
	    "\"tls\":\"TLS1.2\",\"delay\":61.001,\"outcome\":\"partial\","
	    "\"recipients\":[{\"to\":\"a@example.net\",\"status\":\"sent\","
	    "\"reply\":\"250 2.1.5 Ok\"},{\"to\":\"nobody@example.net\","
	    "\"status\":\"bounced\",\"reply\":\"550 5.1.1 "
	    "<nobody@example.net>: User unknown\"}]}",
	    "json: partial, one bounced");
}

/* Direct MX delivery adds tls_policy after tls. */
static void
test_tls_policy(void)
{
	struct deliver_msglog_rcpt r[] = {
		{ "a@example.net", "sent", "250 2.0.0 Ok" },
	};
	struct deliver_msglog m = {
		.from = "me@x", .rcpts = r, .nrcpt = 1,
		.relay = "mx.example.net [192.0.2.25]:25", .tls = "TLS1.3",
		.policy = "dane:dane", .size = 9, .duration_ms = 5,
		.outcome = "sent",
	};

	is_line(&m, DELIVER_MSGLOG_TEXT, "from=<me@x> size=9 "
	    "relay=\"mx.example.net [192.0.2.25]:25\" tls=TLS1.3 "
	    "tls_policy=dane:dane delay=0.005 outcome=sent to=<a@example.net> "
	    "status=sent reply=\"250 2.0.0 Ok\"", "text: tls_policy");
	is_line(&m, DELIVER_MSGLOG_JSON, "{\"from\":\"me@x\",\"size\":9,"
	    "\"relay\":\"mx.example.net [192.0.2.25]:25\",\"tls\":\"TLS1.3\","
	    "\"tls_policy\":\"dane:dane\",\"delay\":0.005,\"outcome\":"
	    "\"sent\",\"recipients\":[{\"to\":\"a@example.net\",\"status\":"
	    "\"sent\",\"reply\":\"250 2.0.0 Ok\"}]}", "json: tls_policy");
	m.policy = "may, dane:may";	/* two domains */
	m.tls = NULL;
	is_line(&m, DELIVER_MSGLOG_TEXT, "from=<me@x> size=9 "
	    "relay=\"mx.example.net [192.0.2.25]:25\" "
	    "tls_policy=\"may, dane:may\" delay=0.005 outcome=sent "
	    "to=<a@example.net> status=sent reply=\"250 2.0.0 Ok\"",
	    "text: tls_policy of two domains, quoted; no tls");
}

static void
test_session_failure(void)
{
	struct deliver_msglog_rcpt r[] = {
		{ "a@example.net", "deferred", "" },
		{ "b@example.net", "deferred", NULL },
	};
	struct deliver_msglog m = {
		.msgid = NULL, .from = "me@x", .rcpts = r, .nrcpt = 2,
		.relay = NULL, .tls = NULL, .size = 0, .duration_ms = 30000,
		.outcome = "deferred",
		.error = "connect to mx.example.net port 25: "
		    "Connection refused",
	};

	is_line(&m, DELIVER_MSGLOG_TEXT, "from=<me@x> size=0 relay=none "
	    "delay=30.000 outcome=deferred to=<a@example.net> status=deferred "
	    "to=<b@example.net> status=deferred error=\"connect to "
	    "mx.example.net port 25: Connection refused\"",
	    "text: session failure, relay=none, error last");
	is_line(&m, DELIVER_MSGLOG_JSON, "{\"from\":\"me@x\",\"size\":0,"
	    "\"delay\":30.000,\"outcome\":\"deferred\",\"recipients\":["
	    "{\"to\":\"a@example.net\",\"status\":\"deferred\"},"
	    "{\"to\":\"b@example.net\",\"status\":\"deferred\"}],"
	    "\"error\":\"connect to mx.example.net port 25: Connection "
	    "refused\"}", "json: session failure, absent keys left out");
}

static void
test_omitted(void)
{
	struct deliver_msglog m = {
		.msgid = "", .from = "me@x", .relay = "", .tls = "",
		.size = 1, .duration_ms = 0, .outcome = "failed", .error = "",
	};

	is_line(&m, DELIVER_MSGLOG_TEXT, "from=<me@x> size=1 relay=none "
	    "delay=0.000 outcome=failed", "text: empty fields left out");
	is_line(&m, DELIVER_MSGLOG_JSON, "{\"from\":\"me@x\",\"size\":1,"
	    "\"delay\":0.000,\"outcome\":\"failed\",\"recipients\":[]}",
	    "json: empty fields left out, recipients always there");
	m.duration_ms = -5;
	m.size = 18446744073709551615ULL;
	is_line(&m, DELIVER_MSGLOG_TEXT, "from=<me@x> "
	    "size=18446744073709551615 relay=none delay=0.000 outcome=failed",
	    "text: negative delay reads 0, largest size");
	m.outcome = NULL;
	m.duration_ms = 999;
	is_line(&m, DELIVER_MSGLOG_TEXT, "from=<me@x> "
	    "size=18446744073709551615 relay=none delay=0.999 outcome=\"\"",
	    "text: NULL outcome quoted empty");
	is_line(&m, DELIVER_MSGLOG_JSON, "{\"from\":\"me@x\","
	    "\"size\":18446744073709551615,\"delay\":0.999,\"outcome\":\"\","
	    "\"recipients\":[]}", "json: NULL outcome empty string");
}

/* --- escaping --------------------------------------------------------- */

static void
test_escape_controls(void)
{
	struct deliver_msglog_rcpt r[] = {
		{ "x@y", "bounced", "550 no\r\nto=<evil@x> status=sent"
		    "\t\x1b[31m\x7f\x01 end" },
	};
	struct deliver_msglog m = {
		.msgid = "a\nb", .from = "s\r@x", .rcpts = r, .nrcpt = 1,
		.relay = "h\x01", .tls = "T\bLS", .outcome = "bounced",
		.error = "e\f\x1f",
	};

	is_line(&m, DELIVER_MSGLOG_TEXT, "msgid=<a\\x0ab> from=<s\\x0d@x> "
	    "size=0 relay=\"h\\x01\" tls=\"T\\x08LS\" delay=0.000 "
	    "outcome=bounced to=<x@y> status=bounced "
	    "reply=\"550 no\\x0d\\x0ato=<evil@x> status=sent\\x09"
	    "\\x1b[31m\\x7f\\x01 end\" error=\"e\\x0c\\x1f\"",
	    "text: control bytes as \\xHH in every kind of value");
	is_line(&m, DELIVER_MSGLOG_JSON, "{\"msgid\":\"a\\nb\",\"from\":"
	    "\"s\\r@x\",\"size\":0,\"relay\":\"h\\u0001\",\"tls\":\"T\\bLS\","
	    "\"delay\":0.000,\"outcome\":\"bounced\",\"recipients\":[{\"to\":"
	    "\"x@y\",\"status\":\"bounced\",\"reply\":\"550 no\\r\\n"
	    "to=<evil@x> status=sent\\t\\u001b[31m\\u007f\\u0001 end\"}],"
	    "\"error\":\"e\\f\\u001f\"}",
	    "json: short escapes, other controls and DEL as \\u00XX");
}

static void
test_escape_forgery(void)
{
	struct deliver_msglog_rcpt r[] = {
		{ "evil@x> status=sent reply=\"ok", "bounced",
		    "x\" to=<v@x> status=sent \\\" \\x0a" },
		{ "\"a b\\c\"@x", "status with space", "q" },
	};
	struct deliver_msglog m = {
		.msgid = "<id>", .from = "f>@x", .rcpts = r, .nrcpt = 2,
		.relay = "r\"1", .tls = "a\\b", .outcome = "sent outcome=x",
		.error = "\"\\",
	};

	is_line(&m, DELIVER_MSGLOG_TEXT, "msgid=<<id\\x3e> from=<f\\x3e@x> "
	    "size=0 relay=\"r\\\"1\" tls=\"a\\\\b\" delay=0.000 "
	    "outcome=\"sent outcome=x\" "
	    "to=<evil@x\\x3e status=sent reply=\"ok> status=bounced "
	    "reply=\"x\\\" to=<v@x> status=sent \\\\\\\" \\\\x0a\" "
	    "to=<\"a b\\\\c\"@x> status=\"status with space\" reply=\"q\" "
	    "error=\"\\\"\\\\\"",
	    "text: '>' in <>, '\"' and '\\' in quotes, odd words quoted");
	is_line(&m, DELIVER_MSGLOG_JSON, "{\"msgid\":\"<id>\",\"from\":"
	    "\"f>@x\",\"size\":0,\"relay\":\"r\\\"1\",\"tls\":\"a\\\\b\","
	    "\"delay\":0.000,\"outcome\":\"sent outcome=x\",\"recipients\":["
	    "{\"to\":\"evil@x> status=sent reply=\\\"ok\",\"status\":"
	    "\"bounced\",\"reply\":\"x\\\" to=<v@x> status=sent \\\\\\\" "
	    "\\\\x0a\"},{\"to\":\"\\\"a b\\\\c\\\"@x\",\"status\":"
	    "\"status with space\",\"reply\":\"q\"}],\"error\":\"\\\"\\\\\"}",
	    "json: quote and backslash escaped, '>' as it is");
}

static void
test_escape_utf8(void)
{
	struct deliver_msglog_rcpt r[] = {
		/* valid: é, ✉, U+1F600 */
		{ "j\xc3\xb6rg@b\xc3\xbc" "cher.example", "sent",
		    "caf\xc3\xa9 \xe2\x9c\x89 \xf0\x9f\x98\x80" },
		/* invalid: a lone FF, a cut sequence, an overlong, a
		 * surrogate, a stray continuation */
		{ "bad\xff@x", "bounced",
		    "\xc3(\xc0\xaf\xed\xa0\x80\x80!\xe2\x9c" },
		/* C1 NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR */
		{ "c1@x", "sent", "a\xc2\x85" "b\xe2\x80\xa8" "c\xe2\x80\xa9" },
	};
	struct deliver_msglog m = {
		.from = "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b.example",
		.rcpts = r, .nrcpt = 3, .outcome = "partial",
	};

	is_line(&m, DELIVER_MSGLOG_TEXT, "from=<\xe7\x94\xa8\xe6\x88\xb7@"
	    "\xe4\xbe\x8b.example> size=0 relay=none delay=0.000 "
	    "outcome=partial to=<j\xc3\xb6rg@b\xc3\xbc" "cher.example> "
	    "status=sent reply=\"caf\xc3\xa9 \xe2\x9c\x89 \xf0\x9f\x98\x80\" "
	    "to=<bad\\xff@x> status=bounced reply=\"\\xc3(\\xc0\\xaf\\xed"
	    "\\xa0\\x80\\x80!\\xe2\\x9c\" to=<c1@x> status=sent "
	    "reply=\"a\\xc2\\x85" "b\\xe2\\x80\\xa8" "c\\xe2\\x80\\xa9\"",
	    "text: UTF-8 as it is, invalid bytes and line breaks as \\xHH");
	is_line(&m, DELIVER_MSGLOG_JSON, "{\"from\":\"\xe7\x94\xa8\xe6\x88"
	    "\xb7@\xe4\xbe\x8b.example\",\"size\":0,\"delay\":0.000,"
	    "\"outcome\":\"partial\",\"recipients\":[{\"to\":\"j\xc3\xb6rg@b"
	    "\xc3\xbc" "cher.example\",\"status\":\"sent\",\"reply\":\"caf"
	    "\xc3\xa9 \xe2\x9c\x89 \xf0\x9f\x98\x80\"},{\"to\":"
	    "\"bad\\ufffd@x\",\"status\":\"bounced\",\"reply\":\"\\ufffd("
	    "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd!\\ufffd\\ufffd\"},"
	    "{\"to\":\"c1@x\",\"status\":\"sent\",\"reply\":\"a\\u0085"
	    "b\\u2028" "c\\u2029\"}]}",
	    "json: UTF-8 as it is, each invalid byte U+FFFD, line breaks "
	    "\\uXXXX");
}

static void
test_value_cut(void)
{
	struct deliver_msglog_rcpt r[1] = { { "a@x", "bounced", NULL } };
	struct deliver_msglog m = {
		.from = "f@x", .rcpts = r, .nrcpt = 1, .outcome = "bounced",
	};
	struct buf want;
	enum err_kind rc;
	char *reply, *got;
	size_t n;

	/* 999 'x' then 'é' across the cut, then more. */
	reply = tap_repeat("", "x", DELIVER_MSGLOG_VALUE_MAX - 1,
	    "\xc3\xa9yyyy", &n);
	r[0].reply = reply;
	buf_init(&want, 1 << 20);
	buf_append_str(&want, "from=<f@x> size=0 relay=none delay=0.000 "
	    "outcome=bounced to=<a@x> status=bounced reply=\"");
	buf_append(&want, reply, DELIVER_MSGLOG_VALUE_MAX - 1);
	buf_append_str(&want, "...\"");
	got = fmt(&m, DELIVER_MSGLOG_TEXT, 1 << 20, &rc);
	tap_is_int(rc, ERR_OK, "long value: ok");
	tap_is_str(got, buf_str(&want),
	    "long value: cut before a character that straddles the cut");
	free(got);
	free(reply);

	/* Exactly the maximum: not cut. */
	reply = tap_repeat("", "z", DELIVER_MSGLOG_VALUE_MAX, "", &n);
	r[0].reply = reply;
	got = fmt(&m, DELIVER_MSGLOG_JSON, 1 << 20, &rc);
	tap_ok(strstr(got, reply) != NULL && strstr(got, "...") == NULL,
	    "value of exactly DELIVER_MSGLOG_VALUE_MAX bytes: whole");
	free(got);
	free(reply);

	/* Worst case everywhere: every value 5000 invalid bytes. */
	reply = tap_repeat("", "\xff", 5000, "", &n);
	m.msgid = m.from = m.relay = m.tls = m.outcome = m.error = reply;
	r[0].addr = r[0].status = r[0].reply = reply;
	got = fmt(&m, DELIVER_MSGLOG_JSON, 1 << 20, &rc);
	tap_is_int(rc, ERR_OK, "hostile values everywhere: ok");
	tap_ok(strlen(got) <= DELIVER_MSGLOG_MAX &&
	    json_valid_object(got, strlen(got)) &&
	    count(got, "\\ufffd...\"") == 9,
	    "hostile values everywhere: each cut, line valid and capped "
	    "(%zu bytes)", strlen(got));
	free(got);
	free(reply);
	buf_free(&want);
}

/* --- the cap ---------------------------------------------------------- */

static void
check_many(enum deliver_msglog_format f, const char *error)
{
	const size_t n = 100000;
	struct deliver_msglog_rcpt *r;
	struct deliver_msglog m = {
		.msgid = "big@x", .from = "f@x", .relay = "mx [192.0.2.1]",
		.tls = "TLS1.3", .size = 5, .duration_ms = 1,
		.outcome = "partial", .error = error,
	};
	char (*addrs)[32], tailbuf[128], name[64];
	size_t i, listed, len;
	enum err_kind rc;
	char *got;
	int json = f == DELIVER_MSGLOG_JSON;

	snprintf(name, sizeof(name), "%s, 100000 recipients%s",
	    json ? "json" : "text", error != NULL ? ", error" : "");
	if ((r = calloc(n, sizeof(*r))) == NULL ||
	    (addrs = calloc(n, sizeof(*addrs))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "user%zu@example.net", i);
		r[i].addr = addrs[i];
		r[i].status = i % 3 ? "sent" : "bounced";
		r[i].reply = i % 3 ? "250 2.1.5 Ok" : "550 5.1.1 no such user";
	}
	m.rcpts = r;
	m.nrcpt = n;
	got = fmt(&m, f, SIZE_MAX, &rc);
	len = strlen(got);
	listed = count(got, json ? "{\"to\":" : " to=<");
	tap_is_int(rc, ERR_OK, name);
	tap_ok(len <= DELIVER_MSGLOG_MAX && len > DELIVER_MSGLOG_MAX - 200,
	    "%s: line capped, and filled (%zu bytes)", name, len);
	tap_ok(listed > 100 && listed < n, "%s: %zu listed", name, listed);
	snprintf(addrs[0], sizeof(addrs[0]), json ? "user%zu@example.net\"" :
	    "user%zu@example.net>", listed - 1);
	tap_ok(strstr(got, addrs[0]) != NULL, "%s: listed in order", name);
	if (json)
		snprintf(tailbuf, sizeof(tailbuf), "}],\"more\":%zu%s%s%s}",
		    n - listed, error ? ",\"error\":\"" : "",
		    error ? error : "", error ? "\"" : "");
	else
		snprintf(tailbuf, sizeof(tailbuf), " more=%zu%s%s%s",
		    n - listed, error ? " error=\"" : "", error ? error : "",
		    error ? "\"" : "");
	tap_ok(len > strlen(tailbuf) &&
	    strcmp(got + len - strlen(tailbuf), tailbuf) == 0,
	    "%s: ends in more=%zu%s", name, n - listed,
	    error ? " then the error" : "");
	if (json)
		tap_ok(json_valid_object(got, len), "%s: valid JSON", name);
	free(got);
	free(addrs);
	free(r);
}

/* Three recipients into out with exactly max bytes of room. */
static char *
three(size_t max, enum deliver_msglog_format f, enum err_kind *rc)
{
	static const struct deliver_msglog_rcpt r[] = {
		{ "a@x", "sent", NULL }, { "b@x", "sent", NULL },
		{ "c@x", "sent", NULL },
	};
	struct deliver_msglog m = {
		.from = "f@x", .rcpts = r, .nrcpt = 3, .outcome = "sent",
	};

	return fmt(&m, f, max, rc);
}

static void
test_cap_edges(void)
{
	const char *full = "from=<f@x> size=0 relay=none delay=0.000 "
	    "outcome=sent to=<a@x> status=sent to=<b@x> status=sent "
	    "to=<c@x> status=sent";
	const char *jfull = "{\"from\":\"f@x\",\"size\":0,\"delay\":0.000,"
	    "\"outcome\":\"sent\",\"recipients\":[{\"to\":\"a@x\",\"status\":"
	    "\"sent\"},{\"to\":\"b@x\",\"status\":\"sent\"},{\"to\":\"c@x\","
	    "\"status\":\"sent\"}]}";
	enum err_kind rc;
	char *got;

	got = three(strlen(full), DELIVER_MSGLOG_TEXT, &rc);
	tap_is_str(got, full, "text: exactly the room: every recipient");
	free(got);
	got = three(strlen(full) - 1, DELIVER_MSGLOG_TEXT, &rc);
	tap_is_str(got, "from=<f@x> size=0 relay=none delay=0.000 "
	    "outcome=sent to=<a@x> status=sent more=2",
	    "text: a byte less: the rest counted, room for more= kept");
	free(got);
	got = three(strlen(jfull), DELIVER_MSGLOG_JSON, &rc);
	tap_is_str(got, jfull, "json: exactly the room: every recipient");
	free(got);
	got = three(strlen(jfull) - 1, DELIVER_MSGLOG_JSON, &rc);
	tap_is_str(got, "{\"from\":\"f@x\",\"size\":0,\"delay\":0.000,"
	    "\"outcome\":\"sent\",\"recipients\":[{\"to\":\"a@x\",\"status\":"
	    "\"sent\"},{\"to\":\"b@x\",\"status\":\"sent\"}],\"more\":1}",
	    "json: a byte less: \"more\":1");
	tap_ok(strlen(got) < strlen(jfull), "json: within the room");
	free(got);
	got = three(82, DELIVER_MSGLOG_TEXT, &rc);
	tap_is_str(got, "from=<f@x> size=0 relay=none delay=0.000 "
	    "outcome=sent more=3", "text: no recipient fits: more=3");
	tap_ok(strlen(got) <= 82, "text: within the room");
	free(got);
	got = three(60, DELIVER_MSGLOG_TEXT, &rc);
	tap_is_int(rc, ERR_OS, "no room for the line without recipients: "
	    "ERR_OS");
	tap_is_str(got, "", "no room: nothing appended");
	free(got);
}

static void
test_append(void)
{
	struct deliver_msglog m = { .from = "f@x", .outcome = "sent" };
	struct buf out;
	struct err e;

	buf_init(&out, 1024);
	buf_append_str(&out, "postie: ");
	tap_is_int(deliver_msglog_format(&m, DELIVER_MSGLOG_TEXT, &out, &e),
	    ERR_OK, "append after existing text");
	tap_is_str(buf_str(&out), "postie: from=<f@x> size=0 relay=none "
	    "delay=0.000 outcome=sent", "existing text kept, line appended");
	buf_free(&out);

	buf_init(&out, 20);
	buf_append_str(&out, "keep");
	tap_is_int(deliver_msglog_format(&m, DELIVER_MSGLOG_JSON, &out, &e),
	    ERR_OS, "out too small: ERR_OS");
	tap_ok(strstr(e.msg, "message log line") != NULL, "error says why: %s",
	    e.msg);
	tap_is_str(buf_str(&out), "keep", "out too small: out unchanged");
	buf_free(&out);
}

int
main(void)
{
	test_sent();
	test_null_sender();
	test_partial();
	test_tls_policy();
	test_session_failure();
	test_omitted();
	test_escape_controls();
	test_escape_forgery();
	test_escape_utf8();
	test_value_cut();
	check_many(DELIVER_MSGLOG_TEXT, NULL);
	check_many(DELIVER_MSGLOG_TEXT, "lost connection");
	check_many(DELIVER_MSGLOG_JSON, NULL);
	check_many(DELIVER_MSGLOG_JSON, "lost connection");
	test_cap_edges();
	test_append();
	return tap_done();
}
