/*
 * mail_mime: 8-bit message data to 7-bit, for a server without 8BITMIME
 * (RFC 6152 section 3: never send 8-bit data to it), pure and streaming.
 *
 * Fed the normalised message (CRLF lines: header section, empty line,
 * body) in any split, it emits an equivalent 7-bit message, MIME-aware,
 * as Postfix does; the output never depends on how the input was split:
 *   - a message without MIME headers whose body has 8-bit bytes becomes
 *     text/plain with a declared charset (the configured one, default
 *     "utf-8" when the held body is valid UTF-8, else "unknown-8bit"),
 *     encoded quoted-printable; MIME-Version: 1.0 is added;
 *   - a single-part MIME message with Content-Transfer-Encoding 8bit,
 *     binary, 7bit or none and content that is not 7bit data (RFC 2045
 *     2.7: 8-bit bytes, NUL, CR, lines over 998) is re-encoded
 *     quoted-printable; the Content-Transfer-Encoding field is replaced
 *     (or added, with Content-Type text/plain; charset=... if absent);
 *   - multipart bodies are walked part by part (nested multiparts too),
 *     boundaries, preambles and epilogues kept, each 8-bit part
 *     re-encoded; a multipart or message/rfc822 declared 8bit or binary
 *     is relabelled 7bit;
 *   - message/rfc822 parts are treated as their own messages;
 *   - 7-bit parts, and parts already base64 or quoted-printable, pass
 *     through unchanged; an 8-bit byte or bare CR in such a part, which
 *     cannot be re-encoded any more, becomes '?';
 *   - 8-bit bytes in header fields become RFC 2047 encoded-words
 *     (=?utf-8?q?...?=, the configured charset, or =?unknown-8bit?q?...?=;
 *     mail/rfc2047.h).
 *
 * Streaming rule (bounded look-ahead): whether a leaf part (or a message
 * without MIME headers) must be re-encoded is only known from its body,
 * but its header must be written first.  So such an entity's header and
 * body are held until the body is known to be clean (the part ends: all
 * passes byte for byte; a part labelled 8bit or binary becomes 7bit) or
 * not (a dirty line: re-encode; when the charset must be guessed the
 * whole part is held, to guess from all of it).  When the hold reaches
 * MAIL_MIME_HOLD_MAX, or a line passes 4096 bytes, the rest cannot be
 * known, and the part is re-encoded (quoted-printable of 7-bit text is
 * nearly the same text): never lossy, byte-exact for 7-bit input up to
 * that size.
 *
 * Quoted-printable output (RFC 2045 6.7) keeps lines to 76 characters
 * with soft line breaks, encodes '=' and 8-bit bytes, trailing blanks,
 * and a leading "." or "From " at line start is left alone (dot-stuffing
 * happens later on the wire).
 *
 * Memory is bounded: header lines are held up to MAIL_MIME_LINE_MAX in
 * all, a held body up to MAIL_MIME_HOLD_MAX, other body lines are
 * streamed; boundary nesting up to MAIL_MIME_DEPTH_MAX.  What one call
 * appends to out comes from what it was fed and what was held: body
 * bytes grow at most 3.2 times (quoted-printable: "=XX" for a byte, "="
 * CRLF every 75 characters), header bytes at most 9 times (encoded-words
 * with a charset name of 40).  MAIL_MIME_HOLD_MAX is kept small so that
 * a caller feeding small chunks needs little room (bench/memory).
 *
 * Errors: ERR_DATA (header line over the cap, nesting too deep, out's
 * cap reached), ERR_OS (no memory), ERR_SOFTWARE (fed after finish()).
 * After an error every call returns it again; out then holds part.
 */
#ifndef POSTIE_MAIL_MIME_H
#define POSTIE_MAIL_MIME_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

#define MAIL_MIME_LINE_MAX (1u << 20)
#define MAIL_MIME_DEPTH_MAX 32
#define MAIL_MIME_HOLD_MAX (256u << 10)	/* look-ahead, see above */

struct mail_mime;

/*
 * charset: declared for 8-bit text without a charset (and used in
 * encoded-words); NULL, or not an RFC 2045 token of up to 40 characters:
 * guess.  Returns NULL when out of memory; caller frees with
 * mail_mime_free().
 */
struct mail_mime *mail_mime_new(const char *charset);
void mail_mime_free(struct mail_mime *m);	/* m may be NULL */

/* Feed normalised message bytes; the 7-bit result is appended to out. */
enum err_kind mail_mime_feed(struct mail_mime *m, const void *data, size_t n,
    struct buf *out, struct err *e);
/* End of the message: flush what is held. */
enum err_kind mail_mime_finish(struct mail_mime *m, struct buf *out,
    struct err *e);

#endif
