/*
 * smtp_server: the server side of an SMTP session, sans-I/O; the mirror of
 * smtp_client.  It serves `postie -bs` and the test server smtp-testd.
 *
 *     feed(client bytes) -> engine -> output(replies) + events
 *
 * Commands are parsed one at a time, in order, even when the client
 * pipelines them: after a command event the engine parses nothing more
 * until the driver answers it, either with smtp_server_accept() (the
 * engine's standard reply and state change) or with smtp_server_reply()
 * (a reply of the driver's choosing: a 2xx/3xx code makes the state
 * change when the engine itself would accept the command, and a 354 to
 * DATA does even when no recipient was accepted, as RFC 2920 3.1 allows;
 * any other code changes nothing).  That is
 * the check/act hook: the driver sees every command before it takes
 * effect.  The driver writes output when the engine has no command left
 * to parse (smtp_server_wants_input() true), so replies to a pipelined
 * group leave in one write (RFC 2920).
 *
 * Message data after 354 is dot-unstuffed and handed out as
 * SMTP_SERVER_EV_DATA chunks, exactly as the bytes arrived (CRLF kept;
 * only the final "\r\n.\r\n" ends the data, a bare "\n.\n" does not).
 * SMTP_SERVER_EV_DATA_END then awaits the driver's answer like a command.
 *
 * CHUNKING (RFC 3030), when conf.caps has SMTP_CAP_CHUNKING: "BDAT
 * <size> [LAST]" is an EV_COMMAND (ev.arg "<size> [LAST]") answered like
 * any other, but exactly <size> raw octets follow its line whatever the
 * answer: no unstuffing, no end marker.  When the answer takes the chunk
 * (the engine's verdict and the driver's code both 2xx), its octets come
 * out as EV_DATA; otherwise they are read and dropped.  The reply to a
 * chunk ("250 2.0.0 <n> octets received" or a refusal) leaves only after
 * its last octet: smtp_server_output() holds it back until then.  A taken
 * BDAT LAST gets no reply of its own: after its octets, EV_DATA_END awaits
 * the answer like the final dot (a 2xx answer to the command itself only
 * lets the data in).  BDAT needs MAIL ("503 5.5.1") and an accepted RCPT
 * ("554 5.5.1"); DATA and BDAT do not mix in one transaction (503); a
 * chunk that would pass conf.size_max is refused "552 5.3.4".  A chunk
 * refused inside a transaction voids the message: every later BDAT of it
 * gets the same reply, and a refused BDAT LAST ends the transaction.
 * RSET, HELO or EHLO between chunks drops the message.  A size that is
 * not digits or exceeds SMTP_SERVER_CHUNK_MAX gets "501 5.5.4" and the
 * session ends (421): where the next command starts is unknown.  Without
 * CHUNKING offered, BDAT gets "502 5.5.1" and its octets, when its size
 * reads, are still skipped, so they are never taken for commands.
 *
 * Message data handed out since MAIL makes the message only at
 * EV_DATA_END; a transaction that ends otherwise (RSET, HELO/EHLO, a
 * refused BDAT LAST) voids it.
 *
 * Parameters (RFC 5321 4.1.1.11): MAIL takes SIZE= (SIZE), BODY=7BIT
 * (8BITMIME or BINARYMIME), BODY=8BITMIME (8BITMIME), BODY=BINARYMIME
 * (BINARYMIME; DATA then gets 503), SMTPUTF8 (SMTPUTF8), RET= and ENVID=
 * (DSN), AUTH= (AUTH); RCPT takes NOTIFY= and ORCPT= (DSN), each only
 * when the extension in brackets is offered: an unknown or not offered
 * one gets "555 5.5.4", a bad value or a repeated one "501 5.5.4".  A
 * path with bytes >= 0x80 must be UTF-8 (else 501) and needs SMTPUTF8 on
 * the transaction's MAIL (else "553 5.6.7", RFC 6531 3.5).
 *
 * Limits: a command line longer than SMTP_SERVER_LINE_MAX gets "500 5.5.2
 * line too long" and is discarded; message data over conf.size_max (when
 * not 0) is discarded and the data end gets "552 5.3.4".  A transaction
 * takes conf.rcpt_max recipients (0: 1000), more get "452 4.5.3"; a
 * conf.rcpt_max that is not 0 is announced as "LIMITS RCPTMAX=<n>"
 * (RFC 9422).
 *
 * AUTH (RFC 4954), when conf.auth is set: EHLO advertises "AUTH <mechs>"
 * (when conf.caps has SMTP_CAP_AUTH; the -PLUS mechanisms only while
 * conf.auth has channel binding data).  The AUTH command is an
 * EV_COMMAND like any other; accept() starts the exchange: "504 5.5.4"
 * for a mechanism not advertised, "503 5.5.1" when already
 * authenticated, before EHLO or inside a transaction.  Each "334"
 * challenge goes out, and each client response line comes back as
 * SMTP_SERVER_EV_AUTH_LINE (ev.line, the raw line: for the log only, it
 * needs no answer).  "*" cancels (501 5.0.0); success gives "235 2.7.0"
 * and SMTP_SERVER_EV_AUTH_DONE (ev.arg = the user); bad credentials
 * "535 5.7.8", bad syntax "501 5.5.2".  With conf.auth_required, MAIL
 * before AUTH gets "530 5.7.0".  STARTTLS forgets the authentication.
 * Without conf.auth, AUTH is answered 502 (and SMTP_CAP_AUTH advertises
 * conf.auth_mechs, a lure for client tests).  Lines that held AUTH
 * payloads are wiped by the next call into the engine.
 *
 * Events carry borrowed pointers valid until the next call into the
 * engine.
 */
#ifndef POSTIE_SMTP_SERVER_H
#define POSTIE_SMTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/caps.h"
#include "util/buf.h"

struct smtp_sasl_server_conf;	/* smtp/sasl_server.h */

#define SMTP_SERVER_LINE_MAX 4096
#define SMTP_SERVER_OUT_MAX (1u << 20)
/* Cap on buffered client input.  A driver that feeds only when
 * smtp_server_wants_input() holds stays far below it; passing it gets
 * "421 4.7.0" and the session closes. */
#define SMTP_SERVER_IN_MAX (8u << 20)
/* The largest BDAT chunk size read as one (10^12 octets); more is absurd
 * and gets 501. */
#define SMTP_SERVER_CHUNK_MAX 1000000000000ULL

enum smtp_server_cmd {
	SMTP_SERVER_CMD_UNKNOWN,	/* an unrecognised verb (accept: 500) */
	SMTP_SERVER_CMD_CONNECT,	/* the greeting (accept: 220) */
	SMTP_SERVER_CMD_HELO,
	SMTP_SERVER_CMD_EHLO,
	SMTP_SERVER_CMD_MAIL,
	SMTP_SERVER_CMD_RCPT,
	SMTP_SERVER_CMD_DATA,
	SMTP_SERVER_CMD_BDAT,
	SMTP_SERVER_CMD_RSET,
	SMTP_SERVER_CMD_NOOP,
	SMTP_SERVER_CMD_QUIT,
	SMTP_SERVER_CMD_VRFY,
	SMTP_SERVER_CMD_STARTTLS,
	SMTP_SERVER_CMD_AUTH,
	SMTP_SERVER_CMD_COUNT
};

struct smtp_server_conf {
	const char *hostname;		/* in the greeting and EHLO reply */
	unsigned caps;			/* enum smtp_cap bits to offer */
	unsigned long long size_max;	/* SIZE to announce and enforce; 0 none */
	const char *auth_mechs;		/* AUTH's list; NULL: all of
					 * smtp_sasl_server_mechs() (with
					 * auth), "PLAIN" (without) */
	bool tls_active;		/* session is TLS already (implicit TLS) */
	/* AUTH served (borrowed; read at each AUTH, so the driver may add
	 * channel binding data after a handshake); NULL: AUTH gets 502. */
	const struct smtp_sasl_server_conf *auth;
	bool auth_required;		/* MAIL before AUTH: 530 5.7.0 */
	/* Recipients a transaction takes (RCPT beyond: 452 4.5.3); 0: 1000,
	 * not announced; else announced as LIMITS RCPTMAX=n (RFC 9422). */
	unsigned rcpt_max;
};

enum smtp_server_event_type {
	SMTP_SERVER_EV_NONE,
	SMTP_SERVER_EV_COMMAND,	/* a command awaits accept() or reply() */
	SMTP_SERVER_EV_DATA,	/* message bytes (unstuffed; BDAT: raw) */
	SMTP_SERVER_EV_DATA_END, /* message complete: awaits accept()/reply() */
	SMTP_SERVER_EV_STARTTLS, /* 220 queued: flush it, handshake, then
				  * smtp_server_tls_started() */
	SMTP_SERVER_EV_CLOSE,	/* QUIT answered (flush, then close) */
	SMTP_SERVER_EV_AUTH_LINE, /* an AUTH response line (ev.line), already
				  * handled: for the log; no answer */
	SMTP_SERVER_EV_AUTH_DONE /* 235 queued; ev.arg = the user */
};

struct smtp_server_event {
	enum smtp_server_event_type type;
	enum smtp_server_cmd cmd;	/* EV_COMMAND */
	const char *verb;		/* EV_COMMAND: as sent, e.g. "MAIL" */
	const char *line;		/* EV_COMMAND: whole line without CRLF */
	const char *arg;		/* EV_COMMAND: the path for MAIL/RCPT
					 * (without <>), the domain for
					 * HELO/EHLO, else the rest of line
					 * (BDAT: "<size>[ LAST]") */
	const char *params;		/* EV_COMMAND: ESMTP parameters or "" */
	const void *data;		/* EV_DATA */
	size_t len;			/* EV_DATA */
	size_t msg_size;		/* EV_DATA_END: bytes received (BDAT:
					 * all chunks taken) */
};

/* Session state the driver may read (e.g. to record the envelope). */
struct smtp_server_envelope {
	const char *helo;		/* "" before HELO/EHLO */
	const char *mail_from;		/* NULL before MAIL */
	const char *const *rcpts;
	size_t nrcpt;
	bool smtputf8;			/* MAIL carried SMTPUTF8 */
};

struct smtp_server;

/*
 * A new engine.  Its first event is an EV_COMMAND with
 * SMTP_SERVER_CMD_CONNECT: accept() queues "220 <hostname> ESMTP ...",
 * reply() another greeting (a 554 or 421 greeting closes the session after
 * it).  conf is copied, its strings borrowed.  NULL on ENOMEM.
 */
struct smtp_server *smtp_server_new(const struct smtp_server_conf *conf);
void smtp_server_free(struct smtp_server *s);

void smtp_server_feed(struct smtp_server *s, const void *data, size_t n);
/* Client closed the connection. */
void smtp_server_eof(struct smtp_server *s);

enum smtp_server_event_type smtp_server_next_event(struct smtp_server *s,
    struct smtp_server_event *ev);

/* Answer the pending command or data end with the engine's reply. */
void smtp_server_accept(struct smtp_server *s);
/* Answer it with "code text" (text may hold "\n" for a multi-line reply). */
void smtp_server_reply(struct smtp_server *s, int code, const char *text);

/* The replies to send (borrowed, valid until the next call into the
 * engine); a BDAT chunk's reply is not among them before its last octet
 * came in. */
const void *smtp_server_output(struct smtp_server *s, size_t *len);
void smtp_server_output_consume(struct smtp_server *s, size_t n);

/* True when the engine has nothing left to parse and no pending answer. */
bool smtp_server_wants_input(const struct smtp_server *s);
/* True after QUIT was answered or the engine gave up on the client. */
bool smtp_server_closed(const struct smtp_server *s);

/* After EV_STARTTLS, once the handshake succeeded: state back to before
 * HELO/EHLO, and STARTTLS no longer offered. */
void smtp_server_tls_started(struct smtp_server *s);

/*
 * Replace conf.auth (NULL: AUTH no longer advertised nor served), e.g.
 * to add channel binding after a handshake.  Takes effect at the next
 * EHLO or AUTH; an exchange in progress keeps its own copy.
 */
void smtp_server_set_auth(struct smtp_server *s,
    const struct smtp_sasl_server_conf *auth);

/* The authenticated user (borrowed), or NULL before a successful AUTH. */
const char *smtp_server_auth_user(const struct smtp_server *s);

/* The envelope of the transaction in progress (borrowed). */
void smtp_server_envelope(const struct smtp_server *s,
    struct smtp_server_envelope *env);

/* Name of the current state, for transcripts and tests. */
const char *smtp_server_state_name(const struct smtp_server *s);

#endif
