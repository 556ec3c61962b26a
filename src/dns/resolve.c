#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "dns/resolve.h"

/*
 * Map a getaddrinfo() failure to an error kind.  EAI_NODATA is a glibc
 * extension ("the name exists but has no address"); for a mail client it
 * means the same as EAI_NONAME: there is no host to connect to.
 */
static enum err_kind
gai_kind(int rc)
{
	switch (rc) {
	case EAI_NONAME:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
		return ERR_NOHOST;
	case EAI_AGAIN:
		return ERR_TEMP;
	case EAI_MEMORY:
	case EAI_SYSTEM:
		return ERR_OS;
	default:
		/* EAI_FAIL and friends: resolver trouble, may pass. */
		return ERR_TEMP;
	}
}

enum err_kind
dns_resolve_host(const char *host, const char *port, struct addrinfo **res,
    struct err *e)
{
	struct addrinfo hints;
	enum err_kind kind;
	int rc;

	*res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/* No AI_ADDRCONFIG: it hides ::1 and 127.0.0.1 on a host without a
	 * configured address, and loopback tests must work there. */
	hints.ai_flags = 0;
	rc = getaddrinfo(host, port, &hints, res);
	if (rc == 0)
		return ERR_OK;
	*res = NULL;
	kind = gai_kind(rc);
	if (kind == ERR_NOHOST)
		return err_set(e, kind, "host %s not found", host);
	if (rc == EAI_SYSTEM)
		return err_set(e, kind, "resolve %s: %s", host,
		    strerror(errno));
	return err_set(e, kind, "resolve %s: %s", host, gai_strerror(rc));
}

void
dns_resolve_free(struct addrinfo *res)
{
	if (res != NULL)
		freeaddrinfo(res);
}

/*
 * The answer of one query, through our own resolver state (res_ninit: the
 * system's resolv.conf, its timeouts and options; no global _res touched).
 * res_nmkquery + res_nsend rather than res_nquery: res_nquery turns
 * NXDOMAIN, SERVFAIL and "no records" into h_errno alone, and the AD bit
 * of a negative answer (needed to know whether "no MX" is itself
 * validated) with them.  glibc clears AD in answers unless resolv.conf
 * says `options trust-ad` (RES_TRUSTAD), and then also asks for it in the
 * query: postie trusts AD exactly when the administrator said the path to
 * the resolver is trusted.  A truncated UDP answer is retried over TCP
 * by res_nsend itself.
 */
#define ANSWER_MAX 65536

static enum err_kind
query(const char *name, unsigned qtype, struct dns_answer *a, struct err *e)
{
	struct __res_state st;
	unsigned char q[NS_PACKETSZ];
	unsigned char *ans;
	int qlen, alen;
	enum err_kind rc;

	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) != 0)
		return err_set(e, ERR_TEMP, "resolver: cannot read the "
		    "resolver configuration");
	qlen = res_nmkquery(&st, ns_o_query, name, ns_c_in, (int)qtype, NULL,
	    0, NULL, q, sizeof(q));
	if (qlen < 0) {
		res_nclose(&st);
		return err_set(e, ERR_DATA, "resolver: bad name %s", name);
	}
	if ((ans = malloc(ANSWER_MAX)) == NULL) {
		res_nclose(&st);
		return err_set(e, ERR_OS, "out of memory");
	}
	alen = res_nsend(&st, q, qlen, ans, ANSWER_MAX);
	res_nclose(&st);
	if (alen < 0) {
		free(ans);
		/* glibc's res_nsend tries the next server after a SERVFAIL
		 * (which a validating resolver answers for bogus DNSSEC),
		 * and gives up so when every one failed or was silent. */
		return err_set(e, ERR_TEMP, "lookup of %s failed: server "
		    "failure or no answer from the DNS resolver", name);
	}
	rc = dns_answer_parse(ans, (size_t)alen, name, qtype, a, e);
	free(ans);
	if (rc == ERR_DATA)
		return err_set(e, ERR_TEMP, "%s", e->msg);	/* may pass */
	return rc;
}

enum err_kind
dns_resolve_mx(const char *domain, const unsigned char *rnd, size_t nrnd,
    struct dns_answer *a, struct err *e)
{
	if (query(domain, DNS_ANSWER_TYPE_MX, a, e) != ERR_OK)
		return e->kind;
	switch (a->rcode) {
	case DNS_ANSWER_RCODE_NOERROR:
		break;
	case DNS_ANSWER_RCODE_NXDOMAIN:
		return err_set(e, ERR_NOHOST, "domain %s does not exist",
		    domain);
	case DNS_ANSWER_RCODE_SERVFAIL:
		return err_set(e, ERR_TEMP, "MX lookup for %s: server "
		    "failure", domain);
	default:
		return err_set(e, ERR_TEMP, "MX lookup for %s: DNS error "
		    "(rcode %u)", domain, a->rcode);
	}
	dns_answer_mx_order(a, rnd, nrnd);
	return ERR_OK;
}

enum err_kind
dns_resolve_tlsa(const char *host, unsigned port, struct dns_answer *a,
    struct err *e)
{
	char name[DNS_ANSWER_NAME_MAX + 16];

	if ((size_t)snprintf(name, sizeof(name), "_%u._tcp.%s", port, host) >=
	    sizeof(name))
		return err_set(e, ERR_DATA, "TLSA name too long for %s", host);
	if (query(name, DNS_ANSWER_TYPE_TLSA, a, e) != ERR_OK)
		return e->kind;
	switch (a->rcode) {
	case DNS_ANSWER_RCODE_NOERROR:
		return ERR_OK;
	case DNS_ANSWER_RCODE_NXDOMAIN:
		a->ntlsa = 0;	/* no records, as NOERROR with none */
		return ERR_OK;
	case DNS_ANSWER_RCODE_SERVFAIL:
		return err_set(e, ERR_TEMP, "TLSA lookup for %s: server "
		    "failure (bogus DNSSEC?)", name);
	default:
		return err_set(e, ERR_TEMP, "TLSA lookup for %s: DNS error "
		    "(rcode %u)", name, a->rcode);
	}
}
