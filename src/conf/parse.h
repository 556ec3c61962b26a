/*
 * conf_parse: msmtp's configuration language, pure (no file, no
 * environment): text in, accounts out.
 *
 *   # comment                    (a line whose first non-blank is '#')
 *   defaults                     settings below go to every later account
 *   account NAME [: P1[, P2...]] a new account: a copy of the defaults,
 *                                then of each parent in order, then its own
 *   account default : NAME       the account used without -a
 *   COMMAND [ARGUMENT]           a setting of the current section
 *
 * The argument is the rest of the line with blanks trimmed; enclosed in
 * double quotes it may hold blanks at either end and backslash escapes
 * (\" and \\).  A setting before any `defaults` or `account` line belongs
 * to the defaults.  A boolean command with no argument means "on", as in
 * msmtp (`auth`, `tls`).
 *
 * Several texts can be parsed into one struct conf in turn (system file,
 * then user file): the defaults carry over, and an account defined again
 * replaces the earlier one.
 *
 * Aliases: msmtp's older or alternative spellings set the same key, so
 * the last line wins whichever spelling it uses: add_missing_from_header
 * on|off is set_from_header auto|off, add_missing_date_header on|off is
 * set_date_header auto|off, undisclosed_recipients on|off is
 * set_to_header undisclosed_recipients|off.
 *
 * Errors (ERR_CONFIG, message "FILE:LINE: why"): unknown command, a
 * command that takes no argument given one or the reverse, an account
 * defined twice in one text, an unknown parent, a line over
 * CONF_LINE_MAX, a NUL byte or other control byte (tab excepted), an
 * unterminated quote or an escape other than \" and \\, a value of the
 * wrong type, a command postie knows from msmtp but does not implement
 * yet.  On error c keeps what was parsed before; free it.  ERR_OS on ENOMEM.
 *
 * Ownership: struct conf owns every string in it; conf_parse_free().
 */
#ifndef POSTIE_CONF_PARSE_H
#define POSTIE_CONF_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define CONF_LINE_MAX 4096
#define CONF_TEXT_MAX (1u << 20)	/* a configuration file's size cap */
#define CONF_ACCOUNTS_MAX 1024

enum conf_key {
	CONF_HOST,
	CONF_PORT,
	CONF_FROM,
	CONF_DOMAIN,
	CONF_TIMEOUT,
	CONF_AUTH,
	CONF_USER,
	CONF_PASSWORD,
	CONF_PASSWORDEVAL,
	CONF_LOGFILE,
	CONF_SYSLOG,
	CONF_TLS,
	CONF_TLS_STARTTLS,
	CONF_TLS_TRUST_FILE,
	CONF_TLS_CRL_FILE,
	CONF_TLS_FINGERPRINT,
	CONF_TLS_KEY_FILE,
	CONF_TLS_CERT_FILE,
	CONF_TLS_CERTCHECK,
	CONF_TLS_PRIORITIES,
	CONF_TLS_HOST_OVERRIDE,
	CONF_TLS_MIN_VERSION,
	CONF_AUTH_PLAINTEXT,
	CONF_SET_FROM_HEADER,	/* "auto" | "on" | "off" */
	CONF_SET_DATE_HEADER,	/* "auto" | "off" */
	CONF_SET_MSGID_HEADER,	/* "auto" | "off" */
	CONF_SET_TO_HEADER,	/* "off" | "undisclosed_recipients" */
	CONF_REMOVE_BCC_HEADERS,
	CONF_FROM_FULL_NAME,
	CONF_QUALIFY_HEADERS,
	CONF_RECIPIENTS_FROM_ARGS,	/* "merge" | "exclude" */
	CONF_ALIASES,			/* an /etc/aliases-format file */
	CONF_LOG_FORMAT,		/* "text" | "json" */
	CONF_ALLOW_CONFIG_OPTION,	/* -C as sendmail; system file only */
	CONF_QUEUE,			/* on: queue on temporary failure */
	CONF_QUEUE_DIR,
	CONF_QUEUE_LIFETIME,		/* duration */
	CONF_QUEUE_RETRY_MIN,		/* duration */
	CONF_QUEUE_RETRY_MAX,		/* duration */
	CONF_TLS_POLICY,		/* MX delivery: [LEVEL] [DOMAIN=LEVEL]... */
	CONF_KEY_COUNT
};

/* How a command's value is checked when parsed. */
enum conf_type {
	CONF_T_STRING,		/* any text, may be empty */
	CONF_T_NONEMPTY,	/* any text, not empty */
	CONF_T_BOOL,		/* on | off; empty means on */
	CONF_T_UINT,		/* decimal 0..INT_MAX */
	CONF_T_PORT,		/* decimal 1..65535 */
	CONF_T_AUTH,		/* on | off | a mechanism name; empty means on */
	CONF_T_SYSLOG,		/* on | off | LOG_xxx facility; empty means on */
	CONF_T_CHOICE,		/* one word of the command's list, stored as
				   the list says (aliases share a key) */
	CONF_T_DURATION,	/* util/duration.h: "90", "30m", "5d" */
	CONF_T_TLS_POLICY	/* conf_parse_tls_policy() */
};

struct conf_account {
	char *name;			/* "defaults" for the defaults section */
	char *val[CONF_KEY_COUNT];	/* NULL: not set; "": unset by an
					   empty argument (inherited so) */
	char *file[CONF_KEY_COUNT];	/* where each value was set... */
	unsigned line[CONF_KEY_COUNT];	/* ...for messages */
	char *def_file;			/* where the account was defined */
	unsigned def_line;
};

struct conf {
	struct conf_account defaults;
	struct conf_account **accounts;
	size_t naccounts;
};

void conf_parse_init(struct conf *c);
void conf_parse_free(struct conf *c);	/* c may be NULL */

/* Parse text (len bytes, not NUL-terminated) named file in messages. */
enum err_kind conf_parse_text(struct conf *c, const char *text, size_t len,
    const char *file, struct err *e);

/*
 * The account called name; name NULL means "default", and when there is
 * no account called "default", the defaults section itself.  NULL when
 * not found.  Borrowed, valid until conf_parse_free().
 */
const struct conf_account *conf_parse_find(const struct conf *c,
    const char *name);

/*
 * The first account (in file order; not the defaults) whose `from`
 * matches addr as a shell glob (fnmatch(3), case-insensitive: domains and,
 * in practice, local parts are), as msmtp picks one for -f.  NULL when
 * none does.  Borrowed.
 */
const struct conf_account *conf_parse_find_from(const struct conf *c,
    const char *addr);

/*
 * The value of k in a, or NULL when unset (also when an empty argument
 * unset it: `user` alone, as in msmtp).  Borrowed.
 */
const char *conf_parse_get(const struct conf_account *a, enum conf_key k);
/*
 * On/off value of k: false for "off", true for any other value ("on", a
 * mechanism, a facility); def when unset.
 */
bool conf_parse_bool(const struct conf_account *a, enum conf_key k, bool def);
/* Numeric value of k (already checked when parsed); def when unset. */
long long conf_parse_num(const struct conf_account *a, enum conf_key k,
    long long def);

/* A CONF_T_DURATION value in seconds (checked when parsed); def when
 * unset. */
long long conf_parse_seconds(const struct conf_account *a, enum conf_key k,
    long long def);

/*
 * TLS policy levels for delivery to MX hosts (Postfix's names, in order
 * of strength): none, may, encrypt, verify, dane, dane-only.
 */
enum conf_tls_policy {
	CONF_TLS_POLICY_NONE,
	CONF_TLS_POLICY_MAY,
	CONF_TLS_POLICY_ENCRYPT,
	CONF_TLS_POLICY_VERIFY,
	CONF_TLS_POLICY_DANE,
	CONF_TLS_POLICY_DANE_ONLY
};

/* "none" ... "dane-only" */
const char *conf_parse_tls_policy_name(enum conf_tls_policy p);

/*
 * The level for destination domain (A-label) from a `tls_policy` value
 * (checked when parsed): words separated by blanks, each either a LEVEL
 * (the default for every domain; the last one counts) or DOMAIN=LEVEL
 * (that domain), .DOMAIN=LEVEL (its subdomains).  The first DOMAIN=
 * word that matches wins over the default; exact names are compared
 * without case.  value NULL, or no default: def.
 */
enum conf_tls_policy conf_parse_tls_policy(const char *value,
    const char *domain, enum conf_tls_policy def);

/* The command's name as written in files ("tls_trust_file"). */
const char *conf_parse_key_name(enum conf_key k);

#endif
