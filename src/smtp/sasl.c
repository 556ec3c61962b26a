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
#include "util/base64.h"

/*
 * Layout: the client mechanisms one by one, their table, the policy and
 * the public functions.  What both sides share (SCRAM arithmetic,
 * SASLprep, syntax: sasl_int.h) is in sasl_server.c.
 */

/* Decoded challenges and raw responses are held in buffers this big. */
#define SASL_RAW_MAX 16384
#define SASL_CB_MAX 512		/* channel binding data */

/* ---- the client ------------------------------------------------------ */

/*
 * A mechanism works on raw bytes: the common code below decodes the
 * challenges, encodes the responses and wipes every scratch buffer.
 *
 * start: the raw initial response into out (*has_initial set when the
 *     mechanism has one; an empty one is sent as "=").
 * step: one decoded challenge in, the raw response out.
 * finish: the 235 reply's text; ERR_OK when the exchange is complete.
 */
struct sasl_mech {
	const char *name;
	int rank;		/* for conf.mech NULL: higher first; 0 never */
	bool no_tls_ok;		/* sends nothing an eavesdropper could use */
	bool plus;		/* needs channel binding data */
	enum err_kind (*start)(struct smtp_sasl *, struct buf *out,
	    bool *has_initial, struct err *);
	enum err_kind (*step)(struct smtp_sasl *, const struct buf *challenge,
	    struct buf *out, struct err *);
	enum err_kind (*finish)(struct smtp_sasl *, const char *text,
	    struct err *);
};

enum scram_step {
	SCRAM_SERVER_FIRST,	/* waiting for r=,s=,i= */
	SCRAM_SERVER_FINAL,	/* waiting for v= (334, or 235's text) */
	SCRAM_DONE		/* v= verified */
};

struct smtp_sasl {
	struct smtp_sasl_conf conf;
	const struct sasl_mech *mech;	/* NULL before start() */
	unsigned steps;
	bool user_sent;			/* LOGIN */
	bool password_sent;		/* LOGIN */
	bool answered;			/* CRAM-MD5, OAuth: one challenge */
	bool plus_offered;		/* server offers this SCRAM's -PLUS */
	char cb_type[32];		/* "" when no channel binding */
	unsigned char *cb_data;
	size_t cb_len;
	/* SCRAM */
	enum scram_step scram;
	const struct sasl_scram_alg *alg;
	bool alg_plus;
	struct buf gs2;			/* gs2-header: "n,," "y,," "p=..,," */
	struct buf first_bare;		/* client-first-message-bare */
	unsigned char server_sig[SASL_HASH_MAX];	/* expected v= */
};

static enum err_kind
need_credentials(const struct smtp_sasl *s, struct err *e)
{
	if (s->conf.user == NULL || s->conf.password == NULL ||
	    !secret_is_set(s->conf.password))
		return err_set(e, ERR_NOPERM,
		    "AUTH %s needs a user name and a %s", s->mech->name,
		    s->mech->rank == 0 ? "token" : "password");
	return ERR_OK;
}

static int
starts_with(const struct buf *b, const char *prefix)
{
	size_t n = strlen(prefix);

	return b->len >= n && strncasecmp(buf_str(b), prefix, n) == 0;
}

static enum err_kind
too_long(struct smtp_sasl *s, struct err *e)
{
	return err_set(e, ERR_NOPERM, "AUTH %s: credentials too long",
	    s->mech->name);
}

static enum err_kind
unexpected(struct smtp_sasl *s, struct err *e)
{
	return err_set(e, ERR_PROTOCOL, "unexpected AUTH %s challenge",
	    s->mech->name);
}

static enum err_kind
no_final_data(struct smtp_sasl *s, const char *text, struct err *e)
{
	(void)s;
	(void)text;
	(void)e;
	return ERR_OK;
}

/* ---- PLAIN, LOGIN, CRAM-MD5 ---- */

/* RFC 4616 section 2: [authzid] NUL authcid NUL passwd. */
static enum err_kind
plain_start(struct smtp_sasl *s, struct buf *out, bool *has_initial,
    struct err *e)
{
	if (need_credentials(s, e) != ERR_OK)
		return e->kind;
	if (buf_append_byte(out, '\0') == -1 ||
	    buf_append_str(out, s->conf.user) == -1 ||
	    buf_append_byte(out, '\0') == -1 ||
	    buf_append(out, s->conf.password->data, s->conf.password->len) ==
	    -1)
		return too_long(s, e);
	*has_initial = true;
	return ERR_OK;
}

static enum err_kind
plain_step(struct smtp_sasl *s, const struct buf *challenge, struct buf *out,
    struct err *e)
{
	(void)challenge;
	(void)out;
	return err_set(e, ERR_PROTOCOL,
	    "unexpected AUTH %s challenge after the initial response",
	    s->mech->name);
}

/* LOGIN and CRAM-MD5: no initial response. */
static enum err_kind
login_start(struct smtp_sasl *s, struct buf *out, bool *has_initial,
    struct err *e)
{
	(void)out;
	*has_initial = false;
	return need_credentials(s, e);
}

/*
 * The LOGIN mechanism (draft-murchison-sasl-login): the server asks for
 * "Username:" then "Password:".  The prompt decides which is sent; an
 * unknown prompt gets whichever has not been sent yet, user first.  Each
 * is sent once.
 */
static enum err_kind
login_step(struct smtp_sasl *s, const struct buf *challenge, struct buf *out,
    struct err *e)
{
	bool want_user;

	if (starts_with(challenge, "user"))
		want_user = true;
	else if (starts_with(challenge, "pass"))
		want_user = false;
	else
		want_user = !s->user_sent;
	if (want_user ? s->user_sent : s->password_sent)
		return err_set(e, ERR_PROTOCOL,
		    "AUTH LOGIN: server asked for the %s twice",
		    want_user ? "user name" : "password");
	if (want_user) {
		s->user_sent = true;
		if (buf_append_str(out, s->conf.user) == -1)
			return too_long(s, e);
		return ERR_OK;
	}
	s->password_sent = true;
	if (buf_append(out, s->conf.password->data, s->conf.password->len) ==
	    -1)
		return too_long(s, e);
	return ERR_OK;
}

/* RFC 2195 section 2: user SP hex(HMAC-MD5(password, challenge)). */
static enum err_kind
cram_step(struct smtp_sasl *s, const struct buf *challenge, struct buf *out,
    struct err *e)
{
	unsigned char mac[16];
	size_t i;
	int rc;

	if (s->answered || challenge->len == 0)
		return unexpected(s, e);
	s->answered = true;
	if (gnutls_hmac_fast(GNUTLS_MAC_MD5, s->conf.password->data,
	    s->conf.password->len, challenge->data, challenge->len, mac) < 0)
		return err_set(e, ERR_SOFTWARE, "AUTH CRAM-MD5: HMAC failed");
	rc = buf_append_str(out, s->conf.user) | buf_append_byte(out, ' ');
	for (i = 0; i < sizeof(mac) && rc == 0; i++)
		rc = buf_printf(out, "%02x", mac[i]);
	explicit_bzero(mac, sizeof(mac));
	return rc == 0 ? ERR_OK : too_long(s, e);
}

/* ---- XOAUTH2, OAUTHBEARER, EXTERNAL ---- */

/* Google's XOAUTH2: "user=" user ^A "auth=Bearer " token ^A ^A. */
static enum err_kind
xoauth2_start(struct smtp_sasl *s, struct buf *out, bool *has_initial,
    struct err *e)
{
	if (need_credentials(s, e) != ERR_OK)
		return e->kind;
	if (buf_printf(out, "user=%s\001auth=Bearer ", s->conf.user) == -1 ||
	    buf_append(out, s->conf.password->data, s->conf.password->len) ==
	    -1 || buf_append(out, "\001\001", 2) == -1)
		return too_long(s, e);
	*has_initial = true;
	return ERR_OK;
}

/*
 * RFC 7628 section 3.1: gs2-header "n,a=user," then kvpairs, each ended
 * by ^A, and a final ^A.
 */
static enum err_kind
oauthbearer_start(struct smtp_sasl *s, struct buf *out, bool *has_initial,
    struct err *e)
{
	int rc;

	if (need_credentials(s, e) != ERR_OK)
		return e->kind;
	rc = buf_append_str(out, "n,a=") | sasl_scram_escape(out,
	    s->conf.user) | buf_append_str(out, ",\001");
	if (rc == 0 && s->conf.host != NULL && s->conf.host[0] != '\0')
		rc = buf_printf(out, "host=%s\001", s->conf.host);
	if (rc == 0 && s->conf.port != 0)
		rc = buf_printf(out, "port=%u\001", s->conf.port);
	if (rc != 0 || buf_append_str(out, "auth=Bearer ") == -1 ||
	    buf_append(out, s->conf.password->data, s->conf.password->len) ==
	    -1 || buf_append(out, "\001\001", 2) == -1)
		return too_long(s, e);
	*has_initial = true;
	return ERR_OK;
}

/*
 * A 334 after an OAuth initial response carries the server's JSON error
 * (RFC 7628 3.2.2); the client answers it (RFC 7628 3.2.3: a lone ^A;
 * XOAUTH2: empty) and the server then fails the exchange with 535.
 */
static enum err_kind
oauth_step(struct smtp_sasl *s, const struct buf *challenge, struct buf *out,
    struct err *e)
{
	(void)challenge;
	if (s->answered)
		return unexpected(s, e);
	s->answered = true;
	if (strcmp(s->mech->name, "OAUTHBEARER") == 0 &&
	    buf_append_byte(out, 0x01) == -1)
		return too_long(s, e);
	return ERR_OK;
}

/* RFC 4422 appendix A: the authorization identity, or "=" for none. */
static enum err_kind
external_start(struct smtp_sasl *s, struct buf *out, bool *has_initial,
    struct err *e)
{
	if (s->conf.user != NULL && buf_append_str(out, s->conf.user) == -1)
		return too_long(s, e);
	*has_initial = true;
	return ERR_OK;
}

/* ---- SCRAM (RFC 5802, RFC 7677) ---- */

/* RFC 5802 section 6: gs2-cbind-flag "p=type", "y" or "n". */
static int
scram_gs2(struct smtp_sasl *s)
{
	buf_reset(&s->gs2);
	if (s->alg_plus)
		return buf_printf(&s->gs2, "p=%s,,", s->cb_type);
	/* "y": we could bind, but the server did not offer -PLUS. */
	if (s->cb_len > 0 && !s->plus_offered)
		return buf_append_str(&s->gs2, "y,,");
	return buf_append_str(&s->gs2, "n,,");
}

static enum err_kind
scram_start(struct smtp_sasl *s, struct buf *out, bool *has_initial,
    struct err *e)
{
	int rc;

	if (need_credentials(s, e) != ERR_OK)
		return e->kind;
	s->alg = sasl_scram_alg(s->mech->name, &s->alg_plus);
	if (s->alg == NULL)
		return err_set(e, ERR_SOFTWARE, "no SCRAM family for %s",
		    s->mech->name);
	s->scram = SCRAM_SERVER_FIRST;
	buf_reset(&s->first_bare);
	rc = scram_gs2(s) | buf_append_str(&s->first_bare, "n=") |
	    sasl_scram_escape(&s->first_bare, s->conf.user) |
	    buf_append_str(&s->first_bare, ",r=");
	if (rc == 0)
		rc = s->conf.test_nonce != NULL ? buf_append_str(
		    &s->first_bare, s->conf.test_nonce) :
		    sasl_nonce(&s->first_bare);
	if (rc != 0 || buf_append(out, s->gs2.data, s->gs2.len) == -1 ||
	    buf_append(out, s->first_bare.data, s->first_bare.len) == -1)
		return too_long(s, e);
	*has_initial = true;
	return ERR_OK;
}

/* The server's nonce must extend ours (RFC 5802 section 5.1, r=). */
static enum err_kind
scram_check_nonce(struct smtp_sasl *s, const char *r, size_t rlen,
    struct err *e)
{
	size_t n;
	const char *ours = sasl_scram_attr(buf_str(&s->first_bare), 'r', &n);
	size_t i;

	if (ours == NULL || rlen <= n || memcmp(r, ours, n) != 0)
		return err_set(e, ERR_PROTOCOL,
		    "AUTH %s: server nonce does not extend ours",
		    s->mech->name);
	for (i = 0; i < rlen; i++)
		if (r[i] < 0x21 || r[i] > 0x7e)
			return err_set(e, ERR_PROTOCOL,
			    "AUTH %s: bad server nonce", s->mech->name);
	return ERR_OK;
}

/* s= and i= of the server-first-message: salt and iteration count. */
static enum err_kind
scram_salt_iter(struct smtp_sasl *s, const char *msg, struct buf *salt,
    unsigned *iter, struct err *e)
{
	const char *v, *errstr;
	char num[16];
	size_t n;

	v = sasl_scram_attr(msg, 's', &n);
	if (v == NULL || n == 0 || base64_decode(salt, v, n) == -1)
		return err_set(e, ERR_PROTOCOL, "AUTH %s: bad salt",
		    s->mech->name);
	v = sasl_scram_attr(msg, 'i', &n);
	if (v == NULL || n == 0 || n >= sizeof(num))
		return err_set(e, ERR_PROTOCOL,
		    "AUTH %s: bad iteration count", s->mech->name);
	memcpy(num, v, n);
	num[n] = '\0';
	/* A hostile server could ask for billions: cap the CPU we spend. */
	*iter = (unsigned)strtonum(num, 1, SASL_SCRAM_ITER_MAX, &errstr);
	if (errstr != NULL)
		return err_set(e, ERR_PROTOCOL,
		    "AUTH %s: iteration count %s is %s (1 to %d)",
		    s->mech->name, num, errstr, SASL_SCRAM_ITER_MAX);
	return ERR_OK;
}

/* "c=" base64(gs2-header [cbind-data]) ",r=" nonce. */
static int
scram_final_bare(struct smtp_sasl *s, const char *r, size_t rlen,
    struct buf *out)
{
	struct buf cb;
	int rc;

	buf_init(&cb, SASL_RAW_MAX);
	rc = buf_append(&cb, s->gs2.data, s->gs2.len);
	if (rc == 0 && s->alg_plus)
		rc = buf_append(&cb, s->cb_data, s->cb_len);
	rc |= buf_append_str(out, "c=") | base64_encode(out, cb.data, cb.len) |
	    buf_append_str(out, ",r=") | buf_append(out, r, rlen);
	buf_free(&cb);
	return rc;
}

/*
 * RFC 5802 section 3: ClientProof := ClientKey XOR HMAC(StoredKey,
 * AuthMessage); the expected ServerSignature is kept for v=.
 */
static int
scram_proof(struct smtp_sasl *s, const struct sasl_scram_keys *k,
    const struct buf *auth_msg, struct buf *out)
{
	unsigned char sig[SASL_HASH_MAX];
	size_t i;
	int rc;

	if (sasl_hmac(s->alg, k->stored, s->alg->len, auth_msg->data,
	    auth_msg->len, sig) == -1 ||
	    sasl_hmac(s->alg, k->server, s->alg->len, auth_msg->data,
	    auth_msg->len, s->server_sig) == -1)
		return -1;
	for (i = 0; i < s->alg->len; i++)
		sig[i] ^= k->client[i];
	rc = buf_append_str(out, ",p=") | base64_encode(out, sig, s->alg->len);
	explicit_bzero(sig, sizeof(sig));
	return rc;
}

/* SaltedPassword and friends from conf.password (SASLprep'd). */
static enum err_kind
scram_keys(struct smtp_sasl *s, const struct buf *salt, unsigned iter,
    struct sasl_scram_keys *k, struct err *e)
{
	struct buf pw;
	int rc;

	buf_init(&pw, SASL_RAW_MAX);
	rc = sasl_saslprep(s->conf.password->data, s->conf.password->len, &pw);
	if (rc == 0)
		rc = sasl_scram_derive(s->alg, pw.data != NULL ? pw.data : "",
		    pw.len, salt->data, salt->len, iter, k);
	buf_wipe_free(&pw);
	if (rc == -1)
		return err_set(e, ERR_NOPERM, "AUTH %s: the password is not "
		    "valid for SASLprep (RFC 4013)", s->mech->name);
	return ERR_OK;
}

/* A SCRAM message from the server: text, no NUL; e= is its error. */
static enum err_kind
scram_check_msg(struct smtp_sasl *s, const struct buf *m, struct err *e)
{
	if (m->len == 0 || m->len > SASL_SCRAM_MSG_MAX ||
	    memchr(m->data, '\0', m->len) != NULL)
		return err_set(e, ERR_PROTOCOL, "AUTH %s: malformed message",
		    s->mech->name);
	if (strncmp(m->data, "e=", 2) == 0)
		return err_set(e, ERR_NOPERM, "AUTH %s: server error: %.100s",
		    s->mech->name, m->data + 2);
	if (strncmp(m->data, "m=", 2) == 0)
		return err_set(e, ERR_PROTOCOL, "AUTH %s: unsupported "
		    "mandatory extension", s->mech->name);
	return ERR_OK;
}

static enum err_kind
scram_server_first(struct smtp_sasl *s, const struct buf *m,
    struct buf *out, struct err *e)
{
	struct sasl_scram_keys k;
	struct buf salt, auth_msg;
	const char *r;
	unsigned iter = 0;
	size_t rlen;
	enum err_kind rc;

	if ((r = sasl_scram_attr(m->data, 'r', &rlen)) == NULL)
		return err_set(e, ERR_PROTOCOL, "AUTH %s: no server nonce",
		    s->mech->name);
	if ((rc = scram_check_nonce(s, r, rlen, e)) != ERR_OK)
		return rc;
	buf_init(&salt, SASL_SCRAM_MSG_MAX);
	buf_init(&auth_msg, 3 * SASL_SCRAM_MSG_MAX);
	rc = scram_salt_iter(s, m->data, &salt, &iter, e);
	if (rc == ERR_OK)
		rc = scram_keys(s, &salt, iter, &k, e);
	if (rc == ERR_OK) {
		/* AuthMessage: client-first-bare, server-first, final-bare. */
		if (scram_final_bare(s, r, rlen, out) == -1 ||
		    buf_printf(&auth_msg, "%s,%s,%s", buf_str(&s->first_bare),
		    m->data, buf_str(out)) == -1 ||
		    scram_proof(s, &k, &auth_msg, out) == -1)
			rc = too_long(s, e);
		explicit_bzero(&k, sizeof(k));
	}
	buf_free(&salt);
	buf_free(&auth_msg);
	if (rc == ERR_OK)
		s->scram = SCRAM_SERVER_FINAL;
	return rc;
}

/* RFC 5802 section 3: v= must equal the ServerSignature we computed. */
static enum err_kind
scram_verify(struct smtp_sasl *s, const char *v, size_t n, struct err *e)
{
	struct buf sig;
	bool good;

	buf_init(&sig, SASL_HASH_MAX);
	good = base64_decode(&sig, v, n) == 0 && sig.len == s->alg->len &&
	    sasl_equal(sig.data, s->server_sig, sig.len);
	buf_free(&sig);
	if (!good)
		return err_set(e, ERR_PROTOCOL,
		    "server signature does not verify");
	s->scram = SCRAM_DONE;
	return ERR_OK;
}

static enum err_kind
scram_step(struct smtp_sasl *s, const struct buf *m, struct buf *out,
    struct err *e)
{
	enum err_kind rc;

	if ((rc = scram_check_msg(s, m, e)) != ERR_OK)
		return rc;
	switch (s->scram) {
	case SCRAM_SERVER_FIRST:
		return scram_server_first(s, m, out, e);
	case SCRAM_SERVER_FINAL:
		if (strncmp(m->data, "v=", 2) != 0)
			return err_set(e, ERR_PROTOCOL,
			    "server signature does not verify (no v=)");
		/* The empty response (RFC 4954 section 4) follows. */
		return scram_verify(s, m->data + 2, strcspn(m->data + 2, ","),
		    e);
	default:
		return unexpected(s, e);
	}
}

/*
 * On 235: the server signature came in a 334 already, or the 235 text
 * carries it (base64 of "v=...", after the enhanced status code).  A
 * server that never proves it knows the password is not trusted.
 */
static enum err_kind
scram_finish(struct smtp_sasl *s, const char *text, struct err *e)
{
	struct buf m;
	const char *w;
	size_t n;
	enum err_kind rc = ERR_PROTOCOL;

	if (s->scram == SCRAM_DONE)
		return ERR_OK;
	buf_init(&m, SASL_SCRAM_MSG_MAX);
	for (w = text; *w != '\0' && rc != ERR_OK; w += n) {
		w += strspn(w, " ");
		n = strcspn(w, " ");
		buf_reset(&m);
		if (s->scram == SCRAM_SERVER_FINAL && n > 0 &&
		    base64_decode(&m, w, n) == 0 && starts_with(&m, "v="))
			rc = scram_verify(s, m.data + 2,
			    strcspn(m.data + 2, ","), e);
	}
	buf_free(&m);
	if (rc != ERR_OK && s->scram != SCRAM_DONE)
		return err_set(e, ERR_PROTOCOL, "server signature does not "
		    "verify (none sent)");
	return rc;
}

/*
 * The table.  rank orders `auth on` (conf.mech NULL): channel-bound SCRAM
 * first, then SCRAM, then the password mechanisms; 0 means only when
 * named (OAuth tokens and EXTERNAL need a configuration of their own).
 */
static const struct sasl_mech mechs[] = {
	{ "SCRAM-SHA-256-PLUS", 70, true, true, scram_start, scram_step,
	    scram_finish },
	{ "SCRAM-SHA-1-PLUS", 60, true, true, scram_start, scram_step,
	    scram_finish },
	{ "SCRAM-SHA-256", 50, true, false, scram_start, scram_step,
	    scram_finish },
	{ "SCRAM-SHA-1", 40, true, false, scram_start, scram_step,
	    scram_finish },
	{ "PLAIN", 30, false, false, plain_start, plain_step, no_final_data },
	{ "LOGIN", 20, false, false, login_start, login_step, no_final_data },
	{ "CRAM-MD5", 10, false, false, login_start, cram_step,
	    no_final_data },
	{ "XOAUTH2", 0, false, false, xoauth2_start, oauth_step,
	    no_final_data },
	{ "OAUTHBEARER", 0, false, false, oauthbearer_start, oauth_step,
	    no_final_data },
	{ "EXTERNAL", 0, false, false, external_start, plain_step,
	    no_final_data },
};
#define NMECHS (sizeof(mechs) / sizeof(mechs[0]))

/* ---- policy and selection ---- */

struct smtp_sasl *
smtp_sasl_new(const struct smtp_sasl_conf *conf)
{
	struct smtp_sasl *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->conf = *conf;
	buf_init(&s->gs2, SASL_RAW_MAX);
	buf_init(&s->first_bare, SASL_SCRAM_MSG_MAX);
	return s;
}

void
smtp_sasl_free(struct smtp_sasl *s)
{
	if (s == NULL)
		return;
	buf_wipe_free(&s->gs2);
	buf_wipe_free(&s->first_bare);
	if (s->cb_data != NULL)
		explicit_bzero(s->cb_data, s->cb_len);
	free(s->cb_data);
	explicit_bzero(s, sizeof(*s));
	free(s);
}

enum err_kind
smtp_sasl_set_channel_binding(struct smtp_sasl *s, const char *type,
    const void *data, size_t len, struct err *e)
{
	unsigned char *p;

	if (len == 0 || len > SASL_CB_MAX ||
	    strlen(type) >= sizeof(s->cb_type) || strchr(type, ',') != NULL)
		return err_set(e, ERR_SOFTWARE, "bad channel binding data");
	if ((p = malloc(len)) == NULL)
		return err_set(e, ERR_OS, "out of memory");
	memcpy(p, data, len);
	if (s->cb_data != NULL)
		explicit_bzero(s->cb_data, s->cb_len);
	free(s->cb_data);
	s->cb_data = p;
	s->cb_len = len;
	strlcpy(s->cb_type, type, sizeof(s->cb_type));
	return ERR_OK;
}

static const struct sasl_mech *
find_mech(const char *name)
{
	size_t i;

	for (i = 0; i < NMECHS; i++)
		if (strcasecmp(mechs[i].name, name) == 0)
			return &mechs[i];
	return NULL;
}

/*
 * Without TLS only what an eavesdropper cannot use may leave (SCRAM),
 * unless auth_plaintext is on and the server is on this machine.
 */
static bool
allowed(const struct smtp_sasl *s, const struct sasl_mech *m, bool tls)
{
	return tls || m->no_tls_ok ||
	    (s->conf.allow_plaintext && s->conf.peer_local);
}

static bool
usable(const struct smtp_sasl *s, const struct sasl_mech *m,
    const struct smtp_caps *caps)
{
	return smtp_caps_has_auth(caps, m->name) && (!m->plus ||
	    s->cb_len > 0);
}

/* `auth on`: the best offered, allowed by policy first, then by rank. */
static const struct sasl_mech *
best_mech(const struct smtp_sasl *s, const struct smtp_caps *caps, bool tls)
{
	const struct sasl_mech *best = NULL;
	size_t i;

	for (i = 0; i < NMECHS; i++) {
		const struct sasl_mech *m = &mechs[i];

		if (m->rank == 0 || !usable(s, m, caps))
			continue;
		if (best == NULL || allowed(s, m, tls) > allowed(s, best, tls) ||
		    (allowed(s, m, tls) == allowed(s, best, tls) &&
		    m->rank > best->rank))
			best = m;
	}
	return best;
}

static enum err_kind
refuse_policy(const struct smtp_sasl *s, const struct sasl_mech *m,
    struct err *e)
{
	if (!s->conf.allow_plaintext)
		return err_set(e, ERR_NOPERM, "refusing AUTH %s without TLS: "
		    "it would expose the credentials (auth_plaintext off)",
		    m->name);
	return err_set(e, ERR_NOPERM, "refusing AUTH %s without TLS: "
	    "auth_plaintext applies only to a server on loopback", m->name);
}

static enum err_kind
choose(struct smtp_sasl *s, const struct smtp_caps *caps, bool tls,
    struct err *e)
{
	const struct sasl_mech *m;
	char plus[64];

	if (!(caps->flags & SMTP_CAP_AUTH) || caps->auth[0] == '\0')
		return err_set(e, ERR_NOPERM, "server does not offer AUTH");
	if (s->conf.mech != NULL) {
		if ((m = find_mech(s->conf.mech)) == NULL)
			return err_set(e, ERR_NOPERM,
			    "AUTH mechanism %s is not supported", s->conf.mech);
		if (!smtp_caps_has_auth(caps, m->name))
			return err_set(e, ERR_NOPERM,
			    "server does not offer AUTH %s", m->name);
		if (m->plus && s->cb_len == 0)
			return err_set(e, ERR_NOPERM, "AUTH %s needs TLS "
			    "channel binding", m->name);
	} else if ((m = best_mech(s, caps, tls)) == NULL) {
		return err_set(e, ERR_NOPERM,
		    "no supported AUTH mechanism among: %s", caps->auth);
	}
	if (!allowed(s, m, tls))
		return refuse_policy(s, m, e);
	s->mech = m;
	snprintf(plus, sizeof(plus), "%s-PLUS", m->name);
	s->plus_offered = smtp_caps_has_auth(caps, plus);
	return ERR_OK;
}

/* ---- the exchange ---- */

enum err_kind
smtp_sasl_start(struct smtp_sasl *s, const struct smtp_caps *caps,
    bool tls_active, const char **mech, struct buf *initial, bool *has_initial,
    struct err *e)
{
	struct buf raw;
	enum err_kind rc;

	*has_initial = false;
	s->mech = NULL;
	s->steps = 0;
	s->user_sent = s->password_sent = s->answered = false;
	if ((rc = choose(s, caps, tls_active, e)) != ERR_OK)
		return rc;
	*mech = s->mech->name;
	buf_init(&raw, SASL_RAW_MAX);
	rc = s->mech->start(s, &raw, has_initial, e);
	if (rc == ERR_OK && *has_initial) {
		/* RFC 4954 section 4: an empty initial response is "=". */
		if ((raw.len == 0 ? buf_append_str(initial, "=") :
		    base64_encode(initial, raw.data, raw.len)) == -1)
			rc = err_set(e, ERR_SOFTWARE,
			    "AUTH initial response too long");
	}
	buf_wipe_free(&raw);
	return rc;
}

enum err_kind
smtp_sasl_step(struct smtp_sasl *s, const char *challenge,
    struct buf *response, struct err *e)
{
	struct buf in, out;
	enum err_kind rc;

	if (s->mech == NULL)
		return err_set(e, ERR_SOFTWARE, "AUTH step before start");
	if (++s->steps > SMTP_SASL_STEPS_MAX)
		return err_set(e, ERR_PROTOCOL, "too many AUTH challenges");
	buf_init(&in, SASL_RAW_MAX);
	buf_init(&out, SASL_RAW_MAX);
	if (base64_decode(&in, challenge, strlen(challenge)) == -1)
		rc = err_set(e, ERR_PROTOCOL, "malformed AUTH %s challenge",
		    s->mech->name);
	else
		rc = s->mech->step(s, &in, &out, e);
	if (rc == ERR_OK && base64_encode(response, out.data, out.len) == -1)
		rc = err_set(e, ERR_SOFTWARE, "AUTH response too long");
	buf_wipe_free(&in);
	buf_wipe_free(&out);
	return rc;
}

enum err_kind
smtp_sasl_finish(struct smtp_sasl *s, const char *text, struct err *e)
{
	if (s->mech == NULL)
		return err_set(e, ERR_SOFTWARE, "AUTH finish before start");
	return s->mech->finish(s, text, e);
}
