/*
 * smtp_sasl_server: the server side of one SMTP AUTH exchange (RFC 4954),
 * sans-I/O, for the test server and `postie -bs`.  Mirrors smtp/sasl.h:
 * every mechanism the client speaks is verified here, so each one is
 * tested against a real peer.
 *
 * The engine (smtp/server.c) creates one per AUTH command, feeds it the
 * initial response (or NULL) and each response line, and sends the
 * challenges it returns as "334 <challenge>".  Credentials come from the
 * driver through callbacks, so the engine holds no user database.
 *
 * Randomness (SCRAM nonces, salts, the CRAM-MD5 challenge) and hashes
 * come from GnuTLS's primitives (gnutls_rnd, hash, HMAC, PBKDF2), which
 * DESIGN.md allows here.
 *
 * Mechanisms (smtp_sasl_server_mechs()): SCRAM-SHA-256-PLUS,
 * SCRAM-SHA-1-PLUS, SCRAM-SHA-256, SCRAM-SHA-1, PLAIN, LOGIN, CRAM-MD5,
 * XOAUTH2, OAUTHBEARER, EXTERNAL.  Rules checked:
 *   - PLAIN, SCRAM, EXTERNAL: an authorization identity must be empty or
 *     the authenticated user (no acting for others).
 *   - SCRAM: the client's channel binding flag must fit: -PLUS needs
 *     "p=<cb_type>" and c= must carry cb_data; "y" while cb_data is set
 *     (we offer -PLUS) is a downgrade and fails (RFC 5802 section 6).
 *     The v= server signature goes out in a 334; the client's empty
 *     answer to it completes the exchange (RFC 4954 section 4).
 *   - XOAUTH2, OAUTHBEARER: a rejected token gets a 334 with a JSON
 *     error (RFC 7628 3.2.2); whatever the client answers, FAIL follows.
 *     OAUTHBEARER needs the a= (user) field.
 *   - EXTERNAL: external_id must be set.
 * An unknown user fails at once (this is a test server, not a
 * production one: no fake salt against user enumeration).
 */
#ifndef POSTIE_SMTP_SASL_SERVER_H
#define POSTIE_SMTP_SASL_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/secret.h"

struct smtp_sasl_server_conf {
	/* The password of user into pw (secret_set); 0, or -1: no user. */
	int (*password)(void *arg, const char *user, struct secret *pw);
	/* 0 when token is valid for user (XOAUTH2, OAUTHBEARER), else -1. */
	int (*token)(void *arg, const char *user, const char *token);
	void *arg;
	/* The TLS session's channel binding, for SCRAM-*-PLUS. */
	const char *cb_type;		/* "tls-exporter", "tls-unique" or NULL */
	const void *cb_data;
	size_t cb_len;
	/* The verified client certificate's identity, for EXTERNAL. */
	const char *external_id;	/* NULL: no verified certificate */
	unsigned scram_iterations;	/* 0: 4096 */
	/* Test hook: send a wrong SCRAM server signature (v=...). */
	bool forge_scram_signature;
	/* Tests only (the RFC 5802/7677 vectors): a fixed server part of
	 * the SCRAM nonce and a fixed salt (base64); NULL: gnutls_rnd. */
	const char *test_nonce;
	const char *test_salt;
};

enum smtp_sasl_server_status {
	SMTP_SASL_SERVER_CONTINUE,	/* send "334 " + challenge */
	SMTP_SASL_SERVER_OK,		/* authenticated: 235 (challenge may
					 * hold final data for 235's text) */
	SMTP_SASL_SERVER_FAIL,		/* wrong credentials: 535 5.7.8 */
	SMTP_SASL_SERVER_MALFORMED,	/* bad syntax, "*", too many steps:
					 * 501 5.5.2 (the engine answers "*"
					 * itself with 501 5.0.0) */
	SMTP_SASL_SERVER_ERROR		/* internal (ENOMEM): 454 4.7.0 */
};

struct smtp_sasl_server;

/* The mechanisms supported, space-separated (for the EHLO AUTH line). */
const char *smtp_sasl_server_mechs(void);

/* NULL for an unknown mechanism (the engine answers 504 5.5.4). */
struct smtp_sasl_server *smtp_sasl_server_new(const char *mech,
    const struct smtp_sasl_server_conf *conf);
void smtp_sasl_server_free(struct smtp_sasl_server *s);	/* wipes */

/*
 * One step: response is the client's base64 text (the AUTH command's
 * initial response, "=" for an empty one, or a response line), or NULL
 * when AUTH came without one.  The challenge (base64) goes to out.
 */
enum smtp_sasl_server_status smtp_sasl_server_step(struct smtp_sasl_server *s,
    const char *response, struct buf *out);

/* After OK: the authenticated user name (borrowed, valid until free). */
const char *smtp_sasl_server_user(const struct smtp_sasl_server *s);

#endif
