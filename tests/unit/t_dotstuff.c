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
check_mem(enum dotstuff_mode mode, const char *in, size_t n, const char *want,
    size_t wn, const char *name)
{
	struct buf whole, bytes, split;

	run(mode, in, n, &whole);
	run_split(mode, in, n, 0, &bytes);
	run_split(mode, in, n, 7, &split);
	tap_is_mem(whole.data, whole.len, want, wn, name);
	tap_is_mem(bytes.data, bytes.len, want, wn, "  ... fed byte at a time");
	tap_is_mem(split.data, split.len, want, wn,
	    "  ... fed in random splits");
	buf_free(&whole);
	buf_free(&bytes);
	buf_free(&split);
}

static void
check(enum dotstuff_mode mode, const char *in, size_t n, const char *want,
    const char *name)
{
	check_mem(mode, in, n, want, strlen(want), name);
}

#define W(in, want, name) check(DOTSTUFF_WIRE, in, sizeof(in) - 1, want, name)
#define N(in, want, name) \
	check(DOTSTUFF_NORMALISE_ONLY, in, sizeof(in) - 1, want, name)
#define C(in, want, name) check(DOTSTUFF_CHUNK, in, sizeof(in) - 1, want, name)

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
	/* 200 LFs; 199 lines of 1000 octets (one with a leading dot), each
	 * folded once; a last line of 800. */
	tap_ok(a.len == in.len + 200 + 1 + 2 + 3 + 3 * 199, "length: +1 per "
	    "LF, +1 per leading dot, +3 per fold, final CRLF and dot "
	    "(got %zu)", a.len);
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

/* n octets c. */
static void
rep(struct buf *b, char c, size_t n)
{
	while (n-- > 0)
		buf_append_byte(b, (unsigned char)c);
}

/*
 * want_line: what one line of n octets c (after a stuffed dot when dot)
 * becomes when folded, from the rule stated independently: the first
 * wire line holds 998 octets, each continuation a space and 997.
 */
static void
want_line(struct buf *b, int dot, char c, size_t n)
{
	size_t room = DOTSTUFF_LINE_MAX - (dot ? 2 : 0), k;

	if (dot) {
		buf_append(b, "..", 2);
		n--;
	}
	k = n < room ? n : room;
	rep(b, c, k);
	for (n -= k; n > 0; n -= k) {
		buf_append(b, "\r\n ", 3);
		k = n < DOTSTUFF_LINE_MAX - 1 ? n : DOTSTUFF_LINE_MAX - 1;
		rep(b, c, k);
	}
	buf_append(b, "\r\n", 2);
}

/* A line of n octets (a leading "." when dot) in mode, fed three ways. */
static void
check_line(enum dotstuff_mode mode, int dot, size_t n, const char *name)
{
	struct buf in, want;

	buf_init(&in, OUT_MAX);
	buf_init(&want, OUT_MAX);
	if (dot)
		buf_append_byte(&in, '.');
	rep(&in, 'x', n - (dot ? 1 : 0));
	buf_append(&in, "\r\n", 2);
	want_line(&want, dot && mode == DOTSTUFF_WIRE, 'x', n);
	if (dot && mode != DOTSTUFF_WIRE)
		want.data[0] = '.';
	if (mode == DOTSTUFF_WIRE)
		buf_append(&want, ".\r\n", 3);
	check_mem(mode, in.data, in.len, want.data, want.len, name);
	buf_free(&in);
	buf_free(&want);
}

static void
test_fold(void)
{
	struct buf in, want;

	check_line(DOTSTUFF_WIRE, 0, 997, "997 octets: as they are");
	check_line(DOTSTUFF_WIRE, 0, 998, "998 octets: as they are");
	check_line(DOTSTUFF_WIRE, 0, 999, "999 octets: 998, CRLF, space, 1");
	check_line(DOTSTUFF_WIRE, 0, 1996, "1996 octets: 998 + 997 + 1");
	check_line(DOTSTUFF_WIRE, 0, 1997, "1997 octets: 998 + 997 + 2");
	check_line(DOTSTUFF_WIRE, 0, 5000, "5000 octets: 998 + 4 x 997 + 14");
	check_line(DOTSTUFF_WIRE, 1, 997,
	    "997 octets with a leading dot: 998 on the wire, as they are");
	check_line(DOTSTUFF_WIRE, 1, 998,
	    "998 octets with a leading dot: the stuffed dot makes 999: fold");
	check_line(DOTSTUFF_CHUNK, 1, 999, "CHUNK: 999 octets folded, "
	    "the leading dot not stuffed");
	check_line(DOTSTUFF_CHUNK, 0, 5000, "CHUNK: 5000 octets folded");

	/* The check of a known shape, not built by want_line(). */
	buf_init(&in, OUT_MAX);
	buf_init(&want, OUT_MAX);
	rep(&in, 'a', 999);
	rep(&want, 'a', 998);
	buf_append_str(&want, "\r\n a\r\n.\r\n");
	check_mem(DOTSTUFF_WIRE, in.data, in.len, want.data, want.len,
	    "999 octets, no line end: 998, CRLF, space, 1, CRLF, dot");
	buf_free(&want);

	/* NORMALISE_ONLY never folds: the spool keeps the text. */
	buf_reset(&in);
	rep(&in, 'b', 5000);
	buf_append(&in, "\r\n", 2);
	check_mem(DOTSTUFF_NORMALISE_ONLY, in.data, in.len, in.data, in.len,
	    "NORMALISE_ONLY: a 5000-octet line is not folded");

	/* Two long lines: the count starts again after CRLF. */
	buf_reset(&in);
	buf_init(&want, OUT_MAX);
	rep(&in, 'c', 999);
	buf_append(&in, "\n", 1);
	rep(&in, 'd', 999);
	want_line(&want, 0, 'c', 999);
	want_line(&want, 0, 'd', 999);
	buf_append(&want, ".\r\n", 3);
	check_mem(DOTSTUFF_WIRE, in.data, in.len, want.data, want.len,
	    "two 999-octet lines, LF between: each folded once");
	buf_free(&want);
	buf_free(&in);
}

/* 998 octets 'a', then tail; the result of "a"*998 + want_tail. */
static void
check_998(enum dotstuff_mode mode, const char *tail, const char *want_tail,
    const char *name)
{
	struct buf in, want;

	buf_init(&in, OUT_MAX);
	buf_init(&want, OUT_MAX);
	rep(&in, 'a', 998);
	buf_append_str(&in, tail);
	rep(&want, 'a', 998);
	buf_append_str(&want, want_tail);
	check_mem(mode, in.data, in.len, want.data, want.len, name);
	buf_free(&in);
	buf_free(&want);
}

/*
 * At the boundary the octet after the 998th decides: CRLF or LF ends the
 * line (no fold), a bare CR is a space (fold), NUL is nothing.  check_mem
 * feeds byte at a time and in random splits too.
 */
static void
test_fold_boundary(void)
{
	struct buf in, whole, part;
	struct dotstuff d;
	size_t cut;

	check_998(DOTSTUFF_WIRE, "\r\nb", "\r\nb\r\n.\r\n",
	    "998 + CRLF: no fold");
	check_998(DOTSTUFF_WIRE, "\nb", "\r\nb\r\n.\r\n", "998 + LF: no fold");
	check_998(DOTSTUFF_WIRE, "\rb", "\r\n  b\r\n.\r\n",
	    "998 + bare CR: the space is octet 999: fold");
	check_998(DOTSTUFF_WIRE, "\r", "\r\n  \r\n.\r\n",
	    "998 + CR at the end: a space at finish: fold");
	check_998(DOTSTUFF_WIRE, "\r\r\n", "\r\n  \r\n.\r\n",
	    "998 + CR CR LF: space (fold), then the line's end");
	check_998(DOTSTUFF_WIRE, "\0\r\0\n", "\r\n.\r\n",
	    "998 + NULs around CR LF: no fold");
	check_998(DOTSTUFF_WIRE, "", "\r\n.\r\n", "998, the end: no fold");
	check_998(DOTSTUFF_WIRE, "\n.", "\r\n..\r\n.\r\n",
	    "998 + LF + dot: the next line is stuffed, not folded");
	check_998(DOTSTUFF_CHUNK, "\rb", "\r\n  b\r\n",
	    "CHUNK: 998 + bare CR: fold");
	check_998(DOTSTUFF_NORMALISE_ONLY, "\rb", " b\r\n",
	    "NORMALISE_ONLY: 998 + bare CR: no fold");

	/* CRLF split across two feeds exactly at the boundary, and every
	 * other cut of the same input. */
	buf_init(&in, OUT_MAX);
	rep(&in, 'a', 998);
	buf_append(&in, "\r\n", 2);
	rep(&in, 'b', 998);
	buf_append(&in, "\r\r\n", 3);
	run(DOTSTUFF_WIRE, in.data, in.len, &whole);
	for (cut = 990; cut <= in.len; cut++) {
		buf_init(&part, OUT_MAX);
		dotstuff_init(&d, DOTSTUFF_WIRE);
		if (dotstuff_feed(&d, in.data, cut, &part) == -1 ||
		    dotstuff_feed(&d, in.data + cut, in.len - cut, &part) == -1 ||
		    dotstuff_finish(&d, &part) == -1)
			tap_diag("append failed");
		if (part.len != whole.len ||
		    memcmp(part.data, whole.data, whole.len) != 0)
			break;
		buf_free(&part);
	}
	tap_ok(cut > in.len, "two feeds cut anywhere near the boundaries "
	    "equal one (first difference at %zu)", cut);
	if (cut <= in.len)
		buf_free(&part);
	tap_ok(whole.len == 998 + 2 + 998 + 3 + 1 + 2 + 3 &&
	    memcmp(whole.data + 998, "\r\nb", 3) == 0 &&
	    memcmp(whole.data + 998 + 2 + 998, "\r\n  \r\n.\r\n", 9) == 0,
	    "  ... and the result: no fold after a, one after b");
	buf_free(&whole);
	buf_free(&in);
}

static void
test_chunk(void)
{
	C("", "", "CHUNK: empty input: nothing");
	C("abc", "abc\r\n", "CHUNK: missing final CRLF added, no end marker");
	C(".a\r\n..b\nc\rd\0", ".a\r\n..b\r\nc d\r\n",
	    "CHUNK: normalised, dots not stuffed");
	C(".\r\n", ".\r\n", "CHUNK: a lone dot line stays (BDAT counts)");
	C("a\r", "a \r\n", "CHUNK: trailing CR");
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

/* 1 when a line of b (up to CRLF, or the end) is over DOTSTUFF_LINE_MAX. */
static int
too_long(const struct buf *b)
{
	size_t i, col = 0;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r' && i + 1 < b->len && b->data[i + 1] == '\n')
			col = 0, i++;
		else if (++col > DOTSTUFF_LINE_MAX)
			return 1;
	}
	return 0;
}

/*
 * 0 when out is norm (NORMALISE_ONLY output: CRLF lines) as mode makes
 * it: in WIRE a "." more where a line starts with one, in WIRE and CHUNK
 * "\r\n " inserted where, and only where, a wire line holds
 * DOTSTUFF_LINE_MAX octets and more text of it follows, in WIRE ".\r\n"
 * at the end.  So removing the inserted "\r\n " (and the stuffing) gives
 * norm back.
 */
static int
fold_bad(enum dotstuff_mode mode, const struct buf *out, const struct buf *norm)
{
	const char *o = out->data, *tail = mode == DOTSTUFF_WIRE ? ".\r\n" : "";
	size_t i = 0, j = 0, col = 0;
	int bol = 1;

	while (i < norm->len) {
		char c = norm->data[i];

		if (c == '\r') {	/* norm has CR only in CRLF */
			if (j + 2 > out->len || memcmp(o + j, "\r\n", 2) != 0)
				return 1;
			i += 2;
			j += 2;
			col = 0;
			bol = 1;
			continue;
		}
		if (bol && mode == DOTSTUFF_WIRE && c == '.') {
			if (j >= out->len || o[j++] != '.')
				return 1;
			col++;
		}
		bol = 0;
		if (mode != DOTSTUFF_NORMALISE_ONLY && col == DOTSTUFF_LINE_MAX) {
			if (j + 3 > out->len || memcmp(o + j, "\r\n ", 3) != 0)
				return 1;
			j += 3;
			col = 1;
		}
		if (j >= out->len || o[j++] != c)
			return 1;
		col++;
		i++;
	}
	return out->len - j != strlen(tail) ||
	    (*tail != '\0' && memcmp(o + j, tail, strlen(tail)) != 0);
}

static uint32_t
next(uint32_t *seed)
{
	*seed = *seed * 1664525u + 1013904223u;
	return *seed >> 8;
}

/*
 * Short inputs over a small alphabet, or long ones of mostly text with
 * now and then a byte of that alphabet, so lines pass 998 octets.
 */
static void
random_input(uint32_t *seed, struct buf *in)
{
	static const char alphabet[] = "\r\n.\0ab \xff";
	uint32_t r = next(seed);
	size_t j, n, every;

	buf_init(in, OUT_MAX);
	if (r % 2 == 0) {
		n = (r >> 1) % 64;
		every = 1;
	} else {
		n = (r >> 1) % 5000;
		every = (r >> 14) % 2 ? 60 : 2500;
	}
	for (j = 0; j < n; j++) {
		r = next(seed);
		if (r % every == 0)
			buf_append_byte(in, (unsigned char)
			    alphabet[(r >> 12) % (sizeof(alphabet) - 1)]);
		else
			buf_append_byte(in, (unsigned char)('a' + (r >> 12) % 26));
	}
}

#define PROPERTY_N 3000

/* WIRE output without the end marker and each line's leading dot. */
static void
drop_dots(const struct buf *wire, struct buf *plain)
{
	size_t i = 0, n = wire->len >= 3 ? wire->len - 3 : 0;

	buf_init(plain, OUT_MAX);
	while (i < n) {
		const char *nl = memchr(wire->data + i, '\n', n - i);
		size_t end = nl != NULL ? (size_t)(nl - wire->data) + 1 : n;

		if (wire->data[i] == '.')
			i++;
		buf_append(plain, wire->data + i, end - i);
		i = end;
	}
}

static void
test_property(void)
{
	static const enum dotstuff_mode modes[] = {
		DOTSTUFF_WIRE, DOTSTUFF_CHUNK, DOTSTUFF_NORMALISE_ONLY
	};
	uint32_t seed = 12345;
	struct buf in, out[3], split, got, plain;
	int i, m, fail_bytes = 0, fail_end = 0, fail_split = 0, fail_rt = 0;
	int fail_long = 0, fail_fold = 0, fail_spool = 0;

	for (i = 0; i < PROPERTY_N; i++) {
		random_input(&seed, &in);
		for (m = 0; m < 3; m++) {
			run(modes[m], in.data, in.len, &out[m]);
			run_split(modes[m], in.data, in.len, seed | 1, &split);
			fail_bytes += bad_bytes(&out[m]);
			fail_split += split.len != out[m].len || (split.len &&
			    memcmp(split.data, out[m].data, split.len) != 0);
			buf_free(&split);
		}
		fail_long += too_long(&out[0]) || too_long(&out[1]);
		/* The engine sends the spooled (normalised) form. */
		for (m = 0; m < 3; m++) {
			run(modes[m], out[2].data, out[2].len, &split);
			fail_spool += split.len != out[m].len || (split.len &&
			    memcmp(split.data, out[m].data, split.len) != 0);
			buf_free(&split);
		}
		for (m = 0; m < 3; m++)
			fail_fold += fold_bad(modes[m], &out[m], &out[2]);
		fail_end += out[0].len < 3 ||
		    memcmp(out[0].data + out[0].len - 3, ".\r\n", 3) != 0 ||
		    (out[0].len > 3 && (out[0].len < 5 ||
		    memcmp(out[0].data + out[0].len - 5, "\r\n", 2) != 0));
		/* The server takes the dots away, as fold_bad() did. */
		drop_dots(&out[0], &plain);
		if (!unstuff(&out[0], &got) || got.len != plain.len ||
		    (got.len && memcmp(got.data, plain.data, got.len) != 0)) {
			if (fail_rt++ == 0)
				tap_diag("round trip: input %d, %zu bytes in, "
				    "%zu on the wire, %zu back", i, in.len,
				    out[0].len, got.len);
		}
		buf_free(&in);
		for (m = 0; m < 3; m++)
			buf_free(&out[m]);
		buf_free(&got);
		buf_free(&plain);
	}
	tap_is_int(fail_bytes, 0, "random inputs, every mode: no bare CR/LF/NUL");
	tap_is_int(fail_end, 0, "random inputs: WIRE ends with CRLF.CRLF");
	tap_is_int(fail_split, 0,
	    "random inputs, every mode: split equals whole");
	tap_is_int(fail_spool, 0, "random inputs, every mode: the normalised "
	    "input gives the same output");
	tap_is_int(fail_long, 0, "random inputs, WIRE and CHUNK: no line over "
	    "998 octets + CRLF");
	tap_is_int(fail_fold, 0, "random inputs, every mode: without the "
	    "inserted CRLF SP (and dots) the normalised input");
	tap_is_int(fail_rt, 0,
	    "random inputs: the server engine unstuffs WIRE output alike");
}

/* The folding check itself catches a fold too many or too few. */
static void
test_fold_bad(void)
{
	struct buf norm, out;

	buf_init(&norm, OUT_MAX);
	buf_init(&out, OUT_MAX);
	rep(&norm, 'a', 999);
	buf_append(&norm, "\r\n", 2);
	buf_append(&out, norm.data, norm.len);
	tap_ok(fold_bad(DOTSTUFF_CHUNK, &out, &norm) &&
	    !fold_bad(DOTSTUFF_NORMALISE_ONLY, &out, &norm),
	    "the checker: a missing fold is caught");
	buf_reset(&out);
	rep(&out, 'a', 997);
	buf_append(&out, "\r\n aa\r\n", 7);
	tap_ok(fold_bad(DOTSTUFF_CHUNK, &out, &norm),
	    "the checker: a fold too early is caught");
	buf_reset(&out);
	rep(&out, 'a', 998);
	buf_append(&out, "\r\n a\r\n", 6);
	tap_ok(!fold_bad(DOTSTUFF_CHUNK, &out, &norm) && !too_long(&out) &&
	    too_long(&norm), "the checker: the right fold passes");
	buf_free(&norm);
	buf_free(&out);
}

int
main(void)
{
	test_rules();
	test_smuggling();
	test_long();
	test_fold();
	test_fold_boundary();
	test_chunk();
	test_fold_bad();
	test_property();
	return tap_done();
}
