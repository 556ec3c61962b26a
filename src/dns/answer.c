#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns/answer.h"

#define HDR_LEN 12		/* RFC 1035 4.1.1 */
#define RR_FIXED_LEN 10		/* type, class, TTL, RDLENGTH: 4.1.3 */
#define WIRE_MAX 255		/* a name in wire form: 2.3.4 */
#define LABEL_MAX 63
#define CLASS_IN 1

#define FLAG_QR 0x8000u
#define FLAG_OPCODE 0x7800u
#define FLAG_TC 0x0200u
#define FLAG_AD 0x0020u		/* RFC 4035 3.2.3 */
#define FLAG_RCODE 0x000fu

struct msg {
	const unsigned char *p;
	size_t len;
};

/* A name in wire form, ASCII lower-cased, the root label included. */
struct wname {
	unsigned char b[WIRE_MAX];
	size_t len;
};

/* One resource record, its RDATA left in the message. */
struct rr {
	struct wname owner;
	unsigned type, class;
	size_t rdata, rdlen;
};

static enum err_kind
bad(struct err *e, const char *why)
{
	return err_set(e, ERR_DATA, "dns: %s", why);
}

static unsigned
get16(const struct msg *m, size_t off)
{
	return (unsigned)m->p[off] << 8 | m->p[off + 1];
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool
wname_eq(const struct wname *x, const struct wname *y)
{
	return x->len == y->len && memcmp(x->b, y->b, x->len) == 0;
}

/* Follow a compression pointer at pos (RFC 1035 4.1.4), refusing loops. */
static enum err_kind
name_jump(const struct msg *m, size_t *pos, size_t *seg, unsigned *jumps,
    struct err *e)
{
	size_t target;

	if (*pos + 1 >= m->len)
		return bad(e, "compression pointer runs past the end");
	target = (size_t)(m->p[*pos] & 0x3f) << 8 | m->p[*pos + 1];
	/* Only backwards, and before the start of the part of the name
	 * that jumps: each jump lands strictly earlier, so none loops. */
	if (target < HDR_LEN)
		return bad(e, "compression pointer into the header");
	if (target >= *seg)
		return bad(e, "compression pointer not backwards");
	if (++*jumps > DNS_ANSWER_JUMPS_MAX)
		return bad(e, "too many compression pointers in a name");
	*pos = *seg = target;
	return ERR_OK;
}

/*
 * Read the name at *off into out and move *off past it (past its first
 * compression pointer when it has one).
 */
static enum err_kind
name_read(const struct msg *m, size_t *off, struct wname *out,
    struct err *e)
{
	size_t pos = *off, seg, end = 0, i;
	unsigned jumps = 0;
	unsigned char c;
	enum err_kind rc;

	seg = pos;	/* where the part of the name being read starts */
	out->len = 0;
	for (;;) {
		if (pos >= m->len)
			return bad(e, "name runs past the end");
		c = m->p[pos];
		if ((c & 0xc0) == 0xc0) {
			if (end == 0)
				end = pos + 2;
			rc = name_jump(m, &pos, &seg, &jumps, e);
			if (rc != ERR_OK)
				return rc;
			continue;
		}
		/* 0x40 and 0x80: extended label types (RFC 6891 5), or a
		 * length over 63. */
		if (c > LABEL_MAX)
			return bad(e, "label longer than 63 bytes");
		if (out->len + 1 + c > WIRE_MAX)
			return bad(e, "name longer than 255 bytes");
		if (c > m->len - pos - 1)
			return bad(e, "label runs past the end");
		out->b[out->len++] = c;
		for (i = 0; i < c; i++)
			out->b[out->len++] = lower(m->p[pos + 1 + i]);
		pos += 1 + (size_t)c;
		if (c == 0)
			break;
	}
	*off = end != 0 ? end : pos;
	return ERR_OK;
}

/* Read a record at *off; its RDATA must lie inside the message. */
static enum err_kind
rr_read(const struct msg *m, size_t *off, struct rr *rr, struct err *e)
{
	enum err_kind rc;
	size_t p;

	if ((rc = name_read(m, off, &rr->owner, e)) != ERR_OK)
		return rc;
	p = *off;
	if (m->len - p < RR_FIXED_LEN)
		return bad(e, "record runs past the end");
	rr->type = get16(m, p);
	rr->class = get16(m, p + 2);
	rr->rdlen = get16(m, p + 8);
	rr->rdata = p + RR_FIXED_LEN;
	if (rr->rdlen > m->len - rr->rdata)
		return bad(e, "record data runs past the end");
	*off = rr->rdata + rr->rdlen;
	return ERR_OK;
}

/* The name in the RDATA of rr at skip bytes from its start, filling it. */
static enum err_kind
rdata_name(const struct msg *m, const struct rr *rr, size_t skip,
    struct wname *out, struct err *e)
{
	size_t off = rr->rdata + skip;
	enum err_kind rc;

	if (rr->rdlen < skip + 1)
		return bad(e, "record data too short");
	if ((rc = name_read(m, &off, out, e)) != ERR_OK)
		return rc;
	if (off != rr->rdata + rr->rdlen)
		return bad(e, "record data length does not match its name");
	return ERR_OK;
}

/* The RDATA of the types postie reads must have their form (3.3). */
static enum err_kind
rdata_check(const struct msg *m, const struct rr *rr, struct err *e)
{
	struct wname n;

	if (rr->class != CLASS_IN)
		return ERR_OK;
	switch (rr->type) {
	case DNS_ANSWER_TYPE_CNAME:
		return rdata_name(m, rr, 0, &n, e);
	case DNS_ANSWER_TYPE_MX:
		return rdata_name(m, rr, 2, &n, e);
	case DNS_ANSWER_TYPE_TLSA:
		if (rr->rdlen < 3)
			return bad(e, "TLSA record data too short");
		return ERR_OK;
	default:
		return ERR_OK;
	}
}

/*
 * qname in wire form; a final dot is allowed, "" and "." are the root.
 * -1 for an empty or long label, a byte outside '!'..'~', a long name.
 */
static int
wname_from_text(const char *s, struct wname *w)
{
	size_t n, i;

	w->len = 0;
	if (strcmp(s, ".") == 0)
		s++;
	while (*s != '\0') {
		n = strcspn(s, ".");
		if (n == 0 || n > LABEL_MAX || w->len + 1 + n + 1 > WIRE_MAX)
			return -1;
		w->b[w->len++] = (unsigned char)n;
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c < 0x21 || c > 0x7e)
				return -1;
			w->b[w->len++] = lower(c);
		}
		s += n;
		if (*s == '.')
			s++;
	}
	w->b[w->len++] = 0;
	return 0;
}

static bool
host_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '_';
}

/*
 * w in presentation form, without the final dot ("" for the root), into
 * out[DNS_ANSWER_NAME_MAX + 1]; -1 when a label holds a byte outside
 * letters, digits, '-' and '_' (w is lower-cased already).
 */
static int
wname_text(const struct wname *w, char *out)
{
	size_t i = 0, o = 0, j, n;

	while (i < w->len && (n = w->b[i]) != 0) {
		if (o > 0)
			out[o++] = '.';
		for (j = 1; j <= n; j++) {
			if (!host_byte(w->b[i + j]))
				return -1;
			out[o++] = (char)w->b[i + j];
		}
		i += n + 1;
	}
	out[o] = '\0';	/* o <= WIRE_MAX - 2: it fits */
	return 0;
}

/* The header (4.1.1): a response to a standard query; counts into n[4]. */
static enum err_kind
header_read(const struct msg *m, struct dns_answer *a, unsigned n[4],
    struct err *e)
{
	unsigned flags, i;

	if (m->len < HDR_LEN)
		return bad(e, "message shorter than its header");
	flags = get16(m, 2);
	if ((flags & FLAG_QR) == 0)
		return bad(e, "message is not a response");
	if ((flags & FLAG_OPCODE) != 0)
		return bad(e, "response to another kind of query");
	a->rcode = flags & FLAG_RCODE;
	a->truncated = (flags & FLAG_TC) != 0;
	a->ad = (flags & FLAG_AD) != 0;
	for (i = 0; i < 4; i++)
		n[i] = get16(m, 4 + 2 * i);
	/* As glibc's res_send: only FORMERR may come without a question. */
	if (n[0] == 0 && a->rcode == DNS_ANSWER_RCODE_FORMERR)
		return ERR_OK;
	if (n[0] != 1)
		return bad(e, "response without exactly one question");
	return ERR_OK;
}

/* The question at *off (4.1.2) must be the one asked. */
static enum err_kind
question_read(const struct msg *m, size_t *off, const struct wname *qname,
    unsigned qtype, struct err *e)
{
	struct wname n;
	enum err_kind rc;

	if ((rc = name_read(m, off, &n, e)) != ERR_OK)
		return rc;
	if (m->len - *off < 4)
		return bad(e, "question runs past the end");
	if (!wname_eq(&n, qname) || get16(m, *off) != qtype ||
	    get16(m, *off + 2) != CLASS_IN)
		return bad(e, "response to another question");
	*off += 4;
	return ERR_OK;
}

/* Check every record of the three sections; *off ends past the last. */
static enum err_kind
records_check(const struct msg *m, size_t *off, const unsigned n[4],
    struct err *e)
{
	struct rr rr;
	enum err_kind rc;
	unsigned s, i;

	for (s = 1; s < 4; s++)
		for (i = 0; i < n[s]; i++) {
			if ((rc = rr_read(m, off, &rr, e)) != ERR_OK)
				return rc;
			if (s == 1 && (rc = rdata_check(m, &rr, e)) != ERR_OK)
				return rc;
		}
	if (*off != m->len)
		return bad(e, "bytes after the last record");
	return ERR_OK;
}

/* The target of the first CNAME of owner cur among the answers, if any. */
static enum err_kind
cname_find(const struct msg *m, size_t an, unsigned nan,
    const struct wname *cur, struct wname *next, bool *found, struct err *e)
{
	struct rr rr;
	enum err_kind rc;
	unsigned i;

	*found = false;
	for (i = 0; i < nan; i++) {
		if ((rc = rr_read(m, &an, &rr, e)) != ERR_OK)
			return rc;
		if (rr.type == DNS_ANSWER_TYPE_CNAME && rr.class == CLASS_IN &&
		    wname_eq(&rr.owner, cur)) {
			*found = true;
			return rdata_name(m, &rr, 0, next, e);
		}
	}
	return ERR_OK;
}

/* Follow the CNAME chain from *cur (RFC 1034 3.6.2), in any order. */
static enum err_kind
cname_follow(const struct msg *m, size_t an, unsigned nan, struct wname *cur,
    struct dns_answer *a, struct err *e)
{
	struct wname next;
	enum err_kind rc;
	unsigned links;
	bool found;

	for (links = 0;; links++) {
		rc = cname_find(m, an, nan, cur, &next, &found, e);
		if (rc != ERR_OK)
			return rc;
		if (!found)
			break;
		if (links == DNS_ANSWER_CNAME_MAX)
			return bad(e, "CNAME chain too long (a loop?)");
		*cur = next;
	}
	if (links > 0 && wname_text(cur, a->cname) == -1)
		return bad(e, "CNAME target is not a host name");
	return ERR_OK;
}

/*
 * Room for one more element after the n of arr (size bytes each): it
 * grows at powers of two, 1, 2, 4 ... slots.  The array to use, or NULL
 * when memory ran out (arr is then unchanged).
 */
static void *
grow(void *arr, size_t n, size_t size)
{
	if (n != 0 && (n & (n - 1)) != 0)
		return arr;		/* room left */
	return reallocarray(arr, n == 0 ? 1 : 2 * n, size);
}

static enum err_kind
mx_add(const struct msg *m, const struct rr *rr, struct dns_answer *a,
    struct err *e)
{
	struct dns_mx *p, mx;
	struct wname n;
	enum err_kind rc;

	if ((rc = rdata_name(m, rr, 2, &n, e)) != ERR_OK)
		return rc;
	mx.pref = get16(m, rr->rdata);
	if (a->nmx == DNS_ANSWER_MX_MAX || wname_text(&n, mx.host) == -1) {
		a->nskipped++;
		return ERR_OK;
	}
	if ((p = grow(a->mx, a->nmx, sizeof(*p))) == NULL)
		return err_set(e, ERR_OS, "dns: out of memory");
	a->mx = p;
	a->mx[a->nmx++] = mx;
	return ERR_OK;
}

static enum err_kind
tlsa_add(const struct msg *m, const struct rr *rr, struct dns_answer *a,
    struct err *e)
{
	struct dns_tlsa *p, *t;

	if (rr->rdlen < 3)
		return bad(e, "TLSA record data too short");
	if (a->ntlsa == DNS_ANSWER_TLSA_MAX ||
	    rr->rdlen - 3 > DNS_ANSWER_TLSA_DATA_MAX) {
		a->nskipped++;
		return ERR_OK;
	}
	if ((p = grow(a->tlsa, a->ntlsa, sizeof(*p))) == NULL)
		return err_set(e, ERR_OS, "dns: out of memory");
	a->tlsa = p;
	t = &a->tlsa[a->ntlsa++];
	t->usage = m->p[rr->rdata];
	t->selector = m->p[rr->rdata + 1];
	t->mtype = m->p[rr->rdata + 2];
	t->len = rr->rdlen - 3;
	memcpy(t->data, m->p + rr->rdata + 3, t->len);
	return ERR_OK;
}

/* Keep the answers of type qtype, class IN and owner name. */
static enum err_kind
records_collect(const struct msg *m, size_t an, unsigned nan,
    const struct wname *name, unsigned qtype, struct dns_answer *a,
    struct err *e)
{
	struct rr rr;
	enum err_kind rc;
	unsigned i;

	for (i = 0; i < nan; i++) {
		if ((rc = rr_read(m, &an, &rr, e)) != ERR_OK)
			return rc;
		if (rr.type != qtype || rr.class != CLASS_IN ||
		    !wname_eq(&rr.owner, name))
			continue;
		rc = qtype == DNS_ANSWER_TYPE_MX ? mx_add(m, &rr, a, e) :
		    tlsa_add(m, &rr, a, e);
		if (rc != ERR_OK)
			return rc;
	}
	return ERR_OK;
}

void
dns_answer_init(struct dns_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->mx = NULL;
	a->tlsa = NULL;
}

void
dns_answer_free(struct dns_answer *a)
{
	if (a == NULL)
		return;
	free(a->mx);
	free(a->tlsa);
	dns_answer_init(a);
}

static enum err_kind
parse(const struct msg *m, const char *qname, unsigned qtype,
    struct dns_answer *a, struct err *e)
{
	struct wname name;
	unsigned n[4];
	size_t off = HDR_LEN, an;
	enum err_kind rc;

	if (qtype != DNS_ANSWER_TYPE_MX && qtype != DNS_ANSWER_TYPE_TLSA)
		return err_set(e, ERR_SOFTWARE,
		    "dns: query type %u not supported", qtype);
	if (wname_from_text(qname, &name) == -1)
		return bad(e, "bad query name");
	if ((rc = header_read(m, a, n, e)) != ERR_OK)
		return rc;
	if (n[0] == 1 &&
	    (rc = question_read(m, &off, &name, qtype, e)) != ERR_OK)
		return rc;
	an = off;
	if ((rc = records_check(m, &off, n, e)) != ERR_OK)
		return rc;
	if ((rc = cname_follow(m, an, n[1], &name, a, e)) != ERR_OK)
		return rc;
	return records_collect(m, an, n[1], &name, qtype, a, e);
}

enum err_kind
dns_answer_parse(const unsigned char *msg, size_t len, const char *qname,
    unsigned qtype, struct dns_answer *a, struct err *e)
{
	struct msg m = { msg, len };
	enum err_kind rc;

	dns_answer_free(a);
	if ((rc = parse(&m, qname, qtype, a, e)) != ERR_OK)
		dns_answer_free(a);
	return rc;
}

/* Duplicates out keeping the lowest preference; the root out when some
 * other host is there. */
static void
mx_dedup(struct dns_answer *a)
{
	size_t i, j, n = 0;
	bool other = false;

	for (i = 0; i < a->nmx; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(a->mx[j].host, a->mx[i].host) == 0)
				break;
		if (j < n) {
			if (a->mx[i].pref < a->mx[j].pref)
				a->mx[j].pref = a->mx[i].pref;
			continue;
		}
		other |= a->mx[i].host[0] != '\0';
		a->mx[n++] = a->mx[i];
	}
	a->nmx = n;
	if (!other)
		return;
	for (i = n = 0; i < a->nmx; i++)
		if (a->mx[i].host[0] != '\0')
			a->mx[n++] = a->mx[i];
		else
			a->nskipped++;
	a->nmx = n;
}

static void
mx_swap(struct dns_mx *x, struct dns_mx *y)
{
	struct dns_mx t = *x;

	*x = *y;
	*y = t;
}

void
dns_answer_mx_order(struct dns_answer *a, const unsigned char *rnd,
    size_t nrnd)
{
	size_t i, j, s, t, k = 0;
	unsigned draw;

	mx_dedup(a);
	/* Stable insertion sort: at most DNS_ANSWER_MX_MAX records. */
	for (i = 1; i < a->nmx; i++)
		for (j = i; j > 0 && a->mx[j - 1].pref > a->mx[j].pref; j--)
			mx_swap(&a->mx[j - 1], &a->mx[j]);
	if (nrnd == 0)
		return;
	/* Fisher-Yates over each run of equal preference (5.1: "randomize
	 * them to spread the load"). */
	for (s = 0; s < a->nmx; s = t) {
		for (t = s + 1; t < a->nmx && a->mx[t].pref == a->mx[s].pref;)
			t++;
		for (i = t - 1; i > s; i--) {
			draw = (unsigned)rnd[k % nrnd] << 8 |
			    rnd[(k + 1) % nrnd];
			k += 2;
			mx_swap(&a->mx[i], &a->mx[s + draw % (i - s + 1)]);
		}
	}
}

bool
dns_answer_null_mx(const struct dns_answer *a)
{
	size_t i;

	if (a->nmx == 0)
		return false;
	for (i = 0; i < a->nmx; i++)
		if (a->mx[i].host[0] != '\0')
			return false;
	return true;
}
