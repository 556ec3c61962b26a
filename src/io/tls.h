/*
 * io_tls: a TLS stream over a connected socket (GnuTLS), for the client
 * (STARTTLS and implicit TLS) and for the test server.
 *
 * The session driver (io/session.c) reads and writes through it once it is
 * set in struct io_session.tls; nothing else touches the socket then.
 *
 * Client verification (io_tls_client_start), in this order:
 *   - conf.ndane > 0: DANE (RFC 6698, RFC 7671, RFC 7672; the code is
 *     in io/tls_dane.c), and nothing below applies (no trust store is
 *     read, certcheck and fingerprint are not looked at).  One matching
 *     record is enough:
 *       DANE-EE (usage 3): the peer's certificate matches; its names and
 *       dates are not checked (RFC 7672 3.1.1).
 *       DANE-TA (usage 2): a certificate the server sent, its leaf
 *       excepted (a trust anchor issues certificates; OpenSSL reads
 *       RFC 7671 5.2 the same way), matches, or a "2 0 0" record holds
 *       the whole certificate (RFC 7671 5.2.2: the server may then omit
 *       it); the leaf must chain to that certificate with valid dates
 *       (the anchor's own dates are not checked) and name conf.host or
 *       one of conf.dane_names (RFC 7672 3.2.3).  A "2 1 0" public key
 *       matches only when its certificate is in the chain.
 *     Records of other usages, selectors or matching types, and digests
 *     of the wrong length, are ignored; when none is left the handshake
 *     fails ("DANE: no usable TLSA record for mx.example.org").
 *   - conf.fingerprint set: the peer certificate's SHA-256 (or, with a
 *     warning, SHA-1) fingerprint must match; CA and name are not checked.
 *   - conf.certcheck false: nothing is checked (the caller warns).
 *   - else the chain must verify against conf.trust_file, or the system
 *     trust store (loaded only here, only when TLS is used), with
 *     conf.crl_file when given, and the certificate must match conf.host
 *     (RFC 6125; IDN names compared as A-labels); a stapled OCSP response
 *     that says "revoked" fails.
 * SNI carries conf.host as an A-label (not for IP literals).
 *
 * Errors: ERR_TEMP for every handshake or verification failure (a TLS
 * failure may be transient or an attack: never "delivered", never sent in
 * clear), with a one-line reason ("certificate has expired", "certificate
 * does not match host mail.example.org", "handshake failed: ..."); ERR_CONFIG
 * for unusable configuration (bad priority string, unreadable trust file,
 * bad fingerprint syntax, key without certificate, DANE without
 * conf.host); ERR_OS.
 *
 * The socket is put in non-blocking mode (the session driver polls).
 *
 * Ownership: io_tls_close() ends the TLS session (a close_notify is sent,
 * best effort) and frees it; the socket stays the caller's.
 */
#ifndef POSTIE_IO_TLS_H
#define POSTIE_IO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

/* TLSA fields (RFC 6698 2.1, RFC 7218 names). */
#define IO_TLS_DANE_TA		2	/* usage DANE-TA */
#define IO_TLS_DANE_EE		3	/* usage DANE-EE */
#define IO_TLS_DANE_CERT	0	/* selector: the DER certificate */
#define IO_TLS_DANE_SPKI	1	/* selector: its DER SubjectPublicKeyInfo */
#define IO_TLS_DANE_FULL	0	/* matching type: the selected bytes */
#define IO_TLS_DANE_SHA256	1	/* matching type: their SHA2-256 */
#define IO_TLS_DANE_SHA512	2	/* matching type: their SHA2-512 */

/* One TLSA record; data (len bytes) is borrowed like the conf. */
struct io_tls_dane_rec {
	unsigned char usage, selector, mtype;
	size_t len;
	const unsigned char *data;
};

/*
 * Whether DANE can use r (the rule above: usage 2 or 3, selector 0 or 1,
 * matching type 0, 1 or 2 with data of its length).  RFC 7672 2.2: a
 * host whose validated TLSA records are all unusable gets TLS without
 * authentication, so the caller decides with this before it asks for
 * DANE.
 */
bool io_tls_dane_usable(const struct io_tls_dane_rec *r);

/* Read during io_tls_client_start only: nothing in it is kept. */
struct io_tls_conf {
	const char *host;		/* name to verify and send as SNI */
	const char *trust_file;		/* PEM CAs; NULL: system store */
	const char *crl_file;		/* PEM CRL or NULL */
	const char *fingerprint;	/* "AA:BB:..." SHA-256 (32 bytes) or
					 * SHA-1 (20 bytes); NULL: none */
	bool certcheck;			/* false only when configured so */
	const char *cert_file;		/* client certificate (PEM) or NULL */
	const char *key_file;		/* its key (PEM) or NULL */
	const char *priorities;		/* GnuTLS priority string or NULL */
	const char *min_version;	/* "TLSv1.2", "TLSv1.3" or NULL */
	int timeout_s;			/* handshake deadline */
	struct log *log;		/* warnings (SHA-1 pin, certcheck off) */
	const struct io_tls_dane_rec *dane;	/* TLSA records (DNSSEC
					 * validated: the caller's duty) */
	size_t ndane;			/* > 0: verify by DANE only */
	const char *const *dane_names;	/* DANE-TA names besides host, like
					 * the next-hop domain */
	size_t ndane_names;
};

struct io_tls_server_conf {
	const char *cert_file;		/* PEM chain */
	const char *key_file;		/* PEM key */
	const char *client_ca_file;	/* request and verify client certs
					 * against these CAs; NULL: none */
	bool require_client_cert;
	const char *priorities;		/* GnuTLS priority string or NULL
					 * ("NORMAL"); tests use it to offer
					 * one TLS version only */
	int timeout_s;
};

struct io_tls;

/* Handshake as a client on the connected socket fd (non-blocking ok). */
enum err_kind io_tls_client_start(int fd, const struct io_tls_conf *conf,
    struct io_tls **out, struct err *e);
/* Handshake as a server. */
enum err_kind io_tls_server_start(int fd, const struct io_tls_server_conf *conf,
    struct io_tls **out, struct err *e);

/*
 * Read/write like read(2)/write(2) on a non-blocking socket: bytes done,
 * 0 for read at the peer's orderly close, -1 with errno EAGAIN when the
 * socket is not ready (poll, then call again with the same arguments),
 * -1 with another errno (EIO, ECONNRESET) for a failed session.
 */
ssize_t io_tls_read(struct io_tls *t, void *p, size_t n);
ssize_t io_tls_write(struct io_tls *t, const void *p, size_t n);
/* Decrypted bytes are buffered inside: read before polling the socket. */
bool io_tls_pending(struct io_tls *t);
/*
 * After -1/EAGAIN from io_tls_read or io_tls_write: true when GnuTLS
 * was blocked writing (poll for POLLOUT), false when reading (POLLIN).
 * A read may need to write (TLS 1.3 key update) and the reverse.
 */
bool io_tls_wants_write(struct io_tls *t);
/*
 * Why the last io_tls_read/io_tls_write failed with an errno other than
 * EAGAIN, one line ("received alert: Certificate is required").
 * Borrowed, valid until the next call on t.
 */
const char *io_tls_error(struct io_tls *t);

/*
 * One line for -v and the log: "TLSv1.3 TLS_AES_256_GCM_SHA384, peer
 * CN=mail.example.org, SHA256 AB:CD:...", and ", DANE-EE verified" (or
 * DANE-TA) after it when DANE authenticated the peer.
 */
void io_tls_describe(struct io_tls *t, struct buf *out);
/* "TLSv1.3" (static string). */
const char *io_tls_version(struct io_tls *t);
/*
 * How the peer was authenticated (static string): "dane-ee", "dane-ta",
 * "pkix" (chain and name verified; on a server: the client's certificate
 * verified), "fingerprint", or "none" (certcheck off, no client
 * certificate, t NULL).
 */
const char *io_tls_auth(struct io_tls *t);

/*
 * Channel binding data (RFC 5929 tls-unique, RFC 9266 tls-exporter) of
 * this session: "tls-exporter" for TLS 1.3, "tls-unique" for TLS 1.2.
 * *type gets the type's name (static).  ERR_UNAVAILABLE when none.
 */
enum err_kind io_tls_channel_binding(struct io_tls *t, const char **type,
    struct buf *out, struct err *e);

/* The client certificate was verified (server side, EXTERNAL); its
 * subject DN in out. */
bool io_tls_peer_verified(struct io_tls *t, struct buf *subject);

/* Server side: the name the client sent as SNI (RFC 6066 3) into out,
 * NUL-terminated; false when it sent none (or out is too small). */
bool io_tls_server_name(struct io_tls *t, char *out, size_t outlen);

void io_tls_close(struct io_tls *t);	/* t may be NULL */

#endif
