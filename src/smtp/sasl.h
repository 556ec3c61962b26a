/*
 * smtp_sasl: the client side of one SMTP AUTH exchange (RFC 4954), sans-I/O.
 *
 * The client engine drives it: after the final EHLO it calls
 * smtp_sasl_start() to pick a mechanism and get the AUTH command's
 * initial response, smtp_sasl_step() for each 334 challenge, and
 * smtp_sasl_finish() on 235 (SCRAM checks the server's signature there
 * when it did not come in a 334).  Payloads in and out are base64 text,
 * exactly as on the wire.
 *
 * Mechanisms: PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195), SCRAM-SHA-1,
 * SCRAM-SHA-256 and their -PLUS forms (RFC 5802, RFC 7677; -PLUS only
 * once smtp_sasl_set_channel_binding() gave the TLS channel binding),
 * XOAUTH2 and OAUTHBEARER (RFC 7628; the token is conf.password) and
 * EXTERNAL (RFC 4422 appendix A; conf.user is the authzid, may be NULL).
 * With conf.mech NULL (`auth on`) the strongest offered and allowed is
 * taken: SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS, SCRAM-SHA-256,
 * SCRAM-SHA-1, PLAIN, LOGIN, CRAM-MD5; the OAuth mechanisms and EXTERNAL
 * only when named.
 *
 * Policy lives here, not in the engine: without TLS only SCRAM may run
 * (it never sends the password nor anything an eavesdropper could
 * replay), unless allow_plaintext is set AND the server is on this
 * machine (peer_local).  SCRAM passwords go through SASLprep as
 * sasl_int.h describes (ASCII unchanged; no NFKC for other UTF-8).
 *
 * Ownership: credentials are borrowed from the caller (a struct secret the
 * caller wipes); every buffer that held a secret is wiped here.
 *
 * Errors:
 *   ERR_NOPERM    no usable mechanism; the server does not offer the one
 *                 named; the policy forbids it without TLS; a -PLUS
 *                 mechanism named without channel binding; credentials
 *                 missing or too long; a SCRAM password SASLprep refuses;
 *                 a SCRAM server error (e=).
 *   ERR_PROTOCOL  malformed challenge, a challenge where none belongs,
 *                 too many challenges, SCRAM nonce/salt/iteration count
 *                 bad (i= from 1 to 1,000,000), and "server signature
 *                 does not verify" (SCRAM v= wrong or missing): the engine
 *                 then cancels with "*" or drops the session.
 *   ERR_SOFTWARE  misuse (step before start), response too long.
 *   ERR_OS        out of memory.
 */
#ifndef POSTIE_SMTP_SASL_H
#define POSTIE_SMTP_SASL_H

#include <stdbool.h>

#include "smtp/caps.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/secret.h"

#define SMTP_SASL_STEPS_MAX 8	/* a 334 loop longer than this is cut off */

struct smtp_sasl_conf {
	const char *mech;		/* "PLAIN", "SCRAM-SHA-256"...; NULL:
					 * the best offered and allowed */
	const char *user;
	const struct secret *password;	/* the OAuth token for XOAUTH2 and
					 * OAUTHBEARER */
	/*
	 * auth_plaintext: a password may leave without TLS, but only to a
	 * server on this machine (peer_local: the front end sets it for a
	 * host written as localhost, 127.0.0.0/8 or ::1).  SCRAM never
	 * sends the password and is allowed without TLS.
	 */
	bool allow_plaintext;
	bool peer_local;
	const char *host;		/* for OAUTHBEARER's host= field */
	unsigned port;			/* for OAUTHBEARER's port= field */
	/* Tests only: a fixed SCRAM client nonce (printable, no ","), for
	 * the RFC test vectors.  NULL (always, outside tests): gnutls_rnd. */
	const char *test_nonce;
};

struct smtp_sasl;

struct smtp_sasl *smtp_sasl_new(const struct smtp_sasl_conf *conf);
void smtp_sasl_free(struct smtp_sasl *s);	/* wipes; s may be NULL */

/*
 * Choose the mechanism from what the server offers.  *mech gets its name
 * (borrowed, static).  When the mechanism has an initial response, it is
 * appended to initial as base64 ("=" for an empty one) and *has_initial is
 * set.
 */
enum err_kind smtp_sasl_start(struct smtp_sasl *s, const struct smtp_caps *caps,
    bool tls_active, const char **mech, struct buf *initial, bool *has_initial,
    struct err *e);

/*
 * The TLS session's channel binding (io/tls.h io_tls_channel_binding):
 * type "tls-exporter" or "tls-unique" and its data.  Given after the
 * handshake, before AUTH; the -PLUS SCRAM mechanisms need it and are
 * chosen only when it is set.  The data is copied (and wiped on free).
 * ERR_OK, ERR_OS, or ERR_SOFTWARE (empty, over 512 bytes, bad type).
 */
enum err_kind smtp_sasl_set_channel_binding(struct smtp_sasl *s,
    const char *type, const void *data, size_t len, struct err *e);

/* A 334 challenge (base64 text after "334 ") in, the response out. */
enum err_kind smtp_sasl_step(struct smtp_sasl *s, const char *challenge,
    struct buf *response, struct err *e);

/* The 235 reply's text (may hold final server data); ERR_OK when done. */
enum err_kind smtp_sasl_finish(struct smtp_sasl *s, const char *text,
    struct err *e);

#endif
