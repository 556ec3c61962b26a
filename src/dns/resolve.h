/*
 * dns_resolve: the only code that calls the system resolver
 * (getaddrinfo for addresses; res_nmkquery/res_nsend with a private
 * resolver state for MX and TLSA records, parsed by dns/answer.h).
 *
 * Errors: ERR_NOHOST (the name does not exist), ERR_TEMP (resolver
 * trouble: try again later), ERR_OS.
 */
#ifndef POSTIE_DNS_RESOLVE_H
#define POSTIE_DNS_RESOLVE_H

#include <netdb.h>

#include "dns/answer.h"
#include "util/err.h"

/*
 * Addresses of host (a name or a literal IPv4/IPv6 address) for a TCP
 * connection to port (a number or service name), IPv6 and IPv4 in the
 * resolver's preferred order.  Caller frees *res with dns_resolve_free().
 */
enum err_kind dns_resolve_host(const char *host, const char *port,
    struct addrinfo **res, struct err *e);
void dns_resolve_free(struct addrinfo *res);	/* res may be NULL */

/*
 * The MX records of domain (an A-label name) into a (initialised by the
 * caller, freed with dns_answer_free()), ordered for delivery with the
 * random bytes rnd (dns_answer_mx_order()).  ERR_OK with a->nmx == 0 and
 * a->nskipped == 0: no MX records (the implicit MX, RFC 5321 5.1); check
 * dns_answer_null_mx() first.  a->ad: the answer was validated (only
 * when resolv.conf says `options trust-ad`).  ERR_NOHOST: the domain does
 * not exist (NXDOMAIN); ERR_TEMP: SERVFAIL, no answer, a malformed one.
 */
enum err_kind dns_resolve_mx(const char *domain, const unsigned char *rnd,
    size_t nrnd, struct dns_answer *a, struct err *e);

/*
 * The TLSA records of _PORT._tcp.HOST (RFC 6698, RFC 7672 2.2) into a.
 * ERR_OK with a->ntlsa == 0 for no records (NXDOMAIN or none); a->ad as
 * above.  ERR_TEMP for SERVFAIL (which a validating resolver answers for
 * bogus records) or no answer: the caller makes that host unusable.
 */
enum err_kind dns_resolve_tlsa(const char *host, unsigned port,
    struct dns_answer *a, struct err *e);

#endif
