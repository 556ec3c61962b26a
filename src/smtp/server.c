#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp/server_int.h"

/*
 * Layout: the session state machine (states, srv_set_state()), the input
 * side (command lines; DATA's message data is in server_data.c, BDAT's
 * chunks in server_bdat.c, MAIL and RCPT parameters in server_param.c),
 * the answers (one check_ and one apply_ per command: check_ says what
 * accept() would answer, apply_ makes the state change of a positive
 * answer), and the public functions.  Shared internals are in
 * server_int.h.
 */

#define RCPT_MAX 1000		/* RFC 5321 4.5.3.1.8: at least 100 */
#define ERRORS_MAX 20		/* bad commands before we hang up */
#define REPLY_LINE_MAX 508	/* text per reply line (512 with code+CRLF) */

static const char *const state_names[ST_COUNT] = {
	[ST_CONNECT] = "CONNECT",
	[ST_INIT] = "INIT",
	[ST_READY] = "READY",
	[ST_MAIL] = "MAIL",
	[ST_RCPT] = "RCPT",
	[ST_DATA] = "DATA",
	[ST_BDAT] = "BDAT",
	[ST_CHUNK] = "CHUNK",
	[ST_TLS_WAIT] = "TLS_WAIT",
	[ST_AUTH] = "AUTH",
	[ST_CLOSED] = "CLOSED",
};

static const struct {
	const char *verb;
	enum smtp_server_cmd cmd;
} verbs[] = {
	{ "HELO", SMTP_SERVER_CMD_HELO },
	{ "EHLO", SMTP_SERVER_CMD_EHLO },
	{ "MAIL", SMTP_SERVER_CMD_MAIL },
	{ "RCPT", SMTP_SERVER_CMD_RCPT },
	{ "DATA", SMTP_SERVER_CMD_DATA },
	{ "BDAT", SMTP_SERVER_CMD_BDAT },
	{ "RSET", SMTP_SERVER_CMD_RSET },
	{ "NOOP", SMTP_SERVER_CMD_NOOP },
	{ "QUIT", SMTP_SERVER_CMD_QUIT },
	{ "VRFY", SMTP_SERVER_CMD_VRFY },
	{ "STARTTLS", SMTP_SERVER_CMD_STARTTLS },
	{ "AUTH", SMTP_SERVER_CMD_AUTH },
};

/* The one place the session state changes.  CLOSED is final. */
void
srv_set_state(struct smtp_server *s, enum state to)
{
	switch (to) {
	case ST_CONNECT:
	case ST_INIT:
	case ST_READY:
	case ST_MAIL:
	case ST_RCPT:
	case ST_DATA:
	case ST_BDAT:
	case ST_CHUNK:
	case ST_TLS_WAIT:
	case ST_AUTH:
	case ST_CLOSED:
		if (s->state != ST_CLOSED)
			s->state = to;
		break;
	default:	/* a bug: end the session rather than guess */
		s->state = ST_CLOSED;
		s->close_due = true;
		break;
	}
}

void
srv_close_session(struct smtp_server *s)
{
	if (s->state == ST_CLOSED)
		return;
	srv_bdat_drop_held(s);	/* a chunk never finished: no reply */
	srv_set_state(s, ST_CLOSED);
	s->close_due = true;
	s->pending = PEND_NONE;
}

void
srv_txn_reset(struct smtp_server *s)
{
	size_t i;

	free(s->mail_from);
	s->mail_from = NULL;
	for (i = 0; i < s->nrcpt; i++)
		free(s->rcpts[i]);
	free(s->rcpts);
	s->rcpts = NULL;
	s->nrcpt = 0;
	s->msg_size = 0;
	s->too_big = false;
	s->txn_smtputf8 = false;
	s->txn_binary = false;
	s->data_tried = false;
	s->bdat_failed = false;
}

/* ---- output -------------------------------------------------------- */

static int
put_line(struct smtp_server *s, int code, char sep, const char *p, size_t n)
{
	char line[REPLY_LINE_MAX + 8];
	size_t i, len;

	len = (size_t)snprintf(line, sizeof(line), "%03d%c", code, sep);
	if (n > REPLY_LINE_MAX)
		n = REPLY_LINE_MAX;
	/* Text from the driver may carry anything: no CR, LF or NUL leave. */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		line[len++] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' :
		    (char)c;
	}
	line[len++] = '\r';
	line[len++] = '\n';
	return buf_append(&s->out, line, len);
}

/*
 * Queue a reply; "\n" in text separates the lines of a multi-line reply
 * (RFC 5321 4.2.1).  An output buffer the driver never drains ends the
 * session.
 */
void
srv_put_reply(struct smtp_server *s, int code, const char *text)
{
	const char *nl;
	size_t n;

	if (code < 200 || code > 599)
		code = 451;
	for (;;) {
		nl = strchr(text, '\n');
		n = nl == NULL ? strlen(text) : (size_t)(nl - text);
		if (nl != NULL && nl[1] == '\0')
			nl = NULL;	/* a trailing "\n" ends the reply */
		if (put_line(s, code, nl == NULL ? ' ' : '-', text, n) == -1) {
			srv_close_session(s);
			return;
		}
		if (nl == NULL)
			return;
		text = nl + 1;
	}
}

/* ---- command lines ------------------------------------------------- */

static enum smtp_server_cmd
lookup_verb(const char *verb)
{
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcasecmp(verb, verbs[i].verb) == 0)
			return verbs[i].cmd;
	return SMTP_SERVER_CMD_UNKNOWN;
}

/* Split s->line into verb, arg and params (in s->parts). */
static void
split_line(struct smtp_server *s)
{
	char *verb = s->parts, *rest;
	size_t vlen = strcspn(s->line, " ");
	const char *after = s->line + vlen;

	memcpy(verb, s->line, vlen);
	verb[vlen] = '\0';
	s->verb = verb;
	s->cmd = lookup_verb(verb);
	if (*after == ' ')
		after++;
	rest = verb + vlen + 1;
	memcpy(rest, after, strlen(after) + 1);
	s->arg = rest;
	s->params = rest + strlen(rest);	/* "" */
	s->cmd_syntax_ok = true;
	s->cmd_size = 0;

	switch (s->cmd) {
	case SMTP_SERVER_CMD_MAIL:
	case SMTP_SERVER_CMD_RCPT:
		srv_param_path(s, after, rest);
		srv_param_parse(s, s->cmd == SMTP_SERVER_CMD_MAIL);
		break;
	case SMTP_SERVER_CMD_BDAT:
		srv_bdat_parse(s);
		break;
	case SMTP_SERVER_CMD_HELO:
	case SMTP_SERVER_CMD_EHLO:
		while (*rest == ' ')
			rest++;
		rest[strcspn(rest, " ")] = '\0';
		s->arg = rest;
		s->cmd_syntax_ok = rest[0] != '\0';
		break;
	default:
		break;
	}
}

void
srv_count_error(struct smtp_server *s)
{
	if (++s->nerrors < ERRORS_MAX)
		return;
	srv_put_reply(s, 421, "4.7.0 Too many errors");
	srv_close_session(s);
}

/*
 * Take the next command line out of the input, if a whole one is there.
 * A bare LF ends a line too (lenient for commands); a line over
 * SMTP_SERVER_LINE_MAX is answered here and dropped up to its end.
 * 1: s->line holds a command; 0: need more input.
 */
int
srv_take_line(struct smtp_server *s)
{
	const char *p = buf_str(&s->in) + s->in_pos, *nl;
	size_t avail = s->in.len - s->in_pos, n;

	while (avail > 0 && s->state != ST_CLOSED) {
		nl = memchr(p, '\n', avail);
		if (s->discarding) {
			n = nl == NULL ? avail : (size_t)(nl - p) + 1;
			s->in_pos += n;
			p += n;
			avail -= n;
			s->discarding = nl == NULL;
			continue;
		}
		n = nl == NULL ? avail : (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > SMTP_SERVER_LINE_MAX) {
			srv_put_reply(s, 500, "5.5.2 Line too long");
			if (s->state == ST_AUTH)
				srv_auth_abort(s);	/* RFC 4954 4 */
			s->discarding = true;
			srv_count_error(s);
			continue;
		}
		if (nl == NULL)
			return 0;
		memcpy(s->line, p, n);
		s->line[n] = '\0';
		s->line_off = s->in_pos;
		n = (size_t)(nl - p) + 1;
		s->in_pos += n;
		return 1;
	}
	return 0;
}

/* ---- answers --------------------------------------------------------- */

/* What accept() would answer; error: the client broke the protocol. */
struct verdict {
	int code;
	const char *text;
	bool error;
};

static void
verdict(struct verdict *v, int code, const char *text, bool error)
{
	v->code = code;
	v->text = text;
	v->error = error;
}

/* A mail transaction is open (MAIL accepted, message not ended). */
static bool
in_txn(const struct smtp_server *s)
{
	return s->state == ST_MAIL || s->state == ST_RCPT ||
	    s->state == ST_BDAT;
}

static const char *
hostname(const struct smtp_server *s)
{
	return s->conf.hostname != NULL ? s->conf.hostname : "localhost";
}

static bool
starttls_offered(const struct smtp_server *s)
{
	return (s->conf.caps & SMTP_CAP_STARTTLS) && !s->conf.tls_active;
}

/* The EHLO reply (RFC 5321 4.1.1.1), one keyword a line, into s->text. */
static const char *
ehlo_text(struct smtp_server *s)
{
	static const struct {
		unsigned cap;
		const char *kw;
	} kws[] = {
		{ SMTP_CAP_PIPELINING, "PIPELINING" },
		{ SMTP_CAP_SIZE, "SIZE" },
		{ SMTP_CAP_8BITMIME, "8BITMIME" },
		{ SMTP_CAP_SMTPUTF8, "SMTPUTF8" },
		{ SMTP_CAP_DSN, "DSN" },
		{ SMTP_CAP_ENHANCEDSTATUSCODES, "ENHANCEDSTATUSCODES" },
		{ SMTP_CAP_CHUNKING, "CHUNKING" },
		{ SMTP_CAP_BINARYMIME, "BINARYMIME" },
		{ SMTP_CAP_AUTH, "AUTH" },
		{ SMTP_CAP_STARTTLS, "STARTTLS" },
	};
	size_t i, len;

	strlcpy(s->text, hostname(s), sizeof(s->text));
	for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
		if (!(s->conf.caps & kws[i].cap))
			continue;
		if (kws[i].cap == SMTP_CAP_STARTTLS && !starttls_offered(s))
			continue;
		len = strlen(s->text);
		if (kws[i].cap == SMTP_CAP_SIZE && s->conf.size_max != 0)
			snprintf(s->text + len, sizeof(s->text) - len,
			    "\nSIZE %llu", s->conf.size_max);
		else if (kws[i].cap == SMTP_CAP_AUTH) {
			if (srv_auth_mechs(s)[0] != '\0')
				snprintf(s->text + len, sizeof(s->text) - len,
				    "\nAUTH %s", srv_auth_mechs(s));
		}
		else
			snprintf(s->text + len, sizeof(s->text) - len, "\n%s",
			    kws[i].kw);
	}
	if (s->conf.rcpt_max != 0) {	/* RFC 9422 4 */
		len = strlen(s->text);
		snprintf(s->text + len, sizeof(s->text) - len,
		    "\nLIMITS RCPTMAX=%u", s->conf.rcpt_max);
	}
	return s->text;
}

static void
check_hello(struct smtp_server *s, struct verdict *v)
{
	if (!s->cmd_syntax_ok) {
		snprintf(s->text, sizeof(s->text), "5.5.4 Syntax: %s hostname",
		    s->cmd == SMTP_SERVER_CMD_EHLO ? "EHLO" : "HELO");
		verdict(v, 501, s->text, true);
	} else if (s->cmd == SMTP_SERVER_CMD_EHLO)
		verdict(v, 250, ehlo_text(s), false);
	else
		verdict(v, 250, hostname(s), false);
}

static void
check_mail(struct smtp_server *s, struct verdict *v)
{
	if (s->state == ST_INIT)
		verdict(v, 503, "5.5.1 Error: send HELO/EHLO first", true);
	else if (in_txn(s))
		verdict(v, 503, "5.5.1 Error: nested MAIL command", true);
	else if (s->conf.auth_required && s->auth_user == NULL)
		verdict(v, 530, "5.7.0 Authentication required", true);
	else if (!s->cmd_syntax_ok)
		verdict(v, 501, "5.5.4 Syntax: MAIL FROM:<address>", true);
	else if (s->param_code != 0)
		verdict(v, s->param_code, s->param_text, true);
	else if (s->cmd_nonascii && !s->cmd_smtputf8)
		verdict(v, 553, "5.6.7 Non-ASCII address needs SMTPUTF8",
		    false);
	else if (s->conf.size_max != 0 && s->cmd_size > s->conf.size_max)
		verdict(v, 552, "5.3.4 Message size exceeds fixed limit",
		    false);
	else
		verdict(v, 250, "2.1.0 Ok", false);
}

/* The most recipients a transaction takes. */
static size_t
rcpt_max(const struct smtp_server *s)
{
	return s->conf.rcpt_max != 0 ? s->conf.rcpt_max : RCPT_MAX;
}

static void
check_rcpt(struct smtp_server *s, struct verdict *v)
{
	if (s->state == ST_BDAT)
		verdict(v, 503, "5.5.1 Error: RCPT after BDAT", true);
	else if (s->state != ST_MAIL && s->state != ST_RCPT)
		verdict(v, 503, "5.5.1 Error: need MAIL command", true);
	else if (!s->cmd_syntax_ok)
		verdict(v, 501, "5.5.4 Syntax: RCPT TO:<address>", true);
	else if (s->param_code != 0)
		verdict(v, s->param_code, s->param_text, true);
	else if (s->cmd_nonascii && !s->txn_smtputf8)
		verdict(v, 553, "5.6.7 Non-ASCII address needs SMTPUTF8",
		    false);
	else if (s->nrcpt >= rcpt_max(s))	/* RFC 9422 5.2 */
		verdict(v, 452, "4.5.3 Error: too many recipients", false);
	else
		verdict(v, 250, "2.1.5 Ok", false);
}

static void
check_data(struct smtp_server *s, struct verdict *v)
{
	if (s->arg[0] != '\0')
		verdict(v, 501, "5.5.4 Syntax: DATA", true);
	else if (s->state == ST_BDAT)	/* RFC 3030 2 */
		verdict(v, 503, "5.5.1 Error: DATA after BDAT", true);
	else if (in_txn(s) && s->txn_binary)	/* RFC 3030 3 */
		verdict(v, 503, "5.5.1 Error: BODY=BINARYMIME needs BDAT",
		    true);
	else if (s->state == ST_MAIL)
		verdict(v, 554, "5.5.1 No valid recipients", true);
	else if (s->state != ST_RCPT)
		verdict(v, 503, "5.5.1 Error: need RCPT command", true);
	else
		verdict(v, 354, "End data with <CR><LF>.<CR><LF>", false);
}

static void
check_starttls(struct smtp_server *s, struct verdict *v)
{
	if (!starttls_offered(s))
		verdict(v, 502, "5.5.1 Error: command not implemented", true);
	else if (s->arg[0] != '\0')
		verdict(v, 501, "5.5.4 Syntax: STARTTLS", true);
	else if (in_txn(s))
		verdict(v, 503, "5.5.1 Error: MAIL transaction in progress",
		    true);
	else
		verdict(v, 220, "2.0.0 Ready to start TLS", false);
}

/* AUTH (RFC 4954): the checks are in server_data.c with the exchange. */
static void
check_auth(struct smtp_server *s, struct verdict *v)
{
	const char *text;
	int code;

	if (srv_auth_check(s, &code, &text) == 0)
		verdict(v, 334, "", false);
	else
		verdict(v, code, text, true);
}

/* BDAT (RFC 3030): the checks are in server_bdat.c with the chunks. */
static void
check_bdat(struct smtp_server *s, struct verdict *v)
{
	const char *text;
	bool error;
	int code;

	srv_bdat_check(s, &code, &text, &error);
	verdict(v, code, text, error);
}

static void
check_cmd(struct smtp_server *s, struct verdict *v)
{
	switch (s->cmd) {
	case SMTP_SERVER_CMD_CONNECT:
		snprintf(s->text, sizeof(s->text), "%s ESMTP postie",
		    hostname(s));
		verdict(v, 220, s->text, false);
		break;
	case SMTP_SERVER_CMD_HELO:
	case SMTP_SERVER_CMD_EHLO:
		check_hello(s, v);
		break;
	case SMTP_SERVER_CMD_MAIL:
		check_mail(s, v);
		break;
	case SMTP_SERVER_CMD_RCPT:
		check_rcpt(s, v);
		break;
	case SMTP_SERVER_CMD_DATA:
		check_data(s, v);
		break;
	case SMTP_SERVER_CMD_RSET:
	case SMTP_SERVER_CMD_NOOP:
		verdict(v, 250, "2.0.0 Ok", false);
		break;
	case SMTP_SERVER_CMD_QUIT:
		verdict(v, 221, "2.0.0 Bye", false);
		break;
	case SMTP_SERVER_CMD_VRFY:
		verdict(v, 252, "2.5.0 Cannot VRFY user", false);
		break;
	case SMTP_SERVER_CMD_STARTTLS:
		check_starttls(s, v);
		break;
	case SMTP_SERVER_CMD_AUTH:
		check_auth(s, v);
		break;
	case SMTP_SERVER_CMD_BDAT:
		check_bdat(s, v);
		break;
	case SMTP_SERVER_CMD_UNKNOWN:
		verdict(v, 500, "5.5.2 Command unrecognized", true);
		break;
	default:
		verdict(v, 451, "4.3.0 Internal error (bad command)", false);
		break;
	}
}

static int
apply_hello(struct smtp_server *s)
{
	char *h = strdup(s->arg);

	if (h == NULL)
		return -1;
	free(s->helo);
	s->helo = h;
	srv_txn_reset(s);	/* RFC 5321 4.1.4: EHLO resets a transaction */
	srv_set_state(s, ST_READY);
	return 0;
}

static int
apply_mail(struct smtp_server *s)
{
	srv_txn_reset(s);
	if ((s->mail_from = strdup(s->arg)) == NULL)
		return -1;
	s->txn_smtputf8 = s->cmd_smtputf8;
	s->txn_binary = s->cmd_binary;
	srv_set_state(s, ST_MAIL);
	return 0;
}

static int
apply_rcpt(struct smtp_server *s)
{
	char **r;
	char *p;

	if ((p = strdup(s->arg)) == NULL)
		return -1;
	r = reallocarray(s->rcpts, s->nrcpt + 1, sizeof(*r));
	if (r == NULL) {
		free(p);
		return -1;
	}
	s->rcpts = r;
	s->rcpts[s->nrcpt++] = p;
	srv_set_state(s, ST_RCPT);
	return 0;
}

/*
 * RFC 3207 4.2: whatever the client sent after STARTTLS came before the
 * handshake and must not be acted upon (command injection).
 */
static void
apply_starttls(struct smtp_server *s)
{
	s->in_pos = s->in.len;
	s->discarding = false;
	s->starttls_due = true;
	srv_set_state(s, ST_TLS_WAIT);
}

/* The state change of a positive answer.  -1 when out of memory. */
static int
apply_cmd(struct smtp_server *s)
{
	switch (s->cmd) {
	case SMTP_SERVER_CMD_CONNECT:
		srv_set_state(s, ST_INIT);
		return 0;
	case SMTP_SERVER_CMD_HELO:
	case SMTP_SERVER_CMD_EHLO:
		return apply_hello(s);
	case SMTP_SERVER_CMD_MAIL:
		return apply_mail(s);
	case SMTP_SERVER_CMD_RCPT:
		return apply_rcpt(s);
	case SMTP_SERVER_CMD_DATA:
		srv_data_start(s);
		return 0;
	case SMTP_SERVER_CMD_RSET:	/* RFC 3030 2: chunks go too */
		srv_txn_reset(s);
		if (in_txn(s))
			srv_set_state(s, ST_READY);
		return 0;
	case SMTP_SERVER_CMD_QUIT:
		srv_close_session(s);
		return 0;
	case SMTP_SERVER_CMD_STARTTLS:
		apply_starttls(s);
		return 0;
	default:
		return 0;
	}
}

/* Answer the pending command: text NULL means the engine's own reply. */
static void
answer_cmd(struct smtp_server *s, int code, const char *text)
{
	struct verdict v;
	bool count = false, takes;

	if (s->cmd == SMTP_SERVER_CMD_BDAT) {
		srv_bdat_answer(s, code, text);	/* and its chunk */
		return;
	}
	check_cmd(s, &v);
	if (s->cmd == SMTP_SERVER_CMD_AUTH && text == NULL && v.code == 334) {
		srv_auth_start(s);	/* its replies are its own */
		return;
	}
	if (s->cmd == SMTP_SERVER_CMD_DATA &&
	    (s->state == ST_MAIL || s->state == ST_RCPT))
		s->data_tried = true;	/* RFC 3030 2: no BDAT after it */
	/*
	 * A positive answer to an acceptable command takes effect.  So does a
	 * driver's positive answer to DATA after every RCPT failed: RFC 2920
	 * 3.1 lets a server say 354 then, and the client must send a lone dot.
	 */
	takes = v.code < 400 || (text != NULL &&
	    s->cmd == SMTP_SERVER_CMD_DATA && s->state == ST_MAIL &&
	    s->arg[0] == '\0');
	if (text == NULL) {
		code = v.code;
		text = v.text;
		count = v.error;
	}
	if (takes && code >= 200 && code < 400 && apply_cmd(s) == -1) {
		code = 452;
		text = "4.3.1 Insufficient system storage";
	}
	srv_put_reply(s, code, text);
	if (code == 421 || s->cmd == SMTP_SERVER_CMD_QUIT ||
	    (s->cmd == SMTP_SERVER_CMD_CONNECT && code >= 400))
		srv_close_session(s);
	else if (count)
		srv_count_error(s);
}

static void
answer(struct smtp_server *s, int code, const char *text)
{
	enum pending p = s->pending;

	if (s->state == ST_CLOSED)
		return;
	s->pending = PEND_NONE;
	switch (p) {
	case PEND_CMD:
		answer_cmd(s, code, text);
		break;
	case PEND_DATA_END:
		srv_data_end_answer(s, code, text);
		break;
	case PEND_NONE:
		break;		/* nothing asked: the driver's bug, ignored */
	default:
		srv_put_reply(s, 421, "4.3.0 Internal error (bad pending)");
		srv_close_session(s);
		break;
	}
}

/* ---- events ---------------------------------------------------------- */

static enum smtp_server_event_type
command_event(struct smtp_server *s, struct smtp_server_event *ev)
{
	s->pending = PEND_CMD;
	ev->type = SMTP_SERVER_EV_COMMAND;
	ev->cmd = s->cmd;
	ev->verb = s->verb;
	ev->line = s->line;
	ev->arg = s->arg;
	ev->params = s->params;
	return ev->type;
}

/* Nothing left to parse: at the client's EOF the session ends now. */
static enum smtp_server_event_type
eof_close(struct smtp_server *s, struct smtp_server_event *ev)
{
	if (!s->eof)
		return SMTP_SERVER_EV_NONE;
	srv_close_session(s);
	s->close_due = false;
	ev->type = SMTP_SERVER_EV_CLOSE;
	return ev->type;
}

static enum smtp_server_event_type
next_command(struct smtp_server *s, struct smtp_server_event *ev)
{
	if (srv_take_line(s)) {
		split_line(s);
		return command_event(s, ev);
	}
	return eof_close(s, ev);
}

static enum smtp_server_event_type
next_connect(struct smtp_server *s, struct smtp_server_event *ev)
{
	s->line[0] = '\0';
	s->parts[0] = '\0';
	s->verb = s->arg = s->params = s->parts;
	s->cmd = SMTP_SERVER_CMD_CONNECT;
	s->cmd_syntax_ok = true;
	return command_event(s, ev);
}

/* ---- public ---------------------------------------------------------- */

struct smtp_server *
smtp_server_new(const struct smtp_server_conf *conf)
{
	struct smtp_server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->conf = *conf;
	s->state = ST_CONNECT;
	s->pending = PEND_NONE;
	s->dpos = DATA_BOL;
	buf_init(&s->in, SMTP_SERVER_IN_MAX);
	buf_init(&s->out, SMTP_SERVER_OUT_MAX);
	s->verb = s->arg = s->params = s->parts;
	return s;
}

void
smtp_server_free(struct smtp_server *s)
{
	if (s == NULL)
		return;
	srv_txn_reset(s);
	srv_auth_wipe(s);
	srv_auth_reset(s);
	free(s->helo);
	buf_free(&s->in);
	buf_free(&s->out);
	free(s);
}

void
smtp_server_feed(struct smtp_server *s, const void *data, size_t n)
{
	if (s->state == ST_CLOSED || s->eof)
		return;
	if (s->state == ST_TLS_WAIT)
		return;		/* RFC 3207 4.2: plain text before TLS */
	srv_auth_wipe(s);
	/* Event pointers die here, so the parsed bytes can go. */
	buf_consume(&s->in, s->in_pos);
	s->in_pos = 0;
	if (buf_append(&s->in, data, n) == -1) {
		srv_bdat_drop_held(s);
		srv_put_reply(s, 421, "4.7.0 Too much pipelined input");
		srv_close_session(s);
	}
}

void
smtp_server_eof(struct smtp_server *s)
{
	s->eof = true;
}

enum smtp_server_event_type
smtp_server_next_event(struct smtp_server *s, struct smtp_server_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = SMTP_SERVER_EV_NONE;
	srv_auth_wipe(s);
	if (s->close_due) {
		s->close_due = false;
		ev->type = SMTP_SERVER_EV_CLOSE;
		return ev->type;
	}
	if (s->pending != PEND_NONE)
		return SMTP_SERVER_EV_NONE;
	if (s->auth_done_due && s->state != ST_CLOSED) {
		s->auth_done_due = false;
		ev->type = SMTP_SERVER_EV_AUTH_DONE;
		ev->arg = s->auth_user;
		return ev->type;
	}
	switch (s->state) {
	case ST_CONNECT:
		return next_connect(s, ev);
	case ST_INIT:
	case ST_READY:
	case ST_MAIL:
	case ST_RCPT:
	case ST_BDAT:
		return next_command(s, ev);
	case ST_CHUNK:
		if (srv_bdat_next(s, ev) != SMTP_SERVER_EV_NONE)
			return ev->type;
		if (s->state == ST_CHUNK)
			return eof_close(s, ev);
		return smtp_server_next_event(s, ev);	/* chunk over */
	case ST_DATA:
		if (srv_data_next(s, ev) == SMTP_SERVER_EV_NONE)
			return eof_close(s, ev);
		return ev->type;
	case ST_AUTH:
		if (srv_auth_next(s, ev) == SMTP_SERVER_EV_NONE)
			return eof_close(s, ev);
		return ev->type;
	case ST_TLS_WAIT:
		if (!s->starttls_due)
			return SMTP_SERVER_EV_NONE;
		s->starttls_due = false;
		ev->type = SMTP_SERVER_EV_STARTTLS;
		return ev->type;
	case ST_CLOSED:
		return SMTP_SERVER_EV_NONE;
	default:
		srv_put_reply(s, 421, "4.3.0 Internal error (bad state)");
		srv_close_session(s);
		return SMTP_SERVER_EV_NONE;
	}
}

void
smtp_server_accept(struct smtp_server *s)
{
	answer(s, 0, NULL);
}

void
smtp_server_reply(struct smtp_server *s, int code, const char *text)
{
	answer(s, code, text != NULL ? text : "");
}

const void *
smtp_server_output(struct smtp_server *s, size_t *len)
{
	*len = srv_bdat_out_len(s);
	return s->out.data != NULL ? s->out.data : "";
}

void
smtp_server_output_consume(struct smtp_server *s, size_t n)
{
	srv_bdat_out_taken(s, n);
	buf_consume(&s->out, n);
}

bool
smtp_server_wants_input(const struct smtp_server *s)
{
	const char *p = buf_str(&s->in) + s->in_pos;
	size_t avail = s->in.len - s->in_pos;

	if (s->close_due || s->pending != PEND_NONE || s->eof)
		return false;
	switch (s->state) {
	case ST_INIT:
	case ST_READY:
	case ST_MAIL:
	case ST_RCPT:
	case ST_BDAT:
	case ST_AUTH:
		return avail == 0 || (memchr(p, '\n', avail) == NULL &&
		    avail <= SMTP_SERVER_LINE_MAX + 1);
	case ST_DATA:
		return !srv_data_decidable(s);
	case ST_CHUNK:
		return !srv_bdat_decidable(s);
	default:	/* CONNECT, TLS_WAIT, CLOSED */
		return false;
	}
}

bool
smtp_server_closed(const struct smtp_server *s)
{
	return s->state == ST_CLOSED;
}

void
smtp_server_tls_started(struct smtp_server *s)
{
	if (s->state != ST_TLS_WAIT)
		return;
	/* RFC 3207 4.2: forget everything learned before TLS. */
	srv_txn_reset(s);
	srv_auth_reset(s);
	free(s->helo);
	s->helo = NULL;
	s->conf.tls_active = true;
	s->starttls_due = false;
	buf_reset(&s->in);
	s->in_pos = 0;
	srv_set_state(s, ST_INIT);
}

void
smtp_server_set_auth(struct smtp_server *s,
    const struct smtp_sasl_server_conf *auth)
{
	s->conf.auth = auth;
	if (auth == NULL)
		s->conf.caps &= ~(unsigned)SMTP_CAP_AUTH;
}

const char *
smtp_server_auth_user(const struct smtp_server *s)
{
	return s->auth_user;
}

void
smtp_server_envelope(const struct smtp_server *s,
    struct smtp_server_envelope *env)
{
	env->helo = s->helo != NULL ? s->helo : "";
	env->mail_from = s->mail_from;
	env->rcpts = (const char *const *)s->rcpts;
	env->nrcpt = s->nrcpt;
	env->smtputf8 = s->txn_smtputf8;
}

const char *
smtp_server_state_name(const struct smtp_server *s)
{
	if ((unsigned)s->state >= ST_COUNT)
		return "?";
	return state_names[s->state];
}
