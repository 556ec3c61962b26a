/*
 * mail_rfc2047: RFC 2047 encoded-words, for header text that holds 8-bit
 * bytes and must go to a peer that takes only 7-bit data.  Pure: no
 * allocation of its own, output to the caller's bufs.
 *
 * mail_rfc2047_words() writes text as Q-encoded words
 * ("=?charset?q?...?=", RFC 2047 4.2, with only the characters section 5
 * (3) allows in every context, a space as "_"), each at most
 * MAIL_RFC2047_WORD_MAX characters, each holding whole characters when
 * the charset is utf-8 (section 5: a multi-octet character is never split
 * between words).  Words are separated by a space, or, when folding and
 * the next word would take the line past MAIL_RFC2047_LINE_MAX, by CRLF
 * and a space; when folding, the first word is made short enough to end
 * its line by MAIL_RFC2047_LINE_MAX too, if one character leaves room.
 *
 * mail_rfc2047_value() writes a field body with each run of 8-bit words
 * so encoded and everything else as it is, split into words by the
 * field's class (section 5: where encoded-words may stand).
 *
 * Errors: ERR_DATA (out's cap reached), ERR_OS (no memory, or the
 * scratch buf's cap reached); out then holds part of the text.
 */
#ifndef POSTIE_MAIL_RFC2047_H
#define POSTIE_MAIL_RFC2047_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

#define MAIL_RFC2047_WORD_MAX 75	/* an encoded-word (section 2) */
#define MAIL_RFC2047_LINE_MAX 76	/* a line holding one (section 2) */
/* Longer charset names make words of only one character, which may be
 * longer than MAIL_RFC2047_WORD_MAX. */
#define MAIL_RFC2047_CHARSET_MAX 40

/* How a field body is split into words (RFC 2047 5). */
enum mail_rfc2047_class {
	MAIL_RFC2047_TEXT,	/* unstructured: words between blanks */
	MAIL_RFC2047_PHRASE,	/* address fields: specials, quoted strings */
	MAIL_RFC2047_PARAM	/* Content-*: words go inside quotes */
};

/* The class of the field named name[0..n). */
enum mail_rfc2047_class mail_rfc2047_class_of(const char *name, size_t n);

/*
 * text[0..n) as encoded-words in charset (a token), appended to out.
 * *col is the output column before and after; fold allows CRLF SP
 * between words (not inside a quoted string).  Nothing for n == 0.
 */
enum err_kind mail_rfc2047_words(struct buf *out, const char *text, size_t n,
    const char *charset, bool fold, size_t *col, struct err *e);

/*
 * The field body v[0..n) (after the colon, CRLF folds included) appended
 * to out: each run of adjacent words holding 8-bit bytes, with the blanks
 * between them, unfolded and unquoted, becomes encoded-words in charset
 * (in Content-* fields one word at a time, inside quotes); the rest is
 * copied, a CR not followed by LF as '?'.  col: the column v starts at.
 * scratch: a buf for the run's text, reset here (its data is garbage
 * after the call).
 */
enum err_kind mail_rfc2047_value(struct buf *out, struct buf *scratch,
    const char *v, size_t n, enum mail_rfc2047_class cls,
    const char *charset, size_t col, struct err *e);

/*
 * RFC 2047 2: a line that holds an encoded-word is at most
 * MAIL_RFC2047_LINE_MAX characters.  Refold out[start..) (one whole
 * field, CRLF line ends): each line over the limit that holds "=?" is
 * broken before a blank (RFC 5322 2.2.3 folding, which unfolding undoes)
 * as late as the limit allows, or at the first blank past it when there
 * is none before.  scratch is reset and used; ERR_DATA when a buf's cap
 * is hit.
 */
enum err_kind mail_rfc2047_refold(struct buf *out, size_t start,
    struct buf *scratch, struct err *e);

#endif
