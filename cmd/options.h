/*
 * cmd_options: sendmail's command line, parsed strictly and purely (no
 * I/O: warnings are collected for the caller to print).
 *
 * Syntax (Sendmail's): an option letter takes its argument attached
 * ("-fa@b") or as the next word ("-f a@b"); flags without arguments may
 * be grouped ("-ti"); options end at "--" or at the first operand, and
 * every operand is a recipient.  So an option's argument never becomes a
 * recipient and a recipient is never read as an option.
 *
 * Modes: -bm (send, the default), -bs (SMTP on stdin/stdout), -bp and the
 * name mailq (list the queue), -bv (dry run: print route, envelope and
 * header, send nothing), -bi and the name newaliases (check the aliases
 * file), -q[...] (run the queue).  -ba -bd -bD -be -bh -bH -bP -bt and
 * any other -b are usage errors.
 *
 * Implemented: -t -i -oi -O IgnoreDots -f -r -F -N -R -V -B -U -v -n
 * (no aliasing) -L TAG (syslog ident) -C FILE -a ACCOUNT -h N (checked:
 * a decimal hop count) -oeX/-O ErrorMode=X (p: print, the default; q:
 * quiet, exit status only; m and w: print; a message that fails from the
 * queue is bounced in every mode) -odX/-O DeliveryMode=X (i: now, the
 * default; b: queued, then a detached child delivers it; q and d: queued
 * only) -q
 * forms: -q, -qf, -q<interval> (digits with s m h d w units, checked),
 * -qI<id>, -qR<rcpt>, -qS<sender>, and -I ID with -q (as -qI);
 * --queue-delete ID.
 *
 * Accepted and ignored on purpose: -G (gateway), -Am/-Ac (submit.cf or
 * sendmail.cf), -p PROTO and -M<macro> (postie writes no Received field),
 * -om/-O MeToo, -os/-O SuperSafe, -oL/-O LogLevel, -o7/-O SevenBitInput
 * and -o8/-O EightBitMode (postie handles 8-bit itself).
 * Accepted and ignored with a warning, never writing or changing anything
 * (PHPMailer CVE-2016-10033 went through them): -X FILE, -D FILE,
 * -oQDIR/-O QueueDirectory=DIR, -oADB/-O AliasFile=DB, -d (debugging).
 *
 * Refused (ERR_USAGE naming it): any other option, -o or -O option;
 * a missing argument; an address argument (operand or -f/-r) that starts
 * with '-' or holds CR or LF; a full name (-F) holding CR or LF.
 */
#ifndef POSTIE_CMD_OPTIONS_H
#define POSTIE_CMD_OPTIONS_H

#include <stdbool.h>

#include "util/err.h"

#define CMD_OPTIONS_WARN_MAX 8
#define CMD_OPTIONS_WARN_LEN 256

enum cmd_mode {
	CMD_MODE_SEND,		/* -bm */
	CMD_MODE_SMTP,		/* -bs */
	CMD_MODE_VERIFY,	/* -bv */
	CMD_MODE_LIST_QUEUE,	/* -bp, mailq */
	CMD_MODE_RUN_QUEUE,	/* -q */
	CMD_MODE_NEWALIASES,	/* -bi, newaliases */
	CMD_MODE_QUEUE_DELETE,	/* --queue-delete ID */
	CMD_MODE_HELP,		/* --help */
	CMD_MODE_VERSION	/* --version */
};

enum cmd_errmode {
	CMD_ERR_PRINT,		/* -oep (default): one line on stderr */
	CMD_ERR_QUIET,		/* -oeq: exit status only */
	CMD_ERR_MAIL,		/* -oem: as print, until bounces exist */
	CMD_ERR_WRITE		/* -oew: as print */
};

enum cmd_delivery {
	CMD_DELIVER_INTERACTIVE,	/* -odi (default) */
	CMD_DELIVER_BACKGROUND,		/* -odb */
	CMD_DELIVER_QUEUE		/* -odq */
};

struct cmd_options {
	enum cmd_mode mode;
	const char *from;	/* -f / -r (borrowed from argv) */
	const char *fullname;	/* -F */
	bool dot_ends;		/* false with -i, -oi, -O IgnoreDots */
	bool from_headers;	/* -t */
	bool verbose;		/* -v */
	bool smtputf8;		/* -U */
	bool no_aliases;	/* -n */
	const char *conf_file;	/* -C */
	const char *account;	/* -a */
	const char *body_type;	/* -B: "7BIT" or "8BITMIME" (any case) */
	char dsn_notify[32];	/* -N, checked; "" when not given */
	char dsn_ret[8];	/* -R, checked; "" when not given */
	const char *dsn_envid;	/* -V, checked */
	const char *syslog_tag;	/* -L */
	long hop_count;		/* -h; -1 when not given */
	enum cmd_errmode errmode;
	enum cmd_delivery delivery;
	/* -q forms */
	bool queue_force;		/* -qf */
	long queue_interval;		/* -q<interval> in seconds; 0 none */
	const char *queue_id;		/* -qI, -I */
	const char *queue_delete;	/* --queue-delete */
	const char *queue_rcpt;		/* -qR */
	const char *queue_sender;	/* -qS */
	/* operands */
	char **rcpts;
	int nrcpt;
	/* warnings for options ignored on purpose, in order */
	char warn[CMD_OPTIONS_WARN_MAX][CMD_OPTIONS_WARN_LEN];
	int nwarn;
};

/* Defaults: send mode, a lone "." ends the message, no hop count. */
void cmd_options_init(struct cmd_options *o);

/*
 * Parse argv (argv[0] is skipped; the program name's mode, mailq or
 * newaliases, is set by the caller before).  Pointers in o borrow argv.
 * ERR_USAGE with a message naming the option or argument.
 */
enum err_kind cmd_options_parse(int argc, char **argv, struct cmd_options *o,
    struct err *e);

#endif
