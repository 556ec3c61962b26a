/*
 * mail_mime: 8-bit message data to 7-bit, for a server without 8BITMIME
 * (RFC 6152 section 3: never send 8-bit data to it), pure and streaming.
 *
 * Fed the normalised message (CRLF lines: header section, empty line,
 * body) in any split, it emits an equivalent 7-bit message, MIME-aware,
 * as Postfix does:
 *   - a message without MIME headers whose body has 8-bit bytes becomes
 *     text/plain with a declared charset (the configured one, default
 *     "utf-8" when the body is valid UTF-8, else "unknown-8bit"), encoded
 *     quoted-printable; MIME-Version: 1.0 is added;
 *   - a single-part MIME message with Content-Transfer-Encoding 8bit (or
 *     none) and 8-bit content is re-encoded quoted-printable; the
 *     Content-Transfer-Encoding field is replaced;
 *   - multipart bodies are walked part by part (nested multiparts too),
 *     boundaries and preambles kept, each 8-bit part re-encoded;
 *   - message/rfc822 parts are treated as their own messages;
 *   - 7-bit parts, and parts already base64 or quoted-printable, pass
 *     through unchanged;
 *   - 8-bit bytes in header fields become RFC 2047 encoded-words
 *     (=?utf-8?q?...?= or =?unknown-8bit?q?...?=).
 * Quoted-printable output (RFC 2045 6.7) keeps lines under 76 characters
 * with soft line breaks, encodes '=' and 8-bit bytes, trailing blanks,
 * and a leading "." or "From " at line start is left alone (dot-stuffing
 * happens later on the wire).
 *
 * Memory is bounded: header lines are held up to MAIL_MIME_LINE_MAX,
 * body lines are streamed; boundary nesting up to MAIL_MIME_DEPTH_MAX.
 *
 * Errors: ERR_DATA (header line over the cap, nesting too deep), ERR_OS.
 */
#ifndef POSTIE_MAIL_MIME_H
#define POSTIE_MAIL_MIME_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

#define MAIL_MIME_LINE_MAX (1u << 20)
#define MAIL_MIME_DEPTH_MAX 32

struct mail_mime;

/* charset: declared for 8-bit text without MIME headers; NULL: guess. */
struct mail_mime *mail_mime_new(const char *charset);
void mail_mime_free(struct mail_mime *m);	/* m may be NULL */

/* Feed normalised message bytes; the 7-bit result is appended to out. */
enum err_kind mail_mime_feed(struct mail_mime *m, const void *data, size_t n,
    struct buf *out, struct err *e);
/* End of the message: flush what is held. */
enum err_kind mail_mime_finish(struct mail_mime *m, struct buf *out,
    struct err *e);

#endif
