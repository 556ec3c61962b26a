#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/client_int.h"

/*
 * The mail transaction half of the client engine: MAIL, RCPT, DATA, the
 * body and its dot, and each recipient's outcome.  Session plumbing
 * (output, the outstanding queue, events, failure) is in client.c.
 */

/* "BDAT 18446744073709551615 LAST" + CRLF */
#define BDAT_LINE_MAX 40

static enum smtp_client_outcome
outcome_of(const struct smtp_reply *r)
{
	if (r->cls == SMTP_REPLY_POSITIVE)
		return SMTP_CLIENT_OK;
	return r->cls == SMTP_REPLY_TEMPORARY ? SMTP_CLIENT_TEMP :
	    SMTP_CLIENT_PERM;
}

/*
 * RFC 5321 4.5.3.1.10: a server out of room for recipients answers 452
 * (RFC 3463: 4.5.3).  Those recipients are not refused: they go in a
 * further transaction.  A 452 with another enhanced code (4.2.2 mailbox
 * full, 4.3.1 out of storage) is an ordinary deferral.
 */
static bool
too_many(const struct smtp_reply *r)
{
	return r->code == 452 && (r->esc[0] == '\0' ||
	    strcmp(r->esc, "4.5.3") == 0);
}

static void bdat_decide(struct smtp_client *);

/* --- the transaction's bookkeeping ------------------------------------- */

/* A copy of r that lives as long as the transaction; NULL on ENOMEM. */
static const struct smtp_reply *
pool_add(struct smtp_client *c, const struct smtp_reply *r)
{
	struct txn_state *t = &c->txn;
	struct smtp_reply **p, *copy;
	size_t n;

	if (r == NULL)
		return NULL;
	if (t->npool == t->pool_cap) {
		/* Doubling: a reply per refused RCPT, 100k of them. */
		n = t->pool_cap == 0 ? 8 : 2 * t->pool_cap;
		if ((p = reallocarray(t->pool, n, sizeof(*p))) == NULL)
			return NULL;
		t->pool = p;
		t->pool_cap = n;
	}
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

void
cl_txn_reset(struct smtp_client *c)
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
	cl_queue_event(c, SMTP_CLIENT_EV_RCPT);
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

/*
 * The session fails (c->fail_text says why): an open transaction's
 * recipients not yet final become TEMP, and its events are queued.
 */
void
cl_txn_fail(struct smtp_client *c, const struct smtp_reply *r)
{
	if (!txn_open(c))
		return;
	/* A reply decides for the recipients only when it refuses (421);
	 * an unexpected 250 is context, not an outcome. */
	strlcpy(c->txn.note, c->fail_text, sizeof(c->txn.note));
	txn_settle_open(c, SMTP_CLIENT_TEMP, r != NULL &&
	    r->cls >= SMTP_REPLY_TEMPORARY ? r : NULL, false);
	txn_emit(c);
}

/* --- the transaction ---------------------------------------------------- */

static void
send_rcpt(struct smtp_client *c, size_t i)
{
	const struct smtp_client_txn *t = c->txn.t;
	const char *params = "";

	if (t->rcpt_params != NULL && t->rcpt_params[i] != NULL)
		params = t->rcpt_params[i];
	(void)cl_send_cmd(c, CMD_RCPT, i, "RCPT TO:<%s>%s", t->rcpts[i],
	    params);
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
		if (cl_send_cmd(c, CMD_QUIT, 0, "QUIT") == 0)
			cl_set_state(c, ST_QUIT);
	} else if (!open) {
		cl_go_ready(c);
	} else if (cl_send_cmd(c, CMD_RSET, 0, "RSET") == 0) {
		cl_set_state(c, ST_RSET);
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

	cl_format_reply(&c->text, t->temp_reply);
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

void
cl_txn_on_mail(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->cls == SMTP_REPLY_POSITIVE) {
		if (!c->txn.pipelined)
			send_rcpt(c, 0);
		return;
	}
	if (r->cls == SMTP_REPLY_INTERMEDIATE) {
		cl_unexpected(c, r, "MAIL");
		return;
	}
	/* Every recipient shares the sender's fate. */
	c->txn.mail_failed = true;
	txn_settle_open(c, outcome_of(r), r, false);
	if (c->txn.bdat)
		bdat_decide(c);
	else if (!c->txn.pipelined)
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
	if (r->cls != SMTP_REPLY_TEMPORARY)
		return;
	if (too_many(r)) {
		t->rc[i].deferred = true;
		t->any_deferred = true;
		return;
	}
	t->any_temp = true;
	if (t->temp_reply == NULL)
		t->temp_reply = pooled;
}


void
cl_txn_on_rcpt(struct smtp_client *c, const struct smtp_reply *r, size_t i)
{
	if (r->cls == SMTP_REPLY_INTERMEDIATE) {
		cl_unexpected(c, r, "RCPT");
		return;
	}
	c->txn.nreplied++;
	rcpt_record(c, r, i);
	if (c->txn.bdat)
		bdat_decide(c);
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
		(void)cl_send_cmd(c, CMD_DATA, 0, "DATA");
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
	if (cl_put_line(c, ".", NULL, NULL, false) == -1 ||
	    cl_pend_push(c, CMD_LONE_DOT, 0) == -1) {
		cl_fail(c, ERR_OS, NULL, "cannot queue a command");
		return;
	}
	if (c->txn.t->last && cl_send_cmd(c, CMD_QUIT, 0, "QUIT") == -1)
		return;
	cl_set_state(c, ST_DATA_END);
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
		cl_fail(c, ERR_TEMP, NULL,
		    "transaction abandoned after a deferred recipient; "
		    "closing the connection instead of sending data");
	} else {
		dotstuff_init(&c->ds, DOTSTUFF_WIRE);
		cl_set_state(c, ST_BODY);
		cl_queue_event(c, SMTP_CLIENT_EV_NEED_BODY);
	}
}

void
cl_txn_on_data(struct smtp_client *c, const struct smtp_reply *r)
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
		cl_unexpected(c, r, "DATA");
	}
}

void
cl_txn_on_dot(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->cls == SMTP_REPLY_INTERMEDIATE) {
		cl_unexpected(c, r, "end of data");
		return;
	}
	txn_settle_open(c, outcome_of(r), r, true);
	txn_emit(c);
	if (c->txn.quit_sent) {
		cl_set_state(c, ST_QUIT);	/* QUIT went out with the dot */
	} else if (!c->txn.t->last || (c->txn.any_deferred &&
	    r->cls == SMTP_REPLY_POSITIVE)) {
		/* After the last one, READY again only for a further
		 * transaction with the recipients that did not fit. */
		cl_go_ready(c);
	} else if (cl_send_cmd(c, CMD_QUIT, 0, "QUIT") == 0) {
		cl_set_state(c, ST_QUIT);
	}
}

void
cl_txn_on_lone_dot(struct smtp_client *c, const struct smtp_reply *r)
{
	/* Whatever it says, no recipient was accepted, and the data's end
	 * closed the transaction: no RSET needed. */
	if (c->txn.t->last)
		cl_set_state(c, ST_QUIT);	/* QUIT went out with the dot */
	else
		cl_go_ready(c);
}

/* RFC 5321 4.1.1.5: RSET must be answered 250. */
void
cl_txn_on_rset(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->cls == SMTP_REPLY_POSITIVE)
		cl_go_ready(c);
	else
		cl_fail(c, ERR_PROTOCOL, r, "RSET refused");
}

/* --- BDAT (RFC 3030) ---------------------------------------------------- */

/*
 * With CHUNKING and PIPELINING, the message goes out in BDAT chunks right
 * behind MAIL and the RCPTs, without waiting for their replies: the data
 * is not stuffed, and a small message is one write, MAIL + RCPT + BDAT
 * LAST + QUIT.  The LAST chunk is what delivers, so it is held until the
 * RCPT replies are in whenever they could still call the transaction off
 * (a caller that abandons on a 4xx recipient, with several recipients):
 * then everything before it has gone out, and RSET discards it if need
 * be.  One recipient (or a caller that takes partial deliveries) needs no
 * wait: if it is refused, so is the message.
 */

/* Every RCPT has been answered (or MAIL refused, which decides them). */
static bool
rcpts_known(const struct smtp_client *c)
{
	return c->txn.mail_failed || c->txn.nreplied == c->txn.t->nrcpt;
}

/* No message data should go out any more. */
static bool
bdat_dead(const struct smtp_client *c)
{
	const struct txn_state *t = &c->txn;

	return t->mail_failed || t->data_failed || must_abandon(c) ||
	    (rcpts_known(c) && t->naccepted == 0);
}

/* Queue "BDAT <n>[ LAST]" and the chunk; -1 after failing the session. */
static int
chunk_out(struct smtp_client *c, bool last)
{
	if (cl_send_cmd(c, last ? CMD_BDAT_LAST : CMD_BDAT, 0, "BDAT %zu%s",
	    c->chunk.len, last ? " LAST" : "") == -1)
		return -1;
	if (buf_append(&c->out, c->chunk.data, c->chunk.len) == -1) {
		cl_fail(c, ERR_SOFTWARE, NULL, "cannot queue message data");
		return -1;
	}
	buf_reset(&c->chunk);
	return 0;
}

static void
send_last(struct smtp_client *c)
{
	struct txn_state *t = &c->txn;

	if (chunk_out(c, true) == -1)
		return;
	/* QUIT too when no recipient can be left for a further one. */
	if (t->t->last && (t->t->nrcpt == 1 ||
	    (rcpts_known(c) && !t->any_deferred))) {
		if (cl_send_cmd(c, CMD_QUIT, 0, "QUIT") == -1)
			return;
		t->quit_sent = true;
	}
	cl_set_state(c, ST_DATA_END);
}

/* The body has ended (ST_BDAT_HOLD): send LAST, wait, or call it off. */
static void
bdat_decide(struct smtp_client *c)
{
	struct txn_state *t = &c->txn;

	if (c->state != ST_BDAT_HOLD)
		return;
	if (must_abandon(c)) {
		txn_abandon(c);
		txn_close(c);	/* RSET (or QUIT) discards the chunks */
	} else if (bdat_dead(c)) {
		txn_close(c);
	} else if (rcpts_known(c) || t->t->nrcpt == 1 ||
	    !t->t->abandon_on_temp_rcpt) {
		/* No reply can call it off any more, or none needs to wait:
		 * one recipient, or a caller that takes partial deliveries. */
		send_last(c);
	} else if (c->chunk.len > 0) {
		(void)chunk_out(c, false);	/* only LAST waits */
	}
}

static void
bdat_start(struct smtp_client *c)
{
	buf_reset(&c->chunk);
	dotstuff_init(&c->ds, DOTSTUFF_CHUNK);
	cl_set_state(c, ST_BODY);
	cl_queue_event(c, SMTP_CLIENT_EV_NEED_BODY);
}

void
cl_txn_on_bdat(struct smtp_client *c, const struct smtp_reply *r)
{
	struct txn_state *t = &c->txn;

	if (!txn_open(c) || r->cls == SMTP_REPLY_POSITIVE)
		return;
	if (r->cls == SMTP_REPLY_INTERMEDIATE) {
		cl_unexpected(c, r, "BDAT");
		return;
	}
	/* Without a recipient the chunks are refused: MAIL or RCPT said
	 * why already. */
	if (t->mail_failed || t->naccepted == 0)
		return;
	t->data_failed = true;
	txn_settle_open(c, outcome_of(r), r, true);
	bdat_decide(c);
}

static int
bdat_body(struct smtp_client *c, const void *data, size_t n)
{
	const char *p = data;
	size_t room = c->out.max - c->out.len, k;

	if (bdat_dead(c))
		return 0;	/* nothing more goes out: drop it */
	/* All or nothing: room in the output for what is held, this at
	 * most doubled, and a command line per chunk. */
	if (n > room / 4 || c->chunk.len + 2 * n + CLIENT_BODY_SLACK +
	    (n / CLIENT_CHUNK + 2) * BDAT_LINE_MAX > room)
		return -1;
	while (n > 0) {
		k = n < CLIENT_CHUNK_PIECE ? n : CLIENT_CHUNK_PIECE;
		if (dotstuff_feed(&c->ds, p, k, &c->chunk) == -1) {
			cl_fail(c, ERR_SOFTWARE, NULL, "chunk overflow");
			return 0;
		}
		p += k;
		n -= k;
		if (c->chunk.len >= CLIENT_CHUNK && chunk_out(c, false) == -1)
			return 0;
	}
	return 0;
}

static int
bdat_body_end(struct smtp_client *c)
{
	if (c->out.max - c->out.len < c->chunk.len + CLIENT_BODY_SLACK +
	    2 * BDAT_LINE_MAX)
		return -1;
	if (!bdat_dead(c) && dotstuff_finish(&c->ds, &c->chunk) == -1) {
		cl_fail(c, ERR_SOFTWARE, NULL, "chunk overflow");
		return 0;
	}
	cl_set_state(c, ST_BDAT_HOLD);
	bdat_decide(c);
	return 0;
}

/* --- the outcome, handed out ------------------------------------------- */

/* The next EV_RCPT of the transaction, or its EV_TXN_DONE. */
void
cl_txn_next_event(struct smtp_client *c, struct smtp_client_event *ev)
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
		ev->deferred = rc->deferred;
		return;
	}
	for (i = 0; i < t->t->nrcpt; i++) {
		ok += t->rc[i].outcome == SMTP_CLIENT_OK;
		temp += t->rc[i].outcome == SMTP_CLIENT_TEMP;
	}
	ev->type = SMTP_CLIENT_EV_TXN_DONE;
	ev->accepted = ok;
	ev->mail_refused = t->mail_failed;
	ev->outcome = ok > 0 ? SMTP_CLIENT_OK :
	    temp > 0 ? SMTP_CLIENT_TEMP : SMTP_CLIENT_PERM;
	ev->reply = t->final_reply;
	t->emit_pending = false;
	c->ev_head++;
}

/* --- the public interface: MAIL and the body ------------------------- */

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
		    smtp_client_state_name(c));
	if ((rc = check_txn(txn, e)) != ERR_OK)
		return rc;
	cl_txn_reset(c);
	if ((c->txn.rc = calloc(txn->nrcpt, sizeof(*c->txn.rc))) == NULL ||
	    cl_pend_reserve(c, txn->nrcpt + 4) == -1)
		return err_set(e, ERR_OS, "out of memory");
	/*
	 * From here the transaction is taken: a failure while queuing its
	 * commands fails the session, and its recipients learn it through
	 * events like any other failure, so ERR_OK is returned (reporting it
	 * twice would invite the caller to free the txn the events name).
	 */
	c->txn.t = txn;
	c->txn.pipelined = (c->caps.flags & SMTP_CAP_PIPELINING) != 0;
	/* RFC 3030: BDAT only pays with pipelining (a round trip a chunk
	 * otherwise); without it, DATA. */
	c->txn.bdat = c->txn.pipelined &&
	    (c->caps.flags & SMTP_CAP_CHUNKING) != 0;
	if (cl_send_cmd(c, CMD_MAIL, 0, "MAIL FROM:<%s>%s", txn->mail_from,
	    txn->mail_params != NULL ? txn->mail_params : "") == -1)
		return ERR_OK;
	/* RFC 2920: the whole envelope in one flight. */
	for (i = 0; c->txn.pipelined && i < txn->nrcpt; i++)
		send_rcpt(c, i);
	if (cl_terminal(c))
		return ERR_OK;
	if (c->txn.bdat)
		bdat_start(c);
	else if (c->txn.pipelined &&
	    cl_send_cmd(c, CMD_DATA, 0, "DATA") == -1)
		return ERR_OK;
	if (!cl_terminal(c) && !c->txn.bdat)
		cl_set_state(c, ST_ENVELOPE);
	return ERR_OK;
}

bool
smtp_client_bdat(const struct smtp_client *c)
{
	return c->txn.t != NULL && c->txn.bdat;
}

int
smtp_client_body(struct smtp_client *c, const void *data, size_t n)
{
	size_t room = c->out.max - c->out.len;

	if (c->state != ST_BODY)
		return 0;
	if (c->txn.bdat)
		return bdat_body(c, data, n);
	/* Normalising and stuffing at most doubles the bytes (+1 for a CR
	 * held from the previous chunk): check before, lose nothing. */
	if (room < CLIENT_BODY_SLACK || n > (room - CLIENT_BODY_SLACK) / 2)
		return -1;
	if (dotstuff_feed(&c->ds, data, n, &c->out) == -1)
		cl_fail(c, ERR_OS, NULL, "out of memory");
	return 0;
}

int
smtp_client_body_end(struct smtp_client *c)
{
	if (c->state != ST_BODY)
		return 0;
	if (c->txn.bdat)
		return bdat_body_end(c);
	if (c->out.max - c->out.len < CLIENT_BODY_SLACK)
		return -1;
	if (dotstuff_finish(&c->ds, &c->out) == -1) {
		cl_fail(c, ERR_OS, NULL, "out of memory");
		return 0;
	}
	cl_trace(c, SMTP_CLIENT_SENT, ".");
	if (cl_pend_push(c, CMD_DOT, 0) == -1) {
		cl_fail(c, ERR_OS, NULL, "out of memory");
		return 0;
	}
	/* RFC 2920 3.1: the dot and QUIT may share one write (every RCPT
	 * was answered before the 354: none left for a further one). */
	if (c->txn.t->last && c->txn.pipelined && !c->txn.any_deferred) {
		if (cl_send_cmd(c, CMD_QUIT, 0, "QUIT") == -1)
			return 0;
		c->txn.quit_sent = true;
	}
	cl_set_state(c, ST_DATA_END);
	return 0;
}
