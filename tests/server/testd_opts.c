#include "config.h"

/*
 * smtp-testd's options and rules: see testd_opts.h.
 */

#include <ctype.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/caps.h"
#include "testd_opts.h"

#define TESTD_STALL_MAX 86400
#define TESTD_DEFAULT_EXT \
	"PIPELINING,SIZE,8BITMIME,ENHANCEDSTATUSCODES,SMTPUTF8,DSN"

static const char *const step_names[STEP_COUNT] = {
	"connect", "ehlo", "helo", "mail", "rcpt", "data", "dataend",
	"rset", "noop", "quit", "vrfy", "starttls", "bdat", "auth"
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: smtp-testd --dir DIR [--listen ADDR] [--port N]\n"
	    "\t[--port-file FILE]\n"
	    "\t[--sessions N] [--idle-exit SECONDS] [--hostname NAME]\n"
	    "\t[--ext LIST] [--no-ext NAME]... [--no-esmtp] [--size N]\n"
	    "\t[--chunking] [--rcpt-max N] [--rcpt-limit N]\n"
	    "\t[--reply STEP[#N]=CODE TEXT]... "
	    "[--reply-rcpt PATTERN=CODE TEXT]...\n"
	    "\t[--after STEP[#N]=421|drop]... [--stall STEP[#N]=SECONDS]... "
	    "[-v]\n"
	    "\t[--tls-cert FILE --tls-key FILE] [--implicit-tls] "
	    "[--client-ca FILE]\n"
	    "\t[--require-client-cert] [--tls-priorities STRING] "
	    "[--starttls-inject TEXT]\n\t[--tls-abort]\n"
	    "\t[--auth-users FILE] [--auth-token USER:TOKEN]... "
	    "[--auth-mechs LIST]\n\t[--auth-required] "
	    "[--auth-before-tls-only] [--scram-forge]\n"
	    "\t[--scram-iterations N]\n"
	    "steps: connect ehlo helo mail rcpt data dataend rset noop quit "
	    "vrfy starttls bdat auth\n");
	exit(2);
}

static void __attribute__((format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "smtp-testd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage();
}

/* ---- option parsing ------------------------------------------------- */

static unsigned
ext_bit(const char *name, size_t n)
{
	unsigned bit = smtp_caps_from_name(name, n);

	if (bit != 0)
		return bit;
	bad_usage("unknown extension \"%.*s\"", (int)n, name);
	return 0;
}

/* A comma-separated list of extension names; "" is none. */
static unsigned
parse_ext_list(const char *list)
{
	const char *p = list, *comma;
	unsigned caps = 0;
	size_t n;

	while (*p != '\0') {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n > 0)
			caps |= ext_bit(p, n);
		p += n;
		if (*p == ',')
			p++;
	}
	return caps;
}

static unsigned
parse_num(const char *s, unsigned long long max, const char *what)
{
	const char *errstr;
	long long v;

	v = strtonum(s, 0, (long long)max, &errstr);
	if (errstr != NULL)
		bad_usage("%s \"%s\" is %s", what, s, errstr);
	return (unsigned)v;
}

/*
 * "STEP[#N]" (len bytes of s) into *step and *nth.
 */
static void
parse_step(const char *s, size_t len, int *step, unsigned *nth)
{
	char name[32], num[16];
	const char *hash;
	size_t n;
	int i;

	hash = memchr(s, '#', len);
	n = hash != NULL ? (size_t)(hash - s) : len;
	if (n >= sizeof(name))
		bad_usage("unknown step \"%.*s\"", (int)len, s);
	memcpy(name, s, n);
	name[n] = '\0';
	*step = STEP_NONE;
	for (i = 0; i < STEP_COUNT; i++)
		if (strcasecmp(name, step_names[i]) == 0)
			*step = i;
	if (*step == STEP_NONE)
		bad_usage("unknown step \"%s\"", name);
	*nth = 0;
	if (hash == NULL)
		return;
	n = len - (size_t)(hash - s) - 1;
	if (n == 0 || n >= sizeof(num))
		bad_usage("bad occurrence in \"%.*s\"", (int)len, s);
	memcpy(num, hash + 1, n);
	num[n] = '\0';
	*nth = parse_num(num, 1000000, "occurrence");
	if (*nth == 0)
		bad_usage("occurrences count from 1: \"%.*s\"", (int)len, s);
}

/*
 * Split "KEY=CODE TEXT" at the first "=" followed by a reply code (three
 * digits, 2xx to 5xx, then a space or the end), so a KEY may hold "=".
 * Returns the length of KEY, or fails the usage.
 */
static size_t
split_code(const char *arg, struct testd_rule *r)
{
	const char *p;

	for (p = strchr(arg, '='); p != NULL; p = strchr(p + 1, '=')) {
		if (p[1] >= '2' && p[1] <= '5' &&
		    isdigit((unsigned char)p[2]) &&
		    isdigit((unsigned char)p[3]) &&
		    (p[4] == ' ' || p[4] == '\0'))
			break;
	}
	if (p == NULL || p == arg)
		bad_usage("expected KEY=CODE TEXT, got \"%s\"", arg);
	r->code = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
	if (strlcpy(r->text, p[4] == ' ' ? p + 5 : "", sizeof(r->text)) >=
	    sizeof(r->text))
		bad_usage("reply text too long in \"%s\"", arg);
	return (size_t)(p - arg);
}

static struct testd_rule *
new_rule(struct testd_opts *o, enum testd_action act)
{
	struct testd_rule *r;

	if (o->nrule == TESTD_RULES_MAX)
		bad_usage("too many --reply/--after/--stall options");
	r = &o->rules[o->nrule++];
	memset(r, 0, sizeof(*r));
	r->act = act;
	r->step = STEP_NONE;
	return r;
}

static void
add_reply(struct testd_opts *o, const char *arg)
{
	struct testd_rule *r = new_rule(o, ACT_REPLY);

	parse_step(arg, split_code(arg, r), &r->step, &r->nth);
}

static void
add_reply_rcpt(struct testd_opts *o, const char *arg)
{
	struct testd_rule *r = new_rule(o, ACT_REPLY_RCPT);
	size_t n, i;

	n = split_code(arg, r);
	if (n >= sizeof(r->pattern))
		bad_usage("pattern too long in \"%s\"", arg);
	/* fnmatch(3) has no portable case folding: lower both sides. */
	for (i = 0; i < n; i++)
		r->pattern[i] = (char)tolower((unsigned char)arg[i]);
	r->pattern[n] = '\0';
	r->step = STEP_RCPT;
}

/* "STEP[#N]=VALUE": the length of STEP[#N]; *value points past "=". */
static size_t
split_value(const char *arg, const char **value)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg || eq[1] == '\0')
		bad_usage("expected STEP=VALUE, got \"%s\"", arg);
	*value = eq + 1;
	return (size_t)(eq - arg);
}

static void
add_after(struct testd_opts *o, const char *arg)
{
	struct testd_rule *r = new_rule(o, ACT_421);
	const char *value;
	size_t n;

	n = split_value(arg, &value);
	if (strcmp(value, "drop") == 0)
		r->act = ACT_DROP;
	else if (strcmp(value, "421") != 0)
		bad_usage("--after action must be 421 or drop, got \"%s\"",
		    value);
	parse_step(arg, n, &r->step, &r->nth);
}

static void
add_stall(struct testd_opts *o, const char *arg)
{
	struct testd_rule *r = new_rule(o, ACT_STALL);
	const char *value;
	size_t n;

	n = split_value(arg, &value);
	r->stall_s = parse_num(value, TESTD_STALL_MAX, "stall seconds");
	parse_step(arg, n, &r->step, &r->nth);
}

/* ---- TLS options (issue 3) ----------------------------------------- */

/* --starttls-inject TEXT: "\r", "\n", "\t" and "\\" unescaped. */
static void
set_inject(struct testd_opts *o, const char *arg)
{
	size_t n = 0;
	char c;

	for (; *arg != '\0'; arg++) {
		c = *arg;
		if (c == '\\' && arg[1] != '\0') {
			arg++;
			c = *arg == 'r' ? '\r' : *arg == 'n' ? '\n' :
			    *arg == 't' ? '\t' : *arg;
		}
		if (n == sizeof(o->inject))
			bad_usage("--starttls-inject: text too long");
		o->inject[n++] = c;
	}
	o->inject_len = n;
}

/* Whether ch was a TLS option (and then it is applied). */
static bool
parse_tls_opt(struct testd_opts *o, int ch);

/* ---- end of TLS options --------------------------------------------- */

enum {
	OPT_DIR = 256, OPT_LISTEN, OPT_PORT, OPT_PORT_FILE, OPT_SESSIONS, OPT_IDLE_EXIT,
	OPT_HOSTNAME, OPT_EXT, OPT_NO_EXT, OPT_NO_ESMTP, OPT_SIZE, OPT_REPLY,
	OPT_REPLY_RCPT, OPT_AFTER, OPT_STALL, OPT_CHUNKING, OPT_RCPT_MAX,
	OPT_RCPT_LIMIT,
	/* TLS (issue 3) */
	OPT_TLS_CERT, OPT_TLS_KEY, OPT_IMPLICIT_TLS, OPT_CLIENT_CA,
	OPT_REQUIRE_CLIENT_CERT, OPT_TLS_PRIORITIES, OPT_STARTTLS_INJECT,
	OPT_TLS_ABORT,
	/* AUTH (issue 3) */
	OPT_AUTH_USERS, OPT_AUTH_TOKEN, OPT_AUTH_MECHS, OPT_AUTH_REQUIRED,
	OPT_AUTH_BEFORE_TLS_ONLY, OPT_SCRAM_FORGE, OPT_SCRAM_ITERATIONS
};

static const struct option long_opts[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "port-file", required_argument, NULL, OPT_PORT_FILE },
	{ "sessions", required_argument, NULL, OPT_SESSIONS },
	{ "idle-exit", required_argument, NULL, OPT_IDLE_EXIT },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "ext", required_argument, NULL, OPT_EXT },
	{ "no-ext", required_argument, NULL, OPT_NO_EXT },
	{ "no-esmtp", no_argument, NULL, OPT_NO_ESMTP },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "reply", required_argument, NULL, OPT_REPLY },
	{ "reply-rcpt", required_argument, NULL, OPT_REPLY_RCPT },
	{ "after", required_argument, NULL, OPT_AFTER },
	{ "stall", required_argument, NULL, OPT_STALL },
	{ "chunking", no_argument, NULL, OPT_CHUNKING },
	{ "rcpt-max", required_argument, NULL, OPT_RCPT_MAX },
	{ "rcpt-limit", required_argument, NULL, OPT_RCPT_LIMIT },
	/* TLS (issue 3) */
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "implicit-tls", no_argument, NULL, OPT_IMPLICIT_TLS },
	{ "client-ca", required_argument, NULL, OPT_CLIENT_CA },
	{ "require-client-cert", no_argument, NULL, OPT_REQUIRE_CLIENT_CERT },
	{ "tls-priorities", required_argument, NULL, OPT_TLS_PRIORITIES },
	{ "starttls-inject", required_argument, NULL, OPT_STARTTLS_INJECT },
	{ "tls-abort", no_argument, NULL, OPT_TLS_ABORT },
	/* AUTH (issue 3) */
	{ "auth-users", required_argument, NULL, OPT_AUTH_USERS },
	{ "auth-token", required_argument, NULL, OPT_AUTH_TOKEN },
	{ "auth-mechs", required_argument, NULL, OPT_AUTH_MECHS },
	{ "auth-required", no_argument, NULL, OPT_AUTH_REQUIRED },
	{ "auth-before-tls-only", no_argument, NULL,
	    OPT_AUTH_BEFORE_TLS_ONLY },
	{ "scram-forge", no_argument, NULL, OPT_SCRAM_FORGE },
	{ "scram-iterations", required_argument, NULL, OPT_SCRAM_ITERATIONS },
	{ NULL, 0, NULL, 0 }
};

/* TLS (issue 3) */
static bool
parse_tls_opt(struct testd_opts *o, int ch)
{
	switch (ch) {
	case OPT_TLS_CERT:		o->tls_cert = optarg; break;
	case OPT_TLS_KEY:		o->tls_key = optarg; break;
	case OPT_IMPLICIT_TLS:		o->implicit_tls = true; break;
	case OPT_CLIENT_CA:		o->client_ca = optarg; break;
	case OPT_REQUIRE_CLIENT_CERT:	o->require_client_cert = true; break;
	case OPT_TLS_PRIORITIES:	o->tls_priorities = optarg; break;
	case OPT_STARTTLS_INJECT:	set_inject(o, optarg); break;
	case OPT_TLS_ABORT:		o->tls_abort = true; break;
	default:
		return false;
	}
	return true;
}

/* AUTH (issue 3): whether ch was an AUTH option (then applied). */
static bool
parse_auth_opt(struct testd_opts *o, int ch)
{
	switch (ch) {
	case OPT_AUTH_USERS:		o->auth_users = optarg; break;
	case OPT_AUTH_MECHS:		o->auth_mechs = optarg; break;
	case OPT_AUTH_BEFORE_TLS_ONLY:	o->auth_before_tls_only = true; break;
	case OPT_SCRAM_FORGE:		o->scram_forge = true; break;
	case OPT_AUTH_REQUIRED:
		o->auth_required = true;
		return true;	/* alone, it serves no AUTH: 530 only */
	case OPT_AUTH_TOKEN:
		if (o->nauth_tokens == TESTD_TOKENS_MAX)
			bad_usage("too many --auth-token options");
		if (strchr(optarg, ':') == NULL)
			bad_usage("--auth-token wants USER:TOKEN");
		o->auth_tokens[o->nauth_tokens++] = optarg;
		break;
	case OPT_SCRAM_ITERATIONS:
		o->scram_iterations = parse_num(optarg, 1000000,
		    "--scram-iterations");
		if (o->scram_iterations == 0)
			bad_usage("--scram-iterations must be at least 1");
		break;
	default:
		return false;
	}
	o->auth = true;
	return true;
}

/* One option into o; --no-ext is applied later, after --ext, and
 * --chunking with it (so it adds to any --ext list). */
static void
parse_one(struct testd_opts *o, int ch, unsigned *no_ext, unsigned *add_ext)
{
	const char *errstr;

	switch (ch) {
	case OPT_DIR:		o->dir = optarg; break;
	case OPT_LISTEN:	o->listen = optarg; break;
	case OPT_PORT:		o->port = optarg; break;
	case OPT_PORT_FILE:	o->port_file = optarg; break;
	case OPT_HOSTNAME:	o->hostname = optarg; break;
	case OPT_NO_ESMTP:	o->no_esmtp = true; break;
	case 'v':		o->verbose = true; break;
	case OPT_SESSIONS:
		o->sessions = parse_num(optarg, 1000000, "--sessions");
		break;
	case OPT_IDLE_EXIT:
		o->idle_exit = parse_num(optarg, TESTD_STALL_MAX,
		    "--idle-exit");
		break;
	case OPT_EXT:		o->caps = parse_ext_list(optarg); break;
	case OPT_NO_EXT:	*no_ext |= parse_ext_list(optarg); break;
	case OPT_SIZE:
		o->size = (unsigned long long)strtonum(optarg, 1, LLONG_MAX,
		    &errstr);
		if (errstr != NULL)
			bad_usage("--size \"%s\" is %s", optarg, errstr);
		break;
	case OPT_REPLY:		add_reply(o, optarg); break;
	case OPT_REPLY_RCPT:	add_reply_rcpt(o, optarg); break;
	case OPT_AFTER:		add_after(o, optarg); break;
	case OPT_STALL:		add_stall(o, optarg); break;
	case OPT_CHUNKING:	*add_ext |= SMTP_CAP_CHUNKING; break;
	case OPT_RCPT_MAX:
		o->rcpt_max = parse_num(optarg, 1000000, "--rcpt-max");
		if (o->rcpt_max == 0)
			bad_usage("--rcpt-max must be at least 1");
		break;
	case OPT_RCPT_LIMIT:
		o->rcpt_limit = parse_num(optarg, 1000000, "--rcpt-limit");
		if (o->rcpt_limit == 0)
			bad_usage("--rcpt-limit must be at least 1");
		break;
	default:
		if (!parse_tls_opt(o, ch) &&	/* TLS (issue 3) */
		    !parse_auth_opt(o, ch))	/* AUTH (issue 3) */
			usage();
	}
}

void
testd_opts_parse(struct testd_opts *o, int argc, char **argv)
{
	unsigned no_ext = 0, add_ext = 0;
	int ch;

	memset(o, 0, sizeof(*o));
	o->listen = "127.0.0.1";
	o->port = "0";
	o->hostname = "testd.example";
	o->idle_exit = 120;
	o->caps = parse_ext_list(TESTD_DEFAULT_EXT);
	while ((ch = getopt_long(argc, argv, "v", long_opts, NULL)) != -1)
		parse_one(o, ch, &no_ext, &add_ext);
	if (optind != argc)
		bad_usage("unexpected argument \"%s\"", argv[optind]);
	if (o->dir == NULL)
		bad_usage("--dir is required");
	if (o->idle_exit == 0)
		bad_usage("--idle-exit must be at least 1");
	/* TLS (issue 3): a certificate offers STARTTLS unless --no-ext. */
	if ((o->tls_cert == NULL) != (o->tls_key == NULL))
		bad_usage("--tls-cert and --tls-key go together");
	if (o->tls_cert == NULL && (o->implicit_tls || o->client_ca != NULL))
		bad_usage("--implicit-tls and --client-ca need --tls-cert");
	if ((o->tls_cert != NULL && !o->implicit_tls) || o->inject_len > 0 ||
	    o->tls_abort)
		o->caps |= SMTP_CAP_STARTTLS;
	if (o->auth)			/* AUTH (issue 3), unless --no-ext */
		o->caps |= SMTP_CAP_AUTH;
	o->caps |= add_ext;		/* --chunking, unless --no-ext */
	o->caps &= ~no_ext;
	if (o->size != 0)
		o->caps |= SMTP_CAP_SIZE;
}

/* ---- matching the rules ------------------------------------------- */

/* The rule of kind act for this occurrence: an "#N" rule first. */
const struct testd_rule *
testd_opts_find_rule(const struct testd_opts *o, enum testd_action act,
    int step, unsigned nth)
{
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < o->nrule; i++) {
			const struct testd_rule *r = &o->rules[i];

			if (r->act == act && r->step == step &&
			    r->nth == (pass == 0 ? nth : 0))
				return r;
		}
	return NULL;
}

const struct testd_rule *
testd_opts_find_rcpt_rule(const struct testd_opts *o, const char *addr)
{
	char low[SMTP_SERVER_LINE_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(low) - 1 && addr[i] != '\0'; i++)
		low[i] = (char)tolower((unsigned char)addr[i]);
	low[i] = '\0';
	for (i = 0; i < o->nrule; i++)
		if (o->rules[i].act == ACT_REPLY_RCPT &&
		    fnmatch(o->rules[i].pattern, low, 0) == 0)
			return &o->rules[i];
	return NULL;
}

int
testd_opts_step_of(enum smtp_server_cmd cmd)
{
	switch (cmd) {
	case SMTP_SERVER_CMD_CONNECT:	return STEP_CONNECT;
	case SMTP_SERVER_CMD_EHLO:	return STEP_EHLO;
	case SMTP_SERVER_CMD_HELO:	return STEP_HELO;
	case SMTP_SERVER_CMD_MAIL:	return STEP_MAIL;
	case SMTP_SERVER_CMD_RCPT:	return STEP_RCPT;
	case SMTP_SERVER_CMD_DATA:	return STEP_DATA;
	case SMTP_SERVER_CMD_RSET:	return STEP_RSET;
	case SMTP_SERVER_CMD_NOOP:	return STEP_NOOP;
	case SMTP_SERVER_CMD_QUIT:	return STEP_QUIT;
	case SMTP_SERVER_CMD_VRFY:	return STEP_VRFY;
	case SMTP_SERVER_CMD_STARTTLS:	return STEP_STARTTLS;
	case SMTP_SERVER_CMD_BDAT:	return STEP_BDAT;
	case SMTP_SERVER_CMD_AUTH:	return STEP_AUTH;
	default:			return STEP_NONE;
	}
}
