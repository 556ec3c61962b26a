/*
 * tls_int: io_tls internals shared by tls.c (sessions, the PKIX and pin
 * checks, records) and tls_dane.c (DANE: RFC 6698, RFC 7671, RFC 7672).
 * Not part of the public API: nothing outside those two files includes
 * it; use io/tls.h.
 *
 * Functions named tls_* live in tls.c, tls_dane_* in tls_dane.c; each is
 * used by the other file.  Everything else stays static.
 *
 * Ownership: what tls_dane_conf() allocates in struct io_tls (tlsa,
 * tlsa_data, names) is freed by io_tls_close().
 */
#ifndef POSTIE_IO_TLS_INT_H
#define POSTIE_IO_TLS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <gnutls/gnutls.h>

#include "io/tls.h"
#include "util/err.h"

#define TLS_HOST_MAX 256		/* RFC 1035 2.3.4: 255 octets */
#define TLS_FP_MAX 32			/* SHA-256 */

/* How the peer was authenticated; names in tls_auth_names (tls.c). */
enum tls_auth {
	TLS_AUTH_NONE,
	TLS_AUTH_PKIX,
	TLS_AUTH_FINGERPRINT,
	TLS_AUTH_DANE_EE,
	TLS_AUTH_DANE_TA
};

struct io_tls {
	gnutls_session_t sess;
	gnutls_certificate_credentials_t cred;
	bool server;
	bool up;			/* handshake done */
	/* Client checks (verify_peer). */
	char host[TLS_HOST_MAX];	/* A-label or IP literal; "" none */
	bool certcheck;
	unsigned char fp[TLS_FP_MAX];
	size_t fplen;			/* 0: no pin */
	bool dane;			/* conf.ndane > 0: DANE checks only */
	struct io_tls_dane_rec *tlsa;	/* the usable records, copied */
	size_t ntlsa;
	unsigned char *tlsa_data;	/* their bytes, one block */
	char (*names)[TLS_HOST_MAX];	/* conf.dane_names as A-labels */
	size_t nnames;
	/* Server checks. */
	bool client_ca;
	bool require_client_cert;
	bool peer_verified;
	enum tls_auth auth;		/* set by verify_peer on success */
	/* Why the verify function refused, or the last record error. */
	char error[ERR_MSG_MAX];
};

/* ---- in tls.c --------------------------------------------------------- */

/*
 * host as an A-label or IP literal (brackets dropped) in out; *is_ip
 * tells which.  ERR_CONFIG (too long, IDN conversion failed).
 */
enum err_kind tls_host_alabel(const char *host, char *out, size_t outlen,
    bool *is_ip, struct err *e);
/* GnuTLS verification status as one line in t->error. */
void tls_status_reason(struct io_tls *t, unsigned status);

/* ---- in tls_dane.c ---------------------------------------------------- */

/*
 * Marks t for DANE and copies conf's usable TLSA records and its
 * dane_names (as A-labels) into t; t->host must be set already.
 * ERR_CONFIG (no host, too many records, a bad name), ERR_OS.
 */
enum err_kind tls_dane_conf(struct io_tls *t, const struct io_tls_conf *conf,
    struct err *e);
/*
 * From the verify function, in the handshake: 0 when a record
 * authenticates the peer (t->auth set), -1 with the reason in t->error.
 */
int tls_dane_verify(struct io_tls *t);

#endif
