/*
 * t_queue_env: the queue entry's envelope file (queue/env): ids, round
 * trips with hostile values, the exact text, every malformed form, and a
 * valid file cut at every byte.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/env.h"
#include "tap.h"

#define ID "0123456789abcdefghij"

/* A valid file with every key; "X" lines are inserted by fails_with(). */
#define HEAD "postie-queue 1\nid " ID "\ncreated 1700000000\nattempts 0\n" \
	"next 1700000300\nlast 0\n"
#define FROM "from a@b.test\n"
#define END "end\n"

static bool
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Every field of a and b equal. */
static bool
env_equal(const struct queue_env *a, const struct queue_env *b)
{
	size_t i;

	if (strcmp(a->id, b->id) != 0 || a->created != b->created ||
	    a->next != b->next || a->last != b->last ||
	    a->attempts != b->attempts || !same_str(a->account, b->account) ||
	    !same_str(a->from, b->from) || !same_str(a->ret, b->ret) ||
	    !same_str(a->envid, b->envid) || !same_str(a->notify, b->notify) ||
	    !same_str(a->body, b->body) || a->smtputf8 != b->smtputf8 ||
	    a->bounce != b->bounce || a->nrcpt != b->nrcpt)
		return false;
	for (i = 0; i < a->nrcpt; i++)
		if (strcmp(a->rcpts[i].addr, b->rcpts[i].addr) != 0 ||
		    strcmp(a->rcpts[i].reply, b->rcpts[i].reply) != 0 ||
		    a->rcpts[i].state != b->rcpts[i].state)
			return false;
	return true;
}

/* Format env, parse it back, compare; format again, same text. */
static void
round_trip(const struct queue_env *env, const char *name)
{
	struct buf t1, t2;
	struct queue_env back;
	struct err e;
	enum err_kind rc;

	buf_init(&t1, QUEUE_ENV_FILE_MAX);
	buf_init(&t2, QUEUE_ENV_FILE_MAX);
	queue_env_init(&back);
	rc = queue_env_format(env, &t1, &e);
	if (!tap_ok(rc == ERR_OK, "%s: formats", name))
		tap_diag("  %s", e.msg);
	rc = queue_env_parse(t1.data, t1.len, &back, &e);
	if (!tap_ok(rc == ERR_OK, "%s: parses back", name))
		tap_diag("  %s", e.msg);
	tap_ok(env_equal(env, &back), "%s: same fields", name);
	if (queue_env_format(&back, &t2, &e) != ERR_OK)
		tap_diag("  %s", e.msg);
	tap_ok(t1.len == t2.len && memcmp(t1.data, t2.data, t1.len) == 0,
	    "%s: same text again", name);
	queue_env_free(&back);
	buf_free(&t1);
	buf_free(&t2);
}

static void
must(enum err_kind rc, const struct err *e)
{
	if (rc != ERR_OK) {
		tap_diag("setup failed: %s", e->msg);
		abort();
	}
}

/* A small env: id ID, sender a@b.test, no recipients. */
static void
small_env(struct queue_env *env)
{
	struct err e;

	queue_env_init(env);
	memcpy(env->id, ID, sizeof(ID));
	env->created = 1700000000;
	env->next = 1700000300;
	must(queue_env_set(env, QUEUE_ENV_FROM, "a@b.test", &e), &e);
}

static void
test_ids(void)
{
	unsigned char zero[8] = { 0 }, ones[8], rnd[8] = { 1, 2, 3, 4, 5, 6,
	    7, 8 };
	char a[QUEUE_ID_MAX + 1], b[QUEUE_ID_MAX + 1];
	long long t;
	bool sorted = true, valid = true;

	memset(ones, 0xff, sizeof(ones));
	queue_env_make_id(0, zero, a);
	tap_is_str(a, "00000000000000000000", "id of time 0, zero bytes");
	queue_env_make_id((1LL << 35) - 1, ones, a);
	tap_is_str(a, "vvvvvvvvvvvvvvvvvvvu", "id of the largest time, all "
	    "ones (last character carries 4 bits)");
	queue_env_make_id(-5, zero, b);
	tap_is_str(b, "00000000000000000000", "negative time clamps to 0");
	queue_env_make_id(1LL << 40, zero, b);
	tap_is_str(b, "vvvvvvv0000000000000", "time past 2^35 clamps");
	queue_env_make_id(1700000000, rnd, a);
	tap_is_str(a, "1il7s80041061050o3gg", "id of a real time");
	for (t = 1700000000; t < 1700000000 + 5000; t += 7) {
		queue_env_make_id(t, ones, a);
		queue_env_make_id(t + 1, zero, b);
		sorted &= strcmp(a, b) < 0;
		valid &= queue_env_valid_id(a) && queue_env_valid_id(b);
	}
	tap_ok(sorted, "ids sort by creation time whatever the random part");
	tap_ok(valid, "made ids are valid");

	tap_ok(queue_env_valid_id("0123456789abcdef"), "16 characters valid");
	tap_ok(queue_env_valid_id(ID), "20 characters valid");
	tap_ok(!queue_env_valid_id("0123456789abcde"), "15 too short");
	tap_ok(!queue_env_valid_id(ID "k"), "21 too long");
	tap_ok(!queue_env_valid_id(""), "empty");
	tap_ok(!queue_env_valid_id(NULL), "NULL");
	tap_ok(!queue_env_valid_id("0123456789ABCDEF"), "upper case");
	tap_ok(!queue_env_valid_id("../../../etc/passwd"), "path");
	tap_ok(!queue_env_valid_id("0123456789abcdef/"), "slash");
	tap_ok(!queue_env_valid_id("0123456789abcdef.env"), "with .env");
	tap_ok(!queue_env_valid_id("0123456789abcde-"), "dash");
	tap_ok(!queue_env_valid_id("0123456789abcde\xc3\xa9"), "8-bit");
}

static void
test_round_trips(void)
{
	char reply[QUEUE_ENV_REPLY_MAX + 1], addr[QUEUE_ENV_ADDR_MAX + 1];
	char all[256];
	struct queue_env env;
	struct err e;
	size_t i;

	small_env(&env);
	round_trip(&env, "minimal, no recipients");
	tap_is_int((long long)queue_env_pending(&env), 0, "none pending");

	must(queue_env_set(&env, QUEUE_ENV_FROM, "", &e), &e);
	round_trip(&env, "null sender");
	must(queue_env_set(&env, QUEUE_ENV_FROM, "<>", &e), &e);
	round_trip(&env, "sender literally <>");
	must(queue_env_set(&env, QUEUE_ENV_FROM, "<a@b>", &e), &e);
	round_trip(&env, "sender starting with <");
	must(queue_env_set(&env, QUEUE_ENV_FROM, "\"a b%\"@\xc3\xbc.test",
	    &e), &e);
	env.attempts = UINT_MAX;
	env.created = LLONG_MAX;
	env.next = 0;
	env.last = 1;
	round_trip(&env, "quoted sender with blank, %, UTF-8; extreme numbers");

	/* Every byte but NUL, in each string field. */
	for (i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	must(queue_env_set(&env, QUEUE_ENV_ACCOUNT, all, &e), &e);
	must(queue_env_set(&env, QUEUE_ENV_ENVID, all, &e), &e);
	must(queue_env_set(&env, QUEUE_ENV_NOTIFY, "SUCCESS,FAILURE", &e), &e);
	must(queue_env_set(&env, QUEUE_ENV_RET, "HDRS", &e), &e);
	must(queue_env_set(&env, QUEUE_ENV_BODY, "8BITMIME", &e), &e);
	env.smtputf8 = env.bounce = true;
	must(queue_env_add_rcpt(&env, all, QUEUE_RCPT_PENDING, all, &e), &e);
	must(queue_env_add_rcpt(&env, "b@x.test", QUEUE_RCPT_SENT,
	    "250 2.0.0 OK\r\n", &e), &e);
	must(queue_env_add_rcpt(&env, "\xe6\x97\xa5\xe6\x9c\xac@\xe4\xbe"
	    "\x8b.test", QUEUE_RCPT_FAILED, NULL, &e), &e);
	must(queue_env_add_rcpt(&env, "<", QUEUE_RCPT_PENDING, "<>", &e), &e);
	round_trip(&env, "every byte in account, envid, address, reply");
	tap_is_int((long long)queue_env_pending(&env), 2, "two pending");

	memset(reply, '%', QUEUE_ENV_REPLY_MAX);
	reply[QUEUE_ENV_REPLY_MAX] = '\0';
	memset(addr, ' ', QUEUE_ENV_ADDR_MAX);
	addr[QUEUE_ENV_ADDR_MAX] = '\0';
	must(queue_env_add_rcpt(&env, addr, QUEUE_RCPT_PENDING, reply, &e),
	    &e);
	must(queue_env_set(&env, QUEUE_ENV_FROM, addr, &e), &e);
	round_trip(&env, "longest address and reply, all escaped");

	must(queue_env_set(&env, QUEUE_ENV_ACCOUNT, NULL, &e), &e);
	must(queue_env_set(&env, QUEUE_ENV_RET, NULL, &e), &e);
	must(queue_env_set(&env, QUEUE_ENV_ENVID, "", &e), &e);
	must(queue_env_set_rcpt(&env, 0, QUEUE_RCPT_SENT, "", &e), &e);
	env.smtputf8 = false;
	round_trip(&env, "optional fields removed, empty envid");
	tap_is_int((long long)queue_env_pending(&env), 2, "two pending");
	queue_env_free(&env);
}

static void
test_many(void)
{
	struct queue_env env;
	struct buf text;
	struct err e;
	char addr[64];
	size_t i;
	bool ok = true;

	small_env(&env);
	for (i = 0; i < QUEUE_ENV_RCPT_MAX && ok; i++) {
		snprintf(addr, sizeof(addr), "user%zu@example.test", i);
		ok = queue_env_add_rcpt(&env, addr, (enum queue_rcpt_state)(i %
		    3), i % 2 ? "451 4.3.0 try again" : NULL, &e) == ERR_OK;
	}
	tap_ok(ok, "%d recipients added", QUEUE_ENV_RCPT_MAX);
	round_trip(&env, "100000 recipients");
	tap_is_int(queue_env_add_rcpt(&env, "one@more", QUEUE_RCPT_PENDING,
	    NULL, &e), ERR_DATA, "recipient 100001 refused");
	tap_is_str(e.msg, "more than 100000 recipients", "... saying so");

	/* The same, written by hand: 100001 rcpt lines. */
	buf_init(&text, QUEUE_ENV_FILE_MAX);
	buf_append_str(&text, HEAD FROM);
	for (i = 0; i <= QUEUE_ENV_RCPT_MAX; i++)
		buf_append_str(&text, "rcpt pending x@y <>\n");
	buf_append_str(&text, END);
	tap_is_int(queue_env_parse(text.data, text.len, &env, &e), ERR_DATA,
	    "a file with 100001 recipients is refused");
	tap_is_str(e.msg, "queue entry: line 100008: too many recipients",
	    "... at the line");
	tap_is_int((long long)env.nrcpt, 0, "... leaving env empty");
	buf_free(&text);
	queue_env_free(&env);
}

static void
test_text(void)
{
	static const char want[] =
	    "postie-queue 1\n"
	    "id " ID "\n"
	    "created 1700000000\n"
	    "attempts 2\n"
	    "next 1700000300\n"
	    "last 1699999999\n"
	    "account my%20work%25\n"
	    "from <>\n"
	    "ret FULL\n"
	    "envid %3Cid>\n"
	    "notify NEVER\n"
	    "body 7BIT\n"
	    "smtputf8\n"
	    "bounce\n"
	    "rcpt pending bob@x.test <>\n"
	    "rcpt failed %3Ccarol@x.test> 550%205.1.1%20no%0D%0Ahere\n"
	    "rcpt sent d@\xc3\xa9.test 250%20ok%7F\n"
	    "end\n";
	struct queue_env env;
	struct buf text;
	struct err e;

	small_env(&env);
	env.attempts = 2;
	env.last = 1699999999;
	must(queue_env_set(&env, QUEUE_ENV_ACCOUNT, "my work%", &e), &e);
	must(queue_env_set(&env, QUEUE_ENV_FROM, "", &e), &e);
	must(queue_env_set(&env, QUEUE_ENV_RET, "FULL", &e), &e);
	must(queue_env_set(&env, QUEUE_ENV_ENVID, "<id>", &e), &e);
	must(queue_env_set(&env, QUEUE_ENV_NOTIFY, "NEVER", &e), &e);
	must(queue_env_set(&env, QUEUE_ENV_BODY, "7BIT", &e), &e);
	env.smtputf8 = env.bounce = true;
	must(queue_env_add_rcpt(&env, "bob@x.test", QUEUE_RCPT_PENDING, "",
	    &e), &e);
	must(queue_env_add_rcpt(&env, "<carol@x.test>", QUEUE_RCPT_FAILED,
	    "550 5.1.1 no\r\nhere", &e), &e);
	must(queue_env_add_rcpt(&env, "d@\xc3\xa9.test", QUEUE_RCPT_SENT,
	    "250 ok\x7f", &e), &e);
	buf_init(&text, QUEUE_ENV_FILE_MAX);
	buf_append_str(&text, "keep: ");
	tap_is_int(queue_env_format(&env, &text, &e), ERR_OK, "format");
	tap_is_mem(text.data + 6, text.len - 6, want, sizeof(want) - 1,
	    "the exact text");
	tap_is_mem(text.data, 6, "keep: ", 6, "format appends to out");

	/* A buffer too small: ERR_DATA, out as it was. */
	buf_free(&text);
	buf_init(&text, 100);
	buf_append_str(&text, "abc");
	tap_is_int(queue_env_format(&env, &text, &e), ERR_DATA,
	    "a buffer too small: ERR_DATA");
	tap_is_str(buf_str(&text), "abc", "... out unchanged");
	buf_free(&text);

	buf_init(&text, QUEUE_ENV_FILE_MAX);
	env.id[0] = '\0';
	tap_is_int(queue_env_format(&env, &text, &e), ERR_SOFTWARE,
	    "no id: ERR_SOFTWARE");
	memcpy(env.id, "../etc/passwd", 14);
	tap_is_int(queue_env_format(&env, &text, &e), ERR_SOFTWARE,
	    "bad id: ERR_SOFTWARE");
	memcpy(env.id, ID, sizeof(ID));
	must(queue_env_set(&env, QUEUE_ENV_FROM, NULL, &e), &e);
	tap_is_int(queue_env_format(&env, &text, &e), ERR_SOFTWARE,
	    "no sender: ERR_SOFTWARE");
	must(queue_env_set(&env, QUEUE_ENV_FROM, "", &e), &e);
	env.next = -1;
	tap_is_int(queue_env_format(&env, &text, &e), ERR_SOFTWARE,
	    "negative time: ERR_SOFTWARE");
	tap_is_int((long long)text.len, 0, "nothing written by refusals");
	buf_free(&text);
	queue_env_free(&env);
}

static void
test_setters(void)
{
	char big[QUEUE_ENV_VALUE_MAX + 2];
	struct queue_env env;
	struct err e;

	small_env(&env);
	tap_is_int(queue_env_set(&env, QUEUE_ENV_RET, "full", &e), ERR_DATA,
	    "ret full (lower case) refused");
	tap_is_int(queue_env_set(&env, QUEUE_ENV_RET, "HDRS ", &e), ERR_DATA,
	    "ret with a blank refused");
	tap_is_int(queue_env_set(&env, QUEUE_ENV_BODY, "BINARYMIME", &e),
	    ERR_DATA, "body BINARYMIME refused");
	tap_ok(env.ret == NULL && env.body == NULL, "... nothing set");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tap_is_int(queue_env_set(&env, QUEUE_ENV_ACCOUNT, big, &e), ERR_DATA,
	    "account of 1001 bytes refused");
	big[QUEUE_ENV_VALUE_MAX] = '\0';
	tap_is_int(queue_env_set(&env, QUEUE_ENV_ACCOUNT, big, &e), ERR_OK,
	    "account of 1000 bytes taken");
	big[QUEUE_ENV_ADDR_MAX + 1] = '\0';
	tap_is_int(queue_env_set(&env, QUEUE_ENV_FROM, big, &e), ERR_DATA,
	    "sender of 999 bytes refused");
	tap_is_str(env.from, "a@b.test", "... sender unchanged");
	tap_is_int(queue_env_add_rcpt(&env, big, QUEUE_RCPT_PENDING, NULL, &e),
	    ERR_DATA, "recipient of 999 bytes refused");
	tap_is_int(queue_env_add_rcpt(&env, "", QUEUE_RCPT_PENDING, NULL, &e),
	    ERR_DATA, "empty recipient refused");
	big[QUEUE_ENV_REPLY_MAX + 1] = '\0';
	tap_is_int(queue_env_add_rcpt(&env, "a@b", QUEUE_RCPT_PENDING, big,
	    &e), ERR_DATA, "reply of 513 bytes refused");
	tap_is_int(queue_env_add_rcpt(&env, "a@b", (enum queue_rcpt_state)7,
	    NULL, &e), ERR_DATA, "bad state refused");
	tap_is_int((long long)env.nrcpt, 0, "... no recipient added");
	tap_is_int(queue_env_set_rcpt(&env, 0, QUEUE_RCPT_SENT, NULL, &e),
	    ERR_SOFTWARE, "set_rcpt out of range");
	tap_is_int(queue_env_set(&env, (enum queue_env_field)42, "x", &e),
	    ERR_SOFTWARE, "bad field");
	tap_is_str(queue_env_state_name(QUEUE_RCPT_FAILED), "failed",
	    "state name");
	tap_is_str(queue_env_state_name((enum queue_rcpt_state)9), "?",
	    "bad state name");
	queue_env_free(&env);
	queue_env_free(NULL);
	tap_ok(1, "queue_env_free(NULL) is a no-op");
}

/* text[0..len) (an exact-size copy, for ASan) must fail with msg. */
static void
fails_mem(const char *text, size_t len, const char *msg, const char *name)
{
	struct queue_env env;
	struct err e;
	enum err_kind rc;
	char *copy = malloc(len ? len : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, text, len);
	queue_env_init(&env);
	rc = queue_env_parse(copy, len, &env, &e);
	if (!tap_ok(rc == ERR_DATA && strcmp(e.msg, msg) == 0 &&
	    env.from == NULL && env.nrcpt == 0 && env.id[0] == '\0', "%s",
	    name))
		tap_diag("  got kind %d, '%s', want '%s'", rc, e.msg, msg);
	queue_env_free(&env);
	free(copy);
}

static void
fails(const char *text, const char *msg, const char *name)
{
	fails_mem(text, strlen(text), msg, name);
}

/* HEAD FROM, then line, then END: line 8 is the line under test. */
static void
fails_line(const char *line, const char *why, const char *name)
{
	char text[4096], msg[256];

	snprintf(text, sizeof(text), HEAD FROM "%s\n" END, line);
	snprintf(msg, sizeof(msg), "queue entry: line 8: %s", why);
	fails(text, msg, name);
}

static void
parses(const char *text, const char *name)
{
	struct queue_env env;
	struct err e;
	enum err_kind rc;

	queue_env_init(&env);
	rc = queue_env_parse(text, strlen(text), &env, &e);
	if (!tap_ok(rc == ERR_OK, "%s", name))
		tap_diag("  %s", e.msg);
	queue_env_free(&env);
}

static void
test_malformed(void)
{
	static const char nul[] = HEAD "from a\0b\n" END;

	parses(HEAD FROM END, "the minimal file parses");
	parses("postie-queue 1\nfrom <>\nlast 0\nnext 0\nattempts 0\n"
	    "created 0\nid " ID "\nend\n", "keys in any order");
	fails("", "queue entry: line 1: cut short (no end line)", "empty");
	fails("postie-queue 1", "queue entry: line 1: cut short (no end "
	    "line)", "version line without LF");
	fails("postie-queue 2\n" "id " ID "\n" END, "queue entry: line 1: "
	    "unsupported version", "version 2");
	fails("postie-queue 01\n" END, "queue entry: line 1: unsupported "
	    "version", "version 01");
	fails("postie-queue \n" END, "queue entry: line 1: not a postie "
	    "queue file", "no version");
	fails("postie-queue\n" END, "queue entry: line 1: not a postie queue "
	    "file", "no version, no blank");
	fails("From alice Mon Jan 1\n" END, "queue entry: line 1: not a "
	    "postie queue file", "an mbox");
	fails(HEAD FROM, "queue entry: line 8: cut short (no end line)",
	    "no end line");
	fails(HEAD FROM "end", "queue entry: line 8: cut short (no end line)",
	    "end without LF");
	fails(HEAD FROM END "\n", "queue entry: line 9: data after the end "
	    "line", "a blank line after end");
	fails(HEAD FROM END END, "queue entry: line 9: data after the end "
	    "line", "end twice");
	fails(HEAD END, "queue entry: line 7: a required key is missing",
	    "no sender");
	fails("postie-queue 1\nid " ID "\ncreated 0\nattempts 0\nnext 0\n"
	    FROM END, "queue entry: line 7: a required key is missing",
	    "no last");
	fails("postie-queue 1\n" FROM END, "queue entry: line 3: a required "
	    "key is missing", "no id");
	fails_mem(nul, sizeof(nul) - 1, "queue entry: line 7: control byte "
	    "in a value", "raw NUL byte");
	fails("postie-queue 1\r\n" END, "queue entry: line 1: unsupported "
	    "version", "CRLF version line");
	fails_line("bounce\r", "unknown key", "CRLF line");

	fails_line("from b@c", "key repeated", "from twice");
	fails_line("id " ID, "key repeated", "id twice");
	fails("postie-queue 1\nsmtputf8\nsmtputf8\n" END, "queue entry: "
	    "line 3: key repeated", "flag twice");
	fails_line("Bounce", "unknown key", "key case matters");
	fails_line("x-future 1", "unknown key", "unknown key");
	fails_line("", "unknown key", "empty line");
	fails_line(" from a", "unknown key", "leading blank");
	fails_line("smtputf8 yes", "flag with a value", "flag with a value");
	fails_line("end now", "flag with a value", "end with a value");
	fails_line("account", "key without a value", "account alone");
	fails_line("account ", "empty value", "account with empty value");
	fails_line("account a b", "control byte in a value", "blank in value");
	fails_line("account a\tb", "control byte in a value", "tab in value");
	fails_line("account a\x7f", "control byte in a value", "raw DEL");
	fails_line("account a\x01", "control byte in a value", "raw ^A");
	fails_line("account a%", "bad %-escape", "% at the end");
	fails_line("account a%4", "bad %-escape", "% with one digit");
	fails_line("account a%G0", "bad %-escape", "% with a non-hex digit");
	fails_line("account a%00b", "NUL in a value", "%00");
	fails_line("account <abc", "value starts with '<'", "raw leading <");
	fails_line("account <>x", "value starts with '<'", "<> and more");
	fails_line("ret full", "ret is not FULL or HDRS", "ret lower case");
	fails_line("ret <>", "ret is not FULL or HDRS", "ret empty");
	fails_line("body BINARYMIME", "body is not 7BIT or 8BITMIME",
	    "body BINARYMIME");
	fails("postie-queue 1\nid 0123456789ABCDEF\n" END, "queue entry: "
	    "line 2: bad id", "upper-case id");
	fails("postie-queue 1\nid " ID "k\n" END, "queue entry: line 2: bad "
	    "id", "id too long");
	fails("postie-queue 1\nid ..%2F..%2Fetc\n" END, "queue entry: line 2: "
	    "bad id", "id with escapes");
	fails("postie-queue 1\nid \n" END, "queue entry: line 2: bad id",
	    "id empty");
	fails("postie-queue 1\ncreated -1\n" END, "queue entry: line 2: bad "
	    "number", "negative time");
	fails("postie-queue 1\ncreated +1\n" END, "queue entry: line 2: bad "
	    "number", "time with a sign");
	fails("postie-queue 1\ncreated 01\n" END, "queue entry: line 2: bad "
	    "number", "leading zero");
	fails("postie-queue 1\ncreated  1\n" END, "queue entry: line 2: bad "
	    "number", "two blanks");
	fails("postie-queue 1\ncreated 1a\n" END, "queue entry: line 2: bad "
	    "number", "trailing letter");
	fails("postie-queue 1\ncreated 9223372036854775808\n" END,
	    "queue entry: line 2: number too large", "time past LLONG_MAX");
	parses("postie-queue 1\ncreated 9223372036854775807\nid " ID "\n"
	    "attempts 4294967295\nnext 0\nlast 0\n" FROM END,
	    "LLONG_MAX and UINT_MAX taken");
	fails("postie-queue 1\nattempts 4294967296\n" END, "queue entry: line "
	    "2: number too large", "attempts past UINT_MAX");
	fails("postie-queue 1\nnext 123456789012345678901\n" END,
	    "queue entry: line 2: bad number", "21 digits");

	fails_line("rcpt", "key without a value", "rcpt alone");
	fails_line("rcpt pending a@b", "rcpt needs state, address and reply",
	    "rcpt without reply");
	fails_line("rcpt pending a@b <> x", "rcpt needs state, address and "
	    "reply", "rcpt with four fields");
	fails_line("rcpt pending a@b ", "empty value", "rcpt with empty reply");
	fails_line("rcpt done a@b <>", "bad recipient state", "state done");
	fails_line("rcpt PENDING a@b <>", "bad recipient state",
	    "state upper case");
	fails_line("rcpt pending <> <>", "empty recipient address",
	    "empty recipient");
	fails_line("rcpt  a@b <>", "bad recipient state", "empty state");
	parses(HEAD FROM "rcpt pending %3cx%3e <>\n" END,
	    "lower-case hex escapes are read");
}

static void
test_caps(void)
{
	char *line, *text;
	struct queue_env env;
	struct err e;
	size_t n;

	/* Over the caps once decoded: 1001 bytes of account, 513 of reply. */
	line = tap_repeat("account ", "x", QUEUE_ENV_VALUE_MAX + 1, "", &n);
	fails_line(line, "value too long", "account over 1000 bytes");
	free(line);
	line = tap_repeat("rcpt sent a@b ", "%25", QUEUE_ENV_REPLY_MAX + 1, "",
	    &n);
	fails_line(line, "value too long", "reply over 512 bytes decoded");
	free(line);
	text = tap_repeat(HEAD FROM "rcpt sent a@b ", "%25",
	    QUEUE_ENV_REPLY_MAX, "\n" END, &n);
	parses(text, "reply of 512 escaped bytes taken");
	free(text);

	/* Over the file cap: refused before reading. */
	if ((text = calloc(1, (size_t)QUEUE_ENV_FILE_MAX + 1)) == NULL) {
		tap_skip(1, "out of memory");
		return;
	}
	queue_env_init(&env);
	tap_ok(queue_env_parse(text, (size_t)QUEUE_ENV_FILE_MAX + 1, &env,
	    &e) == ERR_DATA && strcmp(e.msg, "queue entry: larger than "
	    "67108864 bytes") == 0, "text over 64 MiB refused");
	free(text);
}

/* A valid file cut at every byte offset: always ERR_DATA, never a parse. */
static void
test_truncation(void)
{
	struct queue_env env, back;
	struct buf text;
	struct err e;
	size_t k;
	bool all = true;
	char *cut;

	small_env(&env);
	must(queue_env_set(&env, QUEUE_ENV_ACCOUNT, "acc %\n", &e), &e);
	must(queue_env_set(&env, QUEUE_ENV_RET, "HDRS", &e), &e);
	must(queue_env_set(&env, QUEUE_ENV_ENVID, "QQ314159", &e), &e);
	must(queue_env_set(&env, QUEUE_ENV_NOTIFY, "SUCCESS,DELAY", &e), &e);
	must(queue_env_set(&env, QUEUE_ENV_BODY, "8BITMIME", &e), &e);
	env.smtputf8 = env.bounce = true;
	env.attempts = 12;
	env.last = 1700000100;
	must(queue_env_add_rcpt(&env, "x@y.test", QUEUE_RCPT_SENT,
	    "250 2.0.0 queued as 1234", &e), &e);
	must(queue_env_add_rcpt(&env, "z@y.test", QUEUE_RCPT_PENDING, "", &e),
	    &e);
	buf_init(&text, QUEUE_ENV_FILE_MAX);
	must(queue_env_format(&env, &text, &e), &e);
	queue_env_init(&back);
	for (k = 0; k < text.len; k++) {
		if ((cut = malloc(k ? k : 1)) == NULL)
			abort();
		memcpy(cut, text.data, k);
		if (queue_env_parse(cut, k, &back, &e) != ERR_DATA ||
		    strstr(e.msg, "queue entry: line ") != e.msg ||
		    back.nrcpt != 0 || back.from != NULL) {
			all = false;
			tap_diag("cut at %zu: %s", k, e.msg);
		}
		free(cut);
	}
	tap_ok(all, "cut at each of %zu offsets: ERR_DATA", text.len);
	tap_is_int(queue_env_parse(text.data, text.len, &back, &e), ERR_OK,
	    "the whole file parses");
	tap_ok(env_equal(&env, &back), "... to the same env");
	/* Parsing into a used env frees it first (ASan checks the leak). */
	tap_is_int(queue_env_parse(text.data, text.len, &back, &e), ERR_OK,
	    "parse into a used env");
	tap_is_int((long long)back.nrcpt, 2, "... replaces its recipients");
	queue_env_free(&back);
	queue_env_free(&env);
	buf_free(&text);
}

int
main(void)
{
	test_ids();
	test_round_trips();
	test_many();
	test_text();
	test_setters();
	test_malformed();
	test_caps();
	test_truncation();
	return tap_done();
}
