#include "config.h"

#include <stddef.h>

#include "smtp/dotstuff.h"

/*
 * The transform works on runs: a run is a stretch of input bytes with no
 * CR, LF or NUL, copied out whole (in pieces of at most a line when
 * folding).  Line ends and bare CRs are decided one byte at a time.  All
 * state lives in struct dotstuff, so any split of the input into chunks
 * gives the same output.  A fold is decided when the octet after the
 * DOTSTUFF_LINE_MAX-th is known to be text, not the line's end: a CR
 * waits in pending_cr until the next byte says which it is.
 */

void
dotstuff_init(struct dotstuff *d, enum dotstuff_mode mode)
{
	d->mode = mode;
	d->pending_cr = 0;
	d->at_line_start = 1;
	d->empty = 1;
	d->col = 0;
}

/*
 * Text bytes (no CR, LF, NUL); the first one may start a line.  Folding
 * (not in NORMALISE_ONLY): a line holding DOTSTUFF_LINE_MAX octets goes
 * on after CRLF and a space.
 */
static int
put_text(struct dotstuff *d, const char *p, size_t n, struct buf *out)
{
	int fold = d->mode != DOTSTUFF_NORMALISE_ONLY;
	size_t k;

	if (n == 0)
		return 0;
	/* RFC 5321 4.5.2: a line starting with "." gets one more. */
	if (d->at_line_start && d->mode == DOTSTUFF_WIRE && p[0] == '.') {
		if (buf_append_byte(out, '.') == -1)
			return -1;
		d->col++;
	}
	d->at_line_start = 0;
	d->empty = 0;
	while (n > 0) {
		if (fold && d->col >= DOTSTUFF_LINE_MAX) {
			if (buf_append(out, "\r\n ", 3) == -1)
				return -1;
			d->col = 1;
		}
		k = fold && n > DOTSTUFF_LINE_MAX - d->col ?
		    DOTSTUFF_LINE_MAX - d->col : n;
		if (buf_append(out, p, k) == -1)
			return -1;
		d->col += k;
		p += k;
		n -= k;
	}
	return 0;
}

static int
put_crlf(struct dotstuff *d, struct buf *out)
{
	if (buf_append(out, "\r\n", 2) == -1)
		return -1;
	d->at_line_start = 1;
	d->empty = 0;
	d->col = 0;
	return 0;
}

/* A CR not followed by LF becomes a space, as Postfix does. */
static int
resolve_cr(struct dotstuff *d, struct buf *out)
{
	d->pending_cr = 0;
	return put_text(d, " ", 1, out);
}

/* One of CR, LF or NUL. */
static int
put_special(struct dotstuff *d, char c, struct buf *out)
{
	switch (c) {
	case '\r':
		if (d->pending_cr && resolve_cr(d, out) == -1)
			return -1;
		d->pending_cr = 1;
		return 0;
	case '\n':
		d->pending_cr = 0;	/* CRLF, or a bare LF: both end a line */
		return put_crlf(d, out);
	default:	/* NUL: dropped as if never sent ("\r\0\n" is CRLF) */
		return 0;
	}
}

int
dotstuff_feed(struct dotstuff *d, const void *in, size_t n, struct buf *out)
{
	const char *p = in;
	size_t i = 0, run;

	while (i < n) {
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0') {
			if (put_special(d, p[i], out) == -1)
				return -1;
			i++;
			continue;
		}
		if (d->pending_cr && resolve_cr(d, out) == -1)
			return -1;
		for (run = 0; i + run < n; run++) {
			char c = p[i + run];

			if (c == '\r' || c == '\n' || c == '\0')
				break;
		}
		if (put_text(d, p + i, run, out) == -1)
			return -1;
		i += run;
	}
	return 0;
}

int
dotstuff_finish(struct dotstuff *d, struct buf *out)
{
	if (d->pending_cr && resolve_cr(d, out) == -1)
		return -1;
	if (!d->empty && !d->at_line_start && put_crlf(d, out) == -1)
		return -1;
	if (d->mode == DOTSTUFF_WIRE && buf_append(out, ".\r\n", 3) == -1)
		return -1;
	d->at_line_start = 1;
	return 0;
}
