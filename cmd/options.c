/*
 * cmd_options: sendmail's command line (see options.h for the rules).
 * With `queue off`, -odb and -odq deliver at once in the foreground, as
 * -odi: detaching or storing with nowhere to store could lose a message.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/options.h"
#include "smtp/dsn.h"
#include "util/duration.h"

#define HOP_MAX 1000L
#define INTERVAL_MAX (366L * 86400)

void
cmd_options_init(struct cmd_options *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = CMD_MODE_SEND;
	o->dot_ends = true;
	o->hop_count = -1;
}

static void
warn(struct cmd_options *o, const char *fmt, ...)
{
	va_list ap;

	if (o->nwarn >= CMD_OPTIONS_WARN_MAX)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(o->warn[o->nwarn++], CMD_OPTIONS_WARN_LEN, fmt, ap);
	va_end(ap);
}

/* The argument of an option: attached ("-fa@b") or the next word. */
static enum err_kind
opt_arg(int argc, char **argv, int *i, const char *rest, const char **out,
    struct err *e)
{
	if (rest[0] != '\0') {
		*out = rest;
		return ERR_OK;
	}
	if (*i + 1 >= argc)
		return err_set(e, ERR_USAGE, "option %s needs an argument",
		    argv[*i]);
	*out = argv[++*i];
	return ERR_OK;
}

/* An address from the command line: never an option, never a line break. */
static enum err_kind
check_address(const char *what, const char *a, struct err *e)
{
	if (a[0] == '-')
		return err_set(e, ERR_USAGE, "refusing %s '%s': it starts "
		    "with '-'", what, a);
	if (strpbrk(a, "\r\n") != NULL)
		return err_set(e, ERR_USAGE, "refusing %s with a line break",
		    what);
	return ERR_OK;
}

static enum err_kind
set_errmode(char c, struct cmd_options *o, const char *opt, struct err *e)
{
	switch (c) {
	case 'p':
	case 'e':	/* Berkeley "special": print, exit status set */
		o->errmode = CMD_ERR_PRINT;
		return ERR_OK;
	case 'q':
		o->errmode = CMD_ERR_QUIET;
		return ERR_OK;
	case 'm':
		o->errmode = CMD_ERR_MAIL;
		return ERR_OK;
	case 'w':
		o->errmode = CMD_ERR_WRITE;
		return ERR_OK;
	default:
		return err_set(e, ERR_USAGE, "unknown error mode %s", opt);
	}
}

static enum err_kind
set_delivery(char c, struct cmd_options *o, const char *opt, struct err *e)
{
	switch (c) {
	case 'i':
		o->delivery = CMD_DELIVER_INTERACTIVE;
		return ERR_OK;
	case 'b':
		o->delivery = CMD_DELIVER_BACKGROUND;
		return ERR_OK;
	case 'q':
	case 'd':	/* deferred: queue, do not even look up hosts */
		o->delivery = CMD_DELIVER_QUEUE;
		return ERR_OK;
	default:
		return err_set(e, ERR_USAGE, "unknown delivery mode %s", opt);
	}
}

/* "true"/"false" and friends of sendmail's boolean options; "" is true. */
static int
bool_value(const char *v)
{
	if (v == NULL || v[0] == '\0' || strcasecmp(v, "true") == 0 ||
	    strcasecmp(v, "t") == 0 || strcasecmp(v, "yes") == 0 ||
	    strcasecmp(v, "y") == 0 || strcmp(v, "1") == 0)
		return 1;
	if (strcasecmp(v, "false") == 0 || strcasecmp(v, "f") == 0 ||
	    strcasecmp(v, "no") == 0 || strcasecmp(v, "n") == 0 ||
	    strcmp(v, "0") == 0)
		return 0;
	return -1;
}

/* -oX[VALUE]: sendmail's one-letter option syntax. */
static enum err_kind
parse_o(const char *sub, struct cmd_options *o, struct err *e)
{
	char opt[8];
	int b;

	(void)snprintf(opt, sizeof(opt), "-o%.2s", sub);
	switch (sub[0]) {
	case 'i':
		if ((b = bool_value(sub + 1)) == -1)
			break;
		o->dot_ends = b == 0;
		return ERR_OK;
	case 'e':
		if (sub[1] == '\0' || sub[2] != '\0')
			break;
		return set_errmode(sub[1], o, opt, e);
	case 'd':
		if (sub[1] == '\0' || sub[2] != '\0')
			break;
		return set_delivery(sub[1], o, opt, e);
	case 'm':	/* MeToo: postie never drops the sender from a list */
	case 's':	/* SuperSafe: the message is read whole first anyway */
	case 'L':	/* LogLevel: postie logs one line a message */
	case '7':	/* SevenBitInput: 8-bit is handled, never stripped */
	case '8':	/* EightBitMode: likewise */
		return ERR_OK;
	case 'Q':
		warn(o, "ignoring -oQ: postie's queue directory is not set "
		    "from the command line");
		return ERR_OK;
	case 'A':
		warn(o, "ignoring -oA: the aliases file is set in the "
		    "configuration");
		return ERR_OK;
	default:
		break;
	}
	return err_set(e, ERR_USAGE, "unknown option -o%s", sub);
}

/* -O Name[=value]: sendmail's long option syntax. */
static enum err_kind
parse_O(const char *arg, struct cmd_options *o, struct err *e)
{
	static const char *const quiet[] = {
		"MeToo", "SuperSafe", "LogLevel", "SevenBitInput",
		"EightBitMode",
	};
	const char *eq = strchr(arg, '=');
	const char *val = eq != NULL ? eq + 1 : "";
	size_t n = eq != NULL ? (size_t)(eq - arg) : strlen(arg), i;
	char opt[64];
	int b;

	(void)snprintf(opt, sizeof(opt), "-O %.*s", (int)(n < 40 ? n : 40),
	    arg);
#define IS(name) (n == strlen(name) && strncasecmp(arg, name, n) == 0)
	if (IS("IgnoreDots")) {
		if ((b = bool_value(val)) == -1)
			return err_set(e, ERR_USAGE, "%s takes true or false",
			    opt);
		o->dot_ends = b == 0;
		return ERR_OK;
	}
	if (IS("ErrorMode"))
		return val[0] != '\0' && val[1] == '\0' ?
		    set_errmode(val[0], o, opt, e) :
		    err_set(e, ERR_USAGE, "unknown error mode %s", opt);
	if (IS("DeliveryMode"))
		return val[0] != '\0' && val[1] == '\0' ?
		    set_delivery(val[0], o, opt, e) :
		    err_set(e, ERR_USAGE, "unknown delivery mode %s", opt);
	if (IS("QueueDirectory")) {
		warn(o, "ignoring -O QueueDirectory: postie's queue "
		    "directory is not set from the command line");
		return ERR_OK;
	}
	if (IS("AliasFile")) {
		warn(o, "ignoring -O AliasFile: the aliases file is set in "
		    "the configuration");
		return ERR_OK;
	}
	for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		if (IS(quiet[i]))
			return ERR_OK;
#undef IS
	return err_set(e, ERR_USAGE, "unknown option %s", opt);
}

static enum err_kind
parse_b(const char *rest, struct cmd_options *o, struct err *e)
{
	static const struct {
		const char *name;
		enum cmd_mode mode;
	} modes[] = {
		{ "m", CMD_MODE_SEND }, { "s", CMD_MODE_SMTP },
		{ "v", CMD_MODE_VERIFY }, { "p", CMD_MODE_LIST_QUEUE },
		{ "i", CMD_MODE_NEWALIASES },
	};
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(rest, modes[i].name) == 0) {
			o->mode = modes[i].mode;
			return ERR_OK;
		}
	if (strcmp(rest, "d") == 0 || strcmp(rest, "D") == 0)
		return err_set(e, ERR_USAGE, "unsupported mode -b%s: postie "
		    "is no daemon (see -bs)", rest);
	if (strcmp(rest, "t") == 0 || strcmp(rest, "e") == 0 ||
	    strcmp(rest, "h") == 0 || strcmp(rest, "H") == 0)
		return err_set(e, ERR_USAGE, "unsupported mode -b%s: postie "
		    "has no rule sets or host status (see -bv)", rest);
	return err_set(e, ERR_USAGE, "unsupported mode -b%.8s", rest);
}

/* -q, -qf, -q<interval>, -qI<id>, -qR<rcpt>, -qS<sender>. */
static enum err_kind
parse_q(const char *rest, struct cmd_options *o, struct err *e)
{
	long t;

	o->mode = CMD_MODE_RUN_QUEUE;
	if (rest[0] == '\0')
		return ERR_OK;
	if (strcmp(rest, "f") == 0) {
		o->queue_force = true;
		return ERR_OK;
	}
	if (strchr("IRS", rest[0]) != NULL) {
		const char *v = rest + 1;

		if (v[0] == '\0' || v[0] == '!' ||
		    strpbrk(v, "\r\n") != NULL)
			return err_set(e, ERR_USAGE, "-q%c needs a plain "
			    "substring", rest[0]);
		if (rest[0] == 'I')
			o->queue_id = v;
		else if (rest[0] == 'R')
			o->queue_rcpt = v;
		else
			o->queue_sender = v;
		return ERR_OK;
	}
	if ((t = (long)duration_parse(rest, INTERVAL_MAX)) <= 0)
		return err_set(e, ERR_USAGE, "-q%.16s: not a queue run "
		    "interval (such as 30m or 1h)", rest);
	o->queue_interval = t;
	return ERR_OK;
}

static enum err_kind
parse_h(const char *v, struct cmd_options *o, struct err *e)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)v[0]))
		return err_set(e, ERR_USAGE, "-h takes a hop count, not '%s'",
		    v);
	n = strtol(v, &end, 10);
	if (*end != '\0' || n > HOP_MAX)
		return err_set(e, ERR_USAGE, "-h takes a hop count, not '%s'",
		    v);
	o->hop_count = n;
	return ERR_OK;
}

static enum err_kind
parse_B(const char *v, struct cmd_options *o, struct err *e)
{
	if (strcasecmp(v, "7BIT") != 0 && strcasecmp(v, "8BITMIME") != 0)
		return err_set(e, ERR_USAGE, "-B takes 7BIT or 8BITMIME, not "
		    "'%s'", v);
	o->body_type = v;
	return ERR_OK;
}

/* Options that take an argument.  Returns ERR_OK when a[1] is not one. */
static enum err_kind
parse_with_arg(int argc, char **argv, int *i, struct cmd_options *o,
    bool *done, struct err *e)
{
	const char *a = argv[*i], *rest = a + 2, *v = NULL;

	*done = true;
	if (strchr("frFCaBoOhNRVLXDdpMAI", a[1]) == NULL) {
		*done = false;
		return ERR_OK;
	}
	if (a[1] == 'M' || a[1] == 'A') {
		/* -M<macro><value> and -Am/-Ac: attached only. */
		if (a[1] == 'A' && strcmp(rest, "m") != 0 &&
		    strcmp(rest, "c") != 0)
			return err_set(e, ERR_USAGE, "-A takes m or c");
		if (a[1] == 'M' && rest[0] == '\0')
			return err_set(e, ERR_USAGE, "-M needs a macro");
		return ERR_OK;
	}
	if (opt_arg(argc, argv, i, rest, &v, e) != ERR_OK)
		return e->kind;
	switch (a[1]) {
	case 'f':
	case 'r':
		o->from = v;
		return check_address("sender", v, e);
	case 'F':
		o->fullname = v;
		if (strpbrk(v, "\r\n") != NULL)
			return err_set(e, ERR_USAGE, "refusing a full name (-F) "
			    "with a line break");
		return ERR_OK;
	case 'C':
		o->conf_file = v;
		return ERR_OK;
	case 'a':
		o->account = v;
		return ERR_OK;
	case 'B':
		return parse_B(v, o, e);
	case 'o':
		return parse_o(v, o, e);
	case 'O':
		return parse_O(v, o, e);
	case 'h':
		return parse_h(v, o, e);
	case 'N':	/* DSN, RFC 3461 */
		return smtp_dsn_notify(v, o->dsn_notify,
		    sizeof(o->dsn_notify), e);
	case 'R':
		return smtp_dsn_ret(v, o->dsn_ret, sizeof(o->dsn_ret), e);
	case 'V':
		o->dsn_envid = v;
		return smtp_dsn_envid(v, e);
	case 'I':	/* -q -I ID: one entry (sendmail's -qI ID) */
		if (v[0] == '\0' || v[0] == '-')
			return err_set(e, ERR_USAGE, "-I needs a queue id");
		o->queue_id = v;
		return ERR_OK;
	case 'L':
		if (v[0] == '\0' || strpbrk(v, "\r\n") != NULL)
			return err_set(e, ERR_USAGE, "-L takes a syslog tag");
		o->syslog_tag = v;
		return ERR_OK;
	case 'X':
		warn(o, "ignoring -X %.64s: postie writes no traffic log "
		    "(use -v)", v);
		return ERR_OK;
	case 'D':
		warn(o, "ignoring -D %.64s: postie writes no debug file "
		    "(use -v)", v);
		return ERR_OK;
	case 'd':
		warn(o, "ignoring -d%.32s: postie has no debug levels (use "
		    "-v)", v);
		return ERR_OK;
	default:	/* 'p': the protocol for a Received field */
		return ERR_OK;
	}
}

/* Flags, which may be grouped (-ti, -vt). */
static enum err_kind
parse_flags(const char *a, struct cmd_options *o, struct err *e)
{
	const char *p;

	for (p = a + 1; *p != '\0'; p++) {
		switch (*p) {
		case 'i':
			o->dot_ends = false;
			break;
		case 't':
			o->from_headers = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'U':	/* SMTPUTF8 (RFC 6531) when offered */
			o->smtputf8 = true;
			break;
		case 'n':
			o->no_aliases = true;
			break;
		case 'G':	/* gateway submission: nothing to relax */
			break;
		default:
			return err_set(e, ERR_USAGE, "unknown option -%c",
			    *p);
		}
	}
	return ERR_OK;
}

static enum err_kind
set_delete(const char *id, struct cmd_options *o, struct err *e)
{
	if (id[0] == '\0' || id[0] == '-')
		return err_set(e, ERR_USAGE, "--queue-delete needs a queue id");
	o->mode = CMD_MODE_QUEUE_DELETE;
	o->queue_delete = id;
	return ERR_OK;
}

static enum err_kind
parse_one(int argc, char **argv, int *i, struct cmd_options *o,
    struct err *e)
{
	const char *a = argv[*i];
	bool done;

	if (a[1] == '-') {
		if (strcmp(a, "--help") == 0)
			o->mode = CMD_MODE_HELP;
		else if (strcmp(a, "--version") == 0)
			o->mode = CMD_MODE_VERSION;
		else if (strncmp(a, "--queue-delete=", 15) == 0)
			return set_delete(a + 15, o, e);
		else if (strcmp(a, "--queue-delete") == 0) {
			if (*i + 1 >= argc)
				return err_set(e, ERR_USAGE, "option "
				    "--queue-delete needs an argument");
			return set_delete(argv[++*i], o, e);
		} else
			return err_set(e, ERR_USAGE, "unknown option %.64s", a);
		return ERR_OK;
	}
	if (a[1] == 'b')
		return parse_b(a + 2, o, e);
	if (a[1] == 'q')
		return parse_q(a + 2, o, e);
	if (parse_with_arg(argc, argv, i, o, &done, e) != ERR_OK || done)
		return e->kind;
	return parse_flags(a, o, e);
}

enum err_kind
cmd_options_parse(int argc, char **argv, struct cmd_options *o,
    struct err *e)
{
	int i;

	err_clear(e);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (parse_one(argc, argv, &i, o, e) != ERR_OK)
			return e->kind;
	}
	o->rcpts = argv + i;
	o->nrcpt = argc - i;
	if (o->queue_id != NULL && o->mode != CMD_MODE_RUN_QUEUE)
		return err_set(e, ERR_USAGE, "-I %s needs -q", o->queue_id);
	for (i = 0; i < o->nrcpt; i++)
		if (check_address("recipient", o->rcpts[i], e) != ERR_OK)
			return e->kind;
	return ERR_OK;
}
