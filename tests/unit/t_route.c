/*
 * t_route: the destination domain of a recipient (deliver_route_domain):
 * A-labels, case, a final dot, address literals, bad input; and which
 * TLSA records the route hands to DANE (io_tls_dane_usable).  The MX
 * delivery itself talks to real servers and a real resolver in
 * tests/cli/t_mx.sh.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "deliver/route.h"
#include "io/tls.h"
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

/* The records route.c hands to DANE: io_tls_dane_usable()'s rule. */
static void
dane_usable(void)
{
	static const unsigned char d64[64];
	static const struct {
		struct io_tls_dane_rec r;
		bool want;
		const char *name;
	} cases[] = {
		{ { 3, 1, 1, 32, d64 }, true, "3 1 1, 32 bytes" },
		{ { 2, 0, 2, 64, d64 }, true, "2 0 2, 64 bytes" },
		{ { 3, 0, 0, 10, d64 }, true, "3 0 0, 10 bytes" },
		{ { 1, 1, 1, 32, d64 }, false, "usage 1" },
		{ { 0, 0, 1, 32, d64 }, false, "usage 0" },
		{ { 4, 1, 1, 32, d64 }, false, "usage 4" },
		{ { 3, 2, 1, 32, d64 }, false, "selector 2" },
		{ { 3, 1, 3, 32, d64 }, false, "matching type 3" },
		{ { 3, 1, 1, 31, d64 }, false, "SHA2-256 of 31 bytes" },
		{ { 3, 1, 2, 32, d64 }, false, "SHA2-512 of 32 bytes" },
		{ { 3, 0, 0, 0, d64 }, false, "exact, empty" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_ok(io_tls_dane_usable(&cases[i].r) == cases[i].want,
		    "TLSA %s: %s", cases[i].name,
		    cases[i].want ? "usable" : "not usable");
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
	domain_fails("user@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org", "");	/* a label of 64 */
	domain_fails("user@.", "bad domain");
	err_clear(&e);
	tap_ok(deliver_route_domain("user@example.org", small, sizeof(small),
	    &e) == ERR_DATA, "too long for the room: refused");
	dane_usable();
	return tap_done();
}
