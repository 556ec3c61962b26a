#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mail/dsn_report.h"
#include "mail/header.h"
#include "mail/text_int.h"
#include "util/utf8.h"

#define RND_MIN 8		/* as mail_header_msgid() wants */
#define BOUNDARY_PREFIX "=_postie_dsn_"	/* "=_" never occurs in QP text */
#define BOUNDARY_RND 15		/* random bytes in it: 24 base32 letters */
#define FIELD_SCRATCH 8192	/* one generated field before folding */
#define CUT_MARK "..."
#define INDENT "    "
#define WRAP_AT MAIL_HEADER_FOLD_AT
#define DAY 86400LL

/* How clean() treats text. */
#define CL_UTF8 1		/* keep well-formed UTF-8 (but C1 controls) */
#define CL_SPACE 2		/* blank runs, CR, LF: one space; trimmed */

static const char BOUNDARY_ALPHA[] = "0123456789abcdefghijklmnopqrstuvwxyz";
#define BOUNDARY_NALPHA (sizeof(BOUNDARY_ALPHA) - 1)

/*
 * The composition: the first error sticks in rc (and e), later writes do
 * nothing, so the builders below read as straight lines.
 */
struct ctx {
	const struct mail_dsn_report *r;
	struct err *e;
	enum err_kind rc;
	struct buf fld;		/* one field before folding */
	struct buf val;		/* one cleaned value */
	struct buf tmp;		/* a part's content before its header */
	struct buf part[3];	/* text, delivery-status, headers */
	bool any_failed, any_delayed, truncated;
};

static void
put(struct ctx *c, struct buf *b, const void *p, size_t n)
{
	if (c->rc != ERR_OK || n == 0 || buf_append(b, p, n) == 0)
		return;
	if (n > b->max || b->len > b->max - n)
		c->rc = err_set(c->e, ERR_DATA, "delivery status notification "
		    "longer than %zu bytes", b->max);
	else
		c->rc = err_set(c->e, ERR_OS, "out of memory");
}

static void
puts_(struct ctx *c, struct buf *b, const char *s)
{
	put(c, b, s, strlen(s));
}

/* Drop b's bytes from len on. */
static void
cut(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

static bool
is_ctl(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

/*
 * The unit at s[0..n) as clean() sees it: *keep bytes kept as they are,
 * or 0 for one '?'; returns the bytes it spans (a malformed UTF-8 byte
 * alone, a C1 control's whole sequence).
 */
static size_t
clean_unit(const char *s, size_t n, int flags, size_t *keep)
{
	uint32_t cp;
	size_t k;

	*keep = 0;
	if ((unsigned char)s[0] < 0x80) {
		*keep = is_ctl((unsigned char)s[0]) ? 0 : 1;
		return 1;
	}
	if ((flags & CL_UTF8) == 0 || (k = utf8_decode(s, n, &cp)) == 0)
		return 1;
	if (cp >= 0xa0)
		*keep = k;
	return k;
}

/*
 * s made harmless into out (reset first): control bytes, and bytes >=
 * 0x80 that flags do not keep, as '?'; cut at MAIL_DSN_REPORT_VALUE_MAX
 * bytes with CUT_MARK.
 */
static void
clean(struct ctx *c, struct buf *out, const char *s, int flags)
{
	size_t n = strlen(s), i = 0, adv, keep;
	bool space = false;

	buf_reset(out);
	while (i < n && c->rc == ERR_OK) {
		if ((flags & CL_SPACE) && strchr(" \t\r\n", s[i]) != NULL) {
			space = out->len > 0;
			i++;
			continue;
		}
		adv = clean_unit(s + i, n - i, flags, &keep);
		if (out->len + space + (keep > 0 ? keep : 1) >
		    MAIL_DSN_REPORT_VALUE_MAX) {
			puts_(c, out, CUT_MARK);
			return;
		}
		if (space)
			put(c, out, " ", 1);
		space = false;
		if (keep > 0)
			put(c, out, s + i, keep);
		else
			put(c, out, "?", 1);
		i += adv;
	}
}

/* RFC 3463 2: class "." subject "." detail, 1-3 digits each, class 4 or
 * 5 (a failure or a delay); its length at s[0..n), or 0. */
static size_t
esc_len(const char *s, size_t n)
{
	size_t i = 2, d, part;

	if (n < 5 || (s[0] != '4' && s[0] != '5') || s[1] != '.')
		return 0;
	for (part = 0; part < 2; part++) {
		for (d = 0; i < n && d < 3 && s[i] >= '0' && s[i] <= '9'; d++)
			i++;
		if (d == 0)
			return 0;
		if (part == 0 && (i >= n || s[i++] != '.'))
			return 0;
	}
	return i;
}

/* RFC 5321 4.2: whether s starts with a reply code ("550", "550 ",
 * "550-"). */
static bool
is_reply(const char *s)
{
	return s[0] >= '2' && s[0] <= '5' && s[1] >= '0' && s[1] <= '5' &&
	    s[2] >= '0' && s[2] <= '9' &&
	    (s[3] == '\0' || s[3] == ' ' || s[3] == '-');
}

/* The Status of rc (see the header), diag its cleaned diagnostic. */
static void
status_of(const struct ctx *c, const struct mail_dsn_report_rcpt *rc,
    const char *diag, char *st, size_t stlen)
{
	size_t n;

	if (rc->status != NULL &&
	    esc_len(rc->status, strlen(rc->status)) == strlen(rc->status)) {
		snprintf(st, stlen, "%s", rc->status);
		return;
	}
	if (diag != NULL && is_reply(diag) && diag[3] != '\0' &&
	    (n = esc_len(diag + 4, strlen(diag + 4))) > 0 &&
	    diag[4] == diag[0] && (diag[4 + n] == ' ' || diag[4 + n] == '\0')) {
		snprintf(st, stlen, "%.*s", (int)n, diag + 4);
		return;
	}
	if (diag != NULL && is_reply(diag) && (diag[0] == '4' || diag[0] == '5'))
		snprintf(st, stlen, "%c.0.0", diag[0]);
	else if (c->r->expired && rc->action == MAIL_DSN_REPORT_FAILED)
		snprintf(st, stlen, "4.4.7");	/* delivery time expired */
	else
		snprintf(st, stlen, "%s", rc->action == MAIL_DSN_REPORT_FAILED ?
		    "5.0.0" : "4.0.0");
}

/* ---- fields ------------------------------------------------------------ */

static void
field_begin(struct ctx *c, const char *name)
{
	buf_reset(&c->fld);
	puts_(c, &c->fld, name);
	put(c, &c->fld, ": ", 2);
}

/* The field in c->fld, folded, appended to out. */
static void
field_end(struct ctx *c, struct buf *out)
{
	if (c->rc == ERR_OK)
		c->rc = mail_header_fold(buf_str(&c->fld), c->fld.len, out,
		    c->e);
}

static void
field_str(struct ctx *c, struct buf *out, const char *name, const char *v)
{
	field_begin(c, name);
	puts_(c, &c->fld, v);
	field_end(c, out);
}

static void
put_date(struct ctx *c, struct buf *out, long long t)
{
	if (c->rc == ERR_OK)
		c->rc = mail_header_date(t, c->r->utc_offset, out, c->e);
}

static void
field_date(struct ctx *c, struct buf *out, const char *name, long long t)
{
	field_begin(c, name);
	put_date(c, &c->fld, t);
	field_end(c, out);
}

/*
 * RFC 3464 2.3.1-2: "rfc822;" and the address when it is ASCII, else
 * RFC 6533 3's "utf-8;" and utf-8-addr-xtext, which keeps the field
 * 7-bit; at most MAIL_DSN_REPORT_VALUE_MAX bytes of it.
 */
static void
put_typed_addr(struct ctx *c, struct buf *out, const char *addr)
{
	const char *v;
	size_t i = 0, k, start;
	uint32_t cp;
	char unit[UTF8_XTEXT_UNIT_MAX];

	clean(c, &c->val, addr, CL_UTF8);
	v = buf_str(&c->val);
	if (!has_8bit(v, c->val.len)) {
		puts_(c, out, "rfc822;");
		put(c, out, v, c->val.len);
		return;
	}
	puts_(c, out, "utf-8;");
	start = out->len;
	while (i < c->val.len && c->rc == ERR_OK) {
		k = utf8_decode(v + i, c->val.len - i, &cp);	/* clean: > 0 */
		(void)utf8_xtext_unit(cp, unit);
		if (out->len - start + strlen(unit) > MAIL_DSN_REPORT_VALUE_MAX) {
			puts_(c, out, CUT_MARK);
			return;
		}
		puts_(c, out, unit);
		i += k > 0 ? k : 1;
	}
}

static void
field_addr(struct ctx *c, struct buf *out, const char *name,
    const char *addr)
{
	field_begin(c, name);
	put_typed_addr(c, &c->fld, addr);
	field_end(c, out);
}

/* ---- part 2: message/delivery-status ------------------------------------ */

static long long
add_sat(long long a, long long b)
{
	return b > 0 && a > LLONG_MAX - b ? LLONG_MAX : a + b;
}

static void
rcpt_fields(struct ctx *c, struct buf *p,
    const struct mail_dsn_report_rcpt *rc)
{
	const struct mail_dsn_report *r = c->r;
	char st[16], diag[MAIL_DSN_REPORT_VALUE_MAX + sizeof(CUT_MARK)];

	diag[0] = '\0';
	if (rc->diagnostic != NULL) {
		clean(c, &c->val, rc->diagnostic, CL_SPACE);
		snprintf(diag, sizeof(diag), "%s", buf_str(&c->val));
	}
	status_of(c, rc, diag[0] != '\0' ? diag : NULL, st, sizeof(st));
	put(c, p, "\r\n", 2);
	if (rc->orcpt != NULL && rc->orcpt[0] != '\0')
		field_addr(c, p, "Original-Recipient", rc->orcpt);
	field_addr(c, p, "Final-Recipient", rc->addr);
	field_str(c, p, "Action", rc->action == MAIL_DSN_REPORT_FAILED ?
	    "failed" : "delayed");
	field_str(c, p, "Status", st);
	if (rc->remote_mta != NULL && rc->remote_mta[0] != '\0') {
		clean(c, &c->val, rc->remote_mta, CL_SPACE);
		field_begin(c, "Remote-MTA");
		puts_(c, &c->fld, "dns; ");
		put(c, &c->fld, c->val.data, c->val.len);
		field_end(c, p);
	}
	if (diag[0] != '\0') {
		field_begin(c, "Diagnostic-Code");
		puts_(c, &c->fld, is_reply(diag) ? "smtp; " : "X-Postie; ");
		puts_(c, &c->fld, diag);
		field_end(c, p);
	}
	if (rc->last_attempt != 0)
		field_date(c, p, "Last-Attempt-Date", rc->last_attempt);
	if (rc->action == MAIL_DSN_REPORT_DELAYED && r->arrival != 0 &&
	    r->lifetime_s > 0)
		field_date(c, p, "Will-Retry-Until",
		    add_sat(r->arrival, r->lifetime_s));
}

/* RFC 3464 2.1: per-message fields, then each recipient's after an empty
 * line; the order of the fields is the grammar's (2.2, 2.3). */
static void
status_part(struct ctx *c, struct buf *p)
{
	const struct mail_dsn_report *r = c->r;
	size_t i;

	puts_(c, p, "Content-Type: message/delivery-status\r\n"
	    "Content-Description: Delivery report\r\n\r\n");
	if (r->envid != NULL && r->envid[0] != '\0') {
		clean(c, &c->val, r->envid, 0);
		field_begin(c, "Original-Envelope-Id");
		put(c, &c->fld, c->val.data, c->val.len);
		field_end(c, p);
	}
	field_begin(c, "Reporting-MTA");
	puts_(c, &c->fld, "dns; ");
	puts_(c, &c->fld, r->reporting_mta);
	field_end(c, p);
	if (r->arrival != 0)
		field_date(c, p, "Arrival-Date", r->arrival);
	for (i = 0; i < r->nrcpt && c->rc == ERR_OK; i++)
		rcpt_fields(c, p, &r->rcpts[i]);
}

/* ---- part 1: text/plain ----------------------------------------------- */

/* t as lines of words, each line indent then words, at most WRAP_AT
 * bytes unless one word is longer (clean() keeps it under 998). */
static void
wrap(struct ctx *c, struct buf *out, const char *indent, const char *t)
{
	size_t n = strlen(t), i = 0, j, col = 0, ind = strlen(indent);

	while (i < n) {
		if (t[i] == ' ') {
			i++;
			continue;
		}
		for (j = i; j < n && t[j] != ' '; j++)
			continue;
		if (col > 0 && col + 1 + (j - i) > WRAP_AT) {
			put(c, out, "\r\n", 2);
			col = 0;
		}
		if (col == 0) {
			put(c, out, indent, ind);
			col = ind;
		} else {
			put(c, out, " ", 1);
			col++;
		}
		put(c, out, t + i, j - i);
		col += j - i;
		i = j;
	}
	if (col > 0)
		put(c, out, "\r\n", 2);
}

/* "5 days", "3 hours", "1 minute". */
static void
duration(long long s, char *out, size_t n)
{
	long long v;
	const char *unit;

	if (s >= 2 * DAY) {
		v = s / DAY + (s % DAY >= DAY / 2);
		unit = "day";
	} else if (s >= 2 * 3600) {
		v = s / 3600 + (s % 3600 >= 1800);
		unit = "hour";
	} else {
		v = s / 60 + (s % 60 >= 30);
		unit = "minute";
	}
	snprintf(out, n, "%lld %s%s", v, unit, v == 1 ? "" : "s");
}

static void
intro(struct ctx *c, struct buf *t)
{
	const struct mail_dsn_report *r = c->r;
	char s[MAIL_DSN_REPORT_VALUE_MAX + 256], d[64];
	struct buf date;

	snprintf(s, sizeof(s), "This is the mail delivery system at %s.",
	    r->reporting_mta);
	wrap(c, t, "", s);
	put(c, t, "\r\n", 2);
	if (c->any_failed && r->expired) {
		if (r->lifetime_s > 0)
			duration(r->lifetime_s, d, sizeof(d));
		snprintf(s, sizeof(s), "Your message could not be delivered "
		    "%s%s to the recipients below, and delivery has been "
		    "given up.", r->lifetime_s > 0 ? "for " : "in the time "
		    "allowed", r->lifetime_s > 0 ? d : "");
	} else if (c->any_failed) {
		snprintf(s, sizeof(s), "Your message could not be delivered "
		    "to the recipients below. The error is permanent: it "
		    "will not be retried.");
	} else {
		buf_init(&date, 64);
		if (r->arrival != 0 && r->lifetime_s > 0)
			put_date(c, &date, add_sat(r->arrival, r->lifetime_s));
		snprintf(s, sizeof(s), "Your message has not been delivered "
		    "yet to the recipients below. Delivery is still being "
		    "retried%s%s%s; you do not need to send it again.",
		    date.len > 0 ? ", until " : "", buf_str(&date),
		    date.len > 0 ? " at the latest" : "");
		buf_free(&date);
	}
	wrap(c, t, "", s);
	if (c->any_failed && c->any_delayed) {
		put(c, t, "\r\n", 2);
		wrap(c, t, "", "Delivery to the recipients marked as still "
		    "being retried goes on; you do not need to send it to "
		    "them again.");
	}
	put(c, t, "\r\n", 2);
}

/* Why rc was not delivered, one sentence. */
static void
reason(struct ctx *c, struct buf *t, const struct mail_dsn_report_rcpt *rc)
{
	char host[MAIL_DSN_REPORT_VALUE_MAX + sizeof(CUT_MARK)];
	bool expired = c->r->expired && rc->action == MAIL_DSN_REPORT_FAILED;

	host[0] = '\0';
	if (rc->remote_mta != NULL && rc->remote_mta[0] != '\0') {
		clean(c, &c->val, rc->remote_mta, CL_SPACE);
		snprintf(host, sizeof(host), "%s", buf_str(&c->val));
	}
	buf_reset(&c->fld);
	if (rc->diagnostic != NULL)
		clean(c, &c->val, rc->diagnostic, CL_SPACE);
	if (rc->diagnostic != NULL && c->val.len > 0) {
		if (host[0] != '\0') {
			puts_(c, &c->fld, "host ");
			puts_(c, &c->fld, host);
			puts_(c, &c->fld, " said: ");
		}
		put(c, &c->fld, c->val.data, c->val.len);
	} else {
		puts_(c, &c->fld, expired ? "delivery time expired" :
		    rc->action == MAIL_DSN_REPORT_FAILED ? "delivery failed" :
		    "not delivered yet");
		if (host[0] != '\0') {
			puts_(c, &c->fld, " (host ");
			puts_(c, &c->fld, host);
			puts_(c, &c->fld, ")");
		}
	}
	wrap(c, t, INDENT, buf_str(&c->fld));
}

static void
rcpt_text(struct ctx *c, struct buf *t, const struct mail_dsn_report_rcpt *rc)
{
	put(c, t, "<", 1);
	clean(c, &c->val, rc->addr, CL_UTF8);
	put(c, t, c->val.data, c->val.len);
	put(c, t, ">", 1);
	if (c->any_failed && rc->action == MAIL_DSN_REPORT_DELAYED)
		puts_(c, t, " (still being retried)");
	put(c, t, "\r\n", 2);
	if (rc->orcpt != NULL && rc->orcpt[0] != '\0' &&
	    strcmp(rc->orcpt, rc->addr) != 0) {
		puts_(c, t, INDENT "sent to <");
		clean(c, &c->val, rc->orcpt, CL_UTF8);
		put(c, t, c->val.data, c->val.len);
		puts_(c, t, ">\r\n");
	}
	reason(c, t, rc);
	put(c, t, "\r\n", 2);
}

static void
text_part(struct ctx *c, struct buf *p)
{
	const struct mail_dsn_report *r = c->r;
	struct buf *t = &c->tmp;
	char note[128];
	size_t i;

	buf_reset(t);
	intro(c, t);
	for (i = 0; i < r->nrcpt && c->rc == ERR_OK; i++)
		rcpt_text(c, t, &r->rcpts[i]);
	if (c->truncated) {
		snprintf(note, sizeof(note), "The header section of your "
		    "message is attached, cut after its first %d KiB.",
		    MAIL_DSN_REPORT_HEADER_MAX / 1024);
		wrap(c, t, "", note);
	} else
		wrap(c, t, "", "The header section of your message is "
		    "attached.");
	puts_(c, p, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Description: Notification\r\n");
	if (has_8bit(buf_str(t), t->len))
		puts_(c, p, "Content-Transfer-Encoding: 8bit\r\n");
	put(c, p, "\r\n", 2);
	put(c, p, t->data, t->len);
}

/* ---- part 3: text/rfc822-headers -------------------------------------- */

/*
 * One field of the original header: every line ending in CRLF (a bare
 * LF ends a line too, which can only start a continuation line here), a
 * CR elsewhere and other control bytes but tab as '?', lines longer than
 * MAIL_HEADER_LINE_MAX folded (RFC 5322 2.1.1).
 */
static void
copy_field(struct ctx *c, struct buf *out, const char *s, size_t n)
{
	size_t i, col = 0;
	unsigned char ch;

	for (i = 0; i < n && c->rc == ERR_OK; i++) {
		ch = (unsigned char)s[i];
		if (ch == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		if (ch == '\n') {
			put(c, out, "\r\n", 2);
			col = 0;
			continue;
		}
		if (col >= MAIL_HEADER_LINE_MAX) {
			put(c, out, "\r\n ", 3);
			col = 1;
		}
		if (is_ctl(ch) && ch != '\t')
			ch = '?';
		put(c, out, &ch, 1);
		col++;
	}
	if (col > 0)
		put(c, out, "\r\n", 2);
}

/* The fields of the original header section (lines that are none are
 * dropped) up to MAIL_DSN_REPORT_HEADER_MAX bytes. */
static void
headers_part(struct ctx *c, struct buf *p)
{
	const struct mail_dsn_report *r = c->r;
	struct mail_header_field f;
	struct buf *t = &c->tmp;
	size_t pos = 0, mark;

	buf_reset(t);
	while (c->rc == ERR_OK && r->orig_header != NULL &&
	    mail_header_next(r->orig_header, r->orig_header_len, &pos, &f)) {
		mark = t->len;
		if (f.raw_len > MAIL_DSN_REPORT_HEADER_MAX - mark)
			c->truncated = true;
		else
			copy_field(c, t, f.raw, f.raw_len);
		if (!c->truncated && t->len > MAIL_DSN_REPORT_HEADER_MAX)
			c->truncated = true;
		if (c->truncated) {
			cut(t, mark);
			break;
		}
	}
	puts_(c, p, "Content-Type: text/rfc822-headers\r\n"
	    "Content-Description: Message header\r\n");
	if (has_8bit(buf_str(t), t->len))
		puts_(c, p, "Content-Transfer-Encoding: 8bit\r\n");
	put(c, p, "\r\n", 2);
	put(c, p, t->data, t->len);
}

/* ---- the boundary ------------------------------------------------------ */

/* Occurrences of b[0..bn) in the parts; count[k]: those followed by
 * BOUNDARY_ALPHA[k]. */
static size_t
tally(const struct ctx *c, const char *b, size_t bn, size_t *count)
{
	const char *p, *q, *end, *a;
	size_t hits = 0, i;

	memset(count, 0, BOUNDARY_NALPHA * sizeof(*count));
	for (i = 0; i < 3; i++) {
		p = buf_str(&c->part[i]);
		end = p + c->part[i].len;
		while ((size_t)(end - p) >= bn &&
		    (q = memmem(p, (size_t)(end - p), b, bn)) != NULL) {
			hits++;
			if (q + bn < end && q[bn] != '\0' &&
			    (a = strchr(BOUNDARY_ALPHA, q[bn])) != NULL)
				count[a - BOUNDARY_ALPHA]++;
			p = q + 1;
		}
	}
	return hits;
}

/*
 * RFC 2046 5.1.1: the boundary must occur in no part.  The prefix and
 * the random bytes in base32 make a hit unlikely; on one, a character
 * is added, the one that follows the fewest hits, so that each round
 * keeps at most 1/36 of them.
 */
static void
boundary(struct ctx *c, char *b, size_t blen)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	const struct mail_dsn_report *r = c->r;
	size_t n, i, k, best, count[BOUNDARY_NALPHA];
	unsigned acc = 0, bits = 0;

	n = (size_t)snprintf(b, blen, "%s", BOUNDARY_PREFIX);
	for (i = 0; i < r->nrnd && i < BOUNDARY_RND; i++) {
		acc = (acc << 8) | r->rnd[i];
		for (bits += 8; bits >= 5; bits -= 5)
			b[n++] = b32[(acc >> (bits - 5)) & 31];
		acc &= (1u << bits) - 1;
	}
	b[n] = '\0';
	while (tally(c, b, n, count) > 0) {
		if (n >= MAIL_DSN_REPORT_BOUNDARY_MAX) {
			c->rc = err_set(c->e, ERR_DATA, "no MIME boundary fits "
			    "the delivery status notification");
			return;
		}
		for (best = 0, k = 1; k < BOUNDARY_NALPHA; k++)
			if (count[k] < count[best])
				best = k;
		b[n++] = BOUNDARY_ALPHA[best];
		b[n] = '\0';
	}
}

/* ---- the message ------------------------------------------------------- */

static enum err_kind
check_str(const char *s, const char *what, bool ascii, struct err *e)
{
	size_t i, n;

	if (s == NULL || s[0] == '\0')
		return err_set(e, ERR_DATA, "delivery status notification "
		    "without %s", what);
	n = strlen(s);
	if (n > MAIL_DSN_REPORT_VALUE_MAX || !utf8_valid(s, n) ||
	    (ascii && has_8bit(s, n)))
		return err_set(e, ERR_DATA, "unusable %s for a delivery status "
		    "notification", what);
	for (i = 0; i < n; i++)
		if (is_ctl((unsigned char)s[i]) || (ascii && s[i] == ' '))
			return err_set(e, ERR_DATA, "unusable %s for a "
			    "delivery status notification", what);
	return ERR_OK;
}

static enum err_kind
check(const struct mail_dsn_report *r, struct err *e)
{
	size_t i;

	if (check_str(r->reporting_mta, "reporting MTA", true, e) != ERR_OK ||
	    check_str(r->postmaster, "postmaster address", false, e) !=
	    ERR_OK || check_str(r->to, "recipient (the original sender)",
	    false, e) != ERR_OK)
		return ERR_DATA;
	if (r->rnd == NULL || r->nrnd < RND_MIN)
		return err_set(e, ERR_DATA, "delivery status notification: "
		    "too few random bytes");
	if (r->rcpts == NULL || r->nrcpt == 0)
		return err_set(e, ERR_DATA, "delivery status notification "
		    "without recipients");
	for (i = 0; i < r->nrcpt; i++)
		if (r->rcpts[i].addr == NULL || r->rcpts[i].addr[0] == '\0' ||
		    (r->rcpts[i].action != MAIL_DSN_REPORT_FAILED &&
		    r->rcpts[i].action != MAIL_DSN_REPORT_DELAYED))
			return err_set(e, ERR_DATA, "delivery status "
			    "notification: recipient %zu unusable", i + 1);
	return ERR_OK;
}

static void
message_header(struct ctx *c, struct buf *out, const char *b, bool eight)
{
	const struct mail_dsn_report *r = c->r;

	field_begin(c, "From");
	if (c->rc == ERR_OK)
		c->rc = mail_header_mailbox("Mail Delivery System",
		    r->postmaster, &c->fld, c->e);
	field_end(c, out);
	field_str(c, out, "To", r->to);
	field_str(c, out, "Subject", c->any_failed ?
	    "Undelivered Mail Returned to Sender" :
	    "Delayed Mail (still being retried)");
	field_date(c, out, "Date", r->now);
	field_begin(c, "Message-ID");
	if (c->rc == ERR_OK)
		c->rc = mail_header_msgid(r->now, r->rnd, r->nrnd, r->domain,
		    &c->fld, c->e);
	field_end(c, out);
	field_str(c, out, "Auto-Submitted", "auto-replied");
	field_str(c, out, "MIME-Version", "1.0");
	field_begin(c, "Content-Type");
	puts_(c, &c->fld, "multipart/report; report-type=delivery-status; "
	    "boundary=\"");
	puts_(c, &c->fld, b);
	put(c, &c->fld, "\"", 1);
	field_end(c, out);
	if (eight)
		field_str(c, out, "Content-Transfer-Encoding", "8bit");
}

/* The body: each part's content ends in CRLF, so the CRLF that starts
 * each delimiter (RFC 2046 5.1.1) leaves an empty line before it. */
static void
message_body(struct ctx *c, struct buf *out, const char *b)
{
	size_t i;

	puts_(c, out, "\r\nThis is a MIME-encapsulated message.\r\n");
	for (i = 0; i < 3; i++) {
		puts_(c, out, "\r\n--");
		puts_(c, out, b);
		put(c, out, "\r\n", 2);
		put(c, out, c->part[i].data, c->part[i].len);
	}
	puts_(c, out, "\r\n--");
	puts_(c, out, b);
	puts_(c, out, "--\r\n");
}

static void
compose(struct ctx *c, struct buf *out)
{
	char b[MAIL_DSN_REPORT_BOUNDARY_MAX + 1];
	size_t i;

	for (i = 0; i < c->r->nrcpt; i++) {
		if (c->r->rcpts[i].action == MAIL_DSN_REPORT_FAILED)
			c->any_failed = true;
		else
			c->any_delayed = true;
	}
	/* Part 3 first: part 1 tells whether it was cut. */
	headers_part(c, &c->part[2]);
	text_part(c, &c->part[0]);
	status_part(c, &c->part[1]);
	if (c->rc != ERR_OK)
		return;
	boundary(c, b, sizeof(b));
	if (c->rc != ERR_OK)
		return;
	message_header(c, out, b,
	    has_8bit(buf_str(&c->part[0]), c->part[0].len) ||
	    has_8bit(buf_str(&c->part[2]), c->part[2].len));
	message_body(c, out, b);
}

enum err_kind
mail_dsn_report_compose(const struct mail_dsn_report *r, struct buf *out,
    struct err *e)
{
	struct ctx c;
	size_t i;

	if (check(r, e) != ERR_OK)
		return ERR_DATA;
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.e = e;
	buf_init(&c.fld, FIELD_SCRATCH);
	buf_init(&c.val, MAIL_DSN_REPORT_VALUE_MAX + sizeof(CUT_MARK));
	/* Folds may add a byte for each of a field's 998 (copy_field). */
	buf_init(&c.tmp, out->max > 4 * MAIL_DSN_REPORT_HEADER_MAX ?
	    out->max : 4 * MAIL_DSN_REPORT_HEADER_MAX);
	for (i = 0; i < 3; i++)
		buf_init(&c.part[i], out->max);
	compose(&c, out);
	buf_free(&c.fld);
	buf_free(&c.val);
	buf_free(&c.tmp);
	for (i = 0; i < 3; i++)
		buf_free(&c.part[i]);
	return c.rc;
}
