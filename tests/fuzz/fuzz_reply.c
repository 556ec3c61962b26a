/*
 * fuzz_reply: arbitrary server bytes through the reply parser.  The first
 * byte picks the chunk size (1-256), so splits are explored too; every
 * complete reply is formatted and copied.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "smtp/reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_reply(const struct smtp_reply *r)
{
	struct smtp_reply copy;
	struct buf out;
	size_t i;

	buf_init(&out, 4096);
	(void)smtp_reply_format(r, &out);
	buf_free(&out);
	for (i = 0; i <= r->nlines; i++)
		(void)smtp_reply_line(r, i);
	smtp_reply_init(&copy);
	(void)smtp_reply_copy(&copy, r);
	smtp_reply_free(&copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply_parser p;
	enum smtp_reply_status st = SMTP_REPLY_MORE;
	size_t split, n, used;

	if (size == 0)
		return 0;
	split = (size_t)data[0] + 1;
	data++;
	size--;
	smtp_reply_parser_init(&p);
	while (size > 0 && st != SMTP_REPLY_ERROR) {
		n = size < split ? size : split;
		st = smtp_reply_feed(&p, data, n, &used);
		if (used > n)
			__builtin_trap();
		data += used;
		size -= used;
		if (st == SMTP_REPLY_DONE)
			check_reply(&p.reply);
	}
	smtp_reply_parser_free(&p);
	return 0;
}
