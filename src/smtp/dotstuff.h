/*
 * dotstuff: the message body as it goes on the wire (RFC 5321 4.5.2).
 *
 * A streaming transform in up to three steps, in this order:
 *
 * 1. Normalise.  CRLF stays CRLF; a bare LF becomes CRLF; a bare CR (one
 *    not followed by LF, even when the LF would arrive in a later chunk)
 *    becomes a space, as Postfix does; a NUL byte is removed.  So the
 *    output never holds a bare CR, a bare LF or a NUL, and no
 *    SMTP-smuggling end-of-data variant ("\n.\n", "\r.\r", "\r\n.\n", ...)
 *    in the input can survive.
 * 2. Stuff.  A line that starts with "." gets a second "." in front.
 * 3. Fold.  No output line is longer than DOTSTUFF_LINE_MAX octets
 *    without its CRLF (RFC 5321 4.5.3.1.6: 1000 with it), counting a
 *    stuffed dot: after DOTSTUFF_LINE_MAX octets of a line, when another
 *    octet of that line follows (not the CRLF that ends it), CRLF and a
 *    space go out first, as Postfix does (smtp_line_length_limit).  The
 *    continuation line starts with that space, so it is never stuffed.
 *    A line of exactly DOTSTUFF_LINE_MAX octets is left alone.
 *
 * The modes:
 *   DOTSTUFF_WIRE            steps 1, 2 and 3; dotstuff_finish() ends the
 *                            data with CRLF if the last line lacked one,
 *                            then ".\r\n" (DATA, RFC 5321 4.1.1.4).
 *   DOTSTUFF_CHUNK           steps 1 and 3, for BDAT (RFC 3030), whose
 *                            chunks are counted, not stuffed;
 *                            dotstuff_finish() adds only the missing final
 *                            CRLF, no end marker.
 *   DOTSTUFF_NORMALISE_ONLY  step 1; dotstuff_finish() adds only the
 *                            missing final CRLF: the form postie spools
 *                            and scans headers in (lines are not folded).
 *
 * Step 1 is idempotent, so normalised input (as spooled) gives the same
 * bytes as raw input in every mode.  Any split of the input into feeds
 * gives the same output.
 *
 * Lifecycle: dotstuff_init(), any number of dotstuff_feed(), one
 * dotstuff_finish(); init again to reuse.  No allocation of its own;
 * output goes to a caller's buf.  Appends fail (-1) only when that buf's
 * cap is hit; the state is then undefined.
 */
#ifndef POSTIE_SMTP_DOTSTUFF_H
#define POSTIE_SMTP_DOTSTUFF_H

#include <stddef.h>

#include "util/buf.h"

/* Octets of an output line, without its CRLF (RFC 5321 4.5.3.1.6). */
#define DOTSTUFF_LINE_MAX 998

enum dotstuff_mode {
	DOTSTUFF_WIRE,		/* normalise, stuff, fold; ".\r\n" at the end */
	DOTSTUFF_NORMALISE_ONLY,	/* normalise */
	DOTSTUFF_CHUNK		/* normalise, fold (BDAT) */
};

struct dotstuff {
	enum dotstuff_mode mode;
	int pending_cr;		/* last input byte was CR, LF not yet seen */
	int at_line_start;	/* next output byte starts a line */
	int empty;		/* nothing was output yet */
	size_t col;		/* octets on the current output line */
};

void dotstuff_init(struct dotstuff *d, enum dotstuff_mode mode);
/* n bytes of the message, transformed, appended to out: 0, or -1 when
 * out's cap is reached. */
int dotstuff_feed(struct dotstuff *d, const void *in, size_t n,
    struct buf *out);
/* The end of the message, as the mode says: 0, or -1 (out's cap). */
int dotstuff_finish(struct dotstuff *d, struct buf *out);

#endif
