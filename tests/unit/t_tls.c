/*
 * t_tls: io_tls client against io_tls server over a socketpair, the
 * server in a forked child.  Certificates come fresh from
 * tests/data/mkcerts.sh and tests/data/dane-mkcerts.sh (certtool) in a
 * temporary folder.
 *
 * The child shakes hands, reads one line, and answers with its view of
 * the session: "<version> <channel binding type> <hex> <io_tls_auth>
 * <client subject or ->"; the parent compares it with its own.  The
 * child exits 0 after a handshake, 1 when it failed.
 *
 * DANE: the TLSA data is computed here apart from io/tls_dane.c (the
 * public key as GnuTLS exports it, where tls_dane.c takes the
 * certificate's own bytes).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "io/tls.h"
#include "tap.h"

#define LINE_MAX_T 2048

static char certs[256];

struct srv {
	const char *cert;		/* NAME in certs/ */
	const char *priorities;
	bool client_ca;
	bool require;
};

struct run {
	enum err_kind rc;
	char msg[ERR_MSG_MAX];
	char version[16];
	char auth[16];			/* io_tls_auth() */
	char describe[LINE_MAX_T];
	char cb_type[32];
	char cb_hex[LINE_MAX_T];
	char server_line[LINE_MAX_T];	/* the child's answer */
	int server_status;		/* its exit status */
};

static const char *
path(const char *name, const char *ext)
{
	static char p[8][512];
	static int k;

	k = (k + 1) % 8;
	snprintf(p[k], sizeof(p[k]), "%s/%s.%s", certs, name, ext);
	return p[k];
}

static void
hex(const unsigned char *p, size_t n, char *out, size_t outlen)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n && 2 * i + 3 <= outlen; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* Write all of s through TLS, polling on EAGAIN. */
static int
tls_put(struct io_tls *t, int fd, const char *s)
{
	size_t n = strlen(s), done = 0;
	struct pollfd pfd;
	ssize_t rc;

	while (done < n) {
		rc = io_tls_write(t, s + done, n - done);
		if (rc > 0) {
			done += (size_t)rc;
			continue;
		}
		if (rc == -1 && errno != EAGAIN)
			return -1;
		pfd.fd = fd;
		pfd.events = io_tls_wants_write(t) ? POLLOUT : POLLIN;
		if (poll(&pfd, 1, 5000) <= 0)
			return -1;
	}
	return 0;
}

/* One line (without "\n") through TLS. */
static int
tls_getline(struct io_tls *t, int fd, char *out, size_t outlen)
{
	struct pollfd pfd;
	size_t n = 0;
	ssize_t rc;
	char c;

	while (n + 1 < outlen) {
		rc = io_tls_read(t, &c, 1);
		if (rc == 1) {
			if (c == '\n')
				break;
			out[n++] = c;
			continue;
		}
		if (rc == 0 || errno != EAGAIN)
			return -1;
		pfd.fd = fd;
		pfd.events = io_tls_wants_write(t) ? POLLOUT : POLLIN;
		if (!io_tls_pending(t) && poll(&pfd, 1, 5000) <= 0)
			return -1;
	}
	out[n] = '\0';
	return 0;
}

static void
child(int fd, const struct srv *sv)
{
	struct io_tls_server_conf sc;
	struct io_tls *t;
	struct buf cb, subj;
	const char *type;
	char line[LINE_MAX_T], cbhex[LINE_MAX_T], ans[3 * LINE_MAX_T];
	struct err e;

	memset(&sc, 0, sizeof(sc));
	sc.cert_file = path(sv->cert, "pem");
	sc.key_file = path(sv->cert, "key");
	sc.client_ca_file = sv->client_ca ? path("ca", "pem") : NULL;
	sc.require_client_cert = sv->require;
	sc.priorities = sv->priorities;
	sc.timeout_s = 5;
	if (io_tls_server_start(fd, &sc, &t, &e) != ERR_OK)
		_exit(1);
	buf_init(&cb, 1024);
	buf_init(&subj, 1024);
	if (io_tls_channel_binding(t, &type, &cb, &e) != ERR_OK)
		type = "none";
	hex((const unsigned char *)cb.data, cb.len, cbhex, sizeof(cbhex));
	if (!io_tls_peer_verified(t, &subj))
		(void)buf_append_str(&subj, "-");
	if (tls_getline(t, fd, line, sizeof(line)) == 0) {
		snprintf(ans, sizeof(ans), "%s %s %s %s %s\n",
		    io_tls_version(t), type, cbhex, io_tls_auth(t),
		    buf_str(&subj));
		(void)tls_put(t, fd, ans);
	}
	io_tls_close(t);
	buf_free(&cb);
	buf_free(&subj);
	_exit(0);
}

/* Client side of one run; the server child per sv. */
static void
run(const struct io_tls_conf *cc, const struct srv *sv, struct run *r)
{
	struct io_tls *t = NULL;
	struct buf b;
	const char *type;
	struct err e;
	int sp[2], status;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1) {
		r->rc = ERR_OS;
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(sp[0]);
		child(sp[1], sv);
	}
	close(sp[1]);
	err_clear(&e);
	r->rc = io_tls_client_start(sp[0], cc, &t, &e);
	strlcpy(r->msg, e.msg, sizeof(r->msg));
	if (r->rc == ERR_OK) {
		strlcpy(r->version, io_tls_version(t), sizeof(r->version));
		strlcpy(r->auth, io_tls_auth(t), sizeof(r->auth));
		buf_init(&b, 4096);
		io_tls_describe(t, &b);
		strlcpy(r->describe, buf_str(&b), sizeof(r->describe));
		buf_reset(&b);
		if (io_tls_channel_binding(t, &type, &b, &e) == ERR_OK) {
			strlcpy(r->cb_type, type, sizeof(r->cb_type));
			hex((const unsigned char *)b.data, b.len, r->cb_hex,
			    sizeof(r->cb_hex));
		}
		buf_free(&b);
		if (tls_put(t, sp[0], "hello\n") == -1 ||
		    tls_getline(t, sp[0], r->server_line,
		    sizeof(r->server_line)) == -1)
			snprintf(r->server_line, sizeof(r->server_line),
			    "read failed: %s", io_tls_error(t));
		io_tls_close(t);
	}
	close(sp[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	r->server_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
conf_init(struct io_tls_conf *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->host = "mail.test.example";
	cc->trust_file = path("ca", "pem");
	cc->certcheck = true;
	cc->timeout_s = 5;
}

/* SHA-256 or SHA-1 fingerprint of NAME.pem, "AA:BB:.." or plain hex. */
static void
fingerprint(const char *name, gnutls_digest_algorithm_t alg, bool colons,
    char *out, size_t outlen)
{
	unsigned char fp[64];
	size_t n = sizeof(fp), i, k = 0;
	gnutls_datum_t d;
	gnutls_x509_crt_t crt;

	out[0] = '\0';
	if (gnutls_load_file(path(name, "pem"), &d) < 0)
		return;
	gnutls_x509_crt_init(&crt);
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) >= 0 &&
	    gnutls_x509_crt_get_fingerprint(crt, alg, fp, &n) >= 0)
		for (i = 0; i < n && k + 4 < outlen; i++)
			k += (size_t)snprintf(out + k, outlen - k, colons ?
			    "%s%02X" : "%s%02x", colons && i > 0 ? ":" : "",
			    fp[i]);
	gnutls_x509_crt_deinit(crt);
	gnutls_free(d.data);
}

static void
test_good(void)
{
	struct io_tls_conf cc;
	struct srv sv = { "good", NULL, false, false };
	struct run r;
	char want[2 * LINE_MAX_T], fp[256];

	conf_init(&cc);
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_OK, "CA-signed: handshake");
	tap_is_str(r.version, "TLSv1.3", "CA-signed: TLS 1.3 by default");
	fingerprint("good", GNUTLS_DIG_SHA256, true, fp, sizeof(fp));
	snprintf(want, sizeof(want), "TLSv1.3 TLS_AES_256_GCM_SHA384, peer "
	    "CN=mail.test.example, SHA256 %s", fp);
	tap_is_str(r.describe, want, "describe: version, suite, CN, SHA256");
	tap_is_str(r.auth, "pkix", "CA-signed: authenticated by pkix");
	tap_is_str(r.cb_type, "tls-exporter", "TLS 1.3: tls-exporter");
	snprintf(want, sizeof(want), "TLSv1.3 tls-exporter %s none -",
	    r.cb_hex);
	tap_ok(strlen(r.cb_hex) == 64, "tls-exporter: 32 bytes");
	tap_is_str(r.server_line, want, "server sees the same binding");
	tap_is_int(r.server_status, 0, "server: handshake done");

	sv.priorities = "NORMAL:-VERS-TLS1.3";
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_OK, "TLS 1.2 server: handshake");
	tap_is_str(r.version, "TLSv1.2", "TLS 1.2 server: version");
	tap_is_str(r.cb_type, "tls-unique", "TLS 1.2: tls-unique");
	snprintf(want, sizeof(want), "TLSv1.2 tls-unique %s none -",
	    r.cb_hex);
	tap_ok(strlen(r.cb_hex) >= 24, "tls-unique: a Finished message");
	tap_is_str(r.server_line, want, "TLS 1.2: server sees the same "
	    "binding");

	cc.min_version = "TLSv1.3";
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_TEMP, "tls_min_version TLSv1.3 vs a 1.2 "
	    "server: refused");
	tap_ok(strncmp(r.msg, "handshake failed: ", 18) == 0,
	    "min version: %s", r.msg);
	cc.min_version = "TLSv1.2";
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_OK, "tls_min_version TLSv1.2 vs a 1.2 server");
}

/* One refused verification: ERR_TEMP and exactly this reason. */
static void
refused(const char *cert, const char *host, const char *want,
    const char *name)
{
	struct io_tls_conf cc;
	struct srv sv = { cert, NULL, false, false };
	struct run r;
	char what[256];

	conf_init(&cc);
	if (host != NULL)
		cc.host = host;
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_TEMP, name);
	snprintf(what, sizeof(what), "%s: the reason", name);
	tap_is_str(r.msg, want, what);
	tap_ok(r.server_status == 1, "%s: server handshake failed too", name);
}

static void
accepted(const char *cert, const char *host, const char *name)
{
	struct io_tls_conf cc;
	struct srv sv = { cert, NULL, false, false };
	struct run r;

	conf_init(&cc);
	cc.host = host;
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_OK, name);
	if (r.rc != ERR_OK)
		tap_diag("%s", r.msg);
}

static void
test_verify(void)
{
	refused("expired", NULL, "certificate has expired", "expired");
	refused("notyet", NULL, "certificate is not yet valid",
	    "not yet valid");
	refused("wronghost", NULL, "certificate does not match host "
	    "mail.test.example", "wrong host");
	refused("good", "smtp.test.example", "certificate does not match "
	    "host smtp.test.example", "wrong host asked for");
	refused("selfsigned", NULL, "certificate signer is not trusted "
	    "(self-signed certificate)", "self-signed");
	refused("unknownca", NULL, "certificate signer is not trusted",
	    "unknown CA");
	refused("wildcard", "a.b.test.example", "certificate does not match "
	    "host a.b.test.example", "wildcard covers one label only");
	accepted("wildcard", "mail.test.example", "wildcard *.test.example");
	accepted("idn", "b\xc3\xbc" "cher.test.example",
	    "IDN host checked as its A-label");
	accepted("idn", "xn--bcher-kva.test.example", "A-label host");
	accepted("ip", "127.0.0.1", "IP literal against an IP SAN");
	accepted("revoked", "mail.test.example", "revoked, but no CRL given");
	refused("good", "127.0.0.1", "certificate does not match host "
	    "127.0.0.1", "IP literal against a DNS name");
}

static void
test_crl(void)
{
	struct io_tls_conf cc;
	struct srv sv = { "revoked", NULL, false, false };
	struct run r;

	conf_init(&cc);
	cc.crl_file = path("crl", "pem");
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_TEMP, "revoked in tls_crl_file: refused");
	tap_is_str(r.msg, "certificate has been revoked", "revoked: reason");
	sv.cert = "good";
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_OK, "CRL given, certificate not in it");
}

static void
test_pins(void)
{
	struct io_tls_conf cc;
	struct srv sv = { "selfsigned", NULL, false, false };
	struct log lg;
	struct run r;
	char fp[512], want[256];

	conf_init(&cc);
	cc.trust_file = "/nonexistent";		/* not even read */
	fingerprint("selfsigned", GNUTLS_DIG_SHA256, true, fp, sizeof(fp));
	cc.fingerprint = fp;
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_OK, "pin SHA-256 AA:BB: self-signed accepted");
	tap_is_str(r.auth, "fingerprint", "pin: authenticated by fingerprint");
	fingerprint("selfsigned", GNUTLS_DIG_SHA256, false, fp, sizeof(fp));
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_OK, "pin SHA-256 plain lower-case hex");
	cc.host = "other.example";
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_OK, "pin: the name is not checked");
	cc.host = "mail.test.example";
	fingerprint("good", GNUTLS_DIG_SHA256, true, fp, sizeof(fp));
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_TEMP, "wrong pin refused");
	fingerprint("selfsigned", GNUTLS_DIG_SHA256, true, want, sizeof(want));
	snprintf(fp, sizeof(fp), "fingerprint mismatch: got SHA256 %s", want);
	tap_is_str(r.msg, fp, "wrong pin: says what it got");
	fingerprint("selfsigned", GNUTLS_DIG_SHA1, true, fp, sizeof(fp));
	log_init(&lg, LOG_SINK_CAPTURE, LOG_DEBUG, "t");
	cc.log = &lg;
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_OK, "pin SHA-1 accepted");
	tap_ok(strstr(buf_str(&lg.capture), "SHA-1") != NULL,
	    "pin SHA-1: warned");
	log_free(&lg);
	cc.log = NULL;
	cc.fingerprint = "AB:CD";
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_CONFIG, "bad pin syntax: config error");

	conf_init(&cc);
	cc.certcheck = false;
	cc.trust_file = "/nonexistent";
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_OK, "certcheck off: self-signed accepted");
	tap_is_str(r.auth, "none", "certcheck off: not authenticated");
}

static void
test_client_cert(void)
{
	struct io_tls_conf cc;
	struct srv sv = { "good", NULL, true, true };
	struct run r;

	conf_init(&cc);
	cc.cert_file = path("client", "pem");
	cc.key_file = path("client", "key");
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_OK, "client certificate: handshake");
	tap_ok(strstr(r.server_line, " pkix CN=client.example") != NULL,
	    "client certificate: verified by the server (%s)",
	    r.server_line);
	sv.priorities = "NORMAL:-VERS-TLS1.3";
	run(&cc, &sv, &r);
	tap_ok(strstr(r.server_line, "CN=client.example") != NULL,
	    "client certificate over TLS 1.2: verified");
	sv.priorities = NULL;

	conf_init(&cc);
	run(&cc, &sv, &r);
	tap_is_int(r.server_status, 1, "no client certificate: server "
	    "refuses");
	tap_ok(r.rc != ERR_OK || strncmp(r.server_line, "read failed: ",
	    13) == 0, "no client certificate: client fails (%s%s)", r.msg,
	    r.server_line);
	sv.require = false;
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_OK, "client certificate requested, not "
	    "required: handshake");
	tap_ok(strstr(r.server_line, " none -") != NULL, "not verified: %s",
	    r.server_line);
}

static void
test_config_errors(void)
{
	struct io_tls_conf cc;
	struct srv sv = { "good", NULL, false, false };
	struct run r;

	conf_init(&cc);
	cc.priorities = "NORMAL:+NOPE";
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_CONFIG, "bad priority string");
	tap_ok(strstr(r.msg, "tls_priorities") != NULL, "%s", r.msg);
	conf_init(&cc);
	cc.trust_file = "/nonexistent/ca.pem";
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_CONFIG, "missing trust file");
	conf_init(&cc);
	cc.key_file = path("client", "key");
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_CONFIG, "key without certificate");
	conf_init(&cc);
	cc.min_version = "SSLv3";
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_CONFIG, "bad tls_min_version");
	conf_init(&cc);
	cc.crl_file = "/nonexistent/crl.pem";
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_CONFIG, "missing CRL file");
}

/* A peer that never answers: the handshake deadline holds. */
static void
test_timeout(void)
{
	struct io_tls_conf cc;
	struct io_tls *t;
	struct err e;
	int sp[2];

	conf_init(&cc);
	cc.timeout_s = 1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1) {
		tap_skip(2, "socketpair failed");
		return;
	}
	tap_is_int(io_tls_client_start(sp[0], &cc, &t, &e), ERR_TEMP,
	    "silent server: temporary");
	tap_is_str(e.msg, "handshake timed out after 1 s", "silent server");
	close(sp[0]);
	close(sp[1]);
}

/* ---- DANE ------------------------------------------------------------- */

#define TLSA_RECS_MAX 8

/* One TLSA record and the bytes it points at. */
struct tlsa {
	struct io_tls_dane_rec r;
	unsigned char buf[4096];
};

/* The DER certificate (selector 0) or public key (other selectors). */
static int
tlsa_select(const char *name, unsigned selector, gnutls_datum_t *der)
{
	gnutls_datum_t pem;
	gnutls_x509_crt_t crt;
	gnutls_pubkey_t pub;
	int rc = -1;

	if (gnutls_load_file(path(name, "pem"), &pem) < 0)
		return -1;
	gnutls_x509_crt_init(&crt);
	gnutls_pubkey_init(&pub);
	if (gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) >= 0) {
		if (selector == IO_TLS_DANE_CERT)
			rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER,
			    der);
		else if (gnutls_pubkey_import_x509(pub, crt, 0) >= 0)
			rc = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER,
			    der);
	}
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crt_deinit(crt);
	gnutls_free(pem.data);
	return rc < 0 ? -1 : 0;
}

/*
 * "USAGE SELECTOR MTYPE" for the first certificate of NAME.pem.  An
 * unknown matching type gets a SHA2-256 digest: right but for the type.
 */
static void
tlsa(struct tlsa *t, const char *name, unsigned usage, unsigned selector,
    unsigned mtype)
{
	gnutls_datum_t der;

	memset(t, 0, sizeof(*t));
	t->r.usage = (unsigned char)usage;
	t->r.selector = (unsigned char)selector;
	t->r.mtype = (unsigned char)mtype;
	t->r.data = t->buf;
	if (tlsa_select(name, selector, &der) == -1) {
		tap_diag("cannot read %s", name);
		return;
	}
	if (mtype == IO_TLS_DANE_FULL && der.size <= sizeof(t->buf)) {
		memcpy(t->buf, der.data, der.size);
		t->r.len = der.size;
	} else if (mtype == IO_TLS_DANE_SHA512) {
		gnutls_hash_fast(GNUTLS_DIG_SHA512, der.data, der.size, t->buf);
		t->r.len = 64;
	} else {
		gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, t->buf);
		t->r.len = 32;
	}
	gnutls_free(der.data);
}

/* A client with these records and names against the server's cert. */
static void
dane_run(const char *cert, const char *host, const struct tlsa *recs,
    size_t n, const char *const *names, size_t nnames, struct run *r)
{
	struct io_tls_dane_rec rr[TLSA_RECS_MAX];
	struct io_tls_conf cc;
	struct srv sv = { cert, NULL, false, false };
	size_t i;

	conf_init(&cc);
	cc.host = host;
	cc.trust_file = "/nonexistent";		/* DANE: not even read */
	for (i = 0; i < n && i < TLSA_RECS_MAX; i++)
		rr[i] = recs[i].r;
	cc.dane = rr;
	cc.ndane = i;
	cc.dane_names = names;
	cc.ndane_names = nnames;
	run(&cc, &sv, r);
}

static void
dane_ok(const char *what, const char *cert, const char *host,
    const struct tlsa *recs, size_t n, const char *auth)
{
	struct run r;

	dane_run(cert, host, recs, n, NULL, 0, &r);
	tap_ok(r.rc == ERR_OK && strcmp(r.auth, auth) == 0 &&
	    strncmp(r.server_line, "TLSv1.3 ", 8) == 0, "%s: %s", what,
	    r.rc == ERR_OK ? r.auth : r.msg);
}

static void
dane_refused(const char *what, const char *cert, const char *host,
    const struct tlsa *recs, size_t n, const char *want)
{
	struct run r;

	dane_run(cert, host, recs, n, NULL, 0, &r);
	tap_ok(r.rc == ERR_TEMP && strcmp(r.msg, want) == 0 &&
	    r.server_status == 1, "%s: refused (%s)", what, r.msg);
}

static void
test_dane_ee(void)
{
	struct tlsa t[1];
	struct run r;
	char want[LINE_MAX_T], fp[256];
	const char *nomatch = "DANE: no TLSA record matches the certificate "
	    "of mail.test.example";

	/* Self-signed, expired, named wrong.invalid: DANE-EE only. */
	tlsa(&t[0], "dane-ee", 3, 1, 1);
	dane_run("dane-ee", "mail.test.example", t, 1, NULL, 0, &r);
	tap_is_int(r.rc, ERR_OK, "DANE-EE 3 1 1: expired self-signed "
	    "certificate with another name accepted");
	tap_is_str(r.auth, "dane-ee", "DANE-EE: io_tls_auth");
	fingerprint("dane-ee", GNUTLS_DIG_SHA256, true, fp, sizeof(fp));
	snprintf(want, sizeof(want), "TLSv1.3 TLS_AES_256_GCM_SHA384, peer "
	    "CN=wrong.invalid, SHA256 %s, DANE-EE verified", fp);
	tap_is_str(r.describe, want, "DANE-EE: describe says so");
	tap_ok(strncmp(r.server_line, "TLSv1.3 tls-exporter ", 21) == 0,
	    "DANE-EE: data flows (%s)", r.server_line);

	tlsa(&t[0], "dane-ee", 3, 0, 0);
	dane_ok("DANE-EE 3 0 0, the whole certificate", "dane-ee",
	    "mail.test.example", t, 1, "dane-ee");
	tlsa(&t[0], "dane-ee", 3, 1, 2);
	dane_ok("DANE-EE 3 1 2, SHA2-512", "dane-ee", "mail.test.example",
	    t, 1, "dane-ee");
	tlsa(&t[0], "dane-ee", 3, 0, 1);
	dane_ok("DANE-EE 3 0 1", "dane-ee", "mail.test.example", t, 1,
	    "dane-ee");
	tlsa(&t[0], "dane-ee", 3, 1, 0);
	dane_ok("DANE-EE 3 1 0, the whole public key", "dane-ee",
	    "mail.test.example", t, 1, "dane-ee");
	tlsa(&t[0], "good", 3, 1, 1);
	dane_ok("DANE-EE of a leaf sent with its CA", "dane-chain",
	    "other.example", t, 1, "dane-ee");

	tlsa(&t[0], "good", 3, 1, 1);
	dane_refused("DANE-EE of another certificate", "dane-ee",
	    "mail.test.example", t, 1, nomatch);
	tlsa(&t[0], "dane-ee", 3, 1, 1);
	t[0].buf[31] ^= 1;
	dane_refused("DANE-EE, one bit off", "dane-ee", "mail.test.example",
	    t, 1, nomatch);
	tlsa(&t[0], "dane-ee", 3, 0, 0);
	t[0].r.len--;
	dane_refused("DANE-EE 3 0 0, a byte short", "dane-ee",
	    "mail.test.example", t, 1, nomatch);
	tlsa(&t[0], "selfsigned", 3, 1, 1);
	dane_refused("DANE-EE of a certificate PKIX would accept with a pin",
	    "dane-ee", "mail.test.example", t, 1, nomatch);
}

/* DANE replaces the pin and certcheck, both ways; it needs a host. */
static void
test_dane_first(void)
{
	struct tlsa t[2];
	struct io_tls_conf cc;
	struct srv sv = { "dane-ee", NULL, false, false };
	struct run r;
	char fp[256];

	conf_init(&cc);
	cc.certcheck = false;
	fingerprint("dane-ee", GNUTLS_DIG_SHA256, true, fp, sizeof(fp));
	cc.fingerprint = fp;
	tlsa(&t[0], "good", 3, 1, 1);
	cc.dane = &t[0].r;
	cc.ndane = 1;
	run(&cc, &sv, &r);
	tap_is_str(r.msg, "DANE: no TLSA record matches the certificate of "
	    "mail.test.example", "DANE mismatch: a right pin and certcheck "
	    "off do not help");
	fingerprint("good", GNUTLS_DIG_SHA256, true, fp, sizeof(fp));
	tlsa(&t[1], "dane-ee", 3, 1, 1);
	cc.dane = &t[1].r;
	run(&cc, &sv, &r);
	tap_ok(r.rc == ERR_OK && strcmp(r.auth, "dane-ee") == 0,
	    "DANE match: a wrong pin is not looked at (%s)", r.msg);
	cc.host = NULL;
	run(&cc, &sv, &r);
	tap_is_int(r.rc, ERR_CONFIG, "DANE without a host name: config error");
}

static void
test_dane_ta(void)
{
	struct tlsa t[2];
	struct run r;
	size_t n;
	const char *mx = "mx.other.example";
	const char *names[] = { "next.example", "mail.test.example." };
	const char *nomatch = "DANE: no TLSA record matches the certificate "
	    "of mail.test.example";

	tlsa(&t[0], "ca", 2, 1, 1);
	dane_run("dane-chain", "mail.test.example", t, 1, NULL, 0, &r);
	tap_is_int(r.rc, ERR_OK, "DANE-TA 2 1 1 of the CA, leaf and CA sent");
	tap_is_str(r.auth, "dane-ta", "DANE-TA: io_tls_auth");
	n = strlen(r.describe);
	tap_ok(strstr(r.describe, "CN=mail.test.example, SHA256 ") != NULL &&
	    n > 18 && strcmp(r.describe + n - 18, ", DANE-TA verified") == 0,
	    "DANE-TA: describe ends so (%s)", r.describe);
	dane_refused("DANE-TA, a name the leaf does not have", "dane-chain",
	    mx, t, 1, "DANE-TA: certificate does not match host "
	    "mx.other.example");
	dane_run("dane-chain", mx, t, 1, names, 2, &r);
	tap_ok(r.rc == ERR_OK && strcmp(r.auth, "dane-ta") == 0,
	    "DANE-TA: a dane_names name (final dot) matches (%s)", r.msg);
	dane_run("dane-chain", mx, t, 1, names, 1, &r);
	tap_is_str(r.msg, "DANE-TA: certificate does not match host "
	    "mx.other.example or next.example", "DANE-TA: no name matches");
	dane_refused("DANE-TA, expired leaf", "dane-chain-expired",
	    "mail.test.example", t, 1, "DANE-TA: certificate has expired");
	tlsa(&t[0], "ca", 2, 0, 1);
	dane_ok("DANE-TA 2 0 1 of the CA", "dane-chain", "mail.test.example",
	    t, 1, "dane-ta");
	tlsa(&t[0], "ca", 2, 1, 2);
	dane_ok("DANE-TA 2 1 2 of the CA", "dane-chain", "mail.test.example",
	    t, 1, "dane-ta");

	tlsa(&t[0], "dane-oldca", 2, 1, 1);
	dane_ok("DANE-TA: the anchor's own dates do not count",
	    "dane-chain-oldca", "mail.test.example", t, 1, "dane-ta");
	tlsa(&t[0], "dane-inter", 2, 1, 1);
	dane_ok("DANE-TA: an intermediate as the anchor", "dane-chain3",
	    "mail.test.example", t, 1, "dane-ta");
	tlsa(&t[0], "ca", 2, 1, 1);
	dane_ok("DANE-TA: the root above an intermediate", "dane-chain3",
	    "mail.test.example", t, 1, "dane-ta");

	dane_refused("DANE-TA: the CA not sent", "good", "mail.test.example",
	    t, 1, nomatch);
	tlsa(&t[0], "ca", 2, 0, 0);
	dane_ok("DANE-TA 2 0 0: the record holds the CA the server did not "
	    "send", "good", "mail.test.example", t, 1, "dane-ta");
	dane_refused("DANE-TA 2 0 0: a leaf the CA did not sign",
	    "unknownca", "mail.test.example", t, 1, "DANE-TA: certificate "
	    "does not chain to the TLSA trust anchor");
	tlsa(&t[0], "good", 2, 1, 1);
	dane_refused("DANE-TA of the leaf itself: a leaf is no anchor",
	    "dane-chain", "mail.test.example", t, 1, nomatch);
}

static void
test_dane_records(void)
{
	struct tlsa t[TLSA_RECS_MAX];
	const char *unusable = "DANE: no usable TLSA record for "
	    "mail.test.example";

	tlsa(&t[0], "ca", 0, 1, 1);
	tlsa(&t[1], "good", 1, 1, 1);
	dane_refused("PKIX-TA and PKIX-EE only", "dane-chain",
	    "mail.test.example", t, 2, unusable);
	tlsa(&t[0], "good", 4, 1, 1);
	tlsa(&t[1], "good", 3, 2, 1);
	tlsa(&t[2], "good", 3, 1, 3);
	tlsa(&t[3], "good", 3, 1, 1);
	t[3].r.len = 31;
	tlsa(&t[4], "good", 3, 1, 2);
	t[4].r.len = 32;
	dane_refused("unknown usage, selector, matching type; digests of "
	    "the wrong length", "dane-chain", "mail.test.example", t, 5,
	    unusable);

	/* Several: one match is enough, the unusable ones do not spoil it. */
	tlsa(&t[5], "good", 3, 1, 2);
	t[5].buf[0] ^= 1;
	tlsa(&t[6], "ca2", 2, 1, 1);
	tlsa(&t[7], "good", 3, 0, 1);
	dane_ok("several records, the last one matches", "dane-chain",
	    "mail.test.example", t, 8, "dane-ee");
	tlsa(&t[7], "ca", 2, 1, 1);
	dane_ok("several records, a DANE-TA one matches", "dane-chain",
	    "mail.test.example", t, 8, "dane-ta");
	tlsa(&t[7], "dane-ee", 3, 1, 1);
	dane_refused("several records, none matches", "dane-chain",
	    "mail.test.example", t, 8, "DANE: no TLSA record matches the "
	    "certificate of mail.test.example");
}

int
main(void)
{
	const char *src = getenv("top_srcdir");
	char cmd[1024];

	signal(SIGPIPE, SIG_IGN);
	snprintf(certs, sizeof(certs), "/tmp/postie-t_tls.XXXXXX");
	if (mkdtemp(certs) == NULL) {
		tap_skip(1, "mkdtemp failed");
		return tap_done();
	}
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/data/mkcerts.sh' '%s' && "
	    "sh '%s/tests/data/dane-mkcerts.sh' '%s'", src != NULL ? src : "..",
	    certs, src != NULL ? src : "..", certs);
	if (system(cmd) != 0) {
		tap_skip(1, "cannot make certificates (certtool missing?)");
		return tap_done();
	}
	test_good();
	test_verify();
	test_crl();
	test_pins();
	test_client_cert();
	test_config_errors();
	test_timeout();
	test_dane_ee();
	test_dane_first();
	test_dane_ta();
	test_dane_records();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", certs);
	(void)system(cmd);
	return tap_done();
}
