/*
 * cmd_job: one run of postie, shared by the front end's modes.
 *
 *   send.c   the message path: configuration, account, envelope,
 *            aliases, header, submission, the per-message log line, and
 *            the -bv dry run and newaliases check
 *   bs.c     -bs: SMTP on stdin/stdout, each message through send.c
 *   postie.c main(): options, dispatch, the one exit-status table
 *
 * A job holds the configuration for the whole run and the state of one
 * message at a time (cmd_job_message_reset() between -bs messages).
 */
#ifndef POSTIE_CMD_JOB_H
#define POSTIE_CMD_JOB_H

#include <stdbool.h>
#include <stdio.h>

#include "cmd/options.h"
#include "conf/aliases.h"
#include "conf/parse.h"
#include "deliver/input.h"
#include "mail/address.h"
#include "util/err.h"
#include "util/log.h"
#include "util/secret.h"

#define PROG "postie"

struct smtp_sasl;

struct cmd_job {
	struct cmd_options o;
	bool as_sendmail;		/* called sendmail, mailq, newaliases */
	struct conf conf;
	bool conf_loaded;
	struct conf_aliases aliases;
	bool aliases_loaded;
	struct log log;			/* stderr: errors, and -v */
	struct log mlog;		/* logfile or syslog: a line a message */
	FILE *logfp;
	bool gnutls_ready;		/* gnutls_global_init() was called */

	/* The message in hand. */
	const char *sender;		/* as given: -f, or -bs's MAIL FROM */
	bool sender_given;		/* sender set (-bs: "" is <>) */
	const struct conf_account *acct;
	char helo[256];
	char from[MAIL_ADDRESS_LEN_MAX + 1];
	struct mail_address_list rcpts;
	struct deliver_input in;
	struct secret password;
	struct smtp_sasl *sasl;
	bool reported;			/* the failure's lines are out already */
};

void cmd_job_init(struct cmd_job *j);
void cmd_job_free(struct cmd_job *j);
/* Forget the message in hand; the configuration stays. */
void cmd_job_message_reset(struct cmd_job *j);

/* The configuration files (-C as allowed) and the message log. */
enum err_kind cmd_job_config(struct cmd_job *j, struct err *e);

/*
 * The message read (from stdin, or fed by -bs) and its recipients given
 * (o.rcpts, or -bs's RCPTs) to a ready envelope and header: the account,
 * the sender, recipients (with -t the header's, then aliases), the
 * checks, the rewritten header section.
 */
enum err_kind cmd_job_prepare(struct cmd_job *j, char **rcpts, size_t nrcpt,
    struct err *e);

/*
 * Submit the prepared message and log its line.  Unless quiet, each
 * refused recipient gets a line on stderr; when those lines say all there
 * is, j->reported is set (the caller prints no summary of e).
 */
enum err_kind cmd_job_submit(struct cmd_job *j, bool quiet, struct err *e);

/* -bv: print the route, envelope and header of the prepared message. */
enum err_kind cmd_job_verify(struct cmd_job *j, FILE *out, struct err *e);

/* newaliases: check the aliases file; prints "FILE: N aliases". */
enum err_kind cmd_job_newaliases(struct cmd_job *j, struct err *e);

/* The machine's name as the default account gives it (-bs greeting). */
void cmd_job_hostname(const struct cmd_job *j, char *out, size_t outlen);

/* $TMPDIR when absolute, else NULL (deliver/input: /tmp). */
const char *cmd_job_tmpdir(void);

/* -bs (bs.c): serve SMTP on stdin/stdout until QUIT or end of input. */
enum err_kind cmd_bs_run(struct cmd_job *j, struct err *e);

#endif
