/*
 * sasl_int: what the two sides of SMTP AUTH share, the client
 * (smtp/sasl.c) and the server (smtp/sasl_server.c): the SCRAM arithmetic
 * (RFC 5802 section 3), its message syntax, SASLprep as postie does it,
 * and random nonces.  Not part of the public API: nothing but those two
 * files includes it.  Functions named sasl_* live in sasl_server.c
 * (for file size; a sasl_scram.c of their own would be tidier).
 *
 * Every function that fills key material leaves it in caller memory the
 * caller wipes (explicit_bzero); scratch copies are wiped here.
 */
#ifndef POSTIE_SMTP_SASL_INT_H
#define POSTIE_SMTP_SASL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define SASL_HASH_MAX 32		/* SHA-256 */
#define SASL_NONCE_BYTES 18		/* 24 characters of base64 */
#define SASL_SCRAM_ITER_MAX 1000000	/* cap on a server's i= (CPU) */
#define SASL_SCRAM_ITER_DEFAULT 4096	/* RFC 7677 section 4 */
#define SASL_SCRAM_MSG_MAX 4096		/* one SCRAM message */

/* A SCRAM family: SCRAM-SHA-1 or SCRAM-SHA-256, with or without -PLUS. */
struct sasl_scram_alg {
	const char *base;		/* "SCRAM-SHA-256" */
	int mac;			/* gnutls_mac_algorithm_t */
	int dig;			/* gnutls_digest_algorithm_t */
	size_t len;			/* digest length */
};

/* The family of mech ("SCRAM-SHA-1-PLUS"...), *plus set; NULL if none. */
const struct sasl_scram_alg *sasl_scram_alg(const char *mech, bool *plus);

/* RFC 5802 section 3: the keys derived from a password. */
struct sasl_scram_keys {
	unsigned char salted[SASL_HASH_MAX];	/* SaltedPassword */
	unsigned char client[SASL_HASH_MAX];	/* ClientKey */
	unsigned char stored[SASL_HASH_MAX];	/* StoredKey */
	unsigned char server[SASL_HASH_MAX];	/* ServerKey */
};

/* Derive k from the (SASLprep'd) password; 0, or -1 (GnuTLS refused). */
int sasl_scram_derive(const struct sasl_scram_alg *a, const void *pw,
    size_t pwlen, const void *salt, size_t saltlen, unsigned iter,
    struct sasl_scram_keys *k);
/* HMAC(key, msg) into out (a->len bytes); 0 or -1. */
int sasl_hmac(const struct sasl_scram_alg *a, const void *key, size_t klen,
    const void *msg, size_t mlen, unsigned char *out);

/*
 * SASLprep (RFC 4013) as postie does it: UTF-8 must be well formed;
 * non-ASCII spaces map to SPACE, the "mapped to nothing" characters of
 * RFC 3454 B.1 are dropped, and the prohibited characters of RFC 4013
 * section 2.3 (controls, private use, non-characters, surrogates, the
 * display and tagging characters) fail.  No NFKC normalisation and no
 * bidi check: an ASCII string is unchanged, any other passes as the
 * UTF-8 it is.  Appends to out; 0, or -1 (prohibited, malformed, full).
 */
int sasl_saslprep(const char *in, size_t n, struct buf *out);

/* RFC 5802 section 5.1 saslname: "=" as "=3D", "," as "=2C".  0 or -1. */
int sasl_scram_escape(struct buf *out, const char *name);
/* The reverse, n bytes of p; -1 on a bad "=" escape or a full out. */
int sasl_scram_unescape(struct buf *out, const char *p, size_t n);

/*
 * The value of attribute key ("r" of "r=...") in a comma-separated SCRAM
 * message, *len its length; NULL when absent.  Borrowed from msg.
 */
const char *sasl_scram_attr(const char *msg, char key, size_t *len);

/* Append a fresh nonce: SASL_NONCE_BYTES from gnutls_rnd, base64.  0/-1. */
int sasl_nonce(struct buf *out);

/* Constant-time comparison of n bytes: true when equal. */
bool sasl_equal(const void *a, const void *b, size_t n);

#endif
