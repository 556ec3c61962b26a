/*
 * secret: a password or token that must not linger.
 *
 * The bytes are wiped (explicit_bzero) by secret_free() and whenever they
 * are replaced.  Never log a secret: transcripts print "<redacted>".
 */
#ifndef POSTIE_UTIL_SECRET_H
#define POSTIE_UTIL_SECRET_H

#include <stddef.h>

struct secret {
	char *data;	/* NUL-terminated; NULL when unset */
	size_t len;
};

void secret_init(struct secret *s);
/* Copy n bytes of p into s (wiping any old value).  0, or -1 on ENOMEM. */
int secret_set(struct secret *s, const void *p, size_t n);
int secret_is_set(const struct secret *s);
/* Wipe and free.  s may be NULL. */
void secret_free(struct secret *s);

#endif
