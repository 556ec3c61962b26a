#include "config.h"

#include <sys/types.h>

#include <ctype.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/parse.h"
#include "mail/idn.h"
#include "util/duration.h"

/*
 * The parser is pure: every state it needs lives in struct parser, on the
 * caller's stack, for the length of one conf_parse_text() call.
 *
 * Values are stored normalised: booleans as "on"/"off" (an empty argument
 * means "on"), `timeout off` as "0", auth mechanisms upper-cased.  An empty
 * argument to a STRING command is stored as "" (explicitly unset, so that
 * it is inherited as unset, as in msmtp); conf_parse_get() hides it.
 */

#define KEY_NONE CONF_KEY_COUNT	/* a command msmtp has but postie lacks */

/* A word a CONF_T_CHOICE command takes ("" for no argument), and the
 * value stored for it. */
struct choice {
	const char *word;
	const char *stored;
};

struct command {
	const char *name;
	enum conf_key key;
	enum conf_type type;
	bool implemented;
};

static const struct choice set_from[] = {
	{ "auto", "auto" }, { "on", "on" }, { "off", "off" }, { NULL, NULL }
};
static const struct choice set_auto[] = {
	{ "auto", "auto" }, { "off", "off" }, { NULL, NULL }
};
static const struct choice add_missing[] = {	/* msmtp before 1.8.8 */
	{ "", "auto" }, { "on", "auto" }, { "off", "off" }, { NULL, NULL }
};
static const struct choice set_to[] = {
	{ "off", "off" },
	{ "undisclosed_recipients", "undisclosed_recipients" },
	{ NULL, NULL }
};
static const struct choice undisclosed[] = {	/* msmtp 1.8.11 */
	{ "", "undisclosed_recipients" }, { "on", "undisclosed_recipients" },
	{ "off", "off" }, { NULL, NULL }
};
static const struct choice rcpt_args[] = {
	{ "merge", "merge" }, { "exclude", "exclude" }, { NULL, NULL }
};

static const struct choice log_formats[] = {
	{ "text", "text" }, { "json", "json" }, { NULL, NULL }
};

/* The words of each CONF_T_CHOICE command. */
static const struct {
	const char *command;
	const struct choice *choices;
} choice_lists[] = {
	{ "set_from_header", set_from },
	{ "set_date_header", set_auto },
	{ "set_msgid_header", set_auto },
	{ "set_to_header", set_to },
	{ "recipients_from_args", rcpt_args },
	{ "log_format", log_formats },
	{ "undisclosed_recipients", undisclosed },
	{ "add_missing_from_header", add_missing },
	{ "add_missing_date_header", add_missing },
};

static const struct command commands[] = {
	{ "host", CONF_HOST, CONF_T_NONEMPTY, true },
	{ "port", CONF_PORT, CONF_T_PORT, true },
	{ "from", CONF_FROM, CONF_T_STRING, true },
	{ "domain", CONF_DOMAIN, CONF_T_NONEMPTY, true },
	{ "timeout", CONF_TIMEOUT, CONF_T_UINT, true },
	{ "auth", CONF_AUTH, CONF_T_AUTH, true },
	{ "user", CONF_USER, CONF_T_STRING, true },
	{ "password", CONF_PASSWORD, CONF_T_STRING, true },
	{ "passwordeval", CONF_PASSWORDEVAL, CONF_T_NONEMPTY, true },
	{ "logfile", CONF_LOGFILE, CONF_T_STRING, true },
	{ "syslog", CONF_SYSLOG, CONF_T_SYSLOG, true },
	{ "auth_plaintext", CONF_AUTH_PLAINTEXT, CONF_T_BOOL, true },
	{ "tls", CONF_TLS, CONF_T_BOOL, true },
	{ "tls_starttls", CONF_TLS_STARTTLS, CONF_T_BOOL, true },
	{ "tls_trust_file", CONF_TLS_TRUST_FILE, CONF_T_STRING, true },
	{ "tls_crl_file", CONF_TLS_CRL_FILE, CONF_T_STRING, true },
	{ "tls_fingerprint", CONF_TLS_FINGERPRINT, CONF_T_STRING, true },
	{ "tls_key_file", CONF_TLS_KEY_FILE, CONF_T_STRING, true },
	{ "tls_cert_file", CONF_TLS_CERT_FILE, CONF_T_STRING, true },
	{ "tls_certcheck", CONF_TLS_CERTCHECK, CONF_T_BOOL, true },
	{ "tls_priorities", CONF_TLS_PRIORITIES, CONF_T_STRING, true },
	{ "tls_host_override", CONF_TLS_HOST_OVERRIDE, CONF_T_STRING, true },
	{ "tls_min_version", CONF_TLS_MIN_VERSION, CONF_T_STRING, true },
	{ "protocol", KEY_NONE, CONF_T_STRING, false },
	{ "auto_from", KEY_NONE, CONF_T_STRING, false },
	{ "maildomain", KEY_NONE, CONF_T_STRING, false },
	{ "dsn_notify", KEY_NONE, CONF_T_STRING, false },
	{ "dsn_return", KEY_NONE, CONF_T_STRING, false },
	{ "set_from_header", CONF_SET_FROM_HEADER, CONF_T_CHOICE, true },
	{ "set_date_header", CONF_SET_DATE_HEADER, CONF_T_CHOICE, true },
	{ "set_msgid_header", CONF_SET_MSGID_HEADER, CONF_T_CHOICE, true },
	{ "set_to_header", CONF_SET_TO_HEADER, CONF_T_CHOICE, true },
	{ "remove_bcc_headers", CONF_REMOVE_BCC_HEADERS, CONF_T_BOOL, true },
	{ "from_full_name", CONF_FROM_FULL_NAME, CONF_T_STRING, true },
	{ "qualify_headers", CONF_QUALIFY_HEADERS, CONF_T_BOOL, true },
	{ "recipients_from_args", CONF_RECIPIENTS_FROM_ARGS, CONF_T_CHOICE,
	    true },
	{ "undisclosed_recipients", CONF_SET_TO_HEADER, CONF_T_CHOICE, true },
	{ "add_missing_from_header", CONF_SET_FROM_HEADER, CONF_T_CHOICE,
	    true },
	{ "add_missing_date_header", CONF_SET_DATE_HEADER, CONF_T_CHOICE,
	    true },
	{ "logfile_time_format", KEY_NONE, CONF_T_STRING, false },
	{ "aliases", CONF_ALIASES, CONF_T_NONEMPTY, true },
	{ "log_format", CONF_LOG_FORMAT, CONF_T_CHOICE, true },
	{ "allow_config_option", CONF_ALLOW_CONFIG_OPTION, CONF_T_BOOL, true },
	{ "queue", CONF_QUEUE, CONF_T_BOOL, true },
	{ "queue_dir", CONF_QUEUE_DIR, CONF_T_NONEMPTY, true },
	{ "queue_lifetime", CONF_QUEUE_LIFETIME, CONF_T_DURATION, true },
	{ "queue_retry_min", CONF_QUEUE_RETRY_MIN, CONF_T_DURATION, true },
	{ "queue_retry_max", CONF_QUEUE_RETRY_MAX, CONF_T_DURATION, true },
	{ "tls_policy", CONF_TLS_POLICY, CONF_T_TLS_POLICY, true },
	{ "proxy_host", KEY_NONE, CONF_T_STRING, false },
	{ "proxy_port", KEY_NONE, CONF_T_STRING, false },
	{ "socket", KEY_NONE, CONF_T_STRING, false },
	{ "source_ip", KEY_NONE, CONF_T_STRING, false },
	{ "tls_min_dh_prime_bits", KEY_NONE, CONF_T_STRING, false },
	{ "ntlmdomain", KEY_NONE, CONF_T_STRING, false },
	{ "eval", KEY_NONE, CONF_T_STRING, false },
	{ "allow_from_override", KEY_NONE, CONF_T_STRING, false },
};

#define DURATION_MAX (366LL * 86400)	/* a year */
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* SASL mechanisms msmtp knows and postie does not implement yet. */
static const char *const auth_later[] = {
	"gssapi", "ntlm",
};

/* SASL mechanisms postie implements (smtp/sasl.h), besides "on". */
static const char *const auth_mechs[] = {
	"plain", "login", "cram-md5", "scram-sha-1", "scram-sha-256",
	"scram-sha-1-plus", "scram-sha-256-plus", "xoauth2", "oauthbearer",
	"external",
};

/* msmtp's syslog facilities. */
static const char *const syslog_facilities[] = {
	"LOG_USER", "LOG_MAIL", "LOG_LOCAL0", "LOG_LOCAL1", "LOG_LOCAL2",
	"LOG_LOCAL3", "LOG_LOCAL4", "LOG_LOCAL5", "LOG_LOCAL6", "LOG_LOCAL7",
};

struct parser {
	struct conf *c;
	const char *file;
	unsigned line;
	struct conf_account *cur;	/* section that settings go to */
	struct conf_account **here;	/* accounts defined by this text */
	size_t nhere;
	struct err *e;
};

/* ---- accounts ---------------------------------------------------------- */

static void
account_clear(struct conf_account *a)
{
	size_t k;

	for (k = 0; k < CONF_KEY_COUNT; k++) {
		free(a->val[k]);
		free(a->file[k]);
		a->val[k] = a->file[k] = NULL;
		a->line[k] = 0;
	}
	free(a->def_file);
	a->def_file = NULL;
}

static void
account_free(struct conf_account *a)
{
	if (a == NULL)
		return;
	account_clear(a);
	free(a->name);
	free(a);
}

/* Set k in a to a copy of v, noting where.  0, or -1 on ENOMEM. */
static int
account_set(struct conf_account *a, enum conf_key k, const char *v,
    const char *file, unsigned line)
{
	char *nv, *nf;

	nv = strdup(v);
	nf = file != NULL ? strdup(file) : NULL;
	if (nv == NULL || (file != NULL && nf == NULL)) {
		free(nv);
		free(nf);
		return -1;
	}
	free(a->val[k]);
	free(a->file[k]);
	a->val[k] = nv;
	a->file[k] = nf;
	a->line[k] = line;
	return 0;
}

/* Copy every value set in src over dst.  0, or -1 on ENOMEM. */
static int
account_inherit(struct conf_account *dst, const struct conf_account *src)
{
	size_t k;

	for (k = 0; k < CONF_KEY_COUNT; k++) {
		if (src->val[k] == NULL)
			continue;
		if (account_set(dst, (enum conf_key)k, src->val[k],
		    src->file[k], src->line[k]) == -1)
			return -1;
	}
	return 0;
}

static ssize_t
account_index(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->naccounts; i++)
		if (strcmp(c->accounts[i]->name, name) == 0)
			return (ssize_t)i;
	return -1;
}

void
conf_parse_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	/* Not owned: conf_parse_free() never frees the defaults' name. */
	c->defaults.name = "defaults";
}

void
conf_parse_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	account_clear(&c->defaults);
	for (i = 0; i < c->naccounts; i++)
		account_free(c->accounts[i]);
	free(c->accounts);
	c->accounts = NULL;
	c->naccounts = 0;
}

const struct conf_account *
conf_parse_find(const struct conf *c, const char *name)
{
	ssize_t i;

	if (c == NULL)
		return NULL;
	i = account_index(c, name != NULL ? name : "default");
	if (i >= 0)
		return c->accounts[i];
	return name == NULL ? &c->defaults : NULL;
}

long long
conf_parse_seconds(const struct conf_account *a, enum conf_key k,
    long long def)
{
	const char *v = conf_parse_get(a, k);
	long long s = v != NULL ? duration_parse(v, DURATION_MAX) : -1;

	return s < 0 ? def : s;
}

#ifndef FNM_CASEFOLD	/* not POSIX; glibc, the BSDs and macOS have it */
#define FNM_CASEFOLD 0
#endif

const struct conf_account *
conf_parse_find_from(const struct conf *c, const char *addr)
{
	size_t i;

	if (c == NULL || addr == NULL)
		return NULL;
	for (i = 0; i < c->naccounts; i++) {
		const char *pat = conf_parse_get(c->accounts[i], CONF_FROM);

		if (pat != NULL && fnmatch(pat, addr, FNM_CASEFOLD) == 0)
			return c->accounts[i];
	}
	return NULL;
}

const char *
conf_parse_get(const struct conf_account *a, enum conf_key k)
{
	if (a == NULL || (unsigned)k >= CONF_KEY_COUNT || a->val[k] == NULL ||
	    a->val[k][0] == '\0')
		return NULL;
	return a->val[k];
}

bool
conf_parse_bool(const struct conf_account *a, enum conf_key k, bool def)
{
	const char *v = conf_parse_get(a, k);

	/* A mechanism (auth) or a facility (syslog) also means "on". */
	if (v == NULL)
		return def;
	return strcmp(v, "off") != 0;
}

long long
conf_parse_num(const struct conf_account *a, enum conf_key k, long long def)
{
	const char *v = conf_parse_get(a, k), *errstr;
	long long n;

	if (v == NULL)
		return def;
	n = strtonum(v, LLONG_MIN, LLONG_MAX, &errstr);
	return errstr != NULL ? def : n;
}

const char *
conf_parse_key_name(enum conf_key k)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (commands[i].key == k && k != KEY_NONE)
			return commands[i].name;
	return "unknown";
}

/* ---- values ------------------------------------------------------------ */

static enum err_kind perr(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ERR_CONFIG "FILE:LINE: why". */
static enum err_kind
perr(struct parser *p, const char *fmt, ...)
{
	char why[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return err_set(p->e, ERR_CONFIG, "%s:%u: %s", p->file, p->line, why);
}

static enum err_kind
nomem(struct parser *p)
{
	return err_set(p->e, ERR_OS, "%s:%u: out of memory", p->file, p->line);
}

/* Decimal digits only (no sign, no blanks) in lo..hi. */
static bool
parse_uint(const char *s, long long lo, long long hi)
{
	const char *errstr;
	size_t i;

	if (s[0] == '\0' || strlen(s) > 10)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	(void)strtonum(s, lo, hi, &errstr);
	return errstr == NULL;
}

static bool
in_list(const char *s, const char *const *list, size_t n, bool nocase)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((nocase ? strcasecmp(s, list[i]) : strcmp(s, list[i])) == 0)
			return true;
	return false;
}

static enum err_kind
check_auth(struct parser *p, char *arg, const char **out)
{
	size_t i;

	if (arg[0] == '\0' || strcmp(arg, "on") == 0 ||
	    strcmp(arg, "off") == 0) {
		*out = arg[0] == '\0' ? "on" : arg;
		return ERR_OK;
	}
	if (in_list(arg, auth_mechs, sizeof(auth_mechs) / sizeof(*auth_mechs),
	    true)) {
		for (i = 0; arg[i] != '\0'; i++)
			if (arg[i] >= 'a' && arg[i] <= 'z')
				arg[i] = (char)(arg[i] - 'a' + 'A');
		*out = arg;
		return ERR_OK;
	}
	if (in_list(arg, auth_later, sizeof(auth_later) / sizeof(*auth_later),
	    true))
		return perr(p, "auth: mechanism '%s' is not supported yet",
		    arg);
	return perr(p, "auth: unknown mechanism '%s'", arg);
}

static enum err_kind
check_syslog(struct parser *p, const char *arg, const char **out)
{
	size_t n = sizeof(syslog_facilities) / sizeof(*syslog_facilities);

	if (arg[0] == '\0') {
		*out = "on";
		return ERR_OK;
	}
	if (strcmp(arg, "on") == 0 || strcmp(arg, "off") == 0 ||
	    in_list(arg, syslog_facilities, n, false)) {
		*out = arg;
		return ERR_OK;
	}
	return perr(p, "syslog: expected on, off or a facility "
	    "(LOG_USER, LOG_MAIL, LOG_LOCAL0..LOG_LOCAL7), got '%s'",
	    arg);
}

/* One word of cmd's choices; the message lists them. */
static enum err_kind
check_choice(struct parser *p, const struct command *cmd, const char *arg,
    const char **out)
{
	char words[256];
	const struct choice *list = NULL, *ch;
	size_t i;

	for (i = 0; i < sizeof(choice_lists) / sizeof(*choice_lists); i++)
		if (strcmp(choice_lists[i].command, cmd->name) == 0)
			list = choice_lists[i].choices;
	if (list == NULL)
		return err_set(p->e, ERR_SOFTWARE, "conf: no choices for %s",
		    cmd->name);
	for (ch = list; ch->word != NULL; ch++)
		if (strcmp(arg, ch->word) == 0) {
			*out = ch->stored;
			return ERR_OK;
		}
	if (arg[0] == '\0')
		return perr(p, "%s: needs an argument", cmd->name);
	words[0] = '\0';
	for (ch = list; ch->word != NULL; ch++) {
		if (ch->word[0] == '\0')
			continue;
		if (words[0] != '\0')
			strlcat(words, ch[1].word != NULL ? ", " : " or ",
			    sizeof(words));
		strlcat(words, ch->word, sizeof(words));
	}
	return perr(p, "%s: expected %s, got '%s'", cmd->name, words, arg);
}

static const char *const tls_policies[] = {
	[CONF_TLS_POLICY_NONE] = "none",
	[CONF_TLS_POLICY_MAY] = "may",
	[CONF_TLS_POLICY_ENCRYPT] = "encrypt",
	[CONF_TLS_POLICY_VERIFY] = "verify",
	[CONF_TLS_POLICY_DANE] = "dane",
	[CONF_TLS_POLICY_DANE_ONLY] = "dane-only",
};
#define NPOLICIES (sizeof(tls_policies) / sizeof(tls_policies[0]))

const char *
conf_parse_tls_policy_name(enum conf_tls_policy p)
{
	return (size_t)p < NPOLICIES ? tls_policies[p] : "?";
}

/* The level named by word[0..len), or -1. */
static int
policy_level(const char *word, size_t len)
{
	size_t i;

	for (i = 0; i < NPOLICIES; i++)
		if (strlen(tls_policies[i]) == len &&
		    strncmp(word, tls_policies[i], len) == 0)
			return (int)i;
	return -1;
}

/* A domain in a DOMAIN=LEVEL word: a host name, or one after a dot
 * (its subdomains). */
static bool
policy_domain_ok(const char *d, size_t len)
{
	if (len > 0 && d[0] == '.') {
		d++;
		len--;
	}
	return mail_idn_is_host_name(d, len);
}

/* Calls fn for each word of a tls_policy value; stops at a nonzero. */
static int
policy_words(const char *v, int (*fn)(void *, const char *, size_t,
    const char *, size_t), void *arg)
{
	int rc;

	while (*v != '\0') {
		size_t n = strcspn(v, " \t"), dn = 0;
		const char *eq = memchr(v, '=', n);

		if (n > 0) {
			if (eq != NULL)
				dn = (size_t)(eq - v);
			rc = eq != NULL ? fn(arg, v, dn, eq + 1, n - dn - 1) :
			    fn(arg, NULL, 0, v, n);
			if (rc != 0)
				return rc;
		}
		v += n;
		v += strspn(v, " \t");
	}
	return 0;
}

static int
policy_word_ok(void *arg, const char *dom, size_t dn, const char *lvl,
    size_t ln)
{
	(void)arg;
	if (policy_level(lvl, ln) < 0)
		return 1;
	return dom != NULL && !policy_domain_ok(dom, dn) ? 1 : 0;
}

static enum err_kind
check_tls_policy(struct parser *p, const struct command *cmd, const char *arg)
{
	if (policy_words(arg, policy_word_ok, NULL) != 0)
		return perr(p, "%s: expected words LEVEL or DOMAIN=LEVEL, "
		    "LEVEL one of none, may, encrypt, verify, dane or "
		    "dane-only; got '%s'", cmd->name, arg);
	return ERR_OK;
}

struct policy_find {
	const char *domain;
	int def, found;
};

static int
policy_word_find(void *arg, const char *dom, size_t dn, const char *lvl,
    size_t ln)
{
	struct policy_find *f = arg;
	size_t len = strlen(f->domain);

	if (dom == NULL) {
		f->def = policy_level(lvl, ln);
		return 0;
	}
	if (f->found >= 0)
		return 0;
	if (dom[0] == '.') {	/* subdomains: the name ends with ".dom" */
		if (len > dn && strncasecmp(f->domain + len - dn, dom,
		    dn) == 0)
			f->found = policy_level(lvl, ln);
	} else if (len == dn && strncasecmp(f->domain, dom, dn) == 0) {
		f->found = policy_level(lvl, ln);
	}
	return 0;
}

enum conf_tls_policy
conf_parse_tls_policy(const char *value, const char *domain,
    enum conf_tls_policy def)
{
	struct policy_find f = { domain, -1, -1 };

	if (value == NULL)
		return def;
	(void)policy_words(value, policy_word_find, &f);
	if (f.found >= 0)
		return (enum conf_tls_policy)f.found;
	return f.def >= 0 ? (enum conf_tls_policy)f.def : def;
}

/*
 * Check arg against cmd's type and point *out at the value to store
 * (arg itself, possibly rewritten in place, or a literal).
 */
static enum err_kind
check_value(struct parser *p, const struct command *cmd, char *arg,
    const char **out)
{
	*out = arg;
	if (arg[0] == '\0' && (cmd->type == CONF_T_NONEMPTY ||
	    cmd->type == CONF_T_UINT || cmd->type == CONF_T_PORT ||
	    cmd->type == CONF_T_DURATION || cmd->type == CONF_T_TLS_POLICY))
		return perr(p, "%s: needs an argument", cmd->name);
	switch (cmd->type) {
	case CONF_T_STRING:
	case CONF_T_NONEMPTY:
		return ERR_OK;
	case CONF_T_BOOL:
		if (arg[0] == '\0')
			*out = "on";
		else if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0)
			return perr(p, "%s: expected on or off, got '%s'",
			    cmd->name, arg);
		return ERR_OK;
	case CONF_T_UINT:
		if (strcmp(arg, "off") == 0)
			*out = "0";
		else if (!parse_uint(arg, 0, INT_MAX))
			return perr(p, "%s: '%s' is not a number from 0 to "
			    "2147483647", cmd->name, arg);
		return ERR_OK;
	case CONF_T_PORT:
		if (!parse_uint(arg, 1, 65535))
			return perr(p, "%s: '%s' is not a number from 1 to "
			    "65535", cmd->name, arg);
		return ERR_OK;
	case CONF_T_AUTH:
		return check_auth(p, arg, out);
	case CONF_T_SYSLOG:
		return check_syslog(p, arg, out);
	case CONF_T_CHOICE:
		return check_choice(p, cmd, arg, out);
	case CONF_T_DURATION:
		if (duration_parse(arg, DURATION_MAX) < 0)
			return perr(p, "%s: '%s' is not a duration (such as 90, "
			    "30m, 4h or 5d)", cmd->name, arg);
		return ERR_OK;
	case CONF_T_TLS_POLICY:
		return check_tls_policy(p, cmd, arg);
	}
	return err_set(p->e, ERR_SOFTWARE, "conf: bad type %d", cmd->type);
}

/* Hex pairs, all separated by ':' or none, of 20 (SHA-1) or 32 bytes. */
static bool
fingerprint_ok(const char *s)
{
	size_t n = 0, len = strlen(s), i;
	bool colons = len > 2 && s[2] == ':';

	for (i = 0; i < len; ) {
		if (!isxdigit((unsigned char)s[i]) ||
		    !isxdigit((unsigned char)s[i + 1]))
			return false;
		i += 2;
		n++;
		if (i == len)
			break;
		if (colons && s[i] != ':')
			return false;
		if (colons)
			i++;
		if (colons && i == len)
			return false;
	}
	return n == 20 || n == 32;
}

/* Values of the TLS commands that io/tls would refuse at connect time. */
static enum err_kind
check_tls(struct parser *p, const struct command *cmd, const char *v)
{
	if (v[0] == '\0')
		return ERR_OK;
	if (cmd->key == CONF_TLS_FINGERPRINT && !fingerprint_ok(v))
		return perr(p, "tls_fingerprint: expected the SHA-256 (32 "
		    "bytes) or SHA-1 (20 bytes) fingerprint in hex, as "
		    "AB:CD:..., got '%s'", v);
	if (cmd->key == CONF_TLS_MIN_VERSION && strcmp(v, "TLSv1.2") != 0 &&
	    strcmp(v, "TLSv1.3") != 0)
		return perr(p, "tls_min_version: expected TLSv1.2 or TLSv1.3, "
		    "got '%s'", v);
	return ERR_OK;
}

static const struct command *
find_command(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strlen(commands[i].name) == n &&
		    memcmp(commands[i].name, name, n) == 0)
			return &commands[i];
	return NULL;
}

static enum err_kind
do_setting(struct parser *p, const char *name, size_t n, char *arg)
{
	const struct command *cmd = find_command(name, n);
	const char *v;
	enum err_kind rc;

	if (cmd == NULL)
		return err_set(p->e, ERR_CONFIG, "%s:%u: unknown command '%.*s'",
		    p->file, p->line, n > 64 ? 64 : (int)n, name);
	if (cmd->key == KEY_NONE)
		return perr(p, "'%s' is not supported yet", cmd->name);
	if ((rc = check_value(p, cmd, arg, &v)) != ERR_OK)
		return rc;
	if (!cmd->implemented)
		return perr(p, "'%s' is not supported yet", cmd->name);
	if ((rc = check_tls(p, cmd, v)) != ERR_OK)
		return rc;
	if (account_set(p->cur, cmd->key, v, p->file, p->line) == -1)
		return nomem(p);
	return ERR_OK;
}

/* ---- account lines ----------------------------------------------------- */

static char *
trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static bool
defined_here(const struct parser *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nhere; i++)
		if (strcmp(p->here[i]->name, name) == 0)
			return true;
	return false;
}

/* Copy the defaults, then each parent of the comma list in order. */
static enum err_kind
account_fill(struct parser *p, struct conf_account *a, char *parents)
{
	char *next, *pn;
	ssize_t i;

	if (account_inherit(a, &p->c->defaults) == -1)
		return nomem(p);
	while (parents != NULL) {
		if ((next = strchr(parents, ',')) != NULL)
			*next++ = '\0';
		pn = trim(parents);
		if (pn[0] == '\0')
			return perr(p, "account '%s': empty parent name",
			    a->name);
		if ((i = account_index(p->c, pn)) < 0)
			return perr(p, "account '%s': unknown parent '%s'",
			    a->name, pn);
		if (account_inherit(a, p->c->accounts[i]) == -1)
			return nomem(p);
		parents = next;
	}
	return ERR_OK;
}

/* Put a into c, replacing an account of an earlier text by that name. */
static enum err_kind
account_install(struct parser *p, struct conf_account *a)
{
	struct conf_account **v;
	ssize_t i = account_index(p->c, a->name);

	v = reallocarray(p->here, p->nhere + 1, sizeof(*v));
	if (v == NULL)
		return nomem(p);
	p->here = v;
	if (i >= 0) {
		account_free(p->c->accounts[i]);
		p->c->accounts[i] = a;
	} else {
		if (p->c->naccounts >= CONF_ACCOUNTS_MAX)
			return perr(p, "more than %d accounts", CONF_ACCOUNTS_MAX);
		v = reallocarray(p->c->accounts, p->c->naccounts + 1,
		    sizeof(*v));
		if (v == NULL)
			return nomem(p);
		p->c->accounts = v;
		p->c->accounts[p->c->naccounts++] = a;
	}
	p->here[p->nhere++] = a;
	p->cur = a;
	return ERR_OK;
}

static enum err_kind
do_account(struct parser *p, char *arg)
{
	struct conf_account *a;
	char *name, *parents;
	enum err_kind rc;
	ssize_t i;

	if ((parents = strchr(arg, ':')) != NULL)
		*parents++ = '\0';
	name = trim(arg);
	if (name[0] == '\0')
		return perr(p, "account: needs a name");
	if (strchr(name, ',') != NULL)
		return perr(p, "account: bad name '%s'", name);
	if (defined_here(p, name)) {
		i = account_index(p->c, name);
		return err_set(p->e, ERR_CONFIG, "%s:%u: account '%s' is "
		    "already defined at %s:%u", p->file, p->line, name,
		    p->c->accounts[i]->def_file, p->c->accounts[i]->def_line);
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return nomem(p);
	a->def_line = p->line;
	if ((a->name = strdup(name)) == NULL ||
	    (a->def_file = strdup(p->file)) == NULL) {
		account_free(a);
		return nomem(p);
	}
	if ((rc = account_fill(p, a, parents)) != ERR_OK ||
	    (rc = account_install(p, a)) != ERR_OK)
		account_free(a);
	return rc;
}

/* ---- lines ------------------------------------------------------------- */

/*
 * Copy the argument s (trimmed) into out (CONF_LINE_MAX + 1 bytes),
 * removing the quotes and escapes of a quoted argument.
 */
static enum err_kind
unquote(struct parser *p, const char *s, size_t n, char *out)
{
	size_t i, j = 0;

	if (n == 0 || s[0] != '"') {
		memcpy(out, s, n);
		out[n] = '\0';
		return ERR_OK;
	}
	for (i = 1; i < n && s[i] != '"'; i++) {
		if (s[i] == '\\') {
			if (i + 1 >= n || (s[i + 1] != '"' && s[i + 1] != '\\'))
				return perr(p, "bad escape in quoted argument "
				    "(only \\\" and \\\\)");
			i++;
		}
		out[j++] = s[i];
	}
	out[j] = '\0';
	if (i >= n)
		return perr(p, "unterminated quote");
	if (i + 1 != n)
		return perr(p, "text after closing quote");
	return ERR_OK;
}

/* Reject what no configuration line may hold. */
static enum err_kind
check_line(struct parser *p, const char *s, size_t n)
{
	size_t i;

	if (n > CONF_LINE_MAX)
		return err_set(p->e, ERR_CONFIG, "%s:%u: line longer than %d "
		    "bytes", p->file, p->line, CONF_LINE_MAX);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\0')
			return perr(p, "NUL byte in line");
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return perr(p, "control character in line");
	}
	return ERR_OK;
}

static enum err_kind
parse_line(struct parser *p, const char *s, size_t n)
{
	char arg[CONF_LINE_MAX + 1];
	size_t i, cmd_start, cmd_len;
	enum err_kind rc;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if ((rc = check_line(p, s, n)) != ERR_OK)
		return rc;
	for (i = 0; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		continue;
	if (i == n || s[i] == '#')
		return ERR_OK;
	cmd_start = i;
	while (i < n && s[i] != ' ' && s[i] != '\t')
		i++;
	cmd_len = i - cmd_start;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if ((rc = unquote(p, s + i, n - i, arg)) != ERR_OK)
		return rc;
	s += cmd_start;
	if (cmd_len == 8 && memcmp(s, "defaults", 8) == 0) {
		if (arg[0] != '\0')
			return perr(p, "defaults: takes no argument");
		p->cur = &p->c->defaults;
		return ERR_OK;
	}
	if (cmd_len == 7 && memcmp(s, "account", 7) == 0)
		return do_account(p, arg);
	return do_setting(p, s, cmd_len, arg);
}

enum err_kind
conf_parse_text(struct conf *c, const char *text, size_t len,
    const char *file, struct err *e)
{
	struct parser p;
	const char *nl;
	size_t off = 0, n;
	enum err_kind rc = ERR_OK;

	if (file == NULL)
		file = "(config)";
	if (len > CONF_TEXT_MAX)
		return err_set(e, ERR_CONFIG, "%s: larger than %u bytes", file,
		    (unsigned)CONF_TEXT_MAX);
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.file = file;
	p.cur = &c->defaults;
	p.e = e;
	while (off < len && rc == ERR_OK) {
		p.line++;
		nl = memchr(text + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		rc = parse_line(&p, text + off, n);
		off += n + (nl != NULL);
	}
	free(p.here);
	return rc;
}
