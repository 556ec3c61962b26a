/*
 * cmd_job: one run of postie, shared by the front end's modes.
 *
 *   send.c   the message path: configuration, account, envelope,
 *            aliases, header, submission, the per-message log line, and
 *            the -bv dry run and newaliases check
 *   route.c  the route of a message: host, port, timeouts, TLS, AUTH,
 *            the EHLO name; GnuTLS started only when it is used
 *   bs.c     -bs: SMTP on stdin/stdout, each message through send.c
 *   postie.c main(): options, dispatch, the one exit-status table
 *
 * A job holds the configuration for the whole run and the state of one
 * message at a time (cmd_job_message_reset() between -bs messages).
 */
#ifndef POSTIE_CMD_JOB_H
#define POSTIE_CMD_JOB_H

#include <limits.h>
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
	char queued_as[32];		/* the queue entry submit made, or "" */
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

/* The per-message log of j->acct (the first call decides for the run). */
enum err_kind cmd_job_open_log(struct cmd_job *j, struct err *e);

/*
 * Submit the prepared message and log its line.  Unless quiet, each
 * refused recipient gets a line on stderr; when those lines say all there
 * is, j->reported is set (the caller prints no summary of e).
 */
enum err_kind cmd_job_submit(struct cmd_job *j, bool quiet, struct err *e);

struct deliver_submit_result;
struct deliver_submit_req;

/* File names of the TLS commands, "~/" expanded (cmd_job_route()'s). */
struct cmd_tls_files {
	char trust[PATH_MAX], crl[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
};

/*
 * req's route for the account in hand: host, port, timeouts, TLS (file
 * names in tf, which must outlive req), AUTH (the password fetched),
 * EHLO name, log; GnuTLS initialised when needed.  The message fields
 * are the caller's.
 */
enum err_kind cmd_job_route(struct cmd_job *j, struct deliver_submit_req *req,
    struct cmd_tls_files *tf, struct err *e);

/*
 * The route alone, as -bv shows it: host, port, timeouts, TLS (file names
 * in tf), EHLO name.  No AUTH (no password source asked), no GnuTLS, no
 * log.  Errors: ERR_CONFIG (auth on without `host`, a TLS file name).
 */
enum err_kind cmd_job_route_only(struct cmd_job *j,
    struct deliver_submit_req *req, struct cmd_tls_files *tf, struct err *e);

/* The submission alone, into res (initialised by the caller): no report,
 * no log line, no queue.  The outcome as deliver_submit_outcome(). */
enum err_kind cmd_job_deliver(struct cmd_job *j,
    struct deliver_submit_result *res, struct err *e);

/* What a log line is about: the message as sent, its envelope. */
struct cmd_job_sent {
	const struct deliver_input *msg;
	const char *from;
	const char *const *rcpts;	/* in the order of the result's */
	size_t nrcpt;
};

/* The message's log line for a result (qid: its queue entry, or NULL). */
void cmd_job_log(struct cmd_job *j, const struct cmd_job_sent *sent,
    const struct deliver_submit_result *res, enum err_kind kind, long long ms,
    const char *qid);

/* -bv: print the route, envelope and header of the prepared message. */
enum err_kind cmd_job_verify(struct cmd_job *j, FILE *out, struct err *e);

/* newaliases: check the aliases file; prints "FILE: N aliases". */
enum err_kind cmd_job_newaliases(struct cmd_job *j, struct err *e);

/* The machine's name as the default account gives it (-bs greeting). */
void cmd_job_hostname(const struct cmd_job *j, char *out, size_t outlen);

/* The same for account a (the EHLO name, a bounce's host). */
void cmd_job_hostname_of(const struct cmd_job *j,
    const struct conf_account *a, char *out, size_t outlen);
/* The local zone's offset east of UTC now, in seconds. */
void cmd_job_utc_offset(long *offset);

/* $TMPDIR when absolute, else NULL (deliver/input: /tmp). */
const char *cmd_job_tmpdir(void);

/*
 * The queue (queue.c).  enabled: the account's `queue` (on by default).
 * defer: store the message for the recipients res left TEMP (the others
 * kept as sent or failed), id into qid.  store_new: store it for every
 * recipient without trying (-odq, -odb).  run: -q, every due entry (or
 * the one -qI names).  after_success: a bounded run of due entries after
 * a message went out, so a machine without a cron job still drains its
 * queue.  list: mailq.  delete: --queue-delete.
 */
bool cmd_queue_enabled(const struct cmd_job *j);
enum err_kind cmd_queue_defer(struct cmd_job *j,
    const struct deliver_submit_result *res, char *qid, size_t qidlen,
    struct err *e);
enum err_kind cmd_queue_store_new(struct cmd_job *j, char *qid,
    size_t qidlen, struct err *e);
enum err_kind cmd_queue_run(struct cmd_job *j, const char *only_id,
    struct err *e);
void cmd_queue_after_success(struct cmd_job *j);
enum err_kind cmd_queue_list(struct cmd_job *j, FILE *out, struct err *e);
enum err_kind cmd_queue_delete(struct cmd_job *j, const char *id,
    struct err *e);

/* -bs (bs.c): serve SMTP on stdin/stdout until QUIT or end of input. */
enum err_kind cmd_bs_run(struct cmd_job *j, struct err *e);

#endif
