#include "config.h"

/*
 * smtp-testd: the test SMTP server, built from the same engine as postie
 * (smtp_server) and the same driver (io_session).  Its command line and
 * the files it writes are a contract for the CLI tests and the README
 * demo: see tests/server/README.
 *
 * One parent listens and forks one child per connection.  The child runs
 * the engine, answers each command as the options say, and writes
 * DIR/session-N.log and, per accepted message, DIR/msg-M.eml and
 * DIR/msg-M.env.  The command line and the --reply/--after/--stall
 * rules are parsed and matched in testd_opts.c.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/net.h"
#include "io/session.h"
#include "io/tls.h"
#include "smtp/sasl_server.h"
#include "smtp/server.h"
#include "util/buf.h"
#include "util/err.h"

#include "testd_opts.h"

#define TESTD_CHILDREN_MAX 64
#define TESTD_ACCEPT_TICK_MS 200
#define TESTD_ENV_MAX (1u << 20)
#define TESTD_LOGLINE_MAX (4 * SMTP_SERVER_LINE_MAX + 16)
#define TESTD_MSGNUM_MAX 1000000

/* One session, in the child. */
struct sess {
	const struct testd_opts *o;
	unsigned num;
	int logfd;			/* -1: no transcript */
	struct io_session io;
	struct smtp_server *srv;
	unsigned count[STEP_COUNT];	/* occurrences so far */
	struct buf helo;		/* "helo NAME\n" */
	struct buf mail;		/* "mail ADDR PARAMS\n" */
	struct buf rcpts;		/* "rcpt ADDR PARAMS\n"... */
	int msgfd;			/* message data being received */
	char msgtmp[PATH_MAX];
	unsigned ntmp;
	bool via_bdat;			/* the message came by BDAT */
	/* AUTH (issue 3) */
	struct smtp_sasl_server_conf auth;
	struct buf cb;			/* the TLS channel binding */
	struct buf ext_id;		/* verified client certificate */
};

/* What handling an event decided. */
enum flow {
	FLOW_GO,	/* carry on */
	FLOW_END,	/* end the session after a flush */
	FLOW_DROP	/* end it now, without a word */
};

/* Parent: set by SIGTERM/SIGINT. */
static volatile sig_atomic_t stop_flag;

/* Child: what its SIGTERM handler needs to finish the transcript. */
static volatile sig_atomic_t child_logfd = -1;
static volatile sig_atomic_t child_round_trips;
static volatile sig_atomic_t child_rt_written;

/* ---- files ---------------------------------------------------------- */

static int
write_all(int fd, const void *p, size_t n)
{
	const char *q = p;
	ssize_t rc;

	while (n > 0) {
		rc = write(fd, q, n);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -1;
		q += rc;
		n -= (size_t)rc;
	}
	return 0;
}

/* Write the bound port to FILE via FILE.tmp and rename, and to stdout. */
static int
publish_port(const struct testd_opts *o, unsigned port)
{
	char tmp[PATH_MAX], line[32];
	int fd, n;

	n = snprintf(line, sizeof(line), "%u\n", port);
	printf("port %u\n", port);
	fflush(stdout);
	if (o->port_file == NULL)
		return 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", o->port_file) >=
	    sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	if (write_all(fd, line, (size_t)n) == -1 || close(fd) == -1 ||
	    rename(tmp, o->port_file) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Async-signal-safe "round_trips K\n" (no stdio in a handler). */
static void
write_round_trips(int fd, unsigned k)
{
	char line[32] = "round_trips ";
	char digits[16];
	size_t n = strlen(line), d = 0;

	do {
		digits[d++] = (char)('0' + k % 10);
		k /= 10;
	} while (k > 0 && d < sizeof(digits));
	while (d > 0)
		line[n++] = digits[--d];
	line[n++] = '\n';
	(void)write_all(fd, line, n);
}

/* The transcript's last line, exactly once, whatever ended the session. */
static void
finish_transcript(void)
{
	sigset_t all, old;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (child_logfd != -1 && !child_rt_written) {
		child_rt_written = 1;
		write_round_trips(child_logfd,
		    (unsigned)child_round_trips);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void
child_on_signal(int sig)
{
	(void)sig;
	if (child_logfd != -1 && !child_rt_written) {
		child_rt_written = 1;
		write_round_trips(child_logfd, (unsigned)child_round_trips);
	}
	_exit(0);
}

/*
 * One transcript line: "P: " + line with control bytes escaped.  Signals
 * are held so the SIGTERM handler's last line never splits this one.
 */
static void
log_line(struct sess *ss, const char *prefix, const void *p, size_t n)
{
	struct buf line;
	sigset_t all, old;

	buf_init(&line, TESTD_LOGLINE_MAX);
	if (buf_append_str(&line, prefix) == -1 ||
	    buf_append_escaped(&line, p, n) == -1) {
		buf_reset(&line);
		(void)buf_printf(&line, "%s<line too long: %zu bytes>",
		    prefix, n);
	}
	(void)buf_append_byte(&line, '\n');
	if (ss->o->verbose)
		fprintf(stderr, "smtp-testd[%u]: %s", ss->num, buf_str(&line));
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (ss->logfd != -1)
		(void)write_all(ss->logfd, line.data, line.len);
	sigprocmask(SIG_SETMASK, &old, NULL);
	buf_free(&line);
}

/* A new file DIR/NAME, created exclusively. */
static int
open_new(const struct testd_opts *o, const char *name)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", o->dir, name) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
	    0644);
}

/* ---- the message files ---------------------------------------------- */

/* Start receiving message data into a temp file. */
static int
msg_begin(struct sess *ss)
{
	char name[64];

	if (ss->msgfd != -1)
		return 0;
	snprintf(name, sizeof(name), ".msg-%ld-%u.tmp", (long)getpid(),
	    ++ss->ntmp);
	snprintf(ss->msgtmp, sizeof(ss->msgtmp), "%s/%s", ss->o->dir, name);
	ss->msgfd = open_new(ss->o, name);
	return ss->msgfd == -1 ? -1 : 0;
}

static void
msg_discard(struct sess *ss)
{
	if (ss->msgfd == -1)
		return;
	close(ss->msgfd);
	unlink(ss->msgtmp);
	ss->msgfd = -1;
}

/* The envelope file's text, into a temp file; its path into tmp. */
static int
env_write_tmp(struct sess *ss, char *tmp, size_t tmplen)
{
	char name[64];
	int fd, rc;

	snprintf(name, sizeof(name), ".env-%ld-%u.tmp", (long)getpid(),
	    ss->ntmp);
	snprintf(tmp, tmplen, "%s/%s", ss->o->dir, name);
	fd = open_new(ss->o, name);
	if (fd == -1)
		return -1;
	rc = write_all(fd, buf_str(&ss->helo), ss->helo.len);
	if (rc == 0)
		rc = write_all(fd, buf_str(&ss->mail), ss->mail.len);
	if (rc == 0)
		rc = write_all(fd, buf_str(&ss->rcpts), ss->rcpts.len);
	if (close(fd) == -1 || rc == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * Publish the message as msg-M.eml/.env with the first free M.  link(2)
 * of the finished .env claims M atomically (EEXIST: taken by another
 * child, try the next); the .eml is renamed in after it, so whoever sees
 * msg-M.eml sees both files whole.
 */
static int
msg_publish(struct sess *ss)
{
	/* Numbers only grow: this session's last one is where to look
	 * next (a session that takes 1000 messages costs 1000 links, not
	 * half a million). */
	static unsigned next_m = 1;
	char envtmp[PATH_MAX], env[PATH_MAX], eml[PATH_MAX];
	unsigned m;

	if (close(ss->msgfd) == -1 || env_write_tmp(ss, envtmp,
	    sizeof(envtmp)) == -1) {
		ss->msgfd = -1;
		unlink(ss->msgtmp);
		return -1;
	}
	ss->msgfd = -1;
	for (m = next_m; m < TESTD_MSGNUM_MAX; m++) {
		snprintf(env, sizeof(env), "%s/msg-%u.env", ss->o->dir, m);
		snprintf(eml, sizeof(eml), "%s/msg-%u.eml", ss->o->dir, m);
		if (link(envtmp, env) == -1) {
			if (errno == EEXIST)
				continue;
			break;
		}
		if (access(eml, F_OK) == 0) {	/* a stale .eml: skip M */
			unlink(env);
			continue;
		}
		if (rename(ss->msgtmp, eml) == -1)
			break;
		unlink(envtmp);
		next_m = m + 1;
		return 0;
	}
	unlink(envtmp);
	unlink(ss->msgtmp);
	return -1;
}

/* ---- answering ------------------------------------------------------ */

static void
pause_s(unsigned seconds)
{
	struct timespec ts, left;

	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = 0;
	while (nanosleep(&ts, &left) == -1 && errno == EINTR)
		ts = left;
}

/*
 * Stall, then do what an --after rule says instead of answering.
 * FLOW_GO when the step is to be answered.
 */
static enum flow
before_answer(struct sess *ss, int step)
{
	const struct testd_rule *r;
	unsigned nth;

	if (step == STEP_NONE)
		return FLOW_GO;
	nth = ++ss->count[step];
	r = testd_opts_find_rule(ss->o, ACT_STALL, step, nth);
	if (r != NULL) {
		log_line(ss, "T: ", "stall", 5);
		pause_s(r->stall_s);
	}
	r = testd_opts_find_rule(ss->o, ACT_DROP, step, nth);
	if (r != NULL)
		return FLOW_DROP;
	r = testd_opts_find_rule(ss->o, ACT_421, step, nth);
	if (r != NULL) {
		smtp_server_reply(ss->srv, 421, "4.3.0 testd closing");
		return FLOW_END;
	}
	return FLOW_GO;
}

/* --rcpt-limit: one recipient more than the limit (no LIMITS said). */
static bool
over_rcpt_limit(struct sess *ss, int step)
{
	struct smtp_server_envelope env;

	if (step != STEP_RCPT || ss->o->rcpt_limit == 0)
		return false;
	smtp_server_envelope(ss->srv, &env);
	return env.nrcpt >= ss->o->rcpt_limit;
}

/*
 * Answer the pending command or data end: an --reply rule for this
 * occurrence, else --reply-rcpt, else a general --reply, else
 * --rcpt-limit, else the engine.  Returns the reply code that went out,
 * read back from the output (0 for BDAT, whose reply waits for the
 * chunk's octets).
 */
static int
answer(struct sess *ss, int step, const char *rcpt)
{
	const struct testd_rule *r = NULL, *rr;
	const char *out;
	size_t before, len;

	(void)smtp_server_output(ss->srv, &before);
	if (step != STEP_NONE)
		r = testd_opts_find_rule(ss->o, ACT_REPLY, step,
		    ss->count[step]);
	if ((r == NULL || r->nth == 0) && rcpt != NULL &&
	    (rr = testd_opts_find_rcpt_rule(ss->o, rcpt)) != NULL)
		r = rr;
	if (r != NULL)
		smtp_server_reply(ss->srv, r->code, r->text);
	else if (step == STEP_EHLO && ss->o->no_esmtp)
		smtp_server_reply(ss->srv, 502, "5.5.1 EHLO not supported");
	else if (over_rcpt_limit(ss, step))
		smtp_server_reply(ss->srv, 452,
		    "4.5.3 Error: too many recipients");
	else
		smtp_server_accept(ss->srv);
	out = smtp_server_output(ss->srv, &len);
	if (len < before + 3)
		return 0;
	out += before;
	return (out[0] - '0') * 100 + (out[1] - '0') * 10 + (out[2] - '0');
}

/* "WORD ADDR[ PARAMS]\n" into b (replacing it, or appended). */
static void
env_line(struct buf *b, bool append, const char *word,
    const struct smtp_server_event *ev)
{
	if (!append)
		buf_reset(b);
	(void)buf_printf(b, "%s %s%s%s\n", word, ev->arg,
	    ev->params[0] != '\0' ? " " : "", ev->params);
}

/*
 * Keep our own envelope: the engine's has no parameters.  A transaction
 * that ends or starts drops any BDAT chunks taken so far: the message is
 * only whole at its data end (RFC 3030 2: RSET discards the chunks).
 */
static void
record(struct sess *ss, const struct smtp_server_event *ev, int code)
{
	if (code < 200 || code > 299)
		return;
	switch (ev->cmd) {
	case SMTP_SERVER_CMD_HELO:
	case SMTP_SERVER_CMD_EHLO:
		buf_reset(&ss->helo);
		(void)buf_printf(&ss->helo, "helo %s\n", ev->arg);
		/* FALLTHROUGH */
	case SMTP_SERVER_CMD_RSET:
		buf_reset(&ss->mail);
		buf_reset(&ss->rcpts);
		msg_discard(ss);
		break;
	case SMTP_SERVER_CMD_MAIL:
		env_line(&ss->mail, false, "mail", ev);
		buf_reset(&ss->rcpts);
		msg_discard(ss);
		break;
	case SMTP_SERVER_CMD_RCPT:
		env_line(&ss->rcpts, true, "rcpt", ev);
		break;
	default:
		break;
	}
}

/* ---- AUTH (issue 3) ------------------------------------------------ */

/* The password of user from --auth-users FILE ("user:password" lines). */
static int
testd_auth_password(void *arg, const char *user, struct secret *pw)
{
	const struct sess *ss = arg;
	char *line = NULL;
	size_t cap = 0, ulen = strlen(user), n;
	ssize_t len;
	FILE *fp;
	int rc = -1;

	if (ss->o->auth_users == NULL ||
	    (fp = fopen(ss->o->auth_users, "r")) == NULL)
		return -1;
	while (rc == -1 && (len = getline(&line, &cap, fp)) > 0) {
		n = (size_t)len;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n > ulen && line[ulen] == ':' &&
		    strncmp(line, user, ulen) == 0)
			rc = secret_set(pw, line + ulen + 1, n - ulen - 1);
	}
	if (line != NULL)
		explicit_bzero(line, cap);
	free(line);
	fclose(fp);
	return rc;
}

/* 0 when --auth-token USER:TOKEN names this pair. */
static int
testd_auth_token(void *arg, const char *user, const char *token)
{
	const struct sess *ss = arg;
	size_t i, ulen = strlen(user);

	for (i = 0; i < ss->o->nauth_tokens; i++) {
		const char *t = ss->o->auth_tokens[i];

		if (strncmp(t, user, ulen) == 0 && t[ulen] == ':' &&
		    strcmp(t + ulen + 1, token) == 0)
			return 0;
	}
	return -1;
}

/* Serve AUTH when any --auth-* option asked for it. */
static void
testd_auth_setup(struct sess *ss)
{
	buf_init(&ss->cb, 1024);
	buf_init(&ss->ext_id, 1024);
	if (!ss->o->auth || ss->srv == NULL)
		return;
	memset(&ss->auth, 0, sizeof(ss->auth));
	ss->auth.password = testd_auth_password;
	ss->auth.token = testd_auth_token;
	ss->auth.arg = ss;
	ss->auth.scram_iterations = ss->o->scram_iterations;
	ss->auth.forge_scram_signature = ss->o->scram_forge;
	smtp_server_set_auth(ss->srv, &ss->auth);
}

/* After a handshake: -PLUS gets the channel binding, EXTERNAL the
 * client certificate; --auth-before-tls-only withdraws AUTH. */
static void
testd_auth_tls(struct sess *ss)
{
	const char *type = NULL;
	struct err e;

	if (!ss->o->auth || ss->srv == NULL)
		return;
	if (ss->o->auth_before_tls_only) {
		smtp_server_set_auth(ss->srv, NULL);
		return;
	}
	buf_reset(&ss->cb);
	if (io_tls_channel_binding(ss->io.tls, &type, &ss->cb, &e) ==
	    ERR_OK && ss->cb.len > 0) {
		ss->auth.cb_type = type;
		ss->auth.cb_data = ss->cb.data;
		ss->auth.cb_len = ss->cb.len;
	}
	buf_reset(&ss->ext_id);
	if (io_tls_peer_verified(ss->io.tls, &ss->ext_id))
		ss->auth.external_id = buf_str(&ss->ext_id);
}

static void
testd_auth_free(struct sess *ss)
{
	buf_free(&ss->cb);
	buf_free(&ss->ext_id);
}

/* The transcript: responses in clear (a test server), then the user. */
static void
testd_auth_event(struct sess *ss, const struct smtp_server_event *ev)
{
	if (ev->type == SMTP_SERVER_EV_AUTH_LINE)
		log_line(ss, "C: ", ev->line, strlen(ev->line));
	else
		log_line(ss, "A: authenticated ", ev->arg, strlen(ev->arg));
}

/* ---- end of AUTH ---------------------------------------------------- */

/* ---- TLS (issue 3) ------------------------------------------------- */

static enum err_kind flush(struct sess *ss, struct err *e);

/*
 * Hook for the AUTH work: called after every successful handshake
 * (STARTTLS or --implicit-tls), with ss->io.tls set.  From there
 * io_tls_channel_binding(ss->io.tls, ...) gives SCRAM-*-PLUS its
 * channel binding and io_tls_peer_verified(ss->io.tls, ...) the client
 * certificate's subject for EXTERNAL.  Nothing to do without AUTH.
 */
static void
testd_tls_ready(struct sess *ss)
{
	testd_auth_tls(ss);	/* AUTH (issue 3) */
}

/* Whether a 220 to STARTTLS can be followed by something: a handshake,
 * or one of the attacks. */
static bool
tls_can_start(const struct testd_opts *o)
{
	return o->tls_cert != NULL || o->inject_len > 0 || o->tls_abort;
}

/*
 * Handshake as the server; "T: TLSv1.3 ..." or "T: handshake failed",
 * then "T: sni NAME" when the client sent a server name.
 */
static bool
tls_handshake(struct sess *ss)
{
	struct io_tls_server_conf tc;
	struct buf line;
	struct err e;
	char sni[256];

	memset(&tc, 0, sizeof(tc));
	tc.cert_file = ss->o->tls_cert;
	tc.key_file = ss->o->tls_key;
	tc.client_ca_file = ss->o->client_ca;
	tc.require_client_cert = ss->o->require_client_cert;
	tc.priorities = ss->o->tls_priorities;
	tc.timeout_s = (int)ss->o->idle_exit;
	buf_init(&line, TESTD_LOGLINE_MAX);
	if (io_session_start_tls_server(&ss->io, &tc, &e) != ERR_OK) {
		(void)buf_printf(&line, "%s%s", strncmp(e.msg, "handshake "
		    "failed", 16) == 0 ? "" : "handshake failed: ", e.msg);
		log_line(ss, "T: ", line.data, line.len);
		buf_free(&line);
		return false;
	}
	io_tls_describe(ss->io.tls, &line);
	if (io_tls_peer_verified(ss->io.tls, NULL))
		(void)buf_append_str(&line, ", client certificate verified");
	log_line(ss, "T: ", buf_str(&line), line.len);
	buf_free(&line);
	if (io_tls_server_name(ss->io.tls, sni, sizeof(sni)))
		log_line(ss, "T: sni ", sni, strlen(sni));
	testd_tls_ready(ss);
	return true;
}

/*
 * The 220 to STARTTLS is queued: write it (with --starttls-inject's
 * bytes in the same write), then --tls-abort closes, a certificate
 * means the handshake, and without one the session ends.
 */
static enum flow
on_starttls(struct sess *ss)
{
	struct buf out;
	struct err e;
	const char *p;
	size_t n;
	enum err_kind rc;

	if (ss->o->inject_len > 0) {
		p = smtp_server_output(ss->srv, &n);
		buf_init(&out, n + ss->o->inject_len);
		(void)buf_append(&out, p, n);
		(void)buf_append(&out, ss->o->inject, ss->o->inject_len);
		log_line(ss, "S: ", p, n > 2 ? n - 2 : n);
		log_line(ss, "T: inject ", ss->o->inject, ss->o->inject_len);
		rc = io_session_write(&ss->io, out.data, out.len,
		    ss->io.to.command, &e);
		buf_free(&out);
		smtp_server_output_consume(ss->srv, n);
		child_round_trips = (sig_atomic_t)(ss->io.flights - 1);
	} else
		rc = flush(ss, &e);
	if (rc != ERR_OK || ss->o->tls_abort)
		return FLOW_DROP;
	if (ss->o->tls_cert == NULL || !tls_handshake(ss))
		return FLOW_DROP;
	smtp_server_tls_started(ss->srv);
	return FLOW_GO;
}

/* ---- end of TLS ----------------------------------------------------- */

static enum flow
on_command(struct sess *ss, const struct smtp_server_event *ev)
{
	enum flow f;
	int step, code;

	step = testd_opts_step_of(ev->cmd);
	if (ev->cmd != SMTP_SERVER_CMD_CONNECT)
		log_line(ss, "C: ", ev->line, strlen(ev->line));
	f = before_answer(ss, step);
	if (f != FLOW_GO)
		return f;
	if (ev->cmd == SMTP_SERVER_CMD_STARTTLS && !tls_can_start(ss->o)) {
		/* TLS (issue 3): offered with --ext but no certificate. */
		smtp_server_reply(ss->srv, 454, "4.7.0 TLS not available");
		return FLOW_GO;
	}
	code = answer(ss, step, ev->cmd == SMTP_SERVER_CMD_RCPT ?
	    ev->arg : NULL);
	if (ev->cmd == SMTP_SERVER_CMD_DATA || ev->cmd == SMTP_SERVER_CMD_BDAT)
		ss->via_bdat = ev->cmd == SMTP_SERVER_CMD_BDAT;
	if (ev->cmd == SMTP_SERVER_CMD_DATA && code == 354 &&
	    msg_begin(ss) == -1)
		fprintf(stderr, "smtp-testd[%u]: %s: %s\n", ss->num,
		    ss->msgtmp, strerror(errno));
	record(ss, ev, code);
	return FLOW_GO;
}

static void
on_data(struct sess *ss, const struct smtp_server_event *ev)
{
	if (msg_begin(ss) == -1)
		return;
	if (write_all(ss->msgfd, ev->data, ev->len) == -1) {
		fprintf(stderr, "smtp-testd[%u]: %s: %s\n", ss->num,
		    ss->msgtmp, strerror(errno));
		msg_discard(ss);
	}
}

static enum flow
on_data_end(struct sess *ss, const struct smtp_server_event *ev)
{
	char note[64];
	enum flow f;
	int n, code;

	n = snprintf(note, sizeof(note), "<%s %zu bytes>", ss->via_bdat ?
	    "BDAT" : "DATA", ev->msg_size);
	log_line(ss, "C: ", note, (size_t)n);
	f = before_answer(ss, STEP_DATAEND);
	if (f != FLOW_GO) {
		msg_discard(ss);
		return f;
	}
	code = answer(ss, STEP_DATAEND, NULL);
	if (code >= 200 && code <= 299 && msg_begin(ss) == 0 &&
	    msg_publish(ss) == -1)
		fprintf(stderr, "smtp-testd[%u]: cannot write msg-*.eml in "
		    "%s: %s\n", ss->num, ss->o->dir, strerror(errno));
	msg_discard(ss);
	buf_reset(&ss->mail);
	buf_reset(&ss->rcpts);
	return FLOW_GO;
}

static enum flow
on_event(struct sess *ss, const struct smtp_server_event *ev)
{
	switch (ev->type) {
	case SMTP_SERVER_EV_COMMAND:
		return on_command(ss, ev);
	case SMTP_SERVER_EV_DATA:
		on_data(ss, ev);
		return FLOW_GO;
	case SMTP_SERVER_EV_DATA_END:
		return on_data_end(ss, ev);
	case SMTP_SERVER_EV_STARTTLS:
		log_line(ss, "T: ", "starttls", 8);
		return on_starttls(ss);	/* TLS (issue 3) */
	case SMTP_SERVER_EV_CLOSE:
		return FLOW_END;
	case SMTP_SERVER_EV_AUTH_LINE:	/* AUTH (issue 3) */
	case SMTP_SERVER_EV_AUTH_DONE:
		testd_auth_event(ss, ev);
		return FLOW_GO;
	default:
		return FLOW_GO;
	}
}

/* ---- the session ---------------------------------------------------- */

/*
 * Log the queued reply lines and write them in one flight.  The first
 * flight is the greeting; every later one is a round trip the client
 * had to wait for.
 */
static enum err_kind
flush(struct sess *ss, struct err *e)
{
	const char *out, *p, *nl, *next, *end;
	size_t len, n;
	enum err_kind rc;

	out = smtp_server_output(ss->srv, &len);
	if (len == 0)
		return ERR_OK;
	end = out + len;
	for (p = out; p < end; p = next) {
		nl = memchr(p, '\n', (size_t)(end - p));
		next = nl != NULL ? nl + 1 : end;
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		log_line(ss, "S: ", p, n);
	}
	rc = io_session_flush_server(&ss->io, ss->srv, e);
	child_round_trips = ss->io.flights > 0 ?
	    (sig_atomic_t)(ss->io.flights - 1) : 0;
	return rc;
}

/* Drain events; FLOW_GO when the engine waits for the client. */
static enum flow
drain(struct sess *ss, unsigned *nev)
{
	struct smtp_server_event ev;
	enum flow f;

	*nev = 0;
	while (smtp_server_next_event(ss->srv, &ev) != SMTP_SERVER_EV_NONE) {
		(*nev)++;
		f = on_event(ss, &ev);
		if (f != FLOW_GO)
			return f;
	}
	return FLOW_GO;
}

static void
session_loop(struct sess *ss)
{
	struct err e;
	enum flow f;
	unsigned nev;

	for (;;) {
		f = drain(ss, &nev);
		if (f == FLOW_DROP)
			return;
		if (f == FLOW_END || smtp_server_closed(ss->srv)) {
			(void)flush(ss, &e);
			return;
		}
		if (!smtp_server_wants_input(ss->srv)) {
			if (nev == 0)
				return;	/* client gone, nothing left */
			continue;
		}
		if (flush(ss, &e) != ERR_OK)
			return;
		if (io_session_pump_server(&ss->io, ss->srv,
		    (int)ss->o->idle_exit, &e) != ERR_OK) {
			if (ss->o->verbose)
				fprintf(stderr, "smtp-testd[%u]: %s\n",
				    ss->num, e.msg);
			return;
		}
	}
}

static struct smtp_server *
new_engine(const struct testd_opts *o)
{
	struct smtp_server_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.hostname = o->hostname;
	conf.caps = o->caps;
	conf.size_max = o->size;
	conf.rcpt_max = o->rcpt_max;
	/* AUTH (issue 3): without --auth-*, "AUTH" is a lure (502). */
	conf.auth_mechs = o->auth ? o->auth_mechs : "PLAIN LOGIN";
	conf.auth_required = o->auth_required;
	conf.tls_active = o->implicit_tls;	/* TLS (issue 3) */
	return smtp_server_new(&conf);
}

/* The child: serve one connection, then exit. */
static void
run_session(const struct testd_opts *o, unsigned num, int fd)
{
	struct io_session_timeouts to;
	struct sess ss;
	char name[64];

	memset(&ss, 0, sizeof(ss));
	ss.o = o;
	ss.num = num;
	ss.msgfd = -1;
	buf_init(&ss.helo, TESTD_ENV_MAX);
	buf_init(&ss.mail, TESTD_ENV_MAX);
	buf_init(&ss.rcpts, TESTD_ENV_MAX);
	io_session_timeouts_all(&to, (int)o->idle_exit);
	io_session_init(&ss.io, fd, &to, NULL);
	snprintf(name, sizeof(name), "session-%u.log", num);
	ss.logfd = open_new(o, name);
	if (ss.logfd == -1)
		fprintf(stderr, "smtp-testd[%u]: %s/%s: %s\n", num, o->dir,
		    name, strerror(errno));
	child_logfd = ss.logfd;
	ss.srv = new_engine(o);
	testd_auth_setup(&ss);	/* AUTH (issue 3) */
	/* TLS (issue 3): RFC 8314 implicit TLS, before the greeting. */
	if (ss.srv != NULL && (!o->implicit_tls || tls_handshake(&ss)))
		session_loop(&ss);
	finish_transcript();
	msg_discard(&ss);
	io_session_close(&ss.io);
	smtp_server_free(ss.srv);
	testd_auth_free(&ss);	/* AUTH (issue 3) */
	buf_free(&ss.helo);
	buf_free(&ss.mail);
	buf_free(&ss.rcpts);
	if (ss.logfd != -1)
		close(ss.logfd);
}

/* ---- the parent ----------------------------------------------------- */

struct children {
	pid_t pid[TESTD_CHILDREN_MAX];
	size_t n;
	unsigned accepted;
	unsigned finished;
	time_t last;		/* last accept or session end */
};

static void
on_stop_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: let poll() see the stop */
	(void)sigaction(sig, &sa, NULL);
}

static time_t
mono_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return time(NULL);
	return ts.tv_sec;
}

/* Collect finished children without blocking (or all, when block). */
static void
reap(struct children *ch, bool block)
{
	pid_t pid;
	size_t i;
	int status;

	while (ch->n > 0) {
		pid = waitpid(-1, &status, block ? 0 : WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			return;
		for (i = 0; i < ch->n; i++)
			if (ch->pid[i] == pid) {
				ch->pid[i] = ch->pid[--ch->n];
				ch->finished++;
				ch->last = mono_s();
				break;
			}
	}
}

static void
spawn(const struct testd_opts *o, struct children *ch, int lfd, int fd)
{
	unsigned num = ++ch->accepted;
	sigset_t stop, old;
	pid_t pid;

	ch->last = mono_s();
	fflush(stdout);
	fflush(stderr);
	/* Hold SIGTERM/SIGINT until the child has its own handlers. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, &old);
	pid = fork();
	if (pid == 0) {
		set_handler(SIGTERM, child_on_signal);
		set_handler(SIGINT, child_on_signal);
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(lfd);
		run_session(o, num, fd);
		exit(0);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fd);
	if (pid == -1) {
		fprintf(stderr, "smtp-testd: fork: %s\n", strerror(errno));
		ch->finished++;
		return;
	}
	ch->pid[ch->n++] = pid;
}

/* Whether the parent is done: enough sessions, or idle too long. */
static bool
done(const struct testd_opts *o, const struct children *ch)
{
	if (o->sessions != 0 && ch->finished >= o->sessions)
		return true;
	if (ch->n == 0 && mono_s() - ch->last >= (time_t)o->idle_exit) {
		fprintf(stderr, "smtp-testd: no connection for %u s, "
		    "exiting\n", o->idle_exit);
		return true;
	}
	return false;
}

static void
serve(const struct testd_opts *o, int lfd)
{
	struct children ch;
	char peer[IO_NET_ADDRSTR_MAX];
	struct err e;
	size_t i;
	int fd;

	memset(&ch, 0, sizeof(ch));
	ch.last = mono_s();
	while (!stop_flag) {
		reap(&ch, false);
		if (done(o, &ch))
			break;
		if ((o->sessions != 0 && ch.accepted >= o->sessions) ||
		    ch.n == TESTD_CHILDREN_MAX) {
			(void)poll(NULL, 0, TESTD_ACCEPT_TICK_MS);
			continue;
		}
		if (io_net_accept(lfd, TESTD_ACCEPT_TICK_MS, &fd, peer,
		    sizeof(peer), &e) != ERR_OK) {
			if (e.kind != ERR_TEMP || strstr(e.msg, "timed out")
			    == NULL)
				fprintf(stderr, "smtp-testd: %s\n", e.msg);
			continue;
		}
		if (o->verbose)
			fprintf(stderr, "smtp-testd: session %u from %s\n",
			    ch.accepted + 1, peer);
		spawn(o, &ch, lfd, fd);
	}
	if (stop_flag)
		for (i = 0; i < ch.n; i++)
			kill(ch.pid[i], SIGTERM);
	reap(&ch, true);
}

int
main(int argc, char **argv)
{
	struct testd_opts *o;
	struct err e;
	unsigned port;
	int lfd;

	/* The rules are large; keep them off the stack. */
	o = malloc(sizeof(*o));
	if (o == NULL)
		return 1;
	testd_opts_parse(o, argc, argv);
	signal(SIGPIPE, SIG_IGN);
	set_handler(SIGTERM, on_stop_signal);
	set_handler(SIGINT, on_stop_signal);
	if (mkdir(o->dir, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "smtp-testd: %s: %s\n", o->dir,
		    strerror(errno));
		return 1;
	}
	if (io_net_listen(o->listen, o->port, &lfd, &port, &e) != ERR_OK) {
		fprintf(stderr, "smtp-testd: %s\n", e.msg);
		return 1;
	}
	if (publish_port(o, port) == -1) {
		fprintf(stderr, "smtp-testd: %s: %s\n", o->port_file,
		    strerror(errno));
		return 1;
	}
	serve(o, lfd);
	close(lfd);
	free(o);
	return 0;
}
