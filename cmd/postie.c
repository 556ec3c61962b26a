/*
 * postie: the front end.  argv[0] dispatch (postie, sendmail, mailq,
 * newaliases), sendmail's options, configuration, and the ONLY place that
 * prints the final error and chooses the exit status (one table: exits[]).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <idn2.h>

#include "conf/load.h"
#include "deliver/input.h"
#include "deliver/submit.h"
#include "mail/address.h"
#include "mail/header.h"
#include "mail/idn.h"
#include "smtp/dsn.h"
#include "smtp/sasl.h"
#include "util/err.h"
#include "util/log.h"

#define PROG "postie"
#define TIMEOUT_MAX 86400	/* seconds */

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

enum mode {
	MODE_SEND,
	MODE_HELP,
	MODE_VERSION,
	MODE_LIST_QUEUE,	/* -bp, mailq */
	MODE_FLUSH_QUEUE,	/* -q */
	MODE_NEWALIASES
};

struct opts {
	enum mode mode;
	const char *from;	/* -f / -r */
	const char *fullname;	/* -F */
	bool dot_ends;		/* without -i / -oi */
	bool from_headers;	/* -t */
	bool verbose;		/* -v */
	bool smtputf8;		/* -U */
	const char *conf_file;	/* -C */
	const char *account;	/* -a */
	const char *body_type;	/* -B */
	char dsn_notify[32];	/* -N, checked, "" when not given */
	char dsn_ret[8];	/* -R, checked, "" when not given */
	const char *dsn_envid;	/* -V */
	char **rcpts;		/* operands */
	int nrcpt;
};

static int
finish(enum err_kind kind, const char *msg)
{
	if (kind != ERR_OK && msg != NULL && msg[0] != '\0')
		fprintf(stderr, "%s: %s\n", PROG, msg);
	if ((unsigned)kind >= ERR_KIND_COUNT)
		kind = ERR_SOFTWARE;
	return exits[kind];
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s [-itUv] [-f sender] [-F name] [-C file] [-a account]\n"
	    "              [-B type] [-o option] [--] [recipient ...]\n"
	    "       %s --help | --version\n"
	    "Reads a message on standard input and submits it over SMTP.\n"
	    "  -t          take recipients from To, Cc and Bcc as well\n"
	    "  -i, -oi     a line with only \".\" does not end the message\n"
	    "  -f ADDR     envelope sender (also -r)\n"
	    "  -F NAME     sender's full name\n"
	    "  -C FILE     configuration file (instead of the user's)\n"
	    "  -a ACCOUNT  account to use (default: \"default\")\n"
	    "  -U          use SMTPUTF8 when the server offers it\n"
	    "  -v          show the SMTP dialogue on standard error\n"
	    "See postie(8).\n", PROG, PROG);
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

/* An address from the command line: never an option, never a line break. */
static enum err_kind
check_arg_address(const char *what, const char *a, struct err *e)
{
	if (a[0] == '-')
		return err_set(e, ERR_USAGE, "refusing %s '%s': it starts "
		    "with '-'", what, a);
	if (strpbrk(a, "\r\n") != NULL)
		return err_set(e, ERR_USAGE, "refusing %s with a line break",
		    what);
	return ERR_OK;
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

/* -oX: sendmail's old option syntax. */
static enum err_kind
parse_o(const char *sub, struct opts *o, struct err *e)
{
	switch (sub[0]) {
	case 'i':
		if (sub[1] == '\0') {
			o->dot_ends = false;
			return ERR_OK;
		}
		break;
	case 'e':	/* error mode: postie always reports on stderr */
	case 'm':	/* "me too": meaningless without aliases */
		return ERR_OK;
	case 'd':	/* delivery mode: i and b deliver now */
		if (strcmp(sub, "di") == 0 || strcmp(sub, "db") == 0)
			return ERR_OK;
		break;
	default:
		break;
	}
	return err_set(e, ERR_USAGE, "unknown option -o%s", sub);
}

static enum err_kind
parse_long(const char *a, struct opts *o, struct err *e)
{
	if (strcmp(a, "--help") == 0)
		o->mode = MODE_HELP;
	else if (strcmp(a, "--version") == 0)
		o->mode = MODE_VERSION;
	else
		return err_set(e, ERR_USAGE, "unknown option %s", a);
	return ERR_OK;
}

static enum err_kind
parse_b(const char *rest, struct opts *o, struct err *e)
{
	if (strcmp(rest, "m") == 0)
		return ERR_OK;
	if (strcmp(rest, "p") == 0) {
		o->mode = MODE_LIST_QUEUE;
		return ERR_OK;
	}
	if (strcmp(rest, "s") == 0 || strcmp(rest, "v") == 0)
		return err_set(e, ERR_USAGE, "mode -b%s is not supported yet",
		    rest);
	return err_set(e, ERR_USAGE, "unsupported mode -b%s", rest);
}

static enum err_kind
parse_one(int argc, char **argv, int *i, struct opts *o, struct err *e)
{
	const char *a = argv[*i], *rest = a + 2, *v = NULL;

	switch (a[1]) {
	case 'f':
	case 'r':
		return opt_arg(argc, argv, i, rest, &o->from, e);
	case 'F':
		return opt_arg(argc, argv, i, rest, &o->fullname, e);
	case 'C':
		return opt_arg(argc, argv, i, rest, &o->conf_file, e);
	case 'a':
		return opt_arg(argc, argv, i, rest, &o->account, e);
	case 'B':
		if (opt_arg(argc, argv, i, rest, &o->body_type, e) != ERR_OK)
			return e->kind;
		if (strcasecmp(o->body_type, "7BIT") != 0 &&
		    strcasecmp(o->body_type, "8BITMIME") != 0)
			return err_set(e, ERR_USAGE, "-B takes 7BIT or "
			    "8BITMIME, not '%s'", o->body_type);
		return ERR_OK;
	case 'o':
		if (opt_arg(argc, argv, i, rest, &v, e) != ERR_OK)
			return e->kind;
		return parse_o(v, o, e);
	case 'b':
		return parse_b(rest, o, e);
	case 'h':	/* hop count: postie adds no Received field */
		return opt_arg(argc, argv, i, rest, &v, e);
	case 'q':
		o->mode = MODE_FLUSH_QUEUE;
		return ERR_OK;
	case 'N':	/* DSN, RFC 3461 */
		if (opt_arg(argc, argv, i, rest, &v, e) != ERR_OK)
			return e->kind;
		return smtp_dsn_notify(v, o->dsn_notify,
		    sizeof(o->dsn_notify), e);
	case 'R':
		if (opt_arg(argc, argv, i, rest, &v, e) != ERR_OK)
			return e->kind;
		return smtp_dsn_ret(v, o->dsn_ret, sizeof(o->dsn_ret), e);
	case 'V':
		if (opt_arg(argc, argv, i, rest, &o->dsn_envid, e) != ERR_OK)
			return e->kind;
		return smtp_dsn_envid(o->dsn_envid, e);
	case 'i':
	case 't':
	case 'v':
	case 'U':	/* SMTPUTF8 (RFC 6531) when the server offers it */
	case 'G':	/* gateway submission: nothing to relax */
		break;
	default:
		return err_set(e, ERR_USAGE, "unknown option -%c", a[1]);
	}
	/* Flags may be grouped: -ti, -vt. */
	for (v = a + 1; *v != '\0'; v++) {
		if (*v == 'i')
			o->dot_ends = false;
		else if (*v == 't')
			o->from_headers = true;
		else if (*v == 'v')
			o->verbose = true;
		else if (*v == 'U')
			o->smtputf8 = true;
		else if (*v != 'G')
			return err_set(e, ERR_USAGE, "unknown option -%c", *v);
	}
	return ERR_OK;
}

/*
 * Options end at the first operand (no GNU permutation): everything after
 * it is a recipient, so a recipient can never be read as an option.
 */
static enum err_kind
parse_args(int argc, char **argv, struct opts *o, struct err *e)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (a[1] == '-') {
			if (parse_long(a, o, e) != ERR_OK)
				return e->kind;
			continue;
		}
		if (parse_one(argc, argv, &i, o, e) != ERR_OK)
			return e->kind;
	}
	o->rcpts = argv + i;
	o->nrcpt = argc - i;
	for (i = 0; i < o->nrcpt; i++)
		if (check_arg_address("recipient", o->rcpts[i], e) != ERR_OK)
			return e->kind;
	if (o->from != NULL &&
	    check_arg_address("sender", o->from, e) != ERR_OK)
		return e->kind;
	if (o->fullname != NULL && strpbrk(o->fullname, "\r\n") != NULL)
		return err_set(e, ERR_USAGE, "refusing a full name (-F) with "
		    "a line break");
	return ERR_OK;
}

/* What a run needs besides the options, all owned here. */
struct job {
	struct opts o;
	struct conf conf;
	const struct conf_account *acct;
	struct log log;			/* stderr: errors, and -v */
	struct log mlog;		/* logfile or syslog: one line a message */
	FILE *logfp;
	char helo[256];
	char from[MAIL_ADDRESS_LEN_MAX + 1];
	struct mail_address_list rcpts;
	struct deliver_input in;
	struct secret password;
	struct smtp_sasl *sasl;
	bool gnutls_ready;		/* gnutls_global_init() was called */
};

/* The machine's name for EHLO and the default sender's domain. */
static void
local_domain(const struct conf_account *a, char *out, size_t outlen)
{
	const char *d = conf_parse_get(a, CONF_DOMAIN);
	char host[HOST_NAME_MAX + 1];

	if (d != NULL) {
		strlcpy(out, d, outlen);
		return;
	}
	if (gethostname(host, sizeof(host)) == 0 && host[0] != '\0') {
		host[sizeof(host) - 1] = '\0';
		strlcpy(out, host, outlen);
		return;
	}
	strlcpy(out, "localhost", outlen);
}

/* One address out of a sender given as "addr", "<addr>", "Name <addr>". */
static enum err_kind
one_address(const char *what, const char *text, char *out, size_t outlen,
    struct err *e)
{
	struct mail_address_list l;
	enum err_kind rc;

	if (strcmp(text, "") == 0 || strcmp(text, "<>") == 0) {
		out[0] = '\0';		/* the null reverse-path */
		return ERR_OK;
	}
	mail_address_list_init(&l);
	rc = mail_address_parse_list(text, strlen(text), &l, e);
	if (rc == ERR_OK && l.n != 1)
		rc = err_set(e, ERR_USAGE, "%s '%s' is not one address", what,
		    text);
	if (rc == ERR_OK)
		strlcpy(out, l.addrs[0], outlen);
	mail_address_list_free(&l);
	if (rc != ERR_OK && rc != ERR_USAGE)
		err_prefix(e, "%s", what);
	return rc;
}

static enum err_kind
envelope_sender(struct job *j, struct err *e)
{
	const char *f = j->o.from;
	struct passwd *pw;
	char dom[256];

	if (f == NULL)
		f = conf_parse_get(j->acct, CONF_FROM);
	if (f != NULL) {
		if (one_address("sender", f, j->from, sizeof(j->from), e))
			return e->kind;
		if (j->from[0] != '\0' && strchr(j->from, '@') == NULL) {
			local_domain(j->acct, dom, sizeof(dom));
			strlcat(j->from, "@", sizeof(j->from));
			strlcat(j->from, dom, sizeof(j->from));
		}
		return ERR_OK;
	}
	if ((pw = getpwuid(getuid())) == NULL)
		return err_set(e, ERR_CONFIG, "cannot tell who you are (no "
		    "passwd entry for uid %ld): set 'from' or use -f",
		    (long)getuid());
	local_domain(j->acct, dom, sizeof(dom));
	snprintf(j->from, sizeof(j->from), "%s@%s", pw->pw_name, dom);
	return ERR_OK;
}

/*
 * Envelope recipients: a bare local name ("root", as cron's MAILTO gives)
 * is qualified with the local domain, as Sendmail and Postfix do.
 */
static enum err_kind
add_qualified(struct job *j, const struct mail_address_list *raw,
    struct mail_address_list *to, struct err *e)
{
	char dom[256], q[MAIL_ADDRESS_LEN_MAX + 258];
	enum err_kind rc = ERR_OK;
	size_t i;

	local_domain(j->acct, dom, sizeof(dom));
	for (i = 0; i < raw->n && rc == ERR_OK; i++) {
		const char *a = raw->addrs[i];

		if (strchr(a, '@') == NULL) {
			snprintf(q, sizeof(q), "%s@%s", a, dom);
			a = q;
		}
		rc = mail_address_list_add(to, a, e);
	}
	return rc;
}

/*
 * argv's and the header's recipients merged (Postfix, msmtp); with -t and
 * `recipients_from_args exclude`, the header's less argv's (Sendmail).
 */
static enum err_kind
merge_recipients(struct job *j, const struct mail_address_list *args,
    const struct mail_address_list *hdrs, struct err *e)
{
	const char *mode = conf_parse_get(j->acct, CONF_RECIPIENTS_FROM_ARGS);
	struct mail_address_list all;
	enum err_kind rc;
	size_t i, nargs;

	if (!j->o.from_headers || mode == NULL ||
	    strcmp(mode, "exclude") != 0) {
		if ((rc = add_qualified(j, args, &j->rcpts, e)) != ERR_OK)
			return rc;
		return add_qualified(j, hdrs, &j->rcpts, e);
	}
	/* A list drops duplicates: what hdrs adds past args is not in it. */
	mail_address_list_init(&all);
	rc = add_qualified(j, args, &all, e);
	nargs = all.n;
	if (rc == ERR_OK)
		rc = add_qualified(j, hdrs, &all, e);
	for (i = nargs; i < all.n && rc == ERR_OK; i++)
		rc = mail_address_list_add(&j->rcpts, all.addrs[i], e);
	mail_address_list_free(&all);
	return rc;
}

/* A set_*_header value: auto unless the configuration says on or off. */
static enum mail_header_set
header_set(const struct job *j, enum conf_key k)
{
	const char *v = conf_parse_get(j->acct, k);

	if (v == NULL || strcmp(v, "auto") == 0)
		return MAIL_HEADER_SET_AUTO;
	return strcmp(v, "on") == 0 ? MAIL_HEADER_SET_ON : MAIL_HEADER_SET_OFF;
}

/* The time now and the local zone's offset east of UTC, in seconds. */
static void
now_and_zone(long long *now, long *offset)
{
	time_t t = time(NULL);
	struct tm lt, ut;

	*now = (long long)t;
	*offset = 0;
	if (localtime_r(&t, &lt) != NULL && gmtime_r(&t, &ut) != NULL)
		*offset = mail_header_utc_offset(&lt, &ut);
}

/*
 * The header section as it is sent (mail_header_compose()): Bcc removed,
 * From, Date and Message-ID added, as configured.  The world's part (the
 * time, the zone, random bytes, the domain) is gathered here.
 */
static enum err_kind
compose_header(struct job *j, struct err *e)
{
	struct mail_header_compose c;
	unsigned char rnd[MAIL_HEADER_MSGID_RANDOM];
	const char *to = conf_parse_get(j->acct, CONF_SET_TO_HEADER);
	char dom[256];
	struct buf hdr;
	enum err_kind rc;

	local_domain(j->acct, dom, sizeof(dom));
	memset(&c, 0, sizeof(c));
	c.from = header_set(j, CONF_SET_FROM_HEADER);
	c.date = header_set(j, CONF_SET_DATE_HEADER);
	c.msgid = header_set(j, CONF_SET_MSGID_HEADER);
	c.undisclosed = to != NULL && strcmp(to, "undisclosed_recipients") == 0;
	c.remove_bcc = conf_parse_bool(j->acct, CONF_REMOVE_BCC_HEADERS, true);
	if (conf_parse_bool(j->acct, CONF_QUALIFY_HEADERS, false))
		c.qualify = dom;
	c.sender = j->from;
	c.full_name = j->o.fullname != NULL ? j->o.fullname :
	    conf_parse_get(j->acct, CONF_FROM_FULL_NAME);
	now_and_zone(&c.now, &c.utc_offset);
	arc4random_buf(rnd, sizeof(rnd));
	c.rnd = rnd;
	c.nrnd = sizeof(rnd);
	c.domain = dom;
	buf_init(&hdr, DELIVER_INPUT_HEADER_MAX);
	rc = mail_header_compose(buf_str(&j->in.header), j->in.header.len, &c,
	    &hdr, e);
	if (rc == ERR_OK)
		rc = deliver_input_set_header(&j->in, buf_str(&hdr), hdr.len, e);
	buf_free(&hdr);
	return rc;
}

static enum err_kind
collect_recipients(struct job *j, struct err *e)
{
	struct mail_address_list args, hdrs;
	enum err_kind rc = ERR_OK;
	int i;

	mail_address_list_init(&args);
	mail_address_list_init(&hdrs);
	for (i = 0; i < j->o.nrcpt && rc == ERR_OK; i++)
		rc = mail_address_parse_list(j->o.rcpts[i],
		    strlen(j->o.rcpts[i]), &args, e);
	if (rc == ERR_OK && j->o.from_headers)
		rc = mail_header_recipients(buf_str(&j->in.header),
		    j->in.header.len, &hdrs, e);
	if (rc == ERR_OK)
		rc = merge_recipients(j, &args, &hdrs, e);
	mail_address_list_free(&args);
	mail_address_list_free(&hdrs);
	if (rc != ERR_OK)
		return rc;
	if (j->rcpts.n == 0)
		return err_set(e, ERR_USAGE, j->o.from_headers ?
		    "no recipient addresses found in the message header" :
		    "no recipients given (use -t to take them from the "
		    "message)");
	return ERR_OK;
}

/*
 * Every envelope address can go to some server (mail/idn.h): valid UTF-8,
 * and a non-ASCII domain that IDNA takes.  Checked before any connection,
 * so that nothing is sent for a message that would fail at one address.
 * A non-ASCII local part is fine here: it depends on the server.
 */
static enum err_kind
check_envelope(const struct job *j, struct err *e)
{
	size_t i;

	if (mail_idn_check(j->from, NULL, e) != ERR_OK) {
		err_prefix(e, "sender");
		return e->kind;
	}
	for (i = 0; i < j->rcpts.n; i++)
		if (mail_idn_check(j->rcpts.addrs[i], NULL, e) != ERR_OK) {
			err_prefix(e, "recipient");
			return e->kind;
		}
	return ERR_OK;
}

static enum err_kind
load_config(struct job *j, struct err *e)
{
	const char *host;

	if (conf_load_standard(&j->conf, j->o.conf_file, false, e) != ERR_OK)
		return e->kind;
	j->acct = conf_parse_find(&j->conf, j->o.account);
	if (j->acct == NULL)
		return err_set(e, ERR_CONFIG, "account '%s' not found",
		    j->o.account != NULL ? j->o.account : "default");
	host = conf_parse_get(j->acct, CONF_HOST);
	if (host == NULL)
		return err_set(e, ERR_CONFIG, "no smarthost configured: set "
		    "'host' in the configuration (direct delivery to MX hosts "
		    "is not implemented yet)");
	local_domain(j->acct, j->helo, sizeof(j->helo));
	return ERR_OK;
}

/* A `syslog` value (checked by the parser): "on" or a facility name. */
static int
syslog_facility(const char *v)
{
	static const struct {
		const char *name;
		int facility;
	} map[] = {
		{ "LOG_USER", LOG_USER }, { "LOG_MAIL", LOG_MAIL },
		{ "LOG_LOCAL0", LOG_LOCAL0 }, { "LOG_LOCAL1", LOG_LOCAL1 },
		{ "LOG_LOCAL2", LOG_LOCAL2 }, { "LOG_LOCAL3", LOG_LOCAL3 },
		{ "LOG_LOCAL4", LOG_LOCAL4 }, { "LOG_LOCAL5", LOG_LOCAL5 },
		{ "LOG_LOCAL6", LOG_LOCAL6 }, { "LOG_LOCAL7", LOG_LOCAL7 },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(v, map[i].name) == 0)
			return map[i].facility;
	return LOG_MAIL;
}

/* The per-message log: `logfile FILE` or `syslog [FACILITY]`. */
static enum err_kind
open_message_log(struct job *j, struct err *e)
{
	const char *lf = conf_parse_get(j->acct, CONF_LOGFILE);
	const char *sl = conf_parse_get(j->acct, CONF_SYSLOG);

	log_init(&j->mlog, LOG_SINK_NONE, LOG_INFO, PROG);
	if (lf != NULL && lf[0] != '\0') {
		if (strcmp(lf, "-") == 0)
			j->logfp = stdout;
		else if ((j->logfp = fopen(lf, "ae")) == NULL)
			return err_set(e, ERR_CANTCREAT, "cannot open log file "
			    "%s: %s", lf, strerror(errno));
		j->mlog.sink = LOG_SINK_FILE;
		j->mlog.fp = j->logfp;
	} else if (sl != NULL && strcmp(sl, "off") != 0) {
		j->mlog.sink = LOG_SINK_SYSLOG;
		j->mlog.facility = syslog_facility(sl);
		openlog(PROG, LOG_PID, j->mlog.facility);
	}
	return ERR_OK;
}

/* The TLS mode the account asks for (setup_tls fills the rest). */
static enum smtp_client_tls
tls_mode(const struct job *j)
{
	if (!conf_parse_bool(j->acct, CONF_TLS, false))
		return SMTP_CLIENT_TLS_NONE;
	return conf_parse_bool(j->acct, CONF_TLS_STARTTLS, true) ?
	    SMTP_CLIENT_TLS_STARTTLS : SMTP_CLIENT_TLS_IMPLICIT;
}

static const char *
default_port(enum smtp_client_tls tls)
{
	return tls == SMTP_CLIENT_TLS_IMPLICIT ? "465" :
	    tls == SMTP_CLIENT_TLS_STARTTLS ? "587" : "25";
}

/* A port string from default_port(): always a valid number. */
static long long
atoi_port(const char *p)
{
	return strtonum(p, 1, 65535, NULL);
}

/*
 * Whether host names this machine: "localhost", 127.0.0.0/8 or ::1.  The
 * only servers a password may reach without TLS (auth_plaintext).
 */
static bool
host_is_local(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&a6);
}

static enum err_kind
setup_auth(struct job *j, struct err *e)
{
	const char *auth = conf_parse_get(j->acct, CONF_AUTH);
	const char *host = conf_parse_get(j->acct, CONF_HOST);
	struct smtp_sasl_conf sc;

	if (auth == NULL || strcmp(auth, "off") == 0)
		return ERR_OK;
	memset(&sc, 0, sizeof(sc));
	sc.mech = strcmp(auth, "on") == 0 ? NULL : auth;
	sc.user = conf_parse_get(j->acct, CONF_USER);
	sc.password = &j->password;
	sc.allow_plaintext = conf_parse_bool(j->acct, CONF_AUTH_PLAINTEXT,
	    false);
	sc.peer_local = host_is_local(host);
	sc.host = host;
	sc.port = (unsigned)conf_parse_num(j->acct, CONF_PORT,
	    atoi_port(default_port(tls_mode(j))));
	/* EXTERNAL proves who we are with the client certificate. */
	if (sc.mech != NULL && strcmp(sc.mech, "EXTERNAL") == 0 &&
	    conf_parse_get(j->acct, CONF_TLS_CERT_FILE) == NULL)
		return err_set(e, ERR_CONFIG, "auth external needs a client "
		    "certificate (tls_cert_file and tls_key_file)");
	if (sc.mech == NULL || strcmp(sc.mech, "EXTERNAL") != 0) {
		if (sc.user == NULL)
			return err_set(e, ERR_CONFIG,
			    "auth is on but no 'user' is set");
		/* A prompt only when a person is at the terminal. */
		if (conf_load_password(j->acct, host, sc.user,
		    isatty(STDIN_FILENO) == 1, &j->password, e) != ERR_OK)
			return e->kind;
		if (!secret_is_set(&j->password))
			return err_set(e, ERR_CONFIG, "auth is on but no "
			    "password is configured ('password', "
			    "'passwordeval', ~/.netrc, /etc/netrc or a "
			    "terminal)");
	}
	if ((j->sasl = smtp_sasl_new(&sc)) == NULL)
		return err_set(e, ERR_OS, "out of memory");
	return ERR_OK;
}

static void
log_result(struct job *j, const struct deliver_submit_result *res,
    enum err_kind kind, const char *why)
{
	size_t i;

	for (i = 0; i < res->nrcpt; i++)
		log_msg(&j->mlog, kind == ERR_OK ? LOG_INFO : LOG_ERR,
		    "from=<%s> to=<%s> relay=%s size=%llu status=%s (%s)",
		    j->from, j->rcpts.addrs[i],
		    res->relay[0] ? res->relay : "none",
		    deliver_input_size(&j->in),
		    res->rcpt[i].outcome == SMTP_CLIENT_OK ? "sent" :
		    res->rcpt[i].outcome == SMTP_CLIENT_TEMP ? "deferred" :
		    "bounced", res->rcpt[i].text);
	if (res->nrcpt == 0 && why != NULL)
		log_msg(&j->mlog, LOG_ERR, "from=<%s> status=failed (%s)",
		    j->from, why);
}

/*
 * One line for each recipient the server refused: when the whole session
 * failed too, only those refused for good on their own (the final error
 * line says the rest).  Returns how many lines were printed.
 */
static size_t
report(const struct job *j, const struct deliver_submit_result *res)
{
	size_t i, n = 0;

	for (i = 0; i < res->nrcpt; i++) {
		const struct deliver_rcpt_result *rr = &res->rcpt[i];

		if (rr->outcome == SMTP_CLIENT_OK ||
		    (res->session_err != ERR_OK &&
		    (rr->outcome != SMTP_CLIENT_PERM ||
		    strcmp(rr->text, res->session_text) == 0)))
			continue;
		fprintf(stderr, "%s: <%s>: %s\n", PROG, j->rcpts.addrs[i],
		    rr->text);
		n++;
	}
	return n;
}

/* ---- TLS (issue 3) ------------------------------------------------- */

/* File names of the TLS commands, "~/" expanded; owned by submit(). */
struct tls_files {
	char trust[PATH_MAX], crl[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
};

/*
 * The value of k with a leading "~/" replaced by $HOME (as msmtp does),
 * into out; NULL when unset.
 */
static const char *
tls_file(const struct job *j, enum conf_key k, char *out, size_t outlen,
    struct err *e)
{
	const char *v = conf_parse_get(j->acct, k), *home;
	struct passwd *pw;

	if (v == NULL || strncmp(v, "~/", 2) != 0)
		return v;
	home = getenv("HOME");
	if ((home == NULL || home[0] == '\0') &&
	    (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || home[0] == '\0') {
		err_set(e, ERR_CONFIG, "%s %s: no home directory for ~",
		    conf_parse_key_name(k), v);
		return NULL;
	}
	if ((size_t)snprintf(out, outlen, "%s/%s", home, v + 2) >= outlen) {
		err_set(e, ERR_CONFIG, "%s: file name too long",
		    conf_parse_key_name(k));
		return NULL;
	}
	return out;
}

/*
 * req->tls, req->tls_conf and the default port from the account: `tls`
 * off: plain on 25; on with tls_starttls (the default): STARTTLS on 587;
 * tls_starttls off: implicit TLS on 465 (RFC 8314).  `tls_certcheck off`
 * is said in the message log always, on stderr with -v only (cron stays
 * silent).
 */
static enum err_kind
setup_tls(struct job *j, struct deliver_submit_req *req,
    struct tls_files *f, struct err *e)
{
	struct io_tls_conf *tc = &req->tls_conf;
	const char *over = conf_parse_get(j->acct, CONF_TLS_HOST_OVERRIDE);

	err_clear(e);
	req->tls = tls_mode(j);
	if (req->tls == SMTP_CLIENT_TLS_NONE)
		return ERR_OK;
	tc->host = over != NULL ? over : req->host;
	tc->trust_file = tls_file(j, CONF_TLS_TRUST_FILE, f->trust,
	    sizeof(f->trust), e);
	tc->crl_file = tls_file(j, CONF_TLS_CRL_FILE, f->crl, sizeof(f->crl),
	    e);
	tc->cert_file = tls_file(j, CONF_TLS_CERT_FILE, f->cert,
	    sizeof(f->cert), e);
	tc->key_file = tls_file(j, CONF_TLS_KEY_FILE, f->key, sizeof(f->key),
	    e);
	if (e->kind != ERR_OK)
		return e->kind;
	tc->fingerprint = conf_parse_get(j->acct, CONF_TLS_FINGERPRINT);
	tc->certcheck = conf_parse_bool(j->acct, CONF_TLS_CERTCHECK, true);
	tc->priorities = conf_parse_get(j->acct, CONF_TLS_PRIORITIES);
	tc->min_version = conf_parse_get(j->acct, CONF_TLS_MIN_VERSION);
	tc->timeout_s = req->timeouts.command;
	tc->log = &j->log;
	if (!tc->certcheck && tc->fingerprint == NULL) {
		log_msg(&j->mlog, LOG_WARNING, "tls_certcheck is off: the "
		    "server's certificate is not checked");
		log_msg(&j->log, LOG_WARNING, "warning: tls_certcheck is off: "
		    "the server's certificate is not checked");
	}
	return ERR_OK;
}

/* ---- end of TLS ----------------------------------------------------- */

/*
 * GnuTLS initialises itself in a library constructor unless the program
 * defines this hook, which GnuTLS exports for that purpose (GNUTLS_3_4
 * symbol version).  Most submissions use neither TLS nor AUTH, so postie
 * skips that start-up work and initialises GnuTLS only when it will use it
 * (crypto_init).  Where the hook is not honoured, the library initialises
 * itself as before and gnutls_global_init() merely counts a reference.
 */
int _gnutls_global_init_skip(void);

int
_gnutls_global_init_skip(void)
{
	return 1;
}

static enum err_kind
crypto_init(struct job *j, struct err *e)
{
	int rc;

	if (j->gnutls_ready)
		return ERR_OK;
	if ((rc = gnutls_global_init()) < 0)
		return err_set(e, ERR_SOFTWARE, "cannot initialise GnuTLS: %s",
		    gnutls_strerror(rc));
	j->gnutls_ready = true;
	return ERR_OK;
}

static enum err_kind
submit(struct job *j, struct err *e)
{
	struct deliver_submit_req req;
	struct deliver_submit_result res;
	struct tls_files tls_files;
	const char *port = conf_parse_get(j->acct, CONF_PORT);
	long long timeout = conf_parse_num(j->acct, CONF_TIMEOUT, 0);
	enum err_kind rc;

	/* 0 or off: keep RFC 5321's timeouts; more than a day is a day. */
	if (timeout > TIMEOUT_MAX)
		timeout = TIMEOUT_MAX;
	memset(&req, 0, sizeof(req));
	req.host = conf_parse_get(j->acct, CONF_HOST);
	io_session_timeouts_default(&req.timeouts);
	if (timeout > 0)
		io_session_timeouts_all(&req.timeouts, (int)timeout);
	req.helo_name = j->helo;
	if (setup_tls(j, &req, &tls_files, e) != ERR_OK)	/* TLS */
		return e->kind;
	req.port = port != NULL ? port : default_port(req.tls);	/* TLS */
	req.sasl = j->sasl;
	if ((req.tls != SMTP_CLIENT_TLS_NONE || req.sasl != NULL) &&
	    crypto_init(j, e) != ERR_OK)
		return e->kind;
	req.mail_from = j->from;
	req.rcpts = (const char *const *)j->rcpts.addrs;
	req.nrcpt = j->rcpts.n;
	req.msg = &j->in;
	req.body_type = j->o.body_type;
	req.dsn_notify = j->o.dsn_notify[0] != '\0' ? j->o.dsn_notify : NULL;
	req.dsn_ret = j->o.dsn_ret[0] != '\0' ? j->o.dsn_ret : NULL;
	req.dsn_envid = j->o.dsn_envid;
	req.smtputf8 = j->o.smtputf8;
	req.log = &j->log;
	req.trace = j->o.verbose;
	deliver_submit_result_init(&res);
	/* Its failures are in res too; the outcome reads them all. */
	(void)deliver_submit_run(&req, &res, e);
	rc = deliver_submit_outcome(&res, e);
	if (rc != ERR_OK && res.session_err != ERR_OK)
		err_prefix(e, "%s", req.host);
	/* Every failure already has its line: no summary repeating one. */
	if (report(j, &res) > 0 && rc != ERR_OK &&
	    res.session_err == ERR_OK)
		e->msg[0] = '\0';
	log_result(j, &res, rc, e->msg);
	deliver_submit_result_free(&res);
	return rc;
}

/* $TMPDIR when set to an absolute path, else NULL (deliver/input: /tmp). */
static const char *
tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t != NULL && t[0] == '/' ? t : NULL;
}

static enum err_kind
run_send(struct job *j, struct err *e)
{
	if (load_config(j, e) != ERR_OK || open_message_log(j, e) != ERR_OK)
		return e->kind;
	if (envelope_sender(j, e) != ERR_OK)
		return e->kind;
	/* The whole message is read before any connection opens. */
	if (deliver_input_read(&j->in, STDIN_FILENO, j->o.dot_ends,
	    tmpdir(), e) != ERR_OK)
		return e->kind;
	if (collect_recipients(j, e) != ERR_OK ||
	    check_envelope(j, e) != ERR_OK ||
	    compose_header(j, e) != ERR_OK || setup_auth(j, e) != ERR_OK)
		return e->kind;
	return submit(j, e);
}

static void
job_free(struct job *j)
{
	smtp_sasl_free(j->sasl);
	secret_free(&j->password);
	deliver_input_free(&j->in);
	mail_address_list_free(&j->rcpts);
	conf_parse_free(&j->conf);
	log_free(&j->log);
	log_free(&j->mlog);
	if (j->logfp != NULL && j->logfp != stdout)
		fclose(j->logfp);
	if (j->gnutls_ready)
		gnutls_global_deinit();
}

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s != NULL ? s + 1 : p;
}

int
main(int argc, char **argv)
{
	struct job j;
	struct err e;
	enum err_kind rc;
	const char *name = argc > 0 ? base_name(argv[0]) : PROG;

	sane_fds();
	(void)signal(SIGPIPE, SIG_IGN);
	memset(&j, 0, sizeof(j));
	err_clear(&e);
	j.o.dot_ends = true;
	conf_parse_init(&j.conf);
	mail_address_list_init(&j.rcpts);
	deliver_input_init(&j.in);
	secret_init(&j.password);
	log_init(&j.log, LOG_SINK_STDERR, LOG_ERR, PROG);
	log_init(&j.mlog, LOG_SINK_NONE, LOG_INFO, PROG);

	if (strcmp(name, "mailq") == 0)
		j.o.mode = MODE_LIST_QUEUE;
	else if (strcmp(name, "newaliases") == 0)
		j.o.mode = MODE_NEWALIASES;
	rc = parse_args(argc, argv, &j.o, &e);
	if (rc == ERR_USAGE) {
		fprintf(stderr, "%s: %s\n", PROG, e.msg);
		usage(stderr);
		job_free(&j);
		return EX_USAGE;
	}
	if (j.o.verbose)
		j.log.level = LOG_INFO;
	switch (j.o.mode) {
	case MODE_HELP:
		usage(stdout);
		break;
	case MODE_VERSION:
		printf("%s %s (GnuTLS %s, libidn2 %s)\n", PROG, PACKAGE_VERSION,
		    gnutls_check_version(NULL), idn2_check_version(NULL));
		break;
	case MODE_LIST_QUEUE:
		printf("Mail queue is empty\n");
		break;
	case MODE_FLUSH_QUEUE:	/* no queue yet: nothing to flush */
	case MODE_NEWALIASES:	/* no aliases yet: nothing to build */
		break;
	case MODE_SEND:
		rc = run_send(&j, &e);
		break;
	}
	job_free(&j);
	return finish(rc, e.msg);
}
