/*
 * fuzz_dotstuff: the input's first byte seeds the split points; the rest
 * is the message.  Aborts when the output of any split differs from the
 * whole feed, or holds a bare CR, a bare LF or a NUL, or (WIRE mode) does
 * not end with "\r\n.\r\n" (".\r\n" alone for empty input), or when a
 * line starts with "." + CRLF before the end, or differs from the
 * NORMALISE_ONLY output once unstuffed.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/dotstuff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX (64u << 20)

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

/* Unstuff wire (clean CRLF lines) and compare it with norm. */
static void
check_unstuff(const struct buf *wire, const struct buf *norm)
{
	size_t i = 0, j = 0, eol;

	for (;;) {
		const char *line = wire->data + i;
		const char *nl = memchr(line, '\n', wire->len - i);

		if (nl == NULL)
			abort();
		eol = (size_t)(nl - line) + 1;
		if (eol == 3 && line[0] == '.') {
			if (i + 3 != wire->len || j != norm->len)
				abort();	/* the end marker, and only last */
			return;
		}
		if (line[0] == '.') {
			line++;
			eol--;
		}
		if (j + eol > norm->len || memcmp(norm->data + j, line, eol))
			abort();
		j += eol;
		i += (size_t)(nl - (wire->data + i)) + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf whole, split, bytes, norm;
	unsigned seed;

	if (size < 1)
		return 0;
	seed = data[0] | 1u;
	data++;
	size--;
	run(DOTSTUFF_WIRE, data, size, 0, &whole);
	run(DOTSTUFF_WIRE, data, size, seed, &split);
	run(DOTSTUFF_NORMALISE_ONLY, data, size, seed + 2, &norm);
	if (size < 4096)
		run(DOTSTUFF_WIRE, data, size, 1, &bytes);
	else
		buf_init(&bytes, 0);
	if (split.len != whole.len || memcmp(split.data, whole.data, whole.len))
		abort();
	if (size < 4096 && (bytes.len != whole.len ||
	    memcmp(bytes.data, whole.data, whole.len)))
		abort();
	check_clean(&whole);
	check_clean(&norm);
	check_unstuff(&whole, &norm);
	buf_free(&whole);
	buf_free(&split);
	buf_free(&bytes);
	buf_free(&norm);
	return 0;
}
