#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/client.h"
#include "smtp/dotstuff.h"
#include "smtp/sasl.h"

#define CLIENT_AUTH_LINE_MAX 12288	/* RFC 4954 section 4 */
#define CLIENT_TEXT_MAX ERR_MSG_MAX	/* event texts */
#define CLIENT_EVQ_MAX 8		/* queued events; a few at most */
#define CLIENT_BODY_SLACK 16		/* finish: CRLF . CRLF QUIT CRLF */

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
	ST_DATA_END,	/* final dot sent */
	ST_RSET,
	ST_QUIT,
	ST_DONE,
	ST_FAILED,
	ST_COUNT
};

static const char *const state_names[ST_COUNT] = {
	[ST_GREETING] = "greeting",
	[ST_EHLO] = "ehlo",
	[ST_HELO] = "helo",
	[ST_STARTTLS] = "starttls",
	[ST_TLS] = "tls",
	[ST_AUTH] = "auth",
	[ST_READY] = "ready",
	[ST_ENVELOPE] = "envelope",
	[ST_BODY] = "body",
	[ST_DATA_END] = "data-end",
	[ST_RSET] = "rset",
	[ST_QUIT] = "quit",
	[ST_DONE] = "done",
	[ST_FAILED] = "failed",
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
	const struct smtp_reply *reply;	/* deciding reply (pool) or NULL */
};

struct txn_state {
	const struct smtp_client_txn *t;	/* NULL: none */
	struct rcpt_state *rc;
	bool pipelined;
	bool mail_failed;
	bool any_temp;			/* a RCPT got 4xx */
	size_t naccepted;		/* RCPTs that got 2xx */
	const struct smtp_reply *temp_reply;	/* first RCPT 4xx */
	const struct smtp_reply *final_reply;	/* for EV_TXN_DONE */
	char note[CLIENT_TEXT_MAX];	/* text when there is no reply */
	bool emitted;			/* events queued */
	bool emit_pending;		/* ...and not all handed out yet */
	size_t emit_next;		/* next EV_RCPT to hand out */
	struct smtp_reply **pool;	/* owned reply copies */
	size_t npool;
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
	bool auth_done;
	unsigned auth_steps;
	struct buf auth_pending;	/* initial response sent after 334 */
	size_t feed_rest;		/* bytes after the reply being handled */
	struct dotstuff ds;
	struct txn_state txn;
	char fail_text[CLIENT_TEXT_MAX];
	enum err_kind fail_kind;
	struct smtp_reply fail_reply;
	bool has_fail_reply;
};

static void fail(struct smtp_client *, enum err_kind,
    const struct smtp_reply *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* --- plumbing: trace, state, events, output, outstanding queue ---------- */

static void
trace(struct smtp_client *c, enum smtp_client_dir dir, const char *line)
{
	if (c->conf.trace != NULL)
		c->conf.trace(c->conf.trace_arg, dir, line, strlen(line));
}

static bool
terminal(const struct smtp_client *c)
{
	return c->state == ST_DONE || c->state == ST_FAILED;
}

static void
set_state(struct smtp_client *c, enum state st)
{
	char line[96];

	if ((unsigned)st >= ST_COUNT) {
		/* A bug: fail rather than run in an unknown state. */
		snprintf(line, sizeof(line), "bug: bad state %d", (int)st);
		trace(c, SMTP_CLIENT_INFO, line);
		st = ST_FAILED;
	}
	if (st == c->state)
		return;
	snprintf(line, sizeof(line), "state %s -> %s", state_names[c->state],
	    state_names[st]);
	trace(c, SMTP_CLIENT_INFO, line);
	c->state = st;
}

static void
queue_event(struct smtp_client *c, enum smtp_client_event_type type)
{
	/* At most a handful are ever queued (the engine stops after EV_DONE
	 * or EV_FAILED); a full queue would be a bug. */
	if (c->ev_len - c->ev_head >= CLIENT_EVQ_MAX) {
		trace(c, SMTP_CLIENT_INFO, "bug: event queue full");
		return;
	}
	if (c->ev_len == CLIENT_EVQ_MAX) {
		memmove(c->evq, c->evq + c->ev_head,
		    (c->ev_len - c->ev_head) * sizeof(c->evq[0]));
		c->ev_len -= c->ev_head;
		c->ev_head = 0;
	}
	c->evq[c->ev_len++] = type;
}

static int
pend_reserve(struct smtp_client *c, size_t n)
{
	struct pending *p;

	if (c->q_head > 0) {
		memmove(c->q, c->q + c->q_head,
		    (c->q_len - c->q_head) * sizeof(*c->q));
		c->q_len -= c->q_head;
		c->q_head = 0;
	}
	if (c->q_len + n <= c->q_cap)
		return 0;
	if (n > SIZE_MAX / 2 - c->q_len ||
	    (p = reallocarray(c->q, c->q_len + n, sizeof(*p))) == NULL)
		return -1;
	c->q = p;
	c->q_cap = c->q_len + n;
	return 0;
}

static int
pend_push(struct smtp_client *c, enum cmd cmd, size_t rcpt)
{
	if (c->q_len == c->q_cap && pend_reserve(c, 8) == -1)
		return -1;
	c->q[c->q_len].cmd = cmd;
	c->q[c->q_len].rcpt = rcpt;
	c->q_len++;
	return 0;
}

static bool
pend_empty(const struct smtp_client *c)
{
	return c->q_head == c->q_len;
}

static void
pend_clear(struct smtp_client *c)
{
	c->q_head = c->q_len = 0;
}

/*
 * Append a + b + CRLF to the output (b may be NULL), all or nothing, and
 * trace it (as trace_as when given: AUTH payloads).  -1 when out is full.
 */
static int
put_line(struct smtp_client *c, const char *a, const char *b,
    const char *trace_as, bool secret)
{
	size_t la = strlen(a), lb = b != NULL ? strlen(b) : 0;

	if (la + lb + 2 > c->out.max - c->out.len ||
	    buf_append(&c->out, a, la) == -1 ||
	    (lb > 0 && buf_append(&c->out, b, lb) == -1) ||
	    buf_append(&c->out, "\r\n", 2) == -1) {
		fail(c, ERR_SOFTWARE, NULL, "cannot queue a command");
		return -1;
	}
	if (secret)
		c->out_secret = true;
	if (trace_as != NULL) {
		trace(c, SMTP_CLIENT_SENT, trace_as);
	} else if (b == NULL) {
		trace(c, SMTP_CLIENT_SENT, a);
	} else {
		/* Only short lines ("*") reach here; AUTH passes trace_as. */
		char line[SMTP_LINE_MAX];

		snprintf(line, sizeof(line), "%s%s", a, b);
		trace(c, SMTP_CLIENT_SENT, line);
	}
	return 0;
}

/* Send one command (RFC 5321 4.5.3.1.4: at most SMTP_LINE_MAX with CRLF)
 * and expect its reply. */
static int send_cmd(struct smtp_client *, enum cmd, size_t, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static int
send_cmd(struct smtp_client *c, enum cmd cmd, size_t rcpt, const char *fmt,
    ...)
{
	char line[SMTP_LINE_MAX - 1];	/* CRLF included in the limit */
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		fail(c, ERR_SOFTWARE, NULL, "command line too long");
		return -1;
	}
	if (put_line(c, line, NULL, NULL, false) == -1)
		return -1;
	if (pend_push(c, cmd, rcpt) == -1) {
		fail(c, ERR_OS, NULL, "out of memory");
		return -1;
	}
	return 0;
}

/* Render a reply for an event or error text (truncated when long). */
static void
format_reply(struct buf *b, const struct smtp_reply *r)
{
	buf_reset(b);
	(void)smtp_reply_format(r, b);
}

static enum smtp_client_outcome
outcome_of(const struct smtp_reply *r)
{
	if (r->cls == SMTP_REPLY_POSITIVE)
		return SMTP_CLIENT_OK;
	return r->cls == SMTP_REPLY_TEMPORARY ? SMTP_CLIENT_TEMP :
	    SMTP_CLIENT_PERM;
}

/* --- the transaction's bookkeeping ------------------------------------- */

/* A copy of r that lives as long as the transaction; NULL on ENOMEM. */
static const struct smtp_reply *
pool_add(struct smtp_client *c, const struct smtp_reply *r)
{
	struct txn_state *t = &c->txn;
	struct smtp_reply **p, *copy;

	if (r == NULL)
		return NULL;
	p = reallocarray(t->pool, t->npool + 1, sizeof(*p));
	if (p == NULL)
		return NULL;
	t->pool = p;
	if ((copy = malloc(sizeof(*copy))) == NULL)
		return NULL;
	smtp_reply_init(copy);
	if (smtp_reply_copy(copy, r) == -1) {
		smtp_reply_free(copy);
		free(copy);
		return NULL;
	}
	t->pool[t->npool++] = copy;
	return copy;
}

static void
txn_reset(struct smtp_client *c)
{
	struct txn_state *t = &c->txn;
	size_t i;

	for (i = 0; i < t->npool; i++) {
		smtp_reply_free(t->pool[i]);
		free(t->pool[i]);
	}
	free(t->pool);
	free(t->rc);
	memset(t, 0, sizeof(*t));
}

static bool
txn_open(const struct smtp_client *c)
{
	return c->txn.t != NULL && !c->txn.emitted;
}

/* Decide recipient i for good. */
static void
rcpt_final(struct smtp_client *c, size_t i, enum smtp_client_outcome o,
    const struct smtp_reply *pooled)
{
	c->txn.rc[i].final = true;
	c->txn.rc[i].outcome = o;
	c->txn.rc[i].reply = pooled;
}

/* The outcome is known: queue EV_RCPT for each recipient, EV_TXN_DONE. */
static void
txn_emit(struct smtp_client *c)
{
	struct txn_state *t = &c->txn;
	size_t i;

	if (t->t == NULL || t->emitted)
		return;
	for (i = 0; i < t->t->nrcpt; i++)
		if (!t->rc[i].final)	/* cannot happen; never claim OK */
			rcpt_final(c, i, SMTP_CLIENT_TEMP, NULL);
	if (t->note[0] == '\0')
		strlcpy(t->note, "no recipient accepted", sizeof(t->note));
	t->emitted = t->emit_pending = true;
	t->emit_next = 0;
	queue_event(c, SMTP_CLIENT_EV_RCPT);
}

/* Every recipient not yet final gets o with reply r (or t->note). */
static void
txn_settle_open(struct smtp_client *c, enum smtp_client_outcome o,
    const struct smtp_reply *r, bool only_accepted)
{
	const struct smtp_reply *pooled = pool_add(c, r);
	size_t i;

	for (i = 0; i < c->txn.t->nrcpt; i++) {
		if (c->txn.rc[i].final ||
		    (only_accepted && !c->txn.rc[i].accepted))
			continue;
		rcpt_final(c, i, o, pooled);
	}
	if (pooled != NULL || c->txn.final_reply == NULL)
		c->txn.final_reply = pooled;
}

/* --- failure ------------------------------------------------------------ */

/* Queued READY, NEED_TLS or NEED_BODY ask for work a failed session
 * cannot take: drop them, keep the transaction's outcome events. */
static void
drop_stale_events(struct smtp_client *c)
{
	size_t i, n = c->ev_head;

	for (i = c->ev_head; i < c->ev_len; i++)
		if (c->evq[i] == SMTP_CLIENT_EV_RCPT)
			c->evq[n++] = c->evq[i];
	c->ev_len = n;
}

/*
 * End the session: open recipients become TEMP (their text is the
 * failure's), then EV_FAILED.  Nothing is outstanding any more.
 */
static void
fail(struct smtp_client *c, enum err_kind kind, const struct smtp_reply *r,
    const char *fmt, ...)
{
	va_list ap;

	if (terminal(c))
		return;
	va_start(ap, fmt);
	vsnprintf(c->fail_text, sizeof(c->fail_text), fmt, ap);
	va_end(ap);
	if (r != NULL) {
		format_reply(&c->text, r);
		strlcat(c->fail_text, ": ", sizeof(c->fail_text));
		strlcat(c->fail_text, buf_str(&c->text), sizeof(c->fail_text));
		c->has_fail_reply = smtp_reply_copy(&c->fail_reply, r) == 0;
	}
	c->fail_kind = kind;
	drop_stale_events(c);
	if (txn_open(c)) {
		/* A reply decides for the recipients only when it refuses
		 * (421); an unexpected 250 is context, not an outcome. */
		strlcpy(c->txn.note, c->fail_text, sizeof(c->txn.note));
		txn_settle_open(c, SMTP_CLIENT_TEMP, r != NULL &&
		    r->cls >= SMTP_REPLY_TEMPORARY ? r : NULL, false);
		txn_emit(c);
	}
	pend_clear(c);
	set_state(c, ST_FAILED);
	queue_event(c, SMTP_CLIENT_EV_FAILED);
}

/* A refusal while the server still listens: say QUIT, then fail. */
static void
refuse(struct smtp_client *c, enum err_kind kind, const struct smtp_reply *r,
    const char *what)
{
	if (put_line(c, "QUIT", NULL, NULL, false) == -1)
		return;
	fail(c, kind, r, "%s", what);
}

static void
unexpected(struct smtp_client *c, const struct smtp_reply *r, const char *to)
{
	fail(c, ERR_PROTOCOL, r, "unexpected reply to %s", to);
}

/* --- session setup: greeting, EHLO/HELO, STARTTLS, AUTH --------------- */

static void
go_ready(struct smtp_client *c)
{
	set_state(c, ST_READY);
	queue_event(c, SMTP_CLIENT_EV_READY);
}

static void
send_hello(struct smtp_client *c, enum cmd cmd)
{
	const char *h = c->conf.helo_name;

	if (h == NULL || *h == '\0' || strpbrk(h, " \t\r\n") != NULL) {
		fail(c, ERR_SOFTWARE, NULL, "invalid EHLO name");
		return;
	}
	if (send_cmd(c, cmd, 0, "%s %s", cmd == CMD_EHLO ? "EHLO" : "HELO",
	    h) == 0)
		set_state(c, cmd == CMD_EHLO ? ST_EHLO : ST_HELO);
}

static void
on_greeting(struct smtp_client *c, const struct smtp_reply *r)
{
	switch (r->cls) {
	case SMTP_REPLY_POSITIVE:
		send_hello(c, CMD_EHLO);
		break;
	case SMTP_REPLY_TEMPORARY:
		fail(c, ERR_TEMP, r, "server not available");
		break;
	case SMTP_REPLY_PERMANENT:
		/* RFC 5321 3.1: after a 554 greeting the client sends QUIT. */
		refuse(c, ERR_UNAVAILABLE, r, "server refused the session");
		break;
	default:
		unexpected(c, r, "the connection");
		break;
	}
}

static void
start_auth(struct smtp_client *c)
{
	char head[64], shown[64];
	const char *mech = NULL;
	struct buf init;
	struct err e;
	bool has = false;
	enum err_kind rc;

	err_clear(&e);
	buf_init(&init, 2 * CLIENT_AUTH_LINE_MAX);
	rc = smtp_sasl_start(c->conf.sasl, &c->caps, c->tls_on, &mech, &init,
	    &has, &e);
	if (rc != ERR_OK) {
		buf_wipe_free(&init);
		refuse(c, rc, NULL, e.msg);
		return;
	}
	c->auth_steps = 0;
	snprintf(head, sizeof(head), "AUTH %s", mech);
	snprintf(shown, sizeof(shown), "AUTH %s <redacted>", mech);
	if (!has) {
		(void)put_line(c, head, NULL, NULL, false);
	} else if (strlen(head) + 1 + init.len + 2 <= CLIENT_AUTH_LINE_MAX) {
		strlcat(head, " ", sizeof(head));
		(void)put_line(c, head, buf_str(&init), shown, true);
	} else {
		/* Too long for the AUTH line: send it after an empty 334. */
		buf_wipe_free(&c->auth_pending);
		c->auth_pending = init;
		buf_init(&init, 0);
		(void)put_line(c, head, NULL, NULL, false);
	}
	buf_wipe_free(&init);
	if (terminal(c))
		return;
	if (pend_push(c, CMD_AUTH, 0) == -1) {
		fail(c, ERR_OS, NULL, "out of memory");
		return;
	}
	set_state(c, ST_AUTH);
}

/* After EHLO/HELO: STARTTLS when required, then AUTH, then ready. */
static void
after_hello(struct smtp_client *c)
{
	if (c->conf.tls == SMTP_CLIENT_TLS_STARTTLS && !c->tls_on) {
		/* Required and missing: nothing else may be sent. */
		if (!(c->caps.flags & SMTP_CAP_STARTTLS)) {
			refuse(c, ERR_TEMP, NULL,
			    "server does not offer STARTTLS");
			return;
		}
		if (send_cmd(c, CMD_STARTTLS, 0, "STARTTLS") == 0)
			set_state(c, ST_STARTTLS);
		return;
	}
	if (c->conf.sasl != NULL && !c->auth_done) {
		start_auth(c);
		return;
	}
	go_ready(c);
}

static void
on_hello(struct smtp_client *c, const struct smtp_reply *r, bool ehlo)
{
	if (r->cls == SMTP_REPLY_POSITIVE) {
		smtp_caps_clear(&c->caps);
		if (ehlo)
			smtp_caps_parse(&c->caps, r);
		after_hello(c);
	} else if (ehlo && (r->code == 500 || r->code == 502)) {
		/* RFC 5321 4.1.4: an old server; no extensions then. */
		send_hello(c, CMD_HELO);
	} else if (r->cls == SMTP_REPLY_TEMPORARY) {
		refuse(c, ERR_TEMP, r, ehlo ? "EHLO refused" : "HELO refused");
	} else if (r->cls == SMTP_REPLY_PERMANENT) {
		refuse(c, ERR_UNAVAILABLE, r,
		    ehlo ? "EHLO refused" : "HELO refused");
	} else {
		unexpected(c, r, ehlo ? "EHLO" : "HELO");
	}
}

static void
on_starttls(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->code == 220) {
		/* Bytes after the 220 were sent before the handshake and
		 * would be read as if protected: CVE-2021-22947. */
		if (c->feed_rest > 0) {
			fail(c, ERR_PROTOCOL, NULL,
			    "server sent data after its STARTTLS reply");
			return;
		}
		set_state(c, ST_TLS);
		queue_event(c, SMTP_CLIENT_EV_NEED_TLS);
	} else if (r->cls == SMTP_REPLY_TEMPORARY ||
	    r->cls == SMTP_REPLY_PERMANENT) {
		refuse(c, ERR_TEMP, r, "STARTTLS refused");
	} else {
		unexpected(c, r, "STARTTLS");
	}
}

/* Cancel the AUTH exchange (RFC 4954 section 4: "*") and fail. */
static void
auth_cancel(struct smtp_client *c, enum err_kind kind, const char *why)
{
	if (put_line(c, "*", NULL, NULL, false) == -1)
		return;
	fail(c, kind, NULL, "%s", why);
}

static void
auth_challenge(struct smtp_client *c, const struct smtp_reply *r)
{
	struct buf resp;
	struct err e;
	enum err_kind rc;

	if (++c->auth_steps > SMTP_SASL_STEPS_MAX) {
		auth_cancel(c, ERR_PROTOCOL, "too many AUTH challenges");
		return;
	}
	err_clear(&e);
	if (c->auth_pending.len > 0) {
		/* The deferred initial response answers an empty 334. */
		resp = c->auth_pending;
		buf_init(&c->auth_pending, 0);
		rc = ERR_OK;
	} else {
		buf_init(&resp, CLIENT_AUTH_LINE_MAX);
		rc = smtp_sasl_step(c->conf.sasl, smtp_reply_line(r, 0), &resp,
		    &e);
	}
	if (rc != ERR_OK)
		auth_cancel(c, rc, e.msg);
	else if (put_line(c, buf_str(&resp), NULL, "<redacted>", true) == 0 &&
	    pend_push(c, CMD_AUTH, 0) == -1)
		fail(c, ERR_OS, NULL, "out of memory");
	buf_wipe_free(&resp);
}

static void
on_auth(struct smtp_client *c, const struct smtp_reply *r)
{
	struct err e;
	enum err_kind rc;

	err_clear(&e);
	if (r->code == 334) {
		auth_challenge(c, r);
	} else if (r->code == 235) {
		/* RFC 4954 section 6: only 235 means authenticated. */
		rc = smtp_sasl_finish(c->conf.sasl, smtp_reply_line(r, 0), &e);
		if (rc != ERR_OK) {
			refuse(c, rc, NULL, e.msg);
			return;
		}
		c->auth_done = true;
		after_hello(c);
	} else if (r->cls == SMTP_REPLY_TEMPORARY) {
		refuse(c, ERR_TEMP, r, "AUTH failed");
	} else if (r->cls == SMTP_REPLY_PERMANENT) {
		refuse(c, ERR_NOPERM, r, "AUTH failed");
	} else {
		unexpected(c, r, "AUTH");
	}
}

/* --- the transaction ---------------------------------------------------- */

static void
send_rcpt(struct smtp_client *c, size_t i)
{
	const struct smtp_client_txn *t = c->txn.t;
	const char *params = "";

	if (t->rcpt_params != NULL && t->rcpt_params[i] != NULL)
		params = t->rcpt_params[i];
	(void)send_cmd(c, CMD_RCPT, i, "RCPT TO:<%s>%s", t->rcpts[i], params);
}

/*
 * After the transaction, without data: QUIT when it was the last, else
 * RSET when the server still holds a sender (RFC 5321 4.1.1.5); after a
 * refused MAIL it holds none, so no round trip is spent on RSET.
 */
static void
txn_close(struct smtp_client *c)
{
	bool open = !c->txn.mail_failed;

	txn_emit(c);
	if (c->txn.t->last) {
		if (send_cmd(c, CMD_QUIT, 0, "QUIT") == 0)
			set_state(c, ST_QUIT);
	} else if (!open) {
		go_ready(c);
	} else if (send_cmd(c, CMD_RSET, 0, "RSET") == 0) {
		set_state(c, ST_RSET);
	}
}

/*
 * A recipient got 4xx and the caller cannot take a partial delivery: no
 * data is sent, and every recipient the server accepted (or had not
 * answered) ends TEMP.  Refused recipients keep their own outcome: a 5xx
 * stays permanent.
 */
static void
txn_abandon(struct smtp_client *c)
{
	struct txn_state *t = &c->txn;
	size_t i;

	format_reply(&c->text, t->temp_reply);
	snprintf(t->note, sizeof(t->note),
	    "transaction abandoned after a deferred recipient: %s",
	    buf_str(&c->text));
	for (i = 0; i < t->t->nrcpt; i++) {
		if (t->rc[i].final && !t->rc[i].accepted)
			continue;
		t->rc[i].reply = NULL;
		t->rc[i].final = true;
		t->rc[i].outcome = SMTP_CLIENT_TEMP;
	}
	t->final_reply = t->temp_reply;
}

static bool
must_abandon(const struct smtp_client *c)
{
	return c->txn.t->abandon_on_temp_rcpt && c->txn.any_temp &&
	    !c->txn.mail_failed;
}

static void
on_mail(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->cls == SMTP_REPLY_POSITIVE) {
		if (!c->txn.pipelined)
			send_rcpt(c, 0);
		return;
	}
	if (r->cls == SMTP_REPLY_INTERMEDIATE) {
		unexpected(c, r, "MAIL");
		return;
	}
	/* Every recipient shares the sender's fate. */
	c->txn.mail_failed = true;
	txn_settle_open(c, outcome_of(r), r, false);
	if (!c->txn.pipelined)
		txn_close(c);
}

static void
rcpt_record(struct smtp_client *c, const struct smtp_reply *r, size_t i)
{
	struct txn_state *t = &c->txn;
	const struct smtp_reply *pooled;

	if (t->mail_failed || i >= t->t->nrcpt || t->rc[i].final)
		return;
	if (r->cls == SMTP_REPLY_POSITIVE) {
		t->rc[i].accepted = true;
		t->naccepted++;
		return;
	}
	pooled = pool_add(c, r);
	rcpt_final(c, i, outcome_of(r), pooled);
	if (r->cls == SMTP_REPLY_TEMPORARY) {
		t->any_temp = true;
		if (t->temp_reply == NULL)
			t->temp_reply = pooled;
	}
}

static void
on_rcpt(struct smtp_client *c, const struct smtp_reply *r, size_t i)
{
	if (r->cls == SMTP_REPLY_INTERMEDIATE) {
		unexpected(c, r, "RCPT");
		return;
	}
	rcpt_record(c, r, i);
	if (c->txn.pipelined)
		return;	/* DATA's reply decides */
	if (must_abandon(c)) {
		txn_abandon(c);
		txn_close(c);
	} else if (i + 1 < c->txn.t->nrcpt) {
		send_rcpt(c, i + 1);
	} else if (c->txn.naccepted == 0) {
		txn_close(c);
	} else {
		(void)send_cmd(c, CMD_DATA, 0, "DATA");
	}
}

/*
 * RFC 2920 section 3.1: a 354 after every RCPT failed still opens the
 * data phase; the client ends it with a lone ".".
 */
static void
lone_dot(struct smtp_client *c)
{
	txn_emit(c);
	if (put_line(c, ".", NULL, NULL, false) == -1 ||
	    pend_push(c, CMD_LONE_DOT, 0) == -1) {
		fail(c, ERR_OS, NULL, "cannot queue a command");
		return;
	}
	if (c->txn.t->last && send_cmd(c, CMD_QUIT, 0, "QUIT") == -1)
		return;
	set_state(c, ST_DATA_END);
}

static void
on_data_go(struct smtp_client *c)
{
	if (c->txn.mail_failed || c->txn.naccepted == 0) {
		lone_dot(c);
	} else if (must_abandon(c)) {
		/* "." would deliver an empty message: drop the connection. */
		txn_abandon(c);
		txn_emit(c);
		fail(c, ERR_TEMP, NULL,
		    "transaction abandoned after a deferred recipient; "
		    "closing the connection instead of sending data");
	} else {
		dotstuff_init(&c->ds, DOTSTUFF_WIRE);
		set_state(c, ST_BODY);
		queue_event(c, SMTP_CLIENT_EV_NEED_BODY);
	}
}

static void
on_data(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->code == 354) {
		on_data_go(c);
	} else if (r->cls == SMTP_REPLY_TEMPORARY ||
	    r->cls == SMTP_REPLY_PERMANENT) {
		if (must_abandon(c))
			txn_abandon(c);
		else if (!c->txn.mail_failed)
			txn_settle_open(c, outcome_of(r), r, true);
		txn_close(c);
	} else {
		unexpected(c, r, "DATA");
	}
}

static void
on_dot(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->cls == SMTP_REPLY_INTERMEDIATE) {
		unexpected(c, r, "end of data");
		return;
	}
	txn_settle_open(c, outcome_of(r), r, true);
	txn_emit(c);
	if (!c->txn.t->last) {
		go_ready(c);
	} else if (c->txn.pipelined) {
		set_state(c, ST_QUIT);	/* QUIT went out with the dot */
	} else if (send_cmd(c, CMD_QUIT, 0, "QUIT") == 0) {
		set_state(c, ST_QUIT);
	}
}

static void
on_lone_dot(struct smtp_client *c, const struct smtp_reply *r)
{
	/* Whatever it says, no recipient was accepted, and the data's end
	 * closed the transaction: no RSET needed. */
	if (c->txn.t->last)
		set_state(c, ST_QUIT);	/* QUIT went out with the dot */
	else
		go_ready(c);
}

/* RFC 5321 4.1.1.5: RSET must be answered 250. */
static void
on_rset(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->cls == SMTP_REPLY_POSITIVE)
		go_ready(c);
	else
		fail(c, ERR_PROTOCOL, r, "RSET refused");
}

/* QUIT answered (whatever the reply) or the server closed after it. */
static void
finish_quit(struct smtp_client *c)
{
	pend_clear(c);
	set_state(c, ST_DONE);
	queue_event(c, SMTP_CLIENT_EV_DONE);
}

/* --- replies in ---------------------------------------------------------- */

static void
trace_reply(struct smtp_client *c, const struct smtp_reply *r)
{
	char line[SMTP_REPLY_LINE_MAX + 8];
	const char *t;
	size_t i;

	if (c->conf.trace == NULL)
		return;
	for (i = 0; i < r->nlines; i++) {
		t = smtp_reply_line(r, i);
		if (*t == '\0' && i + 1 == r->nlines)
			snprintf(line, sizeof(line), "%d", r->code);
		else
			snprintf(line, sizeof(line), "%d%c%s", r->code,
			    i + 1 < r->nlines ? '-' : ' ', t);
		trace(c, SMTP_CLIENT_RECV, line);
	}
}

static void
dispatch(struct smtp_client *c, const struct smtp_reply *r)
{
	struct pending p;

	if (pend_empty(c)) {
		if (r->code == 421)
			fail(c, ERR_TEMP, r, "server closed the session");
		else
			unexpected(c, r, "nothing");
		return;
	}
	p = c->q[c->q_head++];
	/* RFC 5321 3.8: 421 may answer anything; the server is leaving. */
	if (r->code == 421 && p.cmd != CMD_QUIT) {
		fail(c, ERR_TEMP, r, "server closed the session");
		return;
	}
	switch (p.cmd) {
	case CMD_GREETING:
		on_greeting(c, r);
		break;
	case CMD_EHLO:
	case CMD_HELO:
		on_hello(c, r, p.cmd == CMD_EHLO);
		break;
	case CMD_STARTTLS:
		on_starttls(c, r);
		break;
	case CMD_AUTH:
		on_auth(c, r);
		break;
	case CMD_MAIL:
		on_mail(c, r);
		break;
	case CMD_RCPT:
		on_rcpt(c, r, p.rcpt);
		break;
	case CMD_DATA:
		on_data(c, r);
		break;
	case CMD_DOT:
		on_dot(c, r);
		break;
	case CMD_LONE_DOT:
		on_lone_dot(c, r);
		break;
	case CMD_RSET:
		on_rset(c, r);
		break;
	case CMD_QUIT:
		finish_quit(c);
		break;
	default:
		fail(c, ERR_SOFTWARE, NULL, "bug: unknown command %d",
		    (int)p.cmd);
		break;
	}
}

void
smtp_client_feed(struct smtp_client *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	enum smtp_reply_status st;
	size_t used;

	if (terminal(c) || n == 0)
		return;
	if (c->state == ST_TLS) {
		fail(c, ERR_PROTOCOL, NULL,
		    "server sent data before the TLS handshake");
		return;
	}
	while (n > 0 && !terminal(c)) {
		st = smtp_reply_feed(&c->parser, p, n, &used);
		p += used;
		n -= used;
		if (st == SMTP_REPLY_ERROR) {
			fail(c, ERR_PROTOCOL, NULL, "malformed reply: %s",
			    c->parser.error);
			return;
		}
		if (st != SMTP_REPLY_DONE)
			continue;
		c->feed_rest = n;
		trace_reply(c, &c->parser.reply);
		dispatch(c, &c->parser.reply);
	}
}

void
smtp_client_eof(struct smtp_client *c, const char *why)
{
	if (terminal(c))
		return;
	/* Only QUIT's reply was missing: the session ended cleanly. */
	if (!pend_empty(c) && c->q[c->q_head].cmd == CMD_QUIT) {
		finish_quit(c);
		return;
	}
	fail(c, ERR_TEMP, NULL, "%s",
	    why != NULL ? why : "connection closed by server");
}

/* --- the public interface ----------------------------------------------- */

struct smtp_client *
smtp_client_new(const struct smtp_client_conf *conf)
{
	struct smtp_client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->conf = *conf;
	c->state = ST_GREETING;
	smtp_reply_parser_init(&c->parser);
	buf_init(&c->out, SMTP_CLIENT_OUT_MAX);
	buf_init(&c->text, CLIENT_TEXT_MAX);
	buf_init(&c->auth_pending, 0);
	smtp_reply_init(&c->fail_reply);
	c->tls_on = conf->tls == SMTP_CLIENT_TLS_IMPLICIT;
	if (pend_push(c, CMD_GREETING, 0) == -1) {
		smtp_client_free(c);
		return NULL;
	}
	return c;
}

void
smtp_client_free(struct smtp_client *c)
{
	if (c == NULL)
		return;
	smtp_reply_parser_free(&c->parser);
	if (c->out_secret)
		buf_wipe_free(&c->out);
	else
		buf_free(&c->out);
	buf_free(&c->text);
	buf_wipe_free(&c->auth_pending);
	smtp_reply_free(&c->fail_reply);
	txn_reset(c);
	free(c->q);
	free(c);
}

/* The next EV_RCPT of the transaction, or its EV_TXN_DONE. */
static void
next_txn_event(struct smtp_client *c, struct smtp_client_event *ev)
{
	struct txn_state *t = &c->txn;
	const struct rcpt_state *rc;
	size_t i, ok = 0, temp = 0;

	if (t->emit_next < t->t->nrcpt) {
		rc = &t->rc[t->emit_next];
		ev->type = SMTP_CLIENT_EV_RCPT;
		ev->rcpt_index = t->emit_next++;
		ev->outcome = rc->outcome;
		ev->reply = rc->reply;
		return;
	}
	for (i = 0; i < t->t->nrcpt; i++) {
		ok += t->rc[i].outcome == SMTP_CLIENT_OK;
		temp += t->rc[i].outcome == SMTP_CLIENT_TEMP;
	}
	ev->type = SMTP_CLIENT_EV_TXN_DONE;
	ev->accepted = ok;
	ev->outcome = ok > 0 ? SMTP_CLIENT_OK :
	    temp > 0 ? SMTP_CLIENT_TEMP : SMTP_CLIENT_PERM;
	ev->reply = t->final_reply;
	t->emit_pending = false;
	c->ev_head++;
}

enum smtp_client_event_type
smtp_client_next_event(struct smtp_client *c, struct smtp_client_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->text = "";
	if (c->ev_head == c->ev_len)
		return ev->type = SMTP_CLIENT_EV_NONE;
	buf_reset(&c->text);
	if (c->evq[c->ev_head] == SMTP_CLIENT_EV_RCPT) {
		next_txn_event(c, ev);
		if (ev->reply != NULL)
			format_reply(&c->text, ev->reply);
		else
			buf_append_str(&c->text, c->txn.note);
		ev->text = buf_str(&c->text);
		return ev->type;
	}
	ev->type = c->evq[c->ev_head++];
	if (ev->type == SMTP_CLIENT_EV_FAILED) {
		ev->err = c->fail_kind;
		ev->outcome = c->fail_kind == ERR_TEMP ? SMTP_CLIENT_TEMP :
		    SMTP_CLIENT_PERM;
		ev->reply = c->has_fail_reply ? &c->fail_reply : NULL;
		ev->text = c->fail_text;
	}
	return ev->type;
}

const void *
smtp_client_output(struct smtp_client *c, size_t *len)
{
	*len = c->out.len;
	return buf_str(&c->out);
}

void
smtp_client_output_consume(struct smtp_client *c, size_t n)
{
	size_t old = c->out.len;

	buf_consume(&c->out, n);
	if (!c->out_secret || c->out.data == NULL)
		return;
	/* Wipe the stale copy an AUTH payload may have left behind. */
	explicit_bzero(c->out.data + c->out.len, old - c->out.len);
	if (c->out.len == 0)
		c->out_secret = false;
}

bool
smtp_client_wants_input(const struct smtp_client *c)
{
	return !terminal(c) && !pend_empty(c);
}

enum smtp_client_wait
smtp_client_waiting(const struct smtp_client *c)
{
	if (!smtp_client_wants_input(c))
		return SMTP_CLIENT_WAIT_NONE;
	switch (c->q[c->q_head].cmd) {
	case CMD_GREETING:
		return SMTP_CLIENT_WAIT_GREETING;
	case CMD_MAIL:
		return SMTP_CLIENT_WAIT_MAIL;
	case CMD_RCPT:
		return SMTP_CLIENT_WAIT_RCPT;
	case CMD_DATA:
		return SMTP_CLIENT_WAIT_DATA;
	case CMD_DOT:
	case CMD_LONE_DOT:
		return SMTP_CLIENT_WAIT_DATA_END;
	case CMD_QUIT:
		return SMTP_CLIENT_WAIT_QUIT;
	default:
		return SMTP_CLIENT_WAIT_COMMAND;
	}
}

void
smtp_client_tls_started(struct smtp_client *c)
{
	if (c->state != ST_TLS)
		return;
	c->tls_on = true;
	/* RFC 3207 4.2: forget everything learned before TLS. */
	smtp_caps_clear(&c->caps);
	send_hello(c, CMD_EHLO);
}

void
smtp_client_tls_failed(struct smtp_client *c, const char *why)
{
	fail(c, ERR_TEMP, NULL, "TLS handshake failed: %s",
	    why != NULL ? why : "unknown error");
}

/* A path: no CR, LF, '<' or '>' (NUL cannot occur in a C string). */
static bool
path_ok(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n<>") == NULL;
}

static bool
params_ok(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") == NULL;
}

/* "VERB:<path>params" + CRLF within SMTP_LINE_MAX. */
static bool
line_fits(size_t verb, const char *path, const char *params)
{
	return verb + strlen(path) + 2 + (params ? strlen(params) : 0) + 2 <=
	    SMTP_LINE_MAX;
}

static enum err_kind
check_txn(const struct smtp_client_txn *t, struct err *e)
{
	const char *p;
	size_t i;

	if (t->nrcpt == 0 || t->rcpts == NULL)
		return err_set(e, ERR_SOFTWARE, "transaction without recipient");
	if (!path_ok(t->mail_from) || !params_ok(t->mail_params) ||
	    !line_fits(10, t->mail_from, t->mail_params))
		return err_set(e, ERR_SOFTWARE, "invalid envelope sender");
	for (i = 0; i < t->nrcpt; i++) {
		p = t->rcpt_params != NULL ? t->rcpt_params[i] : NULL;
		if (!path_ok(t->rcpts[i]) || !params_ok(p) ||
		    !line_fits(8, t->rcpts[i], p))
			return err_set(e, ERR_SOFTWARE,
			    "invalid recipient #%zu", i + 1);
	}
	return ERR_OK;
}

enum err_kind
smtp_client_mail(struct smtp_client *c, const struct smtp_client_txn *txn,
    struct err *e)
{
	enum err_kind rc;
	size_t i;

	if (c->state != ST_READY || c->txn.emit_pending)
		return err_set(e, ERR_SOFTWARE,
		    "no transaction possible in state %s",
		    state_names[c->state]);
	if ((rc = check_txn(txn, e)) != ERR_OK)
		return rc;
	txn_reset(c);
	if ((c->txn.rc = calloc(txn->nrcpt, sizeof(*c->txn.rc))) == NULL ||
	    pend_reserve(c, txn->nrcpt + 4) == -1)
		return err_set(e, ERR_OS, "out of memory");
	c->txn.t = txn;
	c->txn.pipelined = (c->caps.flags & SMTP_CAP_PIPELINING) != 0;
	if (send_cmd(c, CMD_MAIL, 0, "MAIL FROM:<%s>%s", txn->mail_from,
	    txn->mail_params != NULL ? txn->mail_params : "") == -1)
		return err_set(e, ERR_SOFTWARE, "%s", c->fail_text);
	/* RFC 2920: the whole envelope in one flight. */
	for (i = 0; c->txn.pipelined && i < txn->nrcpt; i++)
		send_rcpt(c, i);
	if (c->txn.pipelined)
		(void)send_cmd(c, CMD_DATA, 0, "DATA");
	if (terminal(c))
		return err_set(e, ERR_SOFTWARE, "%s", c->fail_text);
	set_state(c, ST_ENVELOPE);
	return ERR_OK;
}

int
smtp_client_body(struct smtp_client *c, const void *data, size_t n)
{
	size_t room = c->out.max - c->out.len;

	if (c->state != ST_BODY)
		return 0;
	/* Normalising and stuffing at most doubles the bytes (+1 for a CR
	 * held from the previous chunk): check before, lose nothing. */
	if (room < CLIENT_BODY_SLACK || n > (room - CLIENT_BODY_SLACK) / 2)
		return -1;
	if (dotstuff_feed(&c->ds, data, n, &c->out) == -1)
		fail(c, ERR_OS, NULL, "out of memory");
	return 0;
}

int
smtp_client_body_end(struct smtp_client *c)
{
	if (c->state != ST_BODY)
		return 0;
	if (c->out.max - c->out.len < CLIENT_BODY_SLACK)
		return -1;
	if (dotstuff_finish(&c->ds, &c->out) == -1) {
		fail(c, ERR_OS, NULL, "out of memory");
		return 0;
	}
	trace(c, SMTP_CLIENT_SENT, ".");
	if (pend_push(c, CMD_DOT, 0) == -1) {
		fail(c, ERR_OS, NULL, "out of memory");
		return 0;
	}
	/* RFC 2920 3.1: the dot and QUIT may share one write. */
	if (c->txn.t->last && c->txn.pipelined &&
	    send_cmd(c, CMD_QUIT, 0, "QUIT") == -1)
		return 0;
	set_state(c, ST_DATA_END);
	return 0;
}

void
smtp_client_abort(struct smtp_client *c, const char *why)
{
	fail(c, ERR_TEMP, NULL, "%s", why != NULL ? why : "aborted");
}

void
smtp_client_quit(struct smtp_client *c)
{
	if (c->state != ST_READY)
		return;
	if (send_cmd(c, CMD_QUIT, 0, "QUIT") == 0)
		set_state(c, ST_QUIT);
}

const struct smtp_caps *
smtp_client_caps(const struct smtp_client *c)
{
	return &c->caps;
}

const char *
smtp_client_state_name(const struct smtp_client *c)
{
	return state_names[c->state];
}
