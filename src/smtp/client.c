#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/client_int.h"
#include "smtp/sasl.h"

/*
 * The session half of the client engine: plumbing, failure, greeting,
 * EHLO/HELO, STARTTLS, AUTH, reply dispatch and the public interface.
 * The mail transaction (MAIL, RCPT, DATA, the body, the dot and the
 * recipients' outcomes) is in client_txn.c; what both share is in
 * client_int.h.
 */

#define CLIENT_AUTH_LINE_MAX 12288	/* RFC 4954 section 4 */

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
	[ST_BDAT_HOLD] = "bdat-hold",
	[ST_DATA_END] = "data-end",
	[ST_RSET] = "rset",
	[ST_QUIT] = "quit",
	[ST_DONE] = "done",
	[ST_FAILED] = "failed",
};

/* --- plumbing: trace, state, events, output, outstanding queue ---------- */

void
cl_trace(struct smtp_client *c, enum smtp_client_dir dir, const char *line)
{
	if (c->conf.trace != NULL)
		c->conf.trace(c->conf.trace_arg, dir, line, strlen(line));
}

bool
cl_terminal(const struct smtp_client *c)
{
	return c->state == ST_DONE || c->state == ST_FAILED;
}

void
cl_set_state(struct smtp_client *c, enum state st)
{
	char line[96];

	if ((unsigned)st >= ST_COUNT) {
		/* A bug: fail rather than run in an unknown state. */
		snprintf(line, sizeof(line), "bug: bad state %d", (int)st);
		cl_trace(c, SMTP_CLIENT_INFO, line);
		st = ST_FAILED;
	}
	if (st == c->state)
		return;
	snprintf(line, sizeof(line), "state %s -> %s", state_names[c->state],
	    state_names[st]);
	cl_trace(c, SMTP_CLIENT_INFO, line);
	c->state = st;
}

void
cl_queue_event(struct smtp_client *c, enum smtp_client_event_type type)
{
	/* At most a handful are ever queued (the engine stops after EV_DONE
	 * or EV_FAILED); a full queue would be a bug. */
	if (c->ev_len - c->ev_head >= CLIENT_EVQ_MAX) {
		cl_trace(c, SMTP_CLIENT_INFO, "bug: event queue full");
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

int
cl_pend_reserve(struct smtp_client *c, size_t n)
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

int
cl_pend_push(struct smtp_client *c, enum cmd cmd, size_t rcpt)
{
	if (c->q_len == c->q_cap && cl_pend_reserve(c, 8) == -1)
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
 * Room for n more bytes in the output without realloc(): realloc() may
 * move the bytes and free the old block unwiped, which would leave a
 * copy of an AUTH payload on the heap.  So the output moves itself, and
 * wipes the old block (buf_wipe_free).  -1 when full or out of memory.
 */
static int
out_reserve_wiped(struct smtp_client *c, size_t n)
{
	size_t len = c->out.len, cap;
	char *p;

	if (c->out.data != NULL && c->out.cap - len >= n)
		return 0;
	if (n > c->out.max - len)
		return -1;
	cap = 2 * c->out.cap > len + n ? 2 * c->out.cap : len + n;
	if (cap > c->out.max)
		cap = c->out.max;
	if ((p = malloc(cap + 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(p, c->out.data, len);
	p[len] = '\0';
	buf_wipe_free(&c->out);
	c->out.data = p;
	c->out.len = len;
	c->out.cap = cap;
	return 0;
}

/*
 * Append a + b + CRLF to the output (b may be NULL), all or nothing, and
 * trace it (as trace_as when given: AUTH payloads).  -1 when out is full.
 * While the output holds a secret (c->out_secret) it never reallocs.
 */
int
cl_put_line(struct smtp_client *c, const char *a, const char *b,
    const char *trace_as, bool secret)
{
	size_t la = strlen(a), lb = b != NULL ? strlen(b) : 0;

	if (la + lb + 2 > c->out.max - c->out.len ||
	    ((secret || c->out_secret) &&
	    out_reserve_wiped(c, la + lb + 2) == -1) ||
	    buf_append(&c->out, a, la) == -1 ||
	    (lb > 0 && buf_append(&c->out, b, lb) == -1) ||
	    buf_append(&c->out, "\r\n", 2) == -1) {
		cl_fail(c, ERR_SOFTWARE, NULL, "cannot queue a command");
		return -1;
	}
	if (secret)
		c->out_secret = true;
	if (trace_as != NULL) {
		cl_trace(c, SMTP_CLIENT_SENT, trace_as);
	} else if (b == NULL) {
		cl_trace(c, SMTP_CLIENT_SENT, a);
	} else {
		/* Only short lines ("*") reach here; AUTH passes trace_as. */
		char line[SMTP_LINE_MAX];

		snprintf(line, sizeof(line), "%s%s", a, b);
		cl_trace(c, SMTP_CLIENT_SENT, line);
	}
	return 0;
}

int
cl_send_cmd(struct smtp_client *c, enum cmd cmd, size_t rcpt, const char *fmt,
    ...)
{
	char line[SMTP_LINE_MAX - 1];	/* CRLF included in the limit */
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		cl_fail(c, ERR_SOFTWARE, NULL, "command line too long");
		return -1;
	}
	if (cl_put_line(c, line, NULL, NULL, false) == -1)
		return -1;
	if (cl_pend_push(c, cmd, rcpt) == -1) {
		cl_fail(c, ERR_OS, NULL, "out of memory");
		return -1;
	}
	return 0;
}

/* Render a reply for an event or error text (truncated when long). */
void
cl_format_reply(struct buf *b, const struct smtp_reply *r)
{
	buf_reset(b);
	(void)smtp_reply_format(r, b);
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
void
cl_fail(struct smtp_client *c, enum err_kind kind, const struct smtp_reply *r,
    const char *fmt, ...)
{
	va_list ap;

	if (cl_terminal(c))
		return;
	va_start(ap, fmt);
	vsnprintf(c->fail_text, sizeof(c->fail_text), fmt, ap);
	va_end(ap);
	if (r != NULL) {
		cl_format_reply(&c->text, r);
		strlcat(c->fail_text, ": ", sizeof(c->fail_text));
		strlcat(c->fail_text, buf_str(&c->text), sizeof(c->fail_text));
		c->has_fail_reply = smtp_reply_copy(&c->fail_reply, r) == 0;
	}
	c->fail_kind = kind;
	drop_stale_events(c);
	cl_txn_fail(c, r);
	pend_clear(c);
	cl_set_state(c, ST_FAILED);
	cl_queue_event(c, SMTP_CLIENT_EV_FAILED);
}

/* A refusal while the server still listens: say QUIT, then fail. */
static void
refuse(struct smtp_client *c, enum err_kind kind, const struct smtp_reply *r,
    const char *what)
{
	if (cl_put_line(c, "QUIT", NULL, NULL, false) == -1)
		return;
	cl_fail(c, kind, r, "%s", what);
}

void
cl_unexpected(struct smtp_client *c, const struct smtp_reply *r, const char *to)
{
	cl_fail(c, ERR_PROTOCOL, r, "unexpected reply to %s", to);
}

/* --- session setup: greeting, EHLO/HELO, STARTTLS, AUTH --------------- */

void
cl_go_ready(struct smtp_client *c)
{
	cl_set_state(c, ST_READY);
	cl_queue_event(c, SMTP_CLIENT_EV_READY);
}

static void
send_hello(struct smtp_client *c, enum cmd cmd)
{
	const char *h = c->conf.helo_name;

	if (h == NULL || *h == '\0' || strpbrk(h, " \t\r\n") != NULL) {
		cl_fail(c, ERR_SOFTWARE, NULL, "invalid EHLO name");
		return;
	}
	if (cl_send_cmd(c, cmd, 0, "%s %s", cmd == CMD_EHLO ? "EHLO" : "HELO",
	    h) == 0)
		cl_set_state(c, cmd == CMD_EHLO ? ST_EHLO : ST_HELO);
}

static void
on_greeting(struct smtp_client *c, const struct smtp_reply *r)
{
	switch (r->cls) {
	case SMTP_REPLY_POSITIVE:
		send_hello(c, CMD_EHLO);
		break;
	case SMTP_REPLY_TEMPORARY:
		cl_fail(c, ERR_TEMP, r, "server not available");
		break;
	case SMTP_REPLY_PERMANENT:
		/* RFC 5321 3.1: after a 554 greeting the client sends QUIT. */
		refuse(c, ERR_UNAVAILABLE, r, "server refused the session");
		break;
	default:
		cl_unexpected(c, r, "the connection");
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
		(void)cl_put_line(c, head, NULL, NULL, false);
	} else if (strlen(head) + 1 + init.len + 2 <= CLIENT_AUTH_LINE_MAX) {
		strlcat(head, " ", sizeof(head));
		(void)cl_put_line(c, head, buf_str(&init), shown, true);
	} else {
		/* Too long for the AUTH line: send it after an empty 334. */
		buf_wipe_free(&c->auth_pending);
		c->auth_pending = init;
		buf_init(&init, 0);
		(void)cl_put_line(c, head, NULL, NULL, false);
	}
	buf_wipe_free(&init);
	if (cl_terminal(c))
		return;
	if (cl_pend_push(c, CMD_AUTH, 0) == -1) {
		cl_fail(c, ERR_OS, NULL, "out of memory");
		return;
	}
	cl_set_state(c, ST_AUTH);
}

/* After EHLO/HELO: STARTTLS when required, then AUTH, then ready. */
static void
after_hello(struct smtp_client *c)
{
	if (c->conf.tls == SMTP_CLIENT_TLS_MAY && !c->tls_on &&
	    !c->tls_refused && (c->caps.flags & SMTP_CAP_STARTTLS)) {
		if (cl_send_cmd(c, CMD_STARTTLS, 0, "STARTTLS") == 0)
			cl_set_state(c, ST_STARTTLS);
		return;
	}
	if (c->conf.tls == SMTP_CLIENT_TLS_STARTTLS && !c->tls_on) {
		/* Required and missing: nothing else may be sent. */
		if (!(c->caps.flags & SMTP_CAP_STARTTLS)) {
			refuse(c, ERR_TEMP, NULL,
			    "server does not offer STARTTLS");
			return;
		}
		if (cl_send_cmd(c, CMD_STARTTLS, 0, "STARTTLS") == 0)
			cl_set_state(c, ST_STARTTLS);
		return;
	}
	if (c->conf.sasl != NULL && !c->auth_done) {
		start_auth(c);
		return;
	}
	cl_go_ready(c);
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
		cl_unexpected(c, r, ehlo ? "EHLO" : "HELO");
	}
}

static void
on_starttls(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->code == 220) {
		/* Bytes after the 220 were sent before the handshake and
		 * would be read as if protected: CVE-2021-22947. */
		if (c->feed_rest > 0) {
			cl_fail(c, ERR_PROTOCOL, NULL,
			    "server sent data after its STARTTLS reply");
			return;
		}
		cl_set_state(c, ST_TLS);
		cl_queue_event(c, SMTP_CLIENT_EV_NEED_TLS);
	} else if (c->conf.tls == SMTP_CLIENT_TLS_MAY &&
	    (r->cls == SMTP_REPLY_TEMPORARY ||
	    r->cls == SMTP_REPLY_PERMANENT)) {
		/* Opportunistic: on in clear, as without the offer. */
		c->tls_refused = true;
		after_hello(c);
	} else if (r->cls == SMTP_REPLY_TEMPORARY ||
	    r->cls == SMTP_REPLY_PERMANENT) {
		refuse(c, ERR_TEMP, r, "STARTTLS refused");
	} else {
		cl_unexpected(c, r, "STARTTLS");
	}
}

/* Cancel the AUTH exchange (RFC 4954 section 4: "*") and fail. */
static void
auth_cancel(struct smtp_client *c, enum err_kind kind, const char *why)
{
	if (cl_put_line(c, "*", NULL, NULL, false) == -1)
		return;
	cl_fail(c, kind, NULL, "%s", why);
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
	else if (cl_put_line(c, buf_str(&resp), NULL, "<redacted>",
	    true) == 0 && cl_pend_push(c, CMD_AUTH, 0) == -1)
		cl_fail(c, ERR_OS, NULL, "out of memory");
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
		cl_unexpected(c, r, "AUTH");
	}
}

/* QUIT answered (whatever the reply) or the server closed after it. */
static void
finish_quit(struct smtp_client *c)
{
	pend_clear(c);
	cl_set_state(c, ST_DONE);
	cl_queue_event(c, SMTP_CLIENT_EV_DONE);
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
		cl_trace(c, SMTP_CLIENT_RECV, line);
	}
}

static void
dispatch(struct smtp_client *c, const struct smtp_reply *r)
{
	struct pending p;

	if (pend_empty(c)) {
		if (r->code == 421)
			cl_fail(c, ERR_TEMP, r, "server closed the session");
		else
			cl_unexpected(c, r, "nothing");
		return;
	}
	p = c->q[c->q_head++];
	/* RFC 5321 3.8: 421 may answer anything; the server is leaving. */
	if (r->code == 421 && p.cmd != CMD_QUIT) {
		cl_fail(c, ERR_TEMP, r, "server closed the session");
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
		cl_txn_on_mail(c, r);
		break;
	case CMD_RCPT:
		cl_txn_on_rcpt(c, r, p.rcpt);
		break;
	case CMD_DATA:
		cl_txn_on_data(c, r);
		break;
	case CMD_DOT:
	case CMD_BDAT_LAST:
		cl_txn_on_dot(c, r);
		break;
	case CMD_BDAT:
		cl_txn_on_bdat(c, r);
		break;
	case CMD_LONE_DOT:
		cl_txn_on_lone_dot(c, r);
		break;
	case CMD_RSET:
		cl_txn_on_rset(c, r);
		break;
	case CMD_QUIT:
		finish_quit(c);
		break;
	default:
		cl_fail(c, ERR_SOFTWARE, NULL, "bug: unknown command %d",
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

	if (cl_terminal(c) || n == 0)
		return;
	if (c->state == ST_TLS) {
		cl_fail(c, ERR_PROTOCOL, NULL,
		    "server sent data before the TLS handshake");
		return;
	}
	while (n > 0 && !cl_terminal(c)) {
		st = smtp_reply_feed(&c->parser, p, n, &used);
		p += used;
		n -= used;
		if (st == SMTP_REPLY_ERROR) {
			cl_fail(c, ERR_PROTOCOL, NULL, "malformed reply: %s",
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
	/*
	 * The connection is gone (or the driver gave up writing to it):
	 * nothing queued may be written any more.  Bytes left here after a
	 * failed write would otherwise go out again from their start on a
	 * later flush, and a server could take a corrupted message.
	 */
	if (c->out.len > 0)
		explicit_bzero(c->out.data, c->out.len);
	buf_reset(&c->out);
	if (cl_terminal(c))
		return;
	/* Only QUIT's reply was missing: the session ended cleanly. */
	if (!pend_empty(c) && c->q[c->q_head].cmd == CMD_QUIT) {
		finish_quit(c);
		return;
	}
	cl_fail(c, ERR_TEMP, NULL, "%s",
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
	buf_init(&c->chunk, CLIENT_CHUNK_MAX);
	buf_init(&c->auth_pending, 0);
	smtp_reply_init(&c->fail_reply);
	c->tls_on = conf->tls == SMTP_CLIENT_TLS_IMPLICIT;
	if (cl_pend_push(c, CMD_GREETING, 0) == -1) {
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
	buf_free(&c->chunk);
	buf_wipe_free(&c->auth_pending);
	smtp_reply_free(&c->fail_reply);
	cl_txn_reset(c);
	free(c->q);
	free(c);
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
		cl_txn_next_event(c, ev);
		if (ev->reply != NULL)
			cl_format_reply(&c->text, ev->reply);
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
	return !cl_terminal(c) && !pend_empty(c);
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
	case CMD_BDAT:
	case CMD_BDAT_LAST:
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
	cl_fail(c, ERR_TEMP, NULL, "TLS handshake failed: %s",
	    why != NULL ? why : "unknown error");
}


void
smtp_client_abort(struct smtp_client *c, const char *why)
{
	cl_fail(c, ERR_TEMP, NULL, "%s", why != NULL ? why : "aborted");
}

void
smtp_client_quit(struct smtp_client *c)
{
	if (c->state != ST_READY)
		return;
	if (cl_send_cmd(c, CMD_QUIT, 0, "QUIT") == 0)
		cl_set_state(c, ST_QUIT);
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
