#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/dotstuff.h"
#include "smtp/server.h"
#include "tap.h"

#define OUT_MAX (16u << 20)

/* Whole input in one feed. */
static void
run(enum dotstuff_mode mode, const char *in, size_t n, struct buf *out)
{
	struct dotstuff d;

	buf_init(out, OUT_MAX);
	dotstuff_init(&d, mode);
	if (dotstuff_feed(&d, in, n, out) == -1 || dotstuff_finish(&d, out))
		tap_diag("append failed");
}

/* Input split at the lengths pseudo-random from seed (0: byte a time). */
static void
run_split(enum dotstuff_mode mode, const char *in, size_t n, uint32_t seed,
    struct buf *out)
{
	struct dotstuff d;
	size_t i = 0, k;

	buf_init(out, OUT_MAX);
	dotstuff_init(&d, mode);
	while (i < n) {
		if (seed == 0)
			k = 1;
		else {
			seed = seed * 1103515245u + 12345u;
			k = (seed >> 16) % 7;	/* 0-length feeds too */
		}
		if (k > n - i)
			k = n - i;
		if (dotstuff_feed(&d, in + i, k, out) == -1)
			tap_diag("append failed");
		i += k;
	}
	if (dotstuff_finish(&d, out) == -1)
		tap_diag("append failed");
}

static void
check(enum dotstuff_mode mode, const char *in, size_t n, const char *want,
    const char *name)
{
	struct buf whole, bytes, split;

	run(mode, in, n, &whole);
	run_split(mode, in, n, 0, &bytes);
	run_split(mode, in, n, 7, &split);
	tap_is_mem(whole.data, whole.len, want, strlen(want), name);
	tap_is_mem(bytes.data, bytes.len, want, strlen(want),
	    "  ... fed byte at a time");
	tap_is_mem(split.data, split.len, want, strlen(want),
	    "  ... fed in random splits");
	buf_free(&whole);
	buf_free(&bytes);
	buf_free(&split);
}

#define W(in, want, name) check(DOTSTUFF_WIRE, in, sizeof(in) - 1, want, name)
#define N(in, want, name) \
	check(DOTSTUFF_NORMALISE_ONLY, in, sizeof(in) - 1, want, name)

static void
test_rules(void)
{
	W("", ".\r\n", "empty input: only the end marker");
	N("", "", "empty input, normalise only: nothing");
	W("a\r\nb\r\n", "a\r\nb\r\n.\r\n", "CRLF stays");
	W("a\nb\n", "a\r\nb\r\n.\r\n", "bare LF becomes CRLF");
	W("a\rb\r\n", "a b\r\n.\r\n", "bare CR becomes a space");
	W("a\r\r\nb", "a \r\nb\r\n.\r\n", "CR CR LF: space then CRLF");
	W("a\r", "a \r\n.\r\n", "trailing CR resolved as a space at finish");
	W("\r", " \r\n.\r\n", "lone CR");
	W("abc", "abc\r\n.\r\n", "missing final CRLF added");
	W("a\0b\r\0\n", "ab\r\n.\r\n", "NUL removed, also between CR and LF");
	W("\0", ".\r\n", "only NUL: empty");
	W(".\r\n", "..\r\n.\r\n", "a lone dot line is stuffed");
	W(".a\r\n..b\r\nc.d\r\n", "..a\r\n...b\r\nc.d\r\n.\r\n",
	    "leading dots stuffed, inner dots not");
	W("x\n.", "x\r\n..\r\n.\r\n", "dot line at the end, no CRLF");
	N(".a\r\nb\rc\nd", ".a\r\nb c\r\nd\r\n",
	    "normalise only: no stuffing, no end marker");
	N("a\r", "a \r\n", "normalise only: trailing CR");
	N("a\r\n", "a\r\n", "normalise only: normalised input unchanged");
}

static void
test_smuggling(void)
{
	W("a\n.\nb", "a\r\n..\r\nb\r\n.\r\n", "\\n.\\n is stuffed");
	W("a\r.\rb", "a . b\r\n.\r\n", "\\r.\\r is defused");
	W("a\r\n.\nb", "a\r\n..\r\nb\r\n.\r\n", "\\r\\n.\\n is stuffed");
	W("a\n.\r\nb", "a\r\n..\r\nb\r\n.\r\n", "\\n.\\r\\n is stuffed");
	W("a\r\n.\rb", "a\r\n.. b\r\n.\r\n", "\\r\\n.\\r is stuffed");
	W("a\r.\r\nb", "a .\r\nb\r\n.\r\n", "\\r.\\r\\n is defused");
	W("a\r\n.\r\nb", "a\r\n..\r\nb\r\n.\r\n", "\\r\\n.\\r\\n is stuffed");
	W("a\r\n\0.\r\nb", "a\r\n..\r\nb\r\n.\r\n", "NUL before the dot");
}

static void
test_long(void)
{
	struct buf in, a, b;
	size_t i;

	buf_init(&in, OUT_MAX);
	for (i = 0; i < 200000; i++)
		buf_append_byte(&in, i % 1001 == 0 ? '\n' :
		    i % 997 == 1 ? '.' : (unsigned char)('a' + i % 26));
	run(DOTSTUFF_WIRE, in.data, in.len, &a);
	run_split(DOTSTUFF_WIRE, in.data, in.len, 0, &b);
	tap_is_mem(a.data, a.len, b.data, b.len,
	    "200 kB input: byte-at-a-time equals whole");
	tap_ok(a.len == in.len + 200 + 1 + 2 + 3, "length: +1 per LF, +1 per "
	    "leading dot, final CRLF and dot (got %zu)", a.len);
	buf_free(&a);
	buf_free(&b);

	/* The output buf's cap is reported. */
	{
		struct dotstuff d;
		struct buf small;

		buf_init(&small, 10);
		dotstuff_init(&d, DOTSTUFF_WIRE);
		tap_is_int(dotstuff_feed(&d, in.data, 100, &small), -1,
		    "feed past the output cap fails");
		buf_free(&small);
	}
	buf_free(&in);
}

/* Unstuff wire bytes through the server engine's data phase. */
static int
unstuff(const struct buf *wire, struct buf *got)
{
	struct smtp_server_conf conf = { .hostname = "mx.test" };
	struct smtp_server *s = smtp_server_new(&conf);
	struct smtp_server_event ev;
	static const char pre[] = "HELO c\r\nMAIL FROM:<a@b>\r\n"
	    "RCPT TO:<c@d>\r\nDATA\r\n";
	int ended = 0;

	buf_init(got, OUT_MAX);
	smtp_server_feed(s, pre, sizeof(pre) - 1);
	smtp_server_feed(s, wire->data, wire->len);
	while (smtp_server_next_event(s, &ev) != SMTP_SERVER_EV_NONE) {
		if (ev.type == SMTP_SERVER_EV_DATA)
			buf_append(got, ev.data, ev.len);
		else if (ev.type == SMTP_SERVER_EV_DATA_END) {
			ended = smtp_server_wants_input(s) == 0 &&
			    ev.msg_size == got->len;
			smtp_server_accept(s);
			break;
		} else
			smtp_server_accept(s);
	}
	smtp_server_free(s);
	return ended;
}

static int
bad_bytes(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\0')
			return 1;
		if (b->data[i] == '\r' && (i + 1 == b->len ||
		    b->data[i + 1] != '\n'))
			return 1;
		if (b->data[i] == '\n' && (i == 0 || b->data[i - 1] != '\r'))
			return 1;
	}
	return 0;
}

static void
test_property(void)
{
	static const char alphabet[] = "\r\n.\0ab \xff";
	uint32_t seed = 12345;
	struct buf in, wire, norm, split, got;
	int i, fail_bytes = 0, fail_end = 0, fail_split = 0, fail_rt = 0;
	size_t j, n;

	for (i = 0; i < 3000; i++) {
		buf_init(&in, 4096);
		seed = seed * 1664525u + 1013904223u;
		n = (seed >> 8) % 64;
		for (j = 0; j < n; j++) {
			seed = seed * 1664525u + 1013904223u;
			buf_append_byte(&in, (unsigned char)
			    alphabet[(seed >> 16) % (sizeof(alphabet) - 1)]);
		}
		run(DOTSTUFF_WIRE, in.data, in.len, &wire);
		run(DOTSTUFF_NORMALISE_ONLY, in.data, in.len, &norm);
		run_split(DOTSTUFF_WIRE, in.data, in.len, seed | 1, &split);
		fail_bytes += bad_bytes(&wire) || bad_bytes(&norm);
		fail_end += wire.len < 3 ||
		    memcmp(wire.data + wire.len - 3, ".\r\n", 3) != 0 ||
		    (wire.len > 3 && (wire.len < 5 ||
		    memcmp(wire.data + wire.len - 5, "\r\n", 2) != 0));
		fail_split += split.len != wire.len ||
		    memcmp(split.data, wire.data, wire.len) != 0;
		if (!unstuff(&wire, &got) || got.len != norm.len ||
		    (norm.len && memcmp(got.data, norm.data, norm.len) != 0))
			fail_rt++;
		buf_free(&in);
		buf_free(&wire);
		buf_free(&norm);
		buf_free(&split);
		buf_free(&got);
	}
	tap_is_int(fail_bytes, 0, "3000 random inputs: no bare CR/LF/NUL out");
	tap_is_int(fail_end, 0, "3000 random inputs: end with CRLF.CRLF");
	tap_is_int(fail_split, 0, "3000 random inputs: split equals whole");
	tap_is_int(fail_rt, 0,
	    "3000 random inputs: server unstuffing gives the normalised text");
}

int
main(void)
{
	test_rules();
	test_smuggling();
	test_long();
	test_property();
	return tap_done();
}
