/*
 * server_int: the server engine's internals, shared by server.c (command
 * parsing, answers, events, the public functions) and server_data.c (the
 * data phase).  Not part of the public API: nothing outside those two
 * files includes it; use smtp/server.h.
 *
 * Functions named srv_* live in server.c, srv_data_* in server_data.c;
 * each is used by the other file too.  Everything else stays static.
 */
#ifndef POSTIE_SMTP_SERVER_INT_H
#define POSTIE_SMTP_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/server.h"

#define REPLY_TEXT_MAX 2048	/* one reply, built by the engine */

enum state {
	ST_CONNECT,		/* greeting not yet answered */
	ST_INIT,		/* greeted, no HELO/EHLO yet */
	ST_READY,		/* HELO/EHLO done, no transaction */
	ST_MAIL,		/* MAIL accepted, no RCPT yet */
	ST_RCPT,		/* at least one RCPT accepted */
	ST_DATA,		/* 354 sent, receiving message data */
	ST_TLS_WAIT,		/* 220 to STARTTLS sent, handshake pending */
	ST_CLOSED,
	ST_COUNT
};

/* What awaits the driver's answer. */
enum pending {
	PEND_NONE,
	PEND_CMD,
	PEND_DATA_END
};

/* Where the data scanner is (RFC 5321 4.5.2 unstuffing). */
enum data_pos {
	DATA_BOL,		/* at a line start: "." is special */
	DATA_TEXT,		/* inside a line */
	DATA_CR			/* inside a line, last byte was CR */
};

struct smtp_server {
	struct smtp_server_conf conf;
	enum state state;
	enum pending pending;
	bool eof;		/* the client closed its side */
	bool close_due;		/* EV_CLOSE not yet returned */
	bool starttls_due;	/* EV_STARTTLS not yet returned */
	bool discarding;	/* dropping the rest of a too long line */
	unsigned nerrors;

	struct buf in;		/* client bytes; in.data[in_pos..] unparsed */
	size_t in_pos;
	struct buf out;		/* replies not yet taken by the driver */

	/* The command awaiting an answer (event pointers point here). */
	enum smtp_server_cmd cmd;
	bool cmd_syntax_ok;	/* MAIL/RCPT path parsed */
	unsigned long long cmd_size;	/* MAIL SIZE=, 0 when absent */
	char line[SMTP_SERVER_LINE_MAX + 1];
	char parts[SMTP_SERVER_LINE_MAX + 4];	/* verb\0arg\0params\0 */
	const char *verb, *arg, *params;
	char text[REPLY_TEXT_MAX];	/* engine replies built on the fly */

	/* Session and transaction. */
	char *helo;
	char *mail_from;
	char **rcpts;
	size_t nrcpt;

	/* Data phase. */
	enum data_pos dpos;
	unsigned long long msg_size;	/* unstuffed bytes received */
	bool too_big;
};


/* --- server.c ------------------------------------------------------- */

/* The one place the session state changes.  CLOSED is final. */
void srv_set_state(struct smtp_server *, enum state);
/* CLOSED now; EV_CLOSE is due. */
void srv_close_session(struct smtp_server *);
/* Forget the sender, the recipients and the data's size. */
void srv_txn_reset(struct smtp_server *);
/* Queue a reply ("\n" separates lines); a full output ends the session. */
void srv_put_reply(struct smtp_server *, int, const char *);

/* --- server_data.c: the data phase ---------------------------------- */

/* A positive answer to DATA: the data starts, at a line start. */
void srv_data_start(struct smtp_server *);
/* The next EV_DATA chunk or EV_DATA_END; EV_NONE when input is needed. */
enum smtp_server_event_type srv_data_next(struct smtp_server *,
    struct smtp_server_event *);
/* Whether the unparsed input lets srv_data_next() make progress. */
bool srv_data_decidable(const struct smtp_server *);
/* Answer the data end (text NULL: the engine's own reply). */
void srv_data_end_answer(struct smtp_server *, int, const char *);

#endif
