/*
 * fuzz_server: arbitrary client bytes into the server engine, driven the
 * way a driver would (drain events, answer each, feed only when the
 * engine wants input).  The first bytes choose the configuration (byte
 * 0 and the low bits of byte 1: the extensions, CHUNKING and SMTPUTF8
 * among them; then SIZE, implicit TLS and the recipient limit), the
 * chunk size and how commands are answered.  Aborts when the engine gets
 * stuck (no event, no input wanted, not closed) or writes a reply line
 * that does not end in CRLF or holds a NUL.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_output(struct smtp_server *s)
{
	const char *p;
	size_t len, i;

	p = smtp_server_output(s, &len);
	for (i = 0; i < len; i++) {
		if (p[i] == '\0' || (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')) ||
		    (p[i] == '\r' && (i + 1 == len || p[i + 1] != '\n')))
			abort();
	}
	if (len > 0 && p[len - 1] != '\n')
		abort();
	smtp_server_output_consume(s, len);
}

/* Answer events until none is left; pick answers from the input. */
static void
drain(struct smtp_server *s, const uint8_t *data, size_t size, size_t *k)
{
	struct smtp_server_event ev;
	struct smtp_server_envelope env;
	uint8_t c;

	while (smtp_server_next_event(s, &ev) != SMTP_SERVER_EV_NONE) {
		c = size ? data[(*k)++ % size] : 0;
		switch (ev.type) {
		case SMTP_SERVER_EV_COMMAND:
		case SMTP_SERVER_EV_DATA_END:
			smtp_server_envelope(s, &env);
			if (env.nrcpt > 0 && env.rcpts[env.nrcpt - 1] == NULL)
				abort();
			if (c % 8 == 0)
				smtp_server_reply(s, 450 + c % 3,
				    "4.0.0 no\nreally not");
			else if (c % 8 == 1)
				smtp_server_reply(s, 550, "5.0.0 no");
			else if (c % 8 == 2)
				smtp_server_reply(s, 250, "custom");
			else
				smtp_server_accept(s);
			break;
		case SMTP_SERVER_EV_DATA:
			if (ev.len == 0 || ev.data == NULL)
				abort();
			break;
		case SMTP_SERVER_EV_STARTTLS:
			if (c % 4 != 0)
				smtp_server_tls_started(s);
			break;
		default:
			break;
		}
		check_output(s);
	}
	check_output(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned long long sizes[] = { 0, 1, 10, 1000 };
	static const unsigned rcpt_maxes[] = { 0, 1, 2, 1000 };
	struct smtp_server_conf conf = { .hostname = "mx.fuzz",
	    .auth_mechs = "PLAIN" };
	struct smtp_server *s;
	size_t pos = 3, chunk, k = 0, n;

	if (size < 3)
		return 0;
	conf.caps = data[0] | (unsigned)(data[1] & 3) << 8;
	conf.size_max = sizes[(data[1] >> 2) & 3];
	conf.tls_active = (data[1] & 0x10) != 0;
	conf.rcpt_max = rcpt_maxes[(data[1] >> 5) & 3];
	chunk = data[2] % 64 + 1;
	if ((s = smtp_server_new(&conf)) == NULL)
		return 0;
	while (!smtp_server_closed(s)) {
		drain(s, data, size, &k);
		if (smtp_server_closed(s))
			break;
		if (!smtp_server_wants_input(s)) {
			/* only TLS_WAIT without the handshake may stall */
			if (strcmp(smtp_server_state_name(s), "TLS_WAIT") != 0)
				abort();
			break;
		}
		if (pos >= size) {
			smtp_server_eof(s);
			drain(s, data, size, &k);
			if (!smtp_server_closed(s))
				abort();
			break;
		}
		n = size - pos < chunk ? size - pos : chunk;
		smtp_server_feed(s, data + pos, n);
		pos += n;
	}
	smtp_server_free(s);
	return 0;
}
