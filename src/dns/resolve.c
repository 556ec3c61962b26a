#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
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
