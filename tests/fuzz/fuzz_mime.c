/*
 * fuzz_mime: arbitrary bytes as a message for the 7-bit converter.  Fed
 * whole and in pseudo-random splits (seeded from the input), it must give
 * the same result both ways; the output must be 7-bit with CRLF line ends
 * only; and 7-bit input without MIME fields must come back byte for byte.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/mime.h"

#define FUZZ_OUT_MAX (64u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t
next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Convert d; seed 0 feeds it whole, else in random pieces of 1..32. */
static enum err_kind
run(const uint8_t *d, size_t n, uint32_t seed, struct buf *out)
{
	struct mail_mime *m = mail_mime_new(NULL);
	enum err_kind rc = ERR_OK;
	struct err e;
	size_t pos = 0, k;

	buf_init(out, FUZZ_OUT_MAX);
	if (m == NULL)
		return ERR_OS;
	while (rc == ERR_OK && pos < n) {
		k = seed == 0 ? n - pos : 1 + next(&seed) % 32;
		if (k > n - pos)
			k = n - pos;
		rc = mail_mime_feed(m, d + pos, k, out, &e);
		pos += k;
	}
	if (rc == ERR_OK)
		rc = mail_mime_finish(m, out, &e);
	mail_mime_free(m);
	return rc;
}

static bool
wire_ok(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] >= 0x80 ||
		    (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n')) ||
		    (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')))
			return false;
	}
	return true;
}

/*
 * 7bit data (RFC 2045 2.7: no NUL, CR and LF only as CRLF, lines up to
 * 998) without anything that could be a MIME field, small enough for
 * the converter's look-ahead.
 */
static bool
plain_7bit(const uint8_t *d, size_t n)
{
	size_t i, col = 0;

	if (n >= MAIL_MIME_HOLD_MAX || !wire_ok((const char *)d, n))
		return false;
	for (i = 0; i < n; i++) {
		if (d[i] == '\0' || (d[i] != '\r' && d[i] != '\n' &&
		    ++col > 998))
			return false;
		if (d[i] == '\n')
			col = 0;
		if ((n - i >= 8 && strncasecmp((const char *)d + i,
		    "content-", 8) == 0) || (n - i >= 12 &&
		    strncasecmp((const char *)d + i, "mime-version", 12) == 0))
			return false;
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf whole, split;
	enum err_kind rc;
	uint32_t seed = 2463534242u ^ (uint32_t)size;

	if (size > 0)
		seed ^= (uint32_t)data[0] << 8 | data[size - 1];
	rc = run(data, size, 0, &whole);
	if (rc == ERR_OK && !wire_ok(buf_str(&whole), whole.len))
		abort();
	if (rc == ERR_OK && plain_7bit(data, size) && (whole.len != size ||
	    (size > 0 && memcmp(whole.data, data, size) != 0)))
		abort();
	if (run(data, size, seed, &split) != rc)
		abort();
	if (rc == ERR_OK && (split.len != whole.len ||
	    memcmp(buf_str(&split), buf_str(&whole), whole.len) != 0))
		abort();
	buf_free(&whole);
	buf_free(&split);
	return 0;
}
