/*
 * client_int: the client engine's internals, shared by client.c (the
 * session) and client_txn.c (the mail transaction).  Not part of the
 * public API: nothing outside those two files includes it; use
 * smtp/client.h.
 *
 * Functions named cl_* live in client.c, cl_txn_* in client_txn.c; each
 * is used by the other file too.  Everything else stays static.
 */
#ifndef POSTIE_SMTP_CLIENT_INT_H
#define POSTIE_SMTP_CLIENT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/client.h"
#include "smtp/dotstuff.h"

#define CLIENT_TEXT_MAX ERR_MSG_MAX	/* event texts */
#define CLIENT_EVQ_MAX 8		/* queued events; a few at most */
/*
 * BDAT: a chunk goes out once it holds CLIENT_CHUNK bytes; body() works
 * in pieces of CLIENT_CHUNK_PIECE, each at most doubling (normalising),
 * so the chunk buffer never needs more than CLIENT_CHUNK_MAX.
 */
#define CLIENT_CHUNK (256u << 10)
#define CLIENT_CHUNK_PIECE (64u << 10)
#define CLIENT_BODY_SLACK 16		/* CRLF . CRLF QUIT CRLF, a fold */
#define CLIENT_CHUNK_MAX (CLIENT_CHUNK + 2 * CLIENT_CHUNK_PIECE + \
	CLIENT_BODY_SLACK)

enum state {
	ST_GREETING,	/* connected, waiting for the greeting */
	ST_EHLO,
	ST_HELO,
	ST_STARTTLS,
	ST_TLS,		/* EV_NEED_TLS out, waiting for tls_started() */
	ST_AUTH,
	ST_READY,	/* idle between transactions */
	ST_ENVELOPE,	/* MAIL, RCPT, DATA sent */
	ST_BODY,	/* 354 received, body() calls */
	ST_BDAT_HOLD,	/* BDAT: body ended, LAST waits for the RCPT replies */
	ST_DATA_END,	/* final dot (or BDAT LAST) sent */
	ST_RSET,
	ST_QUIT,
	ST_DONE,
	ST_FAILED,
	ST_COUNT
};

/* A sent command waiting for its reply. */
enum cmd {
	CMD_GREETING,	/* not sent: the server speaks first */
	CMD_EHLO,
	CMD_HELO,
	CMD_STARTTLS,
	CMD_AUTH,	/* AUTH or a response to a 334 */
	CMD_MAIL,
	CMD_RCPT,
	CMD_DATA,
	CMD_DOT,	/* end of message data */
	CMD_LONE_DOT,	/* "." after a 354 with no recipient (RFC 2920) */
	CMD_BDAT,	/* a chunk of message data (RFC 3030) */
	CMD_BDAT_LAST,	/* the last chunk: answered like the final dot */
	CMD_RSET,
	CMD_QUIT
};

struct pending {
	enum cmd cmd;
	size_t rcpt;	/* CMD_RCPT: recipient index */
};

struct rcpt_state {
	enum smtp_client_outcome outcome;
	bool final;			/* outcome known */
	bool accepted;			/* RCPT got 2xx */
	bool deferred;			/* 452 too many recipients */
	const struct smtp_reply *reply;	/* deciding reply (pool) or NULL */
};

struct txn_state {
	const struct smtp_client_txn *t;	/* NULL: none */
	struct rcpt_state *rc;
	bool pipelined;
	bool mail_failed;
	bool any_temp;			/* a RCPT got 4xx (not "too many") */
	bool any_deferred;		/* a RCPT got 452 too many recipients */
	size_t naccepted;		/* RCPTs that got 2xx */
	size_t nreplied;		/* RCPTs answered so far */
	bool quit_sent;			/* QUIT went out with the data's end */
	/* BDAT (RFC 3030), used with CHUNKING and PIPELINING: */
	bool bdat;
	bool data_failed;		/* a chunk was refused */
	const struct smtp_reply *temp_reply;	/* first RCPT 4xx */
	const struct smtp_reply *final_reply;	/* for EV_TXN_DONE */
	char note[CLIENT_TEXT_MAX];	/* text when there is no reply */
	bool emitted;			/* events queued */
	bool emit_pending;		/* ...and not all handed out yet */
	size_t emit_next;		/* next EV_RCPT to hand out */
	struct smtp_reply **pool;	/* owned reply copies */
	size_t npool, pool_cap;
};

struct smtp_client {
	struct smtp_client_conf conf;
	enum state state;
	struct smtp_reply_parser parser;
	struct buf out;
	bool out_secret;		/* out held an AUTH payload */
	struct pending *q;		/* outstanding commands, FIFO */
	size_t q_head, q_len, q_cap;
	/* Queued event types; SMTP_CLIENT_EV_RCPT stands for the whole
	 * expansion of the transaction (each EV_RCPT, then EV_TXN_DONE). */
	enum smtp_client_event_type evq[CLIENT_EVQ_MAX];
	size_t ev_head, ev_len;
	struct buf text;		/* the last event's text */
	struct smtp_caps caps;
	bool tls_on;
	bool tls_refused;	/* TLS_MAY: STARTTLS refused, on in clear */
	bool auth_done;
	unsigned auth_steps;
	struct buf auth_pending;	/* initial response sent after 334 */
	size_t feed_rest;		/* bytes after the reply being handled */
	struct dotstuff ds;
	struct buf chunk;		/* BDAT: the chunk being filled */
	struct txn_state txn;
	char fail_text[CLIENT_TEXT_MAX];
	enum err_kind fail_kind;
	struct smtp_reply fail_reply;
	bool has_fail_reply;
};

/* --- client.c: plumbing, failure, the session ----------------------- */

void cl_trace(struct smtp_client *, enum smtp_client_dir, const char *);
bool cl_terminal(const struct smtp_client *);
void cl_set_state(struct smtp_client *, enum state);
void cl_queue_event(struct smtp_client *, enum smtp_client_event_type);
/* Room for n more outstanding commands; -1 when out of memory. */
int cl_pend_reserve(struct smtp_client *, size_t);
int cl_pend_push(struct smtp_client *, enum cmd, size_t);
int cl_put_line(struct smtp_client *, const char *, const char *,
    const char *, bool);
/* Send one command (RFC 5321 4.5.3.1.4: at most SMTP_LINE_MAX with CRLF)
 * and expect its reply; -1 after failing the session. */
int cl_send_cmd(struct smtp_client *, enum cmd, size_t, const char *, ...)
    __attribute__((format(printf, 4, 5)));
void cl_format_reply(struct buf *, const struct smtp_reply *);
/* End the session with EV_FAILED (see client.c). */
void cl_fail(struct smtp_client *, enum err_kind, const struct smtp_reply *,
    const char *, ...)
    __attribute__((format(printf, 4, 5)));
void cl_unexpected(struct smtp_client *, const struct smtp_reply *,
    const char *);
/* Idle between transactions: EV_READY. */
void cl_go_ready(struct smtp_client *);

/* --- client_txn.c: the mail transaction ----------------------------- */

/* Free the transaction's bookkeeping and zero it. */
void cl_txn_reset(struct smtp_client *);
/* The session fails: settle and emit an open transaction. */
void cl_txn_fail(struct smtp_client *, const struct smtp_reply *);
/* The replies to MAIL, RCPT (recipient index), DATA, the dot, a lone
 * dot and RSET. */
void cl_txn_on_mail(struct smtp_client *, const struct smtp_reply *);
void cl_txn_on_rcpt(struct smtp_client *, const struct smtp_reply *, size_t);
void cl_txn_on_data(struct smtp_client *, const struct smtp_reply *);
void cl_txn_on_dot(struct smtp_client *, const struct smtp_reply *);
void cl_txn_on_lone_dot(struct smtp_client *, const struct smtp_reply *);
void cl_txn_on_rset(struct smtp_client *, const struct smtp_reply *);
/* The reply to a BDAT chunk that is not the last (the last one goes to
 * cl_txn_on_dot). */
void cl_txn_on_bdat(struct smtp_client *, const struct smtp_reply *);
/* The next EV_RCPT of the emitted transaction, or its EV_TXN_DONE. */
void cl_txn_next_event(struct smtp_client *, struct smtp_client_event *);

#endif
