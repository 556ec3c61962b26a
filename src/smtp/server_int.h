/*
 * server_int: the server engine's internals, shared by server.c (command
 * parsing, answers, events, the public functions) and server_data.c (the
 * data phase).  Not part of the public API: nothing outside those two
 * files includes it; use smtp/server.h.
 *
 * Functions named srv_* live in server.c, srv_data_* and srv_auth_* in
 * server_data.c (the two phases where client lines are not commands:
 * message data and AUTH responses); each is used by the other file too.
 * Everything else stays static.
 */
#ifndef POSTIE_SMTP_SERVER_INT_H
#define POSTIE_SMTP_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/sasl_server.h"
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
	ST_AUTH,		/* 334 sent, waiting for an AUTH response */
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

	/* AUTH (server_data.c). */
	struct smtp_sasl_server *sasl;	/* the exchange in progress */
	struct smtp_sasl_server_conf auth_conf;	/* its conf */
	char *auth_user;		/* NULL: not authenticated */
	bool auth_done_due;		/* EV_AUTH_DONE not yet returned */
	bool wipe_due;			/* line/parts/in held AUTH data */
	size_t line_off;		/* where s->line began in s->in */
	size_t wipe_off, wipe_len;	/* the input bytes to wipe */
	char auth_adv[SMTP_CAPS_AUTH_MAX];	/* the advertised list */
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
/* One more bad command; too many end the session with 421. */
void srv_count_error(struct smtp_server *);
/* 1 when a whole line was taken into s->line; 0: need more input. */
int srv_take_line(struct smtp_server *);

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

/* --- server_data.c: the AUTH exchange ------------------------------- */

/* The mechanisms to advertise ("" when none); borrowed from s. */
const char *srv_auth_mechs(struct smtp_server *);
/* What accept() answers to the AUTH command: 0 when it may start. */
int srv_auth_check(struct smtp_server *, int *code, const char **text);
/* accept() of AUTH: the first step, with the initial response if any. */
void srv_auth_start(struct smtp_server *);
/* ST_AUTH: the next response line -> EV_AUTH_LINE (or EV_NONE). */
enum smtp_server_event_type srv_auth_next(struct smtp_server *,
    struct smtp_server_event *);
/* End the exchange (a too long line); back to READY. */
void srv_auth_abort(struct smtp_server *);
/* Forget the authentication and any exchange (STARTTLS, free). */
void srv_auth_reset(struct smtp_server *);
/* Wipe what held AUTH payloads, if anything did: at each entry. */
void srv_auth_wipe(struct smtp_server *);

#endif
