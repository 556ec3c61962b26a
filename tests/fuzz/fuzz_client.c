/*
 * fuzz_client: a client engine with a fixed transaction, fed arbitrary
 * server bytes, driven the way a driver would (mail() at the first READY,
 * body()/body_end() at NEED_BODY, tls_started() at NEED_TLS, quit() at a
 * later READY).  The first byte picks the configuration and the chunk
 * size.  It must never crash or leak, and never send a bare LF.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "smtp/client.h"
#include "smtp/sasl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const rcpts[] = { "b@y.example", "c@y.example",
    "d@z.example" };

static void
drive(struct smtp_client *c, const struct smtp_client_txn *txn, bool *started)
{
	struct smtp_client_event ev;
	static const char body[] = "Subject: x\r\n\r\n.hello\n..\r\n";
	struct err e;

	while (smtp_client_next_event(c, &ev) != SMTP_CLIENT_EV_NONE) {
		if (ev.text == NULL)
			__builtin_trap();
		switch (ev.type) {
		case SMTP_CLIENT_EV_READY:
			if (!*started) {
				*started = true;
				(void)smtp_client_mail(c, txn, &e);
			} else {
				smtp_client_quit(c);
			}
			break;
		case SMTP_CLIENT_EV_NEED_BODY:
			(void)smtp_client_body(c, body, sizeof(body) - 1);
			(void)smtp_client_body_end(c);
			break;
		case SMTP_CLIENT_EV_NEED_TLS:
			smtp_client_tls_started(c);
			break;
		default:
			break;
		}
	}
}

/* Nothing the engine writes may hold a bare LF. */
static void
flush(struct smtp_client *c)
{
	const char *p;
	size_t len, i;

	p = smtp_client_output(c, &len);
	for (i = 0; i < len; i++)
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			__builtin_trap();
	smtp_client_output_consume(c, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_client_txn txn = { "a@x.example", " BODY=8BITMIME", rcpts,
	    NULL, 3, false, false };
	struct smtp_sasl_conf sc = { .user = "user", .allow_plaintext = true };
	struct smtp_client_conf conf;
	struct smtp_sasl *sasl = NULL;
	struct smtp_client *c;
	struct secret pw;
	bool started = false;
	size_t split, n;
	uint8_t cfg;

	if (size == 0)
		return 0;
	cfg = data[0];
	data++;
	size--;
	secret_init(&pw);
	(void)secret_set(&pw, "pass", 4);
	sc.password = &pw;
	if (cfg & 0x04) {
		sc.mech = (cfg & 0x08) ? "LOGIN" : NULL;
		sasl = smtp_sasl_new(&sc);
	}
	memset(&conf, 0, sizeof(conf));
	conf.helo_name = "client.example";
	conf.tls = (enum smtp_client_tls)(cfg & 0x03) % 3;
	conf.sasl = sasl;
	txn.last = (cfg & 0x10) != 0;
	txn.abandon_on_temp_rcpt = (cfg & 0x20) != 0;
	split = (cfg >> 6) == 3 ? 1 : 64u << (cfg >> 6);
	if ((c = smtp_client_new(&conf)) == NULL)
		goto out;
	while (size > 0) {
		n = size < split ? size : split;
		smtp_client_feed(c, data, n);
		data += n;
		size -= n;
		drive(c, &txn, &started);
		flush(c);
		(void)smtp_client_waiting(c);
		(void)smtp_client_state_name(c);
	}
	smtp_client_eof(c, "end of input");
	drive(c, &txn, &started);
	flush(c);
	smtp_client_free(c);
out:
	smtp_sasl_free(sasl);
	secret_free(&pw);
	return 0;
}
