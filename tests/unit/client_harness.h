/*
 * client_harness: drives the client engine (smtp/client.h) against
 * scripted server bytes for the t_client* tests.  Each scenario checks
 * the exact bytes the engine sends and the exact sequence of events.
 *
 * Event log tokens: READY BODY TLS DONE, R<i>:<OK|TEMP|PERM>:<code>
 * (code 0: no reply; ":D" after it when the recipient was deferred, 452
 * too many recipients), T:<outcome>:<accepted>, F:<err kind>.
 */
#ifndef POSTIE_TESTS_CLIENT_HARNESS_H
#define POSTIE_TESTS_CLIENT_HARNESS_H

#include <stdbool.h>

#include "smtp/client.h"
#include "util/buf.h"

#define EHLO_PIPE "250-mx.example hi\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
#define EHLO_PLAIN "250-mx.example hi\r\n250 8BITMIME\r\n"

/* Feed server replies one byte at a time instead of whole. */
extern bool bytewise;

struct h {
	struct smtp_client *c;
	const struct smtp_client_txn *txn[3];
	size_t ntxn, next_txn;
	const char *body;
	bool auto_tls;
	bool quit_at_ready;
	char ev[1024];
	char fail_text[ERR_MSG_MAX];
	char rcpt_text[ERR_MSG_MAX];	/* text of the last EV_RCPT */
	struct buf trace;
};

void h_init(struct h *, const char *helo, enum smtp_client_tls,
    struct smtp_sasl *);
void h_free(struct h *);
/* Take every event, answering the ones that need an answer. */
void drain(struct h *);
/* Server bytes in (whole or bytewise), then events. */
void srv(struct h *, const char *);
/* The output since the last call must be exactly want. */
void out_is(struct h *, const char *want, const char *name);
/* The events since the last call must be exactly want. */
void ev_is(struct h *, const char *want, const char *name);
/* Greeting and EHLO with the given reply, up to READY. */
void h_ready(struct h *, const char *ehlo_reply, const char *name);

#endif
