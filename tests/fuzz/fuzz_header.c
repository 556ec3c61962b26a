/*
 * fuzz_header: arbitrary bytes as a header section.  Iterates its fields
 * (checking that each lies inside the input and that the scan advances),
 * takes the -t recipients, and removes Bcc fields (checking that removing
 * nothing copies the input exactly and that removing never grows it).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
iterate(const char *h, size_t len)
{
	struct mail_header_field f;
	size_t pos = 0, last = 0;

	while (mail_header_next(h, len, &pos, &f)) {
		if (pos <= last || pos > len || f.raw < h + last ||
		    f.raw + f.raw_len != h + pos || f.name != f.raw ||
		    f.name_len == 0 || f.value < f.name + f.name_len ||
		    f.value + f.value_len > f.raw + f.raw_len)
			abort();
		(void)mail_header_is(&f, "To");
		last = pos;
	}
	if (pos != len)
		abort();
}

static void
remove_fields(const char *h, size_t len)
{
	static const char *const bcc[] = { "Bcc", "Resent-Bcc", NULL };
	static const char *const none[] = { NULL };
	struct buf out;
	struct err e;

	buf_init(&out, len + 1);
	if (mail_header_remove(h, len, none, &out, &e) != ERR_OK ||
	    out.len != len || (len > 0 && memcmp(out.data, h, len) != 0))
		abort();
	buf_reset(&out);
	if (mail_header_remove(h, len, bcc, &out, &e) != ERR_OK ||
	    out.len > len)
		abort();
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *h = (const char *)data;
	struct mail_address_list l;
	struct err e;

	iterate(h, size);
	mail_address_list_init(&l);
	(void)mail_header_recipients(h, size, &l, &e);
	if (l.n > MAIL_ADDRESS_MAX)
		abort();
	mail_address_list_free(&l);
	remove_fields(h, size);
	return 0;
}
