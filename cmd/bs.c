/*
 * -bs: SMTP on standard input and output, served by the smtp_server
 * engine (the one smtp-testd uses), so programs that speak SMTP to
 * `sendmail -bs` (Symfony Mailer, some PHP and Perl libraries) work.
 *
 * Each message accepted at the end of its data goes through the normal
 * path (send.c): the account chosen by its MAIL FROM, aliases, the header
 * rewritten, submission to the smarthost.  The reply to the final dot is
 * the outcome: 250 when every recipient got it, or some did and the
 * others were reported (stderr and the log); 451 when nothing was
 * delivered and a retry may work; 554 when it failed for good.  Nothing
 * is accepted that was not delivered: no queue yet, no lie.  The exit
 * status is about the session (0 after QUIT or the end of input): each
 * message's outcome was told in its reply.
 *
 * Offered: PIPELINING, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES.  No AUTH
 * and no STARTTLS: the peer is a local process on a pipe.  No DSN and no
 * CHUNKING (yet): their parameters would need carrying per recipient.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/job.h"
#include "io/net.h"
#include "smtp/server.h"

#define BS_READ 65536

struct bs {
	struct cmd_job *j;
	struct smtp_server *srv;
	bool in_data;		/* deliver_input_begin() was called */
	enum err_kind data_err;	/* the message could not be taken in */
	char data_msg[ERR_MSG_MAX];
};

static enum err_kind
write_out(struct bs *b, struct err *e)
{
	const char *p;
	size_t n;

	while ((p = smtp_server_output(b->srv, &n)) != NULL && n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return err_set(e, ERR_IO, "-bs: writing standard "
			    "output: %s", strerror(errno));
		smtp_server_output_consume(b->srv, (size_t)w);
	}
	return ERR_OK;
}

/* A reply's text: one line, printable (a server's reply may be hostile). */
static void
one_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/*
 * A message not delivered: 451 when a retry may work, else 554; a
 * server's own reply ("550 5.1.1 no such user") keeps its code when the
 * class agrees, so the client learns what the server said.
 */
static void
answer_failure(struct bs *b, enum err_kind rc, char *msg)
{
	int code = rc == ERR_TEMP ? 451 : 554;
	char *text = msg;

	one_line(msg);
	if (msg[0] >= '4' && msg[0] <= '5' && msg[1] >= '0' &&
	    msg[1] <= '9' && msg[2] >= '0' && msg[2] <= '9' &&
	    (msg[3] == ' ' || msg[3] == '\0') &&
	    (msg[0] == '4') == (rc == ERR_TEMP)) {
		code = (msg[0] - '0') * 100 + (msg[1] - '0') * 10 +
		    (msg[2] - '0');
		text = msg[3] == ' ' ? msg + 4 : msg + 3;
	}
	/* ENHANCEDSTATUSCODES is offered: every reply carries one. */
	if (text[0] >= '2' && text[0] <= '5' && text[1] == '.')
		smtp_server_reply(b->srv, code, text);
	else {
		char full[ERR_MSG_MAX + 8];

		(void)snprintf(full, sizeof(full), "%c.3.0 %s",
		    code >= 500 ? '5' : '4', text[0] != '\0' ? text :
		    "not sent");
		smtp_server_reply(b->srv, code, full);
	}
}

/* The end of one message's data: submit it, answer with the outcome. */
static void
data_end(struct bs *b)
{
	struct cmd_job *j = b->j;
	struct smtp_server_envelope env;
	struct err e;
	enum err_kind rc;
	bool utf8 = j->o.smtputf8;

	err_clear(&e);
	smtp_server_envelope(b->srv, &env);
	if (b->in_data && b->data_err == ERR_OK)
		rc = deliver_input_end(&j->in, &e);
	else
		rc = err_set(&e, b->data_err != ERR_OK ? b->data_err :
		    ERR_SOFTWARE, "%s", b->data_msg);
	b->in_data = false;
	j->sender = env.mail_from != NULL ? env.mail_from : "";
	j->sender_given = true;
	j->o.smtputf8 = utf8 || env.smtputf8;
	if (rc == ERR_OK)
		rc = cmd_job_prepare(j, (char **)env.rcpts, env.nrcpt, &e);
	if (rc == ERR_OK)
		rc = cmd_job_submit(j, false, &e);
	j->o.smtputf8 = utf8;
	if (rc == ERR_OK && j->queued_as[0] != '\0') {
		char text[64];

		snprintf(text, sizeof(text), "2.0.0 queued as %s",
		    j->queued_as);
		smtp_server_reply(b->srv, 250, text);
	} else if (rc == ERR_OK)
		smtp_server_reply(b->srv, 250, "2.0.0 message sent");
	else
		answer_failure(b, rc, e.msg);
	cmd_job_message_reset(j);
}

static void
command(struct bs *b, const struct smtp_server_event *ev)
{
	struct cmd_job *j = b->j;
	struct err e;

	err_clear(&e);
	if (ev->cmd == SMTP_SERVER_CMD_MAIL || ev->cmd == SMTP_SERVER_CMD_RSET ||
	    ev->cmd == SMTP_SERVER_CMD_HELO || ev->cmd == SMTP_SERVER_CMD_EHLO) {
		cmd_job_message_reset(j);
		b->in_data = false;
	}
	if (ev->cmd == SMTP_SERVER_CMD_DATA) {
		cmd_job_message_reset(j);
		b->data_err = deliver_input_begin(&j->in, false,
		    cmd_job_tmpdir(), &e);
		strlcpy(b->data_msg, e.msg, sizeof(b->data_msg));
		b->in_data = b->data_err == ERR_OK;
	}
	smtp_server_accept(b->srv);
}

static void
data(struct bs *b, const struct smtp_server_event *ev)
{
	struct err e;

	if (!b->in_data || b->data_err != ERR_OK)
		return;
	err_clear(&e);
	b->data_err = deliver_input_feed(&b->j->in, ev->data, ev->len, &e);
	strlcpy(b->data_msg, e.msg, sizeof(b->data_msg));
}

/* Answer every event the engine has; false once the session is over. */
static bool
events(struct bs *b)
{
	struct smtp_server_event ev;

	while (smtp_server_next_event(b->srv, &ev) != SMTP_SERVER_EV_NONE) {
		switch (ev.type) {
		case SMTP_SERVER_EV_COMMAND:
			command(b, &ev);
			break;
		case SMTP_SERVER_EV_DATA:
			data(b, &ev);
			break;
		case SMTP_SERVER_EV_DATA_END:
			data_end(b);
			break;
		case SMTP_SERVER_EV_CLOSE:
			return false;
		default:
			break;
		}
	}
	return !smtp_server_closed(b->srv);
}

enum err_kind
cmd_bs_run(struct cmd_job *j, struct err *e)
{
	struct smtp_server_conf sc;
	struct bs b;
	char name[256], in[BS_READ];
	enum err_kind rc = ERR_OK;
	bool open = true;

	memset(&b, 0, sizeof(b));
	b.j = j;
	cmd_job_hostname(j, name, sizeof(name));
	memset(&sc, 0, sizeof(sc));
	sc.hostname = name;
	sc.caps = SMTP_CAP_PIPELINING | SMTP_CAP_8BITMIME | SMTP_CAP_SMTPUTF8 |
	    SMTP_CAP_ENHANCEDSTATUSCODES;
	if ((b.srv = smtp_server_new(&sc)) == NULL)
		return err_set(e, ERR_OS, "out of memory");
	j->o.from_headers = false;	/* the envelope is the RCPTs */
	while (open && rc == ERR_OK) {
		ssize_t got;

		open = events(&b);
		if ((rc = write_out(&b, e)) != ERR_OK || !open)
			break;
		if (!smtp_server_wants_input(b.srv))
			continue;
		got = read(STDIN_FILENO, in, sizeof(in));
		if (got == -1 && errno == EINTR && io_net_stopped())
			break;
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1)
			rc = err_set(e, ERR_IO, "-bs: reading standard input: "
			    "%s", strerror(errno));
		else if (got == 0) {
			smtp_server_eof(b.srv);
			(void)events(&b);
			(void)write_out(&b, e);
			open = false;
		} else
			smtp_server_feed(b.srv, in, (size_t)got);
	}
	if (b.in_data)
		deliver_input_free(&j->in);
	smtp_server_free(b.srv);
	return rc;
}
