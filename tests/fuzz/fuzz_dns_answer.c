/*
 * fuzz_dns_answer: arbitrary bytes as the response to "example.com" MX
 * and TLSA queries through dns_answer_parse(), then dns_answer_mx_order()
 * (random bytes from the input) and dns_answer_null_mx().  Oracles
 * besides the sanitizers:
 *   - a refusal is ERR_DATA with a "dns: " message and leaves the answer
 *     empty;
 *   - an accepted answer keeps no more than the caps, host names are
 *     lower-case letters, digits, '-', '_' and single dots;
 *   - after ordering: preferences never decrease, no host twice, the root
 *     only alone, and dns_answer_null_mx() says the same as before.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_host(const char *h)
{
	size_t i, n = strlen(h);

	if (n > DNS_ANSWER_NAME_MAX - 2)
		abort();
	for (i = 0; i < n; i++) {
		if (h[i] == '.') {
			if (i == 0 || i == n - 1 || h[i + 1] == '.')
				abort();
		} else if (!((h[i] >= 'a' && h[i] <= 'z') ||
		    (h[i] >= '0' && h[i] <= '9') || h[i] == '-' || h[i] == '_'))
			abort();
	}
}

static void
check_order(const struct dns_answer *a, bool null_mx)
{
	size_t i, j;

	if (dns_answer_null_mx(a) != null_mx)
		abort();
	for (i = 0; i < a->nmx; i++) {
		if (i > 0 && a->mx[i - 1].pref > a->mx[i].pref)
			abort();
		if (a->mx[i].host[0] == '\0' && a->nmx != 1)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(a->mx[i].host, a->mx[j].host) == 0)
				abort();
	}
}

static void
one(const uint8_t *data, size_t size, unsigned qtype)
{
	struct dns_answer a;
	struct err e;
	size_t i;
	bool null_mx;

	dns_answer_init(&a);
	err_clear(&e);
	if (dns_answer_parse(data, size, "example.com", qtype, &a, &e) !=
	    ERR_OK) {
		if (e.kind != ERR_DATA || strncmp(e.msg, "dns: ", 5) != 0 ||
		    a.nmx != 0 || a.ntlsa != 0 || a.mx != NULL ||
		    a.tlsa != NULL)
			abort();
		return;
	}
	if (a.nmx > DNS_ANSWER_MX_MAX || a.ntlsa > DNS_ANSWER_TLSA_MAX ||
	    a.rcode > 15 || (qtype == DNS_ANSWER_TYPE_MX && a.ntlsa != 0) ||
	    (qtype == DNS_ANSWER_TYPE_TLSA && a.nmx != 0))
		abort();
	for (i = 0; i < a.ntlsa; i++)
		if (a.tlsa[i].len > DNS_ANSWER_TLSA_DATA_MAX)
			abort();
	for (i = 0; i < a.nmx; i++)
		check_host(a.mx[i].host);
	check_host(a.cname);
	null_mx = dns_answer_null_mx(&a);
	/* The random bytes: the message's tail, so they vary with it. */
	i = size > DNS_ANSWER_MX_RND ? size - DNS_ANSWER_MX_RND : 0;
	dns_answer_mx_order(&a, data + i, size - i);
	check_order(&a, null_mx);
	dns_answer_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size, DNS_ANSWER_TYPE_MX);
	one(data, size, DNS_ANSWER_TYPE_TLSA);
	return 0;
}
