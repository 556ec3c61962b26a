/*
 * fuzz_conf: arbitrary text through conf_parse_text(), twice into the same
 * struct conf (as system file then user file, so accounts get replaced),
 * then every lookup on every account (and the TLS policy of two domains).
 * Must not crash or leak.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "conf/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk(const struct conf_account *a)
{
	size_t k;

	for (k = 0; k < CONF_KEY_COUNT; k++) {
		(void)conf_parse_get(a, (enum conf_key)k);
		(void)conf_parse_bool(a, (enum conf_key)k, true);
		(void)conf_parse_num(a, (enum conf_key)k, -1);
		(void)conf_parse_key_name((enum conf_key)k);
	}
	/* A checked tls_policy value, looked up as route.c does. */
	(void)conf_parse_tls_policy(conf_parse_get(a, CONF_TLS_POLICY),
	    "mx.example.org", CONF_TLS_POLICY_DANE);
	(void)conf_parse_tls_policy(conf_parse_get(a, CONF_TLS_POLICY),
	    "", CONF_TLS_POLICY_DANE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct conf c;
	struct err e;
	size_t i;

	conf_parse_init(&c);
	if (conf_parse_text(&c, text, size, "system", &e) == ERR_OK)
		(void)conf_parse_text(&c, text, size, "user", &e);
	walk(conf_parse_find(&c, NULL));
	walk(&c.defaults);
	for (i = 0; i < c.naccounts; i++)
		walk(conf_parse_find(&c, c.accounts[i]->name));
	(void)conf_parse_find(&c, "default");
	(void)conf_parse_find(&c, "");
	conf_parse_free(&c);
	return 0;
}
