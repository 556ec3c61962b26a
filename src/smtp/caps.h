/*
 * smtp_caps: the capabilities a server announced in its EHLO reply.
 * Pure; parsed from an smtp_reply.  Unknown keywords are ignored.
 */
#ifndef POSTIE_SMTP_CAPS_H
#define POSTIE_SMTP_CAPS_H

#include <stddef.h>

#include "smtp/reply.h"

enum smtp_cap {
	SMTP_CAP_PIPELINING = 1u << 0,
	SMTP_CAP_SIZE = 1u << 1,
	SMTP_CAP_8BITMIME = 1u << 2,
	SMTP_CAP_SMTPUTF8 = 1u << 3,
	SMTP_CAP_DSN = 1u << 4,
	SMTP_CAP_ENHANCEDSTATUSCODES = 1u << 5,
	SMTP_CAP_CHUNKING = 1u << 6,
	SMTP_CAP_STARTTLS = 1u << 7,
	SMTP_CAP_AUTH = 1u << 8,
	SMTP_CAP_BINARYMIME = 1u << 9
};

#define SMTP_CAPS_AUTH_MAX 256

struct smtp_caps {
	unsigned flags;			/* enum smtp_cap bits */
	unsigned long long size_max;	/* SIZE n; 0 when absent or 0 */
	/* AUTH mechanisms, upper-cased, space-separated ("PLAIN LOGIN") */
	char auth[SMTP_CAPS_AUTH_MAX];
	unsigned rcptmax;		/* LIMITS RCPTMAX=n (RFC 9422); 0 none */
	unsigned mailmax;		/* LIMITS MAILMAX=n; 0 none */
};

/* Clear all capabilities (as after STARTTLS, RFC 3207 4.2). */
void smtp_caps_clear(struct smtp_caps *c);

/*
 * Parse a positive EHLO reply: line 0 is the greeting text, each further
 * line one keyword with parameters.  Keywords are case-insensitive;
 * "AUTH=LOGIN" (old form) counts as AUTH.
 */
void smtp_caps_parse(struct smtp_caps *c, const struct smtp_reply *r);

/*
 * The capability bit of an EHLO keyword (case-insensitive, the first n
 * bytes of name), or 0 when postie does not know it.
 */
unsigned smtp_caps_from_name(const char *name, size_t n);

/* 1 when mechanism mech (case-insensitive) is among c->auth. */
int smtp_caps_has_auth(const struct smtp_caps *c, const char *mech);

/* Names of the set flags, space-separated, for -v ("PIPELINING SIZE"). */
void smtp_caps_describe(const struct smtp_caps *c, char *out, size_t outlen);

#endif
