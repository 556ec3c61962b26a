#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mail/address.h"
#include "mail/header.h"

#define FIELD_NAME_SHOWN 64	/* of a field name quoted in an error */
#define DOMAIN_MAX 255		/* RFC 1035 2.3.4 */
#define RND_USED 32		/* random bytes used in a Message-ID */
#define RND_MIN 8
#define FIELD_MAX 65536		/* a generated field before folding */
#define EW_OPEN "=?utf-8?q?"	/* RFC 2047 2, 4.2 */
#define EW_CLOSE "?="
#define EW_TEXT_MAX (75 - 12)	/* encoded-word of 75 minus open+close */
#define T_MAX 253402300799LL	/* 9999-12-31 23:59:59 UTC */
#define OFFSET_MAX (99L * 3600 + 59 * 60)

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool
same_ci(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

/* The end of the line at pos: past its LF, or len. */
static size_t
line_end(const char *hdr, size_t len, size_t pos)
{
	const char *lf = memchr(hdr + pos, '\n', len - pos);

	return lf != NULL ? (size_t)(lf - hdr) + 1 : len;
}

/*
 * RFC 5322 3.6.8: field-name = 1*ftext (printable ASCII but ':'), then
 * the colon; obs-optional (4.5) allows blanks before it.  Returns the
 * colon's offset, or 0 when the line at pos is not a field.
 */
static size_t
field_colon(const char *hdr, size_t end, size_t pos, size_t *name_end)
{
	size_t i = pos;

	while (i < end && hdr[i] > 0x20 && hdr[i] < 0x7f && hdr[i] != ':')
		i++;
	if (i == pos)
		return 0;
	*name_end = i;
	while (i < end && (hdr[i] == ' ' || hdr[i] == '\t'))
		i++;
	return i < end && hdr[i] == ':' ? i : 0;
}

int
mail_header_next(const char *hdr, size_t len, size_t *pos,
    struct mail_header_field *f)
{
	size_t start, end, colon, name_end = 0, vend;

	while (*pos < len) {
		start = *pos;
		end = line_end(hdr, len, start);
		*pos = end;
		if ((colon = field_colon(hdr, end, start, &name_end)) == 0)
			continue;	/* not a field: skipped */
		/* RFC 5322 2.2.3: continuation lines start with a blank. */
		while (end < len && (hdr[end] == ' ' || hdr[end] == '\t'))
			end = line_end(hdr, len, end);
		*pos = end;
		vend = end;
		if (vend > colon + 1 && hdr[vend - 1] == '\n')
			vend--;
		if (vend > colon + 1 && hdr[vend - 1] == '\r')
			vend--;
		f->name = hdr + start;
		f->name_len = name_end - start;
		f->value = hdr + colon + 1;
		f->value_len = vend - colon - 1;
		f->raw = hdr + start;
		f->raw_len = end - start;
		return 1;
	}
	return 0;
}

bool
mail_header_is(const struct mail_header_field *f, const char *name)
{
	size_t n = strlen(name);

	return f->name_len == n && same_ci(f->name, name, n);
}

static bool
is_resent(const struct mail_header_field *f)
{
	return f->name_len > 7 && same_ci(f->name, "Resent-", 7);
}

static enum err_kind
add_field(const struct mail_header_field *f, struct mail_address_list *l,
    struct err *e)
{
	enum err_kind rc;
	int shown;

	rc = mail_address_parse_list(f->value, f->value_len, l, e);
	if (rc != ERR_OK) {
		shown = f->name_len > FIELD_NAME_SHOWN ? FIELD_NAME_SHOWN :
		    (int)f->name_len;
		err_prefix(e, "%.*s", shown, f->name);
	}
	return rc;
}

/*
 * The newest resent block (RFC 5322 3.6.6: each resend prepends one) is
 * the run of consecutive Resent-* fields that starts at the topmost
 * Resent-* field.  It ends at the first field that is not a Resent-* one
 * (the Received fields of the earlier transfer separate blocks, 3.6.7),
 * or at a second Resent-Date or Resent-From (a block has one of each), so
 * that two blocks with nothing between them are not merged.
 */
static enum err_kind
resent_recipients(const char *hdr, size_t len, size_t pos,
    struct mail_address_list *l, struct err *e)
{
	struct mail_header_field f;
	bool date = false, from = false, *seen;
	enum err_kind rc;

	while (mail_header_next(hdr, len, &pos, &f) && is_resent(&f)) {
		seen = mail_header_is(&f, "Resent-Date") ? &date :
		    mail_header_is(&f, "Resent-From") ? &from : NULL;
		if (seen != NULL && *seen)
			break;
		if (seen != NULL)
			*seen = true;
		if (mail_header_is(&f, "Resent-To") ||
		    mail_header_is(&f, "Resent-Cc") ||
		    mail_header_is(&f, "Resent-Bcc"))
			if ((rc = add_field(&f, l, e)) != ERR_OK)
				return rc;
	}
	return ERR_OK;
}

enum err_kind
mail_header_recipients(const char *hdr, size_t len,
    struct mail_address_list *l, struct err *e)
{
	struct mail_header_field f;
	size_t pos = 0, here = 0;
	enum err_kind rc;

	while (mail_header_next(hdr, len, &pos, &f)) {
		if (is_resent(&f))
			return resent_recipients(hdr, len, here, l, e);
		here = pos;
	}
	pos = 0;
	while (mail_header_next(hdr, len, &pos, &f))
		if (mail_header_is(&f, "To") || mail_header_is(&f, "Cc") ||
		    mail_header_is(&f, "Bcc"))
			if ((rc = add_field(&f, l, e)) != ERR_OK)
				return rc;
	return ERR_OK;
}

static bool
is_named(const struct mail_header_field *f, const char *const *names)
{
	for (; *names != NULL; names++)
		if (mail_header_is(f, *names))
			return true;
	return false;
}

static enum err_kind
copy_out(struct buf *out, const char *p, size_t n, struct err *e)
{
	if (n == 0 || buf_append(out, p, n) == 0)
		return ERR_OK;
	if (n > out->max || out->len > out->max - n)
		return err_set(e, ERR_DATA, "header section too long");
	return err_set(e, ERR_OS, "out of memory");
}

enum err_kind
mail_header_remove(const char *hdr, size_t len, const char *const *names,
    struct buf *out, struct err *e)
{
	struct mail_header_field f;
	size_t pos = 0, done = 0, start;
	enum err_kind rc;

	while (mail_header_next(hdr, len, &pos, &f)) {
		start = (size_t)(f.raw - hdr);
		if (!is_named(&f, names))
			continue;
		/* Keep everything before the field, skipped lines too. */
		if ((rc = copy_out(out, hdr + done, start - done, e)) != ERR_OK)
			return rc;
		done = pos;
	}
	return copy_out(out, hdr + done, len - done, e);
}

/* ---- composing the header section ------------------------------------ */

static enum err_kind
copy_str(struct buf *out, const char *s, struct err *e)
{
	return copy_out(out, s, strlen(s), e);
}

/* RFC 5322 3.2.3 dot-atom-text, at most DOMAIN_MAX bytes. */
static bool
dot_atom(const char *s)
{
	size_t n = strlen(s);

	return n <= DOMAIN_MAX && mail_address_dot_atom(s, n);
}

/*
 * The proleptic Gregorian date of day z (days since 1970-01-01), after
 * H. Hinnant's days_from_civil inverse; exact for any z.
 */
static void
civil(long long z, long long *y, unsigned *m, unsigned *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

enum err_kind
mail_header_date(long long t, long utc_offset, struct buf *out,
    struct err *e)
{
	static const char *const wday[] = {
		"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"
	};
	static const char *const mon[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
		"Sep", "Oct", "Nov", "Dec"
	};
	long long days, secs, y;
	long mins;
	unsigned m, d;
	char text[64];

	if (utc_offset > OFFSET_MAX)
		utc_offset = OFFSET_MAX;
	if (utc_offset < -OFFSET_MAX)
		utc_offset = -OFFSET_MAX;
	t = t < 0 ? 0 : t > T_MAX ? T_MAX : t;
	/* RFC 5322 3.3: local time and its zone; whole minutes only. */
	mins = utc_offset / 60;
	t += (long long)mins * 60;
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil(days, &y, &m, &d);
	snprintf(text, sizeof(text), "%s, %u %s %04lld %02lld:%02lld:%02lld "
	    "%c%02ld%02ld", wday[((days % 7) + 7) % 7], d, mon[m - 1], y,
	    secs / 3600, secs / 60 % 60, secs % 60, mins < 0 ? '-' : '+',
	    (mins < 0 ? -mins : mins) / 60, (mins < 0 ? -mins : mins) % 60);
	return copy_str(out, text, e);
}

long
mail_header_utc_offset(const struct tm *local, const struct tm *utc)
{
	long off, day;

	off = (long)(local->tm_hour - utc->tm_hour) * 3600 +
	    (long)(local->tm_min - utc->tm_min) * 60 +
	    (local->tm_sec - utc->tm_sec);
	/* The two sides are less than a day apart. */
	if (local->tm_year != utc->tm_year)
		day = local->tm_year > utc->tm_year ? 1 : -1;
	else
		day = local->tm_yday - utc->tm_yday;
	return off + day * 86400;
}

enum err_kind
mail_header_msgid(long long t, const unsigned char *rnd, size_t nrnd,
    const char *domain, struct buf *out, struct err *e)
{
	static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned long long u = t < 0 ? 0 : (unsigned long long)t;
	char id[RND_USED * 2 + 32], tb[16];
	size_t i, n = 0, k = 0;
	unsigned acc = 0, bits = 0;

	if (!dot_atom(domain))
		return err_set(e, ERR_DATA, "'%.64s' cannot be the domain of a "
		    "Message-ID (RFC 5322 3.6.4)", domain);
	if (nrnd < RND_MIN)
		return err_set(e, ERR_DATA, "Message-ID: too few random bytes");
	if (nrnd > RND_USED)
		nrnd = RND_USED;
	do {
		tb[k++] = b36[u % 36];
		u /= 36;
	} while (u > 0);
	id[n++] = '<';
	while (k > 0)
		id[n++] = tb[--k];
	id[n++] = '.';
	/* RFC 4648 6, lower case, unpadded. */
	for (i = 0; i < nrnd; i++) {
		acc = (acc << 8) | rnd[i];
		for (bits += 8; bits >= 5; bits -= 5)
			id[n++] = b32[(acc >> (bits - 5)) & 31];
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		id[n++] = b32[(acc << (5 - bits)) & 31];
	id[n++] = '@';
	if (copy_out(out, id, n, e) != ERR_OK ||
	    copy_str(out, domain, e) != ERR_OK)
		return e->kind;
	return copy_out(out, ">", 1, e);
}

enum name_form { NAME_ATOMS, NAME_QUOTED, NAME_ENCODED };

/* How a display name must be written (RFC 5322 3.2.5 phrase). */
static enum name_form
name_form(const char *s)
{
	bool quote = false;
	size_t i;

	/* Text that looks like an encoded-word would be decoded. */
	if (strstr(s, "=?") != NULL)
		return NAME_ENCODED;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 || (c < 0x20 && c != '\t') || c == 0x7f)
			return NAME_ENCODED;
		if (c == ' ') {
			if (i == 0 || s[i + 1] == '\0' || s[i + 1] == ' ')
				quote = true;
		} else if (!mail_address_is_atext(c))
			quote = true;
	}
	return quote ? NAME_QUOTED : NAME_ATOMS;
}

static enum err_kind
name_quoted(const char *s, struct buf *out, struct err *e)
{
	size_t i;

	if (copy_out(out, "\"", 1, e) != ERR_OK)
		return e->kind;
	for (i = 0; s[i] != '\0'; i++) {
		if ((s[i] == '"' || s[i] == '\\') &&
		    copy_out(out, "\\", 1, e) != ERR_OK)
			return e->kind;
		if (copy_out(out, s + i, 1, e) != ERR_OK)
			return e->kind;
	}
	return copy_out(out, "\"", 1, e);
}

/* RFC 2047 5 (3): what a Q-encoded word in a phrase holds as is. */
static bool
q_literal(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!*+-/", c) != NULL);
}

/* The Q encoding (RFC 2047 4.2) of s[0..n) into q (3n bytes). */
static size_t
q_char(const unsigned char *s, size_t n, char *q)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (q_literal(s[i]))
			q[k++] = (char)s[i];
		else if (s[i] == ' ')
			q[k++] = '_';
		else {
			q[k++] = '=';
			q[k++] = hex[s[i] >> 4];
			q[k++] = hex[s[i] & 15];
		}
	}
	return k;
}

/*
 * The name as encoded-words of at most 75 bytes separated by spaces; a
 * word never splits a UTF-8 character (RFC 2047 5: "an integral number
 * of characters"): a lead byte and up to 3 continuation bytes.
 */
static enum err_kind
name_encoded(const char *s, struct buf *out, struct err *e)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, cur = 0, qn;
	char q[12];

	if (copy_str(out, EW_OPEN, e) != ERR_OK)
		return e->kind;
	while (u[i] != '\0') {
		for (n = 1; n < 4 && (u[i + n] & 0xc0) == 0x80; n++)
			continue;
		qn = q_char(u + i, n, q);
		if (cur + qn > EW_TEXT_MAX) {
			if (copy_str(out, EW_CLOSE " " EW_OPEN, e) != ERR_OK)
				return e->kind;
			cur = 0;
		}
		if (copy_out(out, q, qn, e) != ERR_OK)
			return e->kind;
		cur += qn;
		i += n;
	}
	return copy_str(out, EW_CLOSE, e);
}

enum err_kind
mail_header_mailbox(const char *name, const char *addr, struct buf *out,
    struct err *e)
{
	enum err_kind rc;

	if (strpbrk(addr, "\r\n") != NULL ||
	    (name != NULL && strpbrk(name, "\r\n") != NULL))
		return err_set(e, ERR_DATA, "refusing a line break in a "
		    "generated address");
	if (name == NULL || name[0] == '\0')
		return copy_str(out, addr, e);
	switch (name_form(name)) {
	case NAME_ATOMS:
		rc = copy_str(out, name, e);
		break;
	case NAME_QUOTED:
		rc = name_quoted(name, out, e);
		break;
	default:
		rc = name_encoded(name, out, e);
		break;
	}
	if (rc != ERR_OK || copy_str(out, " <", e) != ERR_OK ||
	    copy_str(out, addr, e) != ERR_OK)
		return e->kind;
	return copy_out(out, ">", 1, e);
}

/* The end of the blank-free run at i. */
static size_t
word_end(const char *t, size_t len, size_t i)
{
	while (i < len && t[i] != ' ')
		i++;
	return i;
}

enum err_kind
mail_header_fold(const char *text, size_t len, struct buf *out,
    struct err *e)
{
	const char *colon = memchr(text, ':', len);
	size_t i = colon != NULL ? (size_t)(colon - text) + 1 : 0, j, line;

	/* Never before the first word of the value. */
	while (i < len && text[i] == ' ')
		i++;
	i = word_end(text, len, i);
	line = i;
	if (line > MAIL_HEADER_LINE_MAX)
		return err_set(e, ERR_DATA, "a generated header line is "
		    "longer than %d bytes", MAIL_HEADER_LINE_MAX);
	if (copy_out(out, text, i, e) != ERR_OK)
		return e->kind;
	while (i < len) {
		j = word_end(text, len, i + 1);	/* text[i] is a blank */
		/* RFC 5322 2.2.3: a fold is CRLF before a blank. */
		if (j > i + 1 && line + (j - i) > MAIL_HEADER_FOLD_AT) {
			if (copy_out(out, "\r\n", 2, e) != ERR_OK)
				return e->kind;
			line = 0;
		}
		line += j - i;
		if (line > MAIL_HEADER_LINE_MAX)
			return err_set(e, ERR_DATA, "a generated header line "
			    "is longer than %d bytes", MAIL_HEADER_LINE_MAX);
		if (copy_out(out, text + i, j - i, e) != ERR_OK)
			return e->kind;
		i = j;
	}
	return copy_out(out, "\r\n", 2, e);
}

/* ---- qualifying bare local names -------------------------------------- */

/*
 * The scanner runs over a value that mail_address_parse_list() accepted,
 * so it only needs to tell tokens apart (RFC 5322 3.2): a run of words
 * and dots is a local part when it ends at ',', ';', '>' or the end with
 * no '@' since the last ',', ';', ':' or '<'; the "@domain" goes right
 * after its last word.
 */
struct qual {
	const char *v;
	size_t len, pos, done;
	const char *domain;
	struct buf *out;
	struct err *e;
	size_t words, last;
	bool at, angle;
};

static void
qual_skip(struct qual *q)
{
	char open = q->v[q->pos];
	char close = open == '"' ? '"' : open == '[' ? ']' : ')';
	size_t depth = 1;

	for (q->pos++; q->pos < q->len; q->pos++) {
		char ch = q->v[q->pos];

		if (ch == '\\')
			q->pos++;
		else if (ch == close && --depth == 0)
			break;
		else if (open == '(' && ch == '(')
			depth++;
	}
	q->pos = q->pos < q->len ? q->pos + 1 : q->len;
}

/* At the end of a local part candidate: qualify it when it is bare. */
static enum err_kind
qual_end(struct qual *q)
{
	size_t at = q->last;

	if (q->words > 0 && !q->at) {
		if (copy_out(q->out, q->v + q->done, at - q->done, q->e) ||
		    copy_out(q->out, "@", 1, q->e) ||
		    copy_str(q->out, q->domain, q->e))
			return q->e->kind;
		q->done = at;
	}
	q->words = 0;
	q->at = false;
	return ERR_OK;
}

static enum err_kind
qual_special(struct qual *q, char ch)
{
	enum err_kind rc = ERR_OK;

	switch (ch) {
	case '@':
		q->at = true;
		break;
	case '.':
		if (q->words > 0)
			q->last = q->pos + 1;
		break;
	case '<':
		q->angle = true;
		/* FALLTHROUGH */
	case ':':	/* a group's name, or the end of an obs-route */
		q->words = 0;
		q->at = false;
		break;
	case '>':
		rc = qual_end(q);
		q->angle = false;
		break;
	default:	/* ',' and ';' */
		if (!q->angle)
			rc = qual_end(q);
		q->words = 0;
		q->at = false;
		break;
	}
	q->pos++;
	return rc;
}

static void
qual_atom(struct qual *q)
{
	size_t start = q->pos;

	while (q->pos < q->len &&
	    strchr(" \t\r\n()<>[]:;@\\,.\"", q->v[q->pos]) == NULL)
		q->pos++;
	if (q->pos == start) {	/* a stray byte: cannot be in valid input */
		q->pos++;
		return;
	}
	q->words++;
	q->last = q->pos;
}

static enum err_kind
qual_scan(struct qual *q)
{
	enum err_kind rc;
	char ch;

	while (q->pos < q->len) {
		ch = q->v[q->pos];
		if (ch == '(') {
			qual_skip(q);
		} else if (ch == '"' || ch == '[') {
			qual_skip(q);
			q->words++;
			q->last = q->pos;
		} else if (strchr(" \t\r\n", ch) != NULL) {
			q->pos++;
		} else if (strchr("@.<>:,;", ch) != NULL) {
			if ((rc = qual_special(q, ch)) != ERR_OK)
				return rc;
		} else
			qual_atom(q);
	}
	if (!q->angle && (rc = qual_end(q)) != ERR_OK)
		return rc;
	return copy_out(q->out, q->v + q->done, q->len - q->done, q->e);
}

enum err_kind
mail_header_qualify(const char *v, size_t len, const char *domain,
    struct buf *out, struct err *e)
{
	struct mail_address_list l;
	struct qual q;
	struct err ignored;
	enum err_kind rc;

	if (!dot_atom(domain))
		return err_set(e, ERR_DATA, "'%.64s' cannot qualify an "
		    "address (RFC 5322 3.2.3)", domain);
	mail_address_list_init(&l);
	rc = mail_address_parse_list(v, len, &l, &ignored);
	mail_address_list_free(&l);
	if (rc == ERR_OS)
		return err_set(e, ERR_OS, "out of memory");
	if (rc != ERR_OK)	/* not ours to repair: sent as it came */
		return copy_out(out, v, len, e);
	memset(&q, 0, sizeof(q));
	q.v = v;
	q.len = len;
	q.domain = domain;
	q.out = out;
	q.e = e;
	return qual_scan(&q);
}

/* ---- the whole section -------------------------------------------------- */

enum gen { GEN_DATE, GEN_FROM, GEN_MSGID, GEN_TO };

/* The value of a generated field, appended to f. */
static enum err_kind
gen_value(enum gen which, const struct mail_header_compose *c,
    struct buf *f, struct err *e)
{
	switch (which) {
	case GEN_DATE:
		return mail_header_date(c->now, c->utc_offset, f, e);
	case GEN_FROM:
		return mail_header_mailbox(c->full_name, c->sender, f, e);
	case GEN_MSGID:
		return mail_header_msgid(c->now, c->rnd, c->nrnd, c->domain, f,
		    e);
	case GEN_TO:	/* RFC 5322 A.1.3 */
		return copy_str(f, "undisclosed-recipients:;", e);
	}
	return err_set(e, ERR_SOFTWARE, "mail_header: bad field %d", which);
}

/* One generated field, folded, with its CRLF. */
static enum err_kind
gen_field(enum gen which, const struct mail_header_compose *c,
    struct buf *out, struct err *e)
{
	static const char *const names[] = {
		"Date: ", "From: ", "Message-ID: ", "To: "
	};
	struct buf f;
	enum err_kind rc;

	buf_init(&f, FIELD_MAX);
	rc = copy_str(&f, names[which], e);
	if (rc == ERR_OK)
		rc = gen_value(which, c, &f, e);
	if (rc == ERR_OK)
		rc = mail_header_fold(f.data, f.len, out, e);
	buf_free(&f);
	return rc;
}

/* What compose decided, and how far it got. */
struct plan {
	bool has_from, has_date, has_msgid, has_tocc;
	bool add_from;		/* a From is generated... */
	bool from_done;		/* ...and was written */
	bool to_done;		/* the undisclosed To was written */
};

static bool
is_addr_field(const struct mail_header_field *f)
{
	static const char *const names[] = {
		"From", "Sender", "Reply-To", "To", "Cc", "Bcc",
		"Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc",
		"Resent-Bcc", NULL
	};

	return is_named(f, names);
}

static bool
is_tocc(const struct mail_header_field *f)
{
	return mail_header_is(f, "To") || mail_header_is(f, "Cc") ||
	    mail_header_is(f, "Bcc");
}

static void
plan_make(const char *hdr, size_t len, const struct mail_header_compose *c,
    struct plan *p)
{
	struct mail_header_field f;
	size_t pos = 0;

	memset(p, 0, sizeof(*p));
	while (mail_header_next(hdr, len, &pos, &f)) {
		p->has_from |= mail_header_is(&f, "From");
		p->has_date |= mail_header_is(&f, "Date");
		p->has_msgid |= mail_header_is(&f, "Message-ID");
		p->has_tocc |= is_tocc(&f);
	}
	p->add_from = c->sender != NULL && c->sender[0] != '\0' &&
	    (c->from == MAIL_HEADER_SET_ON ||
	    (c->from == MAIL_HEADER_SET_AUTO && !p->has_from));
}

/* A field with its address list qualified; name, folds and CRLF kept. */
static enum err_kind
copy_qualified(const struct mail_header_field *f, const char *domain,
    struct buf *out, struct err *e)
{
	size_t head = (size_t)(f->value - f->raw);
	size_t tail = f->raw_len - head - f->value_len;

	if (copy_out(out, f->raw, head, e) != ERR_OK ||
	    mail_header_qualify(f->value, f->value_len, domain, out, e) !=
	    ERR_OK)
		return e->kind;
	return copy_out(out, f->value + f->value_len, tail, e);
}

/* One field of the original section, as the plan says. */
static enum err_kind
copy_field(const struct mail_header_field *f,
    const struct mail_header_compose *c, struct plan *p, struct buf *out,
    struct err *e)
{
	if (c->undisclosed && is_tocc(f)) {
		if (p->to_done)
			return ERR_OK;
		p->to_done = true;
		return gen_field(GEN_TO, c, out, e);
	}
	if (c->remove_bcc && (mail_header_is(f, "Bcc") ||
	    mail_header_is(f, "Resent-Bcc")))
		return ERR_OK;	/* RFC 5322 3.6.3 */
	if (p->add_from && mail_header_is(f, "From")) {
		if (p->from_done)
			return ERR_OK;
		p->from_done = true;
		return gen_field(GEN_FROM, c, out, e);
	}
	if (c->qualify != NULL && is_addr_field(f))
		return copy_qualified(f, c->qualify, out, e);
	return copy_out(out, f->raw, f->raw_len, e);
}

enum err_kind
mail_header_compose(const char *hdr, size_t len,
    const struct mail_header_compose *c, struct buf *out, struct err *e)
{
	struct mail_header_field f;
	struct plan p;
	size_t pos = 0, done = 0, start;
	enum err_kind rc = ERR_OK;

	plan_make(hdr, len, c, &p);
	if (c->date != MAIL_HEADER_SET_OFF && !p.has_date)
		rc = gen_field(GEN_DATE, c, out, e);
	if (rc == ERR_OK && p.add_from && !p.has_from) {
		rc = gen_field(GEN_FROM, c, out, e);
		p.from_done = true;
	}
	if (rc == ERR_OK && c->msgid != MAIL_HEADER_SET_OFF && !p.has_msgid)
		rc = gen_field(GEN_MSGID, c, out, e);
	if (rc == ERR_OK && c->undisclosed && !p.has_tocc) {
		rc = gen_field(GEN_TO, c, out, e);
		p.to_done = true;
	}
	while (rc == ERR_OK && mail_header_next(hdr, len, &pos, &f)) {
		start = (size_t)(f.raw - hdr);
		/* Lines that are not fields go as they came. */
		if ((rc = copy_out(out, hdr + done, start - done, e)) ==
		    ERR_OK)
			rc = copy_field(&f, c, &p, out, e);
		done = pos;
	}
	if (rc != ERR_OK)
		return rc;
	return copy_out(out, hdr + done, len - done, e);
}
