#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp/sasl.h"
#include "util/base64.h"

/* Decoded challenges and raw responses are held in buffers this big. */
#define SASL_RAW_MAX 16384

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
	int rank;		/* preferred when higher, for conf.mech NULL */
	bool sends_password;	/* password (or equivalent) leaves: needs TLS */
	enum err_kind (*start)(struct smtp_sasl *, struct buf *out,
	    bool *has_initial, struct err *);
	enum err_kind (*step)(struct smtp_sasl *, const struct buf *challenge,
	    struct buf *out, struct err *);
	enum err_kind (*finish)(struct smtp_sasl *, const char *text,
	    struct err *);
};

struct smtp_sasl {
	struct smtp_sasl_conf conf;
	const struct sasl_mech *mech;	/* NULL before start() */
	unsigned steps;
	bool user_sent;			/* LOGIN */
	bool password_sent;		/* LOGIN */
};

static enum err_kind
need_credentials(const struct smtp_sasl *s, struct err *e)
{
	if (s->conf.user == NULL || s->conf.password == NULL ||
	    !secret_is_set(s->conf.password))
		return err_set(e, ERR_NOPERM,
		    "AUTH %s needs a user name and a password", s->mech->name);
	return ERR_OK;
}

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
		return err_set(e, ERR_NOPERM, "AUTH PLAIN: credentials too long");
	*has_initial = true;
	return ERR_OK;
}

static enum err_kind
plain_step(struct smtp_sasl *s, const struct buf *challenge, struct buf *out,
    struct err *e)
{
	return err_set(e, ERR_PROTOCOL,
	    "unexpected AUTH PLAIN challenge after the initial response");
}

static enum err_kind
login_start(struct smtp_sasl *s, struct buf *out, bool *has_initial,
    struct err *e)
{
	*has_initial = false;
	return need_credentials(s, e);
}

static int
starts_with(const struct buf *b, const char *prefix)
{
	size_t n = strlen(prefix);

	return b->len >= n && strncasecmp(buf_str(b), prefix, n) == 0;
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
			return err_set(e, ERR_NOPERM, "AUTH LOGIN: user too long");
		return ERR_OK;
	}
	s->password_sent = true;
	if (buf_append(out, s->conf.password->data, s->conf.password->len) ==
	    -1)
		return err_set(e, ERR_NOPERM, "AUTH LOGIN: password too long");
	return ERR_OK;
}

static enum err_kind
no_final_data(struct smtp_sasl *s, const char *text, struct err *e)
{
	return ERR_OK;
}

/* Future mechanisms (SCRAM-SHA-256, CRAM-MD5, XOAUTH2, OAUTHBEARER,
 * EXTERNAL) are one row each. */
static const struct sasl_mech mechs[] = {
	{ "PLAIN", 20, true, plain_start, plain_step, no_final_data },
	{ "LOGIN", 10, true, login_start, login_step, no_final_data },
};
#define NMECHS (sizeof(mechs) / sizeof(mechs[0]))

struct smtp_sasl *
smtp_sasl_new(const struct smtp_sasl_conf *conf)
{
	struct smtp_sasl *s = calloc(1, sizeof(*s));

	if (s != NULL)
		s->conf = *conf;
	return s;
}

void
smtp_sasl_free(struct smtp_sasl *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, sizeof(*s));
	free(s);
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

static bool
allowed(const struct smtp_sasl *s, const struct sasl_mech *m, bool tls)
{
	return tls || s->conf.allow_plaintext || !m->sends_password;
}

/* The best mechanism offered: allowed by policy first, then by rank. */
static const struct sasl_mech *
best_mech(const struct smtp_sasl *s, const struct smtp_caps *caps, bool tls)
{
	const struct sasl_mech *best = NULL;
	size_t i;

	for (i = 0; i < NMECHS; i++) {
		const struct sasl_mech *m = &mechs[i];

		if (!smtp_caps_has_auth(caps, m->name))
			continue;
		if (best == NULL ||
		    allowed(s, m, tls) > allowed(s, best, tls) ||
		    (allowed(s, m, tls) == allowed(s, best, tls) &&
		    m->rank > best->rank))
			best = m;
	}
	return best;
}

static enum err_kind
choose(struct smtp_sasl *s, const struct smtp_caps *caps, bool tls,
    struct err *e)
{
	const struct sasl_mech *m;

	if (!(caps->flags & SMTP_CAP_AUTH) || caps->auth[0] == '\0')
		return err_set(e, ERR_NOPERM, "server does not offer AUTH");
	if (s->conf.mech != NULL) {
		if ((m = find_mech(s->conf.mech)) == NULL)
			return err_set(e, ERR_NOPERM,
			    "AUTH mechanism %s is not supported", s->conf.mech);
		if (!smtp_caps_has_auth(caps, m->name))
			return err_set(e, ERR_NOPERM,
			    "server does not offer AUTH %s", m->name);
	} else if ((m = best_mech(s, caps, tls)) == NULL) {
		return err_set(e, ERR_NOPERM,
		    "no supported AUTH mechanism among: %s", caps->auth);
	}
	if (!allowed(s, m, tls))
		return err_set(e, ERR_NOPERM,
		    "refusing to send a password without TLS (auth_plaintext off)");
	s->mech = m;
	return ERR_OK;
}

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
	s->user_sent = s->password_sent = false;
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
