/*
 * postie: the front end.  argv[0] dispatch (postie, sendmail, mailq,
 * newaliases), the modes, and the ONLY place that prints the final error
 * and chooses the exit status (one table: exits[]).  Options are parsed
 * in options.c, the message path is send.c, -bs is bs.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <idn2.h>

#include "cmd/job.h"
#include "io/net.h"
#include "util/err.h"

/* The one table from error kinds to sysexits (DESIGN.md). */
static const int exits[ERR_KIND_COUNT] = {
	[ERR_OK] = EX_OK,
	[ERR_USAGE] = EX_USAGE,
	[ERR_DATA] = EX_DATAERR,
	[ERR_NOUSER] = EX_NOUSER,
	[ERR_NOHOST] = EX_NOHOST,
	[ERR_UNAVAILABLE] = EX_UNAVAILABLE,
	[ERR_SOFTWARE] = EX_SOFTWARE,
	[ERR_OS] = EX_OSERR,
	[ERR_CANTCREAT] = EX_CANTCREAT,
	[ERR_IO] = EX_IOERR,
	[ERR_TEMP] = EX_TEMPFAIL,
	[ERR_PROTOCOL] = EX_PROTOCOL,
	[ERR_NOPERM] = EX_NOPERM,
	[ERR_CONFIG] = EX_CONFIG,
};

static int
finish(enum err_kind kind, const char *msg, bool quiet)
{
	if (kind != ERR_OK && !quiet && msg != NULL && msg[0] != '\0')
		fprintf(stderr, "%s: %s\n", PROG, msg);
	if ((unsigned)kind >= ERR_KIND_COUNT)
		kind = ERR_SOFTWARE;
	return exits[kind];
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s [-itUvn] [-f sender] [-F name] [-C file] [-a account]\n"
	    "              [-B type] [-N dsn] [-R ret] [-V envid] [-L tag]\n"
	    "              [-o option] [-O option=value] [--] [recipient ...]\n"
	    "       %s -bs | -bv [recipient ...] | -bp | -bi\n"
	    "       %s -q[f] [-I id] | --queue-delete id\n"
	    "       %s --help | --version\n"
	    "Reads a message on standard input and submits it over SMTP.\n"
	    "  -t          take recipients from To, Cc and Bcc as well\n"
	    "  -i, -oi     a line with only \".\" does not end the message\n"
	    "  -f ADDR     envelope sender (also -r)\n"
	    "  -F NAME     sender's full name\n"
	    "  -C FILE     configuration file (instead of the user's)\n"
	    "  -a ACCOUNT  account to use (default: by -f, else \"default\")\n"
	    "  -U          use SMTPUTF8 when the server offers it\n"
	    "  -v          show the SMTP dialogue on standard error\n"
	    "  -bs         speak SMTP on standard input and output\n"
	    "  -bv         dry run: show route, envelope and header; send "
	    "nothing\n"
	    "  -q          deliver the queue (-qf: every entry now)\n"
	    "See postie(8).\n", PROG, PROG, PROG, PROG);
}

/* Closed descriptors 0-2 would be reused by the first open(). */
static void
sane_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(EX_OSERR);
	}
}

/* SIGTERM, SIGINT, SIGHUP: stop before the final dot (io/net.h). */
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a wait returns at once */
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	io_net_set_stop(&stop);
}

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s != NULL ? s + 1 : p;
}

/*
 * -odq: into the queue, not tried now.  -odb: into the queue, then a
 * detached child delivers it (the caller goes on at once; a failure
 * leaves the entry queued, never lost).
 */
static enum err_kind
queue_first(struct cmd_job *j, struct err *e)
{
	char qid[64];
	pid_t pid;
	int fd;

	if (cmd_queue_store_new(j, qid, sizeof(qid), e) != ERR_OK)
		return e->kind == ERR_IO ? (e->kind = ERR_TEMP) : e->kind;
	log_msg(&j->log, LOG_INFO, "queued as %s", qid);
	log_msg(&j->mlog, LOG_INFO, "from=<%s> queued as %s (%s)", j->from, qid,
	    j->o.delivery == CMD_DELIVER_QUEUE ? "-odq" : "-odb");
	if (j->o.delivery == CMD_DELIVER_QUEUE)
		return ERR_OK;
	if ((pid = fork()) == -1)
		return ERR_OK;	/* queued: the next queue run sends it */
	if (pid > 0)
		return ERR_OK;
	(void)setsid();
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		(void)dup2(fd, STDIN_FILENO);
		(void)dup2(fd, STDOUT_FILENO);
		(void)dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			(void)close(fd);
	}
	(void)cmd_queue_run(j, qid, e);
	cmd_job_free(j);
	_exit(0);
}

/* -bm and -bv: the message from standard input, then send or show it. */
static enum err_kind
run_message(struct cmd_job *j, struct err *e)
{
	bool verify = j->o.mode == CMD_MODE_VERIFY;

	if (cmd_job_config(j, e) != ERR_OK)
		return e->kind;
	j->sender = j->o.from;
	j->sender_given = j->o.from != NULL;
	/* The whole message is read before any connection opens; -bv at a
	 * terminal reads none (nobody is typing a message to check). */
	if (verify && isatty(STDIN_FILENO) == 1) {
		if (deliver_input_begin(&j->in, false, NULL, e) != ERR_OK ||
		    deliver_input_end(&j->in, e) != ERR_OK)
			return e->kind;
	} else if (deliver_input_read(&j->in, STDIN_FILENO, j->o.dot_ends,
	    cmd_job_tmpdir(), e) != ERR_OK)
		return e->kind;
	if (cmd_job_prepare(j, j->o.rcpts, (size_t)j->o.nrcpt, e) != ERR_OK)
		return e->kind;
	if (verify)
		return cmd_job_verify(j, stdout, e);
	if (j->o.delivery != CMD_DELIVER_INTERACTIVE && cmd_queue_enabled(j))
		return queue_first(j, e);
	return cmd_job_submit(j, j->o.errmode == CMD_ERR_QUIET, e);
}

static enum err_kind
run(struct cmd_job *j, struct err *e)
{
	switch (j->o.mode) {
	case CMD_MODE_HELP:
		usage(stdout);
		return ERR_OK;
	case CMD_MODE_VERSION:
		printf("%s %s (GnuTLS %s, libidn2 %s)\n", PROG,
		    PACKAGE_VERSION, gnutls_check_version(NULL),
		    idn2_check_version(NULL));
		return ERR_OK;
	case CMD_MODE_LIST_QUEUE:
		if (cmd_job_config(j, e) != ERR_OK)
			return e->kind;
		return cmd_queue_list(j, stdout, e);
	case CMD_MODE_RUN_QUEUE:
		if (cmd_job_config(j, e) != ERR_OK)
			return e->kind;
		return cmd_queue_run(j, j->o.queue_id, e);
	case CMD_MODE_QUEUE_DELETE:
		if (cmd_job_config(j, e) != ERR_OK)
			return e->kind;
		return cmd_queue_delete(j, j->o.queue_delete, e);
	case CMD_MODE_NEWALIASES:
		if (cmd_job_config(j, e) != ERR_OK)
			return e->kind;
		return cmd_job_newaliases(j, e);
	case CMD_MODE_SMTP:
		if (cmd_job_config(j, e) != ERR_OK)
			return e->kind;
		return cmd_bs_run(j, e);
	case CMD_MODE_SEND:
	case CMD_MODE_VERIFY:
		return run_message(j, e);
	}
	return err_set(e, ERR_SOFTWARE, "unknown mode %d", (int)j->o.mode);
}

int
main(int argc, char **argv)
{
	struct cmd_job j;
	struct err e;
	enum err_kind rc;
	const char *name = argc > 0 ? base_name(argv[0]) : PROG;
	int i, status;
	bool quiet;

	sane_fds();
	(void)signal(SIGPIPE, SIG_IGN);
	err_clear(&e);
	cmd_job_init(&j);
	j.as_sendmail = strcmp(name, PROG) != 0;
	if (strcmp(name, "mailq") == 0)
		j.o.mode = CMD_MODE_LIST_QUEUE;
	else if (strcmp(name, "newaliases") == 0)
		j.o.mode = CMD_MODE_NEWALIASES;
	rc = cmd_options_parse(argc, argv, &j.o, &e);
	if (rc != ERR_OK) {
		fprintf(stderr, "%s: %s\n", PROG, e.msg);
		usage(stderr);
		cmd_job_free(&j);
		return EX_USAGE;
	}
	for (i = 0; i < j.o.nwarn; i++)
		fprintf(stderr, "%s: warning: %s\n", PROG, j.o.warn[i]);
	if (j.o.verbose)
		j.log.level = LOG_INFO;
	catch_signals();
	rc = run(&j, &e);
	quiet = j.o.errmode == CMD_ERR_QUIET || j.reported;
	cmd_job_free(&j);
	status = finish(rc, e.msg, quiet);
	if (fflush(stdout) == EOF && status == EX_OK)
		status = finish(ERR_IO, "writing standard output", false);
	return status;
}
