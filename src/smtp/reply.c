#include "config.h"

#include <string.h>

#include "smtp/reply.h"

/* Room for every line of a maximal reply, each with its NUL. */
#define REPLY_TEXT_MAX (SMTP_REPLY_LINES_MAX * (SMTP_REPLY_LINE_MAX + 1))

void
smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->cls = SMTP_REPLY_PERMANENT;
	r->esc[0] = '\0';
	r->nlines = 0;
	buf_init(&r->text, REPLY_TEXT_MAX);
}

void
smtp_reply_free(struct smtp_reply *r)
{
	if (r == NULL)
		return;
	buf_free(&r->text);
	r->nlines = 0;
}

int
smtp_reply_copy(struct smtp_reply *dst, const struct smtp_reply *src)
{
	buf_reset(&dst->text);
	dst->text.max = src->text.max;
	if (src->text.len > 0 &&
	    buf_append(&dst->text, src->text.data, src->text.len) == -1)
		return -1;
	dst->code = src->code;
	dst->cls = src->cls;
	memcpy(dst->esc, src->esc, sizeof(dst->esc));
	dst->nlines = src->nlines;
	memcpy(dst->off, src->off, src->nlines * sizeof(src->off[0]));
	return 0;
}

const char *
smtp_reply_line(const struct smtp_reply *r, size_t i)
{
	if (i >= r->nlines || r->text.data == NULL)
		return "";
	return r->text.data + r->off[i];
}

void
smtp_reply_parser_init(struct smtp_reply_parser *p)
{
	smtp_reply_init(&p->reply);
	/* The CR before LF is held in the line too, hence + 1. */
	buf_init(&p->line, SMTP_REPLY_LINE_MAX + 1);
	p->done = 0;
	p->error[0] = '\0';
}

void
smtp_reply_parser_free(struct smtp_reply_parser *p)
{
	if (p == NULL)
		return;
	smtp_reply_free(&p->reply);
	buf_free(&p->line);
}

static enum smtp_reply_status
parse_error(struct smtp_reply_parser *p, const char *why)
{
	strlcpy(p->error, why, sizeof(p->error));
	return SMTP_REPLY_ERROR;
}

/* The code of a line: three digits, 2-5 then 0-5 (RFC 5321 4.2). */
static int
line_code(const char *s, size_t len)
{
	if (len < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '5' ||
	    s[2] < '0' || s[2] > '9')
		return -1;
	return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

/* Length of a run of 1-3 digits at s, or 0. */
static size_t
digits(const char *s)
{
	size_t n = 0;

	while (n < 3 && s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 3 && s[n] >= '0' && s[n] <= '9')
		return 0;
	return n;
}

/*
 * RFC 3463 section 2: class "." subject "." detail, subject and detail of
 * 1-3 digits; recorded only when the class is the reply's first digit
 * (RFC 2034 section 4), followed by a space or the end of the line.
 */
static void
parse_esc(struct smtp_reply *r, const char *t)
{
	size_t n1, n2, len;

	r->esc[0] = '\0';
	if (t[0] != '0' + r->code / 100 || t[1] != '.')
		return;
	if ((n1 = digits(t + 2)) == 0 || t[2 + n1] != '.')
		return;
	if ((n2 = digits(t + 3 + n1)) == 0)
		return;
	len = 3 + n1 + n2;
	if (t[len] != ' ' && t[len] != '\0')
		return;
	memcpy(r->esc, t, len);
	r->esc[len] = '\0';
}

static enum smtp_reply_class
classify(int code)
{
	switch (code / 100) {
	case 2:
		return SMTP_REPLY_POSITIVE;
	case 3:
		return SMTP_REPLY_INTERMEDIATE;
	case 4:
		return SMTP_REPLY_TEMPORARY;
	default:
		return SMTP_REPLY_PERMANENT;
	}
}

/* One complete line (line end stripped): 1 when it was the last line. */
static int
take_line(struct smtp_reply_parser *p, const char *s, size_t len,
    enum smtp_reply_status *st)
{
	struct smtp_reply *r = &p->reply;
	int code = line_code(s, len), last;

	*st = SMTP_REPLY_MORE;
	if (code < 0) {
		*st = parse_error(p, "reply line without a valid code");
		return 0;
	}
	if (len > 3 && s[3] != ' ' && s[3] != '-') {
		*st = parse_error(p, "bad separator after reply code");
		return 0;
	}
	if (r->nlines > 0 && code != r->code) {
		*st = parse_error(p, "continuation line with another code");
		return 0;
	}
	if (r->nlines >= SMTP_REPLY_LINES_MAX) {
		*st = parse_error(p, "too many lines in reply");
		return 0;
	}
	last = len == 3 || s[3] == ' ';
	r->off[r->nlines] = r->text.len;
	if ((len > 4 && buf_append(&r->text, s + 4, len - 4) == -1) ||
	    buf_append_byte(&r->text, '\0') == -1) {
		*st = parse_error(p, "reply too long");
		return 0;
	}
	if (r->nlines++ == 0) {
		r->code = code;
		r->cls = classify(code);
		parse_esc(r, r->text.data + r->off[0]);
	}
	if (last)
		*st = SMTP_REPLY_DONE;
	return last;
}

static void
reset_reply(struct smtp_reply_parser *p)
{
	p->reply.code = 0;
	p->reply.esc[0] = '\0';
	p->reply.nlines = 0;
	buf_reset(&p->reply.text);
	p->done = 0;
}

/* A line end arrived: strip the CR (if any) and take the line. */
static enum smtp_reply_status
end_line(struct smtp_reply_parser *p)
{
	enum smtp_reply_status st;
	size_t len = p->line.len;

	if (len > 0 && p->line.data[len - 1] == '\r')
		len--;
	if (len > SMTP_REPLY_LINE_MAX)
		return parse_error(p, "reply line too long");
	if (take_line(p, len ? p->line.data : "", len, &st))
		p->done = 1;
	buf_reset(&p->line);
	return st;
}

enum smtp_reply_status
smtp_reply_feed(struct smtp_reply_parser *p, const void *data, size_t n,
    size_t *used)
{
	const char *s = data;
	enum smtp_reply_status st;
	size_t i;

	*used = 0;
	if (p->error[0] != '\0')
		return SMTP_REPLY_ERROR;
	if (n == 0)
		return SMTP_REPLY_MORE;
	if (p->done)
		reset_reply(p);
	for (i = 0; i < n; i++) {
		if (s[i] != '\n') {
			if (buf_append_byte(&p->line, (unsigned char)s[i]) ==
			    -1) {
				*used = i + 1;
				return parse_error(p, "reply line too long");
			}
			continue;
		}
		st = end_line(p);
		if (st != SMTP_REPLY_MORE) {
			*used = i + 1;
			return st;
		}
	}
	*used = n;
	return SMTP_REPLY_MORE;
}

int
smtp_reply_format(const struct smtp_reply *r, struct buf *out)
{
	const char *t;
	size_t i;
	int any = 0;

	if (buf_printf(out, "%d", r->code) == -1)
		return -1;
	for (i = 0; i < r->nlines; i++) {
		t = smtp_reply_line(r, i);
		if (*t == '\0')
			continue;
		if (buf_append_str(out, any ? " / " : " ") == -1 ||
		    buf_append_escaped(out, t, strlen(t)) == -1)
			return -1;
		any = 1;
	}
	return 0;
}
