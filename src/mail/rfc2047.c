#include "config.h"

#include <string.h>

#include "mail/rfc2047.h"
#include "mail/text_int.h"

#define EW_OVERHEAD 7		/* "=?" "?q?" "?=" around charset and text */
#define EW_PAYLOAD_MIN 12	/* one 4-byte UTF-8 character, Q-encoded */
#define EW_CHAR_MAX 4		/* bytes of one UTF-8 character */


static enum err_kind
put(struct buf *out, const void *p, size_t n, struct err *e)
{
	if (buf_append(out, p, n) == 0)
		return ERR_OK;
	if (n > out->max || out->len > out->max - n)
		return err_set(e, ERR_DATA, "RFC 2047: output over its cap");
	return err_set(e, ERR_OS, "RFC 2047: out of memory");
}

static enum err_kind
put_str(struct buf *out, const char *s, struct err *e)
{
	return put(out, s, strlen(s), e);
}

/* 7-bit text, a CR not followed by LF (in p) as '?'. */
static enum err_kind
put_text(struct buf *out, const char *p, size_t n, struct err *e)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		if (p[i] != '\r' || (i + 1 < n && p[i + 1] == '\n'))
			continue;
		if (put(out, p + start, i - start, e) != ERR_OK ||
		    put(out, "?", 1, e) != ERR_OK)
			return e->kind;
		start = i + 1;
	}
	return put(out, p + start, n - start, e);
}

enum mail_rfc2047_class
mail_rfc2047_class_of(const char *name, size_t n)
{
	static const char *const phrase[] = {
		"from", "to", "cc", "bcc", "reply-to", "sender",
		"resent-from", "resent-to", "resent-cc", "resent-bcc",
		"resent-sender", "resent-reply-to", "mail-followup-to",
		"disposition-notification-to", NULL
	};
	size_t i;

	if (n >= 8 && same_ci(name, 8, "content-"))
		return MAIL_RFC2047_PARAM;
	for (i = 0; phrase[i] != NULL; i++)
		if (same_ci(name, n, phrase[i]))
			return MAIL_RFC2047_PHRASE;
	return MAIL_RFC2047_TEXT;
}

/* RFC 2047 5 (3): the characters safe in every context; ' ' is '_'. */
static size_t
q_char(unsigned char c, char *dst)
{
	static const char hex[] = "0123456789ABCDEF";

	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || in_set(c, "!*+-/")) {
		dst[0] = (char)c;
		return 1;
	}
	if (c == ' ') {
		dst[0] = '_';
		return 1;
	}
	dst[0] = '=';
	dst[1] = hex[c >> 4];
	dst[2] = hex[c & 15];
	return 3;
}

/*
 * The encoded text of the next word from p[*i]: whole characters (with
 * utf8) up to payload characters, at least one character.  Returns its
 * length in w.
 */
static size_t
next_word(const char *p, size_t n, size_t *i, bool utf8, size_t payload,
    char *w)
{
	char tmp[3 * EW_CHAR_MAX];
	size_t wl, cl, el, k;

	for (wl = 0; *i < n; *i += cl, wl += el) {
		cl = utf8 ? utf8_len((unsigned char)p[*i]) : 1;
		if (cl > n - *i)
			cl = n - *i;
		for (el = 0, k = 0; k < cl; k++)
			el += q_char((unsigned char)p[*i + k], tmp + el);
		if (wl > 0 && wl + el > payload)
			break;
		memcpy(w + wl, tmp, el);
	}
	return wl;
}

enum err_kind
mail_rfc2047_words(struct buf *out, const char *text, size_t n,
    const char *charset, bool fold, size_t *col, struct err *e)
{
	char w[MAIL_RFC2047_WORD_MAX + 3 * EW_CHAR_MAX];
	size_t i = 0, wl, payload, limit, over = EW_OVERHEAD + strlen(charset);
	bool utf8 = strcmp(charset, "utf-8") == 0, first = true;

	payload = over + EW_PAYLOAD_MIN < MAIL_RFC2047_WORD_MAX ?
	    MAIL_RFC2047_WORD_MAX - over : EW_PAYLOAD_MIN;
	while (i < n) {
		/* The first word cannot go to a line of its own: it gets
		 * what is left of this one (2: lines of at most 76). */
		limit = payload;
		if (first && fold && *col + over < MAIL_RFC2047_LINE_MAX &&
		    MAIL_RFC2047_LINE_MAX - *col - over < limit)
			limit = MAIL_RFC2047_LINE_MAX - *col - over;
		wl = next_word(text, n, &i, utf8, limit, w);
		if (!first && fold &&
		    *col + over + wl + 1 > MAIL_RFC2047_LINE_MAX) {
			if (put(out, "\r\n ", 3, e) != ERR_OK)
				return e->kind;
			*col = 1;
		} else if (!first) {
			if (put(out, " ", 1, e) != ERR_OK)
				return e->kind;
			(*col)++;
		}
		if (put(out, "=?", 2, e) != ERR_OK ||
		    put_str(out, charset, e) != ERR_OK ||
		    put(out, "?q?", 3, e) != ERR_OK ||
		    put(out, w, wl, e) != ERR_OK ||
		    put(out, "?=", 2, e) != ERR_OK)
			return e->kind;
		*col += over + wl;
		first = false;
	}
	return ERR_OK;
}

/* ---- field bodies ---- */

/* Blanks and CRLF folds from i (a lone CR is not one). */
static size_t
ws_end(const char *v, size_t n, size_t i)
{
	while (i < n) {
		if (is_blank((unsigned char)v[i]) || v[i] == '\n')
			i++;
		else if (v[i] == '\r' && i + 1 < n && v[i + 1] == '\n')
			i += 2;
		else
			break;
	}
	return i;
}

/* Past the quoted-string at v[i] == '"' (RFC 5322 3.2.4), or n. */
static size_t
quoted_end(const char *v, size_t n, size_t i)
{
	for (i++; i < n && v[i] != '"'; i++)
		if (v[i] == '\\' && i + 1 < n)
			i++;
	return i < n ? i + 1 : n;
}

/* The end of the word at v[i] (not blank): RFC 2047 5's units. */
static size_t
word_end(const char *v, size_t n, size_t i, enum mail_rfc2047_class cls)
{
	const char *stop = cls == MAIL_RFC2047_PARAM ?
	    "()<>@,;:\\[]/?=\"" : "()<>@,;:\\[]\"";

	if (cls != MAIL_RFC2047_TEXT && v[i] == '"')
		return quoted_end(v, n, i);
	if (cls != MAIL_RFC2047_TEXT && in_set((unsigned char)v[i], stop))
		return i + 1;
	for (i++; i < n && ws_end(v, n, i) == i; i++)
		if (cls != MAIL_RFC2047_TEXT &&
		    in_set((unsigned char)v[i], stop))
			break;
	return i;
}

/* The text of v[i..j) into run: unquoted, unfolded (RFC 5322 2.2.3). */
static enum err_kind
run_add(struct buf *run, const char *v, size_t i, size_t j,
    enum mail_rfc2047_class cls, struct err *e)
{
	bool quoted = cls != MAIL_RFC2047_TEXT && v[i] == '"' && j > i + 1;

	if (quoted) {
		i++;
		if (v[j - 1] == '"')
			j--;
	}
	for (; i < j; i++) {
		if (v[i] == '\r' && i + 1 < j && v[i + 1] == '\n')
			continue;
		if (v[i] == '\n')
			continue;
		if (quoted && v[i] == '\\' && i + 1 < j)
			i++;
		if (buf_append(run, v + i, 1) == -1)
			return err_set(e, ERR_OS, "RFC 2047: out of memory");
	}
	return ERR_OK;
}

/* The column after writing the blanks and folds v[0..n) from col. */
static size_t
col_after(const char *v, size_t n, size_t col)
{
	size_t i;

	for (i = n; i > 0; i--)
		if (v[i - 1] == '\n')
			return n - i;
	return col + n;
}

/*
 * v[i..] from a word with 8-bit bytes: it, and (but in parameters) the
 * next words with 8-bit bytes and the blanks between them, into run,
 * because blanks between encoded-words vanish when decoded (6.2).
 * Returns the end of the last word taken.
 */
static size_t
run_collect(struct buf *run, const char *v, size_t n, size_t i,
    enum mail_rfc2047_class cls, struct err *e)
{
	size_t j = word_end(v, n, i, cls), k, w;

	buf_reset(run);
	if (run_add(run, v, i, j, cls, e) != ERR_OK)
		return j;
	while (cls != MAIL_RFC2047_PARAM && (k = ws_end(v, n, j)) > j &&
	    k < n) {
		w = word_end(v, n, k, cls);
		if (!has_8bit(v + k, w - k))
			break;
		if (run_add(run, v, j, k, cls, e) != ERR_OK ||
		    run_add(run, v, k, w, cls, e) != ERR_OK)
			return w;
		j = w;
	}
	return j;
}

/*
 * In Content-* fields (parameters) each word is put in quotes, as common
 * practice has it (RFC 2231 would be the standard way).
 */
enum err_kind
mail_rfc2047_value(struct buf *out, struct buf *scratch, const char *v,
    size_t n, enum mail_rfc2047_class cls, const char *charset, size_t col,
    struct err *e)
{
	bool param = cls == MAIL_RFC2047_PARAM;
	size_t i = 0, j;

	err_clear(e);
	while (i < n) {
		if ((j = ws_end(v, n, i)) > i) {
			if (put(out, v + i, j - i, e) != ERR_OK)
				return e->kind;
			col = col_after(v + i, j - i, col);
			i = j;
			continue;
		}
		j = word_end(v, n, i, cls);
		if (!has_8bit(v + i, j - i)) {
			if (put_text(out, v + i, j - i, e) != ERR_OK)
				return e->kind;
			col += j - i;
			i = j;
			continue;
		}
		j = run_collect(scratch, v, n, i, cls, e);
		if (e->kind != ERR_OK ||
		    (param && put(out, "\"", 1, e) != ERR_OK) ||
		    mail_rfc2047_words(out, scratch->data, scratch->len,
		    charset, !param, &col, e) != ERR_OK ||
		    (param && put(out, "\"", 1, e) != ERR_OK))
			return e->kind;
		col += param ? 2 : 0;
		i = j;
	}
	return ERR_OK;
}

/* One line (without CRLF) to scratch, folded as mail_rfc2047_refold()
 * says; -1 when scratch is full. */
static int
refold_line(struct buf *scratch, const char *p, size_t n)
{
	size_t i, brk;

	while (n > MAIL_RFC2047_LINE_MAX &&
	    memmem(p, n, "=?", 2) != NULL) {
		/* The last blank at or before the limit, not the first byte
		 * (a continuation line's own blank)... */
		brk = 0;
		for (i = 1; i <= MAIL_RFC2047_LINE_MAX && i < n; i++)
			if (p[i] == ' ' || p[i] == '\t')
				brk = i;
		/* ...or else the first one after it. */
		for (i = MAIL_RFC2047_LINE_MAX + 1; brk == 0 && i < n; i++)
			if (p[i] == ' ' || p[i] == '\t')
				brk = i;
		if (brk == 0)
			break;
		if (buf_append(scratch, p, brk) == -1 ||
		    buf_append(scratch, "\r\n", 2) == -1)
			return -1;
		p += brk;
		n -= brk;
	}
	return buf_append(scratch, p, n);
}

enum err_kind
mail_rfc2047_refold(struct buf *out, size_t start, struct buf *scratch,
    struct err *e)
{
	const char *p, *end, *eol;
	size_t len;

	if (start >= out->len)
		return ERR_OK;
	buf_reset(scratch);
	p = out->data + start;
	end = out->data + out->len;
	while (p < end) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		len = eol != NULL ? (size_t)(eol - p) : (size_t)(end - p);
		if (refold_line(scratch, p, len) == -1 ||
		    (eol != NULL && buf_append(scratch, "\r\n", 2) == -1))
			return err_set(e, ERR_DATA, "header field too long");
		p += len + (eol != NULL ? 2 : 0);
	}
	if (scratch->len == out->len - start)
		return ERR_OK;		/* nothing was folded */
	out->len = start;
	if (buf_append(out, scratch->data, scratch->len) == -1)
		return err_set(e, ERR_DATA, "header field too long");
	return ERR_OK;
}
