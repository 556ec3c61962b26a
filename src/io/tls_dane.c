#include "config.h"

/*
 * io_tls DANE: the TLSA records io_tls_client_start() was given, checked
 * against the server's certificates inside the handshake (RFC 6698,
 * RFC 7671, RFC 7672; what is checked is in tls.h).  Shared with tls.c
 * through tls_int.h: tls_dane_conf() before the handshake,
 * tls_dane_verify() from its verify function.
 *
 * Certificates are matched as the server sent them (DER), never as
 * GnuTLS would re-encode them; DANE-TA chains are verified with a
 * GnuTLS trust list holding the TLSA anchor alone.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "io/tls_int.h"

#define TLS_MD_MAX 64			/* SHA2-512, the longest TLSA digest */
#define TLS_TLSA_MAX 65535		/* RFC 1035 3.2.1: RDLENGTH is 16 bits */

/* ---- DANE (inside the handshake) -------------------------------------- */

/*
 * The DER element at *p, before end: its tag and body; *p moves past
 * it.  Definite lengths of up to 4 octets, as in any certificate.
 */
static int
der_next(const unsigned char **p, const unsigned char *end, unsigned *tag,
    const unsigned char **body, size_t *len)
{
	const unsigned char *q = *p;
	size_t n, k;

	if (end - q < 2)
		return -1;
	*tag = *q++;
	n = *q++;
	if (n & 0x80) {
		k = n & 0x7f;
		if (k == 0 || k > 4 || (size_t)(end - q) < k)
			return -1;
		for (n = 0; k > 0; k--)
			n = n << 8 | *q++;
	}
	if ((size_t)(end - q) < n)
		return -1;
	*body = q;
	*len = n;
	*p = q + n;
	return 0;
}

/*
 * The SubjectPublicKeyInfo in the DER certificate [*p, *p + *n), as its
 * bytes stand (RFC 6698 2.1.2: a key GnuTLS re-encoded could differ):
 * tbsCertificate's field after subject (RFC 5280 4.1).
 */
static int
der_spki(const unsigned char **p, size_t *n)
{
	const unsigned char *q = *p, *end = q + *n, *body, *spki;
	unsigned tag;
	size_t len;
	int i;

	/* Into Certificate, then into tbsCertificate. */
	for (i = 0; i < 2; i++) {
		if (der_next(&q, end, &tag, &body, &len) == -1 || tag != 0x30)
			return -1;
		q = body;
		end = body + len;
	}
	/* [0] version when there; serial, signature, issuer, validity,
	 * subject. */
	if (q < end && *q == 0xa0 &&
	    der_next(&q, end, &tag, &body, &len) == -1)
		return -1;
	for (i = 0; i < 5; i++)
		if (der_next(&q, end, &tag, &body, &len) == -1)
			return -1;
	spki = q;
	if (der_next(&q, end, &tag, &body, &len) == -1 || tag != 0x30)
		return -1;
	*p = spki;
	*n = (size_t)(q - spki);
	return 0;
}

/* RFC 6698 2.1.2-2.1.3: r's selector and matching type over der. */
static bool
dane_match(const struct io_tls_dane_rec *r, const gnutls_datum_t *der)
{
	unsigned char md[TLS_MD_MAX];
	const unsigned char *p = der->data;
	size_t n = der->size;

	if (r->selector == IO_TLS_DANE_SPKI && der_spki(&p, &n) == -1)
		return false;
	if (r->mtype == IO_TLS_DANE_FULL)
		return n == r->len && memcmp(p, r->data, n) == 0;
	/* io_tls_dane_usable() let through only digests of the right length. */
	if (gnutls_hash_fast(r->mtype == IO_TLS_DANE_SHA256 ?
	    GNUTLS_DIG_SHA256 : GNUTLS_DIG_SHA512, p, n, md) < 0)
		return false;
	return memcmp(md, r->data, r->len) == 0;
}

/* Some record of this usage matches der. */
static bool
dane_match_any(const struct io_tls *t, unsigned usage,
    const gnutls_datum_t *der)
{
	size_t i;

	for (i = 0; i < t->ntlsa; i++)
		if (t->tlsa[i].usage == usage && dane_match(&t->tlsa[i], der))
			return true;
	return false;
}

static bool
dane_has(const struct io_tls *t, unsigned usage)
{
	size_t i;

	for (i = 0; i < t->ntlsa; i++)
		if (t->tlsa[i].usage == usage)
			return true;
	return false;
}

static void
chain_free(gnutls_x509_crt_t *chain, unsigned n)
{
	unsigned i;

	if (chain == NULL)
		return;
	for (i = 0; i < n; i++)
		if (chain[i] != NULL)
			gnutls_x509_crt_deinit(chain[i]);
	free(chain);
}

/* The certificates the server sent, imported; NULL if one will not. */
static gnutls_x509_crt_t *
chain_import(const gnutls_datum_t *list, unsigned n)
{
	gnutls_x509_crt_t *chain = calloc(n, sizeof(*chain));
	unsigned i;

	if (chain == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (gnutls_x509_crt_init(&chain[i]) < 0 ||
		    gnutls_x509_crt_import(chain[i], &list[i],
		    GNUTLS_X509_FMT_DER) < 0)
			break;
	if (i == n)
		return chain;
	chain_free(chain, n);
	return NULL;
}

/* A chain that failed against the TLSA anchor, in one line. */
static void
dane_ta_reason(struct io_tls *t, unsigned status)
{
	char r[ERR_MSG_MAX];

	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
		strlcpy(t->error, "DANE-TA: certificate does not chain to the "
		    "TLSA trust anchor", sizeof(t->error));
		return;
	}
	tls_status_reason(t, status);
	strlcpy(r, t->error, sizeof(r));
	strlcpy(t->error, "DANE-TA: ", sizeof(t->error));
	(void)strlcat(t->error, r, sizeof(t->error));
}

/* RFC 7672 3.2.3: the leaf names the MX host or another reference name. */
static int
dane_name(struct io_tls *t, gnutls_x509_crt_t leaf)
{
	size_t i;

	if (gnutls_x509_crt_check_hostname2(leaf, t->host, 0))
		return 0;
	for (i = 0; i < t->nnames; i++)
		if (gnutls_x509_crt_check_hostname2(leaf, t->names[i], 0))
			return 0;
	snprintf(t->error, sizeof(t->error), "DANE-TA: certificate does not "
	    "match host %s", t->host);
	for (i = 0; i < t->nnames; i++) {
		(void)strlcat(t->error, " or ", sizeof(t->error));
		(void)strlcat(t->error, t->names[i], sizeof(t->error));
	}
	return -1;
}

/* The server's chain with ta_der as its only trust anchor, then the name. */
static int
dane_chain(struct io_tls *t, gnutls_x509_crt_t *chain, unsigned n,
    const gnutls_datum_t *ta_der)
{
	gnutls_typed_vdata_st purpose = { GNUTLS_DT_KEY_PURPOSE_OID,
	    (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0 };
	gnutls_x509_trust_list_t tl;
	gnutls_x509_crt_t ta = NULL;
	unsigned status = 0;
	int rc;

	if (gnutls_x509_trust_list_init(&tl, 0) < 0)
		return -1;
	/* Once added, ta belongs to the list. */
	if (gnutls_x509_crt_init(&ta) < 0 || gnutls_x509_crt_import(ta,
	    ta_der, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_trust_list_add_cas(tl, &ta, 1, 0) != 1) {
		if (ta != NULL)
			gnutls_x509_crt_deinit(ta);
		gnutls_x509_trust_list_deinit(tl, 1);
		return -1;
	}
	/* The anchor's dates do not matter, the chain's do (RFC 7671
	 * 5.2); the leaf never stands in for the anchor. */
	rc = gnutls_x509_trust_list_verify_crt2(tl, chain, n, &purpose, 1,
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
	    GNUTLS_VERIFY_DO_NOT_ALLOW_SAME, &status, NULL);
	gnutls_x509_trust_list_deinit(tl, 1);
	if (rc < 0)
		status |= GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND;
	if (status != 0) {
		dane_ta_reason(t, status);
		return -1;
	}
	return dane_name(t, chain[0]);
}

/*
 * DANE-TA: the anchor is a certificate the server sent above its leaf
 * (RFC 7671 5.2.2 asks servers to send it), or the certificate a
 * "2 0 0" record carries whole.  The last failed anchor gives the reason.
 */
static int
dane_ta(struct io_tls *t, const gnutls_datum_t *list, unsigned n)
{
	const struct io_tls_dane_rec *r;
	gnutls_x509_crt_t *chain;
	gnutls_datum_t d;
	unsigned i;
	size_t k;
	int rc = -1;

	if ((chain = chain_import(list, n)) == NULL) {
		strlcpy(t->error, "DANE-TA: cannot parse the server's "
		    "certificates", sizeof(t->error));
		return -1;
	}
	for (i = 1; i < n && rc != 0; i++)
		if (dane_match_any(t, IO_TLS_DANE_TA, &list[i]))
			rc = dane_chain(t, chain, n, &list[i]);
	for (k = 0; k < t->ntlsa && rc != 0; k++) {
		r = &t->tlsa[k];
		if (r->usage != IO_TLS_DANE_TA ||
		    r->selector != IO_TLS_DANE_CERT ||
		    r->mtype != IO_TLS_DANE_FULL)
			continue;
		d.data = (unsigned char *)r->data;
		d.size = (unsigned)r->len;	/* <= TLS_TLSA_MAX */
		rc = dane_chain(t, chain, n, &d);
	}
	chain_free(chain, n);
	return rc;
}

/* DANE in place of every other check; DANE-EE first, it needs no chain. */
int
tls_dane_verify(struct io_tls *t)
{
	const gnutls_datum_t *list;
	unsigned n = 0;

	if (t->ntlsa == 0) {
		snprintf(t->error, sizeof(t->error), "DANE: no usable TLSA "
		    "record for %s", t->host);
		return -1;
	}
	list = gnutls_certificate_get_peers(t->sess, &n);
	if (list == NULL || n == 0) {
		strlcpy(t->error, "server sent no certificate",
		    sizeof(t->error));
		return -1;
	}
	/* RFC 7672 3.1.1: neither names nor dates for DANE-EE. */
	if (dane_match_any(t, IO_TLS_DANE_EE, &list[0])) {
		t->auth = TLS_AUTH_DANE_EE;
		return 0;
	}
	if (dane_has(t, IO_TLS_DANE_TA) && dane_ta(t, list, n) == 0) {
		t->error[0] = '\0';	/* from an anchor tried before */
		t->auth = TLS_AUTH_DANE_TA;
		return 0;
	}
	if (t->error[0] == '\0')
		snprintf(t->error, sizeof(t->error), "DANE: no TLSA record "
		    "matches the certificate of %s", t->host);
	return -1;
}

/* ---- the records and names (io_tls_client_start) ---------------------- */

/* RFC 7672 2.2: what we cannot use is ignored, not an error. */
bool
io_tls_dane_usable(const struct io_tls_dane_rec *r)
{
	if ((r->usage != IO_TLS_DANE_TA && r->usage != IO_TLS_DANE_EE) ||
	    r->selector > IO_TLS_DANE_SPKI || r->data == NULL ||
	    r->len > TLS_TLSA_MAX)
		return false;
	switch (r->mtype) {
	case IO_TLS_DANE_FULL:
		return r->len > 0;
	case IO_TLS_DANE_SHA256:
		return r->len == 32;
	case IO_TLS_DANE_SHA512:
		return r->len == 64;
	default:
		return false;
	}
}

/* The usable records, copied: conf is not kept past the handshake. */
static enum err_kind
dane_records(struct io_tls *t, const struct io_tls_conf *conf,
    struct err *e)
{
	const struct io_tls_dane_rec *r;
	size_t i, n = 0, bytes = 0;

	for (i = 0; conf->dane != NULL && i < conf->ndane; i++)
		if (io_tls_dane_usable(&conf->dane[i])) {
			n++;
			bytes += conf->dane[i].len;
			if (bytes > SIZE_MAX / 2)
				return err_set(e, ERR_CONFIG, "too many "
				    "TLSA records");
		}
	if (n == 0)
		return ERR_OK;
	t->tlsa = reallocarray(NULL, n, sizeof(*t->tlsa));
	t->tlsa_data = malloc(bytes);
	if (t->tlsa == NULL || t->tlsa_data == NULL)
		return err_set(e, ERR_OS, "out of memory");
	for (i = 0, bytes = 0; i < conf->ndane; i++) {
		r = &conf->dane[i];
		if (!io_tls_dane_usable(r))
			continue;
		memcpy(t->tlsa_data + bytes, r->data, r->len);
		t->tlsa[t->ntlsa] = *r;
		t->tlsa[t->ntlsa++].data = t->tlsa_data + bytes;
		bytes += r->len;
	}
	return ERR_OK;
}

/* conf.dane_names as A-labels without a final dot, like t->host. */
static enum err_kind
dane_names(struct io_tls *t, const struct io_tls_conf *conf, struct err *e)
{
	const char *name;
	size_t i, len;
	bool is_ip;

	if (conf->dane_names == NULL || conf->ndane_names == 0)
		return ERR_OK;
	t->names = reallocarray(NULL, conf->ndane_names, sizeof(*t->names));
	if (t->names == NULL)
		return err_set(e, ERR_OS, "out of memory");
	for (i = 0; i < conf->ndane_names; i++) {
		if ((name = conf->dane_names[i]) == NULL || name[0] == '\0')
			continue;
		if (tls_host_alabel(name, t->names[t->nnames], TLS_HOST_MAX,
		    &is_ip, e) != ERR_OK)
			return e->kind;
		len = strlen(t->names[t->nnames]);
		if (len > 1 && t->names[t->nnames][len - 1] == '.')
			t->names[t->nnames][len - 1] = '\0';
		t->nnames++;
	}
	return ERR_OK;
}

enum err_kind
tls_dane_conf(struct io_tls *t, const struct io_tls_conf *conf, struct err *e)
{
	t->dane = true;
	if (t->host[0] == '\0')
		return err_set(e, ERR_CONFIG, "DANE needs the server's host "
		    "name");
	if (dane_records(t, conf, e) != ERR_OK ||
	    dane_names(t, conf, e) != ERR_OK)
		return e->kind;
	return ERR_OK;
}
