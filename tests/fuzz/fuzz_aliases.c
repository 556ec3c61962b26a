/*
 * fuzz_aliases: arbitrary text through conf_aliases_parse(), then
 * conf_aliases_check() and the expansion of the first names the text
 * defines (the words before ':' at line starts), bare and @localhost, and
 * of a few fixed ones.  Must not crash, leak or hang (every walk is
 * capped).  Oracle: a successful expansion adds only non-empty addresses.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/aliases.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LH "localhost"
#define NAMES_MAX 16	/* names expanded per input: each walk is capped */

static void
expand(const struct conf_aliases *a, const char *addr)
{
	struct mail_address_list l;
	struct err e;
	size_t i;

	mail_address_list_init(&l);
	if (conf_aliases_expand(a, addr, LH, &l, &e) == ERR_OK)
		for (i = 0; i < l.n; i++)
			if (l.addrs[i][0] == '\0')
				abort();
	(void)conf_aliases_is_local(addr, LH);
	mail_address_list_free(&l);
}

/* The word before ':' at the start of each line, as name and name@LH. */
static void
expand_names(const struct conf_aliases *a, const char *text, size_t size)
{
	char name[128], at[160];
	size_t off = 0, k, done = 0;
	const char *nl;

	while (off < size && done < NAMES_MAX) {
		for (k = 0; off + k < size && k + 1 < sizeof(name) &&
		    text[off + k] != ':' && text[off + k] != '\n'; k++)
			name[k] = text[off + k];
		name[k] = '\0';
		if (off + k < size && text[off + k] == ':' && k > 0) {
			expand(a, name);
			snprintf(at, sizeof(at), "%s@" LH, name);
			expand(a, at);
			done++;
		}
		if ((nl = memchr(text + off, '\n', size - off)) == NULL)
			break;
		off = (size_t)(nl - text) + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct conf_aliases a;
	struct err e;
	size_t n;

	conf_aliases_init(&a);
	if (conf_aliases_parse(&a, text, size, "fuzz", &e) == ERR_OK) {
		(void)conf_aliases_check(&a, LH, &n, &e);
		expand_names(&a, text, size);
		expand(&a, "root");
		expand(&a, "nobody");
		expand(&a, "default");
		expand(&a, "user@remote.example");
		expand(&a, "\"q@x\"@" LH);
	}
	conf_aliases_free(&a);
	return 0;
}
