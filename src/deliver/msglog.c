#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "deliver/msglog.h"
#include "util/utf8.h"

/* How a value is delimited and escaped (msglog.h). */
enum style {
	STYLE_ANGLE,	/* text <...> */
	STYLE_QUOTED,	/* text "..." */
	STYLE_JSON	/* a JSON string, RFC 8259 7 */
};

/* Room kept for " more=N" or ,"more":N with N of up to 20 digits. */
#define MORE_RESERVE 28

static const char *
str(const char *s)
{
	return s != NULL ? s : "";
}

static bool
set(const char *s)
{
	return s != NULL && *s != '\0';
}

/*
 * The number of bytes of s to write: all, or DELIVER_MSGLOG_VALUE_MAX
 * moved back to the start of a UTF-8 sequence that straddles it (*cut).
 */
static size_t
clip(const char *s, bool *cut)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, DELIVER_MSGLOG_VALUE_MAX + 1), k;

	*cut = n > DELIVER_MSGLOG_VALUE_MAX;
	if (!*cut)
		return n;
	k = DELIVER_MSGLOG_VALUE_MAX;
	while (k > DELIVER_MSGLOG_VALUE_MAX - 3 && (p[k] & 0xc0) == 0x80)
		k--;
	return p[k] >= 0xc0 ? k : DELIVER_MSGLOG_VALUE_MAX;
}

/* C1 controls, LINE SEPARATOR and PARAGRAPH SEPARATOR: line breaks or
 * terminal commands to some readers, so never written raw. */
static bool
unsafe_cp(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029;
}

static int
put_ascii(struct buf *b, unsigned char c, enum style st)
{
	static const char json_ctl[] = "\bb\ff\nn\rr\tt";
	const char *q;

	if (c < 0x20 || c == 0x7f) {
		if (st != STYLE_JSON)
			return buf_printf(b, "\\x%02x", c);
		if (c != 0 && (q = strchr(json_ctl, c)) != NULL)
			return buf_printf(b, "\\%c", q[1]);
		return buf_printf(b, "\\u%04x", c);
	}
	if (c == '\\' || (c == '"' && st != STYLE_ANGLE))
		return buf_printf(b, "\\%c", c);
	if (c == '>' && st == STYLE_ANGLE)
		return buf_append_str(b, "\\x3e");
	return buf_append_byte(b, c);
}

/* The sequence at p (k bytes, code point cp) is well-formed but unsafe. */
static int
put_unsafe(struct buf *b, const unsigned char *p, size_t k, uint32_t cp,
    enum style st)
{
	size_t j;
	int r = 0;

	if (st == STYLE_JSON)
		return buf_printf(b, "\\u%04x", (unsigned)cp);
	for (j = 0; j < k; j++)
		r |= buf_printf(b, "\\x%02x", p[j]);
	return r;
}

static int
put_escaped(struct buf *b, const char *s, size_t n, enum style st)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	uint32_t cp;
	int r = 0;

	while (i < n && r == 0) {
		if (p[i] < 0x80) {
			r = put_ascii(b, p[i], st);
			k = 1;
		} else if ((k = utf8_decode(p + i, n - i, &cp)) == 0) {
			/* Not UTF-8: JSON must stay valid, text keeps it. */
			r = st == STYLE_JSON ? buf_append_str(b, "\\ufffd") :
			    buf_printf(b, "\\x%02x", p[i]);
			k = 1;
		} else if (unsafe_cp(cp)) {
			r = put_unsafe(b, p + i, k, cp, st);
		} else {
			r = buf_append(b, p + i, k);
		}
		i += k;
	}
	return r;
}

/* s (NULL reads as "") delimited, escaped and cut for st. */
static int
put_value(struct buf *b, const char *s, enum style st)
{
	bool cut;
	size_t n;
	int r;

	s = str(s);
	n = clip(s, &cut);
	r = buf_append_byte(b, st == STYLE_ANGLE ? '<' : '"');
	r |= put_escaped(b, s, n, st);
	if (cut)
		r |= buf_append_str(b, "...");
	r |= buf_append_byte(b, st == STYLE_ANGLE ? '>' : '"');
	return r;
}

/* A text word: bare when it is all printable ASCII but space, '"' and
 * '\', else quoted. */
static int
put_word(struct buf *b, const char *s)
{
	const unsigned char *q;

	s = str(s);
	for (q = (const unsigned char *)s; *q > ' ' && *q < 0x7f &&
	    *q != '"' && *q != '\\'; q++)
		;
	if (*s == '\0' || *q != '\0' ||
	    (size_t)(q - (const unsigned char *)s) > DELIVER_MSGLOG_VALUE_MAX)
		return put_value(b, s, STYLE_QUOTED);
	return buf_append_str(b, s);
}

static int
put_delay(struct buf *b, long long ms)
{
	if (ms < 0)
		ms = 0;
	return buf_printf(b, "%lld.%03lld", ms / 1000, ms % 1000);
}

static int
text_head(struct buf *b, const struct deliver_msglog *m)
{
	int r = 0;

	if (set(m->msgid)) {
		r |= buf_append_str(b, "msgid=");
		r |= put_value(b, m->msgid, STYLE_ANGLE);
		r |= buf_append_byte(b, ' ');
	}
	r |= buf_append_str(b, "from=");
	r |= put_value(b, m->from, STYLE_ANGLE);
	r |= buf_printf(b, " size=%llu relay=", m->size);
	r |= set(m->relay) ? put_word(b, m->relay) : buf_append_str(b, "none");
	if (set(m->tls)) {
		r |= buf_append_str(b, " tls=");
		r |= put_word(b, m->tls);
	}
	if (set(m->policy)) {
		r |= buf_append_str(b, " tls_policy=");
		r |= put_word(b, m->policy);
	}
	r |= buf_append_str(b, " delay=");
	r |= put_delay(b, m->duration_ms);
	r |= buf_append_str(b, " outcome=");
	r |= put_word(b, m->outcome);
	return r;
}

static int
json_head(struct buf *b, const struct deliver_msglog *m)
{
	int r;

	r = buf_append_byte(b, '{');
	if (set(m->msgid)) {
		r |= buf_append_str(b, "\"msgid\":");
		r |= put_value(b, m->msgid, STYLE_JSON);
		r |= buf_append_byte(b, ',');
	}
	r |= buf_append_str(b, "\"from\":");
	r |= put_value(b, m->from, STYLE_JSON);
	r |= buf_printf(b, ",\"size\":%llu", m->size);
	if (set(m->relay)) {
		r |= buf_append_str(b, ",\"relay\":");
		r |= put_value(b, m->relay, STYLE_JSON);
	}
	if (set(m->tls)) {
		r |= buf_append_str(b, ",\"tls\":");
		r |= put_value(b, m->tls, STYLE_JSON);
	}
	if (set(m->policy)) {
		r |= buf_append_str(b, ",\"tls_policy\":");
		r |= put_value(b, m->policy, STYLE_JSON);
	}
	r |= buf_append_str(b, ",\"delay\":");
	r |= put_delay(b, m->duration_ms);
	r |= buf_append_str(b, ",\"outcome\":");
	r |= put_value(b, m->outcome, STYLE_JSON);
	r |= buf_append_str(b, ",\"recipients\":[");
	return r;
}

/* Recipient i, with what separates it from the one before. */
static int
put_rcpt(struct buf *b, const struct deliver_msglog_rcpt *rc, size_t i,
    enum deliver_msglog_format f)
{
	int r;

	if (f == DELIVER_MSGLOG_TEXT) {
		r = buf_append_str(b, " to=");
		r |= put_value(b, rc->addr, STYLE_ANGLE);
		r |= buf_append_str(b, " status=");
		r |= put_word(b, rc->status);
		if (set(rc->reply)) {
			r |= buf_append_str(b, " reply=");
			r |= put_value(b, rc->reply, STYLE_QUOTED);
		}
		return r;
	}
	r = buf_append_str(b, i > 0 ? ",{\"to\":" : "{\"to\":");
	r |= put_value(b, rc->addr, STYLE_JSON);
	r |= buf_append_str(b, ",\"status\":");
	r |= put_value(b, rc->status, STYLE_JSON);
	if (set(rc->reply)) {
		r |= buf_append_str(b, ",\"reply\":");
		r |= put_value(b, rc->reply, STYLE_JSON);
	}
	r |= buf_append_byte(b, '}');
	return r;
}

/* The error, and the end of the line. */
static int
put_tail(struct buf *b, const struct deliver_msglog *m,
    enum deliver_msglog_format f)
{
	int r = 0;

	if (set(m->error)) {
		r |= buf_append_str(b, f == DELIVER_MSGLOG_TEXT ? " error=" :
		    ",\"error\":");
		r |= put_value(b, m->error, f == DELIVER_MSGLOG_TEXT ?
		    STYLE_QUOTED : STYLE_JSON);
	}
	if (f == DELIVER_MSGLOG_JSON)
		r |= buf_append_byte(b, '}');
	return r;
}

/*
 * Append to line the recipients that fit in limit bytes; *listed says how
 * many.  A recipient goes in for good when the "more" marker still fits
 * after it; one that fits only without the marker waits in rest, and goes
 * in only when every recipient after it does too (then no marker is
 * needed).  So a line that fits whole is never cut.
 */
static int
put_rcpts(struct buf *line, const struct deliver_msglog *m,
    enum deliver_msglog_format f, size_t limit, size_t *listed)
{
	struct buf one, rest;
	size_t i;
	int r = 0;

	*listed = 0;
	buf_init(&one, DELIVER_MSGLOG_MAX);
	buf_init(&rest, DELIVER_MSGLOG_MAX);
	for (i = 0; i < m->nrcpt && r == 0; i++) {
		buf_reset(&one);
		if ((r = put_rcpt(&one, &m->rcpts[i], i, f)) == -1)
			break;
		if (line->len + rest.len + one.len > limit)
			break;
		if ((r = buf_append(&rest, one.data, one.len)) == -1)
			break;
		if (line->len + rest.len + MORE_RESERVE <= limit) {
			r = buf_append(line, rest.data, rest.len);
			buf_reset(&rest);
			*listed = i + 1;
		}
	}
	if (r == 0 && i == m->nrcpt && rest.len > 0) {
		r = buf_append(line, rest.data, rest.len);
		*listed = i;
	}
	buf_free(&one);
	buf_free(&rest);
	return r;
}

enum err_kind
deliver_msglog_format(const struct deliver_msglog *m,
    enum deliver_msglog_format f, struct buf *out, struct err *e)
{
	struct buf line, tail;
	const char *mid = f == DELIVER_MSGLOG_JSON ? "]" : "";
	size_t cap, fixed, listed = 0;
	enum err_kind rc = ERR_OK;
	int r;

	cap = out->max - out->len;
	if (cap > DELIVER_MSGLOG_MAX)
		cap = DELIVER_MSGLOG_MAX;
	/* With values cut to DELIVER_MSGLOG_VALUE_MAX head and tail always
	 * fit DELIVER_MSGLOG_MAX: a failure here is memory. */
	buf_init(&line, DELIVER_MSGLOG_MAX);
	buf_init(&tail, DELIVER_MSGLOG_MAX);
	r = f == DELIVER_MSGLOG_JSON ? json_head(&line, m) :
	    text_head(&line, m);
	r |= put_tail(&tail, m, f);
	if (r == -1)
		goto nomem;
	fixed = line.len + strlen(mid) + tail.len;
	if (m->nrcpt > 0)
		fixed += MORE_RESERVE;
	if (fixed > cap) {
		rc = err_set(e, ERR_OS, "message log line needs %zu bytes, "
		    "%zu left", fixed, cap);
		goto out;
	}
	if (put_rcpts(&line, m, f, cap - strlen(mid) - tail.len,
	    &listed) == -1)
		goto nomem;
	r = buf_append_str(&line, mid);
	if (listed < m->nrcpt)
		r |= buf_printf(&line, f == DELIVER_MSGLOG_JSON ?
		    ",\"more\":%zu" : " more=%zu", m->nrcpt - listed);
	r |= buf_append(&line, tail.data, tail.len);
	if (r == -1 || buf_append(out, line.data, line.len) == -1)
		goto nomem;
	goto out;
nomem:
	rc = err_set(e, ERR_OS, "message log line: out of memory");
out:
	buf_free(&line);
	buf_free(&tail);
	return rc;
}
