#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netdb.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deliver/route.h"
#include "dns/answer.h"
#include "dns/resolve.h"
#include "io/tls.h"
#include "mail/address.h"
#include "mail/idn.h"

#define MX_PORT "25"
#define MX_PORT_NUM 25u

/*
 * How one host is to be spoken to, from the policy and its TLSA records:
 * the TLS mode, whether the certificate is checked, the DANE records.
 */
struct host_tls {
	enum smtp_client_tls mode;	/* NONE, MAY or STARTTLS */
	bool certcheck;			/* verify: PKIX against the host */
	struct io_tls_dane_rec *dane;	/* DANE: usages 2 and 3 */
	size_t ndane;
	const char *applied;		/* what the log says applied */
};

/* One destination domain and its recipients (indexes into base->rcpts). */
struct dest {
	const struct deliver_route_req *rr;
	struct deliver_submit_result *res;	/* the whole result */
	const char *domain;			/* A-label or [literal] */
	size_t *idx;
	bool *open;				/* not decided yet */
	size_t n, nopen;
	enum conf_tls_policy level;
	bool mx_secure;				/* MX answer validated */
	const char *applied;			/* for res->policy */
};

enum err_kind
deliver_route_domain(const char *addr, char *out, size_t outlen,
    struct err *e)
{
	char tmp[MAIL_IDN_LEN_MAX + 1], ascii[MAIL_IDN_LEN_MAX + 1];
	const char *at = strrchr(addr, '@');
	size_t i, n;

	if (at == NULL || at[1] == '\0')
		return err_set(e, ERR_DATA, "%s: no domain", addr);
	if (at[1] == '[') {
		if (strlcpy(out, at + 1, outlen) >= outlen)
			return err_set(e, ERR_DATA, "%s: too long", addr);
		return ERR_OK;
	}
	/* mail_idn converts addresses: give it one with a plain local
	 * part, so a UTF-8 local part (SMTPUTF8) does not stand in the way
	 * of the domain's A-labels. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "x@%s", at + 1) >= sizeof(tmp))
		return err_set(e, ERR_DATA, "%s: too long", addr);
	if (mail_idn_to_ascii(tmp, ascii, sizeof(ascii), e) != ERR_OK)
		return e->kind;
	if (strlcpy(out, ascii + 2, outlen) >= outlen)
		return err_set(e, ERR_DATA, "%s: too long", addr);
	/* A final dot names the same domain. */
	n = strlen(out);
	if (n > 1 && out[n - 1] == '.')
		out[--n] = '\0';
	/* A name to look up (and to put in a TLS server name). */
	if (!mail_idn_is_host_name(out, n))
		return err_set(e, ERR_DATA, "%s: bad domain", addr);
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return ERR_OK;
}

static void
set_result(struct deliver_rcpt_result *r, enum smtp_client_outcome o,
    int code, const char *esc, const char *text)
{
	r->outcome = o;
	r->code = code;
	strlcpy(r->esc, esc, sizeof(r->esc));
	strlcpy(r->text, text, sizeof(r->text));
}

/* Every recipient still open gets outcome o and text; PERM decides. */
static void
fail_open(struct dest *d, enum smtp_client_outcome o, const char *esc,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
fail_open(struct dest *d, enum smtp_client_outcome o, const char *esc,
    const char *fmt, ...)
{
	char text[DELIVER_TEXT_MAX];
	va_list ap;
	size_t k;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (k = 0; k < d->n; k++) {
		if (!d->open[k])
			continue;
		set_result(&d->res->rcpt[d->idx[k]], o, 0, esc, text);
		if (o != SMTP_CLIENT_TEMP) {
			d->open[k] = false;
			d->nopen--;
		}
	}
}

static void
trace(const struct dest *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
trace(const struct dest *d, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!d->rr->base->trace)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg(d->rr->base->log, LOG_INFO, "--- %s", line);
}

static void
append(char *dst, size_t dstlen, const char *s)
{
	if (dst[0] != '\0')
		strlcat(dst, ", ", dstlen);
	strlcat(dst, s, dstlen);
}

/*
 * One session to one address of host, for the recipients still open.
 * Returns true when the TLS handshake failed (opportunistic TLS retries
 * in clear).
 */
static bool
try_address(struct dest *d, const char *host, const struct addrinfo *ai,
    const struct host_tls *ht, enum smtp_client_tls mode)
{
	const struct deliver_submit_req *base = d->rr->base;
	struct deliver_submit_req sub = *base;
	struct deliver_submit_result sres;
	const char **rcpts;
	const char *names[1] = { d->domain };
	size_t *map, k, m = 0;
	struct err e;
	bool tls_failed, took = false;

	rcpts = calloc(d->nopen, sizeof(*rcpts));
	map = calloc(d->nopen, sizeof(*map));
	if (rcpts == NULL || map == NULL) {
		free(rcpts);
		free(map);
		fail_open(d, SMTP_CLIENT_TEMP, "4.3.0", "out of memory");
		return false;
	}
	for (k = 0; k < d->n; k++)
		if (d->open[k]) {
			rcpts[m] = base->rcpts[d->idx[k]];
			map[m++] = k;
		}
	sub.host = host;
	sub.port = MX_PORT;
	sub.addr = ai;
	sub.tls = mode;
	sub.sasl = NULL;		/* never AUTH to an MX */
	sub.rcpts = rcpts;
	sub.nrcpt = m;
	sub.done = NULL;
	sub.tls_conf.host = host;
	sub.tls_conf.fingerprint = NULL;
	sub.tls_conf.certcheck = ht->certcheck;
	sub.tls_conf.dane = ht->dane;
	sub.tls_conf.ndane = ht->ndane;
	sub.tls_conf.dane_names = names;
	sub.tls_conf.ndane_names = d->domain[0] != '[' ? 1 : 0;
	deliver_submit_result_init(&sres);
	(void)deliver_submit_run(&sub, &sres, &e);
	tls_failed = sres.tls_failed;
	for (k = 0; k < sres.nrcpt && k < m; k++) {
		const struct deliver_rcpt_result *r = &sres.rcpt[k];
		struct deliver_rcpt_result *out = &d->res->rcpt[d->idx[map[k]]];

		*out = *r;
		if (r->outcome == SMTP_CLIENT_OK)
			took = true;
		if (r->outcome != SMTP_CLIENT_TEMP) {
			d->open[map[k]] = false;
			d->nopen--;
		} else if (sres.session_err != ERR_OK && r->code == 0) {
			/* Say which host the connection-level trouble was
			 * with: the next one may fail differently. */
			char text[sizeof(out->text)];

			strlcpy(text, sres.relay[0] != '\0' ? sres.relay :
			    host, sizeof(text));
			strlcat(text, ": ", sizeof(text));
			strlcat(text, r->text, sizeof(text));
			strlcpy(out->text, text, sizeof(out->text));
		}
	}
	if (sres.session_err != ERR_OK)
		trace(d, "%s: %s", sres.relay[0] != '\0' ? sres.relay : host,
		    sres.session_text);
	if (sres.sender_refused && !took) {
		d->res->sender_refused = true;
		strlcpy(d->res->session_text, sres.session_text,
		    sizeof(d->res->session_text));
	}
	if (took) {
		append(d->res->relay, sizeof(d->res->relay), sres.relay);
		if (d->res->tls[0] == '\0')
			strlcpy(d->res->tls, sres.tls, sizeof(d->res->tls));
		d->applied = ht->applied;
	}
	d->res->flights += sres.flights;
	deliver_submit_result_free(&sres);
	free(rcpts);
	free(map);
	return tls_failed;
}

/* Every address of host in turn, until no recipient is left open. */
static void
try_host(struct dest *d, const char *host, const struct host_tls *ht)
{
	struct addrinfo *ai = NULL, *p;
	struct err e;

	if (dns_resolve_host(host, MX_PORT, &ai, &e) != ERR_OK) {
		trace(d, "%s: %s", host, e.msg);
		fail_open(d, SMTP_CLIENT_TEMP, "4.4.4", "%s", e.msg);
		return;
	}
	for (p = ai; p != NULL && d->nopen > 0; p = p->ai_next) {
		if (!try_address(d, host, p, ht, ht->mode) || d->nopen == 0 ||
		    ht->mode != SMTP_CLIENT_TLS_MAY)
			continue;
		/* Opportunistic: the handshake failed, so once in clear
		 * (RFC 7435 and Postfix's "may"). */
		trace(d, "%s: TLS failed, trying again without TLS", host);
		(void)try_address(d, host, p, ht, SMTP_CLIENT_TLS_NONE);
	}
	dns_resolve_free(ai);
}

/* The TLSA records DANE can use (io_tls_dane_usable()) into ht. */
static enum err_kind
dane_records(const struct dns_answer *a, struct host_tls *ht)
{
	size_t i;

	ht->dane = calloc(a->ntlsa ? a->ntlsa : 1, sizeof(*ht->dane));
	if (ht->dane == NULL)
		return ERR_OS;
	for (i = 0; i < a->ntlsa; i++) {
		const struct dns_tlsa *t = &a->tlsa[i];
		struct io_tls_dane_rec *r = &ht->dane[ht->ndane];

		r->usage = t->usage;
		r->selector = t->selector;
		r->mtype = t->mtype;
		r->data = t->data;
		r->len = t->len;
		if (io_tls_dane_usable(r))
			ht->ndane++;
	}
	return ERR_OK;
}

/*
 * The TLS of one host under the dane levels (RFC 7672 2.2): false when
 * the host is unusable (a failed TLSA lookup; dane-only without usable
 * validated records), the open recipients then told why.  tlsa holds
 * the records ht->dane points into.
 */
static bool
dane_host(struct dest *d, const char *host, struct dns_answer *tlsa,
    struct host_tls *ht)
{
	bool only = d->level == CONF_TLS_POLICY_DANE_ONLY;
	struct err e;

	ht->mode = SMTP_CLIENT_TLS_MAY;
	ht->applied = "may";
	if (!d->mx_secure || host[0] == '[') {
		if (!only)
			return true;
		fail_open(d, SMTP_CLIENT_TEMP, "4.7.5", "%s: dane-only, but "
		    "the MX records of %s are not DNSSEC-validated", host,
		    d->domain);
		return false;
	}
	if (dns_resolve_tlsa(host, MX_PORT_NUM, tlsa, &e) != ERR_OK) {
		trace(d, "%s: %s: host skipped", host, e.msg);
		fail_open(d, SMTP_CLIENT_TEMP, "4.7.5", "%s: %s", host, e.msg);
		return false;
	}
	if (tlsa->ad && (tlsa->ntlsa > 0 || tlsa->nskipped > 0)) {
		if (dane_records(tlsa, ht) != ERR_OK) {
			fail_open(d, SMTP_CLIENT_TEMP, "4.3.0",
			    "out of memory");
			return false;
		}
		ht->mode = SMTP_CLIENT_TLS_STARTTLS;
		if (ht->ndane > 0) {
			ht->applied = "dane";
			return true;
		}
		/* RFC 7672 2.2: records present, none usable (usages 0/1,
		 * unknown selectors or matching types): encrypted,
		 * unauthenticated; dane-only wants authentication. */
		ht->applied = "encrypt";
		if (!only)
			return true;
		fail_open(d, SMTP_CLIENT_TEMP, "4.7.5", "%s: dane-only, but "
		    "no usable TLSA record (usage 2 or 3)", host);
		return false;
	}
	if (!only)
		return true;
	fail_open(d, SMTP_CLIENT_TEMP, "4.7.5", "%s: dane-only, but no "
	    "DNSSEC-validated TLSA records for _25._tcp.%s", host, host);
	return false;
}

static void
deliver_host(struct dest *d, const char *host)
{
	struct host_tls ht;
	struct dns_answer tlsa;

	memset(&ht, 0, sizeof(ht));
	dns_answer_init(&tlsa);
	switch (d->level) {
	case CONF_TLS_POLICY_NONE:
		ht.mode = SMTP_CLIENT_TLS_NONE;
		ht.applied = "none";
		break;
	case CONF_TLS_POLICY_MAY:
		ht.mode = SMTP_CLIENT_TLS_MAY;
		ht.applied = "may";
		break;
	case CONF_TLS_POLICY_ENCRYPT:
		ht.mode = SMTP_CLIENT_TLS_STARTTLS;
		ht.applied = "encrypt";
		break;
	case CONF_TLS_POLICY_VERIFY:
		ht.mode = SMTP_CLIENT_TLS_STARTTLS;
		ht.certcheck = true;
		ht.applied = "verify";
		break;
	case CONF_TLS_POLICY_DANE:
	case CONF_TLS_POLICY_DANE_ONLY:
		if (!dane_host(d, host, &tlsa, &ht))
			goto out;
		break;
	}
	trace(d, "%s: TLS policy %s: %s%s", host,
	    conf_parse_tls_policy_name(d->level), ht.applied,
	    ht.ndane > 0 ? " (TLSA records validated)" : "");
	try_host(d, host, &ht);
out:
	free(ht.dane);
	dns_answer_free(&tlsa);
}

/* "[192.0.2.1]" or "[IPv6:2001:db8::1]" into the bare address. */
static bool
literal_host(const char *domain, char *out, size_t outlen)
{
	size_t n = strlen(domain);
	const char *p = domain + 1;

	if (n < 3 || domain[n - 1] != ']')
		return false;
	if (strncasecmp(p, "IPv6:", 5) == 0)
		p += 5;
	if ((size_t)(domain + n - 1 - p) >= outlen)
		return false;
	memcpy(out, p, (size_t)(domain + n - 1 - p));
	out[domain + n - 1 - p] = '\0';
	return true;
}

static void
deliver_domain(struct dest *d)
{
	unsigned char rnd[DNS_ANSWER_MX_RND];
	struct dns_answer mx;
	char lit[64];
	struct err e;
	size_t i;

	d->level = conf_parse_tls_policy(d->rr->tls_policy, d->domain,
	    CONF_TLS_POLICY_DANE);
	if (d->domain[0] == '[') {
		if (!literal_host(d->domain, lit, sizeof(lit))) {
			fail_open(d, SMTP_CLIENT_PERM, "5.1.2", "bad address "
			    "literal %s", d->domain);
			return;
		}
		deliver_host(d, lit);
		return;
	}
	dns_answer_init(&mx);
	arc4random_buf(rnd, sizeof(rnd));
	if (dns_resolve_mx(d->domain, rnd, sizeof(rnd), &mx, &e) != ERR_OK) {
		trace(d, "%s: %s", d->domain, e.msg);
		if (e.kind == ERR_NOHOST)
			fail_open(d, SMTP_CLIENT_PERM, "5.1.2", "%s", e.msg);
		else
			fail_open(d, SMTP_CLIENT_TEMP, "4.4.3", "%s", e.msg);
		dns_answer_free(&mx);
		return;
	}
	d->mx_secure = mx.ad;
	if (dns_answer_null_mx(&mx)) {
		trace(d, "%s: null MX: accepts no mail", d->domain);
		fail_open(d, SMTP_CLIENT_PERM, "5.1.10", "domain %s accepts no "
		    "mail (null MX, RFC 7505)", d->domain);
	} else if (mx.nmx == 0 && mx.nskipped > 0) {
		fail_open(d, SMTP_CLIENT_PERM, "5.4.4", "domain %s has no "
		    "usable MX record", d->domain);
	} else if (mx.nmx == 0) {
		trace(d, "%s: no MX records: its own address (implicit MX)%s",
		    d->domain, mx.ad ? ", DNSSEC-validated" : "");
		deliver_host(d, d->domain);
	} else {
		for (i = 0; i < mx.nmx; i++)
			trace(d, "%s: MX %u %s%s", d->domain, mx.mx[i].pref,
			    mx.mx[i].host, mx.ad ? " (DNSSEC-validated)" : "");
		for (i = 0; i < mx.nmx && d->nopen > 0; i++)
			deliver_host(d, mx.mx[i].host);
	}
	dns_answer_free(&mx);
}

/* The policy of the whole result: what applied, per domain. */
static void
note_policy(struct deliver_submit_result *res, const struct dest *d)
{
	char one[64];
	const char *level = conf_parse_tls_policy_name(d->level);

	if (d->applied == NULL)
		return;
	if (strcmp(level, d->applied) == 0)
		strlcpy(one, level, sizeof(one));
	else
		snprintf(one, sizeof(one), "%s:%s", level, d->applied);
	if (strstr(res->policy, one) == NULL)
		append(res->policy, sizeof(res->policy), one);
}

enum err_kind
deliver_route_run(const struct deliver_route_req *rr,
    struct deliver_submit_result *res, struct err *e)
{
	const struct deliver_submit_req *base = rr->base;
	char (*doms)[MAIL_IDN_LEN_MAX + 1];
	bool *done, *open;
	size_t *idx, i, k;
	struct dest d;

	res->rcpt = calloc(base->nrcpt ? base->nrcpt : 1, sizeof(*res->rcpt));
	doms = calloc(base->nrcpt ? base->nrcpt : 1, sizeof(*doms));
	done = calloc(base->nrcpt ? base->nrcpt : 1, sizeof(*done));
	open = calloc(base->nrcpt ? base->nrcpt : 1, sizeof(*open));
	idx = calloc(base->nrcpt ? base->nrcpt : 1, sizeof(*idx));
	if (res->rcpt == NULL || doms == NULL || done == NULL ||
	    open == NULL || idx == NULL) {
		free(doms);
		free(done);
		free(open);
		free(idx);
		return err_set(e, ERR_OS, "out of memory");
	}
	res->nrcpt = base->nrcpt;
	for (i = 0; i < base->nrcpt; i++)
		if (deliver_route_domain(base->rcpts[i], doms[i],
		    sizeof(doms[i]), e) != ERR_OK) {
			set_result(&res->rcpt[i], SMTP_CLIENT_PERM, 0, "5.1.3",
			    e->msg);
			done[i] = true;
		}
	for (i = 0; i < base->nrcpt; i++) {
		if (done[i])
			continue;
		memset(&d, 0, sizeof(d));
		d.rr = rr;
		d.res = res;
		d.domain = doms[i];
		d.idx = idx;
		d.open = open;
		for (k = i; k < base->nrcpt; k++)
			if (!done[k] && strcmp(doms[k], doms[i]) == 0) {
				done[k] = true;
				idx[d.n] = k;
				open[d.n++] = true;
			}
		d.nopen = d.n;
		deliver_domain(&d);
		note_policy(res, &d);
	}
	free(doms);
	free(done);
	free(open);
	free(idx);
	err_clear(e);
	return ERR_OK;
}
