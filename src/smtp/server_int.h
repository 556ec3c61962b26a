/*
 * server_int: the server engine's internals, shared by server.c (command
 * parsing, answers, events, the public functions), server_data.c (the
 * DATA phase and AUTH), server_bdat.c (CHUNKING) and server_param.c (MAIL
 * and RCPT parameters).  Not part of the public API: nothing outside
 * those files includes it; use smtp/server.h.
 *
 * Functions named srv_* live in server.c, srv_data_* and srv_auth_* in
 * server_data.c (the phases where client lines are not commands: message
 * data and AUTH responses), srv_bdat_* in server_bdat.c (a chunk's octets
 * are not lines at all) and srv_param_* in server_param.c.  Everything
 * else stays static.
 */
#ifndef POSTIE_SMTP_SERVER_INT_H
#define POSTIE_SMTP_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/sasl_server.h"
#include "smtp/server.h"

#define REPLY_TEXT_MAX 2048	/* one reply, built by the engine */
#define PARAM_TEXT_MAX 128	/* the reply to a bad MAIL/RCPT parameter */

enum state {
	ST_CONNECT,		/* greeting not yet answered */
	ST_INIT,		/* greeted, no HELO/EHLO yet */
	ST_READY,		/* HELO/EHLO done, no transaction */
	ST_MAIL,		/* MAIL accepted, no RCPT yet */
	ST_RCPT,		/* at least one RCPT accepted */
	ST_DATA,		/* 354 sent, receiving message data */
	ST_BDAT,		/* chunks in (or refused), LAST to come */
	ST_CHUNK,		/* reading the octets of a BDAT chunk */
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

/* What a BDAT chunk's octets do, decided when the command is answered. */
enum chunk_effect {
	CHUNK_TAKE,		/* handed out as EV_DATA: message text */
	CHUNK_SKIP,		/* discarded; the state stays as it was */
	CHUNK_VOID,		/* discarded, the message with it */
	CHUNK_END		/* discarded, the transaction ends (LAST) */
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
	bool cmd_syntax_ok;	/* MAIL/RCPT path parsed, BDAT args */
	unsigned long long cmd_size;	/* MAIL SIZE=, 0 when absent */
	bool cmd_nonascii;	/* MAIL/RCPT path holds bytes >= 0x80 */
	bool cmd_smtputf8;	/* MAIL SMTPUTF8 */
	bool cmd_binary;	/* MAIL BODY=BINARYMIME */
	int param_code;		/* 0, or the reply to a bad parameter */
	char param_text[PARAM_TEXT_MAX];
	bool chunk_size_ok;	/* BDAT: the size was read (octets follow) */
	bool chunk_last;	/* BDAT: LAST */
	unsigned long long chunk_size;	/* BDAT: octets announced */
	char line[SMTP_SERVER_LINE_MAX + 1];
	char parts[SMTP_SERVER_LINE_MAX + 4];	/* verb\0arg\0params\0 */
	const char *verb, *arg, *params;
	char text[REPLY_TEXT_MAX];	/* engine replies built on the fly */

	/* Session and transaction. */
	char *helo;
	char *mail_from;
	char **rcpts;
	size_t nrcpt;
	bool txn_smtputf8;	/* MAIL carried SMTPUTF8 (RFC 6531) */
	bool txn_binary;	/* MAIL carried BODY=BINARYMIME (RFC 3030) */
	bool data_tried;	/* DATA was sent in this transaction */
	bool bdat_failed;	/* a chunk was refused: later ones are too */
	int bdat_err_code;	/* ... with this reply */
	char bdat_err[REPLY_TEXT_MAX];

	/* Data phase. */
	enum data_pos dpos;
	unsigned long long msg_size;	/* unstuffed bytes received */
	bool too_big;

	/* BDAT chunk being read (server_bdat.c). */
	enum chunk_effect chunk_effect;
	enum state chunk_from;		/* the state before the chunk */
	unsigned long long chunk_left;	/* octets still to read */
	bool chunk_count_error;		/* count an error at its end */
	bool out_held;		/* out[out_hold..] waits for the end of
				 * the chunk (RFC 3030 2) */
	size_t out_hold;

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

/* --- server_bdat.c: CHUNKING (RFC 3030) ---------------------------- */

/* split_line() of BDAT: the size and LAST into s->chunk_*. */
void srv_bdat_parse(struct smtp_server *);
/* What accept() answers to BDAT; *error: the client broke the protocol. */
void srv_bdat_check(struct smtp_server *, int *code, const char **text,
    bool *error);
/* Answer BDAT (text NULL: the engine's own reply) and read its chunk. */
void srv_bdat_answer(struct smtp_server *, int, const char *);
/* ST_CHUNK: the next EV_DATA or EV_DATA_END; EV_NONE when input is
 * needed, or when the chunk ended without an event (state changed). */
enum smtp_server_event_type srv_bdat_next(struct smtp_server *,
    struct smtp_server_event *);
/* Whether the unparsed input lets srv_bdat_next() make progress. */
bool srv_bdat_decidable(const struct smtp_server *);
/* The output the driver may take now (the reply to a chunk being read
 * waits for its last octet). */
size_t srv_bdat_out_len(const struct smtp_server *);
/* The driver took n bytes of output. */
void srv_bdat_out_taken(struct smtp_server *, size_t);
/* The session ends inside a chunk: its reply never leaves. */
void srv_bdat_drop_held(struct smtp_server *);

/* --- server_param.c: MAIL and RCPT arguments ------------------------- */

/*
 * split_line() of MAIL or RCPT: the path in after ("FROM:<path> params")
 * into dst, s->arg and s->params; cmd_syntax_ok false when it is bad
 * (UTF-8 included), cmd_nonascii when it holds bytes >= 0x80.
 */
void srv_param_path(struct smtp_server *, const char *after, char *dst);
/*
 * Then s->params, against what conf.caps offers (RFC 5321 4.1.1.11:
 * unknown or not offered 555, bad or repeated 501) into
 * s->param_code/param_text; fills cmd_size, cmd_smtputf8, cmd_binary.
 */
void srv_param_parse(struct smtp_server *, bool mail);

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
