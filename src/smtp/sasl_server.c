#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "smtp/sasl.h"
#include "smtp/sasl_int.h"
#include "smtp/sasl_server.h"
#include "util/base64.h"

/*
 * Layout: first what the client (sasl.c) shares with this file
 * (sasl_int.h: SCRAM arithmetic, SASLprep, SCRAM syntax); then the
 * exchange's common frame (base64 in and out, the step count), one
 * verifier per mechanism, each a small state machine over s->phase, and
 * the table and the public functions.
 */

/* ---- shared: SCRAM arithmetic (RFC 5802 section 3) --------------------- */

static const struct sasl_scram_alg scram_algs[] = {
	{ "SCRAM-SHA-256", GNUTLS_MAC_SHA256, GNUTLS_DIG_SHA256, 32 },
	{ "SCRAM-SHA-1", GNUTLS_MAC_SHA1, GNUTLS_DIG_SHA1, 20 },
};

const struct sasl_scram_alg *
sasl_scram_alg(const char *mech, bool *plus)
{
	size_t i, n;

	for (i = 0; i < sizeof(scram_algs) / sizeof(scram_algs[0]); i++) {
		n = strlen(scram_algs[i].base);
		if (strncasecmp(mech, scram_algs[i].base, n) != 0)
			continue;
		if (mech[n] == '\0' || strcasecmp(mech + n, "-PLUS") == 0) {
			*plus = mech[n] != '\0';
			return &scram_algs[i];
		}
	}
	return NULL;
}

int
sasl_hmac(const struct sasl_scram_alg *a, const void *key, size_t klen,
    const void *msg, size_t mlen, unsigned char *out)
{
	return gnutls_hmac_fast((gnutls_mac_algorithm_t)a->mac, key, klen, msg,
	    mlen, out) < 0 ? -1 : 0;
}

int
sasl_scram_derive(const struct sasl_scram_alg *a, const void *pw,
    size_t pwlen, const void *salt, size_t saltlen, unsigned iter,
    struct sasl_scram_keys *k)
{
	gnutls_datum_t key = { (unsigned char *)(uintptr_t)pw,
	    (unsigned)pwlen };
	gnutls_datum_t s = { (unsigned char *)(uintptr_t)salt,
	    (unsigned)saltlen };

	/* SaltedPassword := Hi(Normalize(password), salt, i): PBKDF2. */
	if (gnutls_pbkdf2((gnutls_mac_algorithm_t)a->mac, &key, &s, iter,
	    k->salted, a->len) < 0)
		return -1;
	if (sasl_hmac(a, k->salted, a->len, "Client Key", 10, k->client) ==
	    -1 ||
	    sasl_hmac(a, k->salted, a->len, "Server Key", 10, k->server) ==
	    -1 ||
	    gnutls_hash_fast((gnutls_digest_algorithm_t)a->dig, k->client,
	    a->len, k->stored) < 0)
		return -1;
	return 0;
}

bool
sasl_equal(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= p[i] ^ q[i];
	return d == 0;
}

int
sasl_nonce(struct buf *out)
{
	unsigned char r[SASL_NONCE_BYTES];
	int rc;

	if (gnutls_rnd(GNUTLS_RND_NONCE, r, sizeof(r)) < 0)
		return -1;
	rc = base64_encode(out, r, sizeof(r));
	explicit_bzero(r, sizeof(r));
	return rc;
}

/* ---- shared: SCRAM syntax (RFC 5802 section 7) ------------------------- */

int
sasl_scram_escape(struct buf *out, const char *name)
{
	int rc = 0;

	for (; *name != '\0' && rc == 0; name++)
		if (*name == '=')
			rc = buf_append_str(out, "=3D");
		else if (*name == ',')
			rc = buf_append_str(out, "=2C");
		else
			rc = buf_append_byte(out, (unsigned char)*name);
	return rc;
}

int
sasl_scram_unescape(struct buf *out, const char *p, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (p[i] == ',')
			return -1;
		if (p[i] != '=') {
			rc = buf_append_byte(out, (unsigned char)p[i]);
			continue;
		}
		if (n - i < 3)
			return -1;
		if (strncmp(p + i, "=3D", 3) == 0)
			rc = buf_append_byte(out, '=');
		else if (strncmp(p + i, "=2C", 3) == 0)
			rc = buf_append_byte(out, ',');
		else
			return -1;
		i += 2;
	}
	return rc;
}

const char *
sasl_scram_attr(const char *msg, char key, size_t *len)
{
	const char *p = msg;

	for (;;) {
		if (p[0] == key && p[1] == '=') {
			*len = strcspn(p + 2, ",");
			return p + 2;
		}
		if ((p = strchr(p, ',')) == NULL)
			return NULL;
		p++;
	}
}

/* ---- shared: SASLprep (RFC 4013, see sasl_int.h) ------------------------ */

/* One UTF-8 sequence at s (n bytes left): its code point and length. */
static int
utf8_next(const unsigned char *s, size_t n, unsigned long *cp, size_t *len)
{
	size_t i, l;
	unsigned long c;

	if (s[0] < 0x80) {
		*cp = s[0];
		*len = 1;
		return 0;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		l = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		l = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		l = 4, c = s[0] & 0x07;
	else
		return -1;
	if (l > n)
		return -1;
	for (i = 1; i < l; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates (C.5) and beyond U+10FFFF. */
	if ((l == 3 && c < 0x800) || (l == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return -1;
	*cp = c;
	*len = l;
	return 0;
}

/* RFC 3454 B.1: mapped to nothing. */
static bool
maps_to_nothing(unsigned long c)
{
	return c == 0xad || c == 0x34f || c == 0x1806 ||
	    (c >= 0x180b && c <= 0x180d) || (c >= 0x200b && c <= 0x200d) ||
	    c == 0x2060 || (c >= 0xfe00 && c <= 0xfe0f) || c == 0xfeff;
}

/* RFC 3454 C.1.2: non-ASCII space, mapped to SPACE (RFC 4013 2.1). */
static bool
is_nonascii_space(unsigned long c)
{
	return c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	    c == 0x202f || c == 0x205f || c == 0x3000;
}

/* RFC 4013 2.3: C.2.1, C.2.2, C.3, C.4, C.6, C.7, C.8, C.9 (C.5 above). */
static bool
prohibited(unsigned long c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x6dd ||
	    c == 0x70f || c == 0x180e || (c >= 0x200e && c <= 0x200f) ||
	    (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) ||
	    c == 0x340 || c == 0x341 || (c >= 0x2ff0 && c <= 0x2ffb) ||
	    (c >= 0xe000 && c <= 0xf8ff) || (c >= 0xfdd0 && c <= 0xfdef) ||
	    (c & 0xfffe) == 0xfffe || (c >= 0xfff9 && c <= 0xfffd) ||
	    (c >= 0x1d173 && c <= 0x1d17a) || c >= 0xf0000 ||
	    c == 0xe0001 || (c >= 0xe0020 && c <= 0xe007f);
}

int
sasl_saslprep(const char *in, size_t n, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)in;
	unsigned long c;
	size_t i, len;

	for (i = 0; i < n; i += len) {
		if (utf8_next(s + i, n - i, &c, &len) == -1)
			return -1;
		if (maps_to_nothing(c))
			continue;
		if (is_nonascii_space(c)) {
			if (buf_append_byte(out, ' ') == -1)
				return -1;
			continue;
		}
		if (prohibited(c) || buf_append(out, s + i, len) == -1)
			return -1;
	}
	return 0;
}

/* ---- the server ------------------------------------------------------ */


#define SRV_RAW_MAX 16384		/* one decoded response */
#define SRV_USER_MAX 512

enum srv_status {
	CONTINUE = SMTP_SASL_SERVER_CONTINUE,
	OK = SMTP_SASL_SERVER_OK,
	FAIL = SMTP_SASL_SERVER_FAIL,
	MALFORMED = SMTP_SASL_SERVER_MALFORMED,
	ERROR = SMTP_SASL_SERVER_ERROR
};

struct smtp_sasl_server;

/*
 * One mechanism: in is the decoded response (NULL when AUTH came without
 * an initial response); the raw challenge or final data goes to out.
 */
struct srv_mech {
	const char *name;
	enum srv_status (*step)(struct smtp_sasl_server *,
	    const struct buf *in, struct buf *out);
};

struct smtp_sasl_server {
	struct smtp_sasl_server_conf conf;
	const struct srv_mech *mech;
	unsigned phase;			/* the mechanism's own state */
	unsigned steps;
	struct buf user;		/* the authenticated user, at OK */
	struct buf saved;		/* LOGIN user, CRAM-MD5 challenge,
					 * SCRAM client-first-bare */
	/* SCRAM */
	const struct sasl_scram_alg *alg;
	bool plus;
	struct buf gs2;			/* the client's gs2-header */
	struct buf server_first;
	struct sasl_scram_keys keys;
};

/* Phases shared by the mechanisms that have more than one round. */
enum {
	PH_FIRST,		/* nothing received yet */
	PH_SECOND,		/* LOGIN: user given; SCRAM: server-first sent;
				 * CRAM-MD5: challenge sent */
	PH_THIRD,		/* LOGIN: password asked; SCRAM: v= sent;
				 * OAuth: error sent */
	PH_DONE
};

/* ---- helpers ---- */

/* The password of user, into pw; -1 when no such user. */
static int
get_password(struct smtp_sasl_server *s, const char *user, struct secret *pw)
{
	secret_init(pw);
	if (s->conf.password == NULL ||
	    s->conf.password(s->conf.arg, user, pw) != 0 ||
	    !secret_is_set(pw)) {
		secret_free(pw);
		return -1;
	}
	return 0;
}

static bool
same_secret(const struct secret *a, const void *p, size_t n)
{
	return a->len == n && sasl_equal(a->data, p, n);
}

static enum srv_status
set_user(struct smtp_sasl_server *s, const char *user, size_t n)
{
	buf_reset(&s->user);
	if (n == 0 || memchr(user, '\0', n) != NULL ||
	    buf_append(&s->user, user, n) == -1)
		return FAIL;
	return OK;
}

/* An empty first step: AUTH came without an initial response. */
static enum srv_status
ask_initial(struct smtp_sasl_server *s)
{
	if (s->phase != PH_FIRST || s->steps > 1)
		return MALFORMED;
	return CONTINUE;
}

/* ---- PLAIN (RFC 4616) ---- */

static enum srv_status
plain_step(struct smtp_sasl_server *s, const struct buf *in, struct buf *out)
{
	const char *zid, *cid, *pass, *end;
	struct secret pw;
	enum srv_status st;

	(void)out;
	if (in == NULL)
		return ask_initial(s);
	zid = buf_str(in);
	end = zid + in->len;
	/* [authzid] NUL authcid NUL passwd: exactly two NULs. */
	if ((cid = memchr(zid, '\0', in->len)) == NULL)
		return MALFORMED;
	cid++;
	if ((pass = memchr(cid, '\0', (size_t)(end - cid))) == NULL)
		return MALFORMED;
	pass++;
	if (memchr(pass, '\0', (size_t)(end - pass)) != NULL || *cid == '\0')
		return MALFORMED;
	/* Acting for someone else is not supported: authzid empty or ours. */
	if (*zid != '\0' && strcmp(zid, cid) != 0)
		return FAIL;
	if (get_password(s, cid, &pw) == -1)
		return FAIL;
	st = same_secret(&pw, pass, (size_t)(end - pass)) ?
	    set_user(s, cid, strlen(cid)) : FAIL;
	secret_free(&pw);
	return st;
}

/* ---- LOGIN ---- */

static enum srv_status
login_step(struct smtp_sasl_server *s, const struct buf *in, struct buf *out)
{
	struct secret pw;
	enum srv_status st;

	if (s->phase == PH_FIRST && in == NULL) {
		s->phase = PH_SECOND;
		return buf_append_str(out, "Username:") == -1 ? ERROR :
		    CONTINUE;
	}
	if (s->phase == PH_FIRST || s->phase == PH_SECOND) {
		/* The user name: an initial response, or the answer. */
		buf_reset(&s->saved);
		if (in == NULL || in->len == 0 ||
		    memchr(in->data, '\0', in->len) != NULL ||
		    buf_append(&s->saved, in->data, in->len) == -1)
			return MALFORMED;
		s->phase = PH_THIRD;
		return buf_append_str(out, "Password:") == -1 ? ERROR :
		    CONTINUE;
	}
	if (s->phase != PH_THIRD || in == NULL)
		return MALFORMED;
	s->phase = PH_DONE;
	if (get_password(s, buf_str(&s->saved), &pw) == -1)
		return FAIL;
	st = same_secret(&pw, in->data, in->len) ?
	    set_user(s, s->saved.data, s->saved.len) : FAIL;
	secret_free(&pw);
	return st;
}

/* ---- CRAM-MD5 (RFC 2195) ---- */

/* RFC 2195 section 2 wants "<unique.timestamp@host>"; with no clock in
 * this layer, both numbers are random. */
static enum srv_status
cram_challenge(struct smtp_sasl_server *s, struct buf *out)
{
	uint64_t r[2];

	if (gnutls_rnd(GNUTLS_RND_NONCE, r, sizeof(r)) < 0)
		return ERROR;
	buf_reset(&s->saved);
	if (buf_printf(&s->saved, "<%llu.%llu@postie>",
	    (unsigned long long)r[0], (unsigned long long)r[1]) == -1 ||
	    buf_append(out, s->saved.data, s->saved.len) == -1)
		return ERROR;
	s->phase = PH_SECOND;
	return CONTINUE;
}

static enum srv_status
cram_step(struct smtp_sasl_server *s, const struct buf *in, struct buf *out)
{
	unsigned char mac[16];
	char hex[33];
	const char *sp;
	struct secret pw;
	enum srv_status st = FAIL;
	size_t i, ulen;

	if (s->phase == PH_FIRST)
		return in != NULL ? MALFORMED : cram_challenge(s, out);
	if (s->phase != PH_SECOND || in == NULL)
		return MALFORMED;
	s->phase = PH_DONE;
	/* "user SP digest": the digest is 32 lower-case hex digits. */
	sp = in->len > 33 ? in->data + in->len - 33 : NULL;
	if (sp == NULL || *sp != ' ' || memchr(in->data, '\0', in->len))
		return MALFORMED;
	ulen = (size_t)(sp - in->data);
	if (set_user(s, in->data, ulen) != OK ||
	    get_password(s, buf_str(&s->user), &pw) == -1)
		return FAIL;
	if (gnutls_hmac_fast(GNUTLS_MAC_MD5, pw.data, pw.len, s->saved.data,
	    s->saved.len, mac) >= 0) {
		for (i = 0; i < sizeof(mac); i++)
			snprintf(hex + 2 * i, 3, "%02x", mac[i]);
		st = sasl_equal(hex, sp + 1, 32) ? OK : FAIL;
	}
	explicit_bzero(mac, sizeof(mac));
	explicit_bzero(hex, sizeof(hex));
	secret_free(&pw);
	return st;
}

/* ---- XOAUTH2, OAUTHBEARER ---- */

/* The token check; a failure sends the JSON error (RFC 7628 3.2.2). */
static enum srv_status
oauth_check(struct smtp_sasl_server *s, const char *user, size_t ulen,
    const char *token, size_t tlen, struct buf *out)
{
	struct buf u, t;
	enum srv_status st = FAIL;

	buf_init(&u, SRV_USER_MAX);
	buf_init(&t, SRV_RAW_MAX);
	if (ulen > 0 && tlen > 0 && buf_append(&u, user, ulen) == 0 &&
	    buf_append(&t, token, tlen) == 0 && s->conf.token != NULL &&
	    s->conf.token(s->conf.arg, buf_str(&u), buf_str(&t)) == 0)
		st = set_user(s, u.data, u.len);
	buf_free(&u);
	buf_wipe_free(&t);
	if (st == OK)
		return OK;
	s->phase = PH_THIRD;
	return buf_append_str(out, "{\"status\":\"invalid_token\","
	    "\"schemes\":\"bearer\",\"scope\":\"mail\"}") == -1 ? ERROR :
	    CONTINUE;
}

/* The value of "key=" in ^A-separated pairs (p, n bytes); NULL if none. */
static const char *
kv_find(const char *p, size_t n, const char *key, size_t *vlen)
{
	const char *end = p + n, *e;
	size_t klen = strlen(key);

	while (p < end) {
		e = memchr(p, 0x01, (size_t)(end - p));
		if (e == NULL)
			e = end;
		if ((size_t)(e - p) > klen && strncmp(p, key, klen) == 0) {
			*vlen = (size_t)(e - p) - klen;
			return p + klen;
		}
		p = e + 1;
	}
	return NULL;
}

/* The token of "auth=Bearer TOKEN" among the pairs. */
static const char *
bearer(const char *p, size_t n, size_t *tlen)
{
	const char *v = kv_find(p, n, "auth=", tlen);

	if (v == NULL || *tlen <= 7 || strncasecmp(v, "Bearer ", 7) != 0)
		return NULL;
	*tlen -= 7;
	return v + 7;
}

/* The pairs must end in ^A^A (RFC 7628 3.1; XOAUTH2 likewise). */
static bool
kv_closed(const struct buf *in, size_t from)
{
	return in->len >= from + 2 && in->data[in->len - 1] == 0x01 &&
	    in->data[in->len - 2] == 0x01 && memchr(in->data, '\0',
	    in->len) == NULL;
}

static enum srv_status
xoauth2_step(struct smtp_sasl_server *s, const struct buf *in,
    struct buf *out)
{
	const char *u, *t;
	size_t ulen, tlen;

	if (s->phase == PH_THIRD)
		return FAIL;	/* the client's answer to our error */
	if (in == NULL)
		return ask_initial(s);
	if (!kv_closed(in, 0) ||
	    (u = kv_find(in->data, in->len, "user=", &ulen)) == NULL ||
	    (t = bearer(in->data, in->len, &tlen)) == NULL)
		return MALFORMED;
	return oauth_check(s, u, ulen, t, tlen, out);
}

static enum srv_status
oauthbearer_step(struct smtp_sasl_server *s, const struct buf *in,
    struct buf *out)
{
	const char *p, *a, *t;
	struct buf user;
	size_t alen, tlen, hlen;
	enum srv_status st;

	if (s->phase == PH_THIRD)
		return FAIL;
	if (in == NULL)
		return ask_initial(s);
	p = buf_str(in);
	/* gs2-header: "n," or "y," (no channel binding), "a=user,". */
	if (in->len < 3 || (p[0] != 'n' && p[0] != 'y') || p[1] != ',' ||
	    (a = sasl_scram_attr(p + 2, 'a', &alen)) != p + 4)
		return MALFORMED;
	hlen = 4 + alen + 1;
	if (in->len <= hlen || p[hlen - 1] != ',' || p[hlen] != 0x01 ||
	    !kv_closed(in, hlen) ||
	    (t = bearer(p + hlen + 1, in->len - hlen - 1, &tlen)) == NULL)
		return MALFORMED;
	buf_init(&user, SRV_USER_MAX);
	if (sasl_scram_unescape(&user, a, alen) == -1)
		st = MALFORMED;
	else
		st = oauth_check(s, user.data, user.len, t, tlen, out);
	buf_free(&user);
	return st;
}

/* ---- EXTERNAL (RFC 4422 appendix A) ---- */

static enum srv_status
external_step(struct smtp_sasl_server *s, const struct buf *in,
    struct buf *out)
{
	const char *id = s->conf.external_id;

	(void)out;
	if (in == NULL)
		return ask_initial(s);
	if (id == NULL)
		return FAIL;
	/* The authzid: empty (the certificate's identity) or the same. */
	if (in->len != 0 && (in->len != strlen(id) ||
	    memcmp(in->data, id, in->len) != 0))
		return FAIL;
	return set_user(s, id, strlen(id));
}

/* ---- SCRAM (RFC 5802, RFC 7677) ---- */

/*
 * The gs2-header (RFC 5802 section 7), its length into *hlen.  The
 * channel binding flag must fit the mechanism: -PLUS needs "p=" with our
 * binding type; "y" while we offer -PLUS (we have binding data) means an
 * attacker took -PLUS out of the list we sent (section 6): a downgrade.
 */
static enum srv_status
scram_gs2(struct smtp_sasl_server *s, const char *m, size_t *hlen)
{
	const char *a, *rest;
	size_t n, alen;

	if (m[0] == 'p' && m[1] == '=') {
		n = strcspn(m + 2, ",");
		if (!s->plus || s->conf.cb_type == NULL ||
		    s->conf.cb_data == NULL || strlen(s->conf.cb_type) != n ||
		    strncmp(m + 2, s->conf.cb_type, n) != 0)
			return FAIL;
		rest = m + 2 + n;
	} else if ((m[0] == 'n' || m[0] == 'y') && !s->plus) {
		if (m[0] == 'y' && s->conf.cb_data != NULL)
			return FAIL;
		rest = m + 1;
	} else {
		return s->plus ? FAIL : MALFORMED;
	}
	if (*rest++ != ',')
		return MALFORMED;
	if (*rest != ',') {
		/* authzid: none, or the user itself (checked later). */
		if ((a = sasl_scram_attr(rest, 'a', &alen)) != rest + 2)
			return MALFORMED;
		rest = a + alen;
	}
	if (*rest++ != ',')
		return MALFORMED;
	*hlen = (size_t)(rest - m);
	return OK;
}

/* The salt (s= of server-first), fresh or conf.test_salt, as base64. */
static enum srv_status
scram_salt(struct smtp_sasl_server *s, struct buf *b64, struct buf *raw)
{
	unsigned char r[16];

	if (s->conf.test_salt != NULL)
		return buf_append_str(b64, s->conf.test_salt) == 0 &&
		    base64_decode(raw, s->conf.test_salt,
		    strlen(s->conf.test_salt)) == 0 ? OK : ERROR;
	if (gnutls_rnd(GNUTLS_RND_NONCE, r, sizeof(r)) < 0 ||
	    buf_append(raw, r, sizeof(r)) == -1 ||
	    base64_encode(b64, r, sizeof(r)) == -1)
		return ERROR;
	return OK;
}

/* server-first-message: r=cnonce+snonce,s=salt,i=iterations. */
static enum srv_status
scram_server_first(struct smtp_sasl_server *s, const char *cnonce,
    size_t clen, const struct secret *pw, struct buf *out)
{
	struct buf salt64, salt, prep;
	unsigned iter = s->conf.scram_iterations != 0 ?
	    s->conf.scram_iterations : SASL_SCRAM_ITER_DEFAULT;
	enum srv_status st;

	buf_init(&salt64, 256);
	buf_init(&salt, 256);
	buf_init(&prep, SRV_RAW_MAX);
	st = scram_salt(s, &salt64, &salt);
	if (st == OK && sasl_saslprep(pw->data, pw->len, &prep) == -1)
		st = FAIL;
	if (st == OK && sasl_scram_derive(s->alg, prep.data != NULL ?
	    prep.data : "", prep.len, salt.data, salt.len, iter,
	    &s->keys) == -1)
		st = ERROR;
	buf_reset(&s->server_first);
	if (st == OK && (buf_append_str(&s->server_first, "r=") == -1 ||
	    buf_append(&s->server_first, cnonce, clen) == -1 ||
	    (s->conf.test_nonce != NULL ? buf_append_str(&s->server_first,
	    s->conf.test_nonce) : sasl_nonce(&s->server_first)) == -1 ||
	    buf_printf(&s->server_first, ",s=%s,i=%u", buf_str(&salt64),
	    iter) == -1 || buf_append(out, s->server_first.data,
	    s->server_first.len) == -1))
		st = ERROR;
	buf_free(&salt64);
	buf_free(&salt);
	buf_wipe_free(&prep);
	return st == OK ? CONTINUE : st;
}

/* client-first-message: gs2-header, then "n=user,r=nonce[,ext]". */
static enum srv_status
scram_client_first(struct smtp_sasl_server *s, const struct buf *in,
    struct buf *out)
{
	const char *m = buf_str(in), *bare, *n, *r, *a;
	size_t hlen = 0, nlen = 0, rlen = 0, alen = 0;
	struct secret pw;
	enum srv_status st;

	if (in->len == 0 || memchr(in->data, '\0', in->len) != NULL)
		return MALFORMED;
	if ((st = scram_gs2(s, m, &hlen)) != OK)
		return st;
	bare = m + hlen;
	if ((n = sasl_scram_attr(bare, 'n', &nlen)) != bare + 2 ||
	    (r = sasl_scram_attr(bare, 'r', &rlen)) != n + nlen + 3 ||
	    rlen == 0 || buf_append(&s->gs2, m, hlen) == -1 ||
	    buf_append_str(&s->saved, bare) == -1 ||
	    sasl_scram_unescape(&s->user, n, nlen) == -1 || s->user.len == 0)
		return MALFORMED;
	a = sasl_scram_attr(m, 'a', &alen);
	if (a != NULL && a < bare && (alen != nlen || memcmp(a, n, nlen) != 0))
		return FAIL;
	if (get_password(s, buf_str(&s->user), &pw) == -1)
		return FAIL;
	s->phase = PH_SECOND;
	st = scram_server_first(s, r, rlen, &pw, out);
	secret_free(&pw);
	return st;
}

/* c= must carry our gs2-header, and for -PLUS our channel binding. */
static bool
scram_cbind_ok(struct smtp_sasl_server *s, const char *c, size_t clen)
{
	struct buf got, want;
	bool ok;

	buf_init(&got, SRV_RAW_MAX);
	buf_init(&want, SRV_RAW_MAX);
	ok = base64_decode(&got, c, clen) == 0 &&
	    buf_append(&want, s->gs2.data, s->gs2.len) == 0 &&
	    (!s->plus || buf_append(&want, s->conf.cb_data,
	    s->conf.cb_len) == 0) && got.len == want.len &&
	    sasl_equal(got.data, want.data, got.len);
	buf_free(&got);
	buf_free(&want);
	return ok;
}

/* RFC 5802 section 3: H(ClientProof XOR ClientSignature) == StoredKey. */
static bool
scram_proof_ok(struct smtp_sasl_server *s, const char *p, size_t plen,
    const struct buf *auth_msg)
{
	unsigned char sig[SASL_HASH_MAX], key[SASL_HASH_MAX];
	struct buf proof;
	bool ok = false;
	size_t i;

	buf_init(&proof, SASL_HASH_MAX);
	if (base64_decode(&proof, p, plen) == 0 && proof.len == s->alg->len &&
	    sasl_hmac(s->alg, s->keys.stored, s->alg->len, auth_msg->data,
	    auth_msg->len, sig) == 0) {
		for (i = 0; i < s->alg->len; i++)
			sig[i] ^= (unsigned char)proof.data[i];
		ok = gnutls_hash_fast((gnutls_digest_algorithm_t)s->alg->dig,
		    sig, s->alg->len, key) >= 0 &&
		    sasl_equal(key, s->keys.stored, s->alg->len);
	}
	explicit_bzero(sig, sizeof(sig));
	explicit_bzero(key, sizeof(key));
	buf_wipe_free(&proof);
	return ok;
}

/* server-final-message: "v=" ServerSignature (forged on request). */
static enum srv_status
scram_server_final(struct smtp_sasl_server *s, const struct buf *auth_msg,
    struct buf *out)
{
	unsigned char sig[SASL_HASH_MAX];

	if (sasl_hmac(s->alg, s->keys.server, s->alg->len, auth_msg->data,
	    auth_msg->len, sig) == -1)
		return ERROR;
	if (s->conf.forge_scram_signature)
		sig[0] ^= 0x5a;
	if (buf_append_str(out, "v=") == -1 ||
	    base64_encode(out, sig, s->alg->len) == -1)
		return ERROR;
	s->phase = PH_THIRD;
	return CONTINUE;
}

/* client-final-message: "c=..,r=..[,ext],p=proof". */
static enum srv_status
scram_client_final(struct smtp_sasl_server *s, const struct buf *in,
    struct buf *out)
{
	const char *m = buf_str(in), *c, *r, *p;
	size_t clen = 0, rlen = 0, plen = 0, nlen = 0;
	const char *nonce = sasl_scram_attr(buf_str(&s->server_first), 'r',
	    &nlen);
	struct buf auth_msg;
	enum srv_status st;

	if (in->len == 0 || memchr(in->data, '\0', in->len) != NULL ||
	    (c = sasl_scram_attr(m, 'c', &clen)) != m + 2 ||
	    (r = sasl_scram_attr(m, 'r', &rlen)) != c + clen + 3 ||
	    (p = strstr(m, ",p=")) == NULL || strchr(p + 3, ',') != NULL)
		return MALFORMED;
	plen = strlen(p + 3);
	if (nonce == NULL || rlen != nlen || memcmp(r, nonce, nlen) != 0 ||
	    !scram_cbind_ok(s, c, clen))
		return FAIL;
	buf_init(&auth_msg, 3 * SASL_SCRAM_MSG_MAX);
	if (buf_printf(&auth_msg, "%s,%s,%.*s", buf_str(&s->saved),
	    buf_str(&s->server_first), (int)(p - m), m) == -1)
		st = ERROR;
	else if (!scram_proof_ok(s, p + 3, plen, &auth_msg))
		st = FAIL;
	else
		st = scram_server_final(s, &auth_msg, out);
	buf_free(&auth_msg);
	return st;
}

static enum srv_status
scram_step(struct smtp_sasl_server *s, const struct buf *in, struct buf *out)
{
	if (in == NULL)
		return ask_initial(s);
	if (in->len > SASL_SCRAM_MSG_MAX)
		return MALFORMED;
	switch (s->phase) {
	case PH_FIRST:
		return scram_client_first(s, in, out);
	case PH_SECOND:
		return scram_client_final(s, in, out);
	case PH_THIRD:
		/* RFC 4954 section 4: the empty answer to our v=. */
		s->phase = PH_DONE;
		return in->len == 0 ? OK : MALFORMED;
	default:
		return MALFORMED;
	}
}

/* ---- the table and the public functions ---- */

static const struct srv_mech srv_mechs[] = {
	{ "SCRAM-SHA-256-PLUS", scram_step },
	{ "SCRAM-SHA-1-PLUS", scram_step },
	{ "SCRAM-SHA-256", scram_step },
	{ "SCRAM-SHA-1", scram_step },
	{ "PLAIN", plain_step },
	{ "LOGIN", login_step },
	{ "CRAM-MD5", cram_step },
	{ "XOAUTH2", xoauth2_step },
	{ "OAUTHBEARER", oauthbearer_step },
	{ "EXTERNAL", external_step },
};

const char *
smtp_sasl_server_mechs(void)
{
	return "SCRAM-SHA-256-PLUS SCRAM-SHA-1-PLUS SCRAM-SHA-256 "
	    "SCRAM-SHA-1 PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER EXTERNAL";
}

struct smtp_sasl_server *
smtp_sasl_server_new(const char *mech, const struct smtp_sasl_server_conf *conf)
{
	struct smtp_sasl_server *s;
	size_t i;

	for (i = 0; i < sizeof(srv_mechs) / sizeof(srv_mechs[0]); i++)
		if (strcasecmp(mech, srv_mechs[i].name) == 0)
			break;
	if (i == sizeof(srv_mechs) / sizeof(srv_mechs[0]))
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->conf = *conf;
	s->mech = &srv_mechs[i];
	s->alg = sasl_scram_alg(s->mech->name, &s->plus);
	buf_init(&s->user, SRV_USER_MAX);
	buf_init(&s->saved, SASL_SCRAM_MSG_MAX);
	buf_init(&s->gs2, SASL_SCRAM_MSG_MAX);
	buf_init(&s->server_first, SASL_SCRAM_MSG_MAX);
	return s;
}

void
smtp_sasl_server_free(struct smtp_sasl_server *s)
{
	if (s == NULL)
		return;
	buf_free(&s->user);
	buf_wipe_free(&s->saved);
	buf_free(&s->gs2);
	buf_free(&s->server_first);
	explicit_bzero(s, sizeof(*s));
	free(s);
}

enum smtp_sasl_server_status
smtp_sasl_server_step(struct smtp_sasl_server *s, const char *response,
    struct buf *out)
{
	struct buf in, raw;
	enum srv_status st;

	if (++s->steps > SMTP_SASL_STEPS_MAX || s->phase == PH_DONE)
		return SMTP_SASL_SERVER_MALFORMED;
	buf_init(&in, SRV_RAW_MAX);
	buf_init(&raw, SRV_RAW_MAX);
	if (response != NULL && strcmp(response, "*") == 0)
		st = MALFORMED;
	else if (response != NULL && strcmp(response, "=") != 0 &&
	    base64_decode(&in, response, strlen(response)) == -1)
		st = MALFORMED;
	else
		st = s->mech->step(s, response != NULL ? &in : NULL, &raw);
	if ((st == CONTINUE || st == OK) && raw.len > 0 &&
	    base64_encode(out, raw.data, raw.len) == -1)
		st = ERROR;
	if (st != CONTINUE)
		s->phase = PH_DONE;
	if (st != OK && st != CONTINUE)
		buf_reset(&s->user);
	buf_wipe_free(&in);
	buf_wipe_free(&raw);
	return (enum smtp_sasl_server_status)st;
}

const char *
smtp_sasl_server_user(const struct smtp_sasl_server *s)
{
	return buf_str(&s->user);
}
