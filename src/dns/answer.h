/*
 * dns_answer: DNS response messages (RFC 1035 4.1, the wire form that
 * res_nsend() hands back) parsed into the MX or TLSA records postie asks
 * for, and the MX ordering of RFC 5321 5.1.  Pure: bytes in, a struct
 * out; no resolver, file descriptor, clock, environment or global, so it
 * is fuzzed (tests/fuzz/fuzz_dns_answer.c).  The query ID and the
 * transport (UDP, TCP, retries) are dns_resolve's business.
 *
 * Lifecycle: dns_answer_init(), then dns_answer_parse() as often as
 * wanted (each parse frees the previous result first), then
 * dns_answer_free().  The arrays belong to the struct and are valid
 * until the next parse or free.
 *
 * What is checked, and refused with ERR_DATA ("dns: why"): the header (QR
 * set, opcode QUERY), exactly one question that matches qname
 * (case-insensitively, RFC 4343), qtype and class IN (a FORMERR reply may
 * have no question, as glibc's res_send accepts), every record of every
 * section (names, fixed fields, RDATA inside the message), the RDATA of
 * the CNAME, MX and TLSA records of the answer section (a name that ends
 * exactly at the end of the RDATA), and no bytes after the last record.
 * Names (RFC 1035 4.1.4): labels of at most 63 bytes, at most 255 bytes
 * in wire form, compression pointers only backwards (each before the
 * start of the part of the name that jumps to it, never into the header)
 * and at most DNS_ANSWER_JUMPS_MAX of them in one name, so a hostile
 * message cannot loop.  A message cut short anywhere is malformed, with
 * TC set or not (postie retries truncated answers over TCP; the resolver
 * does that by itself).
 *
 * Which records are kept: those of class IN and type qtype in the answer
 * section whose owner is the end of the CNAME chain that starts at qname
 * (qname itself when there is no CNAME; RFC 1034 3.6.2: a name with a
 * CNAME holds no other data).  The chain is followed in any order of the
 * records, for at most DNS_ANSWER_CNAME_MAX links; a longer chain (a loop)
 * is ERR_DATA.  Everything else (other names, types, sections) is only
 * checked for form and ignored.  The rcode is reported, not judged:
 * NXDOMAIN or SERVFAIL are ERR_OK with a->rcode set.  The extended rcode
 * of EDNS (in the OPT record) is not looked at.
 *
 * Records of the right name and type that postie cannot use are skipped
 * and counted in a->nskipped rather than failing the whole answer:
 *   - an MX whose target has a byte outside letters, digits, '-' and '_'
 *     in a label (a dot or a control byte inside a label, a space...): a
 *     host postie could not name safely to getaddrinfo(), in a log line or
 *     as a TLS server name;
 *   - a TLSA record with more than DNS_ANSWER_TLSA_DATA_MAX bytes of
 *     association data (a full certificate, matching type 0);
 *   - the MX or TLSA records past DNS_ANSWER_MX_MAX or DNS_ANSWER_TLSA_MAX.
 * So nmx == 0 with nskipped > 0 is NOT "no MX records" (no implicit MX,
 * RFC 5321 5.1, must follow) and ntlsa == 0 with nskipped > 0 is NOT "no
 * TLSA records" (RFC 7672 2.2: TLSA records present, none usable).
 *
 * Names are given in presentation form, lower-cased, without the final
 * dot; the root is "".  A CNAME target that is not made of letters,
 * digits, '-' and '_' cannot be reported and is ERR_DATA.
 *
 * Errors: ERR_DATA for a malformed message or a bad qname; ERR_SOFTWARE
 * for a qtype other than MX or TLSA; ERR_OS when out of memory.  On error
 * *a is left empty (as after dns_answer_init()).
 */
#ifndef POSTIE_DNS_ANSWER_H
#define POSTIE_DNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define DNS_ANSWER_TYPE_CNAME 5
#define DNS_ANSWER_TYPE_MX 15
#define DNS_ANSWER_TYPE_TLSA 52

#define DNS_ANSWER_RCODE_NOERROR 0
#define DNS_ANSWER_RCODE_FORMERR 1
#define DNS_ANSWER_RCODE_SERVFAIL 2
#define DNS_ANSWER_RCODE_NXDOMAIN 3

#define DNS_ANSWER_NAME_MAX 255	/* presentation form, without final dot */
#define DNS_ANSWER_CNAME_MAX 8	/* CNAME links followed from qname */
#define DNS_ANSWER_JUMPS_MAX 128	/* compression pointers in one name */
#define DNS_ANSWER_MX_MAX 100
#define DNS_ANSWER_TLSA_MAX 100
#define DNS_ANSWER_TLSA_DATA_MAX 1024
/* Random bytes dns_answer_mx_order() uses at most: 2 per MX record. */
#define DNS_ANSWER_MX_RND (2 * DNS_ANSWER_MX_MAX)

struct dns_mx {
	unsigned pref;				/* 0..65535, lower first */
	char host[DNS_ANSWER_NAME_MAX + 1];	/* "" is the root */
};

/* RFC 6698 2.1; the fields are not judged here (that is DANE's job). */
struct dns_tlsa {
	unsigned char usage;		/* 0 PKIX-TA .. 3 DANE-EE */
	unsigned char selector;		/* 0 full certificate, 1 SPKI */
	unsigned char mtype;		/* 0 exact, 1 SHA2-256, 2 SHA2-512 */
	size_t len;			/* 0..DNS_ANSWER_TLSA_DATA_MAX */
	unsigned char data[DNS_ANSWER_TLSA_DATA_MAX];
};

struct dns_answer {
	unsigned rcode;		/* RCODE: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN */
	bool ad;		/* AD bit: the resolver validated it (DNSSEC) */
	bool truncated;		/* TC bit */
	struct dns_mx *mx;	/* nmx records, in message order until sorted */
	size_t nmx;
	struct dns_tlsa *tlsa;	/* ntlsa records, in message order */
	size_t ntlsa;
	size_t nskipped;	/* records of qtype for the name not kept */
	/* The last CNAME target followed from qname (where the records were
	 * looked for), "" when qname had no CNAME. */
	char cname[DNS_ANSWER_NAME_MAX + 1];
};

/* An empty answer. */
void dns_answer_init(struct dns_answer *a);

/* Free the arrays and leave a empty; a may be NULL. */
void dns_answer_free(struct dns_answer *a);

/*
 * Parse the response msg[0..len) to a query for qname (presentation form,
 * a final dot allowed) and qtype (DNS_ANSWER_TYPE_MX or _TLSA) into a, an
 * initialised answer whose previous contents are freed.  Returns ERR_OK,
 * ERR_DATA, ERR_SOFTWARE or ERR_OS (see above).
 */
enum err_kind dns_answer_parse(const unsigned char *msg, size_t len,
    const char *qname, unsigned qtype, struct dns_answer *a, struct err *e);

/*
 * Order a->mx for delivery (RFC 5321 5.1): duplicates (the same host)
 * removed keeping the lowest preference; the root ("") removed when some
 * other host is left (RFC 7505 3: a null MX stands alone, a root among
 * real hosts cannot be connected to; each removal adds to a->nskipped);
 * then by preference, and hosts of equal preference shuffled with the
 * caller's random bytes rnd[0..nrnd), 2 bytes a draw, so the same bytes
 * give the same order.  DNS_ANSWER_MX_RND bytes always suffice; with
 * fewer, the bytes are reused in turn; with none, equal preferences keep
 * the order of the message.
 */
void dns_answer_mx_order(struct dns_answer *a, const unsigned char *rnd,
    size_t nrnd);

/*
 * True when the domain says it accepts no mail (null MX, RFC 7505): at
 * least one MX record kept and every one of them is the root (normally
 * the single "MX 0 ."; records skipped as unusable do not count).  Such a
 * domain gets a permanent failure and never the implicit MX of its
 * address records.  The same before and after dns_answer_mx_order().
 */
bool dns_answer_null_mx(const struct dns_answer *a);

#endif
