/*
 * deliver_route: direct delivery to each recipient domain's MX hosts
 * (RFC 5321 5.1), when no smarthost is configured.
 *
 * Recipients are grouped by domain (A-label, without case); each domain
 * gets its own sessions, with every recipient of the domain in one
 * transaction, and the results land in one deliver_submit_result in the
 * order of req->rcpts, so deliver_submit_outcome() folds them as for a
 * smarthost.
 *
 * For each domain:
 *   - MX records by preference, equal ones shuffled (dns_resolve_mx);
 *     no MX records: the domain itself (implicit MX); a null MX (RFC
 *     7505): permanent, 5.1.10, nothing sent and no address looked up;
 *     NXDOMAIN: permanent, 5.1.2; SERVFAIL, no answer: temporary, 4.4.3.
 *     An address literal ("user@[192.0.2.1]") is its own host.
 *   - Every address of every host in turn (port 25): a connection that
 *     fails, a TLS failure, a 4xx anywhere moves the recipients still
 *     undecided on to the next address; a recipient accepted or refused
 *     for good (5xx) is decided.  When every address failed they are
 *     temporary, with the last reason.
 *   - The TLS policy (conf/parse.h, tls_policy; `dane` when unset):
 *       none       no STARTTLS
 *       may        STARTTLS when offered, certificate not checked; a
 *                  failed handshake is retried once in clear on a new
 *                  connection to the same address
 *       encrypt    STARTTLS required, certificate not checked
 *       verify     STARTTLS required, certificate verified (trust file
 *                  or system store) against the MX host name
 *       dane       RFC 7672: when the MX records are DNSSEC-validated
 *                  (AD bit) and the host's TLSA records are too, DANE
 *                  (usages 3 and 2; records of usages 0/1 alone:
 *                  encrypt); no validated TLSA records: may; a failed
 *                  (bogus) TLSA lookup makes the host unusable
 *       dane-only  as dane, but a host without usable validated TLSA
 *                  records is unusable (temporary)
 *     A DANE mismatch fails the handshake: that host is skipped, never
 *     retried in clear.  Never AUTH (req->sasl is ignored).
 *
 * res->relay names the hosts that took the message ("mx.a [ip]:25, ...")
 * and res->policy the level and what applied, for each domain that took
 * it: "LEVEL" when the level applied as such ("dane": DANE verified,
 * "verify"), else "LEVEL:APPLIED" ("dane:may", "dane-only:dane",
 * "dane:encrypt" for TLSA records of usages 0/1 alone).
 */
#ifndef POSTIE_DELIVER_ROUTE_H
#define POSTIE_DELIVER_ROUTE_H

#include "conf/parse.h"
#include "deliver/submit.h"

struct deliver_route_req {
	/* The envelope, message, options, timeouts, EHLO name, log, trace
	 * and TLS files (tls_conf.trust_file, crl_file, priorities,
	 * min_version); host, port, addr, tls and sasl are the route's. */
	const struct deliver_submit_req *base;
	const char *tls_policy;		/* the configured value or NULL */
};

/* As deliver_submit_run(), for every domain of base->rcpts. */
enum err_kind deliver_route_run(const struct deliver_route_req *rr,
    struct deliver_submit_result *res, struct err *e);

/* The domain part of addr in A-label form, lower-cased, into out; the
 * address literal as written ("[192.0.2.1]").  ERR_DATA when invalid. */
enum err_kind deliver_route_domain(const char *addr, char *out,
    size_t outlen, struct err *e);

#endif
