/*
 * t_dns_answer: the DNS response parser and MX ordering (dns/answer), on
 * messages built here byte by byte: good answers, every way to cut one
 * short, and hostile names.
 *
 * With arguments "--seeds DIR" it writes its sample messages into DIR
 * instead (how tests/fuzz/corpus/dns_answer/ was made).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/answer.h"
#include "tap.h"

#define MX DNS_ANSWER_TYPE_MX
#define TLSA DNS_ANSWER_TYPE_TLSA
#define CNAME DNS_ANSWER_TYPE_CNAME
#define QR 0x8000u
#define RD 0x0100u
#define RA 0x0080u
#define TC 0x0200u
#define AD 0x0020u

/* --- a message builder ---------------------------------------------------- */

#define B_MAX 16384

struct b {
	unsigned char p[B_MAX];
	size_t len;
};

static void
b_u8(struct b *b, unsigned v)
{
	if (b->len >= B_MAX)
		abort();
	b->p[b->len++] = (unsigned char)v;
}

static void
b_u16(struct b *b, unsigned v)
{
	b_u8(b, v >> 8 & 0xff);
	b_u8(b, v & 0xff);
}

static void
b_mem(struct b *b, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		b_u8(b, s[i]);
}

/* Header with ID 0x1234, flags, all counts 0 (the record helpers count). */
static void
b_init(struct b *b, unsigned flags)
{
	b->len = 0;
	b_u16(b, 0x1234);
	b_u16(b, flags);
	b_u16(b, 0);
	b_u16(b, 0);
	b_u16(b, 0);
	b_u16(b, 0);
}

static void
b_count(struct b *b, unsigned section, int delta)
{
	size_t o = 4 + 2 * section;
	unsigned v = (unsigned)(b->p[o] << 8 | b->p[o + 1]) + (unsigned)delta;

	b->p[o] = (unsigned char)(v >> 8);
	b->p[o + 1] = (unsigned char)v;
}

/* The labels of dotted name s, without the root; returns where they start. */
static size_t
b_labels(struct b *b, const char *s)
{
	size_t at = b->len, n;

	while (*s != '\0') {
		n = strcspn(s, ".");
		b_u8(b, (unsigned)n);
		b_mem(b, s, n);
		s += n;
		if (*s == '.')
			s++;
	}
	return at;
}

/* A whole name ("" is the root); returns its offset. */
static size_t
b_name(struct b *b, const char *s)
{
	size_t at = b_labels(b, s);

	b_u8(b, 0);
	return at;
}

static void
b_ptr(struct b *b, size_t off)
{
	b_u16(b, 0xc000u | (unsigned)off);
}

/* Labels of s, then a pointer to off. */
static size_t
b_name_ptr(struct b *b, const char *s, size_t off)
{
	size_t at = b_labels(b, s);

	b_ptr(b, off);
	return at;
}

/* The question (offset 12 when first); returns the name's offset. */
static size_t
b_question(struct b *b, const char *name, unsigned type)
{
	size_t at = b_name(b, name);

	b_u16(b, type);
	b_u16(b, 1);
	b_count(b, 0, 1);
	return at;
}

/* After the owner name: the fixed fields of a record in section (1
 * answer, 2 authority, 3 additional); returns where RDLENGTH is. */
static size_t
b_rr(struct b *b, unsigned section, unsigned type, unsigned class)
{
	size_t at;

	b_u16(b, type);
	b_u16(b, class);
	b_u16(b, 0);
	b_u16(b, 3600);
	at = b->len;
	b_u16(b, 0);
	b_count(b, section, 1);
	return at;
}

static void
b_rr_end(struct b *b, size_t at)
{
	size_t n = b->len - at - 2;

	b->p[at] = (unsigned char)(n >> 8);
	b->p[at + 1] = (unsigned char)n;
}

/* An answer MX for the owner at off (a pointer), target host whole. */
static void
b_mx(struct b *b, size_t owner, unsigned pref, const char *host)
{
	size_t at;

	b_ptr(b, owner);
	at = b_rr(b, 1, MX, 1);
	b_u16(b, pref);
	b_name(b, host);
	b_rr_end(b, at);
}

/* An answer CNAME from the name at owner to target; returns the target's
 * offset. */
static size_t
b_cname(struct b *b, size_t owner, const char *target)
{
	size_t at, t;

	b_ptr(b, owner);
	at = b_rr(b, 1, CNAME, 1);
	t = b_name(b, target);
	b_rr_end(b, at);
	return t;
}

/* --- helpers -------------------------------------------------------------- */

/* Parse b->p[0..len) from an exact-size copy, so ASan sees overreads. */
static enum err_kind
parse_len(const struct b *b, size_t len, const char *qname, unsigned qtype,
    struct dns_answer *a, struct err *e)
{
	unsigned char *copy = malloc(len > 0 ? len : 1);
	enum err_kind rc;

	if (copy == NULL)
		abort();
	memcpy(copy, b->p, len);
	err_clear(e);
	rc = dns_answer_parse(copy, len, qname, qtype, a, e);
	free(copy);
	return rc;
}

static enum err_kind
parse(const struct b *b, const char *qname, unsigned qtype,
    struct dns_answer *a, struct err *e)
{
	return parse_len(b, b->len, qname, qtype, a, e);
}

/* Parses fine (diagnosing when not). */
static int
ok(const struct b *b, const char *qname, unsigned qtype, struct dns_answer *a,
    const char *name)
{
	struct err e;
	enum err_kind rc = parse(b, qname, qtype, a, &e);

	if (!tap_ok(rc == ERR_OK, "%s: parses", name)) {
		tap_diag("  got kind %d, '%s'", rc, e.msg);
		return 0;
	}
	return 1;
}

/* Refused with ERR_DATA and exactly "dns: " why, leaving a empty. */
static void
refused(const struct b *b, const char *qname, unsigned qtype, const char *why,
    const char *name)
{
	struct dns_answer a;
	struct err e;
	enum err_kind rc;
	char want[ERR_MSG_MAX];

	snprintf(want, sizeof(want), "dns: %s", why);
	dns_answer_init(&a);
	rc = parse(b, qname, qtype, &a, &e);
	if (!tap_ok(rc == ERR_DATA && strcmp(e.msg, want) == 0 &&
	    a.nmx == 0 && a.mx == NULL && a.ntlsa == 0 && a.rcode == 0,
	    "refused: %s", name))
		tap_diag("  got kind %d, '%s', want '%s'", rc, e.msg, want);
	dns_answer_free(&a);
}

/* The MX list as "pref host,pref host". */
static const char *
mx_list(const struct dns_answer *a)
{
	static char out[8192];
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < a->nmx && o < sizeof(out); i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%u %s",
		    i > 0 ? "," : "", a->mx[i].pref, a->mx[i].host);
	return out;
}

/* Every cut of b short of its end is ERR_DATA. */
static void
every_cut(const struct b *b, const char *qname, unsigned qtype,
    const char *name)
{
	struct dns_answer a;
	struct err e;
	size_t cut, bad = 0, first = 0;
	enum err_kind rc;

	dns_answer_init(&a);
	for (cut = 0; cut < b->len; cut++) {
		rc = parse_len(b, cut, qname, qtype, &a, &e);
		if ((rc != ERR_DATA || a.nmx != 0 || a.ntlsa != 0) &&
		    bad++ == 0)
			first = cut;
	}
	if (!tap_ok(bad == 0, "every cut of %s (%zu bytes) is refused", name,
	    b->len))
		tap_diag("  %zu cuts accepted, the first at %zu", bad, first);
	dns_answer_free(&a);
}

/* --- sample messages ------------------------------------------------------ */

/* example.com MX: three records, names compressed three ways, an NS in
 * authority, an A and an OPT in additional. */
static void
msg_mx3(struct b *b)
{
	size_t q, net, at;

	b_init(b, QR | RD | RA);
	q = b_question(b, "example.com", MX);
	b_ptr(b, q);
	at = b_rr(b, 1, MX, 1);
	b_u16(b, 10);
	b_name_ptr(b, "mx1", q);
	b_rr_end(b, at);
	b_ptr(b, q);
	at = b_rr(b, 1, MX, 1);
	b_u16(b, 20);
	net = b_name(b, "MX2.Example.NET") + 4;
	b_rr_end(b, at);
	b_ptr(b, q);
	at = b_rr(b, 1, MX, 1);
	b_u16(b, 30);
	b_name_ptr(b, "backup", net);
	b_rr_end(b, at);
	b_ptr(b, q);
	at = b_rr(b, 2, 2, 1);		/* NS */
	b_name_ptr(b, "ns", q);
	b_rr_end(b, at);
	b_ptr(b, q + 0);
	at = b_rr(b, 3, 1, 1);		/* A */
	b_mem(b, "\xc0\x00\x02\x01", 4);
	b_rr_end(b, at);
	b_u8(b, 0);			/* OPT: root owner, UDP size class */
	at = b_rr(b, 3, 41, 1232);
	b_rr_end(b, at);
}

static void
msg_null_mx(struct b *b)
{
	size_t q;

	b_init(b, QR | RD | RA);
	q = b_question(b, "example.com", MX);
	b_mx(b, q, 0, "");
}

/* NXDOMAIN with the zone's SOA in authority. */
static void
msg_nxdomain(struct b *b)
{
	size_t q, at;

	b_init(b, QR | RD | RA | 3);
	q = b_question(b, "example.com", MX);
	b_ptr(b, q + 8);		/* "com" */
	at = b_rr(b, 2, 6, 1);
	b_name(b, "a.gtld-servers.net");
	b_name(b, "nstld.verisign-grs.com");
	b_mem(b, "\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0\5", 20);
	b_rr_end(b, at);
}

/* example.com -> alias.example.net -> mail.example.org MX, backwards. */
static void
msg_cname(struct b *b)
{
	size_t q, t1, t2;

	b_init(b, QR | RD | RA);
	q = b_question(b, "example.com", MX);
	/* The records in reverse order need forward-free pointers: write the
	 * chain names first as CNAME targets, then point back at them. */
	t1 = b_cname(b, q, "alias.example.net");
	t2 = b_cname(b, t1, "mail.example.org");
	b_mx(b, t2, 10, "mx.example.org");
}

/* The same chain with the MX first and the CNAMEs in reverse order. */
static void
msg_cname_reversed(struct b *b)
{
	size_t q, t2, t1, at;

	b_init(b, QR | RD | RA);
	q = b_question(b, "example.com", MX);
	t2 = b_name(b, "mail.example.org");
	at = b_rr(b, 1, MX, 1);
	b_u16(b, 10);
	b_name_ptr(b, "mx", t2 + 5);
	b_rr_end(b, at);
	t1 = b_name(b, "alias.example.net");
	at = b_rr(b, 1, CNAME, 1);
	b_ptr(b, t2);
	b_rr_end(b, at);
	b_ptr(b, q);
	at = b_rr(b, 1, CNAME, 1);
	b_ptr(b, t1);
	b_rr_end(b, at);
}

static const unsigned char hash32[32] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff
};

/* TLSA 3 1 1 and 2 0 1 for qname, with an RRSIG beside them, AD set. */
static void
msg_tlsa(struct b *b, const char *qname)
{
	size_t q, at;

	b_init(b, QR | RD | RA | AD);
	q = b_question(b, qname, TLSA);
	b_ptr(b, q);
	at = b_rr(b, 1, TLSA, 1);
	b_mem(b, "\3\1\1", 3);
	b_mem(b, hash32, sizeof(hash32));
	b_rr_end(b, at);
	b_ptr(b, q);
	at = b_rr(b, 1, TLSA, 1);
	b_mem(b, "\2\0\1", 3);
	b_mem(b, hash32 + 16, 16);
	b_mem(b, hash32, 16);
	b_rr_end(b, at);
	b_ptr(b, q);
	at = b_rr(b, 1, 46, 1);		/* RRSIG, not looked at */
	b_mem(b, "\0\x34\x0d\x04\0\0\x0e\x10", 8);
	b_rr_end(b, at);
}

/* --- tests ---------------------------------------------------------------- */

static void
test_mx(void)
{
	struct dns_answer a;
	struct b b;

	dns_answer_init(&a);
	msg_mx3(&b);
	if (ok(&b, "example.com", MX, &a, "three MX, compressed")) {
		tap_is_str(mx_list(&a), "10 mx1.example.com,"
		    "20 mx2.example.net,30 backup.example.net",
		    "hosts lower-cased, pointers followed");
		tap_ok(a.rcode == 0 && !a.ad && !a.truncated &&
		    a.nskipped == 0 && a.ntlsa == 0 && a.cname[0] == '\0',
		    "NOERROR, no AD, no TC, nothing skipped, no CNAME");
		tap_ok(!dns_answer_null_mx(&a), "not a null MX");
	}
	/* Parsing again frees the previous result (LeakSanitizer). */
	if (ok(&b, "EXAMPLE.Com.", MX, &a, "qname case-insensitive, final dot"))
		tap_is_int((long long)a.nmx, 3, "the same three");
	refused(&b, "example.com", TLSA, "response to another question",
	    "answer to another type");
	refused(&b, "example.org", MX, "response to another question",
	    "answer to another name");
	refused(&b, "www.example.com", MX, "response to another question",
	    "answer to a longer name");
	dns_answer_free(&a);
	dns_answer_free(&a);
	dns_answer_free(NULL);
}

static void
test_order(void)
{
	struct dns_answer a;
	struct b b;
	size_t q;

	dns_answer_init(&a);
	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_mx(&b, q, 30, "c.example.com");
	b_mx(&b, q, 10, "a.example.com");
	b_mx(&b, q, 20, "b.example.com");
	b_mx(&b, q, 65535, "z.example.com");
	b_mx(&b, q, 0, "0.example.com");
	if (ok(&b, "example.com", MX, &a, "five MX")) {
		tap_is_str(mx_list(&a), "30 c.example.com,10 a.example.com,"
		    "20 b.example.com,65535 z.example.com,0 0.example.com",
		    "message order before ordering");
		dns_answer_mx_order(&a, (const unsigned char *)"\xff\xff", 2);
		tap_is_str(mx_list(&a), "0 0.example.com,10 a.example.com,"
		    "20 b.example.com,30 c.example.com,65535 z.example.com",
		    "by preference");
	}

	/* Duplicates: the same host (any case) keeps its lowest preference. */
	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_mx(&b, q, 20, "mx1.example.com");
	b_mx(&b, q, 15, "mx2.example.com");
	b_mx(&b, q, 10, "MX1.example.COM");
	b_mx(&b, q, 30, "mx2.example.com");
	if (ok(&b, "example.com", MX, &a, "duplicate MX")) {
		dns_answer_mx_order(&a, NULL, 0);
		tap_is_str(mx_list(&a), "10 mx1.example.com,15 mx2.example.com",
		    "duplicates removed, lowest preference kept");
		tap_is_int((long long)a.nskipped, 0, "duplicates not counted");
	}
	dns_answer_free(&a);
}

/* The order of the three hosts of preference 10 given rnd, as "abc". */
static void
shuffled(const struct b *b, const unsigned char *rnd, size_t nrnd,
    char out[4], int *frame_ok)
{
	struct dns_answer a;
	struct err e;
	size_t i;

	dns_answer_init(&a);
	if (parse(b, "example.com", MX, &a, &e) != ERR_OK || a.nmx != 5) {
		*frame_ok = 0;
		dns_answer_free(&a);
		return;
	}
	dns_answer_mx_order(&a, rnd, nrnd);
	if (strcmp(a.mx[0].host, "first") != 0 ||
	    strcmp(a.mx[4].host, "last") != 0)
		*frame_ok = 0;
	for (i = 0; i < 3; i++)
		out[i] = a.mx[i + 1].host[0];
	out[3] = '\0';
	dns_answer_free(&a);
}

static void
test_shuffle(void)
{
	static const char *const perms[] = {
		"abc", "acb", "bac", "bca", "cab", "cba"
	};
	unsigned char rnd[DNS_ANSWER_MX_RND];
	char got[4], again[4], seen[6] = { 0 };
	int frame_ok = 1, same = 1, nseen = 0;
	unsigned v, i, k;
	struct b b;
	size_t q;

	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_mx(&b, q, 10, "a");
	b_mx(&b, q, 20, "last");
	b_mx(&b, q, 10, "b");
	b_mx(&b, q, 5, "first");
	b_mx(&b, q, 10, "c");
	for (v = 0; v < 256; v++) {
		for (i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)(v * 37 + i * 101 + (v >> 3));
		shuffled(&b, rnd, sizeof(rnd), got, &frame_ok);
		shuffled(&b, rnd, sizeof(rnd), again, &frame_ok);
		same &= strcmp(got, again) == 0;
		for (k = 0; k < 6; k++)
			if (strcmp(got, perms[k]) == 0 && !seen[k]++)
				nseen++;
	}
	tap_ok(frame_ok, "other preferences stay in place when shuffling");
	tap_ok(same, "the same random bytes give the same order");
	tap_is_int(nseen, 6, "256 random inputs give all 6 orders of 3 hosts");
	shuffled(&b, (const unsigned char *)"\0\0\0\0", 4, got, &frame_ok);
	shuffled(&b, (const unsigned char *)"\0\0\0\1", 4, again, &frame_ok);
	tap_ok(strcmp(got, again) != 0, "different random bytes, another "
	    "order (%s, %s)", got, again);
	shuffled(&b, NULL, 0, got, &frame_ok);
	tap_is_str(got, "abc", "no random bytes: message order");
	shuffled(&b, (const unsigned char *)"\7", 1, got, &frame_ok);
	shuffled(&b, (const unsigned char *)"\7\7\7\7", 4, again, &frame_ok);
	tap_is_str(got, again, "short random bytes are reused");
}

static void
test_null_mx(void)
{
	struct dns_answer a;
	struct b b;
	size_t q;

	dns_answer_init(&a);
	msg_null_mx(&b);
	if (ok(&b, "example.com", MX, &a, "MX 0 .")) {
		tap_ok(a.nmx == 1 && a.mx[0].host[0] == '\0' &&
		    a.mx[0].pref == 0, "one MX, host the root");
		tap_ok(dns_answer_null_mx(&a), "null MX");
		dns_answer_mx_order(&a, (const unsigned char *)"xy", 2);
		tap_ok(dns_answer_null_mx(&a) && a.nmx == 1,
		    "still a null MX after ordering");
	}

	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_mx(&b, q, 0, "");
	b_mx(&b, q, 10, "mx.example.com");
	if (ok(&b, "example.com", MX, &a, "root among real hosts")) {
		tap_ok(!dns_answer_null_mx(&a), "not a null MX");
		dns_answer_mx_order(&a, NULL, 0);
		tap_is_str(mx_list(&a), "10 mx.example.com", "root dropped");
		tap_is_int((long long)a.nskipped, 1, "and counted as skipped");
		tap_ok(!dns_answer_null_mx(&a), "not a null MX after ordering");
	}

	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_mx(&b, q, 0, "");
	b_mx(&b, q, 10, "");
	if (ok(&b, "example.com", MX, &a, "two root MX")) {
		tap_ok(dns_answer_null_mx(&a), "null MX");
		dns_answer_mx_order(&a, NULL, 0);
		tap_ok(dns_answer_null_mx(&a) && a.nmx == 1,
		    "one root left after ordering, still null MX");
	}

	b_init(&b, QR);
	b_question(&b, "example.com", MX);
	if (ok(&b, "example.com", MX, &a, "no MX at all"))
		tap_ok(!dns_answer_null_mx(&a) && a.nmx == 0,
		    "no records is not a null MX");
	dns_answer_free(&a);
}

static void
test_rcode_flags(void)
{
	struct dns_answer a;
	struct b b;
	size_t q;

	dns_answer_init(&a);
	msg_nxdomain(&b);
	if (ok(&b, "example.com", MX, &a, "NXDOMAIN with SOA"))
		tap_ok(a.rcode == DNS_ANSWER_RCODE_NXDOMAIN && a.nmx == 0,
		    "rcode 3 reported, no MX");
	b_init(&b, QR | RD | DNS_ANSWER_RCODE_SERVFAIL);
	b_question(&b, "example.com", MX);
	if (ok(&b, "example.com", MX, &a, "SERVFAIL"))
		tap_is_int(a.rcode, DNS_ANSWER_RCODE_SERVFAIL, "rcode 2");
	b_init(&b, QR | DNS_ANSWER_RCODE_FORMERR);
	if (ok(&b, "example.com", MX, &a, "FORMERR without a question"))
		tap_is_int(a.rcode, DNS_ANSWER_RCODE_FORMERR, "rcode 1");
	b_init(&b, QR | 5);
	refused(&b, "example.com", MX,
	    "response without exactly one question", "REFUSED without a "
	    "question");

	b_init(&b, QR | RD | RA | AD);
	q = b_question(&b, "example.com", MX);
	b_mx(&b, q, 10, "mx.example.com");
	if (ok(&b, "example.com", MX, &a, "AD set"))
		tap_ok(a.ad && !a.truncated && a.nmx == 1, "AD reported");
	b_init(&b, QR | RD | RA | TC);
	q = b_question(&b, "example.com", MX);
	b_mx(&b, q, 10, "mx.example.com");
	if (ok(&b, "example.com", MX, &a, "TC set"))
		tap_ok(!a.ad && a.truncated, "TC reported, AD not");
	/* A truncated UDP answer cut inside a record is still malformed. */
	b_count(&b, 1, 1);
	refused(&b, "example.com", MX, "name runs past the end",
	    "TC set, a record missing");
	dns_answer_free(&a);
}

static void
test_cname(void)
{
	struct dns_answer a;
	struct b b;
	size_t q, t, at;
	char name[32];
	int i;

	dns_answer_init(&a);
	msg_cname(&b);
	if (ok(&b, "example.com", MX, &a, "CNAME chain to MX")) {
		tap_is_str(mx_list(&a), "10 mx.example.org", "MX at its end");
		tap_is_str(a.cname, "mail.example.org", "the last target");
	}
	msg_cname_reversed(&b);
	if (ok(&b, "example.com", MX, &a, "CNAME chain, records reversed")) {
		tap_is_str(mx_list(&a), "10 mx.example.org", "MX at its end");
		tap_is_str(a.cname, "mail.example.org", "the last target");
	}

	/* Data beside a CNAME (RFC 1034 3.6.2 forbids it) is not used. */
	msg_cname(&b);
	b_mx(&b, 12, 5, "stray.example.com");
	if (ok(&b, "example.com", MX, &a, "MX beside a CNAME"))
		tap_is_str(mx_list(&a), "10 mx.example.org", "ignored");

	/* A dangling CNAME: no MX at its end. */
	b_init(&b, QR | 3);
	q = b_question(&b, "example.com", MX);
	b_cname(&b, q, "gone.example.net");
	if (ok(&b, "example.com", MX, &a, "CNAME to a missing name"))
		tap_ok(a.nmx == 0 && a.rcode == 3 &&
		    strcmp(a.cname, "gone.example.net") == 0,
		    "NXDOMAIN for the target, no MX");

	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	t = b_cname(&b, q, "a.example.com");
	b_ptr(&b, t);
	at = b_rr(&b, 1, CNAME, 1);
	b_ptr(&b, q);
	b_rr_end(&b, at);
	b_mx(&b, q, 10, "mx.example.com");
	refused(&b, "example.com", MX, "CNAME chain too long (a loop?)",
	    "CNAME loop");
	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_cname(&b, q, "example.com");
	refused(&b, "example.com", MX, "CNAME chain too long (a loop?)",
	    "CNAME to itself");

	/* Eight links are followed, a ninth is too many. */
	b_init(&b, QR);
	t = b_question(&b, "example.com", MX);
	for (i = 1; i <= 8; i++) {
		snprintf(name, sizeof(name), "c%d.example.com", i);
		t = b_cname(&b, t, name);
	}
	b_mx(&b, t, 10, "mx.example.com");
	if (ok(&b, "example.com", MX, &a, "eight CNAME links"))
		tap_ok(a.nmx == 1 && strcmp(a.cname, "c8.example.com") == 0,
		    "followed to the MX");
	b_init(&b, QR);
	t = b_question(&b, "example.com", MX);
	for (i = 1; i <= 9; i++) {
		snprintf(name, sizeof(name), "c%d.example.com", i);
		t = b_cname(&b, t, name);
	}
	b_mx(&b, t, 10, "mx.example.com");
	refused(&b, "example.com", MX, "CNAME chain too long (a loop?)",
	    "nine CNAME links");

	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_cname(&b, q, "we\001ird.example.com");
	refused(&b, "example.com", MX, "CNAME target is not a host name",
	    "CNAME to a name with a control byte");
	dns_answer_free(&a);
}

static void
test_others_ignored(void)
{
	struct dns_answer a;
	struct b b;
	size_t q, o, at;

	dns_answer_init(&a);
	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	o = b_name(&b, "other.example");
	at = b_rr(&b, 1, MX, 1);
	b_u16(&b, 1);
	b_name(&b, "mx.other.example");
	b_rr_end(&b, at);
	b_name_ptr(&b, "sub", q);
	at = b_rr(&b, 1, MX, 1);
	b_u16(&b, 2);
	b_name(&b, "mx.sub.example.com");
	b_rr_end(&b, at);
	b_ptr(&b, q);
	at = b_rr(&b, 1, MX, 3);	/* class CH */
	b_u16(&b, 3);
	b_name(&b, "chaos.example.com");
	b_rr_end(&b, at);
	b_ptr(&b, q);
	at = b_rr(&b, 1, 1, 1);		/* A */
	b_mem(&b, "\x7f\0\0\1", 4);
	b_rr_end(&b, at);
	b_cname(&b, o, "elsewhere.example");	/* a CNAME of another name */
	b_mx(&b, q, 10, "mx.example.com");
	b_ptr(&b, q);			/* an MX in authority */
	at = b_rr(&b, 2, MX, 1);
	b_u16(&b, 4);
	b_name(&b, "auth.example.com");
	b_rr_end(&b, at);
	if (ok(&b, "example.com", MX, &a, "records of other names and types")) {
		tap_is_str(mx_list(&a), "10 mx.example.com", "only ours kept");
		tap_ok(a.cname[0] == '\0' && a.nskipped == 0,
		    "other CNAME not followed, nothing skipped");
	}
	dns_answer_free(&a);
}

static void
test_tlsa(void)
{
	static const char *qn = "_25._tcp.mx.example.com";
	unsigned char big[DNS_ANSWER_TLSA_DATA_MAX + 1];
	struct dns_answer a;
	struct b b;
	size_t q, at;

	dns_answer_init(&a);
	msg_tlsa(&b, qn);
	if (ok(&b, qn, TLSA, &a, "TLSA 3 1 1 and 2 0 1")) {
		tap_ok(a.ntlsa == 2 && a.nmx == 0 && a.ad, "two, AD set");
		tap_ok(a.tlsa[0].usage == 3 && a.tlsa[0].selector == 1 &&
		    a.tlsa[0].mtype == 1, "3 1 1");
		tap_is_mem(a.tlsa[0].data, a.tlsa[0].len, hash32, 32,
		    "its 32-byte hash");
		tap_ok(a.tlsa[1].usage == 2 && a.tlsa[1].selector == 0 &&
		    a.tlsa[1].mtype == 1 && a.tlsa[1].len == 32 &&
		    memcmp(a.tlsa[1].data, hash32 + 16, 16) == 0 &&
		    memcmp(a.tlsa[1].data + 16, hash32, 16) == 0,
		    "2 0 1 and its hash");
	}
	refused(&b, qn, MX, "response to another question", "TLSA for MX");

	memset(big, 0xa5, sizeof(big));
	b_init(&b, QR);
	q = b_question(&b, qn, TLSA);
	b_ptr(&b, q);
	at = b_rr(&b, 1, TLSA, 1);
	b_mem(&b, "\3\0\0", 3);
	b_mem(&b, big, DNS_ANSWER_TLSA_DATA_MAX);
	b_rr_end(&b, at);
	b_ptr(&b, q);
	at = b_rr(&b, 1, TLSA, 1);
	b_mem(&b, "\3\0\0", 3);
	b_mem(&b, big, sizeof(big));
	b_rr_end(&b, at);
	b_ptr(&b, q);
	at = b_rr(&b, 1, TLSA, 1);
	b_mem(&b, "\3\1\1", 3);
	b_rr_end(&b, at);
	if (ok(&b, qn, TLSA, &a, "TLSA data of 1024, 1025 and 0 bytes"))
		tap_ok(a.ntlsa == 2 && a.tlsa[0].len == 1024 &&
		    a.tlsa[1].len == 0 && a.nskipped == 1,
		    "1024 and 0 kept, 1025 skipped and counted");
	b_init(&b, QR);
	q = b_question(&b, qn, TLSA);
	b_ptr(&b, q);
	at = b_rr(&b, 1, TLSA, 1);
	b_mem(&b, "\3\1", 2);
	b_rr_end(&b, at);
	refused(&b, qn, TLSA, "TLSA record data too short", "TLSA of 2 bytes");
	dns_answer_free(&a);
}

static void
test_caps(void)
{
	struct dns_answer a;
	struct b b;
	size_t q, at;
	char host[32];
	int i;

	dns_answer_init(&a);
	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	for (i = 0; i < DNS_ANSWER_MX_MAX + 1; i++) {
		snprintf(host, sizeof(host), "h%d", i);
		b_ptr(&b, q);
		at = b_rr(&b, 1, MX, 1);
		b_u16(&b, (unsigned)i);
		b_name_ptr(&b, host, q);
		b_rr_end(&b, at);
	}
	if (ok(&b, "example.com", MX, &a, "101 MX"))
		tap_ok(a.nmx == DNS_ANSWER_MX_MAX && a.nskipped == 1 &&
		    strcmp(a.mx[99].host, "h99.example.com") == 0,
		    "100 kept, one skipped");

	b_init(&b, QR);
	q = b_question(&b, "x", TLSA);
	for (i = 0; i < DNS_ANSWER_TLSA_MAX + 2; i++) {
		b_ptr(&b, q);
		at = b_rr(&b, 1, TLSA, 1);
		b_u8(&b, 3);
		b_u8(&b, 1);
		b_u8(&b, 1);
		b_u16(&b, (unsigned)i);
		b_rr_end(&b, at);
	}
	if (ok(&b, "x", TLSA, &a, "102 TLSA"))
		tap_ok(a.ntlsa == DNS_ANSWER_TLSA_MAX && a.nskipped == 2 &&
		    a.tlsa[99].len == 2 && a.tlsa[99].data[1] == 99,
		    "100 kept, two skipped");
	dns_answer_free(&a);
}

/* MX targets postie cannot name are skipped, the others kept. */
static void
test_bad_hosts(void)
{
	static const char *const hosts[] = {
		"sp ace.example.com", "ctl\001.example.com",
		"high\x80.example.com", "star*.example.com", "back\\.example",
		"del\x7f.example.com"
	};
	struct dns_answer a;
	struct b b;
	size_t q, at, i;

	dns_answer_init(&a);
	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		b_mx(&b, q, 10, hosts[i]);
	/* A label holding a dot: "a.b" as one label. */
	b_ptr(&b, q);
	at = b_rr(&b, 1, MX, 1);
	b_u16(&b, 10);
	b_mem(&b, "\3a.b\7example\3com\0", 17);
	b_rr_end(&b, at);
	b_mx(&b, q, 20, "Good_1-host.Example.com");
	if (ok(&b, "example.com", MX, &a, "MX with unusable hosts")) {
		tap_is_str(mx_list(&a), "20 good_1-host.example.com",
		    "only the good host kept");
		tap_is_int((long long)a.nskipped, 7, "seven skipped");
	}
	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_mx(&b, q, 10, "bad host");
	if (ok(&b, "example.com", MX, &a, "only an unusable MX"))
		tap_ok(a.nmx == 0 && a.nskipped == 1 &&
		    !dns_answer_null_mx(&a), "none kept, one skipped");
	dns_answer_free(&a);
}

static void
test_cuts(void)
{
	struct b b;

	msg_mx3(&b);
	every_cut(&b, "example.com", MX, "three MX");
	msg_nxdomain(&b);
	every_cut(&b, "example.com", MX, "NXDOMAIN");
	msg_cname(&b);
	every_cut(&b, "example.com", MX, "CNAME chain");
	msg_cname_reversed(&b);
	every_cut(&b, "example.com", MX, "CNAME chain reversed");
	msg_tlsa(&b, "_25._tcp.mx.example.com");
	every_cut(&b, "_25._tcp.mx.example.com", TLSA, "TLSA");
}

static void
test_header(void)
{
	struct dns_answer a;
	struct err e;
	struct b b;
	size_t q, at;

	msg_mx3(&b);
	b.p[2] &= 0x7f;
	refused(&b, "example.com", MX, "message is not a response", "QR clear");
	msg_mx3(&b);
	b.p[2] |= 0x08;			/* opcode 1 */
	refused(&b, "example.com", MX, "response to another kind of query",
	    "opcode IQUERY");
	msg_mx3(&b);
	b_count(&b, 0, 1);
	refused(&b, "example.com", MX,
	    "response without exactly one question", "two questions");
	msg_mx3(&b);
	b_count(&b, 0, -1);
	refused(&b, "example.com", MX,
	    "response without exactly one question", "no question");
	msg_mx3(&b);
	b_u8(&b, 0);
	refused(&b, "example.com", MX, "bytes after the last record",
	    "a byte after the last record");
	msg_mx3(&b);
	b_count(&b, 3, -1);
	refused(&b, "example.com", MX, "bytes after the last record",
	    "additional count one short");
	b_init(&b, QR);
	b.len = 11;
	refused(&b, "example.com", MX, "message shorter than its header",
	    "11 bytes");

	b_init(&b, QR);
	b_name(&b, "example.com");
	b_u16(&b, MX);
	b_u16(&b, 3);			/* class CH */
	b_count(&b, 0, 1);
	refused(&b, "example.com", MX, "response to another question",
	    "question of class CH");

	dns_answer_init(&a);
	msg_mx3(&b);
	tap_ok(parse(&b, "example.com", 1, &a, &e) == ERR_SOFTWARE &&
	    strcmp(e.msg, "dns: query type 1 not supported") == 0,
	    "query type A is a caller's bug");
	tap_ok(parse(&b, "example..com", MX, &a, &e) == ERR_DATA &&
	    strcmp(e.msg, "dns: bad query name") == 0, "empty label in qname");
	tap_ok(parse(&b, "exa mple.com", MX, &a, &e) == ERR_DATA,
	    "space in qname");
	tap_ok(parse(&b, ".example.com", MX, &a, &e) == ERR_DATA,
	    "qname starting with a dot");

	/* The root as qname. */
	b_init(&b, QR);
	q = b_question(&b, "", MX);
	b_ptr(&b, q);
	at = b_rr(&b, 1, MX, 1);
	b_u16(&b, 0);
	b_u8(&b, 0);
	b_rr_end(&b, at);
	tap_ok(parse(&b, ".", MX, &a, &e) == ERR_OK && a.nmx == 1 &&
	    parse(&b, "", MX, &a, &e) == ERR_OK && a.nmx == 1,
	    "the root as qname, \".\" or \"\"");
	dns_answer_free(&a);
}

/* Names in the question: loops, pointers, long labels and names. */
static void
test_names(void)
{
	struct dns_answer a;
	struct b b;
	size_t at, q, p, i;
	char l63[64], host[300];

	b_init(&b, QR);
	b_ptr(&b, 12);
	b_u16(&b, MX);
	b_u16(&b, 1);
	b_count(&b, 0, 1);
	refused(&b, "example.com", MX, "compression pointer not backwards",
	    "pointer to itself");
	b_init(&b, QR);
	b_ptr(&b, 18);
	b_u16(&b, MX);
	b_u16(&b, 1);
	b_count(&b, 0, 1);
	b_name(&b, "example.com");
	refused(&b, "example.com", MX, "compression pointer not backwards",
	    "forward pointer");
	b_init(&b, QR);
	b_ptr(&b, 4);
	b_u16(&b, MX);
	b_u16(&b, 1);
	b_count(&b, 0, 1);
	refused(&b, "example.com", MX, "compression pointer into the header",
	    "pointer into the header");
	/* Labels, then a pointer back into the same labels: a loop that a
	 * "before the pointer" rule would let run. */
	b_init(&b, QR);
	b_labels(&b, "a.b");
	b_ptr(&b, 14);
	b_u16(&b, MX);
	b_u16(&b, 1);
	b_count(&b, 0, 1);
	refused(&b, "a.b", MX, "compression pointer not backwards",
	    "pointer into its own name");
	b_init(&b, QR);
	b_labels(&b, "a");
	b_u8(&b, 0xc0);
	b_count(&b, 0, 1);
	refused(&b, "a", MX, "compression pointer runs past the end",
	    "half a pointer");

	b_init(&b, QR);
	b_u8(&b, 64);
	memset(host, 'x', 64);
	b_mem(&b, host, 64);
	b_u8(&b, 0);
	b_u16(&b, MX);
	b_u16(&b, 1);
	b_count(&b, 0, 1);
	refused(&b, "example.com", MX, "label longer than 63 bytes",
	    "label of 64");
	b.p[12] = 0x80;
	refused(&b, "example.com", MX, "label longer than 63 bytes",
	    "label type 0x80");
	b.p[12] = 0x41;			/* 0x40: EDNS0 extended label */
	refused(&b, "example.com", MX, "label longer than 63 bytes",
	    "label type 0x40");

	/* An MX target of 255 bytes in wire form (3 x 63 + 61: 253 in
	 * presentation) is fine; 256 is not. */
	memset(l63, 'a', 63);
	l63[63] = '\0';
	snprintf(host, sizeof(host), "%s.%s.%s.%.61s", l63, l63, l63, l63);
	dns_answer_init(&a);
	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_mx(&b, q, 10, host);
	if (ok(&b, "example.com", MX, &a, "MX target of 255 bytes"))
		tap_ok(a.nmx == 1 && strlen(a.mx[0].host) == 253 &&
		    strcmp(a.mx[0].host, host) == 0, "253 characters");
	dns_answer_free(&a);
	snprintf(host, sizeof(host), "%s.%s.%s.%.62s", l63, l63, l63, l63);
	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_mx(&b, q, 10, host);
	refused(&b, "example.com", MX, "name longer than 255 bytes",
	    "MX target of 256 bytes");
	/* Too long through pointers: 63-byte labels (in an opaque record)
	 * each pointing back at the one before. */
	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_ptr(&b, q);
	at = b_rr(&b, 1, 0xff00, 1);
	p = b_name_ptr(&b, l63, q);	/* 77 bytes */
	p = b_name_ptr(&b, l63, p);	/* 141 */
	p = b_name_ptr(&b, l63, p);	/* 205 */
	b_rr_end(&b, at);
	b_ptr(&b, q);
	at = b_rr(&b, 1, MX, 1);
	b_u16(&b, 10);
	b_name_ptr(&b, l63, p);
	b_rr_end(&b, at);
	refused(&b, "example.com", MX, "name longer than 255 bytes",
	    "a long name made of pointers");

	/* A chain of pointers, each to the one before: 128 are fine. */
	for (i = 127; i <= 128; i++) {
		size_t k, last;

		b_init(&b, QR);
		q = b_question(&b, "example.com", MX);
		b_ptr(&b, q);
		at = b_rr(&b, 1, 0xff00, 1);	/* private type: opaque */
		last = b.len;
		b_ptr(&b, q);
		for (k = 1; k < i; k++) {
			b_ptr(&b, last);
			last += 2;
		}
		b_rr_end(&b, at);
		b_ptr(&b, last);
		at = b_rr(&b, 1, MX, 1);
		b_u16(&b, 10);
		b_name_ptr(&b, "mx", q);
		b_rr_end(&b, at);
		if (i == 127) {
			dns_answer_init(&a);
			if (ok(&b, "example.com", MX, &a,
			    "an owner through 128 pointers"))
				tap_is_str(mx_list(&a), "10 mx.example.com",
				    "the MX found");
			dns_answer_free(&a);
		} else
			refused(&b, "example.com", MX,
			    "too many compression pointers in a name",
			    "an owner through 129 pointers");
	}
}

/* RDATA: bounds and the form of CNAME, MX and TLSA. */
static void
test_rdata(void)
{
	struct b b;
	size_t q, at;

	msg_mx3(&b);
	b.p[b.len - 1] = 1;		/* the OPT's rdlength, at the end */
	refused(&b, "example.com", MX, "record data runs past the end",
	    "rdlength beyond the message");
	msg_null_mx(&b);
	b.p[b.len - 5] = 0xff;		/* rdlength 0xff03 */
	refused(&b, "example.com", MX, "record data runs past the end",
	    "rdlength 65283");

	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_ptr(&b, q);
	at = b_rr(&b, 1, MX, 1);
	b_u16(&b, 10);
	b_name(&b, "mx.example.com");
	b_u8(&b, 0);			/* a byte too many */
	b_rr_end(&b, at);
	refused(&b, "example.com", MX,
	    "record data length does not match its name",
	    "MX rdlength one too long");

	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_ptr(&b, q);
	at = b_rr(&b, 1, MX, 1);
	b_u16(&b, 10);
	b_name(&b, "mx.example.com");
	b_rr_end(&b, at);
	b.p[at + 1]--;
	refused(&b, "example.com", MX,
	    "record data length does not match its name",
	    "MX rdlength one too short");

	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_ptr(&b, q);
	at = b_rr(&b, 1, MX, 1);
	b_u16(&b, 10);
	b_rr_end(&b, at);
	refused(&b, "example.com", MX, "record data too short",
	    "MX without a target");

	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_ptr(&b, q);
	at = b_rr(&b, 1, CNAME, 1);
	b_rr_end(&b, at);
	refused(&b, "example.com", MX, "record data too short",
	    "empty CNAME");

	/* Even records of other names must be well-formed. */
	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_name(&b, "other.example");
	at = b_rr(&b, 1, MX, 1);
	b_u16(&b, 10);
	b_ptr(&b, b.len + 2);
	b_rr_end(&b, at);
	refused(&b, "example.com", MX, "compression pointer not backwards",
	    "forward pointer in another name's MX");
}

/* --- seeds for the fuzzer ------------------------------------------------ */

static int
seed(const char *dir, const char *name, const struct b *b)
{
	char path[4096];
	FILE *fp;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) == NULL) {
		perror(path);
		return 1;
	}
	rc = fwrite(b->p, 1, b->len, fp) != b->len;
	if (fclose(fp) != 0 || rc) {
		perror(path);
		return 1;
	}
	return 0;
}

/* The fuzzer asks for "example.com", MX and TLSA. */
static int
write_seeds(const char *dir)
{
	struct b b;
	size_t q;
	int rc = 0;

	msg_mx3(&b);
	rc |= seed(dir, "mx3", &b);
	msg_null_mx(&b);
	rc |= seed(dir, "null-mx", &b);
	msg_nxdomain(&b);
	rc |= seed(dir, "nxdomain", &b);
	msg_cname(&b);
	rc |= seed(dir, "cname", &b);
	msg_cname_reversed(&b);
	rc |= seed(dir, "cname-reversed", &b);
	msg_tlsa(&b, "example.com");
	rc |= seed(dir, "tlsa", &b);
	b_init(&b, QR);
	q = b_question(&b, "example.com", MX);
	b_mx(&b, q, 10, "a.example.com");
	b_mx(&b, q, 10, "B.example.com");
	b_mx(&b, q, 10, "a.example.com");
	b_mx(&b, q, 0, "");
	b_mx(&b, q, 5, "bad host");
	rc |= seed(dir, "mx-equal-dup-root-bad", &b);
	b_init(&b, QR);
	b_labels(&b, "example.com");
	b_ptr(&b, 14);
	b_u16(&b, MX);
	b_u16(&b, 1);
	b_count(&b, 0, 1);
	rc |= seed(dir, "pointer-loop", &b);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--seeds") == 0)
		return write_seeds(argv[2]);
	test_mx();
	test_order();
	test_shuffle();
	test_null_mx();
	test_rcode_flags();
	test_cname();
	test_others_ignored();
	test_tlsa();
	test_caps();
	test_bad_hosts();
	test_cuts();
	test_header();
	test_names();
	test_rdata();
	return tap_done();
}
