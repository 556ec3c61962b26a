/*
 * smtp_reply: incremental parser for SMTP replies (RFC 5321 section 4.2).
 *
 * Fed bytes from the server in any split (one byte at a time works), it
 * assembles one reply at a time: one or more lines "NNN-text" ending with
 * "NNN text" (or a bare "NNN").  Lines end in CRLF; a bare LF is accepted
 * as a line end (the CR before it is stripped), a bare CR is kept as text.
 *
 * Checks, each a protocol error (SMTP_REPLY_ERROR):
 *   - a code that is not three digits, first 2-5, second 0-5;
 *   - a character other than ' ' or '-' after the code;
 *   - a continuation line whose code differs from the first line's;
 *   - a line longer than SMTP_REPLY_LINE_MAX, or more than
 *     SMTP_REPLY_LINES_MAX lines in one reply.
 * An enhanced status code (RFC 3463: "class.subject.detail" then a space,
 * at the start of the first line's text) is recorded only when its class
 * digit equals the reply's first digit; otherwise it is ignored (not an
 * error) and stays part of the text.
 *
 * Lifecycle: smtp_reply_parser_init(), smtp_reply_feed() until it returns
 * SMTP_REPLY_DONE, read the reply, feed again (the parser resets itself
 * when the next byte after a completed reply arrives), ..._free().
 * After SMTP_REPLY_ERROR the parser is dead: free it.
 */
#ifndef POSTIE_SMTP_REPLY_H
#define POSTIE_SMTP_REPLY_H

#include <stddef.h>

#include "util/buf.h"

#define SMTP_REPLY_LINE_MAX 2048	/* RFC 5321 says 512; be lenient */
#define SMTP_REPLY_LINES_MAX 128
#define SMTP_REPLY_ESC_MAX 16		/* "5.123.456" fits */

enum smtp_reply_class {
	SMTP_REPLY_POSITIVE,	/* 2xx: done */
	SMTP_REPLY_INTERMEDIATE, /* 3xx: go on (354, 334) */
	SMTP_REPLY_TEMPORARY,	/* 4xx: try again later */
	SMTP_REPLY_PERMANENT	/* 5xx: do not try again */
};

struct smtp_reply {
	int code;			/* 200..559 */
	enum smtp_reply_class cls;
	char esc[SMTP_REPLY_ESC_MAX];	/* "2.1.0", or "" when absent */
	size_t nlines;
	/*
	 * The text of every line, without code, separator and line end,
	 * each followed by a NUL: line i starts at text.data + off[i].
	 * The enhanced code, when recorded, stays in the text.
	 */
	struct buf text;
	size_t off[SMTP_REPLY_LINES_MAX];
};

enum smtp_reply_status {
	SMTP_REPLY_MORE,	/* need more bytes */
	SMTP_REPLY_DONE,	/* a whole reply is in p->reply */
	SMTP_REPLY_ERROR	/* malformed; p->error says why */
};

struct smtp_reply_parser {
	struct smtp_reply reply;
	struct buf line;		/* current partial line */
	int done;			/* reply complete, reset on next feed */
	char error[128];
};

void smtp_reply_parser_init(struct smtp_reply_parser *p);
void smtp_reply_parser_free(struct smtp_reply_parser *p);

/*
 * Feed up to n bytes.  Stops right after the end of a reply, so *used
 * (always set) may be less than n: the caller feeds the rest after taking
 * the reply.  On SMTP_REPLY_DONE the reply is valid until the next call.
 */
enum smtp_reply_status smtp_reply_feed(struct smtp_reply_parser *p,
    const void *data, size_t n, size_t *used);

/* Text of line i (borrowed, valid while the reply is). */
const char *smtp_reply_line(const struct smtp_reply *r, size_t i);

/*
 * Append a one-line, printable rendering of r to out: "550 5.1.1 no such
 * user" (continuation lines joined with " / ", control bytes escaped).
 * Returns 0 or -1 when out is full.
 */
int smtp_reply_format(const struct smtp_reply *r, struct buf *out);

/* Deep copy src into dst (dst initialised by smtp_reply_init). */
void smtp_reply_init(struct smtp_reply *r);
int smtp_reply_copy(struct smtp_reply *dst, const struct smtp_reply *src);
void smtp_reply_free(struct smtp_reply *r);

#endif
