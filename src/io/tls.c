#include "config.h"

/*
 * io_tls: GnuTLS sessions for the client and the test server; see tls.h.
 *
 * Verification runs inside the handshake (a verify function on the
 * credentials), so a certificate we refuse ends the handshake with an
 * alert before our Finished: nothing of ours is ever sent over a session
 * we did not accept.
 *
 * DANE (the TLSA records and their checks) is in tls_dane.c; what the
 * two files share is in tls_int.h.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <idn2.h>

#include "io/net.h"
#include "io/tls_int.h"

#define TLS_PRIO_MAX 1024
#define TLS_FP_SHA1 20
#define TLS_DN_MAX 1024
#define TLS_RETRY_MAX 16		/* non-fatal record errors in a row */
#define TLS_DEFAULT_TIMEOUT 300		/* RFC 5321 4.5.3.2 command timeout */

/* Indexed by enum tls_auth. */
static const char *const tls_auth_names[] = {
	"none", "pkix", "fingerprint", "dane-ee", "dane-ta"
};

/* ---- small helpers ---------------------------------------------------- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "AA:BB:..", "aabb..": 20 or 32 bytes; a colon only between pairs. */
static enum err_kind
parse_fingerprint(const char *s, unsigned char *out, size_t *len,
    struct err *e)
{
	size_t n = 0;
	int hi, lo;

	while (*s != '\0') {
		hi = hexval((unsigned char)s[0]);
		lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);
		if (lo < 0 || n == TLS_FP_MAX)
			break;
		out[n++] = (unsigned char)(hi << 4 | lo);
		s += 2;
		if (s[0] == ':' && s[1] != '\0')
			s++;
	}
	if (*s != '\0' || (n != TLS_FP_MAX && n != TLS_FP_SHA1))
		return err_set(e, ERR_CONFIG, "tls_fingerprint: expected a "
		    "SHA-256 (32 bytes) or SHA-1 (20 bytes) fingerprint in "
		    "hex, like AB:CD:...");
	*len = n;
	return ERR_OK;
}

/* "AB:CD:.." of n bytes into out. */
static void
hex_colons(const unsigned char *p, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)buf_printf(out, "%s%02X", i > 0 ? ":" : "", p[i]);
}

/*
 * conf.host as SNI and for the name check: an IP literal (brackets
 * dropped) is kept and flagged; a name with non-ASCII bytes becomes its
 * A-label (RFC 5891, UTS #46 non-transitional).
 */
enum err_kind
tls_host_alabel(const char *host, char *out, size_t outlen, bool *is_ip,
    struct err *e)
{
	unsigned char addr[sizeof(struct in6_addr)];
	char *a = NULL;
	size_t n = strlen(host), i;
	int rc;

	*is_ip = false;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < outlen) {
		memcpy(out, host + 1, n - 2);
		out[n - 2] = '\0';
		*is_ip = inet_pton(AF_INET6, out, addr) == 1;
		if (*is_ip)
			return ERR_OK;
	}
	if (inet_pton(AF_INET, host, addr) == 1 ||
	    inet_pton(AF_INET6, host, addr) == 1)
		*is_ip = true;
	for (i = 0; i < n && (unsigned char)host[i] < 0x80; i++)
		;
	if (*is_ip || i == n) {
		if (strlcpy(out, host, outlen) >= outlen)
			return err_set(e, ERR_CONFIG, "host name too long");
		return ERR_OK;
	}
	rc = idn2_to_ascii_8z(host, &a, IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK)
		return err_set(e, ERR_CONFIG, "cannot convert host name '%s' "
		    "to ASCII: %s", host, idn2_strerror(rc));
	rc = strlcpy(out, a, outlen) >= outlen;
	idn2_free(a);
	if (rc)
		return err_set(e, ERR_CONFIG, "host name too long");
	return ERR_OK;
}

/* "TLSv1.3" for the session's protocol. */
static const char *
version_name(gnutls_session_t sess)
{
	switch (gnutls_protocol_get_version(sess)) {
	case GNUTLS_TLS1_3:
		return "TLSv1.3";
	case GNUTLS_TLS1_2:
		return "TLSv1.2";
	case GNUTLS_TLS1_1:
		return "TLSv1.1";
	case GNUTLS_TLS1_0:
		return "TLSv1.0";
	default:
		return "TLS";
	}
}

/*
 * The priority string: conf's or "NORMAL", and tls_min_version as
 * version removals appended to it.
 */
static enum err_kind
set_priorities(gnutls_session_t sess, const char *prio, const char *minv,
    struct err *e)
{
	char s[TLS_PRIO_MAX];
	const char *extra = "", *errpos = NULL;
	int rc;

	if (minv != NULL && strcmp(minv, "TLSv1.2") == 0)
		extra = ":-VERS-TLS1.0:-VERS-TLS1.1";
	else if (minv != NULL && strcmp(minv, "TLSv1.3") == 0)
		extra = ":-VERS-TLS1.0:-VERS-TLS1.1:-VERS-TLS1.2";
	else if (minv != NULL && minv[0] != '\0')
		return err_set(e, ERR_CONFIG, "tls_min_version: expected "
		    "TLSv1.2 or TLSv1.3, got '%s'", minv);
	if (prio == NULL || prio[0] == '\0')
		prio = "NORMAL";
	if ((size_t)snprintf(s, sizeof(s), "%s%s", prio, extra) >= sizeof(s))
		return err_set(e, ERR_CONFIG, "tls_priorities: too long");
	rc = gnutls_priority_set_direct(sess, s, &errpos);
	if (rc < 0)
		return err_set(e, ERR_CONFIG, "tls_priorities: '%s': %s%s%s",
		    prio, gnutls_strerror(rc), errpos != NULL ? " at " : "",
		    errpos != NULL ? errpos : "");
	return ERR_OK;
}

/* ---- verification (inside the handshake) ------------------------------ */

/* The peer's first certificate, imported; NULL when none. */
static gnutls_x509_crt_t
peer_crt(gnutls_session_t sess)
{
	const gnutls_datum_t *list;
	gnutls_x509_crt_t crt;
	unsigned n = 0;

	list = gnutls_certificate_get_peers(sess, &n);
	if (list == NULL || n == 0 || gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	if (gnutls_x509_crt_import(crt, &list[0], GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return NULL;
	}
	return crt;
}

static bool
peer_self_signed(gnutls_session_t sess)
{
	gnutls_x509_crt_t crt;
	unsigned n = 0;
	bool self;

	(void)gnutls_certificate_get_peers(sess, &n);
	if (n != 1 || (crt = peer_crt(sess)) == NULL)
		return false;
	self = gnutls_x509_crt_check_issuer(crt, crt) == 1;
	gnutls_x509_crt_deinit(crt);
	return self;
}

/* One line for a failed chain or name check, most telling reason first. */
void
tls_status_reason(struct io_tls *t, unsigned status)
{
	gnutls_datum_t d;
	const char *r = NULL;

	if (status & GNUTLS_CERT_REVOKED)
		r = "certificate has been revoked";
	else if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
		r = peer_self_signed(t->sess) ? "certificate signer is not "
		    "trusted (self-signed certificate)" :
		    "certificate signer is not trusted";
	else if (status & GNUTLS_CERT_SIGNER_NOT_CA)
		r = "certificate signer is not a CA";
	else if (status & GNUTLS_CERT_EXPIRED)
		r = "certificate has expired";
	else if (status & GNUTLS_CERT_NOT_ACTIVATED)
		r = "certificate is not yet valid";
	else if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
		snprintf(t->error, sizeof(t->error), "certificate does not "
		    "match host %s", t->host);
		return;
	} else if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		r = "certificate uses an insecure algorithm";
	if (r != NULL) {
		strlcpy(t->error, r, sizeof(t->error));
		return;
	}
	if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &d, 0) < 0) {
		snprintf(t->error, sizeof(t->error), "certificate not "
		    "trusted (status 0x%x)", status);
		return;
	}
	snprintf(t->error, sizeof(t->error), "%s", (const char *)d.data);
	gnutls_free(d.data);
}

/* The pin against the peer certificate's DER (RFC 7469 style, whole cert). */
static int
verify_fingerprint(struct io_tls *t)
{
	unsigned char got[TLS_FP_MAX];
	const gnutls_datum_t *list;
	struct buf hex;
	unsigned n = 0;
	bool sha1 = t->fplen == TLS_FP_SHA1;

	list = gnutls_certificate_get_peers(t->sess, &n);
	if (list == NULL || n == 0) {
		strlcpy(t->error, "server sent no certificate",
		    sizeof(t->error));
		return -1;
	}
	if (gnutls_hash_fast(sha1 ? GNUTLS_DIG_SHA1 : GNUTLS_DIG_SHA256,
	    list[0].data, list[0].size, got) < 0) {
		strlcpy(t->error, "cannot hash the certificate",
		    sizeof(t->error));
		return -1;
	}
	if (memcmp(got, t->fp, t->fplen) == 0) {
		t->auth = TLS_AUTH_FINGERPRINT;
		return 0;
	}
	buf_init(&hex, 3 * TLS_FP_MAX);
	hex_colons(got, t->fplen, &hex);
	snprintf(t->error, sizeof(t->error), "fingerprint mismatch: got %s "
	    "%s", sha1 ? "SHA1" : "SHA256", buf_str(&hex));
	buf_free(&hex);
	return -1;
}

/* Server side: note whether the client's certificate verified. */
static int
verify_client(struct io_tls *t)
{
	unsigned status = 0, n = 0;

	(void)gnutls_certificate_get_peers(t->sess, &n);
	if (!t->client_ca || n == 0)
		return 0;
	if (gnutls_certificate_verify_peers2(t->sess, &status) < 0)
		status = GNUTLS_CERT_INVALID;
	t->peer_verified = status == 0;
	if (t->peer_verified)
		t->auth = TLS_AUTH_PKIX;
	if (status == 0 || !t->require_client_cert)
		return 0;
	tls_status_reason(t, status);
	return -1;
}

/* GnuTLS's verify function: 0 accepts, nonzero ends the handshake. */
static int
verify_peer(gnutls_session_t sess)
{
	struct io_tls *t = gnutls_session_get_ptr(sess);
	unsigned status = 0;

	if (t == NULL)
		return GNUTLS_E_CERTIFICATE_ERROR;
	if (t->server)
		return verify_client(t) == 0 ? 0 : GNUTLS_E_CERTIFICATE_ERROR;
	if (t->dane)
		return tls_dane_verify(t) == 0 ? 0 :
		    GNUTLS_E_CERTIFICATE_ERROR;
	if (t->fplen > 0)
		return verify_fingerprint(t) == 0 ? 0 :
		    GNUTLS_E_CERTIFICATE_ERROR;
	if (!t->certcheck)
		return 0;
	/* Chain, CRLs, a stapled OCSP response, and the name (RFC 6125). */
	if (gnutls_certificate_verify_peers3(sess, t->host[0] != '\0' ?
	    t->host : NULL, &status) < 0)
		status = GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND;
	if (status == 0) {
		t->auth = TLS_AUTH_PKIX;
		return 0;
	}
	tls_status_reason(t, status);
	return GNUTLS_E_CERTIFICATE_ERROR;
}

/* ---- the handshake ---------------------------------------------------- */

static enum err_kind
handshake_error(struct io_tls *t, int rc, struct err *e)
{
	/* GnuTLS leaves the alert to us: tell the peer why (best effort,
	 * the socket is non-blocking). */
	if (rc != GNUTLS_E_FATAL_ALERT_RECEIVED &&
	    rc != GNUTLS_E_PREMATURE_TERMINATION && rc != GNUTLS_E_PUSH_ERROR &&
	    rc != GNUTLS_E_PULL_ERROR)
		(void)gnutls_alert_send_appropriate(t->sess, rc);
	if (rc == GNUTLS_E_PREMATURE_TERMINATION)
		return err_set(e, ERR_TEMP, "handshake failed: connection "
		    "closed by the peer");
	if (t->error[0] != '\0')
		return err_set(e, ERR_TEMP, "%s", t->error);
	if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED)
		return err_set(e, ERR_TEMP, "handshake failed: received "
		    "alert: %s", gnutls_alert_get_name(gnutls_alert_get(
		    t->sess)));
	return err_set(e, ERR_TEMP, "handshake failed: %s",
	    gnutls_strerror(rc));
}

/* The handshake on a non-blocking socket, polling until the deadline. */
static enum err_kind
handshake(struct io_tls *t, int fd, int timeout_s, struct err *e)
{
	long long deadline;
	int rc, w;

	if (timeout_s <= 0)
		timeout_s = TLS_DEFAULT_TIMEOUT;
	deadline = io_net_deadline((long long)timeout_s * 1000);
	for (;;) {
		rc = gnutls_handshake(t->sess);
		if (rc == GNUTLS_E_SUCCESS) {
			t->up = true;
			return ERR_OK;
		}
		if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED) {
			if (gnutls_error_is_fatal(rc))
				return handshake_error(t, rc, e);
			continue;	/* a warning alert */
		}
		w = io_net_wait(fd, gnutls_record_get_direction(t->sess) ?
		    POLLOUT : POLLIN, deadline);
		if (w == 0)
			return err_set(e, ERR_TEMP, "handshake timed out "
			    "after %d s", timeout_s);
		if (w == -1)
			return io_net_wait_error(e);
	}
}

static enum err_kind
set_nonblock(int fd, struct err *e)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return err_set(e, ERR_OS, "fcntl: %s", strerror(errno));
	return ERR_OK;
}

static struct io_tls *
tls_new(bool server, struct err *e)
{
	struct io_tls *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		err_set(e, ERR_OS, "out of memory");
		return NULL;
	}
	t->server = server;
	if (gnutls_certificate_allocate_credentials(&t->cred) < 0) {
		free(t);
		err_set(e, ERR_OS, "out of memory");
		return NULL;
	}
	gnutls_certificate_set_verify_function(t->cred, verify_peer);
	return t;
}

/* ---- client ----------------------------------------------------------- */

static enum err_kind
client_trust(struct io_tls *t, const struct io_tls_conf *conf,
    struct err *e)
{
	int rc;

	if (conf->trust_file != NULL) {
		rc = gnutls_certificate_set_x509_trust_file(t->cred,
		    conf->trust_file, GNUTLS_X509_FMT_PEM);
		if (rc <= 0)
			return err_set(e, ERR_CONFIG, "tls_trust_file %s: %s",
			    conf->trust_file, rc == 0 ? "no certificate in "
			    "it" : gnutls_strerror(rc));
	} else {
		/* Only here: the store is read only when TLS is used. */
		rc = gnutls_certificate_set_x509_system_trust(t->cred);
		if (rc <= 0)
			return err_set(e, ERR_CONFIG, "cannot load the system "
			    "trust store: %s (set tls_trust_file)",
			    rc == 0 ? "no certificate in it" :
			    gnutls_strerror(rc));
	}
	if (conf->crl_file != NULL) {
		rc = gnutls_certificate_set_x509_crl_file(t->cred,
		    conf->crl_file, GNUTLS_X509_FMT_PEM);
		if (rc < 0)
			return err_set(e, ERR_CONFIG, "tls_crl_file %s: %s",
			    conf->crl_file, gnutls_strerror(rc));
	}
	return ERR_OK;
}

static enum err_kind
key_pair(struct io_tls *t, const char *cert, const char *key,
    const char *what, struct err *e)
{
	int rc;

	if (cert == NULL && key == NULL)
		return ERR_OK;
	if (cert == NULL || key == NULL)
		return err_set(e, ERR_CONFIG, "%s: a certificate needs its key "
		    "and a key its certificate", what);
	rc = gnutls_certificate_set_x509_key_file2(t->cred, cert, key,
	    GNUTLS_X509_FMT_PEM, NULL, 0);
	if (rc < 0)
		return err_set(e, ERR_CONFIG, "%s %s, %s: %s", what, cert, key,
		    gnutls_strerror(rc));
	return ERR_OK;
}

static enum err_kind
client_conf(struct io_tls *t, const struct io_tls_conf *conf, struct err *e)
{
	bool is_ip = false;

	t->certcheck = conf->certcheck;
	if (conf->fingerprint != NULL && parse_fingerprint(conf->fingerprint,
	    t->fp, &t->fplen, e) != ERR_OK)
		return e->kind;
	if (t->fplen == TLS_FP_SHA1)
		log_msg(conf->log, LOG_WARNING, "tls_fingerprint is a SHA-1 "
		    "fingerprint: use the SHA-256 one");
	if (conf->host != NULL && tls_host_alabel(conf->host, t->host,
	    sizeof(t->host), &is_ip, e) != ERR_OK)
		return e->kind;
	if (conf->ndane > 0 && tls_dane_conf(t, conf, e) != ERR_OK)
		return e->kind;
	/* DANE replaces the trust store: not even read then. */
	if (t->certcheck && t->fplen == 0 && !t->dane &&
	    client_trust(t, conf, e) != ERR_OK)
		return e->kind;
	if (key_pair(t, conf->cert_file, conf->key_file,
	    "tls_cert_file/tls_key_file", e) != ERR_OK)
		return e->kind;
	if (gnutls_init(&t->sess, GNUTLS_CLIENT) < 0)
		return err_set(e, ERR_OS, "gnutls_init failed");
	gnutls_session_set_ptr(t->sess, t);
	if (set_priorities(t->sess, conf->priorities, conf->min_version, e) !=
	    ERR_OK)
		return e->kind;
	if (gnutls_credentials_set(t->sess, GNUTLS_CRD_CERTIFICATE, t->cred) <
	    0)
		return err_set(e, ERR_OS, "gnutls_credentials_set failed");
	/* RFC 6066 3: no IP literal in SNI. */
	if (!is_ip && t->host[0] != '\0')
		(void)gnutls_server_name_set(t->sess, GNUTLS_NAME_DNS, t->host,
		    strlen(t->host));
	/* A stapled response saying "revoked" fails verify_peers3. */
	(void)gnutls_ocsp_status_request_enable_client(t->sess, NULL, 0,
	    NULL);
	return ERR_OK;
}

/* Put the configured session on fd and shake hands. */
static enum err_kind
attach(struct io_tls *t, int fd, int timeout_s, struct err *e)
{
	if (set_nonblock(fd, e) != ERR_OK)
		return e->kind;
	gnutls_transport_set_int(t->sess, fd);
	return handshake(t, fd, timeout_s, e);
}

enum err_kind
io_tls_client_start(int fd, const struct io_tls_conf *conf,
    struct io_tls **out, struct err *e)
{
	struct io_tls *t;

	*out = NULL;
	if ((t = tls_new(false, e)) == NULL)
		return e->kind;
	if (client_conf(t, conf, e) != ERR_OK ||
	    attach(t, fd, conf->timeout_s, e) != ERR_OK) {
		io_tls_close(t);
		return e->kind;
	}
	*out = t;
	return ERR_OK;
}

/* ---- server ----------------------------------------------------------- */

static enum err_kind
server_conf(struct io_tls *t, const struct io_tls_server_conf *conf,
    struct err *e)
{
	int rc;

	if (conf->cert_file == NULL || conf->key_file == NULL)
		return err_set(e, ERR_CONFIG, "TLS server needs a certificate "
		    "and a key");
	if (key_pair(t, conf->cert_file, conf->key_file, "server key", e) !=
	    ERR_OK)
		return e->kind;
	if (conf->client_ca_file != NULL) {
		rc = gnutls_certificate_set_x509_trust_file(t->cred,
		    conf->client_ca_file, GNUTLS_X509_FMT_PEM);
		if (rc <= 0)
			return err_set(e, ERR_CONFIG, "client CA file %s: %s",
			    conf->client_ca_file, rc == 0 ? "no certificate" :
			    gnutls_strerror(rc));
		t->client_ca = true;
		t->require_client_cert = conf->require_client_cert;
	}
	if (gnutls_init(&t->sess, GNUTLS_SERVER) < 0)
		return err_set(e, ERR_OS, "gnutls_init failed");
	gnutls_session_set_ptr(t->sess, t);
	if (set_priorities(t->sess, conf->priorities, NULL, e) != ERR_OK)
		return e->kind;
	if (gnutls_credentials_set(t->sess, GNUTLS_CRD_CERTIFICATE, t->cred) <
	    0)
		return err_set(e, ERR_OS, "gnutls_credentials_set failed");
	if (t->client_ca)
		gnutls_certificate_server_set_request(t->sess,
		    t->require_client_cert ? GNUTLS_CERT_REQUIRE :
		    GNUTLS_CERT_REQUEST);
	return ERR_OK;
}

enum err_kind
io_tls_server_start(int fd, const struct io_tls_server_conf *conf,
    struct io_tls **out, struct err *e)
{
	struct io_tls *t;

	*out = NULL;
	if ((t = tls_new(true, e)) == NULL)
		return e->kind;
	if (server_conf(t, conf, e) != ERR_OK ||
	    attach(t, fd, conf->timeout_s, e) != ERR_OK) {
		io_tls_close(t);
		return e->kind;
	}
	if (t->require_client_cert && !t->peer_verified) {
		err_set(e, ERR_TEMP, "client sent no valid certificate");
		io_tls_close(t);
		return ERR_TEMP;
	}
	*out = t;
	return ERR_OK;
}

/* ---- records ---------------------------------------------------------- */

/*
 * A negative record result as read(2)/write(2) would say it: -1 with
 * EAGAIN to poll and call again, else EIO or ECONNRESET with the reason
 * in t->error.
 */
static ssize_t
record_fail(struct io_tls *t, int rc)
{
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		errno = EAGAIN;
		return -1;
	}
	if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED)
		snprintf(t->error, sizeof(t->error), "received alert: %s",
		    gnutls_alert_get_name(gnutls_alert_get(t->sess)));
	else
		snprintf(t->error, sizeof(t->error), "%s",
		    gnutls_strerror(rc));
	errno = rc == GNUTLS_E_PUSH_ERROR || rc == GNUTLS_E_PULL_ERROR ?
	    ECONNRESET : EIO;
	return -1;
}

ssize_t
io_tls_read(struct io_tls *t, void *p, size_t n)
{
	ssize_t rc = GNUTLS_E_AGAIN;
	int i;

	/* Warning alerts and a TLS 1.2 renegotiation request (refused by
	 * ignoring it) are not failures: read on. */
	for (i = 0; i < TLS_RETRY_MAX; i++) {
		rc = gnutls_record_recv(t->sess, p, n);
		if (rc >= 0)
			return rc;
		/* SMTP ends with QUIT and its reply: a close without
		 * close_notify loses nothing the engine has not checked. */
		if (rc == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED ||
		    gnutls_error_is_fatal((int)rc))
			break;
	}
	return record_fail(t, (int)rc);
}

ssize_t
io_tls_write(struct io_tls *t, const void *p, size_t n)
{
	ssize_t rc;

	rc = gnutls_record_send(t->sess, p, n);
	if (rc >= 0)
		return rc;
	return record_fail(t, (int)rc);
}

bool
io_tls_pending(struct io_tls *t)
{
	return t != NULL && gnutls_record_check_pending(t->sess) > 0;
}

bool
io_tls_wants_write(struct io_tls *t)
{
	return t != NULL && gnutls_record_get_direction(t->sess) == 1;
}

const char *
io_tls_error(struct io_tls *t)
{
	return t != NULL && t->error[0] != '\0' ? t->error : "TLS error";
}

/* ---- about the session ------------------------------------------------ */

/* "peer CN=x, SHA256 AB:.." or "no peer certificate". */
static void
describe_peer(struct io_tls *t, struct buf *out)
{
	unsigned char fp[TLS_FP_MAX];
	char cn[TLS_DN_MAX];
	size_t cnlen = sizeof(cn) - 1;
	const gnutls_datum_t *list;
	gnutls_x509_crt_t crt;
	unsigned n = 0;

	list = gnutls_certificate_get_peers(t->sess, &n);
	if (list == NULL || n == 0 || (crt = peer_crt(t->sess)) == NULL) {
		(void)buf_append_str(out, ", no peer certificate");
		return;
	}
	memset(cn, 0, sizeof(cn));
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    0, cn, &cnlen) < 0)
		strlcpy(cn, "?", sizeof(cn));
	gnutls_x509_crt_deinit(crt);
	(void)buf_append_str(out, ", peer CN=");
	(void)buf_append_escaped(out, cn, strlen(cn));
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, list[0].data, list[0].size,
	    fp) < 0)
		return;
	(void)buf_append_str(out, ", SHA256 ");
	hex_colons(fp, TLS_FP_MAX, out);
}

void
io_tls_describe(struct io_tls *t, struct buf *out)
{
	const char *suite;

	if (t == NULL) {
		(void)buf_append_str(out, "no TLS");
		return;
	}
	suite = gnutls_ciphersuite_get(t->sess);
	(void)buf_printf(out, "%s %s", version_name(t->sess),
	    suite != NULL ? suite : "?");
	describe_peer(t, out);
	if (t->auth == TLS_AUTH_DANE_EE || t->auth == TLS_AUTH_DANE_TA)
		(void)buf_printf(out, ", %s verified",
		    t->auth == TLS_AUTH_DANE_EE ? "DANE-EE" : "DANE-TA");
}

const char *
io_tls_version(struct io_tls *t)
{
	return t != NULL ? version_name(t->sess) : "none";
}

const char *
io_tls_auth(struct io_tls *t)
{
	return t != NULL ? tls_auth_names[t->auth] : "none";
}

enum err_kind
io_tls_channel_binding(struct io_tls *t, const char **type, struct buf *out,
    struct err *e)
{
	gnutls_channel_binding_t cb = GNUTLS_CB_TLS_UNIQUE;
	gnutls_datum_t d;
	int rc;

	*type = NULL;
	if (t == NULL)
		return err_set(e, ERR_UNAVAILABLE, "no TLS");
	/* RFC 9266: tls-exporter for TLS 1.3; tls-unique (RFC 5929)
	 * does not exist there. */
	if (gnutls_protocol_get_version(t->sess) == GNUTLS_TLS1_3)
		cb = GNUTLS_CB_TLS_EXPORTER;
	rc = gnutls_session_channel_binding(t->sess, cb, &d);
	if (rc < 0)
		return err_set(e, ERR_UNAVAILABLE, "no channel binding: %s",
		    gnutls_strerror(rc));
	rc = buf_append(out, d.data, d.size);
	gnutls_free(d.data);
	if (rc == -1)
		return err_set(e, ERR_OS, "channel binding: out of memory");
	*type = cb == GNUTLS_CB_TLS_EXPORTER ? "tls-exporter" : "tls-unique";
	return ERR_OK;
}

bool
io_tls_server_name(struct io_tls *t, char *out, size_t outlen)
{
	size_t len = outlen;
	unsigned type;

	if (t == NULL || outlen == 0)
		return false;
	/* len counts the NUL GnuTLS writes after the name. */
	if (gnutls_server_name_get(t->sess, out, &len, &type, 0) < 0 ||
	    type != GNUTLS_NAME_DNS) {
		out[0] = '\0';
		return false;
	}
	return true;
}

bool
io_tls_peer_verified(struct io_tls *t, struct buf *subject)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t dn;

	if (t == NULL || !t->peer_verified)
		return false;
	if (subject != NULL && (crt = peer_crt(t->sess)) != NULL) {
		if (gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0) {
			(void)buf_append(subject, dn.data, dn.size);
			gnutls_free(dn.data);
		}
		gnutls_x509_crt_deinit(crt);
	}
	return true;
}

void
io_tls_close(struct io_tls *t)
{
	if (t == NULL)
		return;
	if (t->sess != NULL) {
		/* Best effort, never a wait: SHUT_WR sends close_notify
		 * and does not read the peer's. */
		if (t->up)
			(void)gnutls_bye(t->sess, GNUTLS_SHUT_WR);
		gnutls_deinit(t->sess);
	}
	if (t->cred != NULL)
		gnutls_certificate_free_credentials(t->cred);
	free(t->tlsa);
	free(t->tlsa_data);
	free(t->names);
	explicit_bzero(t, sizeof(*t));
	free(t);
}
