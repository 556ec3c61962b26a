#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mime.h"
#include "mail/rfc2047.h"
#include "mail/text_int.h"
#include "util/utf8.h"

#define MIME_CHUNK 4096		/* body bytes handled before their line ends */
#define MIME_TEXT_LINE 998	/* RFC 5322 2.1.1, RFC 2045 2.7 */
#define MIME_QP_LINE 76		/* RFC 2045 6.7 (5) */
#define MIME_BOUNDARY_MAX 255	/* RFC 2046 5.1.1 says 70; be lenient */
#define MIME_TOKEN_MAX 63	/* of a type or subtype name we compare */
#define MIME_CHARSET_MAX MAIL_RFC2047_CHARSET_MAX

/*
 * One state per kind of line we may be given.  HOLD is the look-ahead:
 * an identity-encoded leaf whose header is held, with its body, until the
 * body proves clean 7-bit (passed through byte for byte) or not
 * (re-encoded quoted-printable), see resolve().
 */
enum mime_state {
	MIME_ST_HEADER,		/* an entity's header lines, held */
	MIME_ST_HOLD,		/* identity leaf body, held (look-ahead) */
	MIME_ST_QP,		/* leaf body, encoded quoted-printable */
	MIME_ST_PASS,		/* leaf body, passed through */
	MIME_ST_PREAMBLE,	/* before a multipart's first delimiter */
	MIME_ST_EPILOGUE,	/* after a close delimiter */
	MIME_ST_DONE,		/* finished */
	MIME_ST_FAILED,		/* an error was returned; stays */
	MIME_ST_COUNT
};

static const char *const mime_state_names[MIME_ST_COUNT] = {
	"header", "hold", "qp", "pass", "preamble", "epilogue", "done",
	"failed"
};

/* How the bytes handed to a line handler end. */
enum mime_end {
	MIME_END_CRLF,		/* a whole line; its CRLF (or LF) removed */
	MIME_END_NONE,		/* the last line of the input, unterminated */
	MIME_END_CHUNK		/* part of a long line; more follows */
};

enum mime_cte {
	MIME_CTE_NONE, MIME_CTE_7BIT, MIME_CTE_8BIT, MIME_CTE_BINARY,
	MIME_CTE_QP, MIME_CTE_BASE64, MIME_CTE_OTHER
};

enum mime_kind { MIME_KIND_LEAF, MIME_KIND_MULTIPART, MIME_KIND_MESSAGE };

enum mime_hdr_mode {
	MIME_HDR_ASIS,		/* fields as they came (8-bit ones encoded) */
	MIME_HDR_7BIT,		/* and Content-Transfer-Encoding: 7bit */
	MIME_HDR_QP		/* and quoted-printable, fields added */
};

struct mime_entity {
	bool message;		/* a message header (top or message/rfc822) */
	bool digest_part;	/* in multipart/digest: default message/rfc822 */
	bool mime_version, has_type, has_cte;
	enum mime_cte cte;
	enum mime_kind kind;
	bool digest;		/* multipart/digest */
	char boundary[MIME_BOUNDARY_MAX + 1];
	size_t blen;
};

struct mime_frame {
	char boundary[MIME_BOUNDARY_MAX + 1];
	size_t len;
	bool digest;
};

struct mail_mime {
	enum mime_state state;
	char charset[MIME_CHARSET_MAX + 1];	/* "" when guessing */
	struct buf line;	/* the input line being assembled */
	struct buf hdr;		/* the current entity's header lines */
	struct buf hold;	/* HOLD: body lines, each with its CRLF */
	struct buf run;		/* scratch for mail_rfc2047_value() */
	bool midline;		/* part of the current line was handled */
	bool dirty;		/* HOLD: a held line needs encoding */
	size_t qp_col;		/* QP: characters on the output line */
	struct mime_entity ent;
	struct mime_frame stack[MAIL_MIME_DEPTH_MAX];
	size_t depth;
	enum err_kind fail;	/* sticky: appending to out failed */
};

/* The charset declared for the 8-bit text p: configured, or guessed. */
static const char *
charset_for(const struct mail_mime *m, const char *p, size_t n)
{
	if (m->charset[0] != '\0')
		return m->charset;
	return utf8_valid(p, n) ? "utf-8" : "unknown-8bit";
}

static void
set_state(struct mail_mime *m, enum mime_state st)
{
	if ((unsigned)st >= MIME_ST_COUNT)
		st = MIME_ST_FAILED;	/* a bug; feed() reports it */
	m->state = st;
}

/* Append to out; a failure sticks in m->fail and later appends are no-ops. */
static void
put(struct mail_mime *m, struct buf *out, const void *p, size_t n)
{
	if (m->fail != ERR_OK)
		return;
	if (buf_append(out, p, n) == -1)
		m->fail = n > out->max || out->len > out->max - n ?
		    ERR_DATA : ERR_OS;
}

static void
put_str(struct mail_mime *m, struct buf *out, const char *s)
{
	put(m, out, s, strlen(s));
}

/*
 * Append p with what may not go to a 7-bit peer replaced by '?': bytes
 * over 0x7f (in parts declared 7bit, base64 or quoted-printable, which we
 * cannot re-encode) and CRs not followed by LF.
 */
static void
put_clean(struct mail_mime *m, struct buf *out, const char *p, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x80 && (c != '\r' || (i + 1 < n && p[i + 1] == '\n')))
			continue;
		put(m, out, p + start, i - start);
		put(m, out, "?", 1);
		start = i + 1;
	}
	put(m, out, p + start, n - start);
}

/* RFC 2045 2.7: a line that is not 7bit data needs encoding. */
static bool
line_dirty(const char *p, size_t n)
{
	size_t i;

	if (n > MIME_TEXT_LINE)
		return true;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x80 || c == '\0' || c == '\r')
			return true;
	}
	return false;
}

static void
pass_line(struct mail_mime *m, struct buf *out, const char *p, size_t n,
    enum mime_end end)
{
	put_clean(m, out, p, n);
	if (end == MIME_END_CRLF)
		put(m, out, "\r\n", 2);
}

/*
 * RFC 2045 6.7: '=' and bytes outside 33..126 as =XX, except blanks that
 * are not last on the line (rule 3); output lines at most 76 characters,
 * the soft break '=' included (rule 5); the input's line breaks stay hard
 * breaks (rule 4).  m->qp_col carries over MIME_END_CHUNK calls, whose
 * last byte is never the line's last.
 */
static void
qp_line(struct mail_mime *m, struct buf *out, const char *p, size_t n,
    enum mime_end end)
{
	static const char hex[] = "0123456789ABCDEF";
	char enc[3];
	size_t i, len, limit;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		bool last = i + 1 == n && end != MIME_END_CHUNK;

		if (c == '=' || c > 126 || (c < 33 && !is_blank(c)) ||
		    (is_blank(c) && last)) {
			enc[0] = '=';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 15];
			len = 3;
		} else {
			enc[0] = (char)c;
			len = 1;
		}
		limit = last ? MIME_QP_LINE : MIME_QP_LINE - 1;
		if (m->qp_col + len > limit) {
			put(m, out, "=\r\n", 3);
			m->qp_col = 0;
		}
		put(m, out, enc, len);
		m->qp_col += len;
	}
	if (end == MIME_END_CRLF) {
		put(m, out, "\r\n", 2);
		m->qp_col = 0;
	}
}

/* ---- header fields ---- */

/* The end of the field at pos in h: past its continuation lines. */
static size_t
field_end(const char *h, size_t len, size_t pos)
{
	const char *lf;

	for (;;) {
		lf = memchr(h + pos, '\n', len - pos);
		pos = lf != NULL ? (size_t)(lf - h) + 1 : len;
		if (pos >= len || !is_blank((unsigned char)h[pos]))
			return pos;
	}
}

/*
 * RFC 5322 3.6.8 field-name (and obs-optional blanks before the colon):
 * the colon's offset with *name_len set, or 0 when f is not a field.
 */
static size_t
field_colon(const char *f, size_t n, size_t *name_len)
{
	size_t i = 0;

	while (i < n && f[i] > 0x20 && f[i] < 0x7f && f[i] != ':')
		i++;
	if (i == 0)
		return 0;
	*name_len = i;
	while (i < n && is_blank((unsigned char)f[i]))
		i++;
	return i < n && f[i] == ':' ? i : 0;
}

static bool
field_is(const char *f, size_t n, const char *name)
{
	size_t nl;

	return field_colon(f, n, &nl) != 0 && same_ci(f, nl, name);
}

/* ---- RFC 2045 5.1 and 6.1 lexer: tokens, quoted strings, comments ---- */

static bool
is_tspecial(unsigned char c)
{
	return in_set(c, "()<>@,;:\\\"/[]?=");
}

static bool
is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !is_tspecial(c);
}

/* Skip blanks, folds and RFC 5322 3.2.2 comments (nested, quoted-pairs). */
static size_t
skip_cfws(const char *p, size_t n, size_t i)
{
	size_t depth = 0;

	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (depth > 0 && c == '\\' && i + 1 < n)
			i++;
		else if (c == '(')
			depth++;
		else if (depth > 0 && c == ')')
			depth--;
		else if (depth == 0 && !is_blank(c) && c != '\r' && c != '\n')
			return i;
	}
	return n;
}

/*
 * A token (strict: type names) or a lenient parameter value (anything but
 * blanks, ';', '"' and '('), lower-cased when asked, into dst (size dsz);
 * *len gets its full length even when longer than dst.  Returns the
 * offset past it.
 */
static size_t
lex_word(const char *p, size_t n, size_t i, bool strict, bool fold,
    char *dst, size_t dsz, size_t *len)
{
	size_t k = 0;

	while (i < n) {
		unsigned char c = (unsigned char)p[i];

		if (strict ? !is_token_char(c) : (c <= 0x20 || c == 0x7f ||
		    c == ';' || c == '"' || c == '('))
			break;
		if (k + 1 < dsz)
			dst[k] = (char)(fold ? lower(c) : c);
		k++;
		i++;
	}
	if (dsz > 0)
		dst[k < dsz ? k : dsz - 1] = '\0';
	*len = k;
	return i;
}

/* A quoted-string at p[i] == '"', unescaped into dst as lex_word does. */
static size_t
lex_quoted(const char *p, size_t n, size_t i, char *dst, size_t dsz,
    size_t *len)
{
	size_t k = 0;

	for (i++; i < n && p[i] != '"'; i++) {
		if (p[i] == '\\' && i + 1 < n)
			i++;
		else if (p[i] == '\r' || p[i] == '\n')
			continue;	/* RFC 5322 3.2.4: folds are not text */
		if (k + 1 < dsz)
			dst[k] = p[i];
		k++;
	}
	if (dsz > 0)
		dst[k < dsz ? k : dsz - 1] = '\0';
	*len = k;
	return i < n ? i + 1 : n;
}

/*
 * The parameters of a Content-Type value from i (RFC 2045 5.1): the
 * first "boundary" is kept in ent when 1..MIME_BOUNDARY_MAX bytes.  Stops
 * quietly at the first syntax error.  RFC 2231 continuations are not
 * joined.
 */
static void
parse_params(const char *v, size_t n, size_t i, struct mime_entity *ent)
{
	char attr[MIME_TOKEN_MAX + 1], val[MIME_BOUNDARY_MAX + 2];
	size_t alen, vlen;

	for (;;) {
		i = skip_cfws(v, n, i);
		if (i >= n || v[i] != ';')
			return;
		i = skip_cfws(v, n, i + 1);
		i = lex_word(v, n, i, true, true, attr, sizeof(attr), &alen);
		if (alen == 0)
			return;
		i = skip_cfws(v, n, i);
		if (i >= n || v[i] != '=')
			return;
		i = skip_cfws(v, n, i + 1);
		if (i < n && v[i] == '"')
			i = lex_quoted(v, n, i, val, sizeof(val), &vlen);
		else
			i = lex_word(v, n, i, false, false, val, sizeof(val),
			    &vlen);
		if (strcmp(attr, "boundary") == 0 && ent->blen == 0 &&
		    vlen > 0 && vlen <= MIME_BOUNDARY_MAX) {
			memcpy(ent->boundary, val, vlen);
			ent->boundary[vlen] = '\0';
			ent->blen = vlen;
		}
	}
}

/* RFC 2045 5.1: type "/" subtype *(";" parameter); sets kind in ent. */
static void
parse_content_type(const char *v, size_t n, struct mime_entity *ent)
{
	char type[MIME_TOKEN_MAX + 1], sub[MIME_TOKEN_MAX + 1];
	size_t tlen, slen, i;

	i = skip_cfws(v, n, 0);
	i = lex_word(v, n, i, true, true, type, sizeof(type), &tlen);
	i = skip_cfws(v, n, i);
	if (tlen == 0 || tlen > MIME_TOKEN_MAX || i >= n || v[i] != '/')
		return;		/* 5.2: invalid means text/plain */
	i = skip_cfws(v, n, i + 1);
	i = lex_word(v, n, i, true, true, sub, sizeof(sub), &slen);
	if (slen == 0 || slen > MIME_TOKEN_MAX)
		return;
	if (strcmp(type, "multipart") == 0) {
		parse_params(v, n, i, ent);
		ent->kind = MIME_KIND_MULTIPART;
		ent->digest = strcmp(sub, "digest") == 0;
	} else if (strcmp(type, "message") == 0 &&
	    strcmp(sub, "rfc822") == 0) {
		ent->kind = MIME_KIND_MESSAGE;
	} else {
		ent->kind = MIME_KIND_LEAF;
	}
}

static enum mime_cte
parse_cte(const char *v, size_t n)
{
	static const struct {
		const char *name;
		enum mime_cte cte;
	} names[] = {
		{ "7bit", MIME_CTE_7BIT }, { "8bit", MIME_CTE_8BIT },
		{ "binary", MIME_CTE_BINARY },
		{ "quoted-printable", MIME_CTE_QP },
		{ "base64", MIME_CTE_BASE64 },
	};
	char tok[MIME_TOKEN_MAX + 1];
	size_t len, i;

	i = skip_cfws(v, n, 0);
	(void)lex_word(v, n, i, true, true, tok, sizeof(tok), &len);
	if (len == 0)
		return MIME_CTE_7BIT;	/* 6.1: absent or empty is 7bit */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(tok, names[i].name) == 0 && len < sizeof(tok))
			return names[i].cte;
	return MIME_CTE_OTHER;
}

static bool
cte_identity(enum mime_cte cte)
{
	return cte == MIME_CTE_NONE || cte == MIME_CTE_7BIT ||
	    cte == MIME_CTE_8BIT || cte == MIME_CTE_BINARY;
}

/*
 * What the held header says.  The first Content-Type and
 * Content-Transfer-Encoding count.  Multipart and message/rfc822 are only
 * walked with an identity encoding (RFC 2045 6.4); otherwise opaque.
 */
static void
analyze(struct mail_mime *m)
{
	struct mime_entity *ent = &m->ent;
	const char *h = m->hdr.data;
	size_t pos = 0, end, colon, nl;

	ent->kind = ent->digest_part ? MIME_KIND_MESSAGE : MIME_KIND_LEAF;
	while (pos < m->hdr.len) {
		end = field_end(h, m->hdr.len, pos);
		colon = field_colon(h + pos, end - pos, &nl);
		if (colon == 0) {
			pos = end;
			continue;
		}
		if (same_ci(h + pos, nl, "mime-version"))
			ent->mime_version = true;
		else if (same_ci(h + pos, nl, "content-type") &&
		    !ent->has_type) {
			ent->has_type = true;
			ent->kind = MIME_KIND_LEAF;
			parse_content_type(h + pos + colon + 1,
			    end - pos - colon - 1, ent);
		} else if (same_ci(h + pos, nl, "content-transfer-encoding") &&
		    !ent->has_cte) {
			ent->has_cte = true;
			ent->cte = parse_cte(h + pos + colon + 1,
			    end - pos - colon - 1);
		}
		pos = end;
	}
	if (!cte_identity(ent->cte) ||
	    (ent->kind == MIME_KIND_MULTIPART && ent->blen == 0))
		ent->kind = MIME_KIND_LEAF;
}

/*
 * One field (continuation lines included), 8-bit bytes in its body as
 * RFC 2047 encoded-words (mail/rfc2047.h); a line that is no field has
 * them as '?'.
 */
static void
emit_field(struct mail_mime *m, struct buf *out, const char *f, size_t n)
{
	size_t colon, nl, start;
	const char *v;
	struct err e;

	colon = field_colon(f, n, &nl);
	if (colon == 0 || !has_8bit(f + colon + 1, n - colon - 1)) {
		put_clean(m, out, f, n);
		return;
	}
	start = out->len;
	put(m, out, f, colon + 1);
	if (m->fail != ERR_OK)
		return;
	v = f + colon + 1;
	if (mail_rfc2047_value(out, &m->run, v, n - colon - 1,
	    mail_rfc2047_class_of(f, nl), charset_for(m, v, n - colon - 1),
	    colon + 1, &e) != ERR_OK ||
	    mail_rfc2047_refold(out, start, &m->run, &e) != ERR_OK)
		m->fail = e.kind;
}

/*
 * The held header to out, without the empty line.  MIME_HDR_7BIT and
 * MIME_HDR_QP replace the first Content-Transfer-Encoding field and drop
 * any other; MIME_HDR_QP adds the fields a converted entity lacks
 * (RFC 2045 4, 5.2, 6.1), cs naming the text's charset.
 */
static void
emit_header(struct mail_mime *m, struct buf *out, enum mime_hdr_mode mode,
    const char *cs)
{
	const char *h = m->hdr.data;
	size_t pos = 0, end;
	bool cte_done = false;

	while (pos < m->hdr.len) {
		end = field_end(h, m->hdr.len, pos);
		if (mode != MIME_HDR_ASIS &&
		    field_is(h + pos, end - pos, "content-transfer-encoding")) {
			if (!cte_done)
				put_str(m, out, mode == MIME_HDR_QP ?
				    "Content-Transfer-Encoding: "
				    "quoted-printable\r\n" :
				    "Content-Transfer-Encoding: 7bit\r\n");
			cte_done = true;
		} else {
			emit_field(m, out, h + pos, end - pos);
		}
		pos = end;
	}
	buf_reset(&m->hdr);
	if (mode != MIME_HDR_QP)
		return;
	if (m->ent.message && !m->ent.mime_version)
		put_str(m, out, "MIME-Version: 1.0\r\n");
	if (!m->ent.has_type) {
		put_str(m, out, "Content-Type: text/plain; charset=");
		put_str(m, out, cs);
		put(m, out, "\r\n", 2);
	}
	if (!cte_done)
		put_str(m, out,
		    "Content-Transfer-Encoding: quoted-printable\r\n");
}

static enum mime_hdr_mode
mode_7bit(const struct mail_mime *m)
{
	return m->ent.cte == MIME_CTE_8BIT || m->ent.cte == MIME_CTE_BINARY ?
	    MIME_HDR_7BIT : MIME_HDR_ASIS;
}

/*
 * End the look-ahead of a held identity leaf: a clean body goes out byte
 * for byte (an 8bit or binary label becoming 7bit), anything else is
 * re-encoded quoted-printable, the held lines first.
 */
static void
resolve(struct mail_mime *m, struct buf *out, bool qp)
{
	const char *h = m->hold.data, *lf;
	size_t pos = 0, len = m->hold.len, end;

	if (!qp) {
		emit_header(m, out, mode_7bit(m), NULL);
		put(m, out, "\r\n", 2);
		put(m, out, h, len);
		set_state(m, MIME_ST_PASS);
		buf_reset(&m->hold);
		return;
	}
	emit_header(m, out, MIME_HDR_QP, charset_for(m, h, len));
	put(m, out, "\r\n", 2);
	m->qp_col = 0;
	while (pos < len) {
		lf = memchr(h + pos, '\n', len - pos);
		if (lf == NULL) {
			qp_line(m, out, h + pos, len - pos, MIME_END_NONE);
			break;
		}
		end = (size_t)(lf - h);
		qp_line(m, out, h + pos, end - 1 - pos, MIME_END_CRLF);
		pos = end + 1;
	}
	set_state(m, MIME_ST_QP);
	buf_reset(&m->hold);
}

static void
ent_reset(struct mail_mime *m, bool message, bool digest_part)
{
	memset(&m->ent, 0, sizeof(m->ent));
	m->ent.message = message;
	m->ent.digest_part = digest_part;
}

/*
 * The empty line ending a header (RFC 5322 2.1, RFC 2046 5.1.1): decide
 * what the body is.  Multiparts push their boundary, message/rfc822
 * starts the embedded message's header (RFC 2046 5.2.1), leaves already
 * encoded pass, identity leaves are held (resolve()).
 */
static enum err_kind
header_done(struct mail_mime *m, struct buf *out, struct err *e)
{
	struct mime_frame *f;

	analyze(m);
	if (m->ent.kind == MIME_KIND_MULTIPART &&
	    m->depth >= MAIL_MIME_DEPTH_MAX)
		return err_set(e, ERR_DATA,
		    "MIME: multiparts nested deeper than %d",
		    MAIL_MIME_DEPTH_MAX);
	if (m->ent.kind == MIME_KIND_LEAF && cte_identity(m->ent.cte)) {
		m->dirty = false;
		buf_reset(&m->hold);
		set_state(m, MIME_ST_HOLD);
		return ERR_OK;
	}
	emit_header(m, out, m->ent.kind == MIME_KIND_LEAF ? MIME_HDR_ASIS :
	    mode_7bit(m), NULL);
	put(m, out, "\r\n", 2);
	switch (m->ent.kind) {
	case MIME_KIND_MULTIPART:
		f = &m->stack[m->depth++];
		memcpy(f->boundary, m->ent.boundary, m->ent.blen + 1);
		f->len = m->ent.blen;
		f->digest = m->ent.digest;
		set_state(m, MIME_ST_PREAMBLE);
		break;
	case MIME_KIND_MESSAGE:
		ent_reset(m, true, false);
		set_state(m, MIME_ST_HEADER);
		break;
	default:
		set_state(m, MIME_ST_PASS);
		break;
	}
	return ERR_OK;
}

static bool
all_blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_blank((unsigned char)p[i]))
			return false;
	return true;
}

/*
 * RFC 2046 5.1.1: "--" boundary, then blanks, is a delimiter line; with
 * "--" after the boundary a close delimiter.  Any open level may match
 * (the innermost first): an outer one ends the inner multiparts too.
 * Returns the level, or -1.
 */
static int
boundary_match(const struct mail_mime *m, const char *p, size_t n,
    bool *close)
{
	const struct mime_frame *f;
	const char *r;
	size_t i, rn;

	if (n < 3 || p[0] != '-' || p[1] != '-')
		return -1;
	for (i = m->depth; i > 0; i--) {
		f = &m->stack[i - 1];
		if (n - 2 < f->len || memcmp(p + 2, f->boundary, f->len) != 0)
			continue;
		r = p + 2 + f->len;
		rn = n - 2 - f->len;
		*close = rn >= 2 && r[0] == '-' && r[1] == '-' &&
		    all_blank(r + 2, rn - 2);
		if (*close || all_blank(r, rn))
			return (int)(i - 1);
	}
	return -1;
}

/* A delimiter line: the entity before it ends (RFC 2046 5.1.1). */
static void
on_boundary(struct mail_mime *m, struct buf *out, const char *p, size_t n,
    enum mime_end end, int level, bool close)
{
	if (m->state == MIME_ST_HEADER)
		emit_header(m, out, MIME_HDR_ASIS, NULL);
	else if (m->state == MIME_ST_HOLD)
		resolve(m, out, m->dirty);
	pass_line(m, out, p, n, end);
	if (close) {
		m->depth = (size_t)level;
		set_state(m, MIME_ST_EPILOGUE);
	} else {
		m->depth = (size_t)level + 1;
		ent_reset(m, false, m->stack[level].digest);
		set_state(m, MIME_ST_HEADER);
	}
}

static enum err_kind
st_header(struct mail_mime *m, struct buf *out, const char *p, size_t n,
    enum mime_end end, struct err *e)
{
	if (end == MIME_END_CRLF && n == 0)
		return header_done(m, out, e);
	if (n + 2 > m->hdr.max - m->hdr.len)
		return err_set(e, ERR_DATA, "MIME: header section over %u bytes",
		    MAIL_MIME_LINE_MAX);
	if (buf_append(&m->hdr, p, n) == -1 || (end == MIME_END_CRLF &&
	    buf_append(&m->hdr, "\r\n", 2) == -1))
		return err_set(e, ERR_OS, "MIME: out of memory");
	return ERR_OK;
}

/*
 * A body line of a held leaf.  The look-ahead ends early when a line is
 * dirty and no charset needs guessing from the whole body, and when the
 * hold is full (then the rest cannot be known: encode).
 */
static enum err_kind
st_hold(struct mail_mime *m, struct buf *out, const char *p, size_t n,
    enum mime_end end, struct err *e)
{
	if (end == MIME_END_CHUNK || n + 2 > m->hold.max - m->hold.len) {
		resolve(m, out, true);
		qp_line(m, out, p, n, end);
		return ERR_OK;
	}
	if (buf_append(&m->hold, p, n) == -1 || (end == MIME_END_CRLF &&
	    buf_append(&m->hold, "\r\n", 2) == -1))
		return err_set(e, ERR_OS, "MIME: out of memory");
	if (line_dirty(p, n))
		m->dirty = true;
	if (m->dirty && (m->ent.has_type || m->charset[0] != '\0'))
		resolve(m, out, true);
	return ERR_OK;
}

static enum err_kind
handle_line(struct mail_mime *m, struct buf *out, const char *p, size_t n,
    enum mime_end end, struct err *e)
{
	bool close = false;
	int level;

	if (end != MIME_END_CHUNK && !m->midline && m->depth > 0 &&
	    (level = boundary_match(m, p, n, &close)) >= 0) {
		on_boundary(m, out, p, n, end, level, close);
		return ERR_OK;
	}
	switch (m->state) {
	case MIME_ST_HEADER:
		return st_header(m, out, p, n, end, e);
	case MIME_ST_HOLD:
		return st_hold(m, out, p, n, end, e);
	case MIME_ST_QP:
		qp_line(m, out, p, n, end);
		return ERR_OK;
	case MIME_ST_PASS:
	case MIME_ST_PREAMBLE:
	case MIME_ST_EPILOGUE:
		pass_line(m, out, p, n, end);
		return ERR_OK;
	default:
		return err_set(e, ERR_SOFTWARE, "MIME: a line in state %s",
		    mime_state_names[m->state]);
	}
}

/*
 * m->line holds input up to a LF, or a run without one.  A whole line is
 * handled without its LF and one CR before it; a body line that reached
 * MIME_CHUNK is handled but for its last byte (which may be a blank that
 * ends the line, or a CR before LF); a header line may not get that far.
 */
static enum err_kind
line_step(struct mail_mime *m, struct buf *out, struct err *e)
{
	size_t len = m->line.len;
	const char *l = m->line.data;
	enum err_kind rc;

	if (len > 0 && l[len - 1] == '\n') {
		len--;
		if (len > 0 && l[len - 1] == '\r')
			len--;
		rc = handle_line(m, out, l, len, MIME_END_CRLF, e);
		buf_reset(&m->line);
		m->midline = false;
		return rc;
	}
	if (m->state == MIME_ST_HEADER) {
		if (len >= MAIL_MIME_LINE_MAX)
			return err_set(e, ERR_DATA,
			    "MIME: header line over %u bytes",
			    MAIL_MIME_LINE_MAX);
		return ERR_OK;
	}
	if (len < MIME_CHUNK)
		return ERR_OK;
	rc = handle_line(m, out, l, len - 1, MIME_END_CHUNK, e);
	m->midline = true;
	buf_consume(&m->line, len - 1);
	return rc;
}

/* The error to return: rc, else a failed append to out; sticks. */
static enum err_kind
outcome(struct mail_mime *m, enum err_kind rc, struct err *e)
{
	if (rc == ERR_OK && m->fail != ERR_OK)
		rc = err_set(e, m->fail, m->fail == ERR_DATA ?
		    "MIME: output over its cap" : "MIME: out of memory");
	if (rc != ERR_OK) {
		m->fail = rc;
		set_state(m, MIME_ST_FAILED);
	}
	return rc;
}

static enum err_kind
refuse(const struct mail_mime *m, struct err *e)
{
	if (m->state == MIME_ST_FAILED)
		return err_set(e, m->fail, "MIME: conversion failed earlier");
	return err_set(e, ERR_SOFTWARE, "MIME: input after the end");
}

enum err_kind
mail_mime_feed(struct mail_mime *m, const void *data, size_t n,
    struct buf *out, struct err *e)
{
	const char *p = data, *lf;
	enum err_kind rc = ERR_OK;
	size_t take, limit;

	if (m->state == MIME_ST_FAILED || m->state == MIME_ST_DONE)
		return refuse(m, e);
	while (n > 0 && rc == ERR_OK && m->fail == ERR_OK) {
		limit = m->state == MIME_ST_HEADER ? MAIL_MIME_LINE_MAX :
		    MIME_CHUNK;
		lf = memchr(p, '\n', n);
		take = lf != NULL ? (size_t)(lf - p) + 1 : n;
		if (take > limit - m->line.len)
			take = limit - m->line.len;
		if (buf_append(&m->line, p, take) == -1)
			rc = err_set(e, ERR_OS, "MIME: out of memory");
		else
			rc = line_step(m, out, e);
		p += take;
		n -= take;
	}
	return outcome(m, rc, e);
}

enum err_kind
mail_mime_finish(struct mail_mime *m, struct buf *out, struct err *e)
{
	enum err_kind rc = ERR_OK;

	if (m->state == MIME_ST_FAILED || m->state == MIME_ST_DONE)
		return refuse(m, e);
	if (m->line.len > 0)
		rc = handle_line(m, out, m->line.data, m->line.len,
		    MIME_END_NONE, e);
	buf_reset(&m->line);
	if (rc == ERR_OK && m->state == MIME_ST_HEADER)
		emit_header(m, out, MIME_HDR_ASIS, NULL);
	else if (rc == ERR_OK && m->state == MIME_ST_HOLD)
		resolve(m, out, m->dirty);
	if (rc == ERR_OK)
		set_state(m, MIME_ST_DONE);
	return outcome(m, rc, e);
}

/* A charset name we may write into a header: an RFC 2045 token. */
static bool
charset_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!is_token_char((unsigned char)s[i]) || i >= MIME_CHARSET_MAX)
			return false;
	return i > 0;
}

struct mail_mime *
mail_mime_new(const char *charset)
{
	struct mail_mime *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if (charset != NULL && charset_ok(charset))
		strlcpy(m->charset, charset, sizeof(m->charset));
	buf_init(&m->line, MAIL_MIME_LINE_MAX);
	buf_init(&m->hdr, MAIL_MIME_LINE_MAX);
	buf_init(&m->hold, MAIL_MIME_HOLD_MAX);
	buf_init(&m->run, MAIL_MIME_LINE_MAX);
	ent_reset(m, true, false);
	set_state(m, MIME_ST_HEADER);
	return m;
}

void
mail_mime_free(struct mail_mime *m)
{
	if (m == NULL)
		return;
	buf_free(&m->line);
	buf_free(&m->hdr);
	buf_free(&m->hold);
	buf_free(&m->run);
	free(m);
}
