/*
 * fuzz_address: arbitrary bytes as an address list (a field body).
 * Oracles besides the sanitizers: the list stays within its limits, every
 * address is non-empty, bounded and free of control bytes, a second parse
 * of the same text adds nothing (duplicates), and each address parses back
 * to itself.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_addr(const char *a)
{
	struct mail_address_list again;
	struct err e;
	size_t len = strlen(a), i;

	if (len == 0 || len > MAIL_ADDRESS_LEN_MAX)
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)a[i] < 0x20 && a[i] != '\t')
			abort();
	mail_address_list_init(&again);
	if (mail_address_parse_list(a, len, &again, &e) != ERR_OK ||
	    again.n != 1 || strcmp(again.addrs[0], a) != 0)
		abort();
	mail_address_list_free(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_address_list l;
	struct err e;
	size_t n, i;

	mail_address_list_init(&l);
	err_clear(&e);
	if (mail_address_parse_list((const char *)data, size, &l, &e) !=
	    ERR_OK) {
		if (l.n != 0 || e.msg[0] == '\0')
			abort();
		mail_address_list_free(&l);
		return 0;
	}
	if (l.n > MAIL_ADDRESS_MAX)
		abort();
	for (i = 0; i < l.n && i < 64; i++)
		check_addr(l.addrs[i]);
	n = l.n;
	if (mail_address_parse_list((const char *)data, size, &l, &e) !=
	    ERR_OK || l.n != n)
		abort();
	mail_address_list_free(&l);
	return 0;
}
