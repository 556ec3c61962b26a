#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deliver/submit.h"
#include "dns/resolve.h"
#include "io/net.h"
#include "mail/mime.h"
#include "smtp/dsn.h"
#include "io/tls.h"
#include "smtp/sasl.h"

#define FLUSH_AT (256u << 10)	/* write body data out past this much */
/* The converter releases at most what it holds (MAIL_MIME_HOLD_MAX) plus
 * the quoted-printable growth of one chunk. */
#define SUBMIT_CONV_MAX (16u << 20)

struct run {
	const struct deliver_submit_req *req;
	struct deliver_submit_result *res;
	struct io_session s;
	struct smtp_client *c;
	bool started, finished;
	bool tls_up;		/* the handshake succeeded */
	enum err_kind tls_kind;	/* why it failed, ERR_OK when it did not */
	struct buf params;	/* MAIL FROM parameters */
	char **rcpt_params;	/* RCPT TO parameters (DSN), or NULL */
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
		if (out >= FLUSH_AT)
			flush(r);
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
	if (io_session_input_waiting(&r->s)) {
		smtp_client_abort(r->c, "server sent data before the end of "
		    "the message");
		return;
	}
	smtp_client_body_end(r->c);
}

static bool
dsn_requested(const struct deliver_submit_req *req)
{
	return req->dsn_notify != NULL || req->dsn_ret != NULL ||
	    req->dsn_envid != NULL;
}

/*
 * RFC 3461: RET and ENVID on MAIL, NOTIFY and ORCPT on each RCPT, when
 * the caller asked for DSN and the server offers it.  A server without
 * DSN gets the message without them (never a failure; -v says so).
 * Returns -1 when memory runs out.
 */
static int
dsn_params(struct run *r)
{
	const struct deliver_submit_req *req = r->req;
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
	if ((r->rcpt_params = calloc(req->nrcpt, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < req->nrcpt && rc == 0; i++) {
		buf_init(&b, SMTP_LINE_MAX);
		if (req->dsn_notify != NULL)
			rc |= buf_printf(&b, " NOTIFY=%s", req->dsn_notify);
		rc |= buf_append_str(&b, " ORCPT=rfc822;") |
		    smtp_dsn_xtext(&b, req->rcpts[i]);
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
	if (bt != NULL && strcasecmp(bt, "7BIT") == 0)
		(void)buf_append_str(&r->params, " BODY=7BIT");
	else if (r->req->msg->eightbit ||
	    (bt != NULL && strcasecmp(bt, "8BITMIME") == 0))
		(void)buf_append_str(&r->params, " BODY=8BITMIME");
	return true;
}

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
	smtp_client_quit(r->c);
}

static void
start_txn(struct run *r, struct smtp_client_txn *txn)
{
	struct err e;

	r->started = true;
	if (!mail_params(r)) {
		too_big(r);
		return;
	}
	if (dsn_params(r) == -1) {
		smtp_client_quit(r->c);
		fail_all(r->res, SMTP_CLIENT_TEMP, NULL, "out of memory");
		return;
	}
	memset(txn, 0, sizeof(*txn));
	txn->mail_params = buf_str(&r->params);
	txn->rcpt_params = (const char *const *)r->rcpt_params;
	txn->mail_from = r->req->mail_from;
	txn->rcpts = r->req->rcpts;
	txn->nrcpt = r->req->nrcpt;
	txn->last = true;
	txn->abandon_on_temp_rcpt = true;
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
	res->session_err = kind;
	strlcpy(res->session_text, ev->text != NULL ? ev->text : "",
	    sizeof(res->session_text));
	fail_all(res, outcome, ev->reply, ev->text);
	r->finished = true;
}

static void
on_event(struct run *r, const struct smtp_client_event *ev,
    struct smtp_client_txn *txn)
{
	struct deliver_submit_result *res = r->res;

	switch (ev->type) {
	case SMTP_CLIENT_EV_READY:
		if (!r->started)
			start_txn(r, txn);
		else
			smtp_client_quit(r->c);
		break;
	case SMTP_CLIENT_EV_NEED_TLS:
		start_tls(r);
		break;
	case SMTP_CLIENT_EV_NEED_BODY:
		send_body(r);
		break;
	case SMTP_CLIENT_EV_RCPT:
		if (ev->rcpt_index < res->nrcpt)
			set_rcpt(&res->rcpt[ev->rcpt_index], ev->outcome,
			    ev->reply, ev->text);
		break;
	case SMTP_CLIENT_EV_FAILED:
		on_failed(r, ev);
		break;
	case SMTP_CLIENT_EV_DONE:
		r->finished = true;
		break;
	case SMTP_CLIENT_EV_TXN_DONE:
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
			fail_all(r->res, SMTP_CLIENT_TEMP, NULL, e.msg);
			r->res->session_err = ERR_SOFTWARE;
			strlcpy(r->res->session_text, e.msg,
			    sizeof(r->res->session_text));
			break;
		}
	}
	/* A QUIT queued with a failure goes out if the socket takes it. */
	flush(r);
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

	rc = dns_resolve_host(req->host, req->port, &ai, e);
	if (rc == ERR_OK)
		rc = io_net_connect(ai, req->timeouts.connect * 1000, fd, peer,
		    sizeof(peer), e);
	dns_resolve_free(ai);
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
	size_t i;

	buf_free(&r->params);
	for (i = 0; r->rcpt_params != NULL && i < r->req->nrcpt; i++)
		free(r->rcpt_params[i]);
	free(r->rcpt_params);
}

enum err_kind
deliver_submit_run(const struct deliver_submit_req *req,
    struct deliver_submit_result *res, struct err *e)
{
	struct smtp_client_conf cc;
	struct run r;
	int fd = -1;
	enum err_kind rc;

	res->rcpt = calloc(req->nrcpt ? req->nrcpt : 1, sizeof(*res->rcpt));
	if (res->rcpt == NULL)
		return err_set(e, ERR_OS, "out of memory");
	res->nrcpt = req->nrcpt;
	if ((rc = connect_host(req, res, &fd, e)) != ERR_OK)
		return session_fail(res, rc, e, e);

	memset(&r, 0, sizeof(r));
	r.req = req;
	r.res = res;
	buf_init(&r.params, SMTP_LINE_MAX);
	io_session_init(&r.s, fd, &req->timeouts, req->log);
	if (req->tls == SMTP_CLIENT_TLS_IMPLICIT &&
	    (rc = implicit_tls(&r, e)) != ERR_OK) {
		io_session_close(&r.s);
		run_free(&r);
		return session_fail(res, rc, e, e);
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
		return session_fail(res, ERR_OS, e, e);
	}
	drive(&r);
	res->flights = r.s.flights;
	smtp_client_free(r.c);
	io_session_close(&r.s);
	run_free(&r);
	fail_all(res, SMTP_CLIENT_TEMP, NULL, "session ended early");
	return ERR_OK;
}

/* The exit-code kind of a permanent reply (RFC 3463 codes first). */
static enum err_kind
perm_kind(const struct deliver_rcpt_result *rr)
{
	if (strncmp(rr->esc, "5.1.2", 5) == 0)
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
	if (temp > 0)
		return err_set(e, ERR_TEMP, "%s", first_temp->text);
	if (res->session_err != ERR_OK && res->session_err != ERR_TEMP)
		return err_set(e, res->session_err, "%s", res->session_text);
	if (first_perm != NULL)
		return err_set(e, perm_kind(first_perm), "%s",
		    first_perm->text);
	return err_set(e, ERR_SOFTWARE, "no recipient");
}
