/*
 * testd_opts: smtp-testd's command line, parsed into a struct testd_opts,
 * and the rules it holds (--reply, --reply-rcpt, --after, --stall) with
 * their matching.  The options themselves are documented in
 * tests/server/README and usage().
 *
 * A bad command line prints a message and the usage and exits 2; there
 * is no error return.  Strings in struct testd_opts are borrowed from
 * argv (valid for the whole run); the rules are held inline, so the
 * struct is large: keep it off the stack.  Rules returned by the find
 * functions are borrowed from the struct.
 */
#ifndef POSTIE_TESTD_OPTS_H
#define POSTIE_TESTD_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/server.h"

#define TESTD_RULES_MAX 128
#define TESTD_TEXT_MAX 512
#define TESTD_TOKENS_MAX 16	/* --auth-token options */

/* The steps an option may name; STEP_DATAEND is the end of a message
 * (the final dot, or the last octet of BDAT LAST). */
enum testd_step {
	STEP_CONNECT,
	STEP_EHLO,
	STEP_HELO,
	STEP_MAIL,
	STEP_RCPT,
	STEP_DATA,
	STEP_DATAEND,
	STEP_RSET,
	STEP_NOOP,
	STEP_QUIT,
	STEP_VRFY,
	STEP_STARTTLS,		/* TLS: --reply starttls=454 ... */
	STEP_BDAT,		/* each BDAT command (RFC 3030) */
	STEP_AUTH,		/* the AUTH command, before any exchange */
	STEP_COUNT,
	STEP_NONE = -1
};

enum testd_action {
	ACT_REPLY,		/* --reply */
	ACT_REPLY_RCPT,		/* --reply-rcpt */
	ACT_421,		/* --after STEP=421 */
	ACT_DROP,		/* --after STEP=drop */
	ACT_STALL		/* --stall */
};

struct testd_rule {
	enum testd_action act;
	int step;			/* enum testd_step */
	unsigned nth;			/* 0: every occurrence */
	int code;
	char text[TESTD_TEXT_MAX];
	char pattern[TESTD_TEXT_MAX];	/* ACT_REPLY_RCPT, lower case */
	unsigned stall_s;
};

struct testd_opts {
	const char *dir;
	const char *listen;
	const char *port;	/* "0" (the default): any free port; a fixed
				 * one only in a test's own network namespace */
	const char *port_file;
	const char *hostname;
	unsigned sessions;
	unsigned idle_exit;
	unsigned caps;
	unsigned long long size;
	bool no_esmtp;
	bool verbose;
	unsigned rcpt_max;		/* --rcpt-max: LIMITS RCPTMAX, 452 */
	unsigned rcpt_limit;		/* --rcpt-limit: 452, unannounced */
	/* ---- TLS (issue 3): see tests/server/README ---- */
	const char *tls_cert;		/* --tls-cert: offer STARTTLS */
	const char *tls_key;		/* --tls-key */
	const char *client_ca;		/* --client-ca: request client certs */
	const char *tls_priorities;	/* --tls-priorities */
	bool implicit_tls;		/* --implicit-tls */
	bool require_client_cert;	/* --require-client-cert */
	bool tls_abort;			/* --tls-abort: close after the 220 */
	char inject[TESTD_TEXT_MAX];	/* --starttls-inject, unescaped */
	size_t inject_len;
	/* ---- end of TLS ---- */
	/* ---- AUTH (issue 3): see tests/server/README ---- */
	bool auth;			/* any --auth-* option: serve AUTH */
	const char *auth_users;		/* --auth-users FILE (user:password) */
	const char *auth_tokens[TESTD_TOKENS_MAX];	/* --auth-token U:T */
	size_t nauth_tokens;
	const char *auth_mechs;		/* --auth-mechs LIST (NULL: all) */
	bool auth_required;		/* --auth-required */
	bool auth_before_tls_only;	/* --auth-before-tls-only */
	bool scram_forge;		/* --scram-forge */
	unsigned scram_iterations;	/* --scram-iterations N (0: 4096) */
	/* ---- end of AUTH ---- */
	struct testd_rule rules[TESTD_RULES_MAX];
	size_t nrule;
};

/* Fill o from the command line (o need not be initialised). */
void testd_opts_parse(struct testd_opts *o, int argc, char **argv);

/* The rule of kind act for occurrence nth of step: an "#N" rule first,
 * then one for every occurrence; NULL when none. */
const struct testd_rule *testd_opts_find_rule(const struct testd_opts *o,
    enum testd_action act, int step, unsigned nth);

/* The first --reply-rcpt rule whose pattern matches addr (case folded);
 * NULL when none. */
const struct testd_rule *testd_opts_find_rcpt_rule(
    const struct testd_opts *o, const char *addr);

/* The step a command is, or STEP_NONE when no option can name it. */
int testd_opts_step_of(enum smtp_server_cmd cmd);

#endif
