/*
 * t_route: the destination domain of a recipient (deliver_route_domain):
 * A-labels, case, a final dot, address literals, bad input.  The MX
 * delivery itself talks to real servers and a real resolver in
 * tests/cli/t_mx.sh.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "deliver/route.h"
#include "tap.h"

static void
domain_is(const char *addr, const char *want)
{
	char out[300];
	struct err e;

	err_clear(&e);
	if (deliver_route_domain(addr, out, sizeof(out), &e) != ERR_OK) {
		tap_ok(0, "%s: %s", addr, e.msg);
		return;
	}
	tap_is_str(out, want, addr);
}

static void
domain_fails(const char *addr, const char *why)
{
	char out[300];
	struct err e;

	err_clear(&e);
	tap_ok(deliver_route_domain(addr, out, sizeof(out), &e) == ERR_DATA &&
	    strstr(e.msg, why) != NULL, "refused: %s (%s)", addr, e.msg);
}

int
main(void)
{
	char small[8];
	struct err e;

	domain_is("user@example.org", "example.org");
	domain_is("User@Mail.EXAMPLE.org", "mail.example.org");
	domain_is("user@example.org.", "example.org");
	domain_is("user@b\xc3\xbc" "cher.example", "xn--bcher-kva.example");
	domain_is("user@B\xc3\x9c" "CHER.example", "xn--bcher-kva.example");
	domain_is("\xc3\xa9l\xc3\xa8ve@b\xc3\xbc" "cher.example",
	    "xn--bcher-kva.example");	/* UTF-8 local part: SMTPUTF8's */
	domain_is("user@xn--bcher-kva.example", "xn--bcher-kva.example");
	domain_is("\"a@b\"@example.org", "example.org");
	domain_is("user@[192.0.2.1]", "[192.0.2.1]");
	domain_is("user@[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]");
	domain_fails("user", "no domain");
	domain_fails("user@", "no domain");
	domain_fails("user@exa mple.org", "bad domain");
	domain_fails("user@.example.org", "bad domain");
	domain_fails("user@example..org", "bad domain");
	domain_fails("user@exa\x01mple.org", "");
	err_clear(&e);
	tap_ok(deliver_route_domain("user@example.org", small, sizeof(small),
	    &e) == ERR_DATA, "too long for the room: refused");
	return tap_done();
}
