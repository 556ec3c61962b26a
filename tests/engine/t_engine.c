/*
 * t_engine: the client engine wired to the server engine in memory, no
 * sockets.  Bytes are pumped both ways until neither side has anything to
 * say; the server's commands are answered by smtp_server_accept() unless a
 * rule of the test says otherwise (smtp_server_reply()).  Every scenario
 * runs with whole writes and with one byte at a time.
 *
 * Client event tokens as in t_client: READY BODY DONE,
 * R<i>:<OK|TEMP|PERM>:<code>, T:<outcome>:<accepted>, F:<err kind>.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "smtp/client.h"
#include "smtp/sasl.h"
#include "smtp/sasl_server.h"
#include "smtp/server.h"
#include "tap.h"

#define PUMP_MAX 200000		/* rounds before a test calls it a hang */

static bool bytewise;

/* Answer the nth command of a kind (0: every one) with code/text. */
struct rule {
	enum smtp_server_cmd cmd;	/* SMTP_SERVER_CMD_COUNT: data end */
	int nth;
	int code;
	const char *text;
};

#define DATA_END SMTP_SERVER_CMD_COUNT

struct pair {
	struct smtp_client *c;
	struct smtp_server *s;
	struct rule rules[4];
	size_t nrules;
	int seen[SMTP_SERVER_CMD_COUNT + 1];
	int burst, burst_max;		/* commands parsed from one write */
	bool server_closed;
	bool server_tls_due;
	const struct smtp_client_txn *txn;
	bool txn_started;
	const char *body;
	struct buf received;		/* the server's EV_DATA bytes */
	char env_from[128];
	size_t env_nrcpt;
	char ev[512];
	/* AUTH */
	struct smtp_sasl *sasl;
	struct secret pw;
	char auth_mech[64];		/* the AUTH command's mechanism */
	int auth_lines;			/* EV_AUTH_LINE events */
};

static const char *const outcome_names[] = { "OK", "TEMP", "PERM" };
static const char *const rcpts2[] = { "b@y.example", "c@y.example" };
static const struct smtp_client_txn txn2_last = {
	"a@x.example", NULL, rcpts2, NULL, 2, true, false
};

static void log_ev(struct pair *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
log_ev(struct pair *p, const char *fmt, ...)
{
	char tok[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tok, sizeof(tok), fmt, ap);
	va_end(ap);
	if (p->ev[0] != '\0')
		strlcat(p->ev, " ", sizeof(p->ev));
	strlcat(p->ev, tok, sizeof(p->ev));
}

static const struct rule *
find_rule(struct pair *p, int cmd)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		if ((int)p->rules[i].cmd == cmd &&
		    (p->rules[i].nth == 0 || p->rules[i].nth == p->seen[cmd]))
			return &p->rules[i];
	return NULL;
}

static void
answer(struct pair *p, int cmd)
{
	const struct rule *r;

	p->seen[cmd]++;
	if ((r = find_rule(p, cmd)) != NULL)
		smtp_server_reply(p->s, r->code, r->text);
	else
		smtp_server_accept(p->s);
}

static bool
server_events(struct pair *p)
{
	struct smtp_server_envelope env;
	struct smtp_server_event ev;
	bool any = false;

	while (smtp_server_next_event(p->s, &ev) != SMTP_SERVER_EV_NONE) {
		any = true;
		switch (ev.type) {
		case SMTP_SERVER_EV_COMMAND:
			if (ev.cmd != SMTP_SERVER_CMD_CONNECT)
				p->burst++;
			if (ev.cmd == SMTP_SERVER_CMD_AUTH)
				snprintf(p->auth_mech, sizeof(p->auth_mech),
				    "%.*s", (int)strcspn(ev.arg, " "), ev.arg);
			answer(p, ev.cmd);
			break;
		case SMTP_SERVER_EV_AUTH_LINE:
			p->auth_lines++;
			break;
		case SMTP_SERVER_EV_AUTH_DONE:
			log_ev(p, "AUTH:%s", ev.arg);
			break;
		case SMTP_SERVER_EV_DATA:
			buf_append(&p->received, ev.data, ev.len);
			break;
		case SMTP_SERVER_EV_DATA_END:
			smtp_server_envelope(p->s, &env);
			strlcpy(p->env_from, env.mail_from ? env.mail_from : "?",
			    sizeof(p->env_from));
			p->env_nrcpt = env.nrcpt;
			answer(p, DATA_END);
			break;
		case SMTP_SERVER_EV_STARTTLS:
			p->server_tls_due = true;
			break;
		case SMTP_SERVER_EV_CLOSE:
			p->server_closed = true;
			break;
		default:
			break;
		}
	}
	if (p->burst > p->burst_max)
		p->burst_max = p->burst;
	return any;
}

static void
client_event(struct pair *p, const struct smtp_client_event *ev)
{
	struct err e;

	switch (ev->type) {
	case SMTP_CLIENT_EV_READY:
		log_ev(p, "READY");
		if (!p->txn_started && p->txn != NULL) {
			p->txn_started = true;
			if (smtp_client_mail(p->c, p->txn, &e) != ERR_OK)
				log_ev(p, "MAILERR");
		} else {
			smtp_client_quit(p->c);
		}
		break;
	case SMTP_CLIENT_EV_NEED_BODY:
		log_ev(p, "BODY");
		smtp_client_body(p->c, p->body, strlen(p->body));
		smtp_client_body_end(p->c);
		break;
	case SMTP_CLIENT_EV_NEED_TLS:
		log_ev(p, "TLS");
		if (p->server_tls_due) {	/* the handshake, in a blink */
			p->server_tls_due = false;
			smtp_server_tls_started(p->s);
			smtp_client_tls_started(p->c);
		}
		break;
	case SMTP_CLIENT_EV_RCPT:
		log_ev(p, "R%zu:%s:%d", ev->rcpt_index,
		    outcome_names[ev->outcome],
		    ev->reply != NULL ? ev->reply->code : 0);
		break;
	case SMTP_CLIENT_EV_TXN_DONE:
		log_ev(p, "T:%s:%zu", outcome_names[ev->outcome], ev->accepted);
		break;
	case SMTP_CLIENT_EV_DONE:
		log_ev(p, "DONE");
		break;
	case SMTP_CLIENT_EV_FAILED:
		log_ev(p, "F:%s", err_kind_name(ev->err));
		break;
	default:
		log_ev(p, "BAD");
		break;
	}
}

static bool
client_events(struct pair *p)
{
	struct smtp_client_event ev;
	bool any = false;

	while (smtp_client_next_event(p->c, &ev) != SMTP_CLIENT_EV_NONE) {
		any = true;
		client_event(p, &ev);
	}
	return any;
}

/* Move bytes one way (all, or one in bytewise mode). */
static bool
to_client(struct pair *p)
{
	const void *d;
	size_t n;

	d = smtp_server_output(p->s, &n);
	if (n == 0)
		return false;
	if (bytewise)
		n = 1;
	smtp_client_feed(p->c, d, n);
	smtp_server_output_consume(p->s, n);
	return true;
}

static bool
to_server(struct pair *p)
{
	const void *d;
	size_t n;

	d = smtp_client_output(p->c, &n);
	if (n == 0)
		return false;
	if (bytewise)
		n = 1;
	p->burst = 0;
	smtp_server_feed(p->s, d, n);
	smtp_client_output_consume(p->c, n);
	return true;
}

/* The connection closes when one side is done and has said all. */
static bool
closing(struct pair *p)
{
	size_t n;

	smtp_server_output(p->s, &n);
	if (p->server_closed && n == 0 && smtp_client_wants_input(p->c)) {
		smtp_client_eof(p->c, "connection closed by server");
		return true;
	}
	return false;
}

static void
pump(struct pair *p)
{
	int rounds = 0;
	bool any;

	do {
		any = server_events(p);
		any |= to_client(p);
		any |= client_events(p);
		any |= to_server(p);
		any |= closing(p);
	} while (any && ++rounds < PUMP_MAX);
	if (rounds >= PUMP_MAX)
		tap_diag("pump: no quiet after %d rounds", rounds);
}

static void
pair_init(struct pair *p, unsigned caps, enum smtp_client_tls tls)
{
	struct smtp_server_conf sc;
	struct smtp_client_conf cc;

	memset(p, 0, sizeof(*p));
	memset(&sc, 0, sizeof(sc));
	sc.hostname = "mx.example";
	sc.caps = caps;
	memset(&cc, 0, sizeof(cc));
	cc.helo_name = "client.example";
	cc.tls = tls;
	p->s = smtp_server_new(&sc);
	p->c = smtp_client_new(&cc);
	p->txn = &txn2_last;
	p->body = "Subject: hi\r\n\r\nhello\r\n";
	buf_init(&p->received, 1 << 20);
}

static void
pair_free(struct pair *p)
{
	smtp_client_free(p->c);
	smtp_server_free(p->s);
	smtp_sasl_free(p->sasl);
	secret_free(&p->pw);
	buf_free(&p->received);
}

static void
add_rule(struct pair *p, int cmd, int nth, int code, const char *text)
{
	struct rule *r = &p->rules[p->nrules++];

	r->cmd = (enum smtp_server_cmd)cmd;
	r->nth = nth;
	r->code = code;
	r->text = text;
}

static const char *
mode(unsigned caps)
{
	if (bytewise)
		return caps & SMTP_CAP_PIPELINING ? "pipelined, bytewise" :
		    "one by one, bytewise";
	return caps & SMTP_CAP_PIPELINING ? "pipelined" : "one by one";
}

static void
test_happy(unsigned caps)
{
	struct pair p;

	pair_init(&p, caps, SMTP_CLIENT_TLS_NONE);
	pump(&p);
	tap_is_str(p.ev, "READY BODY R0:OK:250 R1:OK:250 T:OK:2 DONE",
	    mode(caps));
	tap_is_mem(p.received.data, p.received.len, p.body, strlen(p.body),
	    "happy path: the server got the message byte for byte");
	tap_is_str(p.env_from, "a@x.example", "happy path: envelope sender");
	tap_is_int(p.env_nrcpt, 2, "happy path: both recipients");
	tap_ok(p.server_closed, "happy path: QUIT closed the server side");
	if (!bytewise && (caps & SMTP_CAP_PIPELINING))
		tap_ok(p.burst_max >= 4,
		    "PIPELINING: MAIL, RCPT, RCPT, DATA in one write (%d)",
		    p.burst_max);
	else if (!bytewise)
		tap_is_int(p.burst_max, 1,
		    "no PIPELINING: one command per write");
	pair_free(&p);
}

struct step_case {
	int cmd;
	int code;
	const char *want;
};

static const struct step_case steps[] = {
	{ SMTP_SERVER_CMD_CONNECT, 421, "F:temp" },
	{ SMTP_SERVER_CMD_CONNECT, 554, "F:unavailable" },
	{ SMTP_SERVER_CMD_EHLO, 451, "F:temp" },
	{ SMTP_SERVER_CMD_EHLO, 550, "F:unavailable" },
	{ SMTP_SERVER_CMD_MAIL, 451, "READY R0:TEMP:451 R1:TEMP:451 T:TEMP:0 DONE" },
	{ SMTP_SERVER_CMD_MAIL, 553, "READY R0:PERM:553 R1:PERM:553 T:PERM:0 DONE" },
	{ SMTP_SERVER_CMD_RCPT, 450, "READY R0:TEMP:450 R1:TEMP:450 T:TEMP:0 DONE" },
	{ SMTP_SERVER_CMD_RCPT, 550, "READY R0:PERM:550 R1:PERM:550 T:PERM:0 DONE" },
	{ SMTP_SERVER_CMD_DATA, 451, "READY R0:TEMP:451 R1:TEMP:451 T:TEMP:0 DONE" },
	{ SMTP_SERVER_CMD_DATA, 554, "READY R0:PERM:554 R1:PERM:554 T:PERM:0 DONE" },
	{ DATA_END, 452, "READY BODY R0:TEMP:452 R1:TEMP:452 T:TEMP:0 DONE" },
	{ DATA_END, 554, "READY BODY R0:PERM:554 R1:PERM:554 T:PERM:0 DONE" },
	{ SMTP_SERVER_CMD_RCPT, 421,
	    "READY R0:TEMP:421 R1:TEMP:421 T:TEMP:0 F:temp" },
	{ DATA_END, 421, "READY BODY R0:TEMP:421 R1:TEMP:421 T:TEMP:0 F:temp" },
};

static void
test_steps(unsigned caps)
{
	char name[128];
	struct pair p;
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		pair_init(&p, caps, SMTP_CLIENT_TLS_NONE);
		add_rule(&p, steps[i].cmd, 0, steps[i].code, "no thanks");
		pump(&p);
		snprintf(name, sizeof(name), "%d at step %d (%s)",
		    steps[i].code, steps[i].cmd, mode(caps));
		tap_is_str(p.ev, steps[i].want, name);
		if (steps[i].cmd != DATA_END)
			tap_is_int(p.received.len, 0, "no data sent");
		tap_ok(!smtp_client_wants_input(p.c),
		    "%s: client is finished", name);
		pair_free(&p);
	}
}

static void
test_some_rejected(unsigned caps)
{
	struct pair p;

	pair_init(&p, caps, SMTP_CLIENT_TLS_NONE);
	add_rule(&p, SMTP_SERVER_CMD_RCPT, 1, 550, "5.1.1 no such user");
	pump(&p);
	tap_is_str(p.ev, "READY BODY R0:PERM:550 R1:OK:250 T:OK:1 DONE",
	    "first recipient rejected, second delivered");
	tap_is_int(p.env_nrcpt, 1, "server envelope has one recipient");
	tap_is_mem(p.received.data, p.received.len, p.body, strlen(p.body),
	    "message delivered to the other");
	pair_free(&p);
}

static void
test_dots(unsigned caps)
{
	static const char body[] = "a\r\n.\r\n..\r\nb\n.\nc\r.\rd\r\n.x\n..y";
	static const char want[] = "a\r\n.\r\n..\r\nb\r\n.\r\nc . d\r\n"
	    ".x\r\n..y\r\n";
	struct pair p;

	pair_init(&p, caps, SMTP_CLIENT_TLS_NONE);
	p.body = body;
	pump(&p);
	tap_is_str(p.ev, "READY BODY R0:OK:250 R1:OK:250 T:OK:2 DONE",
	    "dot lines: delivered");
	tap_is_mem(p.received.data, p.received.len, want, sizeof(want) - 1,
	    "dot lines: intact, unstuffed and normalised");
	pair_free(&p);
}

static void
test_helo_fallback(void)
{
	struct pair p;

	pair_init(&p, SMTP_CAP_PIPELINING, SMTP_CLIENT_TLS_NONE);
	add_rule(&p, SMTP_SERVER_CMD_EHLO, 0, 502, "5.5.1 no EHLO here");
	pump(&p);
	tap_is_str(p.ev, "READY BODY R0:OK:250 R1:OK:250 T:OK:2 DONE",
	    "EHLO 502: HELO and delivered");
	tap_is_int(p.seen[SMTP_SERVER_CMD_HELO], 1, "EHLO 502: one HELO");
	if (!bytewise)
		tap_is_int(p.burst_max, 1, "after HELO: no pipelining");
	pair_free(&p);
}

static void
test_starttls(void)
{
	struct pair p;

	pair_init(&p, SMTP_CAP_PIPELINING | SMTP_CAP_STARTTLS,
	    SMTP_CLIENT_TLS_STARTTLS);
	pump(&p);
	tap_is_str(p.ev, "TLS READY BODY R0:OK:250 R1:OK:250 T:OK:2 DONE",
	    "STARTTLS then delivered");
	tap_is_int(p.seen[SMTP_SERVER_CMD_EHLO], 2, "STARTTLS: EHLO twice");
	tap_is_int(p.seen[SMTP_SERVER_CMD_STARTTLS], 1, "STARTTLS: once");
	pair_free(&p);

	pair_init(&p, SMTP_CAP_PIPELINING, SMTP_CLIENT_TLS_STARTTLS);
	pump(&p);
	tap_is_str(p.ev, "F:temp", "STARTTLS required, not offered: failed");
	tap_is_int(p.seen[SMTP_SERVER_CMD_MAIL], 0,
	    "STARTTLS not offered: no MAIL sent");
	tap_is_int(p.seen[SMTP_SERVER_CMD_STARTTLS], 0,
	    "STARTTLS not offered: not tried");
	pair_free(&p);
}

/* ---- AUTH through both engines ---- */

static const char cb_data[] = "0123456789abcdef0123456789abcdef";

static int
users(void *arg, const char *user, struct secret *pw)
{
	(void)arg;
	return strcmp(user, "user") == 0 ? secret_set(pw, "pencil", 6) : -1;
}

static int
tokens(void *arg, const char *user, const char *token)
{
	(void)arg;
	return strcmp(user, "user") == 0 && strcmp(token, "tok") == 0 ? 0 : -1;
}

static struct smtp_sasl_server_conf auth_conf = {
	.password = users, .token = tokens, .cb_type = "tls-exporter",
	.cb_data = cb_data, .cb_len = sizeof(cb_data) - 1,
	.external_id = "user", .scram_iterations = 4096,
};

/*
 * A pair where the client authenticates with mech (NULL: auth on) and
 * pass, over implicit TLS (tls) with channel binding; the server serves
 * AUTH (auth_conf) when serve, and requires it when required.
 */
static void
auth_pair_init(struct pair *p, const char *mech, const char *pass, bool tls,
    bool serve, bool required)
{
	struct smtp_sasl_conf ac = { .mech = mech, .user = "user",
	    .host = "mx.example", .port = 465 };
	struct smtp_server_conf sc;
	struct smtp_client_conf cc;
	struct err e;

	memset(p, 0, sizeof(*p));
	secret_init(&p->pw);
	if (pass != NULL)
		secret_set(&p->pw, pass, strlen(pass));
	ac.password = &p->pw;
	p->sasl = mech != NULL && strcmp(mech, "none") == 0 ? NULL :
	    smtp_sasl_new(&ac);
	if (p->sasl != NULL && tls)
		smtp_sasl_set_channel_binding(p->sasl, "tls-exporter", cb_data,
		    sizeof(cb_data) - 1, &e);
	memset(&sc, 0, sizeof(sc));
	sc.hostname = "mx.example";
	sc.caps = SMTP_CAP_PIPELINING | SMTP_CAP_AUTH;
	sc.tls_active = tls;
	sc.auth = serve ? &auth_conf : NULL;
	sc.auth_required = required;
	memset(&cc, 0, sizeof(cc));
	cc.helo_name = "client.example";
	cc.tls = tls ? SMTP_CLIENT_TLS_IMPLICIT : SMTP_CLIENT_TLS_NONE;
	cc.sasl = p->sasl;
	p->s = smtp_server_new(&sc);
	p->c = smtp_client_new(&cc);
	p->txn = &txn2_last;
	p->body = "Subject: hi\r\n\r\nhello\r\n";
	buf_init(&p->received, 1 << 20);
}

#define DELIVERED "READY BODY R0:OK:250 R1:OK:250 T:OK:2 DONE"

static void
test_auth_each(void)
{
	static const struct {
		const char *mech, *pass;
	} ok[] = {
		{ "PLAIN", "pencil" }, { "LOGIN", "pencil" },
		{ "CRAM-MD5", "pencil" }, { "SCRAM-SHA-1", "pencil" },
		{ "SCRAM-SHA-256", "pencil" }, { "SCRAM-SHA-1-PLUS", "pencil" },
		{ "SCRAM-SHA-256-PLUS", "pencil" }, { "XOAUTH2", "tok" },
		{ "OAUTHBEARER", "tok" }, { "EXTERNAL", NULL },
	};
	char name[128];
	struct pair p;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		auth_pair_init(&p, ok[i].mech, ok[i].pass, true, true, false);
		pump(&p);
		snprintf(name, sizeof(name), "AUTH %s: authenticated, "
		    "delivered%s", ok[i].mech, bytewise ? " (bytewise)" : "");
		tap_is_str(p.ev, "AUTH:user " DELIVERED, name);
		snprintf(name, sizeof(name), "AUTH %s: mechanism sent",
		    ok[i].mech);
		tap_is_str(p.auth_mech, ok[i].mech, name);
		pair_free(&p);

		if (ok[i].pass == NULL)
			continue;
		auth_pair_init(&p, ok[i].mech, "wrong", true, true, false);
		pump(&p);
		snprintf(name, sizeof(name), "AUTH %s, wrong credentials: "
		    "535, no MAIL", ok[i].mech);
		tap_ok(strcmp(p.ev, "F:noperm") == 0 &&
		    p.seen[SMTP_SERVER_CMD_MAIL] == 0, "%s (%s)", name, p.ev);
		pair_free(&p);
	}
}

static void
test_auth_policy(void)
{
	struct pair p;

	auth_pair_init(&p, NULL, "pencil", true, true, false);
	pump(&p);
	tap_is_str(p.auth_mech, "SCRAM-SHA-256-PLUS",
	    "auth on, TLS with binding: SCRAM-SHA-256-PLUS");
	tap_is_str(p.ev, "AUTH:user " DELIVERED, "auth on: delivered");
	pair_free(&p);

	auth_pair_init(&p, NULL, "pencil", false, true, false);
	pump(&p);
	tap_is_str(p.auth_mech, "SCRAM-SHA-256",
	    "auth on, no TLS: SCRAM-SHA-256 (no -PLUS advertised)");
	tap_is_str(p.ev, "AUTH:user " DELIVERED, "no TLS, SCRAM: delivered");
	tap_is_int(p.auth_lines, 2, "SCRAM: two response lines");
	pair_free(&p);

	auth_pair_init(&p, "PLAIN", "pencil", false, true, false);
	pump(&p);
	tap_is_str(p.ev, "F:noperm", "PLAIN without TLS: refused by policy");
	tap_is_int(p.seen[SMTP_SERVER_CMD_AUTH], 0, "... no AUTH sent");
	pair_free(&p);

	auth_conf.forge_scram_signature = true;
	auth_pair_init(&p, "SCRAM-SHA-256", "pencil", true, true, false);
	pump(&p);
	tap_is_str(p.ev, "F:protocol", "forged server signature: protocol");
	tap_is_int(p.seen[SMTP_SERVER_CMD_MAIL], 0, "... no MAIL");
	auth_conf.forge_scram_signature = false;
	pair_free(&p);

	auth_pair_init(&p, "none", NULL, true, true, true);
	pump(&p);
	tap_is_str(p.ev, "READY R0:PERM:530 R1:PERM:530 T:PERM:0 DONE",
	    "auth_required, client without AUTH: MAIL refused with 530");
	tap_is_int(p.env_nrcpt, 0, "... nothing delivered");
	tap_is_int((long long)p.received.len, 0, "... no data");
	pair_free(&p);

	auth_pair_init(&p, "PLAIN", "pencil", true, true, true);
	pump(&p);
	tap_is_str(p.ev, "AUTH:user " DELIVERED,
	    "auth_required, authenticated: delivered");
	pair_free(&p);

	auth_pair_init(&p, "PLAIN", "pencil", true, false, false);
	pump(&p);
	tap_is_str(p.ev, "F:noperm", "server without AUTH conf: 502: failed");
	pair_free(&p);
}

static void
run_all(void)
{
	unsigned modes[] = { SMTP_CAP_PIPELINING | SMTP_CAP_8BITMIME,
	    SMTP_CAP_8BITMIME };
	size_t i;

	for (i = 0; i < 2; i++) {
		test_happy(modes[i]);
		test_steps(modes[i]);
		test_some_rejected(modes[i]);
		test_dots(modes[i]);
	}
	test_helo_fallback();
	test_starttls();
	test_auth_each();
	test_auth_policy();
}

int
main(void)
{
	bytewise = false;
	run_all();
	bytewise = true;
	run_all();
	return tap_done();
}
