/*
 * smtp_client: the client side of an SMTP session, sans-I/O.
 *
 * The engine never touches a file descriptor, clock, environment, global
 * or TLS session.  The driver (io/session, deliver/submit) moves bytes:
 *
 *     feed(server bytes) -> engine -> output(bytes to send) + events
 *
 * Loop, for the driver:
 *     while ((ev = next_event()) != NONE) act on it (may call the
 *         commands below);
 *     write everything output() holds (then output_consume());
 *     if smtp_client_wants_input(): read with the timeout for
 *         smtp_client_waiting(), feed it; on EOF call smtp_client_eof().
 *
 * Flow of one session:
 *     greeting -> EHLO (HELO when EHLO gets 500 or 502)
 *     [-> STARTTLS -> SMTP_CLIENT_EV_NEED_TLS -> tls_started() -> EHLO]
 *     [-> AUTH (conf.sasl)]
 *     -> SMTP_CLIENT_EV_READY
 *     then per transaction: smtp_client_mail() -> MAIL, RCPT..., DATA
 *     -> SMTP_CLIENT_EV_NEED_BODY -> body()... body_end()
 *     -> one SMTP_CLIENT_EV_RCPT per recipient (its final outcome)
 *     -> SMTP_CLIENT_EV_TXN_DONE -> READY again (or DONE after the last)
 *     smtp_client_quit() at READY ends the session -> SMTP_CLIENT_EV_DONE.
 *
 * Pipelining (RFC 2920) is a property of the engine: it keeps a queue of
 * sent-but-unanswered commands and matches replies in order.  With
 * PIPELINING offered, MAIL + every RCPT + DATA go out in one flight, and
 * for the last transaction (txn.last) the end-of-data dot and QUIT go out
 * together.  Without it, each command waits for its reply.
 *
 * CHUNKING (RFC 3030), when offered with PIPELINING, replaces DATA:
 * EV_NEED_BODY comes right after smtp_client_mail(), without a round trip,
 * and the body goes out as BDAT chunks (normalised, folded, not stuffed;
 * smtp/dotstuff.h).  A transaction with one recipient (or one that does
 * not abandon on a 4xx recipient) sends MAIL + RCPT + BDAT LAST (+ QUIT)
 * in one flight; otherwise BDAT LAST waits for the RCPT replies, and RSET
 * discards the chunks already sent if the transaction is called off.
 *
 * Too many recipients (RFC 5321 4.5.3.1.10): a RCPT answered 452 with no
 * enhanced code or 4.5.3 is "deferred": EV_RCPT TEMP with ev.deferred, it
 * does not call the transaction off (abandon_on_temp_rcpt), and when the
 * message was delivered to others the engine goes READY after the
 * transaction even when txn.last, for a further transaction with the
 * deferred recipients (or quit()).
 *
 * Failure: a 421 at any point, a timeout or EOF reported by the driver, a
 * malformed reply, a greeting or EHLO/HELO refused, or TLS required and
 * unavailable end the session with SMTP_CLIENT_EV_FAILED; when that
 * happens inside a transaction, each recipient not yet final first gets an
 * SMTP_CLIENT_EV_RCPT with the failure, then SMTP_CLIENT_EV_TXN_DONE.
 *
 * A reply when nothing is outstanding (including one to a dot not yet
 * sent) is a protocol error, except 421 (ERR_TEMP).  When the session
 * fails, queued READY, NEED_TLS and NEED_BODY events not yet taken are
 * dropped (the work they ask for is moot); outcome events are kept.
 *
 * Every event is returned exactly once; pointers in an event are borrowed
 * and valid until the next call into the engine.
 */
#ifndef POSTIE_SMTP_CLIENT_H
#define POSTIE_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/caps.h"
#include "smtp/reply.h"
#include "util/buf.h"
#include "util/err.h"

#define SMTP_LINE_MAX 512		/* RFC 5321 4.5.3.1.4, with CRLF */
#define SMTP_CLIENT_OUT_MAX (64u << 20)	/* output buffer cap */

struct smtp_sasl;	/* smtp/sasl.h: the AUTH seam */

enum smtp_client_tls {
	SMTP_CLIENT_TLS_NONE,		/* plain text */
	SMTP_CLIENT_TLS_STARTTLS,	/* STARTTLS required before anything */
	SMTP_CLIENT_TLS_IMPLICIT,	/* already TLS when the session starts */
	/* STARTTLS when the server offers it, else (or when it is refused)
	 * on in clear: opportunistic TLS for MX delivery (RFC 3207 4.1,
	 * RFC 7435).  Never with AUTH. */
	SMTP_CLIENT_TLS_MAY
};

/* Which reply the engine is waiting for: the driver maps it to a timeout
 * (RFC 5321 4.5.3.2). */
enum smtp_client_wait {
	SMTP_CLIENT_WAIT_NONE,		/* not waiting for the server */
	SMTP_CLIENT_WAIT_GREETING,	/* 5 min */
	SMTP_CLIENT_WAIT_COMMAND,	/* EHLO, STARTTLS, AUTH, RSET...: 5 min */
	SMTP_CLIENT_WAIT_MAIL,		/* 5 min */
	SMTP_CLIENT_WAIT_RCPT,		/* 5 min */
	SMTP_CLIENT_WAIT_DATA,		/* 354 to DATA: 2 min */
	SMTP_CLIENT_WAIT_DATA_END,	/* reply to the final dot: 10 min */
	SMTP_CLIENT_WAIT_QUIT
};

/* Transcript direction, for conf.trace. */
enum smtp_client_dir {
	SMTP_CLIENT_SENT,	/* a command line we sent (no CRLF) */
	SMTP_CLIENT_RECV,	/* a reply line we got (no CRLF) */
	SMTP_CLIENT_INFO	/* a note from the engine (state changes) */
};

struct smtp_client_conf {
	const char *helo_name;		/* EHLO argument; required */
	enum smtp_client_tls tls;
	struct smtp_sasl *sasl;		/* NULL: no AUTH; borrowed */
	/*
	 * Optional transcript hook, called synchronously.  Lines that carry
	 * secrets (AUTH payloads) arrive as "<redacted>".  Body lines are not
	 * traced.
	 */
	void (*trace)(void *arg, enum smtp_client_dir dir, const char *line,
	    size_t len);
	void *trace_arg;
};

/* One mail transaction; borrowed by the engine until SMTP_CLIENT_EV_TXN_DONE. */
struct smtp_client_txn {
	const char *mail_from;		/* reverse-path without <>; "" for null */
	const char *mail_params;	/* " SIZE=123 BODY=8BITMIME" or NULL */
	const char *const *rcpts;	/* forward-paths without <> */
	const char *const *rcpt_params;	/* per rcpt, or NULL for none */
	size_t nrcpt;			/* >= 1 */
	bool last;			/* QUIT follows this transaction */
	/*
	 * When a recipient gets a 4xx, send no message data at all: the
	 * transaction is abandoned (RSET, or the connection is closed when a
	 * pipelined DATA was already answered 354) and every recipient ends
	 * temporary.  For callers that cannot queue a partial delivery.
	 */
	bool abandon_on_temp_rcpt;
};

enum smtp_client_event_type {
	SMTP_CLIENT_EV_NONE,
	SMTP_CLIENT_EV_NEED_TLS,	/* STARTTLS accepted: start the handshake,
					 * then call smtp_client_tls_started() */
	SMTP_CLIENT_EV_READY,		/* idle: call mail() or quit() */
	SMTP_CLIENT_EV_NEED_BODY,	/* 354 received: call body()/body_end() */
	SMTP_CLIENT_EV_RCPT,		/* final outcome of one recipient */
	SMTP_CLIENT_EV_TXN_DONE,	/* the transaction is over */
	SMTP_CLIENT_EV_DONE,		/* session closed cleanly: close socket */
	SMTP_CLIENT_EV_FAILED		/* session failed: close socket */
};

/* Outcome of a recipient or a transaction. */
enum smtp_client_outcome {
	SMTP_CLIENT_OK,			/* message accepted for it */
	SMTP_CLIENT_TEMP,		/* try again later */
	SMTP_CLIENT_PERM		/* do not try again */
};

struct smtp_client_event {
	enum smtp_client_event_type type;
	/* EV_RCPT: which recipient of the current txn */
	size_t rcpt_index;
	/* EV_RCPT, TEMP: 452 too many recipients (see above) */
	bool deferred;
	/* EV_RCPT, EV_TXN_DONE, EV_FAILED */
	enum smtp_client_outcome outcome;
	/*
	 * EV_RCPT, EV_TXN_DONE, EV_FAILED: the server reply that decided it,
	 * or NULL when no reply did (timeout, EOF, protocol error)...
	 */
	const struct smtp_reply *reply;
	/* ...and always a one-line printable description of the outcome,
	 * e.g. "550 5.1.1 no such user" or "connection closed by server". */
	const char *text;
	/*
	 * EV_TXN_DONE: recipients the message was delivered to (EV_RCPT
	 * outcome OK).  Its outcome is OK when accepted > 0, else TEMP when
	 * any recipient is TEMP, else PERM.  EV_FAILED: outcome is TEMP for
	 * ERR_TEMP, PERM otherwise.
	 */
	size_t accepted;
	/* EV_TXN_DONE: MAIL was refused (the reply that decided everyone). */
	bool mail_refused;
	/* EV_FAILED: what kind of failure (ERR_TEMP, ERR_PROTOCOL, ...) */
	enum err_kind err;
};

struct smtp_client;

/* A new engine; copies conf (strings stay borrowed).  NULL on ENOMEM. */
struct smtp_client *smtp_client_new(const struct smtp_client_conf *conf);
void smtp_client_free(struct smtp_client *c);	/* c may be NULL */

/* Server bytes in.  Processing happens here; events queue up. */
void smtp_client_feed(struct smtp_client *c, const void *data, size_t n);
/*
 * The server closed the connection, or the driver gave up on it (timeout,
 * failed write).  Everything queued for output is dropped: nothing more
 * may be written on that connection.
 */
void smtp_client_eof(struct smtp_client *c, const char *why);

/* Next queued event into *ev; returns ev->type (EV_NONE when none). */
enum smtp_client_event_type smtp_client_next_event(struct smtp_client *c,
    struct smtp_client_event *ev);

/* Bytes to send: borrowed, valid until the next call into the engine. */
const void *smtp_client_output(struct smtp_client *c, size_t *len);
void smtp_client_output_consume(struct smtp_client *c, size_t n);

/* Whether the engine waits for server bytes now, and for what. */
bool smtp_client_wants_input(const struct smtp_client *c);
enum smtp_client_wait smtp_client_waiting(const struct smtp_client *c);

/* After EV_NEED_TLS, once the handshake succeeded.  EHLO is sent again and
 * every capability learned before is forgotten (RFC 3207 4.2). */
void smtp_client_tls_started(struct smtp_client *c);
/* After EV_NEED_TLS, when the handshake failed: session fails (EV_FAILED). */
void smtp_client_tls_failed(struct smtp_client *c, const char *why);

/*
 * At EV_READY: start a transaction.  ERR_OK, ERR_OS when out of memory,
 * or ERR_SOFTWARE when not ready (also while events of the previous
 * transaction are not all taken) or the txn is invalid (no recipient, a
 * path with CR/LF/<>/NUL, params with CR/LF, a command line over
 * SMTP_LINE_MAX).  Once ERR_OK is returned the transaction is taken and
 * every outcome, even a failure while queuing its commands, arrives as
 * events.
 */
enum err_kind smtp_client_mail(struct smtp_client *c,
    const struct smtp_client_txn *txn, struct err *e);

/*
 * After EV_NEED_BODY: message bytes, any split, raw or normalised: they are
 * normalised and dot-stuffed (smtp/dotstuff.h).  Returns -1 when the output
 * buffer cap is hit: write out pending output first (feed a chunk, flush,
 * repeat); nothing is consumed then.  body_end() sends the final dot (and
 * QUIT with it when the transaction is the last and PIPELINING is on).
 * Outside NEED_BODY (e.g. after the session failed) both do nothing and
 * return 0.
 */
int smtp_client_body(struct smtp_client *c, const void *data, size_t n);
int smtp_client_body_end(struct smtp_client *c);

/*
 * After EV_NEED_BODY: give up on this transaction without sending data
 * (the only safe way out after 354 is to drop the connection: the engine
 * fails the session, EV_RCPT TEMP for every recipient, EV_TXN_DONE, then
 * EV_FAILED).
 */
void smtp_client_abort(struct smtp_client *c, const char *why);

/* Whether the current transaction sends its body with BDAT. */
bool smtp_client_bdat(const struct smtp_client *c);

/* At EV_READY: send QUIT; EV_DONE follows its reply (or EOF). */
void smtp_client_quit(struct smtp_client *c);

/* Capabilities in force now (after TLS: only those learned after). */
const struct smtp_caps *smtp_client_caps(const struct smtp_client *c);

/* Name of the engine's current state, for -v and tests. */
const char *smtp_client_state_name(const struct smtp_client *c);

#endif
