/*
 * dotstuff: the message body as it goes on the wire (RFC 5321 4.5.2).
 *
 * A streaming transform in two steps, in this order:
 *
 * 1. Normalise.  CRLF stays CRLF; a bare LF becomes CRLF; a bare CR (one
 *    not followed by LF, even when the LF would arrive in a later chunk)
 *    becomes a space, as Postfix does; a NUL byte is removed.  So the
 *    output never holds a bare CR, a bare LF or a NUL, and no
 *    SMTP-smuggling end-of-data variant ("\n.\n", "\r.\r", "\r\n.\n", ...)
 *    in the input can survive.
 * 2. Stuff.  A line that starts with "." gets a second "." in front.
 *
 * dotstuff_finish() ends the data: CRLF if the last line lacked one, then
 * ".\r\n".  The transform is idempotent in step 1, so normalised input
 * (as spooled) gives the same bytes as raw input.
 *
 * With DOTSTUFF_NORMALISE_ONLY only step 1 runs and finish adds only the
 * missing final CRLF: the form postie spools and scans headers in.
 *
 * No allocation of its own; output goes to a caller's buf.  Appends fail
 * (-1) only when that buf's cap is hit; the state is then undefined.
 */
#ifndef POSTIE_SMTP_DOTSTUFF_H
#define POSTIE_SMTP_DOTSTUFF_H

#include <stddef.h>

#include "util/buf.h"

enum dotstuff_mode {
	DOTSTUFF_WIRE,		/* normalise and stuff */
	DOTSTUFF_NORMALISE_ONLY
};

struct dotstuff {
	enum dotstuff_mode mode;
	int pending_cr;		/* last input byte was CR, LF not yet seen */
	int at_line_start;	/* next output byte starts a line */
	int empty;		/* nothing was output yet */
};

void dotstuff_init(struct dotstuff *d, enum dotstuff_mode mode);
int dotstuff_feed(struct dotstuff *d, const void *in, size_t n,
    struct buf *out);
int dotstuff_finish(struct dotstuff *d, struct buf *out);

#endif
