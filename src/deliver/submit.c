#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deliver/submit.h"
#include "dns/resolve.h"
#include "io/net.h"
#include "mail/address.h"
#include "mail/idn.h"
#include "mail/mime.h"
#include "smtp/dsn.h"
#include "io/tls.h"
#include "smtp/sasl.h"

#define FLUSH_AT (256u << 10)	/* write body data out past this much */
/* The converter releases at most what it holds (MAIL_MIME_HOLD_MAX) plus
 * the quoted-printable growth of one chunk. */
#define SUBMIT_CONV_MAX (16u << 20)

/*
 * The envelope as this server gets it (build_envelope()): the wire forms
 * of the addresses, and for each recipient of the transaction its index
 * in req->rcpts (recipients refused before the transaction are left out).
 */
struct envelope {
	bool utf8;			/* MAIL carries SMTPUTF8 */
	char from[MAIL_IDN_LEN_MAX + 1];
	char **rcpts;			/* n wire forms, owned */
	size_t *map;			/* envelope index -> req->rcpts index */
	size_t n;
};

/*
 * The envelope's recipients go in one transaction or, when the server
 * limits them (LIMITS RCPTMAX, RFC 9422) or answers 452 too many
 * recipients (RFC 5321 4.5.3.1.10), in several on the same connection.
 * Indexes are envelope indexes.
 */
struct batch {
	size_t *todo;			/* not yet sent, or deferred */
	size_t ntodo;
	size_t *deferred;		/* 452 in the current transaction */
	size_t ndeferred;
	bool stop;			/* no further transaction */
	/* The current transaction's recipients and RCPT parameters; map:
	 * transaction index -> envelope index. */
	const char **rcpts;
	const char **params;
	size_t *map;
	size_t n;
};

struct run {
	/* The messages of the session (one, or a queue run's several) and
	 * the one in hand: req == &reqs[k], res == &results[k]. */
	const struct deliver_submit_req *reqs;
	struct deliver_submit_result *results;
	size_t nmsg, k;
	const struct deliver_submit_req *req;
	struct deliver_submit_result *res;
	struct smtp_client_txn *txn;	/* drive()'s, for the next message */
	struct io_session s;
	struct smtp_client *c;
	bool started, finished;
	bool tls_up;		/* the handshake succeeded */
	enum err_kind tls_kind;	/* why it failed, ERR_OK when it did not */
	struct buf params;	/* MAIL FROM parameters */
	struct envelope env;
	char **rcpt_params;	/* RCPT TO parameters (DSN), or NULL */
	size_t nrcpt_params;	/* entries of rcpt_params */
	struct batch batch;
};

void
deliver_submit_result_init(struct deliver_submit_result *res)
{
	memset(res, 0, sizeof(*res));
}

void
deliver_submit_result_free(struct deliver_submit_result *res)
{
	if (res == NULL)
		return;
	free(res->rcpt);
	res->rcpt = NULL;
	res->nrcpt = 0;
}

static void
trace(void *arg, enum smtp_client_dir dir, const char *line, size_t len)
{
	struct run *r = arg;
	const char *tag = dir == SMTP_CLIENT_SENT ? "-->" :
	    dir == SMTP_CLIENT_RECV ? "<--" : "---";

	log_msg(r->req->log, LOG_INFO, "%s %.*s", tag, (int)len, line);
}

static void
set_rcpt(struct deliver_rcpt_result *rr, enum smtp_client_outcome outcome,
    const struct smtp_reply *reply, const char *text)
{
	rr->outcome = outcome;
	strlcpy(rr->text, text != NULL ? text : "", sizeof(rr->text));
	rr->code = reply != NULL ? reply->code : 0;
	strlcpy(rr->esc, reply != NULL ? reply->esc : "", sizeof(rr->esc));
}

/* Every recipient not decided yet gets the session's failure. */
static void
fail_all(struct deliver_submit_result *res, enum smtp_client_outcome outcome,
    const struct smtp_reply *reply, const char *text)
{
	size_t i;

	for (i = 0; i < res->nrcpt; i++)
		if (res->rcpt[i].text[0] == '\0')
			set_rcpt(&res->rcpt[i], outcome, reply, text);
}

/* Write out what the engine has queued (body data): one flight. */
static void
flush(struct run *r)
{
	struct err e;
	const void *p;
	size_t n;

	p = smtp_client_output(r->c, &n);
	if (n == 0)
		return;
	if (io_session_write(&r->s, p, n, r->req->timeouts.data_block, &e) !=
	    ERR_OK) {
		smtp_client_eof(r->c, e.msg);
		return;
	}
	smtp_client_output_consume(r->c, n);
}

/*
 * BDAT: the server answers each chunk while we send the next ones.  Take
 * in what has come, so that its replies never fill the socket buffers
 * and stall both sides.
 */
static void
take_replies(struct run *r)
{
	char in[IO_SESSION_READ_CHUNK];
	struct err e;
	size_t got;

	while (smtp_client_wants_input(r->c) &&
	    io_session_input_waiting(&r->s)) {
		/* Bytes are there (a TLS record may still be arriving):
		 * the wait is short. */
		if (io_session_read(&r->s, in, sizeof(in), &got,
		    r->req->timeouts.command, &e) !=
		    ERR_OK || got == 0) {
			smtp_client_eof(r->c, got == 0 ? "connection closed "
			    "by server" : e.msg);
			return;
		}
		smtp_client_feed(r->c, in, got);
	}
}

/* Hand n bytes of the message to the engine, writing out as it fills.
 * false when the engine could not take them (the session is aborted). */
static bool
push(struct run *r, const char *p, size_t n)
{
	size_t k, out;

	while (n > 0) {
		k = n < DELIVER_INPUT_CHUNK ? n : DELIVER_INPUT_CHUNK;
		if (smtp_client_body(r->c, p, k) == -1) {
			flush(r);
			if (smtp_client_body(r->c, p, k) == -1) {
				smtp_client_abort(r->c,
				    "cannot write the message");
				return false;
			}
		}
		p += k;
		n -= k;
		(void)smtp_client_output(r->c, &out);
		if (out >= FLUSH_AT) {
			flush(r);
			if (smtp_client_bdat(r->c))
				take_replies(r);
		}
	}
	return true;
}

/*
 * RFC 6152 3: a server that does not offer 8BITMIME never receives 8-bit
 * data.  Such a message goes through the 7-bit converter (mail/mime.h).
 */
static bool
needs_7bit(struct run *r)
{
	return r->req->msg->eightbit &&
	    !(smtp_client_caps(r->c)->flags & SMTP_CAP_8BITMIME);
}

/* One chunk through the converter (or as it is), then to the engine. */
static bool
push_chunk(struct run *r, struct mail_mime *mime, struct buf *conv,
    const void *p, size_t n)
{
	struct err e;
	enum err_kind rc;

	if (mime == NULL)
		return push(r, p, n);
	buf_reset(conv);
	rc = n > 0 ? mail_mime_feed(mime, p, n, conv, &e) :
	    mail_mime_finish(mime, conv, &e);
	if (rc != ERR_OK) {
		smtp_client_abort(r->c, e.msg);
		return false;
	}
	return push(r, conv->data, conv->len);
}

static void
send_body(struct run *r)
{
	struct deliver_input *msg = r->req->msg;
	struct mail_mime *mime = NULL;
	struct buf conv;
	const void *p;
	size_t n;
	struct err e;
	bool ok = true;

	buf_init(&conv, SUBMIT_CONV_MAX);
	if (needs_7bit(r) && (mime = mail_mime_new(NULL)) == NULL) {
		smtp_client_abort(r->c, "out of memory");
		return;
	}
	deliver_input_rewind(msg);
	for (;;) {
		if (deliver_input_next(msg, &p, &n, &e) != ERR_OK) {
			smtp_client_abort(r->c, e.msg);
			ok = false;
			break;
		}
		/* n == 0 is the end: the converter gives what it holds. */
		if (!push_chunk(r, mime, &conv, p, n)) {
			ok = false;
			break;
		}
		if (n == 0)
			break;
	}
	mail_mime_free(mime);
	buf_free(&conv);
	if (!ok)
		return;
	/*
	 * Nothing may arrive between 354 and our final dot.  A reply
	 * waiting now would be taken for the answer to the dot (a broken or
	 * hostile server could make a refused message look accepted): drop
	 * the connection instead of ending the data.
	 */
	/* A signal (SIGTERM...) asked us to stop: the message must not be
	 * ended now; it stays whole in the queue. */
	if (io_net_stopped()) {
		smtp_client_abort(r->c, IO_NET_STOPPED_TEXT);
		return;
	}
	if (!smtp_client_bdat(r->c) && io_session_input_waiting(&r->s)) {
		smtp_client_abort(r->c, "server sent data before the end of "
		    "the message");
		return;
	}
	smtp_client_body_end(r->c);
	/* The message is ended: its reply is awaited even after a signal. */
	io_net_hold_stop(true);
}

static bool
dsn_requested(const struct deliver_submit_req *req)
{
	return req->dsn_notify != NULL || req->dsn_ret != NULL ||
	    req->dsn_envid != NULL;
}

static bool
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/*
 * ORCPT (RFC 3461 4.2) names the recipient as it was given: an ASCII one
 * as rfc822 in xtext.  A non-ASCII one, with SMTPUTF8, as RFC 6533's utf-8
 * type in utf-8-addr-xtext (7-bit, so also valid xtext); without SMTPUTF8
 * as rfc822 in the A-label form the server gets (RFC 6533 would allow
 * utf-8 there too, but a server without SMTPUTF8 may not know the type).
 */
static int
orcpt(struct buf *b, const char *given, const char *wire, bool utf8)
{
	if (is_ascii(given))
		return buf_append_str(b, " ORCPT=rfc822;") |
		    smtp_dsn_xtext(b, given);
	if (utf8)
		return buf_append_str(b, " ORCPT=utf-8;") |
		    smtp_dsn_utf8_xtext(b, given);
	return buf_append_str(b, " ORCPT=rfc822;") | smtp_dsn_xtext(b, wire);
}

/*
 * RFC 3461: RET and ENVID on MAIL, NOTIFY and ORCPT on each RCPT of the
 * envelope, when the caller asked for DSN and the server offers it.  A
 * server without DSN gets the message without them (never a failure; -v
 * says so).  Returns -1 when memory runs out.
 */
static int
dsn_params(struct run *r)
{
	const struct deliver_submit_req *req = r->req;
	const struct envelope *env = &r->env;
	struct buf b;
	size_t i;
	int rc = 0;

	if (!dsn_requested(req))
		return 0;
	if (!(smtp_client_caps(r->c)->flags & SMTP_CAP_DSN)) {
		log_msg(req->log, LOG_INFO, "--- the server does not offer "
		    "DSN: -N, -R and -V are left out");
		return 0;
	}
	if (req->dsn_ret != NULL)
		rc |= buf_printf(&r->params, " RET=%s", req->dsn_ret);
	if (req->dsn_envid != NULL)
		rc |= buf_append_str(&r->params, " ENVID=") |
		    smtp_dsn_xtext(&r->params, req->dsn_envid);
	r->rcpt_params = calloc(env->n ? env->n : 1, sizeof(char *));
	if (r->rcpt_params == NULL)
		return -1;
	r->nrcpt_params = env->n;
	for (i = 0; i < env->n && rc == 0; i++) {
		buf_init(&b, SMTP_LINE_MAX);
		if (req->dsn_notify != NULL)
			rc |= buf_printf(&b, " NOTIFY=%s", req->dsn_notify);
		rc |= orcpt(&b, req->rcpts[env->map[i]], env->rcpts[i],
		    env->utf8);
		if (rc == 0 && (r->rcpt_params[i] = strdup(buf_str(&b))) == NULL)
			rc = -1;
		buf_free(&b);
	}
	return rc;
}

/*
 * MAIL FROM parameters from what the server offers (RFC 1870, RFC 6152,
 * RFC 3461).  Returns false when the message is over the server's SIZE
 * limit.
 */
static bool
mail_params(struct run *r)
{
	const struct smtp_caps *caps = smtp_client_caps(r->c);
	unsigned long long size = deliver_input_size(r->req->msg);
	const char *bt = r->req->body_type;

	buf_reset(&r->params);
	if (caps->flags & SMTP_CAP_SIZE) {
		if (caps->size_max > 0 && size > caps->size_max)
			return false;
		(void)buf_printf(&r->params, " SIZE=%llu", size);
	}
	if (!(caps->flags & SMTP_CAP_8BITMIME))
		return true;
	/* -B 7BIT on 8-bit data would be a false declaration (RFC 6152). */
	if (bt != NULL && strcasecmp(bt, "7BIT") == 0 && r->req->msg->eightbit)
		log_msg(r->req->log, LOG_INFO, "--- -B 7BIT, but the message "
		    "has 8-bit bytes: sent as BODY=8BITMIME");
	if (bt != NULL && strcasecmp(bt, "7BIT") == 0 && !r->req->msg->eightbit)
		(void)buf_append_str(&r->params, " BODY=7BIT");
	else if (r->req->msg->eightbit ||
	    (bt != NULL && strcasecmp(bt, "8BITMIME") == 0))
		(void)buf_append_str(&r->params, " BODY=8BITMIME");
	return true;
}

static void message_over(struct run *r);

static void
too_big(struct run *r)
{
	char text[DELIVER_TEXT_MAX];
	size_t i;

	snprintf(text, sizeof(text), "message of %llu bytes exceeds the "
	    "server's limit of %llu bytes (5.3.4)",
	    deliver_input_size(r->req->msg), smtp_client_caps(r->c)->size_max);
	for (i = 0; i < r->res->nrcpt; i++) {
		set_rcpt(&r->res->rcpt[i], SMTP_CLIENT_PERM, NULL, text);
		strlcpy(r->res->rcpt[i].esc, "5.3.4",
		    sizeof(r->res->rcpt[i].esc));
	}
	message_over(r);
}

/* ---- the envelope (RFC 6531) ----------------------------------------- */

/*
 * Whether the message wants SMTPUTF8 (RFC 6531 3.4): -U, a non-ASCII
 * envelope address, or a non-ASCII header section (RFC 6532 3).
 */
static bool
wants_smtputf8(const struct deliver_submit_req *req)
{
	size_t i;

	if (req->smtputf8 || req->msg->header_8bit || !is_ascii(req->mail_from))
		return true;
	for (i = 0; i < req->nrcpt; i++)
		if (!is_ascii(req->rcpts[i]))
			return true;
	return false;
}

/*
 * The wire form of addr into out: UTF-8 with SMTPUTF8, else A-labels;
 * a local part that is no Dot-string quoted (RFC 5321 4.1.2).  ERR_DATA
 * with *esc: 5.6.7 for a non-ASCII local part without SMTPUTF8, else
 * bad_syntax (an address the caller did not check).
 */
static enum err_kind
wire_address(const struct run *r, const char *addr, const char *bad_syntax,
    char *out, size_t outlen, const char **esc, struct err *e)
{
	enum mail_idn_class cls;
	char form[MAIL_IDN_LEN_MAX + 1];
	enum err_kind rc;

	*esc = bad_syntax;
	if (r->env.utf8) {
		rc = mail_idn_to_utf8(addr, form, sizeof(form), e);
	} else {
		if (mail_idn_check(addr, &cls, e) != ERR_OK)
			return ERR_DATA;
		if (cls == MAIL_IDN_LOCAL) {
			*esc = "5.6.7";
			return err_set(e, ERR_DATA, "non-ASCII local part "
			    "needs SMTPUTF8, which %s does not offer",
			    r->req->host);
		}
		rc = mail_idn_to_ascii(addr, form, sizeof(form), e);
	}
	if (rc != ERR_OK)
		return rc;
	return mail_address_smtp_form(form, out, outlen, e);
}

/* A recipient refused before the transaction: permanent, for itself. */
static void
refuse_rcpt(struct run *r, size_t i, const char *esc, const char *text)
{
	struct deliver_rcpt_result *rr = &r->res->rcpt[i];

	set_rcpt(rr, SMTP_CLIENT_PERM, NULL, text);
	strlcpy(rr->esc, esc, sizeof(rr->esc));
}

/* The envelope's recipients; ERR_OS when memory runs out. */
static enum err_kind
envelope_rcpts(struct run *r, struct err *e)
{
	const struct deliver_submit_req *req = r->req;
	struct envelope *env = &r->env;
	char wire[MAIL_IDN_LEN_MAX + 1];
	const char *esc;
	struct err why;
	size_t i;

	env->rcpts = calloc(req->nrcpt ? req->nrcpt : 1, sizeof(char *));
	env->map = calloc(req->nrcpt ? req->nrcpt : 1, sizeof(size_t));
	if (env->rcpts == NULL || env->map == NULL)
		return err_set(e, ERR_OS, "out of memory");
	for (i = 0; i < req->nrcpt; i++) {
		if (wire_address(r, req->rcpts[i], "5.1.3", wire, sizeof(wire),
		    &esc, &why) != ERR_OK) {
			refuse_rcpt(r, i, esc, why.msg);
			continue;
		}
		if ((env->rcpts[env->n] = strdup(wire)) == NULL)
			return err_set(e, ERR_OS, "out of memory");
		env->map[env->n++] = i;
	}
	return ERR_OK;
}

/*
 * The envelope the server gets (see struct envelope), and " SMTPUTF8" on
 * MAIL when it is used.  Recipients that cannot be sent are refused for
 * themselves (env.n may end 0).  ERR_OK; ERR_DATA when the sender cannot
 * be sent (e says why, *esc the enhanced code); ERR_OS.
 */
static enum err_kind
build_envelope(struct run *r, const char **esc, struct err *e)
{
	const struct deliver_submit_req *req = r->req;
	struct envelope *env = &r->env;
	bool wanted = wants_smtputf8(req);
	char why[ERR_MSG_MAX];

	env->utf8 = wanted &&
	    (smtp_client_caps(r->c)->flags & SMTP_CAP_SMTPUTF8);
	if (wanted && !env->utf8)
		log_msg(req->log, LOG_INFO, "--- the server does not offer "
		    "SMTPUTF8: the message goes without it, domains in "
		    "A-labels%s", req->smtputf8 ? " (-U is left out)" : "");
	/* The cap is far: a failure here is a bug, not a bad address. */
	if (env->utf8 && buf_append_str(&r->params, " SMTPUTF8") == -1)
		return err_set(e, ERR_OS, "MAIL parameters too long");
	if (wire_address(r, req->mail_from, "5.1.7", env->from,
	    sizeof(env->from), esc, e) != ERR_OK) {
		/* mail/idn's messages name the address (escaped) already. */
		strlcpy(why, e->msg, sizeof(why));
		if (strcmp(*esc, "5.6.7") == 0)
			return err_set(e, ERR_DATA, "sender <%s>: %s",
			    req->mail_from, why);
		return err_set(e, ERR_DATA, "sender: %s", why);
	}
	return envelope_rcpts(r, e);
}

/*
 * The envelope could not be built: the whole message fails, for good
 * when the sender is at fault (one line says why: session_err), else for
 * now.
 */
static void
envelope_failed(struct run *r, const char *esc, const struct err *e)
{
	struct deliver_submit_result *res = r->res;
	size_t i;

	if (e->kind != ERR_DATA) {
		fail_all(res, SMTP_CLIENT_TEMP, NULL, e->msg);
		message_over(r);
		return;
	}
	for (i = 0; i < res->nrcpt; i++)
		if (res->rcpt[i].text[0] == '\0')
			refuse_rcpt(r, i, esc, e->msg);
	res->session_err = ERR_DATA;
	strlcpy(res->session_text, e->msg, sizeof(res->session_text));
	message_over(r);
}

static void
envelope_free(struct envelope *env)
{
	size_t i;

	for (i = 0; env->rcpts != NULL && i < env->n; i++)
		free(env->rcpts[i]);
	free(env->rcpts);
	free(env->map);
	memset(env, 0, sizeof(*env));
}

/* ---- the transaction -------------------------------------------------- */

static void next_txn(struct run *, struct smtp_client_txn *);

/* Every envelope recipient to go; -1 when memory runs out. */
static int
batch_init(struct run *r)
{
	struct batch *b = &r->batch;
	size_t i, n = r->env.n ? r->env.n : 1;

	b->todo = calloc(n, sizeof(*b->todo));
	b->deferred = calloc(n, sizeof(*b->deferred));
	b->map = calloc(n, sizeof(*b->map));
	b->rcpts = calloc(n, sizeof(*b->rcpts));
	b->params = calloc(n, sizeof(*b->params));
	if (b->todo == NULL || b->deferred == NULL || b->map == NULL ||
	    b->rcpts == NULL || b->params == NULL)
		return -1;
	for (i = 0; i < r->env.n; i++)
		b->todo[i] = i;
	b->ntodo = r->env.n;
	return 0;
}

static void
batch_free(struct batch *b)
{
	free(b->todo);
	free(b->deferred);
	free(b->map);
	free(b->rcpts);
	free(b->params);
	memset(b, 0, sizeof(*b));
}

/*
 * A transaction is over.  Its deferred recipients go first in the next
 * one when it delivered to somebody (so every further transaction makes
 * progress, and the loop ends).  A transaction that delivered nothing and
 * failed for now stops the session: without a queue, postie does not
 * deliver to later recipients what a retry would deliver again.
 */
static void
txn_done(struct run *r, const struct smtp_client_event *ev)
{
	struct batch *b = &r->batch;
	size_t i;

	/* The sender refused: one reason for all, the sender's. */
	if (ev->mail_refused && b->n > 0) {
		r->res->sender_refused = true;
		snprintf(r->res->session_text, sizeof(r->res->session_text),
		    "sender <%.200s> refused: %.280s", r->req->mail_from,
		    r->res->rcpt[r->env.map[b->map[0]]].text);
	}

	if (ev->accepted == 0 && ev->outcome == SMTP_CLIENT_TEMP) {
		b->stop = true;
		for (i = 0; i < b->ntodo; i++)
			set_rcpt(&r->res->rcpt[r->env.map[b->todo[i]]],
			    SMTP_CLIENT_TEMP, NULL, "not tried: an earlier "
			    "transaction failed for now");
		b->ntodo = 0;
		return;
	}
	if (ev->accepted == 0 || b->ndeferred == 0)
		return;
	memmove(b->todo + b->ndeferred, b->todo, b->ntodo * sizeof(*b->todo));
	memcpy(b->todo, b->deferred, b->ndeferred * sizeof(*b->todo));
	b->ntodo += b->ndeferred;
	log_msg(r->req->log, LOG_INFO, "--- %zu recipient%s did not fit: "
	    "a further transaction", b->ndeferred, b->ndeferred == 1 ? "" :
	    "s");
}

/* One recipient's final outcome in the current transaction. */
static void
on_rcpt(struct run *r, const struct smtp_client_event *ev)
{
	struct batch *b = &r->batch;
	size_t envi;

	if (ev->rcpt_index >= b->n)
		return;
	envi = b->map[ev->rcpt_index];
	if (ev->deferred)
		b->deferred[b->ndeferred++] = envi;
	set_rcpt(&r->res->rcpt[r->env.map[envi]], ev->outcome, ev->reply,
	    ev->text);
}

static void
start_txn(struct run *r, struct smtp_client_txn *txn)
{
	const char *esc = "";
	struct err e;

	r->started = true;
	if (!mail_params(r)) {
		too_big(r);
		return;
	}
	if (build_envelope(r, &esc, &e) != ERR_OK) {
		envelope_failed(r, esc, &e);
		return;
	}
	if (r->env.n == 0) {		/* every recipient refused */
		message_over(r);
		return;
	}
	if (dsn_params(r) == -1 || batch_init(r) == -1) {
		fail_all(r->res, SMTP_CLIENT_TEMP, NULL, "out of memory");
		message_over(r);
		return;
	}
	next_txn(r, txn);
}

/* The message in hand is done with: free what was its own. */
static void
message_free(struct run *r)
{
	size_t i;

	buf_reset(&r->params);
	for (i = 0; r->rcpt_params != NULL && i < r->nrcpt_params; i++)
		free(r->rcpt_params[i]);
	free(r->rcpt_params);
	r->rcpt_params = NULL;
	r->nrcpt_params = 0;
	envelope_free(&r->env);
	batch_free(&r->batch);
}

/*
 * The message in hand is over: the next one starts on this connection
 * (a queue run), or the session ends with QUIT.
 */
static void
message_over(struct run *r)
{
	fail_all(r->res, SMTP_CLIENT_TEMP, NULL, "session ended early");
	if (r->k > 0) {
		strlcpy(r->res->relay, r->results[0].relay,
		    sizeof(r->res->relay));
		strlcpy(r->res->tls, r->results[0].tls, sizeof(r->res->tls));
	}
	if (r->reqs[0].done != NULL)
		r->reqs[0].done(r->reqs[0].done_arg, r->k, r->res);
	if (r->k + 1 >= r->nmsg) {
		smtp_client_quit(r->c);
		return;
	}
	message_free(r);
	r->k++;
	r->req = &r->reqs[r->k];
	r->res = &r->results[r->k];
	start_txn(r, r->txn);
}

/*
 * The next transaction: the first recipients still to go, as many as the
 * server takes (RCPTMAX); last when none are left after them.
 */
static void
next_txn(struct run *r, struct smtp_client_txn *txn)
{
	struct batch *b = &r->batch;
	unsigned max = smtp_client_caps(r->c)->rcptmax;
	size_t i, k = b->ntodo;
	struct err e;

	if (max > 0 && k > max)
		k = max;
	for (i = 0; i < k; i++) {
		b->map[i] = b->todo[i];
		b->rcpts[i] = r->env.rcpts[b->todo[i]];
		b->params[i] = r->rcpt_params != NULL ?
		    r->rcpt_params[b->todo[i]] : NULL;
	}
	b->n = k;
	b->ntodo -= k;
	memmove(b->todo, b->todo + k, b->ntodo * sizeof(*b->todo));
	b->ndeferred = 0;
	memset(txn, 0, sizeof(*txn));
	txn->mail_params = buf_str(&r->params);
	txn->rcpt_params = r->rcpt_params != NULL ?
	    (const char *const *)b->params : NULL;
	txn->mail_from = r->env.from;
	txn->rcpts = (const char *const *)b->rcpts;
	txn->nrcpt = k;
	txn->last = b->ntodo == 0 && r->k + 1 >= r->nmsg;
	txn->abandon_on_temp_rcpt = !r->req->partial_ok;
	if (smtp_client_mail(r->c, txn, &e) != ERR_OK) {
		fail_all(r->res, SMTP_CLIENT_PERM, NULL, e.msg);
		r->res->session_err = ERR_SOFTWARE;
		strlcpy(r->res->session_text, e.msg,
		    sizeof(r->res->session_text));
		r->finished = true;
	}
}

/* ---- TLS ------------------------------------------------------------ */

#define CB_MAX 1024		/* channel binding data: 32 to 64 bytes */
#define HANDSHAKE_PREFIX "handshake failed: "

/* io_tls's reason without its "handshake failed: ", which the engine
 * and tls_fail_text() say themselves. */
static const char *
tls_reason(const char *msg)
{
	size_t n = strlen(HANDSHAKE_PREFIX);

	return strncmp(msg, HANDSHAKE_PREFIX, n) == 0 ? msg + n : msg;
}

/* -v: what the session is; AUTH: the channel binding (RFC 9266). */
static enum err_kind
tls_ready(struct run *r, struct err *e)
{
	struct buf b;
	const char *type;
	enum err_kind rc = ERR_OK;

	r->tls_up = true;
	strlcpy(r->res->tls, io_tls_version(r->s.tls), sizeof(r->res->tls));
	if (r->req->trace) {
		buf_init(&b, 1024);
		io_tls_describe(r->s.tls, &b);
		log_msg(r->req->log, LOG_INFO, "--- TLS: %s", buf_str(&b));
		buf_free(&b);
	}
	if (r->req->sasl == NULL)
		return ERR_OK;
	buf_init(&b, CB_MAX);
	/* No binding (ERR_UNAVAILABLE): the -PLUS mechanisms are not
	 * offered to the server, nothing else changes. */
	if (io_tls_channel_binding(r->s.tls, &type, &b, e) == ERR_OK)
		rc = smtp_sasl_set_channel_binding(r->req->sasl, type, b.data,
		    b.len, e);
	buf_wipe_free(&b);
	return rc;
}

/*
 * SMTP_CLIENT_EV_NEED_TLS: the 220 to STARTTLS is in.  The engine has
 * seen every byte read so far and fails on bytes after the 220
 * (CVE-2021-22947); a byte already waiting on the socket came in a later
 * segment, before our ClientHello: the same attack.
 */
static void
start_tls(struct run *r)
{
	struct err e;

	if (io_session_input_waiting(&r->s)) {
		smtp_client_tls_failed(r->c, "server sent data after its "
		    "STARTTLS reply");
		return;
	}
	if (io_session_start_tls_client(&r->s, &r->req->tls_conf, &e) !=
	    ERR_OK) {
		r->tls_kind = e.kind;
		smtp_client_tls_failed(r->c, tls_reason(e.msg));
		return;
	}
	if (tls_ready(r, &e) != ERR_OK) {
		r->tls_kind = e.kind;
		smtp_client_abort(r->c, e.msg);
		return;
	}
	smtp_client_tls_started(r->c);
}

/*
 * The session failed.  With TLS required and not up yet, nothing the
 * server said can be trusted (RFC 3207 6): a 5xx greeting or EHLO
 * refusal, a protocol error, may all be an attacker's, and a retry may
 * work: temporary.  Unusable TLS configuration stays what it is.
 */
static void
on_failed(struct run *r, const struct smtp_client_event *ev)
{
	struct deliver_submit_result *res = r->res;
	enum smtp_client_outcome outcome = ev->outcome;
	enum err_kind kind = ev->err;

	if (r->req->tls == SMTP_CLIENT_TLS_STARTTLS && !r->tls_up &&
	    r->tls_kind == ERR_OK) {
		kind = ERR_TEMP;
		outcome = SMTP_CLIENT_TEMP;
	}
	if (r->tls_kind != ERR_OK && r->tls_kind != ERR_TEMP) {
		kind = r->tls_kind;
		outcome = SMTP_CLIENT_PERM;
	}
	for (; res <= &r->results[r->nmsg - 1]; res++) {
		res->tls_failed = r->tls_kind != ERR_OK;
		res->session_err = kind;
		strlcpy(res->session_text, ev->text != NULL ? ev->text : "",
		    sizeof(res->session_text));
		fail_all(res, outcome, ev->reply, ev->text);
	}
	r->finished = true;
}

static void
on_event(struct run *r, const struct smtp_client_event *ev,
    struct smtp_client_txn *txn)
{
	switch (ev->type) {
	case SMTP_CLIENT_EV_READY:
		if (!r->started)
			start_txn(r, txn);
		else if (!r->batch.stop && r->batch.ntodo > 0)
			next_txn(r, txn);
		else
			message_over(r);
		break;
	case SMTP_CLIENT_EV_NEED_TLS:
		start_tls(r);
		break;
	case SMTP_CLIENT_EV_NEED_BODY:
		send_body(r);
		break;
	case SMTP_CLIENT_EV_RCPT:
		on_rcpt(r, ev);
		break;
	case SMTP_CLIENT_EV_TXN_DONE:
		io_net_hold_stop(false);
		txn_done(r, ev);
		break;
	case SMTP_CLIENT_EV_FAILED:
		on_failed(r, ev);
		break;
	case SMTP_CLIENT_EV_DONE:
		r->finished = true;
		break;
	case SMTP_CLIENT_EV_NONE:
		break;
	}
}

static void
drive(struct run *r)
{
	struct smtp_client_event ev;
	struct smtp_client_txn txn;
	struct err e;
	int idle = 0;

	/* Only while drive() runs: cleared before it returns. */
	r->txn = &txn;	/* cppcheck-suppress autoVariables */
	while (!r->finished) {
		bool any = false;

		while (!r->finished &&
		    smtp_client_next_event(r->c, &ev) != SMTP_CLIENT_EV_NONE) {
			on_event(r, &ev, &txn);
			any = true;
		}
		if (r->finished)
			break;
		if (io_session_pump_client(&r->s, r->c, &e) != ERR_OK && !any &&
		    ++idle > 3) {
			/* The engine was told and still has nothing to say:
			 * a bug, but never a hang. */
			for (; r->k < r->nmsg; r->k++) {
				r->res = &r->results[r->k];
				fail_all(r->res, SMTP_CLIENT_TEMP, NULL, e.msg);
				r->res->session_err = ERR_SOFTWARE;
				strlcpy(r->res->session_text, e.msg,
				    sizeof(r->res->session_text));
			}
			break;
		}
	}
	/* A QUIT queued with a failure goes out if the socket takes it. */
	flush(r);
	r->txn = NULL;
}

static enum err_kind
session_fail(struct deliver_submit_result *res, enum err_kind kind,
    const struct err *why, struct err *e)
{
	fail_all(res, kind == ERR_TEMP ? SMTP_CLIENT_TEMP : SMTP_CLIENT_PERM,
	    NULL, why->msg);
	res->session_err = kind;
	strlcpy(res->session_text, why->msg, sizeof(res->session_text));
	if (e != why && e != NULL)
		*e = *why;
	return kind;
}

static enum err_kind
connect_host(const struct deliver_submit_req *req,
    struct deliver_submit_result *res, int *fd, struct err *e)
{
	struct addrinfo *ai = NULL;
	char peer[IO_NET_ADDRSTR_MAX];
	enum err_kind rc;

	if (req->addr != NULL) {
		struct addrinfo one = *req->addr;

		one.ai_next = NULL;	/* this address alone */
		rc = io_net_connect(&one, req->timeouts.connect * 1000, fd,
		    peer, sizeof(peer), e);
	} else {
		rc = dns_resolve_host(req->host, req->port, &ai, e);
		if (rc == ERR_OK)
			rc = io_net_connect(ai, req->timeouts.connect * 1000,
			    fd, peer, sizeof(peer), e);
		dns_resolve_free(ai);
	}
	if (rc != ERR_OK)
		return rc;
	snprintf(res->relay, sizeof(res->relay), "%s [%s]", req->host, peer);
	return ERR_OK;
}

/* RFC 8314 3.3: TLS first, before the greeting is read. */
static enum err_kind
implicit_tls(struct run *r, struct err *e)
{
	char why[ERR_MSG_MAX];

	if (io_session_start_tls_client(&r->s, &r->req->tls_conf, e) !=
	    ERR_OK) {
		strlcpy(why, tls_reason(e->msg), sizeof(why));
		return err_set(e, e->kind, "TLS handshake failed: %s", why);
	}
	return tls_ready(r, e);
}

static void
run_free(struct run *r)
{
	message_free(r);
	buf_free(&r->params);
}

enum err_kind
deliver_submit_run(const struct deliver_submit_req *req,
    struct deliver_submit_result *res, struct err *e)
{
	return deliver_submit_run_many(req, 1, res, e);
}

/* What every message of a session shares: the relay, TLS, flights. */
static void
share_session(struct deliver_submit_result *res, size_t n, unsigned flights)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0) {
			strlcpy(res[i].relay, res[0].relay,
			    sizeof(res[i].relay));
			strlcpy(res[i].tls, res[0].tls, sizeof(res[i].tls));
		}
		res[i].flights = flights;
		fail_all(&res[i], SMTP_CLIENT_TEMP, NULL,
		    "session ended early");
	}
}

static enum err_kind
fail_every(struct deliver_submit_result *res, size_t n, enum err_kind kind,
    struct err *e)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)session_fail(&res[i], kind, e, NULL);
	return kind;
}

enum err_kind
deliver_submit_run_many(const struct deliver_submit_req *reqs, size_t n,
    struct deliver_submit_result *res, struct err *e)
{
	const struct deliver_submit_req *req = &reqs[0];
	struct smtp_client_conf cc;
	struct run r;
	int fd = -1;
	enum err_kind rc;
	size_t i;

	if (n == 0)
		return ERR_OK;
	for (i = 0; i < n; i++) {
		res[i].rcpt = calloc(reqs[i].nrcpt ? reqs[i].nrcpt : 1,
		    sizeof(*res[i].rcpt));
		if (res[i].rcpt == NULL)
			return err_set(e, ERR_OS, "out of memory");
		res[i].nrcpt = reqs[i].nrcpt;
	}
	if ((rc = connect_host(req, &res[0], &fd, e)) != ERR_OK)
		return fail_every(res, n, rc, e);

	memset(&r, 0, sizeof(r));
	r.reqs = reqs;
	r.results = res;
	r.nmsg = n;
	r.req = req;
	r.res = res;
	buf_init(&r.params, SMTP_LINE_MAX);
	io_session_init(&r.s, fd, &req->timeouts, req->log);
	if (req->tls == SMTP_CLIENT_TLS_IMPLICIT &&
	    (rc = implicit_tls(&r, e)) != ERR_OK) {
		io_session_close(&r.s);
		run_free(&r);
		return fail_every(res, n, rc, e);
	}
	memset(&cc, 0, sizeof(cc));
	cc.helo_name = req->helo_name;
	cc.tls = req->tls;
	cc.sasl = req->sasl;
	if (req->trace) {
		cc.trace = trace;
		cc.trace_arg = &r;
	}
	if ((r.c = smtp_client_new(&cc)) == NULL) {
		io_session_close(&r.s);
		run_free(&r);
		err_set(e, ERR_OS, "out of memory");
		return fail_every(res, n, ERR_OS, e);
	}
	drive(&r);
	io_net_hold_stop(false);
	smtp_client_free(r.c);
	io_session_close(&r.s);
	run_free(&r);
	share_session(res, n, r.s.flights);
	return ERR_OK;
}

/* The exit-code kind of a permanent reply (RFC 3463 codes first). */
static enum err_kind
perm_kind(const struct deliver_rcpt_result *rr)
{
	/* 5.1.2 bad destination system, 5.1.10 null MX (RFC 7505). */
	if (strcmp(rr->esc, "5.1.2") == 0 || strcmp(rr->esc, "5.1.10") == 0)
		return ERR_NOHOST;
	if (strncmp(rr->esc, "5.1.", 4) == 0)
		return ERR_NOUSER;
	if (strncmp(rr->esc, "5.6.", 4) == 0 ||
	    strcmp(rr->esc, "5.3.4") == 0)
		return ERR_DATA;
	if (rr->esc[0] == '\0' && (rr->code == 550 || rr->code == 551 ||
	    rr->code == 553))
		return ERR_NOUSER;
	return ERR_UNAVAILABLE;
}

enum err_kind
deliver_submit_outcome(const struct deliver_submit_result *res,
    struct err *e)
{
	size_t i, delivered = 0, temp = 0;
	const struct deliver_rcpt_result *first_temp = NULL, *first_perm = NULL;

	for (i = 0; i < res->nrcpt; i++) {
		const struct deliver_rcpt_result *rr = &res->rcpt[i];

		if (rr->outcome == SMTP_CLIENT_OK)
			delivered++;
		else if (rr->outcome == SMTP_CLIENT_TEMP) {
			temp++;
			if (first_temp == NULL)
				first_temp = rr;
		} else if (first_perm == NULL)
			first_perm = rr;
	}
	if (delivered > 0) {
		err_clear(e);
		return ERR_OK;
	}
	if (res->sender_refused)
		return err_set(e, temp > 0 ? ERR_TEMP : first_perm != NULL ?
		    perm_kind(first_perm) : ERR_UNAVAILABLE, "%s",
		    res->session_text);
	if (temp > 0)
		return err_set(e, ERR_TEMP, "%s", first_temp->text);
	if (res->session_err != ERR_OK && res->session_err != ERR_TEMP)
		return err_set(e, res->session_err, "%s", res->session_text);
	if (first_perm != NULL)
		return err_set(e, perm_kind(first_perm), "%s",
		    first_perm->text);
	return err_set(e, ERR_SOFTWARE, "no recipient");
}
