/*
 * dns_resolve: the only code that calls the system resolver.
 *
 * Errors: ERR_NOHOST (the name does not exist), ERR_TEMP (resolver
 * trouble: try again later), ERR_OS.
 */
#ifndef POSTIE_DNS_RESOLVE_H
#define POSTIE_DNS_RESOLVE_H

#include <netdb.h>

#include "util/err.h"

/*
 * Addresses of host (a name or a literal IPv4/IPv6 address) for a TCP
 * connection to port (a number or service name), IPv6 and IPv4 in the
 * resolver's preferred order.  Caller frees *res with dns_resolve_free().
 */
enum err_kind dns_resolve_host(const char *host, const char *port,
    struct addrinfo **res, struct err *e);
void dns_resolve_free(struct addrinfo *res);	/* res may be NULL */

#endif
