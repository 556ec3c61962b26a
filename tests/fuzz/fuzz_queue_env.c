/*
 * fuzz_queue_env: arbitrary bytes through queue_env_parse(); when they
 * parse, the env is formatted, parsed again and formatted again: the two
 * texts must be identical (format is injective, so the fields are too),
 * and the second parse must not fail.  Must not crash or leak.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue/env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_env a, b;
	struct buf t1, t2;
	struct err e;

	queue_env_init(&a);
	queue_env_init(&b);
	buf_init(&t1, QUEUE_ENV_FILE_MAX);
	buf_init(&t2, QUEUE_ENV_FILE_MAX);
	if (queue_env_parse((const char *)data, size, &a, &e) == ERR_OK) {
		(void)queue_env_pending(&a);
		if (queue_env_format(&a, &t1, &e) != ERR_OK)
			abort();
		if (queue_env_parse(t1.data, t1.len, &b, &e) != ERR_OK)
			abort();
		if (queue_env_format(&b, &t2, &e) != ERR_OK)
			abort();
		if (t1.len != t2.len || memcmp(t1.data, t2.data, t1.len) != 0)
			abort();
		if (a.nrcpt != b.nrcpt || strcmp(a.id, b.id) != 0)
			abort();
	}
	buf_free(&t1);
	buf_free(&t2);
	queue_env_free(&a);
	queue_env_free(&b);
	return 0;
}
