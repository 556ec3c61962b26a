/*
 * fuzz_dotstuff: the input's first byte seeds the split points; the rest
 * is the message, run through every mode (WIRE, CHUNK, NORMALISE_ONLY)
 * whole, in pseudo-random splits and (when short) byte at a time.
 * Aborts when, in any mode:
 *   - the output of a split differs from the whole feed;
 *   - it holds a bare CR, a bare LF or a NUL;
 *   - (WIRE, CHUNK) a line is over DOTSTUFF_LINE_MAX octets before its
 *     CRLF;
 *   - it is not the NORMALISE_ONLY output with, exactly, a "." more at
 *     the start of each line that starts with one (WIRE), "\r\n "
 *     inserted where a line reached DOTSTUFF_LINE_MAX octets and more of
 *     it follows (WIRE, CHUNK), and ".\r\n" at the end (WIRE);
 *   - (WIRE) a line holding only "." comes before the end.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/dotstuff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX (64u << 20)
#define BYTEWISE_MAX 4096	/* byte at a time only up to this size */

static void
run(enum dotstuff_mode mode, const uint8_t *in, size_t n, unsigned seed,
    struct buf *out)
{
	struct dotstuff d;
	size_t i = 0, k;

	buf_init(out, OUT_MAX);
	dotstuff_init(&d, mode);
	while (i < n) {
		k = n - i;
		if (seed == 1)
			k = 1;		/* byte at a time */
		else if (seed != 0) {
			seed = seed * 1103515245u + 12345u;
			k = (seed >> 16) % 17;
			if (k > n - i)
				k = n - i;
		}
		if (dotstuff_feed(&d, in + i, k, out) == -1)
			abort();
		i += k;
	}
	if (dotstuff_finish(&d, out) == -1)
		abort();
}

static void
check_same(const struct buf *a, const struct buf *b)
{
	if (a->len != b->len || (a->len > 0 &&
	    memcmp(a->data, b->data, a->len) != 0))
		abort();
}

static void
check_clean(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\0')
			abort();
		if (b->data[i] == '\r' && (i + 1 == b->len ||
		    b->data[i + 1] != '\n'))
			abort();
		if (b->data[i] == '\n' && (i == 0 || b->data[i - 1] != '\r'))
			abort();
	}
}

/* No line over DOTSTUFF_LINE_MAX octets; no "." line but the last. */
static void
check_lines(const struct buf *b, enum dotstuff_mode mode)
{
	size_t i, start = 0;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] != '\n')
			continue;
		if (i - 1 - start > DOTSTUFF_LINE_MAX)
			abort();
		if (mode == DOTSTUFF_WIRE && i - 1 - start == 1 &&
		    b->data[start] == '.' && i + 1 != b->len)
			abort();
		start = i + 1;
	}
}

/* out against norm (the NORMALISE_ONLY output), as the header says. */
static void
check_fold(enum dotstuff_mode mode, const struct buf *out,
    const struct buf *norm)
{
	const char *o = out->data, *tail = mode == DOTSTUFF_WIRE ? ".\r\n" : "";
	size_t i = 0, j = 0, col = 0;
	int bol = 1;

	while (i < norm->len) {
		char c = norm->data[i];

		if (c == '\r') {	/* norm has CR only in CRLF */
			if (j + 2 > out->len || memcmp(o + j, "\r\n", 2) != 0)
				abort();
			i += 2;
			j += 2;
			col = 0;
			bol = 1;
			continue;
		}
		if (bol && mode == DOTSTUFF_WIRE && c == '.') {
			if (j >= out->len || o[j++] != '.')
				abort();
			col++;
		}
		bol = 0;
		if (mode != DOTSTUFF_NORMALISE_ONLY && col == DOTSTUFF_LINE_MAX) {
			if (j + 3 > out->len || memcmp(o + j, "\r\n ", 3) != 0)
				abort();
			j += 3;
			col = 1;
		}
		if (j >= out->len || o[j++] != c)
			abort();
		col++;
		i++;
	}
	if (out->len - j != strlen(tail) ||
	    (*tail != '\0' && memcmp(o + j, tail, strlen(tail)) != 0))
		abort();
}

/* One mode: whole, split and byte at a time agree; returns the whole. */
static void
run_mode(enum dotstuff_mode mode, const uint8_t *data, size_t size,
    unsigned seed, struct buf *whole)
{
	struct buf other;

	run(mode, data, size, 0, whole);
	run(mode, data, size, seed, &other);
	check_same(whole, &other);
	buf_free(&other);
	if (size < BYTEWISE_MAX) {
		run(mode, data, size, 1, &other);
		check_same(whole, &other);
		buf_free(&other);
	}
	check_clean(whole);
	if (mode != DOTSTUFF_NORMALISE_ONLY)
		check_lines(whole, mode);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf wire, chunk, norm;
	unsigned seed;

	if (size < 1)
		return 0;
	seed = data[0] | 1u;
	data++;
	size--;
	run_mode(DOTSTUFF_WIRE, data, size, seed, &wire);
	run_mode(DOTSTUFF_CHUNK, data, size, seed + 2, &chunk);
	run_mode(DOTSTUFF_NORMALISE_ONLY, data, size, seed + 4, &norm);
	check_fold(DOTSTUFF_WIRE, &wire, &norm);
	check_fold(DOTSTUFF_CHUNK, &chunk, &norm);
	check_fold(DOTSTUFF_NORMALISE_ONLY, &norm, &norm);
	buf_free(&wire);
	buf_free(&chunk);
	buf_free(&norm);
	return 0;
}
