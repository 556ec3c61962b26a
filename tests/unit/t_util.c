/*
 * t_util: the util layer (buf, base64, err, secret, log).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/utf8.h"

static void
test_buf_cap(void)
{
	struct buf b;

	buf_init(&b, 8);
	tap_is_str(buf_str(&b), "", "fresh buf reads as empty string");
	tap_is_int(buf_append(&b, "abcde", 5), 0, "append within cap");
	tap_is_int(buf_append(&b, "fghi", 4), -1, "append past cap fails");
	tap_is_mem(b.data, b.len, "abcde", 5, "failed append left buf as is");
	tap_is_int(buf_append_str(&b, "fgh"), 0, "append up to cap exactly");
	tap_is_str(buf_str(&b), "abcdefgh", "buf holds all 8 bytes");
	tap_is_int(buf_append_byte(&b, 'x'), -1, "one byte past cap fails");
	tap_is_int(b.len, 8, "len still 8");
	tap_ok(b.data[b.len] == '\0', "data NUL-terminated");
	tap_is_int(buf_append(&b, "", 0), 0, "empty append at cap is fine");
	buf_free(&b);
	tap_ok(b.data == NULL && b.len == 0, "buf_free resets");
	buf_free(NULL);
	buf_wipe_free(NULL);
	tap_ok(1, "buf_free(NULL) and buf_wipe_free(NULL) are no-ops");
}

static void
test_buf_printf(void)
{
	struct buf b;

	buf_init(&b, 16);
	tap_is_int(buf_printf(&b, "%d-%s", 42, "ok"), 0, "printf");
	tap_is_str(buf_str(&b), "42-ok", "printf result");
	tap_is_int(buf_printf(&b, "%s", "0123456789abc"), -1,
	    "printf past cap fails");
	tap_is_str(buf_str(&b), "42-ok", "failed printf left buf as is");
	tap_is_int(buf_printf(&b, "%s", ""), 0, "empty printf");
	tap_is_int(buf_printf(&b, "[%5s]", "x"), 0, "printf with width");
	tap_is_str(buf_str(&b), "42-ok[    x]", "printf appends");
	buf_free(&b);
}

static void
test_buf_escaped(void)
{
	static const char in[] = "a\r\n\t\\\x01\x7f\xc3z";
	static const char want[] = "a\\r\\n\\t\\\\\\x01\\x7f\\xc3z";
	struct buf b;

	buf_init(&b, 256);
	tap_is_int(buf_append_escaped(&b, in, sizeof(in) - 1), 0,
	    "escaped append");
	tap_is_str(buf_str(&b), want, "control bytes, DEL, 8-bit escaped");
	buf_reset(&b);
	tap_is_int(buf_append_escaped(&b, "a\0b", 3), 0, "escape NUL");
	tap_is_str(buf_str(&b), "a\\x00b", "NUL escaped as \\x00");
	buf_free(&b);

	buf_init(&b, 4);
	tap_is_int(buf_append_escaped(&b, "\x01", 1), 0, "escape fits cap");
	tap_is_int(buf_append_escaped(&b, "\x02", 1), -1,
	    "escape past cap fails");
	tap_ok(b.len <= 4, "escaped append never passes the cap");
	buf_free(&b);

	/* A failed escaped append leaves the buffer as it was: "ab" fits
	 * the cap of 5, "\\x01" after it does not. */
	buf_init(&b, 5);
	tap_is_int(buf_append_escaped(&b, "ab\x01", 3), -1,
	    "escape that would pass the cap midway fails");
	tap_is_int((long long)b.len, 0, "and leaves nothing behind");
	buf_free(&b);
}

static void
test_buf_consume_reset(void)
{
	struct buf b;
	size_t cap;

	buf_init(&b, 64);
	buf_append_str(&b, "hello world");
	buf_consume(&b, 6);
	tap_is_str(buf_str(&b), "world", "consume drops the front");
	tap_is_int(b.len, 5, "consume adjusts len");
	buf_consume(&b, 0);
	tap_is_str(buf_str(&b), "world", "consume 0 is a no-op");
	buf_consume(&b, 100);
	tap_is_int(b.len, 0, "consume past len empties");
	tap_is_str(buf_str(&b), "", "and leaves an empty string");
	buf_append_str(&b, "again");
	cap = b.cap;
	buf_reset(&b);
	tap_ok(b.len == 0 && b.cap == cap && b.data != NULL,
	    "reset empties but keeps the allocation");
	tap_is_str(buf_str(&b), "", "reset buf reads as empty");
	buf_append_str(&b, "x");
	tap_is_str(buf_str(&b), "x", "append after reset");
	buf_wipe_free(&b);
	tap_ok(b.data == NULL, "wipe_free frees");

	buf_init(&b, 10);
	buf_consume(&b, 3);
	buf_reset(&b);
	tap_ok(b.data == NULL && b.len == 0,
	    "consume and reset on a never-used buf");
}

static const struct {
	const char *plain, *enc;
} b64_vec[] = {
	/* RFC 4648 section 10 */
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void
test_base64_vectors(void)
{
	struct buf b;
	size_t i;

	buf_init(&b, 64);
	for (i = 0; i < sizeof(b64_vec) / sizeof(b64_vec[0]); i++) {
		const char *p = b64_vec[i].plain, *s = b64_vec[i].enc;
		char name[64];

		buf_reset(&b);
		snprintf(name, sizeof(name), "encode \"%s\"", p);
		tap_ok(base64_encode(&b, p, strlen(p)) == 0 &&
		    strcmp(buf_str(&b), s) == 0, "%s -> %s", name, s);
		tap_is_int((long long)base64_encoded_len(strlen(p)),
		    (long long)strlen(s), "encoded_len");
		buf_reset(&b);
		snprintf(name, sizeof(name), "decode \"%s\"", s);
		tap_ok(base64_decode(&b, s, strlen(s)) == 0 &&
		    b.len == strlen(p) && memcmp(buf_str(&b), p, b.len) == 0,
		    "%s -> %s", name, p);
	}
	buf_free(&b);
}

static void
test_base64_binary(void)
{
	unsigned char all[256];
	struct buf enc, dec;
	size_t i;

	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	buf_init(&enc, 1024);
	buf_init(&dec, 1024);
	tap_is_int(base64_encode(&enc, all, sizeof(all)), 0, "encode 0..255");
	tap_ok(strspn(buf_str(&enc), "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/=") == enc.len,
	    "encoding uses only the alphabet");
	tap_is_int(base64_decode(&dec, enc.data, enc.len), 0, "decode back");
	tap_is_mem(dec.data, dec.len, all, sizeof(all), "round trip 0..255");
	buf_free(&enc);
	buf_free(&dec);

	buf_init(&enc, 3);
	tap_is_int(base64_encode(&enc, "foo", 3), -1, "encode past cap fails");
	buf_free(&enc);
}

static void
test_base64_strict(void)
{
	static const char *const bad[] = {
		"Zg=", "Zg", "Zm9vY", "Zm9*", "Zm 9", "Zm9v\r\n", "Z===",
		"=Zg=", "Zg==Zg==", "Zm=v", "Zh==", "Zm9=", "Zm8-", "Zm8_",
	};
	static const char *const why[] = {
		"Zg= (bad length)", "Zg (missing padding)", "Zm9vY (bad length)",
		"Zm9* (bad char)", "'Zm 9' (space)", "Zm9v CRLF",
		"Z=== (misplaced =)", "=Zg= (leading =)",
		"Zg==Zg== (padding in the middle)", "Zm=v (= before data)",
		"Zh== (nonzero trailing bits)", "Zm9= (nonzero trailing bits)",
		"Zm8- (url-safe alphabet)", "Zm8_ (url-safe alphabet)",
	};
	struct buf b;
	size_t i;

	buf_init(&b, 64);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		buf_append_str(&b, "keep");
		tap_ok(base64_decode(&b, bad[i], strlen(bad[i])) == -1 &&
		    strcmp(buf_str(&b), "keep") == 0,
		    "decode rejects %s, buf unchanged", why[i]);
	}
	buf_reset(&b);
	tap_ok(base64_decode(&b, "Zm\0v", 4) == -1, "decode rejects NUL");
	buf_free(&b);

	buf_init(&b, 2);
	tap_ok(base64_decode(&b, "Zm9v", 4) == -1 && b.len == 0,
	    "decode past cap fails, buf unchanged");
	buf_free(&b);
}

static void
test_err(void)
{
	struct err e;
	char big[ERR_MSG_MAX * 2];

	err_clear(&e);
	tap_ok(e.kind == ERR_OK && e.msg[0] == '\0', "err_clear");
	tap_is_int(err_set(&e, ERR_TEMP, "try %d", 2), ERR_TEMP,
	    "err_set returns the kind");
	tap_ok(e.kind == ERR_TEMP, "err_set sets the kind");
	tap_is_str(e.msg, "try 2", "err_set formats");
	err_set(&e, ERR_PROTOCOL, "a\nb\rc%cd\x7f" "e", 1);
	tap_is_str(e.msg, "a?b?c?d?e", "control bytes scrubbed");
	err_set(&e, ERR_IO, "%s", "read failed");
	err_prefix(&e, "%s:%d", "file", 3);
	tap_is_str(e.msg, "file:3: read failed", "err_prefix");
	tap_ok(e.kind == ERR_IO, "err_prefix keeps the kind");
	err_prefix(&e, "x\ty");
	tap_is_str(e.msg, "x?y: file:3: read failed", "prefix scrubbed too");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&e, ERR_DATA, "%s", big);
	tap_is_int((long long)strlen(e.msg), ERR_MSG_MAX - 1,
	    "long message truncated to the buffer");
	tap_is_int(err_set(NULL, ERR_CONFIG, "x"), ERR_CONFIG,
	    "err_set(NULL) still returns the kind");
	err_prefix(NULL, "x");
	err_clear(NULL);
	tap_is_str(err_kind_name(ERR_OK), "ok", "kind name ok");
	tap_is_str(err_kind_name(ERR_TEMP), "temp", "kind name temp");
	tap_is_str(err_kind_name(ERR_PROTOCOL), "protocol",
	    "kind name protocol");
	tap_is_str(err_kind_name(ERR_CONFIG), "config", "kind name config");
	tap_is_str(err_kind_name(ERR_KIND_COUNT), "unknown",
	    "kind name out of range");
	tap_is_str(err_kind_name((enum err_kind)-1), "unknown",
	    "kind name negative");
}

static void
test_secret(void)
{
	struct secret s;

	secret_init(&s);
	tap_ok(!secret_is_set(&s) && s.data == NULL && s.len == 0,
	    "fresh secret is unset");
	tap_is_int(secret_set(&s, "hunter2", 7), 0, "secret_set");
	tap_ok(secret_is_set(&s), "secret is set");
	tap_is_str(s.data, "hunter2", "secret value, NUL-terminated");
	tap_is_int((long long)s.len, 7, "secret len");
	tap_is_int(secret_set(&s, "a\0b", 3), 0, "replace with binary");
	tap_is_mem(s.data, s.len, "a\0b", 3, "replaced value");
	tap_ok(s.data[3] == '\0', "binary secret NUL-terminated");
	tap_is_int(secret_set(&s, "", 0), 0, "replace with empty");
	tap_ok(secret_is_set(&s) && s.len == 0 && s.data[0] == '\0',
	    "empty secret is still set");
	secret_free(&s);
	tap_ok(!secret_is_set(&s) && s.data == NULL && s.len == 0,
	    "secret_free unsets");
	secret_free(&s);
	secret_free(NULL);
	tap_ok(1, "secret_free twice and on NULL");
}

static void
test_log(void)
{
	struct log l;

	log_init(&l, LOG_SINK_CAPTURE, LOG_INFO, "postie");
	log_msg(&l, LOG_ERR, "error %d", 1);
	log_msg(&l, LOG_DEBUG, "debug dropped");
	log_msg(&l, LOG_INFO, "info %s", "kept");
	log_msg(&l, LOG_WARNING, "peer said a\r\nb\x1b[31m");
	tap_is_str(buf_str(&l.capture),
	    "error 1\ninfo kept\npeer said a\\r\\nb\\x1b[31m\n",
	    "capture: level filter, one line each, control bytes escaped");
	log_free(&l);

	log_init(&l, LOG_SINK_CAPTURE, LOG_DEBUG, NULL);
	log_msg(&l, LOG_DEBUG, "debug kept");
	tap_is_str(buf_str(&l.capture), "debug kept\n", "debug level keeps");
	log_free(&l);

	log_init(&l, LOG_SINK_CAPTURE, LOG_ERR, NULL);
	log_msg(&l, LOG_WARNING, "warning dropped");
	tap_is_int((long long)l.capture.len, 0, "LOG_ERR level drops warnings");
	log_free(&l);

	log_init(&l, LOG_SINK_NONE, LOG_DEBUG, NULL);
	log_msg(&l, LOG_ERR, "nowhere");
	tap_is_int((long long)l.capture.len, 0, "none sink drops");
	log_free(&l);
	log_msg(NULL, LOG_ERR, "NULL log drops");
	log_free(NULL);
	tap_ok(1, "NULL log is valid");
}

/* RFC 6533 3's xtext unit: QCHARs as themselves, the rest \x{HEX}. */
static void
test_utf8_xtext(void)
{
	static const struct {
		uint32_t cp;
		const char *want;
	} cases[] = {
		{ 'a', "a" }, { '~', "~" }, { '+', "\\x{2B}" },
		{ '=', "\\x{3D}" }, { '\\', "\\x{5C}" }, { ' ', "\\x{20}" },
		{ 0xe9, "\\x{E9}" }, { 0x20ac, "\\x{20AC}" },
		{ 0x10ffff, "\\x{10FFFF}" },
	};
	char out[UTF8_XTEXT_UNIT_MAX];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = utf8_xtext_unit(cases[i].cp, out);
		tap_ok(n == strlen(cases[i].want) &&
		    strcmp(out, cases[i].want) == 0, "xtext unit U+%04lX: %s",
		    (unsigned long)cases[i].cp, cases[i].want);
	}
}

int
main(void)
{
	test_buf_cap();
	test_buf_printf();
	test_buf_escaped();
	test_buf_consume_reset();
	test_base64_vectors();
	test_base64_binary();
	test_base64_strict();
	test_err();
	test_secret();
	test_log();
	test_utf8_xtext();
	return tap_done();
}
